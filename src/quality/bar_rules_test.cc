// Focused tests of the bar rules and the bar_gap repair.
#include "quality/bar_validator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fx/calendar.h"
#include "quality/quality_test_util.h"

namespace arus::quality {
namespace {

using testing::T;

constexpr Duration kM1(kNanosPerMinute);
constexpr Duration kH1(kNanosPerHour);
constexpr Duration kD1(kNanosPerDay);

Price Pt(int64_t points) { return Price::FromScaled(points, 5); }

Bar MakeBar(UnixNanos open, Duration d, int64_t o, int64_t h, int64_t l, int64_t c) {
  Bar b;
  b.ts_open = open;
  b.ts_close = open + d;
  b.open = Pt(o);
  b.high = Pt(h);
  b.low = Pt(l);
  b.close = Pt(c);
  b.tick_count = 5;
  b.volume = 10;
  b.spread_mean = 0.00008;
  b.spread_max = Pt(12);
  return b;
}

// n valid consecutive bars from `start`.
std::vector<Bar> Bars(UnixNanos start, int n, Duration d) {
  std::vector<Bar> out;
  int64_t p = 110'000;
  for (int i = 0; i < n; ++i) {
    const int64_t c = p + (i % 5) - 2;
    out.push_back(MakeBar(start + d * i, d, p, std::max(p, c) + 3, std::min(p, c) - 3, c));
    p = c;
  }
  return out;
}

CleanedBars Clean(std::span<const Bar> bars, Duration d, const QualityConfig& c = {},
                  ingest::Quarantine* q = nullptr, UnixNanos from = UnixNanos::Min(),
                  UnixNanos to = UnixNanos::Max()) {
  BarValidatorOptions o;
  o.quarantine = q;
  o.expected_from = from;
  o.expected_to = to;
  Result<CleanedBars> r = CleanBars(bars, testing::Eurusd(), d, c, o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : CleanedBars{};
}

const UnixNanos kTue = T("2024-01-09T10:00:00Z");

TEST(BarRules, CleanBarsPassUntouched) {
  const std::vector<Bar> bars = Bars(kTue, 120, kM1);
  CleanedBars c = Clean(bars, kM1);
  EXPECT_EQ(c.bars, bars);
  EXPECT_EQ(c.filled, std::vector<uint8_t>(120, 0));
  for (const RuleStats& s : c.report.rules) EXPECT_EQ(s.hits, 0) << RuleName(s.rule);
  EXPECT_EQ(c.report.kind, "bars");
  EXPECT_EQ(c.report.rules.size(), 4u);
  EXPECT_EQ(c.report.rule(RuleId::kSpike), nullptr);
  EXPECT_EQ(c.report.score, 100);
  EXPECT_TRUE(c.report.hours.empty());
}

TEST(BarRules, OhlcInvariants) {
  std::vector<Bar> bars = Bars(kTue, 20, kM1);
  bars[3].low = bars[3].high + Pt(5);    // low > high (and so open, close outside)
  bars[7].open = bars[7].high + Pt(20);  // open above the high by 2 pips
  bars[9].close = bars[9].low - Pt(1);   // close below the low
  ingest::Quarantine q;
  CleanedBars c = Clean(bars, kM1, {}, &q);
  EXPECT_EQ(c.report.rule(RuleId::kBarOhlc)->hits, 3);
  EXPECT_EQ(c.bars.size(), 17u);
  EXPECT_EQ(q.counts_by_reason(), (std::map<std::string, int64_t>{{"bar_ohlc", 3}}));
  EXPECT_EQ(q.examples()[0].field, "ohlc");
  const std::vector<Example>& w = c.report.rule(RuleId::kBarOhlc)->worst;
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[0].ts, bars[7].ts_open);  // worst: 2 pips off
  EXPECT_DOUBLE_EQ(w[0].severity, 2.0);
  EXPECT_NE(w[0].why.find("open > high"), std::string::npos) << w[0].why;
  // Dropped bars leave holes, which are gaps of one bar each.
  EXPECT_EQ(c.report.gap_count, 3);
  EXPECT_EQ(c.report.rule(RuleId::kBarGap)->hits, 3);

  QualityConfig flag;
  flag.policy.bar_ohlc.policy = Policy::kFlag;
  CleanedBars kept = Clean(bars, kM1, flag);
  EXPECT_EQ(kept.bars, bars);
  EXPECT_EQ(kept.report.rule(RuleId::kBarOhlc)->hits, 3);
  EXPECT_EQ(kept.report.rows_bad, 3);
  EXPECT_EQ(kept.report.gap_count, 0);
}

TEST(BarRules, VolumeAndTickCount) {
  std::vector<Bar> bars = Bars(kTue, 20, kM1);
  bars[2].volume = -1;
  bars[4].volume = std::numeric_limits<double>::quiet_NaN();
  bars[6].tick_count = -3;
  bars[8].volume = 0;  // zero is fine
  bars[8].tick_count = 0;
  ingest::Quarantine q;
  CleanedBars c = Clean(bars, kM1, {}, &q);
  EXPECT_EQ(c.report.rule(RuleId::kBarVolume)->hits, 3);
  EXPECT_EQ(q.counts_by_reason(), (std::map<std::string, int64_t>{{"bar_volume", 3}}));
  EXPECT_EQ(c.bars.size(), 17u);
  QualityConfig off;
  off.policy.bar_volume.enabled = false;
  EXPECT_EQ(Clean(bars, kM1, off).bars.size(), 20u);
}

TEST(BarRules, OrderAndIntervals) {
  std::vector<Bar> bars = Bars(kTue, 10, kM1);
  Bar overlap = bars[4];
  overlap.ts_open = bars[4].ts_open + Duration(30 * kNanosPerSecond);
  overlap.ts_close = overlap.ts_open + kM1;
  bars.insert(bars.begin() + 5, overlap);  // opens 30 s before the previous bar closes
  bars[8].ts_close = bars[8].ts_open;      // empty interval
  ingest::Quarantine q;
  CleanedBars c = Clean(bars, kM1, {}, &q);
  EXPECT_EQ(c.report.rule(RuleId::kBarOrder)->hits, 2);
  EXPECT_EQ(q.counts_by_reason(), (std::map<std::string, int64_t>{{"bar_order", 2}}));
  EXPECT_EQ(c.bars.size(), 9u);
  // bars[8] (dropped) leaves a one-bar hole.
  EXPECT_EQ(c.report.gap_count, 1);
}

TEST(BarRules, GapFlagAndRepair) {
  std::vector<Bar> bars = Bars(kTue, 30, kM1);
  bars.erase(bars.begin() + 10, bars.begin() + 15);  // 5 missing minutes on a Tuesday
  CleanedBars flagged = Clean(bars, kM1);
  ASSERT_EQ(flagged.report.gap_count, 1);
  EXPECT_EQ(flagged.report.gaps[0].missing_bars, 5);
  EXPECT_EQ(flagged.report.gaps[0].start, bars[9].ts_close);
  EXPECT_EQ(flagged.report.gaps[0].end, bars[10].ts_open);
  EXPECT_EQ(flagged.report.gaps[0].open_duration, Duration(5 * kNanosPerMinute));
  EXPECT_EQ(flagged.report.rule(RuleId::kBarGap)->hits, 5);
  EXPECT_EQ(flagged.report.rule(RuleId::kBarGap)->events, 1);
  EXPECT_EQ(flagged.bars, bars);

  QualityConfig repair;
  repair.policy.bar_gap.policy = Policy::kRepair;
  CleanedBars fixed = Clean(bars, kM1, repair);
  ASSERT_EQ(fixed.bars.size(), 30u);
  ASSERT_EQ(fixed.filled.size(), 30u);
  for (int i = 0; i < 30; ++i) {
    const Bar& b = fixed.bars[i];
    EXPECT_EQ(b.ts_open, kTue + kM1 * i);
    EXPECT_EQ(b.ts_close, b.ts_open + kM1);
    if (i >= 10 && i < 15) {
      EXPECT_EQ(fixed.filled[i], 1);
      EXPECT_EQ(b.open, bars[9].close);
      EXPECT_EQ(b.high, bars[9].close);
      EXPECT_EQ(b.low, bars[9].close);
      EXPECT_EQ(b.close, bars[9].close);
      EXPECT_EQ(b.tick_count, 0);
      EXPECT_EQ(b.volume, 0);
    } else {
      EXPECT_EQ(fixed.filled[i], 0);
    }
  }
  EXPECT_EQ(fixed.report.rows_filled, 5);
  EXPECT_EQ(fixed.report.rule(RuleId::kBarGap)->repaired, 5);
  EXPECT_EQ(fixed.report.rows_out, 30);
}

TEST(BarRules, MinBars) {
  std::vector<Bar> bars = Bars(kTue, 40, kM1);
  bars.erase(bars.begin() + 30, bars.begin() + 33);  // 3 missing
  bars.erase(bars.begin() + 10, bars.begin() + 12);  // 2 missing
  QualityConfig c;
  c.policy.bar_gap.min_bars = 3;
  c.policy.bar_gap.policy = Policy::kRepair;
  CleanedBars r = Clean(bars, kM1, c);
  ASSERT_EQ(r.report.gap_count, 1);
  EXPECT_EQ(r.report.gaps[0].missing_bars, 3);
  EXPECT_EQ(r.report.rows_filled, 3);
  EXPECT_EQ(r.bars.size(), 38u);
}

TEST(BarRules, ClosuresAreNotGaps) {
  // M1 across a winter weekend: the last Friday bar closes at 17:00 New York, Sunday's first
  // opens at 17:00 New York.
  std::vector<Bar> m1 = Bars(T("2024-01-12T21:00:00Z"), 60, kM1);
  std::vector<Bar> sun = Bars(T("2024-01-14T22:00:00Z"), 60, kM1);
  m1.insert(m1.end(), sun.begin(), sun.end());
  EXPECT_EQ(Clean(m1, kM1).report.gap_count, 0);

  // H1 across the US DST change: Friday 8 Mar 16:00-17:00 EST, Sunday 10 Mar 17:00 EDT.
  std::vector<Bar> h1 = Bars(T("2024-03-08T12:00:00Z"), 10, kH1);
  std::vector<Bar> h1b = Bars(T("2024-03-10T21:00:00Z"), 10, kH1);
  h1.insert(h1.end(), h1b.begin(), h1b.end());
  EXPECT_EQ(Clean(h1, kH1).report.gap_count, 0);

  // D1 bars over Christmas and New Year: 25 Dec and 1 Jan have no bar and are not missing.
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  std::vector<Bar> d1;
  for (const fx::Date d : cal.TradingDays(fx::Date::FromYmd(2024, 12, 19), fx::Date::FromYmd(2025, 1, 8))) {
    const fx::TradingDayBounds b = cal.Bounds(d);
    d1.push_back(MakeBar(b.open, b.close - b.open, 110'000, 110'050, 109'950, 110'010));
  }
  CleanedBars ok = Clean(d1, kD1);
  EXPECT_EQ(ok.report.gap_count, 0) << ok.report.ToText();
  // Remove Friday 27 Dec: one missing daily bar.
  std::vector<Bar> holed;
  for (const Bar& b : d1) {
    if (cal.TradingDateOf(b.ts_open) != fx::Date::FromYmd(2024, 12, 27)) holed.push_back(b);
  }
  CleanedBars h = Clean(holed, kD1);
  ASSERT_EQ(h.report.gap_count, 1);
  EXPECT_EQ(h.report.gaps[0].missing_bars, 1);
  EXPECT_EQ(h.report.gaps[0].open_duration, kD1);
}

TEST(BarRules, ExpectedRangeEdges) {
  const std::vector<Bar> bars = Bars(kTue, 10, kM1);
  QualityConfig repair;
  repair.policy.bar_gap.policy = Policy::kRepair;
  CleanedBars c = Clean(bars, kM1, repair, nullptr, kTue - kM1 * 3, kTue + kM1 * 14);
  ASSERT_EQ(c.report.gap_count, 2);
  EXPECT_EQ(c.report.gaps[0].missing_bars, 3);  // leading: counted, cannot be filled
  EXPECT_EQ(c.report.gaps[1].missing_bars, 4);  // trailing: filled from the last close
  EXPECT_EQ(c.bars.size(), 14u);
  EXPECT_EQ(c.report.rows_filled, 4);
  EXPECT_EQ(c.bars.back().ts_close, kTue + kM1 * 14);
  EXPECT_EQ(c.bars.back().close, bars.back().close);
}

TEST(BarRules, ReportJsonAndBadArguments) {
  std::vector<Bar> bars = Bars(kTue, 30, kM1);
  bars.erase(bars.begin() + 10, bars.begin() + 12);
  const QualityReport r = Clean(bars, kM1).report;
  const nlohmann::json j = nlohmann::json::parse(r.ToJson());
  EXPECT_EQ(j["kind"], "bars");
  EXPECT_EQ(j["bar_duration"], "1m");
  EXPECT_EQ(j["gaps"]["rows"][0]["missing_bars"], 2);
  EXPECT_FALSE(j.contains("hours"));
  EXPECT_FALSE(j.contains("jumps"));
  EXPECT_NE(r.ToText().find("(2 bars)"), std::string::npos);
  // Score: 2 missing minutes in 30 of open market -> 200 * 2/30 + 1 = 14.33.
  EXPECT_DOUBLE_EQ(r.gap_penalty, 14.33);
  EXPECT_DOUBLE_EQ(r.score, 85.7);

  EXPECT_FALSE(BarValidator::Create({}, testing::Eurusd(), Duration(0)).ok());
  fx::Instrument bad = testing::Eurusd();
  bad.pip_size = 0;
  EXPECT_FALSE(BarValidator::Create({}, bad, kM1).ok());
}

}  // namespace
}  // namespace arus::quality
