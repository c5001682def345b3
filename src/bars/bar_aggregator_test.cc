#include "bars/bar_aggregator.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "bars/bars_test_util.h"

namespace arus::bars {
namespace {

using testing::P;
using testing::Q;
using testing::RandomTicks;
using testing::T;

const fx::FxCalendar& Cal() { return fx::FxCalendar::Default(); }

std::vector<Bar> Aggregate(std::span<const QuoteTick> ticks, Timeframe tf,
                           PriceSide side = PriceSide::kMid, AggregateStats* stats = nullptr) {
  Result<std::vector<Bar>> r = AggregateTicks(ticks, tf, side, Cal(), stats);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : std::vector<Bar>{};
}

using Span = std::pair<std::string, std::string>;
std::vector<Span> Intervals(const std::vector<Bar>& bars) {
  std::vector<Span> out;
  for (const Bar& b : bars) out.emplace_back(b.ts_open.ToIso(), b.ts_close.ToIso());
  return out;
}

// Ticks every `step` in [from, to), alternating prices; no volume.
std::vector<QuoteTick> Grid(std::string_view from, std::string_view to, Duration step) {
  std::vector<QuoteTick> out;
  int i = 0;
  for (UnixNanos t = T(from); t < T(to); t += step, ++i) {
    out.push_back({t, Price::FromScaled(110'000 + i % 7, 5), Price::FromScaled(110'010 + i % 7, 5),
                   1.0f, 1.0f});
  }
  return out;
}

// ---- hand-checked bars -----------------------------------------------------------------------

// Tuesday 2024-01-09, market open. Four ticks in the 10:00 minute, one in 10:01.
std::vector<QuoteTick> HandTicks() {
  return {
      Q("2024-01-09T10:00:05Z", "1.10000", "1.10010", 1.0f, 2.0f),      // spread 10 points
      Q("2024-01-09T10:00:20Z", "1.10020", "1.10025", 0.5f, 0.5f),      // 5
      Q("2024-01-09T10:00:40Z", "1.09990", "1.10010", 2.0f, 1.0f),      // 20
      Q("2024-01-09T10:00:59.999Z", "1.10005", "1.10012", 0.0f, 0.0f),  // 7
      Q("2024-01-09T10:01:00Z", "1.10100", "1.10110", 0.25f, 0.5f),     // next minute
  };
}

void ExpectCommon(const std::vector<Bar>& bars) {
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(bars[0].ts_open, T("2024-01-09T10:00:00Z"));
  EXPECT_EQ(bars[0].ts_close, T("2024-01-09T10:01:00Z"));  // end of interval, not last tick
  EXPECT_EQ(bars[0].tick_count, 4);
  EXPECT_EQ(bars[0].volume, 7.0);
  EXPECT_DOUBLE_EQ(bars[0].spread_mean, 0.000105);  // (10 + 5 + 20 + 7) / 4 points
  EXPECT_EQ(bars[0].spread_max, P("0.0002"));
  EXPECT_EQ(bars[1].ts_open, T("2024-01-09T10:01:00Z"));
  EXPECT_EQ(bars[1].ts_close, T("2024-01-09T10:02:00Z"));
  EXPECT_EQ(bars[1].tick_count, 1);
  EXPECT_EQ(bars[1].volume, 0.75);
  EXPECT_DOUBLE_EQ(bars[1].spread_mean, 0.0001);
  EXPECT_EQ(bars[1].spread_max, P("0.0001"));
}

TEST(BarAggregatorTest, HandCheckedBid) {
  const std::vector<Bar> bars = Aggregate(HandTicks(), Timeframe::kM1, PriceSide::kBid);
  ExpectCommon(bars);
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(bars[0].open, P("1.10000"));
  EXPECT_EQ(bars[0].high, P("1.10020"));
  EXPECT_EQ(bars[0].low, P("1.09990"));
  EXPECT_EQ(bars[0].close, P("1.10005"));
  EXPECT_EQ(bars[1].open, P("1.10100"));
  EXPECT_EQ(bars[1].high, P("1.10100"));
  EXPECT_EQ(bars[1].low, P("1.10100"));
  EXPECT_EQ(bars[1].close, P("1.10100"));
}

TEST(BarAggregatorTest, HandCheckedAsk) {
  const std::vector<Bar> bars = Aggregate(HandTicks(), Timeframe::kM1, PriceSide::kAsk);
  ExpectCommon(bars);
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(bars[0].open, P("1.10010"));
  EXPECT_EQ(bars[0].high, P("1.10025"));
  EXPECT_EQ(bars[0].low, P("1.10010"));
  EXPECT_EQ(bars[0].close, P("1.10012"));
  EXPECT_EQ(bars[1].open, P("1.10110"));
  EXPECT_EQ(bars[1].close, P("1.10110"));
}

TEST(BarAggregatorTest, HandCheckedMid) {
  const std::vector<Bar> bars = Aggregate(HandTicks(), Timeframe::kM1, PriceSide::kMid);
  ExpectCommon(bars);
  ASSERT_EQ(bars.size(), 2u);
  EXPECT_EQ(bars[0].open, P("1.10005"));
  EXPECT_EQ(bars[0].high, P("1.100225"));
  EXPECT_EQ(bars[0].low, P("1.10000"));
  EXPECT_EQ(bars[0].close, P("1.100085"));
  EXPECT_EQ(bars[1].open, P("1.10105"));
  EXPECT_EQ(bars[1].close, P("1.10105"));
}

TEST(BarAggregatorTest, HandCheckedH1MergesBoth) {
  const std::vector<Bar> bars = Aggregate(HandTicks(), Timeframe::kH1, PriceSide::kBid);
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].ts_open, T("2024-01-09T10:00:00Z"));
  EXPECT_EQ(bars[0].ts_close, T("2024-01-09T11:00:00Z"));
  EXPECT_EQ(bars[0].open, P("1.10000"));
  EXPECT_EQ(bars[0].high, P("1.10100"));
  EXPECT_EQ(bars[0].low, P("1.09990"));
  EXPECT_EQ(bars[0].close, P("1.10100"));
  EXPECT_EQ(bars[0].tick_count, 5);
  EXPECT_EQ(bars[0].volume, 7.75);
  EXPECT_DOUBLE_EQ(bars[0].spread_mean, 0.000104);  // (10 + 5 + 20 + 7 + 10) / 5 points
  EXPECT_EQ(bars[0].spread_max, P("0.0002"));
}

