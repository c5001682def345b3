// Multi-timeframe view over COMPLETED bars, point-in-time by construction.
//
// A decision at time t may use a bar only once it is complete, i.e. when bar.ts_close <= t.
// MultiTimeframeView stores the completed bars of several timeframes (from BarAggregator /
// MultiAggregator, or loaded from the store) and answers "what was known at t": BarsClosedBy(tf, t)
// never returns the bar still forming at t, so an H4 or D1 bar cannot leak into an M1 decision
// before it closes. The answer at t depends only on ticks before t.
//
// Note for batch data: a bar emitted by Flush() at the end of the data keeps its nominal ts_close,
// so it is visible only at t >= ts_close even though the data ended earlier.
//
// Thread-safety: const methods may be called concurrently; Append needs exclusive access.
// Ownership: owns copies of the bars; returned spans are invalidated by Append.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "bars/bar_aggregator.h"
#include "bars/timeframe.h"
#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "fx/calendar.h"

namespace arus::bars {

class MultiTimeframeView {
 public:
  // Bars of one timeframe must come in time order and not overlap (ts_open < ts_close, ts_open >=
  // the previous bar's ts_close); otherwise InvalidArgument and nothing is appended.
  Status Append(Timeframe tf, const Bar& bar);
  Status Append(Timeframe tf, std::span<const Bar> bars);
  // Moves every aggregator's completed bars into the view (clears them in the aggregator).
  Status Drain(BarAggregator& aggregator);
  Status Drain(MultiAggregator& aggregators);

  // All completed bars with ts_close <= t, oldest first.
  std::span<const Bar> BarsClosedBy(Timeframe tf, UnixNanos t) const;
  // The last (up to) n of them, oldest first.
  std::span<const Bar> LastClosed(Timeframe tf, UnixNanos t, size_t n) const;
  // The most recent completed bar at t, nullptr if none.
  const Bar* LatestClosed(Timeframe tf, UnixNanos t) const;

  // Everything stored for `tf` (only meaningful for whole-history work, not for decisions at t).
  std::span<const Bar> all(Timeframe tf) const { return bars_[static_cast<size_t>(tf)]; }

 private:
  std::array<std::vector<Bar>, kTimeframeCount> bars_;
};

// Batch helper: one pass of a MultiAggregator over `ticks` (then Flush) into a view.
Result<MultiTimeframeView> BuildMultiTimeframeView(std::span<const QuoteTick> ticks,
                                                   std::span<const Timeframe> timeframes,
                                                   PriceSide side, const fx::FxCalendar& calendar);

}  // namespace arus::bars
