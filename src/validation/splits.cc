#include "validation/splits.h"

#include <algorithm>
#include <cstdint>

namespace arus::validation {
namespace {

std::string Str(size_t v) { return std::to_string(v); }

Status CheckRows(std::span<const UnixNanos> time, std::span<const UnixNanos> label_end) {
  if (time.size() != label_end.size()) {
    return InvalidArgument("splits: time has " + Str(time.size()) + " rows but label_end has " +
                           Str(label_end.size()));
  }
  for (size_t i = 0; i < time.size(); ++i) {
    if (i > 0 && time[i] <= time[i - 1]) {
      return InvalidArgument("splits: time is not strictly increasing at row " + Str(i) + " (" +
                             time[i].ToIso() + " after " + time[i - 1].ToIso() + ")");
    }
    if (label_end[i] < time[i]) {
      return InvalidArgument("splits: label_end " + label_end[i].ToIso() + " is before time " +
                             time[i].ToIso() + " at row " + Str(i));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<Fold>> WalkForwardFolds(std::span<const UnixNanos> time,
                                           std::span<const UnixNanos> label_end,
                                           const WalkForwardOptions& options) {
  ARUS_RETURN_IF_ERROR(CheckRows(time, label_end));
  if (options.train_rows == 0) return InvalidArgument("walk-forward: train_rows must be > 0");
  if (options.test_rows == 0) return InvalidArgument("walk-forward: test_rows must be > 0");
  const size_t n = time.size();
  const size_t step = options.step_rows == 0 ? options.test_rows : options.step_rows;
  // Overflow-safe form of train_rows + gap_rows + test_rows > n.
  if (options.train_rows > n || options.gap_rows > n - options.train_rows ||
      options.test_rows > n - options.train_rows - options.gap_rows) {
    return InvalidArgument("walk-forward: no fold fits: " + Str(n) + " rows < train_rows " +
                           Str(options.train_rows) + " + gap_rows " + Str(options.gap_rows) +
                           " + test_rows " + Str(options.test_rows));
  }
  const size_t first = options.train_rows + options.gap_rows;
  std::vector<size_t> begins;
  for (size_t b = first; b <= n - options.test_rows; b += step) {
    begins.push_back(b);
    if (step > n - b) break;  // next b would overflow past n
  }
  if (options.max_folds > 0 && begins.size() > options.max_folds) {
    begins.erase(begins.begin(), begins.end() - static_cast<ptrdiff_t>(options.max_folds));
  }

  std::vector<Fold> folds;
  folds.reserve(begins.size());
  for (size_t f = 0; f < begins.size(); ++f) {
    Fold fold;
    fold.index = f;
    fold.test_begin = begins[f];
    fold.test_end = begins[f] + options.test_rows;
    const size_t cand_end = fold.test_begin - options.gap_rows;  // >= train_rows
    const size_t cand_begin = options.expanding ? 0 : cand_end - options.train_rows;
    // Every candidate was decided before the first test decision, so its label interval
    // overlaps the test interval exactly when it ends at or after that decision.
    const UnixNanos test_start = time[fold.test_begin];
    fold.train.reserve(cand_end - cand_begin);
    for (size_t i = cand_begin; i < cand_end; ++i) {
      if (label_end[i] >= test_start) {
        ++fold.purged;
      } else {
        fold.train.push_back(i);
      }
    }
    folds.push_back(std::move(fold));
  }
  return folds;
}

Result<std::vector<Fold>> PurgedKFoldFolds(std::span<const UnixNanos> time,
                                           std::span<const UnixNanos> label_end,
                                           const PurgedKFoldOptions& options) {
  ARUS_RETURN_IF_ERROR(CheckRows(time, label_end));
  const size_t n = time.size();
  if (options.k < 2) return InvalidArgument("purged k-fold: k must be >= 2, got " + Str(options.k));
  if (options.k > n) {
    return InvalidArgument("purged k-fold: k = " + Str(options.k) + " exceeds the " + Str(n) +
                           " rows");
  }
  const size_t base = n / options.k;
  const size_t extra = n % options.k;  // the first `extra` blocks get one more row

  std::vector<Fold> folds;
  folds.reserve(options.k);
  size_t begin = 0;
  for (size_t f = 0; f < options.k; ++f) {
    Fold fold;
    fold.index = f;
    fold.test_begin = begin;
    fold.test_end = begin + base + (f < extra ? 1 : 0);
    begin = fold.test_end;

    // label_end need not be monotone, so the test interval ends at the maximum over the block.
    const UnixNanos test_start = time[fold.test_begin];
    UnixNanos test_stop = label_end[fold.test_begin];
    for (size_t i = fold.test_begin; i < fold.test_end; ++i) {
      test_stop = std::max(test_stop, label_end[i]);
    }
    fold.train.reserve(n - (fold.test_end - fold.test_begin));
    // Before the block: time[i] < test_start <= test_stop, so overlap <=> label_end >= test_start.
    for (size_t i = 0; i < fold.test_begin; ++i) {
      if (label_end[i] >= test_start) {
        ++fold.purged;
      } else {
        fold.train.push_back(i);
      }
    }
    // After the block: label_end[i] >= time[i] > test_start, so overlap <=> time[i] <= test_stop.
    const size_t embargo_end = fold.test_end + std::min(options.embargo_rows, n - fold.test_end);
    for (size_t i = fold.test_end; i < n; ++i) {
      if (time[i] <= test_stop) {
        ++fold.purged;
      } else if (i < embargo_end) {
        ++fold.embargoed;
      } else {
        fold.train.push_back(i);
      }
    }
    folds.push_back(std::move(fold));
  }
  return folds;
}

}  // namespace arus::validation