TEST(BarAggregatorTest, EmptyIntervalsMakeNoBars) {
  const std::vector<QuoteTick> ticks = {Q("2024-01-09T10:00:30Z", "1.1", "1.1001"),
                                        Q("2024-01-09T10:07:10Z", "1.2", "1.2001"),
                                        Q("2024-01-09T13:00:00Z", "1.3", "1.3001")};
  EXPECT_EQ(Intervals(Aggregate(ticks, Timeframe::kM1)),
            (std::vector<Span>{{"2024-01-09T10:00:00Z", "2024-01-09T10:01:00Z"},
                               {"2024-01-09T10:07:00Z", "2024-01-09T10:08:00Z"},
                               {"2024-01-09T13:00:00Z", "2024-01-09T13:01:00Z"}}));
  EXPECT_EQ(Intervals(Aggregate(ticks, Timeframe::kM5)),
            (std::vector<Span>{{"2024-01-09T10:00:00Z", "2024-01-09T10:05:00Z"},
                               {"2024-01-09T10:05:00Z", "2024-01-09T10:10:00Z"},
                               {"2024-01-09T13:00:00Z", "2024-01-09T13:05:00Z"}}));
}

TEST(BarAggregatorTest, EmptyInput) {
  AggregateStats stats;
  stats.ticks = 99;
  Result<std::vector<Bar>> r = AggregateTicks({}, Timeframe::kH1, PriceSide::kMid, Cal(), &stats);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
  EXPECT_EQ(stats.ticks, 0);
  EXPECT_EQ(stats.closed_market_ticks, 0);
  BarAggregator agg(Timeframe::kM1, PriceSide::kBid, Cal());
  agg.OnTime(T("2024-01-09T10:00:00Z"));
  agg.Flush();
  EXPECT_TRUE(agg.completed().empty());
  EXPECT_FALSE(agg.Forming().has_value());
}

TEST(BarAggregatorTest, EqualTimestampsAreFine) {
  const std::vector<QuoteTick> ticks = {Q("2024-01-09T10:00:00Z", "1.1", "1.1001"),
                                        Q("2024-01-09T10:00:00Z", "1.2", "1.2001"),
                                        Q("2024-01-09T10:00:00Z", "1.0", "1.0001")};
  const std::vector<Bar> bars = Aggregate(ticks, Timeframe::kM1, PriceSide::kBid);
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].tick_count, 3);
  EXPECT_EQ(bars[0].open, P("1.1"));
  EXPECT_EQ(bars[0].high, P("1.2"));
  EXPECT_EQ(bars[0].low, P("1.0"));
  EXPECT_EQ(bars[0].close, P("1.0"));
}

// ---- errors ----------------------------------------------------------------------------------

