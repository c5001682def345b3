// Bar-to-bar resampling: finer completed bars (e.g. M1) into a coarser timeframe (M5 ... W1) with
// the same bucketing rules as tick aggregation (BucketOf: H4 anchored at 17:00 New York, D1
// 17:00 -> 17:00, W1 Sunday -> Friday). Streaming: Update() feeds bars in time order,
// AdvanceTo(now) closes the forming bar once now >= its ts_close (a live clock, or the next bar's
// open in batch), Flush() ends the data.
//
// A coarse bar: open of the first fine bar, high/low extremes, close of the last, tick counts and
// volumes summed, spread_mean weighted by tick count (plain mean when no bar has ticks),
// spread_max the widest. ts_open/ts_close are the bucket's nominal interval, so a coarse bar is
// complete (usable by a decision) only at its bucket end, even if its last fine bars are missing.
// Thread-safety: one resampler per thread. Ownership: the calendar is borrowed.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "bars/timeframe.h"
#include "core/status.h"
#include "core/tick.h"
#include "fx/calendar.h"

namespace arus::bars {

class BarResampler {
 public:
  BarResampler(Timeframe timeframe, const fx::FxCalendar& calendar);

  // Fine bars must arrive in time order and fit inside one coarse bucket each (a fine bar longer
  // than the target or straddling a bucket boundary is InvalidArgument, as is a step back).
  Status Update(const Bar& fine);
  void AdvanceTo(UnixNanos now);
  void Flush();

  const std::vector<Bar>& completed() const { return completed_; }
  void ClearCompleted() { completed_.clear(); }
  // Moves the completed bars out (the resampler keeps none).
  std::vector<Bar> TakeCompleted() { return std::move(completed_); }
  // Room for n completed bars, mapped in at once when large (core/memory.h).
  void ReserveCompleted(size_t n);

  // State for checkpoints: the bar still forming (with its tick-weighted spread sum) and the last
  // fine bar's ts_open.
  struct State {
    std::optional<Bar> forming;
    double spread_weighted_sum = 0;  // sum of spread_mean * tick_count over the forming bar
    int64_t spread_plain_count = 0;  // fine bars without ticks in the forming bar
    double spread_plain_sum = 0;
    UnixNanos last_fine_open = UnixNanos::Min();
  };
  State state() const;
  void Restore(const State& s);

  Timeframe timeframe() const { return timeframe_; }

 private:
  void Emit();

  Timeframe timeframe_;
  const fx::FxCalendar* calendar_;
  State s_;
  std::vector<Bar> completed_;
};

// Batch helper: a loop over BarResampler (Update each, then Flush).
Result<std::vector<Bar>> ResampleBars(std::span<const Bar> fine, Timeframe timeframe,
                                      const fx::FxCalendar& calendar);

}  // namespace arus::bars
