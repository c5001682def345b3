// Sequence datasets for the dl learners, built lazily from a row-major feature matrix: a
// mini-batch of windows is assembled from the rows when it is needed (no L-fold copy of the data
// in memory). Torch-free: it fills plain float / byte buffers that the training code wraps.
//
// Two kinds of samples (docs/dl.md, "Semantics"):
//  - stateful (lstm, gru): a window of T consecutive rows starting at s, run from a zero state;
//    every step t of it has targets (the loss skips a burn-in);
//  - windowed (transformer, cnn, cnn_lstm): the window of L rows ending at row e (rows before the
//    start of the run are zeros, i.e. the training mean after standardisation, and flagged as
//    padding); only row e has targets.
// Multi-step targets: the targets of row i are y[i], y[i+1], ..., y[i+k-1]; target j is used
// only when j < limit (the end of the part being trained or validated) and usable[j] (not purged).
//
// Thread-safety: immutable after construction; the Fill* methods may run concurrently.
// Ownership: SequenceData holds views; the matrix, labels and mask must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "ml/model.h"

namespace arus::dl {

// The split of a training run into a training part [0, train_end) and a later validation slice
// [val_start, rows) for early stopping, and which labels may train.
struct SequenceSplit {
  size_t train_end = 0;
  size_t val_start = 0;
  // usable[j]: y[j] may be a training target: j < train_end and, when times are known, its label
  // ends before the first validation decision (label_end[j] < time[val_start]). Validation
  // targets (j >= val_start) are all usable.
  std::vector<uint8_t> usable;
  size_t purged = 0;  // training rows whose label reaches the validation slice
};

// The validation slice is the last round(rows * fraction) rows (fraction 0: none, every row
// trains). `time` / `label_end` may be empty (no purging). InvalidArgument when a part would be
// empty or every training label is purged.
Result<SequenceSplit> SplitForValidation(size_t rows, std::span<const UnixNanos> time,
                                         std::span<const UnixNanos> label_end, double fraction);

class SequenceData {
 public:
  // `x`: preprocessed rows, `y`: one target per row, `usable`: SequenceSplit::usable.
  SequenceData(ml::MatrixView x, std::span<const double> y, std::span<const uint8_t> usable,
               size_t horizons);

  size_t rows() const { return x_.rows; }
  size_t cols() const { return x_.cols; }
  size_t horizons() const { return horizons_; }

  // Rows [begin, begin + len) as floats into out (len * cols).
  void FillRows(size_t begin, size_t len, float* out) const;
  // The window of `window` rows ending at row `end`: out (window * cols floats) and pad (window
  // bytes, 1 = padding). Rows before `first` (the start of the run) are zeros and padding.
  void FillWindow(size_t end, size_t window, size_t first, float* out, uint8_t* pad) const;
  // Targets of row i: y_out and mask (horizons values each); target h is y[i + h] with mask 1
  // when i + h < limit and usable[i + h] (or i + h >= usable.size() is never usable), else 0 / 0.
  void FillTargets(size_t row, size_t limit, double* y_out, uint8_t* mask) const;
  // True when row i has at least one usable target below `limit`.
  bool HasTarget(size_t row, size_t limit) const;

 private:
  ml::MatrixView x_;
  std::span<const double> y_;
  std::span<const uint8_t> usable_;
  size_t horizons_;
};

// Epoch plans (lists of samples), deterministic given `offset`.
// Stateful windows [s, s + len) inside [0, end): s = offset, offset + stride, ... while
// s + len <= end, plus one window ending at `end` when the last one stops short of it (so the
// latest rows train every epoch). len must be <= end.
std::vector<size_t> StatefulStarts(size_t end, size_t len, size_t stride, size_t offset);
// Windowed samples: the rows in [begin, end) with a usable target below `limit`.
std::vector<size_t> WindowedEnds(const SequenceData& data, size_t begin, size_t end, size_t limit);

}  // namespace arus::dl