TEST(BarAggregatorTest, OutOfOrderIsAnErrorNamingTheTick) {
  const std::vector<QuoteTick> ticks = {
      Q("2024-01-09T10:00:10Z", "1.1", "1.1001"), Q("2024-01-09T10:00:20Z", "1.1", "1.1001"),
      Q("2024-01-09T10:00:05Z", "1.1", "1.1001"), Q("2024-01-09T10:00:30Z", "1.1", "1.1001")};
  Result<std::vector<Bar>> r = AggregateTicks(ticks, Timeframe::kM1, PriceSide::kMid, Cal());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  const std::string& msg = r.status().message();
  EXPECT_NE(msg.find("2024-01-09T10:00:05Z"), std::string::npos) << msg;
  EXPECT_NE(msg.find("2024-01-09T10:00:20Z"), std::string::npos) << msg;
  EXPECT_NE(msg.find("out of order"), std::string::npos) << msg;
  EXPECT_NE(msg.find("#2"), std::string::npos) << msg;

  // Earlier ticks were applied, the bad one was not, and the aggregator stays usable.
  BarAggregator agg(Timeframe::kM1, PriceSide::kBid, Cal());
  EXPECT_FALSE(agg.Update(ticks).ok());
  EXPECT_EQ(agg.ticks_seen(), 2);
  ASSERT_TRUE(agg.Forming().has_value());
  EXPECT_EQ(agg.Forming()->tick_count, 2);
  EXPECT_TRUE(agg.Update(ticks[3]).ok());
  agg.Flush();
  ASSERT_EQ(agg.completed().size(), 1u);
  EXPECT_EQ(agg.completed()[0].tick_count, 3);
}

TEST(BarAggregatorTest, OutOfOrderAcrossBarsAndClosedMarket) {
  // Out of order at a bar boundary and during a weekend are caught on the slow path too.
  BarAggregator agg(Timeframe::kM1, PriceSide::kBid, Cal());
  ASSERT_TRUE(agg.Update(Q("2024-01-09T10:01:00Z", "1.1", "1.1001")).ok());
  EXPECT_FALSE(agg.Update(Q("2024-01-09T10:00:59Z", "1.1", "1.1001")).ok());
  BarAggregator wk(Timeframe::kM1, PriceSide::kBid, Cal());
  ASSERT_TRUE(wk.Update(Q("2024-01-13T10:00:00Z", "1.1", "1.1001")).ok());  // Saturday
  Status s = wk.Update(Q("2024-01-13T09:00:00Z", "1.1", "1.1001"));
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("2024-01-13T09:00:00Z"), std::string::npos);
  EXPECT_EQ(wk.closed_market_ticks(), 1);
}

// ---- live path -------------------------------------------------------------------------------

TEST(BarAggregatorTest, OnTimeClosesTheBarWithoutWaitingForATick) {
  BarAggregator agg(Timeframe::kM1, PriceSide::kBid, Cal());
  ASSERT_TRUE(agg.Update(Q("2024-01-09T10:00:10Z", "1.1", "1.1001")).ok());
  agg.OnTime(T("2024-01-09T10:00:59.999999999Z"));
  EXPECT_TRUE(agg.completed().empty());
  ASSERT_TRUE(agg.Forming().has_value());
  EXPECT_EQ(agg.Forming()->ts_close, T("2024-01-09T10:01:00Z"));
  agg.OnTime(T("2024-01-09T10:01:00Z"));
  ASSERT_EQ(agg.completed().size(), 1u);
  EXPECT_EQ(agg.completed()[0].ts_close, T("2024-01-09T10:01:00Z"));
  EXPECT_FALSE(agg.Forming().has_value());
  // A tick for the bar already emitted is late: an error, not silently merged or dropped.
  Status late = agg.Update(Q("2024-01-09T10:00:59Z", "1.1", "1.1001"));
  EXPECT_FALSE(late.ok());
  EXPECT_NE(late.message().find("late"), std::string::npos) << late.message();
  EXPECT_NE(late.message().find("2024-01-09T10:00:59Z"), std::string::npos);
  // A tick later than the closed bar but earlier than `now` is fine (clock ahead of feed).
  agg.OnTime(T("2024-01-09T10:01:30Z"));
  EXPECT_TRUE(agg.Update(Q("2024-01-09T10:01:10Z", "1.2", "1.2001")).ok());
  std::vector<Bar> taken = agg.TakeCompleted();
  EXPECT_EQ(taken.size(), 1u);
  EXPECT_TRUE(agg.completed().empty());
  agg.Flush();
  ASSERT_EQ(agg.completed().size(), 1u);
  EXPECT_EQ(agg.completed()[0].open, P("1.2"));
  // After Flush, ticks in the flushed interval are late too (no second bar for one interval).
  EXPECT_FALSE(agg.Update(Q("2024-01-09T10:01:20Z", "1.2", "1.2001")).ok());
  EXPECT_TRUE(agg.Update(Q("2024-01-09T10:02:00Z", "1.2", "1.2001")).ok());
}

