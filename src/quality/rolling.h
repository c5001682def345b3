// Building blocks of the streaming quality rules (internal to quality/, public for tests):
// a sliding-window histogram over integer bins with an O(1)-amortised median cursor (the rolling
// median of spreads and returns), and a keeper of the k worst examples of a rule.
// Thread-safety: owned by one thread.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "quality/report.h"

namespace arus::quality {

// The last `window` values, each an integer bin clamped to [min_bin, max_bin]. Push is O(1) (a
// ring slot and two counters); Median() moves a cursor by as many bins as the data moved since
// the last call, which for spreads and returns is a handful. Memory: one counter per bin plus the
// window.
class RollingHistogram {
 public:
  RollingHistogram(int32_t min_bin, int32_t max_bin, size_t window)
      : min_bin_(min_bin),
        counts_(static_cast<size_t>(max_bin - min_bin) + 1, 0),
        ring_(window, 0),
        med_(std::clamp<int32_t>(0, min_bin, max_bin) - min_bin) {}

  void Push(int32_t bin) {
    const int32_t top = static_cast<int32_t>(counts_.size()) - 1;
    const int32_t idx = std::clamp(bin - min_bin_, 0, top);
    if (n_ == ring_.size()) {
      const int32_t old = ring_[head_];
      --counts_[old];
      below_ -= old < med_;
    } else {
      ++n_;
    }
    ring_[head_] = idx;
    if (++head_ == ring_.size()) head_ = 0;
    ++counts_[idx];
    below_ += idx < med_;
  }

  // Lower median bin (the element of rank (n-1)/2); meaningful when size() > 0. The cursor is
  // moved here rather than in Push, so callers that refresh every k pushes pay the walk once.
  int32_t Median() {
    if (n_ == 0) return med_ + min_bin_;
    const int64_t rank = static_cast<int64_t>((n_ - 1) / 2);
    while (below_ > rank) {
      --med_;
      below_ -= counts_[med_];
    }
    while (below_ + counts_[med_] <= rank) {
      below_ += counts_[med_];
      ++med_;
    }
    return med_ + min_bin_;
  }

  size_t size() const { return n_; }
  size_t window() const { return ring_.size(); }
  // Median absolute deviation from Median(), in bins (the smallest d such that more than half of
  // the window lies within d bins of the median).
  int32_t MedianAbsDeviation() {
    if (n_ == 0) return 0;
    Median();
    const int64_t rank = static_cast<int64_t>((n_ - 1) / 2);
    const int32_t top = static_cast<int32_t>(counts_.size()) - 1;
    int64_t inside = counts_[med_];
    int32_t d = 0;
    while (inside <= rank) {
      ++d;
      if (med_ - d >= 0) inside += counts_[med_ - d];
      if (med_ + d <= top) inside += counts_[med_ + d];
    }
    return d;
  }

 private:
  int32_t min_bin_;
  std::vector<int32_t> counts_;  // by bin - min_bin
  std::vector<int32_t> ring_;    // the window, as bin indices
  size_t head_ = 0;
  size_t n_ = 0;
  int32_t med_;        // median bin index
  int64_t below_ = 0;  // elements in bins below med_
};

// Keeps the k most severe examples; among equal severities the earliest added wins.
class WorstKeeper {
 public:
  explicit WorstKeeper(size_t k) : k_(k) {}

  // Cheap test before building an Example (and its text).
  bool Wants(double severity) const {
    return k_ > 0 && (heap_.size() < k_ || severity > heap_.front().example.severity);
  }
  void Add(Example e) {
    if (!Wants(e.severity)) return;
    if (heap_.size() == k_) {
      std::pop_heap(heap_.begin(), heap_.end(), Better);
      heap_.pop_back();
    }
    heap_.push_back(Entry{std::move(e), seq_++});
    std::push_heap(heap_.begin(), heap_.end(), Better);
  }
  // Most severe first; ties in the order they were added.
  std::vector<Example> Sorted() const {
    std::vector<Entry> v = heap_;
    std::sort(v.begin(), v.end(), Better);
    std::vector<Example> out;
    out.reserve(v.size());
    for (Entry& e : v) out.push_back(std::move(e.example));
    return out;
  }

 private:
  struct Entry {
    Example example;
    uint64_t seq;
  };
  // "a is worth more than b"; as a heap comparator it puts the least worthy at the front.
  static bool Better(const Entry& a, const Entry& b) {
    if (a.example.severity != b.example.severity) return a.example.severity > b.example.severity;
    return a.seq < b.seq;
  }
  size_t k_;
  uint64_t seq_ = 0;
  std::vector<Entry> heap_;
};

}  // namespace arus::quality
