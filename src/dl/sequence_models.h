// Internal to dl/ (and its tests): hooks into the LibTorch side of the sequence learners that
// need no torch header. Thread-safety: each call takes the dl training lock.
#pragma once

#include <cstdint>

#include "core/status.h"
#include "dl/sequence_net.h"
#include "ml/model.h"

namespace arus::dl::internal {

// Builds the torch module of `spec` initialised from `seed` (as a fit would start), copies its
// weights into a SequenceNet and runs both on the run of rows `x` (preprocessed): the largest
// absolute difference between their outputs (probabilities or regression values, every horizon).
// Checks that the plain C++ inference computes the torch modules' function.
Result<double> TorchVersusNet(const NetSpec& spec, uint64_t seed, ml::MatrixView x);

// Parameters (float weights) of a network of this shape.
uint64_t ParameterCount(const NetSpec& spec);

}  // namespace arus::dl::internal