// ---- closed market ---------------------------------------------------------------------------

TEST(BarAggregatorTest, WeekendTicksAreCountedNotMerged) {
  // Winter: the week closes Friday 22:00 UTC and reopens Sunday 22:00 UTC.
  const std::vector<QuoteTick> ticks = {
      Q("2024-01-12T21:59:59Z", "1.10", "1.1001"),  // Friday, last open second
      Q("2024-01-12T22:00:00Z", "1.50", "1.5001"),  // closed
      Q("2024-01-13T12:00:00Z", "1.60", "1.6001"),  // Saturday
      Q("2024-01-14T21:59:00Z", "1.70", "1.7001"),  // Sunday before the open
      Q("2024-01-14T22:00:00Z", "1.20", "1.2001"),  // open
  };
  for (Timeframe tf : kAllTimeframes) {
    AggregateStats stats;
    const std::vector<Bar> bars = Aggregate(ticks, tf, PriceSide::kBid, &stats);
    EXPECT_EQ(stats.ticks, 5);
    EXPECT_EQ(stats.closed_market_ticks, 3) << TimeframeName(tf);
    EXPECT_EQ(stats.first_closed_market_tick, T("2024-01-12T22:00:00Z"));
    EXPECT_EQ(stats.last_closed_market_tick, T("2024-01-14T21:59:00Z"));
    ASSERT_EQ(bars.size(), 2u) << TimeframeName(tf);
    for (const Bar& b : bars) {
      EXPECT_EQ(b.tick_count, 1);
      EXPECT_LT(b.high, P("1.5"));  // no weekend price leaked in
    }
    EXPECT_EQ(bars[0].close, P("1.10"));
    EXPECT_EQ(bars[1].open, P("1.20"));
  }
}

TEST(BarAggregatorTest, ChristmasAndNewYearClosures) {
  // Ticks every 10 minutes, 2024-12-20 .. 2025-01-04, weekends and holidays included. New York is
  // on EST throughout: trading days turn at 22:00 UTC.
  const std::vector<QuoteTick> ticks =
      Grid("2024-12-20T00:00:00Z", "2025-01-04T00:00:00Z", Duration(10 * kNanosPerMinute));
  const std::vector<Span> closed = {
      {"2024-12-20T22:00:00Z", "2024-12-22T22:00:00Z"},  // weekend
      {"2024-12-24T22:00:00Z", "2024-12-25T22:00:00Z"},  // Christmas (Wednesday)
      {"2024-12-27T22:00:00Z", "2024-12-29T22:00:00Z"},  // weekend
      {"2024-12-31T22:00:00Z", "2025-01-01T22:00:00Z"},  // New Year (Wednesday)
      {"2025-01-03T22:00:00Z", "2025-01-05T22:00:00Z"},  // weekend
  };
  int64_t expected_closed = 0;
  for (const QuoteTick& q : ticks) {
    for (const auto& [a, b] : closed) expected_closed += q.ts_event >= T(a) && q.ts_event < T(b);
  }
  ASSERT_GT(expected_closed, 0);

  AggregateStats stats;
  const std::vector<Bar> d1 = Aggregate(ticks, Timeframe::kD1, PriceSide::kMid, &stats);
  EXPECT_EQ(stats.closed_market_ticks, expected_closed);
  EXPECT_EQ(stats.first_closed_market_tick, T("2024-12-20T22:00:00Z"));
  EXPECT_EQ(stats.last_closed_market_tick, T("2025-01-03T23:50:00Z"));
  std::vector<std::string> labels;
  for (const Bar& b : d1) labels.push_back(TradingDateLabel(Timeframe::kD1, b, Cal()).ToString());
  EXPECT_EQ(labels, (std::vector<std::string>{"2024-12-20", "2024-12-23", "2024-12-24",
                                              "2024-12-26", "2024-12-27", "2024-12-30",
                                              "2024-12-31", "2025-01-02", "2025-01-03"}));
  ASSERT_EQ(d1.size(), 9u);
  EXPECT_EQ(d1[0].tick_count, 132);  // partial day: from 00:00 to 22:00 UTC
  int64_t in_bars = 0;
  for (size_t i = 0; i < d1.size(); ++i) {
    if (i > 0) {
      EXPECT_EQ(d1[i].tick_count, 144) << labels[i];
    }
    EXPECT_EQ(d1[i].ts_close - d1[i].ts_open, Duration(kNanosPerDay));
    in_bars += d1[i].tick_count;
  }
  EXPECT_EQ(in_bars + expected_closed, static_cast<int64_t>(ticks.size()));
  EXPECT_EQ(d1[3].ts_open, T("2024-12-25T22:00:00Z"));  // 26 Dec opens after Christmas

  // The Christmas week's W1 bar spans Sunday -> Friday but holds no Christmas tick.
  const std::vector<Bar> w1 = Aggregate(ticks, Timeframe::kW1);
  EXPECT_EQ(Intervals(w1), (std::vector<Span>{{"2024-12-15T22:00:00Z", "2024-12-20T22:00:00Z"},
                                              {"2024-12-22T22:00:00Z", "2024-12-27T22:00:00Z"},
                                              {"2024-12-29T22:00:00Z", "2025-01-03T22:00:00Z"}}));
  ASSERT_EQ(w1.size(), 3u);
  EXPECT_EQ(w1[0].tick_count, 132);
  EXPECT_EQ(w1[1].tick_count, 4 * 144);
  EXPECT_EQ(w1[2].tick_count, 4 * 144);
  EXPECT_EQ(TradingDateLabel(Timeframe::kW1, w1[1], Cal()), fx::Date::FromYmd(2024, 12, 23));

  // No intraday bar opens inside a closure.
  for (Timeframe tf : {Timeframe::kM30, Timeframe::kH1, Timeframe::kH4}) {
    for (const Bar& b : Aggregate(ticks, tf)) {
      for (const auto& [a, c] : closed) {
        EXPECT_FALSE(b.ts_open >= T(a) && b.ts_open < T(c))
            << TimeframeName(tf) << " " << b.ts_open.ToIso();
      }
    }
  }
}

