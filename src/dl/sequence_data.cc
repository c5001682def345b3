#include "dl/sequence_data.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace arus::dl {

Result<SequenceSplit> SplitForValidation(size_t rows, std::span<const UnixNanos> time,
                                         std::span<const UnixNanos> label_end, double fraction) {
  if (!(fraction >= 0 && fraction < 1)) {
    return InvalidArgument("validation_fraction must be in [0, 1)");
  }
  if ((!time.empty() && time.size() != rows) || (!label_end.empty() && label_end.size() != rows)) {
    return InvalidArgument("time / label_end must be empty or have one value per row");
  }
  SequenceSplit s;
  const size_t held = static_cast<size_t>(std::llround(static_cast<double>(rows) * fraction));
  if (fraction > 0 && (held == 0 || held >= rows)) {
    return InvalidArgument(std::to_string(rows) + " rows with validation_fraction " +
                           std::to_string(fraction) +
                           " leave an empty part; use more rows or validation_fraction = 0");
  }
  s.train_end = rows - held;
  s.val_start = s.train_end;
  s.usable.assign(rows, 1);
  const bool purge = held > 0 && !time.empty() && !label_end.empty();
  for (size_t j = 0; j < s.train_end && purge; ++j) {
    if (label_end[j] >= time[s.val_start]) {
      s.usable[j] = 0;
      ++s.purged;
    }
  }
  if (s.purged == s.train_end) {
    return InvalidArgument(
        "every training label reaches the validation slice (purged); use more rows or a "
        "smaller label horizon");
  }
  return s;
}

SequenceData::SequenceData(ml::MatrixView x, std::span<const double> y,
                           std::span<const uint8_t> usable, size_t horizons)
    : x_(x), y_(y), usable_(usable), horizons_(horizons) {}

void SequenceData::FillRows(size_t begin, size_t len, float* out) const {
  const size_t cols = x_.cols;
  for (size_t r = 0; r < len; ++r) {
    const double* src = x_.row(begin + r);
    for (size_t c = 0; c < cols; ++c) out[r * cols + c] = static_cast<float>(src[c]);
  }
}

void SequenceData::FillWindow(size_t end, size_t window, size_t first, float* out,
                              uint8_t* pad) const {
  const size_t cols = x_.cols;
  // Window position p holds row end - (window - 1) + p.
  for (size_t p = 0; p < window; ++p) {
    const size_t back = window - 1 - p;
    float* dst = out + p * cols;
    if (back > end || end - back < first) {
      std::fill(dst, dst + cols, 0.0f);
      pad[p] = 1;
      continue;
    }
    const double* src = x_.row(end - back);
    for (size_t c = 0; c < cols; ++c) dst[c] = static_cast<float>(src[c]);
    pad[p] = 0;
  }
}

void SequenceData::FillTargets(size_t row, size_t limit, double* y_out, uint8_t* mask) const {
  for (size_t h = 0; h < horizons_; ++h) {
    const size_t j = row + h;
    const bool ok = j < limit && j < usable_.size() && usable_[j] != 0;
    y_out[h] = ok ? y_[j] : 0.0;
    mask[h] = ok ? 1 : 0;
  }
}

bool SequenceData::HasTarget(size_t row, size_t limit) const {
  for (size_t h = 0; h < horizons_; ++h) {
    const size_t j = row + h;
    if (j < limit && j < usable_.size() && usable_[j] != 0) return true;
  }
  return false;
}

std::vector<size_t> StatefulStarts(size_t end, size_t len, size_t stride, size_t offset) {
  std::vector<size_t> starts;
  if (len == 0 || len > end || stride == 0) return starts;
  for (size_t s = std::min(offset, end - len); s + len <= end; s += stride) starts.push_back(s);
  if (starts.empty() || starts.back() + len < end) starts.push_back(end - len);
  return starts;
}

std::vector<size_t> WindowedEnds(const SequenceData& data, size_t begin, size_t end,
                                 size_t limit) {
  std::vector<size_t> ends;
  for (size_t r = begin; r < end; ++r) {
    if (data.HasTarget(r, limit)) ends.push_back(r);
  }
  return ends;
}

}  // namespace arus::dl
