// End-to-end: clean synthetic FX ticks (ingest::GenerateSyntheticTicks) spanning a weekend, the US
// DST change and, separately, Christmas and New Year; then the same ticks with planted defects.
// The report must find every planted defect, exactly, and nothing else.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "fx/calendar.h"
#include "ingest/synthetic_market.h"
#include "quality/quality_test_util.h"

namespace arus::quality {
namespace {

using testing::Events;
using testing::Hits;
using testing::T;

std::vector<QuoteTick> Synthetic(const std::string& symbol, std::string_view from,
                                 std::string_view to, double scale, uint64_t seed = 7) {
  ingest::SyntheticOptions o;
  o.symbols = {symbol};
  o.from = T(from);
  o.to = T(to);
  o.seed = seed;
  o.tick_rate_scale = scale;
  Result<std::vector<std::vector<QuoteTick>>> r =
      ingest::GenerateSyntheticTicks(o, fx::InstrumentTable::Builtin());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move((*r)[0]) : std::vector<QuoteTick>{};
}

const fx::Instrument& Instr(const std::string& symbol) {
  return **fx::InstrumentTable::Builtin().Find(symbol);
}

// Index of the first tick at or after `iso`.
size_t At(const std::vector<QuoteTick>& ticks, std::string_view iso) {
  const UnixNanos t = T(iso);
  return static_cast<size_t>(
      std::lower_bound(ticks.begin(), ticks.end(), t,
                       [](const QuoteTick& q, UnixNanos x) { return q.ts_event < x; }) -
      ticks.begin());
}

Price Shift(Price p, int64_t points) { return p + Price::FromScaled(points, 5); }

// Clean data: no rule fires with the default config, across weekends, the US DST change
// (10 Mar 2024) and over Christmas and New Year.
TEST(PlantedDefects, CleanSyntheticDataIsClean) {
  struct Case {
    std::string symbol;
    std::string from, to;
    double scale;
  };
  const std::vector<Case> cases = {
      {"EURUSD", "2024-03-05", "2024-03-16", 0.1},
      {"USDJPY", "2024-03-05", "2024-03-16", 0.05},
      {"EURUSD", "2024-12-20", "2025-01-04", 0.1},
      {"GBPUSD", "2024-12-20", "2025-01-04", 0.2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.symbol + " " + c.from + ".." + c.to);
    const std::vector<QuoteTick> ticks = Synthetic(c.symbol, c.from, c.to, c.scale);
    ASSERT_GT(ticks.size(), 10000u);
    testing::Run run = testing::Validate(ticks, {}, nullptr, 4096, UnixNanos::Min(),
                                         UnixNanos::Max(), Instr(c.symbol));
    const QualityReport& r = run.report;
    for (const RuleStats& s : r.rules) {
      EXPECT_EQ(s.hits, 0) << RuleName(s.rule);
      EXPECT_EQ(s.events, 0) << RuleName(s.rule);
    }
    EXPECT_EQ(r.gap_count, 0);
    EXPECT_EQ(r.rows_out, static_cast<int64_t>(ticks.size()));
    EXPECT_EQ(run.out, ticks);
    EXPECT_EQ(r.rows_while_closed, 0);
    EXPECT_EQ(r.score, 100.0);
    // The profile has every New York hour except the weekend-only ones... all 24 trade.
    for (const HourProfile& h : r.hours) {
      EXPECT_GT(h.ticks, 0) << h.hour;
      EXPECT_GT(h.ticks_per_minute, 0) << h.hour;
      EXPECT_GT(h.spread_median_pips, 0) << h.hour;
      EXPECT_GE(h.spread_p95_pips, h.spread_median_pips) << h.hour;
    }
  }
}

struct Planted {
  std::vector<QuoteTick> ticks;
  std::vector<UnixNanos> spikes;
  UnixNanos jump;
  UnixNanos gap_start, gap_end;
  std::vector<UnixNanos> crossed;
  UnixNanos stale_start;
  int64_t stale_ticks_past_limit = 0;
  int64_t stale_run_ticks = 0;
  std::vector<UnixNanos> blowouts;
  std::vector<UnixNanos> duplicates;
  UnixNanos out_of_order;
};

// EURUSD, Tue 5 Mar .. Fri 15 Mar 2024 (the weekend of 9-10 Mar holds the US DST change).
Planted MakePlanted() {
  Planted p;
  std::vector<QuoteTick> v = Synthetic("EURUSD", "2024-03-05", "2024-03-16", 0.1);
  // Spikes: one tick 40 pips up, the next tick is back.
  for (const char* iso : {"2024-03-06T14:00:00Z", "2024-03-07T15:30:00Z", "2024-03-11T13:00:00Z"}) {
    QuoteTick& t = v[At(v, iso)];
    t.bid = Shift(t.bid, 400);
    t.ask = Shift(t.ask, 400);
    p.spikes.push_back(t.ts_event);
  }
  // Crossed quotes.
  for (const char* iso : {"2024-03-13T10:00:00Z", "2024-03-13T10:05:00Z", "2024-03-13T10:10:00Z",
                          "2024-03-13T10:15:00Z"}) {
    QuoteTick& t = v[At(v, iso)];
    std::swap(t.bid, t.ask);
    p.crossed.push_back(t.ts_event);
  }
  // A stale run: 12 minutes of ticks repeating one quote.
  {
    const size_t a = At(v, "2024-03-14T12:00:00Z"), b = At(v, "2024-03-14T12:12:00Z");
    p.stale_start = v[a].ts_event;
    for (size_t i = a; i < b; ++i) {
      v[i].bid = v[a].bid;
      v[i].ask = v[a].ask;
      ++p.stale_run_ticks;
      if (v[i].ts_event - p.stale_start > Duration(5 * kNanosPerMinute)) ++p.stale_ticks_past_limit;
    }
  }
  // A spread blow-out: five ticks widened to ~30 pips around an unchanged mid.
  {
    const size_t a = At(v, "2024-03-15T13:00:00Z");
    for (size_t i = a; i < a + 5; ++i) {
      v[i].bid = Shift(v[i].bid, -145);
      v[i].ask = Shift(v[i].ask, 145);
      p.blowouts.push_back(v[i].ts_event);
    }
  }
  // One tick stamped a second before its predecessor.
  {
    const size_t i = At(v, "2024-03-14T16:00:00Z");
    v[i].ts_event = v[i - 1].ts_event - Duration(kNanosPerSecond);
    p.out_of_order = v[i].ts_event;
  }
  // A persistent jump: +60 pips from Tue 12 Mar 15:00 UTC to the end.
  {
    const size_t a = At(v, "2024-03-12T15:00:00Z");
    p.jump = v[a].ts_event;
    for (size_t i = a; i < v.size(); ++i) {
      v[i].bid = Shift(v[i].bid, 600);
      v[i].ask = Shift(v[i].ask, 600);
    }
  }
  // Exact duplicates of two ticks.
  for (const char* iso : {"2024-03-13T16:30:00Z", "2024-03-13T16:00:00Z"}) {
    const size_t i = At(v, iso);
    v.insert(v.begin() + static_cast<std::ptrdiff_t>(i) + 1, v[i]);
    p.duplicates.insert(p.duplicates.begin(), v[i].ts_event);
  }
  // A 30-minute hole on Tuesday afternoon, 14:00-14:30 New York (EDT, UTC-4).
  {
    const size_t a = At(v, "2024-03-12T18:00:00Z"), b = At(v, "2024-03-12T18:30:00Z");
    p.gap_start = v[a - 1].ts_event;
    p.gap_end = v[b].ts_event;
    v.erase(v.begin() + static_cast<std::ptrdiff_t>(a), v.begin() + static_cast<std::ptrdiff_t>(b));
  }
  p.ticks = std::move(v);
  return p;
}

std::vector<UnixNanos> ExampleTimes(const QualityReport& r, RuleId id) {
  std::vector<UnixNanos> out;
  for (const Example& e : r.rule(id)->worst) out.push_back(e.ts);
  std::sort(out.begin(), out.end());
  return out;
}

TEST(PlantedDefects, ReportFindsEveryPlantedDefect) {
  const Planted p = MakePlanted();
  ingest::Quarantine q(100);
  testing::Run run = testing::Validate(p.ticks, {}, &q, 4096);
  const QualityReport& r = run.report;
  SCOPED_TRACE(r.ToText());
  if (std::getenv("QUALITY_PRINT")) std::cout << r.ToText() << r.ToJson().substr(0, 3000);

  EXPECT_EQ(Hits(r, RuleId::kSpike), 3);
  EXPECT_EQ(Events(r, RuleId::kSpike), 3);
  EXPECT_EQ(ExampleTimes(r, RuleId::kSpike), p.spikes);

  EXPECT_EQ(Hits(r, RuleId::kCrossed), 4);
  EXPECT_EQ(ExampleTimes(r, RuleId::kCrossed), p.crossed);

  EXPECT_EQ(Events(r, RuleId::kStale), 1);
  EXPECT_EQ(Hits(r, RuleId::kStale), p.stale_ticks_past_limit);
  ASSERT_EQ(r.rule(RuleId::kStale)->worst.size(), 1u);
  EXPECT_EQ(r.rule(RuleId::kStale)->worst[0].ts, p.stale_start);
  EXPECT_NE(r.rule(RuleId::kStale)->worst[0].why.find(std::to_string(p.stale_run_ticks) + " ticks"),
            std::string::npos);

  EXPECT_EQ(Hits(r, RuleId::kSpread), 5);
  EXPECT_EQ(ExampleTimes(r, RuleId::kSpread), p.blowouts);

  EXPECT_EQ(Hits(r, RuleId::kDuplicate), 2);
  EXPECT_EQ(ExampleTimes(r, RuleId::kDuplicate), p.duplicates);

  EXPECT_EQ(Hits(r, RuleId::kTimeOrder), 1);
  EXPECT_EQ(ExampleTimes(r, RuleId::kTimeOrder), std::vector<UnixNanos>{p.out_of_order});

  EXPECT_EQ(Hits(r, RuleId::kLocked), 0);

  // Exactly one gap: the planted one. Not the weekend (with the DST change), not the rollovers.
  ASSERT_EQ(r.gap_count, 1);
  ASSERT_EQ(r.gaps.size(), 1u);
  EXPECT_EQ(r.gaps[0].start, p.gap_start);
  EXPECT_EQ(r.gaps[0].end, p.gap_end);
  EXPECT_EQ(r.gaps[0].open_duration, p.gap_end - p.gap_start);
  EXPECT_GE(r.gaps[0].open_duration, Duration(30 * kNanosPerMinute));

  // The persistent jump is a genuine jump, not an error.
  bool found = false;
  for (const Jump& j : r.jumps) {
    if (j.ts == p.jump) {
      found = true;
      EXPECT_NEAR(j.pips, 60, 3);
    }
  }
  EXPECT_TRUE(found) << "planted jump at " << p.jump.ToIso() << " not listed";

  // Policies: spikes, crossed, duplicates and the out-of-order tick are dropped (defaults);
  // stale and spread are flagged and kept.
  const int64_t dropped = 3 + 4 + 2 + 1;
  EXPECT_EQ(r.rows_in, static_cast<int64_t>(p.ticks.size()));
  EXPECT_EQ(r.rows_dropped, dropped);
  EXPECT_EQ(r.rows_out, r.rows_in - dropped);
  EXPECT_EQ(static_cast<int64_t>(run.out.size()), r.rows_out);
  EXPECT_EQ(q.total(), dropped);
  const std::map<std::string, int64_t> by_reason = {
      {"crossed", 4}, {"duplicate", 2}, {"spike", 3}, {"time_order", 1}};
  EXPECT_EQ(q.counts_by_reason(), by_reason);
  for (const UnixNanos t : p.spikes) {
    EXPECT_TRUE(std::none_of(run.out.begin(), run.out.end(),
                             [&](const QuoteTick& x) { return x.ts_event == t; }));
  }
  EXPECT_TRUE(std::is_sorted(run.out.begin(), run.out.end(),
                             [](const QuoteTick& a, const QuoteTick& b) {
                               return a.ts_event < b.ts_event;
                             }));
  EXPECT_EQ(r.rows_while_closed, 0);
  EXPECT_LT(r.score, 100.0);
  EXPECT_GT(r.score, 50.0);
}

TEST(PlantedDefects, FlagEverythingKeepsEveryRow) {
  const Planted p = MakePlanted();
  QualityConfig c;
  c.policy.time_order.policy = c.policy.duplicate.policy = c.policy.crossed.policy =
      c.policy.spike.policy = Policy::kFlag;
  ingest::Quarantine q;
  testing::Run run = testing::Validate(p.ticks, c, &q, 4096);
  EXPECT_EQ(run.report.rows_out, static_cast<int64_t>(p.ticks.size()));
  EXPECT_EQ(run.out, p.ticks);
  EXPECT_EQ(q.total(), 0);
  EXPECT_EQ(Hits(run.report, RuleId::kSpike), 3);
  EXPECT_EQ(Hits(run.report, RuleId::kCrossed), 4);
  EXPECT_EQ(Hits(run.report, RuleId::kDuplicate), 2);
  EXPECT_EQ(Hits(run.report, RuleId::kTimeOrder), 1);
  EXPECT_EQ(run.report.gap_count, 1);
}

TEST(PlantedDefects, ReportIsDeterministicAndChunkingDoesNotMatter) {
  const Planted p = MakePlanted();
  testing::Run a = testing::Validate(p.ticks, {}, nullptr, 4096);
  testing::Run b = testing::Validate(p.ticks, {}, nullptr, 4096);
  testing::Run c = testing::Validate(p.ticks, {}, nullptr, 1);
  testing::Run d = testing::Validate(p.ticks, {}, nullptr, 777);
  const std::string ja = a.report.ToJson();
  EXPECT_EQ(ja, b.report.ToJson());
  EXPECT_EQ(ja, c.report.ToJson());
  EXPECT_EQ(ja, d.report.ToJson());
  EXPECT_EQ(a.report.ToText(), c.report.ToText());
  EXPECT_EQ(a.out, c.out);
  EXPECT_EQ(a.out, d.out);
  // The JSON is well formed and carries the headline numbers.
  const nlohmann::json j = nlohmann::json::parse(ja);
  EXPECT_EQ(j["kind"], "ticks");
  EXPECT_EQ(j["symbol"], "EURUSD");
  EXPECT_EQ(j["gaps"]["count"], 1);
  EXPECT_EQ(j["hours"].size(), 24u);
  EXPECT_EQ(j["rules"].size(), static_cast<size_t>(kTickRuleCount));
  EXPECT_EQ(j["policy_hash"], CleaningPolicy{}.HashHex());
  EXPECT_DOUBLE_EQ(j["score"]["score"].get<double>(), a.report.score);
}

// Christmas and New Year closures are never gaps; a missing half hour on 30 Dec is.
TEST(PlantedDefects, HolidaysAreNotGapsButAHoleIs) {
  std::vector<QuoteTick> v = Synthetic("EURUSD", "2024-12-20", "2025-01-04", 0.1);
  // 30 Dec 2024 (Monday) 14:00-14:30 New York = 19:00-19:30 UTC (EST).
  const size_t a = At(v, "2024-12-30T19:00:00Z"), b = At(v, "2024-12-30T19:30:00Z");
  const UnixNanos start = v[a - 1].ts_event, end = v[b].ts_event;
  v.erase(v.begin() + static_cast<std::ptrdiff_t>(a), v.begin() + static_cast<std::ptrdiff_t>(b));
  // Expected range from the Sunday open before the 23rd to the Friday close on 3 Jan.
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  const UnixNanos from = cal.Bounds(fx::Date::FromYmd(2024, 12, 23)).open;
  const UnixNanos to = cal.Bounds(fx::Date::FromYmd(2025, 1, 3)).close;
  std::vector<QuoteTick> in;
  for (const QuoteTick& t : v) {
    if (t.ts_event >= from && t.ts_event < to) in.push_back(t);
  }
  testing::Run run = testing::Validate(in, {}, nullptr, 4096, from, to);
  const QualityReport& r = run.report;
  ASSERT_EQ(r.gap_count, 1) << r.ToText();
  EXPECT_EQ(r.gaps[0].start, start);
  EXPECT_EQ(r.gaps[0].end, end);
  EXPECT_EQ(r.gaps[0].open_duration, end - start);
  // The range's open time excludes 25 Dec and 1 Jan: 8 trading days of 24 h.
  EXPECT_EQ(r.open_time, Duration(8 * kNanosPerDay));
  for (const HourProfile& h : r.hours) {
    EXPECT_EQ(h.open_time, Duration(8 * kNanosPerHour)) << h.hour;
  }
}

}  // namespace
}  // namespace arus::quality
