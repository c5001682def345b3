#include "bars/multi_timeframe.h"

#include <algorithm>
#include <string>

namespace arus::bars {

namespace {

Status CheckNext(Timeframe tf, const Bar* prev, const Bar& bar) {
  if (!(bar.ts_open < bar.ts_close)) {
    return InvalidArgument(std::string(TimeframeName(tf)) + " bar at " + bar.ts_open.ToIso() +
                           ": ts_close " + bar.ts_close.ToIso() + " is not after ts_open");
  }
  if (prev != nullptr && bar.ts_open < prev->ts_close) {
    return InvalidArgument(std::string(TimeframeName(tf)) + " bar at " + bar.ts_open.ToIso() +
                           " is out of order or overlaps the previous bar closing at " +
                           prev->ts_close.ToIso());
  }
  return Status();
}

}  // namespace

Status MultiTimeframeView::Append(Timeframe tf, const Bar& bar) {
  return Append(tf, std::span<const Bar>(&bar, 1));
}

Status MultiTimeframeView::Append(Timeframe tf, std::span<const Bar> bars) {
  std::vector<Bar>& v = bars_[static_cast<size_t>(tf)];
  const Bar* prev = v.empty() ? nullptr : &v.back();
  for (const Bar& b : bars) {
    ARUS_RETURN_IF_ERROR(CheckNext(tf, prev, b));
    prev = &b;
  }
  v.insert(v.end(), bars.begin(), bars.end());
  return Status();
}

Status MultiTimeframeView::Drain(BarAggregator& aggregator) {
  std::vector<Bar>& v = bars_[static_cast<size_t>(aggregator.timeframe())];
  if (v.empty() && !aggregator.completed().empty()) {
    // Take the aggregator's buffer instead of copying (batch builds drain once).
    const Bar* prev = nullptr;
    for (const Bar& b : aggregator.completed()) {
      ARUS_RETURN_IF_ERROR(CheckNext(aggregator.timeframe(), prev, b));
      prev = &b;
    }
    v = aggregator.TakeCompleted();
    return Status();
  }
  ARUS_RETURN_IF_ERROR(Append(aggregator.timeframe(), aggregator.completed()));
  aggregator.ClearCompleted();
  return Status();
}

Status MultiTimeframeView::Drain(MultiAggregator& aggregators) {
  for (size_t i = 0; i < aggregators.size(); ++i) ARUS_RETURN_IF_ERROR(Drain(aggregators.at(i)));
  return Status();
}

std::span<const Bar> MultiTimeframeView::BarsClosedBy(Timeframe tf, UnixNanos t) const {
  const std::vector<Bar>& v = bars_[static_cast<size_t>(tf)];
  // Bars are ordered and disjoint, so ts_close is increasing.
  auto end = std::upper_bound(v.begin(), v.end(), t,
                              [](UnixNanos x, const Bar& b) { return x < b.ts_close; });
  return std::span<const Bar>(v.data(), static_cast<size_t>(end - v.begin()));
}

std::span<const Bar> MultiTimeframeView::LastClosed(Timeframe tf, UnixNanos t, size_t n) const {
  std::span<const Bar> all = BarsClosedBy(tf, t);
  return all.last(std::min(n, all.size()));
}

const Bar* MultiTimeframeView::LatestClosed(Timeframe tf, UnixNanos t) const {
  std::span<const Bar> all = BarsClosedBy(tf, t);
  return all.empty() ? nullptr : &all.back();
}

Result<MultiTimeframeView> BuildMultiTimeframeView(std::span<const QuoteTick> ticks,
                                                   std::span<const Timeframe> timeframes,
                                                   PriceSide side, const fx::FxCalendar& calendar) {
  MultiAggregator agg(timeframes, side, calendar);
  for (size_t i = 0; i < agg.size(); ++i) {
    agg.at(i).ReserveCompleted(BarCountBound(ticks, agg.at(i).timeframe()));
  }
  ARUS_RETURN_IF_ERROR(agg.Update(ticks));
  agg.Flush();
  MultiTimeframeView view;
  ARUS_RETURN_IF_ERROR(view.Drain(agg));
  return view;
}

}  // namespace arus::bars