// ---- calendar timeframes across DST ------------------------------------------------------------

TEST(BarAggregatorTest, D1AndW1AcrossNewYorkSpringSwitch) {
  const std::vector<QuoteTick> ticks =
      Grid("2024-03-06T00:00:00Z", "2024-03-14T00:00:00Z", Duration(7 * kNanosPerMinute));
  EXPECT_EQ(Intervals(Aggregate(ticks, Timeframe::kD1)),
            (std::vector<Span>{{"2024-03-05T22:00:00Z", "2024-03-06T22:00:00Z"},
                               {"2024-03-06T22:00:00Z", "2024-03-07T22:00:00Z"},
                               {"2024-03-07T22:00:00Z", "2024-03-08T22:00:00Z"},
                               {"2024-03-10T21:00:00Z", "2024-03-11T21:00:00Z"},
                               {"2024-03-11T21:00:00Z", "2024-03-12T21:00:00Z"},
                               {"2024-03-12T21:00:00Z", "2024-03-13T21:00:00Z"},
                               {"2024-03-13T21:00:00Z", "2024-03-14T21:00:00Z"}}));
  EXPECT_EQ(Intervals(Aggregate(ticks, Timeframe::kW1)),
            (std::vector<Span>{{"2024-03-03T22:00:00Z", "2024-03-08T22:00:00Z"},
                               {"2024-03-10T21:00:00Z", "2024-03-15T21:00:00Z"}}));
  AggregateStats stats;
  Aggregate(ticks, Timeframe::kH1, PriceSide::kMid, &stats);
  EXPECT_EQ(stats.first_closed_market_tick, T("2024-03-08T22:00:00Z"));
}

TEST(BarAggregatorTest, D1AndW1AcrossNewYorkAutumnSwitch) {
  const std::vector<QuoteTick> ticks =
      Grid("2024-10-30T00:00:00Z", "2024-11-07T00:00:00Z", Duration(7 * kNanosPerMinute));
  EXPECT_EQ(Intervals(Aggregate(ticks, Timeframe::kD1)),
            (std::vector<Span>{{"2024-10-29T21:00:00Z", "2024-10-30T21:00:00Z"},
                               {"2024-10-30T21:00:00Z", "2024-10-31T21:00:00Z"},
                               {"2024-10-31T21:00:00Z", "2024-11-01T21:00:00Z"},
                               {"2024-11-03T22:00:00Z", "2024-11-04T22:00:00Z"},
                               {"2024-11-04T22:00:00Z", "2024-11-05T22:00:00Z"},
                               {"2024-11-05T22:00:00Z", "2024-11-06T22:00:00Z"},
                               {"2024-11-06T22:00:00Z", "2024-11-07T22:00:00Z"}}));
  EXPECT_EQ(Intervals(Aggregate(ticks, Timeframe::kW1)),
            (std::vector<Span>{{"2024-10-27T21:00:00Z", "2024-11-01T21:00:00Z"},
                               {"2024-11-03T22:00:00Z", "2024-11-08T22:00:00Z"}}));
}

