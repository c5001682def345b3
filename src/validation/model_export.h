// Saving an experiment's final models into the model registry with their manifests (what
// `arus train` and `arus run` do after validation): learner, parameters, feature set, label,
// data range, the per-fold and pooled validation metrics, seed and code revision.
// Thread-safety: reentrant; concurrent saves into one registry get distinct ids.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "features/dataset.h"
#include "validation/experiment.h"

namespace arus::validation {

// Saves every final model of `result` into `models_dir`; returns (model name, id) in
// result.model_names order. `dataset_origin` is recorded as where the data came from.
Result<std::vector<std::pair<std::string, std::string>>> SaveFinalModels(
    const ExperimentConfig& config, const ExperimentData& data, const ExperimentResult& result,
    const features::Dataset& dataset, const std::string& dataset_origin,
    const std::string& models_dir, UnixNanos created_at);

}  // namespace arus::validation
