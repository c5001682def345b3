// Cross-source comparison: identical sources, a delayed noisy copy, planted arbitrage-like
// discrepancies, coverage holes, and feeding from two tick stores.
#include "quality/compare.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "ingest/synthetic_market.h"
#include "quality/quality_test_util.h"
#include "store/tick_store.h"

namespace arus::quality {
namespace {

using testing::T;

constexpr Duration kMs(kNanosPerMilli);

// One trading day of EURUSD (Tue 12 Mar 2024, 00:00-24:00 UTC).
const std::vector<QuoteTick>& Day() {
  static const std::vector<QuoteTick> ticks = [] {
    ingest::SyntheticOptions o;
    o.symbols = {"EURUSD"};
    o.from = T("2024-03-12T00:00:00Z");
    o.to = T("2024-03-13T00:00:00Z");
    o.tick_rate_scale = 0.2;
    Result<std::vector<std::vector<QuoteTick>>> r =
        ingest::GenerateSyntheticTicks(o, fx::InstrumentTable::Builtin());
    if (!r.ok()) std::abort();
    return std::move((*r)[0]);
  }();
  return ticks;
}

CompareReport Compare(const std::vector<QuoteTick>& a, const std::vector<QuoteTick>& b,
                      CompareSettings s = {}, size_t chunk = 5000) {
  CompareOptions o;
  o.settings = s;
  Result<CompareReport> r =
      CompareSources(SpanSource(a, chunk), SpanSource(b, chunk), testing::Eurusd(), o);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : CompareReport{};
}

// The as-of quote of `v` at `t` (last tick with ts <= t).
QuoteTick AsOf(const std::vector<QuoteTick>& v, UnixNanos t) {
  auto it = std::upper_bound(v.begin(), v.end(), t,
                             [](UnixNanos x, const QuoteTick& q) { return x < q.ts_event; });
  return *(it - 1);
}

TEST(Compare, IdenticalSourcesShowNoDifference) {
  const std::vector<QuoteTick>& a = Day();
  const CompareReport r = Compare(a, a);
  EXPECT_EQ(r.ticks_a, static_cast<int64_t>(a.size()));
  EXPECT_EQ(r.ticks_b, static_cast<int64_t>(a.size()));
  EXPECT_GT(r.points_both, 700'000);  // ~21 h of open market on a 100 ms grid
  EXPECT_EQ(r.points_a_only, 0);
  EXPECT_EQ(r.points_b_only, 0);
  EXPECT_EQ(r.mid_diff_mean_pips, 0);
  EXPECT_EQ(r.mid_diff_p50_pips, 0);
  EXPECT_EQ(r.mid_diff_p99_pips, 0);
  EXPECT_EQ(r.mid_diff_max_pips, 0);
  EXPECT_EQ(r.spread_a_mean_pips, r.spread_b_mean_pips);
  EXPECT_EQ(r.spread_a_median_pips, r.spread_b_median_pips);
  EXPECT_GT(r.spread_a_median_pips, 0.3);
  EXPECT_LT(r.spread_a_median_pips, 1.5);
  ASSERT_TRUE(r.lag_valid);
  EXPECT_EQ(r.lag, Duration(0));
  EXPECT_NEAR(r.correlation, 1.0, 1e-9);
  EXPECT_NEAR(r.lag_refined.count(), 0, kNanosPerMilli);
  EXPECT_EQ(r.discrepancy_count, 0);
  EXPECT_EQ(r.discrepancy_duration, Duration(0));
  EXPECT_TRUE(r.worst_discrepancies.empty());
  // Chunking does not matter, and the report is deterministic.
  EXPECT_EQ(r.ToJson(), Compare(a, a, {}, 1).ToJson());
}

// B is A stamped `lag` later with independent one-point noise on each side.
std::vector<QuoteTick> DelayedNoisy(const std::vector<QuoteTick>& a, Duration lag, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<QuoteTick> b = a;
  for (QuoteTick& t : b) {
    t.ts_event += lag;
    const int64_t nb = static_cast<int64_t>(rng() % 3) - 1;
    const int64_t na = static_cast<int64_t>(rng() % 3) - 1;
    t.bid = t.bid + Price::FromScaled(nb, 5);
    t.ask = t.ask + Price::FromScaled(na, 5);
    if (t.ask <= t.bid) t.ask = t.bid + Price::FromScaled(1, 5);
  }
  return b;
}

TEST(Compare, ClockOffsetOfADelayedNoisyCopy) {
  const std::vector<QuoteTick>& a = Day();
  const std::vector<QuoteTick> b = DelayedNoisy(a, 700 * kMs, 11);
  const CompareReport r = Compare(a, b);
  ASSERT_TRUE(r.lag_valid);
  EXPECT_EQ(r.lag, 700 * kMs) << r.ToText();
  EXPECT_LE(std::abs(r.lag_refined.count() - 700 * kNanosPerMilli), 100 * kNanosPerMilli);
  EXPECT_GT(r.correlation, 0.5);
  EXPECT_GT(r.correlation, r.correlation_at_zero + 0.2);
  EXPECT_GT(r.return_pairs, 100'000);
  // Noise of up to a point per side: mid differences are small but not zero.
  EXPECT_GT(r.mid_diff_mean_pips, 0);
  EXPECT_LT(r.mid_diff_p50_pips, 0.6);
  // The other way round, the offset changes sign.
  const CompareReport back = Compare(b, a);
  EXPECT_EQ(back.lag, -700 * kMs);
  // A one-second grid still finds it, to within a step.
  CompareSettings coarse;
  coarse.grid = Duration(kNanosPerSecond);
  coarse.max_lag = Duration(10 * kNanosPerSecond);
  const CompareReport c = Compare(a, b, coarse);
  ASSERT_TRUE(c.lag_valid);
  EXPECT_LE(std::abs(c.lag_refined.count() - 700 * kNanosPerMilli), kNanosPerSecond);
  EXPECT_EQ(c.correlation_by_lag.size(), 21u);
}

struct Window {
  const char* start;
  int64_t millis;
  bool in_b;  // plant in B (B.bid > A.ask) or in A (A.bid > B.ask)
};

// Plants stretches where one source's bid sits 2 pips above the other's ask.
void Plant(std::vector<QuoteTick>* target, const std::vector<QuoteTick>& other, const Window& w) {
  const UnixNanos t0 = T(w.start), t1 = t0 + w.millis * kMs;
  std::vector<QuoteTick> out;
  auto lifted = [&](UnixNanos t) {
    const QuoteTick o = AsOf(other, t);
    QuoteTick q = o;
    q.ts_event = t;
    q.bid = o.ask + Price::FromScaled(20, 5);
    q.ask = q.bid + Price::FromScaled(10, 5);
    return q;
  };
  for (const QuoteTick& t : *target) {
    if (t.ts_event < t0 || t.ts_event >= t1) out.push_back(t);
  }
  // The window's quotes follow the other source's ask at every tick of either source.
  std::vector<UnixNanos> times = {t0};
  for (const QuoteTick& t : other) {
    if (t.ts_event > t0 && t.ts_event < t1) times.push_back(t.ts_event);
  }
  for (UnixNanos t : times) out.push_back(lifted(t));
  QuoteTick restore = AsOf(*target, t1);
  restore.ts_event = t1;
  out.push_back(restore);
  std::stable_sort(out.begin(), out.end(),
                   [](const QuoteTick& x, const QuoteTick& y) { return x.ts_event < y.ts_event; });
  *target = std::move(out);
}

TEST(Compare, PlantedArbitrageMomentsAreFound) {
  std::vector<QuoteTick> a = Day();
  std::vector<QuoteTick> b = Day();
  const Window windows[] = {{"2024-03-12T10:00:00Z", 5000, true},
                            {"2024-03-12T13:00:00.300Z", 2500, true},
                            {"2024-03-12T15:30:00Z", 10000, false}};
  for (const Window& w : windows) {
    if (w.in_b) {
      Plant(&b, a, w);
    } else {
      Plant(&a, b, w);
    }
  }
  const CompareReport r = Compare(a, b);
  EXPECT_EQ(r.discrepancy_count, 3) << r.ToText();
  EXPECT_EQ(r.discrepancy_b_over_a, 2);
  EXPECT_EQ(r.discrepancy_a_over_b, 1);
  EXPECT_EQ(r.discrepancy_duration, 17500 * kMs);
  ASSERT_EQ(r.worst_discrepancies.size(), 3u);
  std::vector<Discrepancy> d = r.worst_discrepancies;
  std::sort(d.begin(), d.end(),
            [](const Discrepancy& x, const Discrepancy& y) { return x.start < y.start; });
  for (int i = 0; i < 3; ++i) {
    const UnixNanos t0 = T(windows[i].start);
    EXPECT_EQ(d[i].start, t0);
    EXPECT_EQ(d[i].end, t0 + windows[i].millis * kMs);
    EXPECT_EQ(d[i].a_bid_over_b_ask, !windows[i].in_b);
    EXPECT_NEAR(d[i].max_excess_pips, 2.0, 1e-9);
  }
  EXPECT_GT(r.mid_diff_max_pips, 2.5);
  EXPECT_EQ(r.mid_diff_p50_pips, 0);
  // Above the tolerance only.
  CompareSettings loose;
  loose.arb_tolerance_pips = 2.0;
  EXPECT_EQ(Compare(a, b, loose).discrepancy_count, 0);
  const nlohmann::json j = nlohmann::json::parse(r.ToJson());
  EXPECT_EQ(j["discrepancies"]["count"], 3);
  EXPECT_EQ(j["discrepancies"]["seconds"], 17.5);
  EXPECT_EQ(j["discrepancies"]["worst"].size(), 3u);
}

TEST(Compare, CoverageWhenOneSourceIsSilent) {
  const std::vector<QuoteTick>& a = Day();
  std::vector<QuoteTick> b;
  const UnixNanos hole0 = T("2024-03-12T12:00:00Z"), hole1 = T("2024-03-12T13:00:00Z");
  for (const QuoteTick& t : a) {
    if (t.ts_event < hole0 || t.ts_event >= hole1) b.push_back(t);
  }
  CompareSettings s;
  s.max_quote_age = Duration(10 * kNanosPerSecond);
  const CompareReport r = Compare(a, b, s);
  // B's last quote before the hole stays valid for 10 s; after that only A quotes, until B's
  // first tick after the hole.
  const UnixNanos b_last = AsOf(b, hole0).ts_event;
  const UnixNanos b_next = std::lower_bound(b.begin(), b.end(), hole1,
                                            [](const QuoteTick& q, UnixNanos x) {
                                              return q.ts_event < x;
                                            })->ts_event;
  const int64_t expect = (b_next.FloorTo(100 * kMs) - (b_last + Duration(10 * kNanosPerSecond))
                                                          .FloorTo(100 * kMs))
                             .count() /
                         (100 * kNanosPerMilli);
  EXPECT_NEAR(static_cast<double>(r.points_a_only), static_cast<double>(expect), 2);
  EXPECT_EQ(r.points_b_only, 0);
  // Only B's last quote before the hole, while it is still valid, differs from A.
  EXPECT_GT(r.mid_diff_max_pips, 0);
  EXPECT_LT(r.mid_diff_max_pips, 2);
  EXPECT_EQ(r.mid_diff_p99_pips, 0);

  // One empty source: nothing to compare.
  const CompareReport e = Compare(a, {});
  EXPECT_EQ(e.points_both, 0);
  EXPECT_GT(e.points_a_only, 0);
  EXPECT_FALSE(e.lag_valid);
  EXPECT_EQ(e.ticks_b, 0);
  const CompareReport none = Compare({}, {});
  EXPECT_EQ(none.points_both + none.points_a_only + none.points_b_only, 0);
  EXPECT_NE(none.ToText().find("not enough returns"), std::string::npos);
}

std::string TestDir(const std::string& name) {
  const char* base = std::getenv("ARUS_TEST_TMP");
  std::filesystem::path p =
      base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
  p /= "quality_" + name + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

// The CLI path: two stores, two scanners.
TEST(Compare, FromTwoStores) {
  const std::vector<QuoteTick>& a = Day();
  const std::vector<QuoteTick> b = DelayedNoisy(a, 300 * kMs, 5);
  const std::string da = TestDir("cmp_a"), db = TestDir("cmp_b");
  for (const auto& [dir, ticks] : {std::pair{da, &a}, std::pair{db, &b}}) {
    Result<std::unique_ptr<store::TickStore>> s = store::TickStore::Open(dir, store::OpenMode::kReadWrite);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    ASSERT_TRUE((*s)->Append("EURUSD", *ticks, 5).ok());
  }
  Result<std::unique_ptr<store::TickStore>> sa = store::TickStore::Open(da, store::OpenMode::kReadOnly);
  Result<std::unique_ptr<store::TickStore>> sb = store::TickStore::Open(db, store::OpenMode::kReadOnly);
  ASSERT_TRUE(sa.ok() && sb.ok());
  auto ka = (*sa)->Scan("EURUSD", UnixNanos::Min(), UnixNanos::Max());
  auto kb = (*sb)->Scan("EURUSD", UnixNanos::Min(), UnixNanos::Max());
  ASSERT_TRUE(ka.ok() && kb.ok());
  CompareOptions o;
  o.label_a = da;
  o.label_b = db;
  Result<CompareReport> r =
      CompareSources(ScannerSource(ka->get()), ScannerSource(kb->get()), testing::Eurusd(), o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->lag, 300 * kMs);
  EXPECT_EQ(r->ToJson().substr(r->ToJson().find("\"settings\"")),
            Compare(a, b).ToJson().substr(Compare(a, b).ToJson().find("\"settings\"")));
  EXPECT_NE(r->ToText().find("B lags A by 300 ms"), std::string::npos) << r->ToText();
  std::filesystem::remove_all(da);
  std::filesystem::remove_all(db);
}

TEST(Compare, BadSettings) {
  CompareOptions o;
  o.settings.grid = Duration(0);
  const std::vector<QuoteTick>& a = Day();
  EXPECT_EQ(CompareSources(SpanSource(a), SpanSource(a), testing::Eurusd(), o).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace arus::quality