TEST(BarAggregatorTest, D1IgnoresEuropeanSwitches) {
  // Europe moves its clocks on 2024-03-31 and 2024-10-27; New York does not (EDT on both sides),
  // so the day keeps turning at 21:00 UTC.
  const std::vector<QuoteTick> spring =
      Grid("2024-03-28T00:00:00Z", "2024-04-03T00:00:00Z", Duration(7 * kNanosPerMinute));
  EXPECT_EQ(Intervals(Aggregate(spring, Timeframe::kD1)),
            (std::vector<Span>{{"2024-03-27T21:00:00Z", "2024-03-28T21:00:00Z"},
                               {"2024-03-28T21:00:00Z", "2024-03-29T21:00:00Z"},
                               {"2024-03-31T21:00:00Z", "2024-04-01T21:00:00Z"},
                               {"2024-04-01T21:00:00Z", "2024-04-02T21:00:00Z"},
                               {"2024-04-02T21:00:00Z", "2024-04-03T21:00:00Z"}}));
  const std::vector<QuoteTick> autumn =
      Grid("2024-10-24T00:00:00Z", "2024-10-30T00:00:00Z", Duration(7 * kNanosPerMinute));
  EXPECT_EQ(Intervals(Aggregate(autumn, Timeframe::kD1)),
            (std::vector<Span>{{"2024-10-23T21:00:00Z", "2024-10-24T21:00:00Z"},
                               {"2024-10-24T21:00:00Z", "2024-10-25T21:00:00Z"},
                               {"2024-10-27T21:00:00Z", "2024-10-28T21:00:00Z"},
                               {"2024-10-28T21:00:00Z", "2024-10-29T21:00:00Z"},
                               {"2024-10-29T21:00:00Z", "2024-10-30T21:00:00Z"}}));
  EXPECT_EQ(Intervals(Aggregate(autumn, Timeframe::kW1)),
            (std::vector<Span>{{"2024-10-20T21:00:00Z", "2024-10-25T21:00:00Z"},
                               {"2024-10-27T21:00:00Z", "2024-11-01T21:00:00Z"}}));
}

TEST(BarAggregatorTest, H4BarsStartAt17_21_01_05_09_13NewYork) {
  // One EDT trading day (2024-03-12: 21:00 UTC anchor) and one EST day (2024-11-05: 22:00 UTC).
  const std::vector<QuoteTick> edt =
      Grid("2024-03-11T21:00:00Z", "2024-03-12T21:00:00Z", Duration(5 * kNanosPerMinute));
  EXPECT_EQ(Intervals(Aggregate(edt, Timeframe::kH4)),
            (std::vector<Span>{{"2024-03-11T21:00:00Z", "2024-03-12T01:00:00Z"},
                               {"2024-03-12T01:00:00Z", "2024-03-12T05:00:00Z"},
                               {"2024-03-12T05:00:00Z", "2024-03-12T09:00:00Z"},
                               {"2024-03-12T09:00:00Z", "2024-03-12T13:00:00Z"},
                               {"2024-03-12T13:00:00Z", "2024-03-12T17:00:00Z"},
                               {"2024-03-12T17:00:00Z", "2024-03-12T21:00:00Z"}}));
  const std::vector<QuoteTick> est =
      Grid("2024-11-04T22:00:00Z", "2024-11-05T22:00:00Z", Duration(5 * kNanosPerMinute));
  const std::vector<Bar> h4 = Aggregate(est, Timeframe::kH4);
  EXPECT_EQ(Intervals(h4), (std::vector<Span>{{"2024-11-04T22:00:00Z", "2024-11-05T02:00:00Z"},
                                              {"2024-11-05T02:00:00Z", "2024-11-05T06:00:00Z"},
                                              {"2024-11-05T06:00:00Z", "2024-11-05T10:00:00Z"},
                                              {"2024-11-05T10:00:00Z", "2024-11-05T14:00:00Z"},
                                              {"2024-11-05T14:00:00Z", "2024-11-05T18:00:00Z"},
                                              {"2024-11-05T18:00:00Z", "2024-11-05T22:00:00Z"}}));
  for (const Bar& b : h4) EXPECT_EQ(b.tick_count, 48);
}

// ---- streaming = batch ------------------------------------------------------------------------

