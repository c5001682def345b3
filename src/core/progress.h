// A progress bar on stderr for long work: "label [#####.....]  52%  3.1 M/s  ETA 4s".
// Draws only when stderr is a terminal (logs and CI stay clean) and at most 10 times a second.
// Update reads the clock, so call it per batch (a block of ticks, a day), not per tick.
// Disabled entirely by --quiet.
// Thread-safety: one thread calls Update/Finish.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace arus {

class ProgressBar {
 public:
  // total == 0 means unknown: shows a count and rate instead of a percentage.
  ProgressBar(std::string label, uint64_t total, bool enabled, std::string unit = "");
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void Update(uint64_t done) {
    done_ = done;
    if (enabled_) MaybeDraw(false);
  }
  void Add(uint64_t n) { Update(done_ + n); }
  // For work whose size becomes known after it started (0 = unknown).
  void SetTotal(uint64_t total) { total_ = total; }
  // Text drawn after the rate (e.g. "lstm epoch 3/30 loss 0.6812"); empty = none.
  void SetStatus(std::string status) { status_ = std::move(status); }
  // Draws the final state and ends the line.
  void Finish();

 private:
  void MaybeDraw(bool force);

  std::string label_;
  std::string unit_;
  std::string status_;
  uint64_t total_;
  uint64_t done_ = 0;
  bool enabled_;
  bool drawn_ = false;
  bool finished_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

// "1.23 M", "456 k", "789": human-readable counts for summaries.
std::string HumanCount(double n);
// "1.2 GiB", "345 KiB".
std::string HumanBytes(double bytes);

}  // namespace arus
