// Focused tests of each tick rule and policy on hand-made tick series.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "quality/quality_test_util.h"
#include "quality/tick_validator.h"

namespace arus::quality {
namespace {

using testing::Events;
using testing::Hits;
using testing::Q;
using testing::T;
using testing::Validate;
using testing::Walk;

constexpr Duration kSec(kNanosPerSecond);

// Tuesday 9 Jan 2024, 10:00 UTC (05:00 New York): the market is open all day.
const UnixNanos kTue = T("2024-01-09T10:00:00Z");

void Shift(QuoteTick* t, int64_t points) {
  t->bid = t->bid + Price::FromScaled(points, 5);
  t->ask = t->ask + Price::FromScaled(points, 5);
}

bool Contains(const std::vector<QuoteTick>& v, const QuoteTick& t) {
  return std::find(v.begin(), v.end(), t) != v.end();
}

// ---- time order and duplicates -----------------------------------------------------------

TEST(TickRules, TimeOrderDropQuarantinesAndFlagKeeps) {
  std::vector<QuoteTick> v = Walk(kTue, 10, kSec);
  v[5].ts_event = v[3].ts_event - Duration(500 * kNanosPerMilli);
  ingest::Quarantine q;
  testing::Run run = Validate(v, {}, &q);
  EXPECT_EQ(Hits(run.report, RuleId::kTimeOrder), 1);
  EXPECT_EQ(run.report.rows_out, 9);
  EXPECT_FALSE(Contains(run.out, v[5]));
  ASSERT_EQ(q.total(), 1);
  const ingest::QuarantinedRow row = q.examples()[0];
  EXPECT_EQ(row.reason, "time_order");
  EXPECT_EQ(row.field, "ts_event");
  EXPECT_EQ(row.file, "EURUSD");
  EXPECT_EQ(row.raw.substr(0, 24), v[5].ts_event.ToIso());
  EXPECT_NE(row.detail.find("1.5s before"), std::string::npos) << row.detail;
  // The later ticks are compared with the latest time seen, not with the bad tick.
  const RuleStats* s = run.report.rule(RuleId::kTimeOrder);
  ASSERT_EQ(s->worst.size(), 1u);
  EXPECT_DOUBLE_EQ(s->worst[0].severity, 1.5);  // behind v[4], the latest so far

  QualityConfig flag;
  flag.policy.time_order.policy = Policy::kFlag;
  ingest::Quarantine q2;
  testing::Run kept = Validate(v, flag, &q2);
  EXPECT_EQ(Hits(kept.report, RuleId::kTimeOrder), 1);
  EXPECT_EQ(kept.out, v);
  EXPECT_EQ(q2.total(), 0);
  EXPECT_EQ(kept.report.rows_bad, 1);

  QualityConfig off;
  off.policy.time_order.enabled = false;
  testing::Run none = Validate(v, off);
  EXPECT_EQ(Hits(none.report, RuleId::kTimeOrder), 0);
  EXPECT_EQ(none.out, v);
}

TEST(TickRules, DuplicatesAreIdenticalConsecutiveTicksOnly) {
  std::vector<QuoteTick> v = Walk(kTue, 10, kSec);
  v.insert(v.begin() + 6, v[5]);  // exact copy
  QuoteTick same_time = v[8];     // same time, other price: not a duplicate
  Shift(&same_time, 1);
  v.insert(v.begin() + 9, same_time);
  QuoteTick same_price = v[10];   // same prices and volumes a millisecond later: not a duplicate
  same_price.ts_event += Duration(kNanosPerMilli);
  v.insert(v.begin() + 11, same_price);
  ingest::Quarantine q;
  testing::Run run = Validate(v, {}, &q);
  EXPECT_EQ(Hits(run.report, RuleId::kDuplicate), 1);
  EXPECT_EQ(Hits(run.report, RuleId::kTimeOrder), 0);
  EXPECT_EQ(run.report.rows_out, static_cast<int64_t>(v.size()) - 1);
  EXPECT_EQ(q.counts_by_reason(), (std::map<std::string, int64_t>{{"duplicate", 1}}));

  QualityConfig flag;
  flag.policy.duplicate.policy = Policy::kFlag;
  testing::Run kept = Validate(v, flag);
  EXPECT_EQ(Hits(kept.report, RuleId::kDuplicate), 1);
  EXPECT_EQ(kept.out, v);
}

// ---- crossed and locked --------------------------------------------------------------------

TEST(TickRules, CrossedAndLockedQuotes) {
  std::vector<QuoteTick> v = Walk(kTue, 300, kSec);
  std::swap(v[150].bid, v[150].ask);  // crossed by 1 pip
  v[160].ask = v[160].bid;            // locked
  ingest::Quarantine q;
  testing::Run run = Validate(v, {}, &q);
  EXPECT_EQ(Hits(run.report, RuleId::kCrossed), 1);
  EXPECT_EQ(Hits(run.report, RuleId::kLocked), 1);
  EXPECT_FALSE(Contains(run.out, v[150]));  // crossed: dropped by default
  EXPECT_TRUE(Contains(run.out, v[160]));   // locked: flagged by default
  EXPECT_EQ(q.counts_by_reason(), (std::map<std::string, int64_t>{{"crossed", 1}}));
  const RuleStats* c = run.report.rule(RuleId::kCrossed);
  ASSERT_EQ(c->worst.size(), 1u);
  EXPECT_DOUBLE_EQ(c->worst[0].severity, 1.0);
  EXPECT_NE(c->worst[0].why.find("by 1.0 pips"), std::string::npos) << c->worst[0].why;
  EXPECT_EQ(run.report.rows_bad, 2);
}

TEST(TickRules, FlaggedCrossedQuotesStayOutOfThePriceStatistics) {
  std::vector<QuoteTick> v = Walk(kTue, 300, kSec);
  // Crossed and 40 pips off: kept under `flag`, but neither a spike nor a spread outlier.
  Shift(&v[200], 400);
  std::swap(v[200].bid, v[200].ask);
  v[200].bid = v[200].bid + Price::FromScaled(500, 5);
  QualityConfig c;
  c.policy.crossed.policy = Policy::kFlag;
  testing::Run run = Validate(v, c);
  EXPECT_EQ(Hits(run.report, RuleId::kCrossed), 1);
  EXPECT_EQ(Hits(run.report, RuleId::kSpike), 0);
  EXPECT_EQ(Hits(run.report, RuleId::kSpread), 0);
  EXPECT_EQ(run.report.jump_count, 0);
  EXPECT_EQ(run.out, v);
}

// ---- spread outliers -----------------------------------------------------------------------

TEST(TickRules, SpreadOutliersAgainstTheRollingMedianAndTheCap) {
  std::vector<QuoteTick> v = Walk(kTue, 600, kSec);  // spread 1 pip throughout
  // Symmetric widening keeps the mid: 25 pips (> 20 x 1 pip) is an outlier, 15 pips is not.
  v[400].bid = v[400].bid - Price::FromScaled(120, 5);
  v[400].ask = v[400].ask + Price::FromScaled(120, 5);
  v[410].bid = v[410].bid - Price::FromScaled(70, 5);
  v[410].ask = v[410].ask + Price::FromScaled(70, 5);
  // Before min_samples (200) only the absolute cap applies: 30 pips passes, 150 pips does not.
  v[50].bid = v[50].bid - Price::FromScaled(145, 5);
  v[50].ask = v[50].ask + Price::FromScaled(145, 5);
  v[60].bid = v[60].bid - Price::FromScaled(745, 5);
  v[60].ask = v[60].ask + Price::FromScaled(745, 5);
  testing::Run run = Validate(v);
  EXPECT_EQ(Hits(run.report, RuleId::kSpread), 2);
  EXPECT_EQ(Hits(run.report, RuleId::kSpike), 0);
  std::vector<UnixNanos> when;
  for (const Example& e : run.report.rule(RuleId::kSpread)->worst) when.push_back(e.ts);
  std::sort(when.begin(), when.end());
  EXPECT_EQ(when, (std::vector<UnixNanos>{v[60].ts_event, v[400].ts_event}));
  EXPECT_EQ(run.out, v);  // flag keeps

  QualityConfig cap;
  cap.policy.spread.multiple = 1000;
  cap.policy.spread.max_pips = 10;
  cap.policy.spread.policy = Policy::kDrop;
  ingest::Quarantine q;
  testing::Run capped = Validate(v, cap, &q);
  EXPECT_EQ(Hits(capped.report, RuleId::kSpread), 4);  // 25, 15, 30 and 150 pips > 10
  EXPECT_EQ(q.counts_by_reason(), (std::map<std::string, int64_t>{{"spread", 4}}));
  EXPECT_EQ(capped.report.rows_out, 596);

  QualityConfig tight;
  tight.policy.spread.multiple = 10;
  tight.policy.spread.max_pips = 0;
  testing::Run t = Validate(v, tight);
  EXPECT_EQ(Hits(t.report, RuleId::kSpread), 2);  // 25 and 15 pips after warm-up
}

// ---- spikes and jumps ----------------------------------------------------------------------

TEST(TickRules, RevertingSpikeIsABadTick) {
  std::vector<QuoteTick> v = Walk(kTue, 300, kSec);
  Shift(&v[200], 400);
  ingest::Quarantine q;
  testing::Run run = Validate(v, {}, &q);
  EXPECT_EQ(Hits(run.report, RuleId::kSpike), 1);
  EXPECT_EQ(Events(run.report, RuleId::kSpike), 1);
  EXPECT_EQ(run.report.jump_count, 0);
  EXPECT_FALSE(Contains(run.out, v[200]));
  EXPECT_EQ(run.report.rows_out, 299);
  ASSERT_EQ(q.total(), 1);
  EXPECT_EQ(q.examples()[0].reason, "spike");
  EXPECT_EQ(q.examples()[0].field, "mid");
  const Example& e = run.report.rule(RuleId::kSpike)->worst.at(0);
  EXPECT_EQ(e.ts, v[200].ts_event);
  EXPECT_EQ(e.bid, v[200].bid);
  EXPECT_NEAR(e.severity, 268, 5);  // 40 pips over a robust sigma of about 0.15 pip
  EXPECT_NE(e.why.find(" pips from "), std::string::npos) << e.why;
  EXPECT_NE(e.why.find("back after 1 tick"), std::string::npos) << e.why;

  // Downward spikes too; flag keeps the tick but still counts it.
  std::vector<QuoteTick> d = Walk(kTue, 300, kSec);
  Shift(&d[250], -300);
  QualityConfig flag;
  flag.policy.spike.policy = Policy::kFlag;
  testing::Run kept = Validate(d, flag);
  EXPECT_EQ(Hits(kept.report, RuleId::kSpike), 1);
  EXPECT_EQ(kept.out, d);
}

TEST(TickRules, MultiTickSpikeUpToRevertTicks) {
  // Five bad ticks, then back: one event of five ticks (revert_ticks = 5).
  std::vector<QuoteTick> v = Walk(kTue, 300, kSec);
  for (int i = 200; i < 205; ++i) Shift(&v[i], 400);
  testing::Run run = Validate(v);
  EXPECT_EQ(Hits(run.report, RuleId::kSpike), 5);
  EXPECT_EQ(Events(run.report, RuleId::kSpike), 1);
  EXPECT_EQ(run.report.jump_count, 0);
  EXPECT_EQ(run.report.rows_out, 295);
  const Example& e = run.report.rule(RuleId::kSpike)->worst.at(0);
  EXPECT_EQ(e.ts, v[200].ts_event);
  EXPECT_EQ(e.end, v[204].ts_event);

  // Six ticks at the new level: it persisted past the look-ahead, so it is a jump up and, when
  // the price comes back, a jump down. No tick is dropped.
  std::vector<QuoteTick> w = Walk(kTue, 300, kSec);
  for (int i = 200; i < 206; ++i) Shift(&w[i], 400);
  testing::Run j = Validate(w);
  EXPECT_EQ(Hits(j.report, RuleId::kSpike), 0);
  ASSERT_EQ(j.report.jump_count, 2);
  EXPECT_EQ(j.report.jumps[0].ts, w[200].ts_event);
  EXPECT_EQ(j.report.jumps[1].ts, w[206].ts_event);
  EXPECT_NEAR(j.report.jumps[0].pips, 40, 0.5);
  EXPECT_NEAR(j.report.jumps[1].pips, -40, 0.5);
  EXPECT_EQ(j.out, w);

  // A longer look-ahead turns it back into a spike.
  QualityConfig longer;
  longer.policy.spike.revert_ticks = 10;
  testing::Run s = Validate(w, longer);
  EXPECT_EQ(Hits(s.report, RuleId::kSpike), 6);
  EXPECT_EQ(s.report.jump_count, 0);
}

TEST(TickRules, PersistentJumpIsReportedNotAnError) {
  std::vector<QuoteTick> v = Walk(kTue, 400, kSec);
  for (size_t i = 200; i < v.size(); ++i) Shift(&v[i], 400);
  ingest::Quarantine q;
  testing::Run run = Validate(v, {}, &q);
  EXPECT_EQ(Hits(run.report, RuleId::kSpike), 0);
  ASSERT_EQ(run.report.jump_count, 1);
  const Jump& j = run.report.jumps[0];
  EXPECT_EQ(j.ts, v[200].ts_event);
  EXPECT_NEAR(j.pips, 40, 0.5);
  EXPECT_GT(j.z, 12);
  EXPECT_EQ(j.to_mid, v[200].mid());
  EXPECT_EQ(run.out, v);
  EXPECT_EQ(q.total(), 0);
  EXPECT_EQ(run.report.score, 100.0);
}

TEST(TickRules, SpikeThresholdsAndWarmUp) {
  // A 3-pip spike is below min_move_pips (5).
  std::vector<QuoteTick> small = Walk(kTue, 300, kSec);
  Shift(&small[200], 30);
  EXPECT_EQ(Hits(Validate(small).report, RuleId::kSpike), 0);
  QualityConfig low;
  low.policy.spike.min_move_pips = 2;
  EXPECT_EQ(Hits(Validate(small, low).report, RuleId::kSpike), 1);
  // Before min_samples (100) returns there are no statistics to test against.
  std::vector<QuoteTick> early = Walk(kTue, 300, kSec);
  Shift(&early[50], 400);
  EXPECT_EQ(Hits(Validate(early).report, RuleId::kSpike), 0);
  // Disabled.
  std::vector<QuoteTick> v = Walk(kTue, 300, kSec);
  Shift(&v[200], 400);
  QualityConfig off;
  off.policy.spike.enabled = false;
  testing::Run run = Validate(v, off);
  EXPECT_EQ(Hits(run.report, RuleId::kSpike), 0);
  EXPECT_EQ(run.out, v);
}

TEST(TickRules, NoJumpOrSpikeAcrossTheWeekendOrAGap) {
  // Friday 12 Jan 2024 until 16:59:50 New York, then Sunday from 17:00:05 New York 40 pips
  // higher, then a 20-minute hole after which the price is 40 pips higher again.
  std::vector<QuoteTick> v = Walk(T("2024-01-12T21:10:00Z"), 300, Duration(10 * kNanosPerSecond));
  std::vector<QuoteTick> sun = Walk(T("2024-01-14T22:00:05Z"), 200, kSec, 110'400);
  v.insert(v.end(), sun.begin(), sun.end());
  std::vector<QuoteTick> later = Walk(T("2024-01-14T22:23:25Z"), 200, kSec, 110'800);
  v.insert(v.end(), later.begin(), later.end());
  QualityConfig c;
  c.policy.spike.min_samples = 50;
  testing::Run run = Validate(v, c);
  EXPECT_EQ(Hits(run.report, RuleId::kSpike), 0);
  EXPECT_EQ(run.report.jump_count, 0);
  EXPECT_EQ(run.report.gap_count, 1);  // the 20-minute hole, not the weekend
}

// ---- stale quotes --------------------------------------------------------------------------

TEST(TickRules, StaleRunInOpenMarketTime) {
  std::vector<QuoteTick> v = Walk(kTue, 200, Duration(10 * kNanosPerSecond));
  for (int i = 50; i < 100; ++i) {  // 490 s of the same quote
    v[i].bid = v[50].bid;
    v[i].ask = v[50].ask;
  }
  ingest::Quarantine q;
  QualityConfig drop;
  drop.policy.stale.policy = Policy::kDrop;
  testing::Run run = Validate(v, drop, &q);
  // Ticks more than 5 minutes after the run's first tick: i - 50 > 30.
  EXPECT_EQ(Hits(run.report, RuleId::kStale), 19);
  EXPECT_EQ(Events(run.report, RuleId::kStale), 1);
  EXPECT_EQ(q.counts_by_reason(), (std::map<std::string, int64_t>{{"stale", 19}}));
  EXPECT_EQ(run.report.rows_out, 181);
  EXPECT_FALSE(Contains(run.out, v[81]));
  EXPECT_TRUE(Contains(run.out, v[80]));
  const Example& e = run.report.rule(RuleId::kStale)->worst.at(0);
  EXPECT_EQ(e.ts, v[50].ts_event);
  EXPECT_EQ(e.end, v[99].ts_event);
  EXPECT_NE(e.why.find("8m10s"), std::string::npos) << e.why;
  EXPECT_NE(e.why.find("50 ticks"), std::string::npos) << e.why;
  EXPECT_EQ(run.report.stale_open_total, Duration(490 * kNanosPerSecond));
  EXPECT_EQ(run.report.gap_count, 0);  // dropped stale ticks do not make a gap

  testing::Run flagged = Validate(v);
  EXPECT_EQ(Hits(flagged.report, RuleId::kStale), 19);
  EXPECT_EQ(flagged.out, v);
  EXPECT_LT(flagged.report.score, 100);
}

TEST(TickRules, StaleRunAcrossTheWeekendCountsOnlyOpenTime) {
  // Same quote Friday 16:57-16:59 New York and Sunday 17:00-17:02: two days of wall time but
  // about four minutes of open market.
  std::vector<QuoteTick> v;
  for (int i = 0; i < 5; ++i) {
    v.push_back(Q(T("2024-01-12T21:57:00Z") + kSec * (30 * i), 110'000, 110'010, 1, 1.0f + i));
  }
  for (int i = 0; i < 5; ++i) {
    v.push_back(Q(T("2024-01-14T22:00:00Z") + kSec * (30 * i), 110'000, 110'010, 1, 2.0f + i));
  }
  testing::Run run = Validate(v);
  EXPECT_EQ(Hits(run.report, RuleId::kStale), 0);
  EXPECT_EQ(run.report.gap_count, 0);
  QualityConfig tight;
  tight.policy.stale.max_duration = Duration(3 * kNanosPerMinute);
  testing::Run t = Validate(v, tight);
  EXPECT_EQ(Events(t.report, RuleId::kStale), 1);
  // Past 3 minutes of open market from Friday 16:57: Sunday 17:00:30 .. 17:02:00.
  EXPECT_EQ(Hits(t.report, RuleId::kStale), 4);
}

// ---- gaps ----------------------------------------------------------------------------------

TEST(TickRules, GapOnATuesdayIsFlaggedWithItsOpenDuration) {
  std::vector<QuoteTick> v = Walk(kTue, 100, kSec);
  std::vector<QuoteTick> after = Walk(v.back().ts_event + Duration(30 * kNanosPerMinute), 100, kSec);
  v.insert(v.end(), after.begin(), after.end());
  testing::Run run = Validate(v);
  ASSERT_EQ(run.report.gap_count, 1);
  EXPECT_EQ(run.report.gaps[0].start, v[99].ts_event);
  EXPECT_EQ(run.report.gaps[0].end, v[100].ts_event);
  EXPECT_EQ(run.report.gaps[0].open_duration, Duration(30 * kNanosPerMinute));
  EXPECT_EQ(Events(run.report, RuleId::kGap), 1);
  EXPECT_EQ(Hits(run.report, RuleId::kGap), 0);  // no row is bad
  EXPECT_EQ(run.out, v);
  EXPECT_EQ(run.report.gap_open_total, Duration(30 * kNanosPerMinute));

  // The threshold is strict: exactly 10 minutes is not a gap, a millisecond more is.
  for (int64_t extra : {0, 1}) {
    std::vector<QuoteTick> w = Walk(kTue, 10, kSec);
    w.push_back(Q(w.back().ts_event + Duration(10 * kNanosPerMinute + extra * kNanosPerMilli),
                  110'000, 110'010));
    EXPECT_EQ(Validate(w).report.gap_count, extra);
  }
  QualityConfig off;
  off.policy.gap.enabled = false;
  EXPECT_EQ(Validate(v, off).report.gap_count, 0);
}

TEST(TickRules, WeekendsAndHolidaysAreNotGaps) {
  struct Case {
    const char* last_before;  // last tick before a closure
    const char* first_after;  // first tick after it
    Duration expect_open;     // open time between them; a gap if > 10 min
  };
  const Case cases[] = {
      // Weekend, winter: Friday 16:59:30 New York .. Sunday 17:00:30.
      {"2024-01-12T21:59:30Z", "2024-01-14T22:00:30Z", Duration(60 * kNanosPerSecond)},
      // Weekend with the US DST change (Sunday 10 Mar 2024).
      {"2024-03-08T21:59:30Z", "2024-03-10T21:00:30Z", Duration(60 * kNanosPerSecond)},
      // Christmas 2024 (Wednesday) and New Year 2025 (Wednesday).
      {"2024-12-24T21:59:30Z", "2024-12-25T22:00:30Z", Duration(60 * kNanosPerSecond)},
      {"2024-12-31T21:59:30Z", "2025-01-01T22:00:30Z", Duration(60 * kNanosPerSecond)},
      // A real hole before a weekend: Friday 14:00 New York .. Sunday 17:00:30 is 3h00m30s.
      {"2024-01-12T19:00:00Z", "2024-01-14T22:00:30Z",
       Duration(3 * kNanosPerHour + 30 * kNanosPerSecond)},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.last_before);
    std::vector<QuoteTick> v = {Q(T(c.last_before), 110'000, 110'010),
                                Q(T(c.first_after), 110'020, 110'030)};
    testing::Run run = Validate(v);
    if (c.expect_open > Duration(10 * kNanosPerMinute)) {
      ASSERT_EQ(run.report.gap_count, 1);
      EXPECT_EQ(run.report.gaps[0].open_duration, c.expect_open);
    } else {
      EXPECT_EQ(run.report.gap_count, 0);
    }
    EXPECT_EQ(run.report.rows_while_closed, 0);
  }
}

TEST(TickRules, ExpectedRangeEdgesAreGaps) {
  std::vector<QuoteTick> v = Walk(T("2024-01-09T10:30:00Z"), 60, kSec);
  testing::Run run =
      Validate(v, {}, nullptr, 1000, T("2024-01-09T10:00:00Z"), T("2024-01-09T11:31:00Z"));
  ASSERT_EQ(run.report.gap_count, 2);
  EXPECT_EQ(run.report.gaps[0].start, T("2024-01-09T10:00:00Z"));
  EXPECT_EQ(run.report.gaps[0].end, v.front().ts_event);
  EXPECT_EQ(run.report.gaps[1].start, v.back().ts_event);
  EXPECT_EQ(run.report.gaps[1].end, T("2024-01-09T11:31:00Z"));
  EXPECT_EQ(run.report.range_from, T("2024-01-09T10:00:00Z"));
  EXPECT_EQ(run.report.open_time, Duration(91 * kNanosPerMinute));
  // No ticks at all in an expected range: the whole range is one gap.
  testing::Run empty = Validate({}, {}, nullptr, 1000, T("2024-01-09T10:00:00Z"),
                                T("2024-01-09T11:00:00Z"));
  ASSERT_EQ(empty.report.gap_count, 1);
  EXPECT_EQ(empty.report.gaps[0].open_duration, Duration(kNanosPerHour));
  EXPECT_EQ(empty.report.score, 0);
}

// ---- profiles, score, plumbing -------------------------------------------------------------

TEST(TickRules, HourProfileOfKnownTicks) {
  // Tuesday 9 Jan 2024 15:00-16:00 UTC = 10:00-11:00 New York (EST). 60 ticks, one a minute;
  // 50 with a 1.0-pip spread and 10 with 2.0 pips.
  std::vector<QuoteTick> v;
  for (int i = 0; i < 60; ++i) {
    const int64_t bid = 110'000 + i % 3;
    v.push_back(Q(T("2024-01-09T15:00:00Z") + kSec * (60 * i), bid, bid + (i % 6 == 5 ? 20 : 10),
                  1, 1.0f + i));
  }
  testing::Run run =
      Validate(v, {}, nullptr, 7, T("2024-01-09T15:00:00Z"), T("2024-01-09T16:00:00Z"));
  const QualityReport& r = run.report;
  ASSERT_EQ(r.hours.size(), 24u);
  const HourProfile& h = r.hours[10];
  EXPECT_EQ(h.hour, 10);
  EXPECT_EQ(h.ticks, 60);
  EXPECT_EQ(h.open_time, Duration(kNanosPerHour));
  EXPECT_DOUBLE_EQ(h.ticks_per_minute, 1.0);
  EXPECT_NEAR(h.spread_mean_pips, 70.0 / 60.0, 1e-12);
  EXPECT_DOUBLE_EQ(h.spread_median_pips, 1.0);
  EXPECT_DOUBLE_EQ(h.spread_p95_pips, 2.0);
  for (const HourProfile& o : r.hours) {
    if (o.hour == 10) continue;
    EXPECT_EQ(o.ticks, 0);
    EXPECT_EQ(o.open_time, Duration(0));
    EXPECT_EQ(o.ticks_per_minute, 0);
  }
  EXPECT_EQ(r.score, 100);
}

TEST(TickRules, ScoreFollowsTheDocumentedFormula) {
  // 1000 ticks, 10 crossed: 1% bad rows -> row penalty min(50, 2000 * 0.01) = 20.
  std::vector<QuoteTick> v = Walk(kTue, 1000, kSec);
  for (int i = 0; i < 10; ++i) std::swap(v[100 + 50 * i].bid, v[100 + 50 * i].ask);
  testing::Run run = Validate(v);
  EXPECT_EQ(run.report.rows_bad, 10);
  EXPECT_DOUBLE_EQ(run.report.row_penalty, 20);
  EXPECT_DOUBLE_EQ(run.report.gap_penalty, 0);
  EXPECT_DOUBLE_EQ(run.report.score, 80);
  // Plus one 30-minute gap in 1000 s + 30 min of open market: 200 * f + 1 per gap.
  std::vector<QuoteTick> w = v;
  for (size_t i = 500; i < w.size(); ++i) w[i].ts_event += Duration(30 * kNanosPerMinute);
  testing::Run g = Validate(w);
  EXPECT_EQ(g.report.gap_count, 1) << g.report.ToText();
  EXPECT_EQ(Hits(g.report, RuleId::kStale), 0);  // a silent feed is a gap, not a stale quote
  EXPECT_DOUBLE_EQ(g.report.gap_penalty, 40);  // min(40, 200 * 1801 / 2799 + 1)
  EXPECT_DOUBLE_EQ(g.report.score, 40) << g.report.ToText();
}

TEST(TickRules, TicksWhileTheMarketIsClosedAreCounted) {
  std::vector<QuoteTick> v = Walk(T("2024-01-13T12:00:00Z"), 5, kSec);  // a Saturday
  testing::Run run = Validate(v);
  EXPECT_EQ(run.report.rows_while_closed, 5);
  EXPECT_EQ(run.report.rows_out, 5);
}

TEST(TickRules, SinkErrorsStopTheValidator) {
  TickValidatorOptions opt;
  opt.sink = [](std::span<const QuoteTick>) { return IoError("disk full"); };
  Result<std::unique_ptr<TickValidator>> v = TickValidator::Create({}, testing::Eurusd(), opt);
  ASSERT_TRUE(v.ok());
  const std::vector<QuoteTick> ticks = Walk(kTue, 10, kSec);
  Status s = (*v)->Add(ticks);
  EXPECT_EQ(s.code(), StatusCode::kIoError);
  EXPECT_EQ((*v)->Add(ticks).code(), StatusCode::kIoError);
  EXPECT_FALSE((*v)->Finish().ok());
}

TEST(TickRules, ValidateTicksFromASource) {
  std::vector<QuoteTick> v = Walk(kTue, 500, kSec);
  Shift(&v[300], 400);
  Result<QualityReport> r = ValidateTicks(SpanSource(v, 33), testing::Eurusd(), {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->ToJson(), Validate(v).report.ToJson());
  EXPECT_EQ(Hits(*r, RuleId::kSpike), 1);
  EXPECT_EQ(r->symbol, "EURUSD");
  // A failing source is an error.
  TickSource bad = []() -> Result<std::span<const QuoteTick>> { return Corruption("bad block"); };
  EXPECT_EQ(ValidateTicks(bad, testing::Eurusd(), {}).status().code(), StatusCode::kCorruption);
}

TEST(TickRules, ReportTextAndJsonMentionEveryRule) {
  std::vector<QuoteTick> v = Walk(kTue, 300, kSec);
  Shift(&v[200], 400);
  const QualityReport r = Validate(v).report;
  const std::string text = r.ToText();
  const std::string json = r.ToJson();
  for (int i = 0; i < kTickRuleCount; ++i) {
    const std::string name(RuleName(static_cast<RuleId>(i)));
    EXPECT_NE(text.find(name), std::string::npos) << name;
    EXPECT_NE(json.find("\"" + name + "\""), std::string::npos) << name;
  }
  EXPECT_NE(text.find("Worst spike"), std::string::npos);
  EXPECT_NE(text.find("By New York hour"), std::string::npos);
}

}  // namespace
}  // namespace arus::quality

namespace arus::quality {
namespace {

TEST(TickRules, ReportLimitsTruncateListsButNotCounts) {
  // Four 40-pip jumps, each followed later by a 20-minute hole (the last one is not: 3 holes).
  std::vector<QuoteTick> v;
  UnixNanos t = T("2024-01-09T08:00:00Z");
  int64_t base = 110'000;
  for (int part = 0; part < 4; ++part) {
    std::vector<QuoteTick> w = testing::Walk(t, 300, Duration(kNanosPerSecond), base);
    v.insert(v.end(), w.begin(), w.end());
    std::vector<QuoteTick> x =
        testing::Walk(w.back().ts_event + Duration(kNanosPerSecond), 300, Duration(kNanosPerSecond),
                      base + 400);
    v.insert(v.end(), x.begin(), x.end());
    t = x.back().ts_event + Duration(20 * kNanosPerMinute);
    base += 400;
  }
  QualityConfig c;
  c.report.max_gaps = 1;
  c.report.max_jumps = 2;
  c.report.examples = 0;
  const QualityReport r = testing::Validate(v, c).report;
  EXPECT_EQ(r.gap_count, 3);
  EXPECT_EQ(r.gaps.size(), 1u);
  EXPECT_EQ(r.jump_count, 4);
  EXPECT_EQ(r.jumps.size(), 2u);
  EXPECT_TRUE(r.rule(RuleId::kGap)->worst.empty());
  const nlohmann::json j = nlohmann::json::parse(r.ToJson());
  EXPECT_EQ(j["gaps"]["truncated"], true);
  EXPECT_EQ(j["jumps"]["truncated"], true);
  EXPECT_NE(r.ToText().find("... 2 more"), std::string::npos);
}

}  // namespace
}  // namespace arus::quality