// Feeds ticks one at a time with OnTime calls at random instants between ticks (never past the
// next tick), draining as a live consumer would. Checks that no bar is emitted before its
// ts_close has been reached.
std::vector<Bar> Stream(std::span<const QuoteTick> ticks, Timeframe tf, PriceSide side,
                        uint64_t seed) {
  std::mt19937_64 rng(seed);
  BarAggregator agg(tf, side, Cal());
  std::vector<Bar> out;
  int64_t clock = std::numeric_limits<int64_t>::min();
  auto drain = [&] {
    for (const Bar& b : agg.completed()) {
      EXPECT_LE(b.ts_close.ns(), clock) << "bar emitted before it was complete";
    }
    const std::vector<Bar> got = agg.TakeCompleted();
    out.insert(out.end(), got.begin(), got.end());
  };
  for (size_t i = 0; i < ticks.size(); ++i) {
    const int64_t ts = ticks[i].ts_event.ns();
    if (i > 0 && rng() % 3 == 0) {
      const int64_t prev = ticks[i - 1].ts_event.ns();
      const int64_t now = prev + static_cast<int64_t>(rng() % static_cast<uint64_t>(ts - prev + 1));
      agg.OnTime(UnixNanos(now));
      clock = std::max(clock, now);
      if (std::optional<Bar> f = agg.Forming()) {
        EXPECT_GT(f->ts_close.ns(), now);
      }
      drain();
    }
    EXPECT_TRUE(agg.Update(ticks[i]).ok());
    clock = std::max(clock, ts);
    if (rng() % 4 == 0) drain();
  }
  drain();
  agg.Flush();
  out.insert(out.end(), agg.completed().begin(), agg.completed().end());
  return out;
}

std::vector<Bar> Chunked(std::span<const QuoteTick> ticks, Timeframe tf, PriceSide side,
                         uint64_t seed) {
  std::mt19937_64 rng(seed);
  BarAggregator agg(tf, side, Cal());
  size_t i = 0;
  while (i < ticks.size()) {
    const size_t n = std::min<size_t>(ticks.size() - i, rng() % 5000);
    EXPECT_TRUE(agg.Update(ticks.subspan(i, n)).ok());
    i += n;
  }
  agg.Flush();
  return agg.TakeCompleted();
}

