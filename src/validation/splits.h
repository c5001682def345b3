// Time-series cross-validation splits that cannot leak: walk-forward (rolling or expanding
// training window, always before the test window) and purged k-fold with an embargo (López de
// Prado, Advances in Financial Machine Learning, ch. 7). Docs: docs/validation.md.
//
// Rows are the usable rows of a dataset in time order (rows without a label are left out by the
// caller). Row i was decided at time[i] and its label used information up to label_end[i]
// (features::Dataset::label_end; label_end[i] >= time[i]).
//
// Purging: a training row is dropped when its label interval [time[i], label_end[i]] overlaps
// the test window's interval [time[test_begin], max label_end over the test rows]. For
// walk-forward that means every training row whose label ends at or after the first test
// decision. Embargo: the `embargo_rows` rows right after a test window are not trained on either
// (their features, e.g. long moving averages, overlap the test period's data).
//
// Thread-safety: free functions on immutable inputs; reentrant.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace arus::validation {

struct Fold {
  size_t index = 0;
  std::vector<size_t> train;  // row indices, increasing
  size_t test_begin = 0;      // test rows [test_begin, test_end)
  size_t test_end = 0;
  size_t purged = 0;     // training candidates dropped because their label overlaps the test window
  size_t embargoed = 0;  // training candidates dropped by the embargo
};

struct WalkForwardOptions {
  size_t train_rows = 0;  // rolling: window length; expanding: minimum (the first window)
  size_t test_rows = 0;
  size_t step_rows = 0;  // distance between consecutive test windows; 0 = test_rows
  bool expanding = false;
  // Gap rows left untrained right before each test window in addition to purging (0 = purging
  // only). Useful when features have long memory.
  size_t gap_rows = 0;
  size_t max_folds = 0;  // 0 = as many as fit; otherwise the LAST max_folds windows
};

// Test windows start at train_rows + gap and advance by step_rows while a full test window
// fits. InvalidArgument for zero sizes, sizes that leave no fold, or time / label_end that are
// not the same length, not increasing, or label_end < time.
Result<std::vector<Fold>> WalkForwardFolds(std::span<const UnixNanos> time,
                                           std::span<const UnixNanos> label_end,
                                           const WalkForwardOptions& options);

struct PurgedKFoldOptions {
  size_t k = 5;  // contiguous test blocks of (nearly) equal size, in time order
  size_t embargo_rows = 0;
};

// Every row is a test row exactly once. InvalidArgument as above, or for k < 2 or k > rows.
Result<std::vector<Fold>> PurgedKFoldFolds(std::span<const UnixNanos> time,
                                           std::span<const UnixNanos> label_end,
                                           const PurgedKFoldOptions& options);

}  // namespace arus::validation
