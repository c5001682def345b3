// Streaming tick -> bar aggregation: one kernel for batch and live.
//
// BarAggregator consumes QuoteTicks in time order and appends each bar to completed() the moment it
// is known to be complete: when a tick at or after its ts_close arrives, when OnTime(now) reports
// that the clock passed ts_close (live: no need to wait for the next tick), or on Flush() at the
// end of batch data (which emits the partial last bar with its nominal ts_close). Batch aggregation
// (AggregateTicks) is a loop over the same Update, so batch and live produce bit-identical bars.
//
// Rules (docs/bars.md): bucketing per Timeframe (see timeframe.h); empty intervals produce no bar;
// ticks at instants when the FX market is closed (weekends, 25 Dec, 1 Jan; fx::FxCalendar::IsOpen)
// are not merged into bars but counted (closed_market_ticks() and the first/last such instant) so
// callers can warn; a tick earlier than the previous tick, or one falling into a bar that was
// already emitted (by OnTime or Flush), is an error naming the tick, and is not applied — the
// aggregator stays usable.
//
// Speed: the per-tick path touches no calendar or time-zone code. It checks one condition,
// previous_ts <= ts < boundary, where boundary = min(current bar close, current open trading-day
// close); anything else goes to an out-of-line slow path that emits, recomputes and re-arms.
//
// Thread-safety: not thread-safe; one aggregator per thread. Holds a reference to the calendar,
// which must outlive it. Non-copyable, movable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "bars/timeframe.h"
#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "fx/calendar.h"

namespace arus::bars {

class BarAggregator {
 public:
  BarAggregator(Timeframe timeframe, PriceSide side, const fx::FxCalendar& calendar);
  BarAggregator(const BarAggregator&) = delete;
  BarAggregator& operator=(const BarAggregator&) = delete;
  BarAggregator(BarAggregator&&) = default;
  BarAggregator& operator=(BarAggregator&&) = default;

  // Feeds ticks in time order (equal timestamps are fine). Completed bars are appended to
  // completed(). On error the ticks before the offending one have been applied, it and the rest
  // have not.
  Status Update(const QuoteTick& tick) { return Update(std::span<const QuoteTick>(&tick, 1)); }
  Status Update(std::span<const QuoteTick> ticks);

  // Clock notification: emits the forming bar if now >= its ts_close. Earlier `now` is a no-op.
  void OnTime(UnixNanos now);
  // End of data: emits the forming bar (if any) with its nominal interval.
  void Flush();

  // Bars completed so far and not yet taken, in time order.
  const std::vector<Bar>& completed() const { return completed_; }
  std::vector<Bar> TakeCompleted();
  void ClearCompleted() { completed_.clear(); }
  // Pre-sizes completed() for batch callers that know roughly how many bars are coming.
  void ReserveCompleted(size_t n) { completed_.reserve(n); }

  // A snapshot of the bar still forming (not complete: never use it for a decision at a time
  // before its ts_close). nullopt if none.
  std::optional<Bar> Forming() const;

  Timeframe timeframe() const { return timeframe_; }
  PriceSide side() const { return side_; }
  // Ticks accepted so far (into bars or counted as closed-market).
  int64_t ticks_seen() const { return ticks_seen_; }
  // Ticks at instants when the market was closed; not merged into any bar.
  int64_t closed_market_ticks() const { return closed_ticks_; }
  // First / last closed-market tick instant; meaningful when closed_market_ticks() > 0.
  UnixNanos first_closed_market_tick() const { return first_closed_; }
  UnixNanos last_closed_market_tick() const { return last_closed_; }

 private:
  // Hot accumulator of the forming bar; prices as raw nano-units.
  struct Acc {
    int64_t open = 0, high = 0, low = 0, close = 0;
    int64_t count = 0;
    int64_t spread_sum = 0;  // raw; exact for any realistic data (|sum| < 9.2e18)
    int64_t spread_max = 0;
    double volume = 0;
  };

  template <PriceSide kSide>
  Status Run(std::span<const QuoteTick> ticks);
  Status Slow(const QuoteTick& tick, int64_t index);
  void Emit();
  Bar MakeBar() const;

  Timeframe timeframe_;
  PriceSide side_;
  const fx::FxCalendar* calendar_;

  // Fast-path state. Invariant: last_ts_ <= boundary_; ticks in [last_ts_, boundary_) go straight
  // into acc_. boundary_ == last_ts_ disables the fast path.
  int64_t last_ts_;
  int64_t boundary_;
  Acc acc_;

  bool forming_ = false;
  BarInterval bar_{};             // interval of the forming bar
  int64_t closed_through_;        // ts_close of the last emitted bar
  int64_t day_open_, day_close_;  // cached trading day holding the last tick
  bool day_is_open_ = false;

  int64_t ticks_seen_ = 0;
  int64_t closed_ticks_ = 0;
  UnixNanos first_closed_, last_closed_;

  std::vector<Bar> completed_;

  friend class MultiAggregator;  // reads last_ts_ / closed_through_ to pre-validate chunks
};

// An upper bound on the number of bars `ticks` (in time order) can make at `timeframe`, for
// reserving output: no bar is shorter than NominalDuration and none is empty.
size_t BarCountBound(std::span<const QuoteTick> ticks, Timeframe timeframe);

// Closed-market statistics of a batch run, for the caller's warning.
struct AggregateStats {
  int64_t ticks = 0;
  int64_t closed_market_ticks = 0;
  UnixNanos first_closed_market_tick;
  UnixNanos last_closed_market_tick;
};

// Batch helper: Update over all ticks, then Flush. Empty input gives no bars.
Result<std::vector<Bar>> AggregateTicks(std::span<const QuoteTick> ticks, Timeframe timeframe,
                                        PriceSide side, const fx::FxCalendar& calendar,
                                        AggregateStats* stats = nullptr);

// Several timeframes from one pass over the ticks (processed in cache-sized chunks, each
// aggregator running its own fast path). Same semantics as the single aggregator; on an error no
// aggregator has applied the offending tick. Thread-safety and ownership as BarAggregator.
class MultiAggregator {
 public:
  MultiAggregator(std::span<const Timeframe> timeframes, PriceSide side,
                  const fx::FxCalendar& calendar);

  Status Update(const QuoteTick& tick) { return Update(std::span<const QuoteTick>(&tick, 1)); }
  Status Update(std::span<const QuoteTick> ticks);
  void OnTime(UnixNanos now);
  void Flush();

  size_t size() const { return aggs_.size(); }
  BarAggregator& at(size_t i) { return aggs_[i]; }
  const BarAggregator& at(size_t i) const { return aggs_[i]; }
  // nullptr if `tf` is not aggregated here.
  BarAggregator* Find(Timeframe tf);
  // Closed-market counts are the same for every timeframe; taken from the first.
  int64_t closed_market_ticks() const;

 private:
  std::vector<BarAggregator> aggs_;
};

}  // namespace arus::bars