TEST(BarAggregatorTest, StreamingEqualsBatchBitForBit) {
  // ~3 months from 2024-02-26: crosses both March DST switches, weekends, gaps.
  const std::vector<QuoteTick> ticks = RandomTicks(7, T("2024-02-26T00:00:00Z"), 30'000);
  ASSERT_GT(ticks.back().ts_event, T("2024-04-01T00:00:00Z"));
  uint64_t seed = 100;
  for (Timeframe tf : kAllTimeframes) {
    for (PriceSide side : {PriceSide::kBid, PriceSide::kAsk, PriceSide::kMid}) {
      AggregateStats stats;
      const std::vector<Bar> batch = Aggregate(ticks, tf, side, &stats);
      ASSERT_FALSE(batch.empty());
      EXPECT_GT(stats.closed_market_ticks, 0);
      int64_t in_bars = 0;
      for (size_t i = 0; i < batch.size(); ++i) {
        in_bars += batch[i].tick_count;
        ASSERT_LT(batch[i].ts_open, batch[i].ts_close);
        if (i > 0) {
          ASSERT_LE(batch[i - 1].ts_close, batch[i].ts_open);
        }
        ASSERT_EQ(BucketOf(tf, batch[i].ts_open, Cal()),
                  (BarInterval{batch[i].ts_open, batch[i].ts_close}));
      }
      EXPECT_EQ(in_bars + stats.closed_market_ticks, static_cast<int64_t>(ticks.size()));
      EXPECT_LE(batch.size(), BarCountBound(ticks, tf));
      // operator== compares every field exactly, doubles included.
      EXPECT_TRUE(Stream(ticks, tf, side, ++seed) == batch) << TimeframeName(tf);
      EXPECT_TRUE(Chunked(ticks, tf, side, ++seed) == batch) << TimeframeName(tf);
    }
  }
}

Price SidePx(const QuoteTick& q, PriceSide side) {
  return side == PriceSide::kBid ? q.bid : side == PriceSide::kAsk ? q.ask : q.mid();
}

// A slow, obviously correct reference: group open-market ticks by BucketOf, in order.
std::vector<Bar> NaiveBars(std::span<const QuoteTick> ticks, Timeframe tf, PriceSide side) {
  std::vector<Bar> ref;
  std::vector<int64_t> spread_sums;
  for (const QuoteTick& q : ticks) {
    if (!Cal().IsOpen(q.ts_event)) continue;
    const BarInterval iv = BucketOf(tf, q.ts_event, Cal());
    const Price px = SidePx(q, side);
    if (ref.empty() || ref.back().ts_open != iv.open) {
      Bar b;
      b.ts_open = iv.open;
      b.ts_close = iv.close;
      b.open = b.high = b.low = px;
      b.spread_max = q.spread();
      ref.push_back(b);
      spread_sums.push_back(0);
    }
    Bar& b = ref.back();
    b.high = std::max(b.high, px);
    b.low = std::min(b.low, px);
    b.close = px;
    b.tick_count++;
    b.volume += static_cast<double>(q.bid_volume) + static_cast<double>(q.ask_volume);
    b.spread_max = std::max(b.spread_max, q.spread());
    spread_sums.back() += q.spread().raw();
  }
  for (size_t i = 0; i < ref.size(); ++i) {
    ref[i].spread_mean =
        static_cast<double>(spread_sums[i]) / static_cast<double>(ref[i].tick_count) / 1e9;
  }
  return ref;
}

TEST(BarAggregatorTest, MatchesNaiveReference) {
  std::vector<QuoteTick> ticks = RandomTicks(11, T("2024-10-14T00:00:00Z"), 20'000);
  // A second set with arbitrary nano-unit prices: odd bid + ask sums (mid truncation), negative
  // values, crossed quotes (negative spreads).
  std::vector<QuoteTick> odd = ticks;
  std::mt19937_64 rng(12);
  for (QuoteTick& q : odd) {
    q.bid = Price::FromRaw(static_cast<int64_t>(rng() % 4'000'000'001) - 1'000'000'000);
    q.ask = Price::FromRaw(q.bid.raw() + static_cast<int64_t>(rng() % 2001) - 200);
  }
  for (Timeframe tf : kAllTimeframes) {
    for (PriceSide side : {PriceSide::kBid, PriceSide::kAsk, PriceSide::kMid}) {
      EXPECT_TRUE(Aggregate(ticks, tf, side) == NaiveBars(ticks, tf, side)) << TimeframeName(tf);
      EXPECT_TRUE(Aggregate(odd, tf, side) == NaiveBars(odd, tf, side))
          << TimeframeName(tf) << " " << PriceSideName(side);
    }
  }
}

// ---- MultiAggregator --------------------------------------------------------------------------

TEST(MultiAggregatorTest, EqualsSeparateAggregation) {
  const std::vector<QuoteTick> ticks = RandomTicks(3, T("2024-10-21T00:00:00Z"), 25'000);
  MultiAggregator multi(kAllTimeframes, PriceSide::kAsk, Cal());
  ASSERT_TRUE(multi.Update(ticks).ok());
  multi.Flush();
  ASSERT_EQ(multi.size(), kAllTimeframes.size());
  for (Timeframe tf : kAllTimeframes) {
    BarAggregator* a = multi.Find(tf);
    ASSERT_NE(a, nullptr);
    EXPECT_TRUE(a->completed() == Aggregate(ticks, tf, PriceSide::kAsk)) << TimeframeName(tf);
    EXPECT_EQ(a->ticks_seen(), static_cast<int64_t>(ticks.size()));
  }
  EXPECT_GT(multi.closed_market_ticks(), 0);
}

TEST(MultiAggregatorTest, ErrorsLeaveAllTimeframesConsistent) {
  std::vector<QuoteTick> ticks = RandomTicks(5, T("2024-01-08T00:00:00Z"), 9'000);
  // Swap two ticks with different times in the middle of the second chunk.
  size_t k = 6000;
  while (ticks[k].ts_event == ticks[k + 1].ts_event) ++k;
  std::swap(ticks[k], ticks[k + 1]);
  const Timeframe tfs[] = {Timeframe::kM1, Timeframe::kH1, Timeframe::kD1};
  MultiAggregator multi(tfs, PriceSide::kMid, Cal());
  Status s = multi.Update(ticks);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(ticks[k + 1].ts_event.ToIso()), std::string::npos) << s.message();
  for (size_t i = 0; i < multi.size(); ++i) {
    EXPECT_EQ(multi.at(i).ticks_seen(), static_cast<int64_t>(k + 1));
  }

  // Late for M1 (closed by OnTime) but inside H1's forming bar: rejected by all.
  MultiAggregator live(tfs, PriceSide::kMid, Cal());
  ASSERT_TRUE(live.Update(Q("2024-01-09T10:00:10Z", "1.1", "1.1001")).ok());
  live.OnTime(T("2024-01-09T10:01:00Z"));
  EXPECT_FALSE(live.Update(Q("2024-01-09T10:00:50Z", "1.1", "1.1001")).ok());
  EXPECT_EQ(live.Find(Timeframe::kH1)->Forming()->tick_count, 1);
  EXPECT_EQ(live.Find(Timeframe::kM1)->completed().size(), 1u);
  EXPECT_TRUE(live.Update(Q("2024-01-09T10:01:50Z", "1.1", "1.1001")).ok());
  EXPECT_EQ(live.Find(Timeframe::kH1)->Forming()->tick_count, 2);
}

}  // namespace
}  // namespace arus::bars
