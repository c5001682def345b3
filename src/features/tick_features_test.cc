// The [ticks] feature family: tick kernels of the target read at each decision time t over the
// ticks with ts < t. Column values against the kernels run directly over the stored ticks, a tick
// exactly at a decision time, future perturbation, live clock = batch, extension = full build,
// independence from the start once the lookback is read, the spec's parse errors, canonical text
// and hashes (unchanged for specs without [ticks]), and a bar-only store.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "bars/bar_aggregator.h"
#include "features/build.h"
#include "features/build_test_util.h"
#include "features/engine.h"
#include "features/feature_set.h"
#include "fx/calendar.h"
#include "fx/instrument.h"
#include "indicators/tick_kernels.h"
#include "ingest/synthetic_market.h"
#include "store/tick_store.h"

namespace arus::features {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

using testing::SameValue;
using testing::T;
using testing::Ticks;

constexpr std::string_view kSpec = R"toml(
name = "tick-set"
symbol = "EURUSD"
base_timeframe = "M5"
labels = ["fwd_return(h=6)"]
[indicators]
M5 = "rsi(14)"
[cross]
symbols = ["GBPUSD"]
correlation_window = 20
strength_window = 0
triangular = false
[ticks]
spread = ["5m", "30s"]
imbalance = "2m"
intensity = "1m"
slippage = "5m"
slippage_latency = "250ms"
)toml";

FeatureSetSpec Spec(std::string_view text = kSpec) {
  Result<FeatureSetSpec> s = ParseFeatureSet(text, "ticks.toml");
  if (!s.ok()) ADD_FAILURE() << s.status().ToString();
  return *s;
}

const char* const kSymbols[] = {"EURUSD", "GBPUSD"};

// Synthetic ticks plus a few at closed-market instants (a Saturday), which bars and tick
// features must both ignore.
const Ticks& BaseTicks() {
  static const Ticks ticks = [] {
    ingest::SyntheticOptions o;
    o.symbols = {kSymbols[0], kSymbols[1]};
    o.from = T("2024-03-04");
    o.to = T("2024-03-14");
    o.seed = 21;
    o.tick_rate_scale = 0.05;
    Result<Ticks> t = ingest::GenerateSyntheticTicks(o, fx::InstrumentTable::Builtin());
    if (!t.ok()) std::abort();
    Ticks out = *t;
    QuoteTick weird = out[0][out[0].size() / 2];
    weird.ask = Price::FromRaw(weird.bid.raw() + 500 * 100000);  // 500 pips
    for (int i = 0; i < 3; ++i) {
      weird.ts_event = T("2024-03-09T12:00:00Z") + seconds(i);
      out[0].push_back(weird);
    }
    std::sort(out[0].begin(), out[0].end(),
              [](const QuoteTick& a, const QuoteTick& b) { return a.ts_event < b.ts_event; });
    return out;
  }();
  return ticks;
}

class TickFeaturesTest : public testing::StoreTest {
 protected:
  std::unique_ptr<store::TickStore> MakeStore(const std::string& name, const Ticks& ticks) {
    return MakeStoreOf(name, ticks, {kSymbols[0], kSymbols[1]});
  }
};

// The reference: the kernels run directly over the open-market ticks with ts < t, read at t.
struct Reference {
  explicit Reference(const FeatureSetSpec& spec) {
    const double pip = (*fx::InstrumentTable::Builtin().Find(spec.symbol))->pip_size;
    for (Duration hl : spec.ticks.spread) spread.emplace_back(pip, hl);
    for (Duration hl : spec.ticks.imbalance) imbalance.emplace_back(hl);
    for (Duration hl : spec.ticks.intensity) intensity.emplace_back(hl);
    for (Duration hl : spec.ticks.slippage) {
      slippage.emplace_back(pip, hl, spec.ticks.slippage_latency);
    }
  }
  void Update(const QuoteTick& q) {
    for (auto& k : spread) k.Update(q);
    for (auto& k : imbalance) k.Update(q);
    for (auto& k : intensity) k.Update(q);
    for (auto& k : slippage) k.Update(q);
  }
  std::vector<double> At(UnixNanos t) const {
    std::vector<double> out;
    for (const auto& k : spread) out.push_back(k.ValueAt(t));
    for (const auto& k : imbalance) out.push_back(k.ValueAt(t));
    for (const auto& k : intensity) out.push_back(k.ValueAt(t));
    for (const auto& k : slippage) out.push_back(k.ValueAt(t));
    return out;
  }
  std::vector<indicators::SpreadEwma> spread;
  std::vector<indicators::BookImbalance> imbalance;
  std::vector<indicators::TickIntensity> intensity;
  std::vector<indicators::TickSlippage> slippage;
};

std::vector<int> TickColumns(const Dataset& ds) {
  std::vector<int> cols;
  for (const char* name : {"tick_spread_30s", "tick_spread_5m", "tick_imbalance_2m",
                           "tick_intensity_1m", "tick_slippage_5m"}) {
    cols.push_back(ds.FeatureIndex(name));
    EXPECT_GE(cols.back(), 0) << name;
  }
  return cols;
}

// Every tick column at every row equals the kernels run over the ticks before the row's decision
// time, bit for bit; ticks at closed-market instants are left out as bars leave them out.
TEST_F(TickFeaturesTest, ColumnsEqualTheKernelsOverTheTicksBeforeEachRow) {
  const FeatureSetSpec spec = Spec();
  auto store = MakeStore("s", BaseTicks());
  Result<Dataset> ds = BuildDataset(*store, spec, {});
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  ASSERT_GT(ds->rows(), 1500u);
  const std::vector<int> cols = TickColumns(*ds);
  // The tick columns follow the bar families.
  EXPECT_EQ(ds->feature_names.size(), 7u);
  EXPECT_EQ(cols[0], 2);

  const std::vector<QuoteTick>& ticks = BaseTicks()[0];
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  Reference ref(spec);
  size_t next = 0, weekend_skipped = 0, finite = 0;
  for (size_t r = 0; r < ds->rows(); ++r) {
    const UnixNanos t = ds->time[r];
    for (; next < ticks.size() && ticks[next].ts_event < t; ++next) {
      if (cal.IsOpen(ticks[next].ts_event)) {
        ref.Update(ticks[next]);
      } else {
        ++weekend_skipped;
      }
    }
    const std::vector<double> want = ref.At(t);
    for (size_t k = 0; k < cols.size(); ++k) {
      const double got = ds->features[static_cast<size_t>(cols[k])][r];
      ASSERT_TRUE(SameValue(got, want[k]))
          << ds->feature_names[static_cast<size_t>(cols[k])] << " at " << t.ToIso() << ": " << got
          << " vs " << want[k];
      finite += std::isfinite(got);
    }
  }
  EXPECT_EQ(weekend_skipped, 3u);
  EXPECT_EQ(finite, cols.size() * ds->rows());  // every row has ticks before it
  // Plausible magnitudes: spreads of a fraction of a pip to a few pips, positive rates.
  const auto& spread = ds->features[static_cast<size_t>(cols[1])];
  const auto& rate = ds->features[static_cast<size_t>(cols[3])];
  const auto& imb = ds->features[static_cast<size_t>(cols[2])];
  for (size_t r = 0; r < ds->rows(); ++r) {
    ASSERT_GT(spread[r], 0.01);
    ASSERT_LT(spread[r], 50.0);
    ASSERT_GT(rate[r], 0.0);
    ASSERT_LE(std::abs(imb[r]), 1.0);
  }
}

// A tick exactly at a decision time belongs to the next bar: the row at t does not see it, the
// row at t + 5m does. Pushing it with or without AdvanceTo(t) first gives the same rows.
TEST(TickFeaturesEngineTest, TickAtTheDecisionTimeIsNotSeenByThatRow) {
  const FeatureSetSpec spec = Spec(R"toml(
symbol = "EURUSD"
base_timeframe = "M5"
[ticks]
spread = "1m"
intensity = "1m"
)toml");
  const UnixNanos t0 = T("2024-03-05T10:00:00Z");
  auto tick = [](UnixNanos ts, double spread_pips) {
    QuoteTick q;
    q.ts_event = ts;
    q.bid = Price::FromDouble(1.1);
    q.ask = Price::FromRaw(q.bid.raw() + std::llround(spread_pips * 100000));  // 1 pip = 1e5 raw
    return q;
  };
  auto bar = [](UnixNanos open) {
    Bar b;
    b.ts_open = open;
    b.ts_close = open + minutes(1);
    b.open = b.high = b.low = b.close = Price::FromDouble(1.1);
    b.tick_count = 1;
    return b;
  };
  std::vector<std::vector<double>> rows[2];
  for (int explicit_advance = 0; explicit_advance < 2; ++explicit_advance) {
    auto engine = FeatureEngine::Create(spec);
    ASSERT_TRUE(engine.ok());
    FeatureEngine& e = **engine;
    ASSERT_TRUE(e.needs_ticks());
    ASSERT_EQ(e.feature_names(), (std::vector<std::string>{"tick_spread_1m", "tick_intensity_1m"}));
    // Bars 10:00..10:09, ticks at 10:00:30 (1 pip) and exactly 10:05:00 (9 pips).
    const std::vector<std::pair<UnixNanos, double>> ticks = {{t0 + seconds(30), 1.0},
                                                             {t0 + minutes(5), 9.0}};
    size_t ti = 0;
    for (int m = 0; m < 10; ++m) {
      const UnixNanos open = t0 + minutes(m);
      ASSERT_TRUE(e.AdvanceTo(open).ok());
      ASSERT_TRUE(e.Push(0, bar(open)).ok());
      // Explicitly: AdvanceTo(ts) and the tick in the minute holding it. Implicitly: the tick at
      // 10:05 is pushed right after the 10:04 bar, and PushTick moves the clock itself.
      while (ti < ticks.size() && (explicit_advance ? ticks[ti].first < open + minutes(1)
                                                    : ticks[ti].first <= open + minutes(1))) {
        if (explicit_advance) {
          ASSERT_TRUE(e.AdvanceTo(ticks[ti].first).ok());
        }
        ASSERT_TRUE(e.PushTick(0, tick(ticks[ti].first, ticks[ti].second)).ok());
        ++ti;
      }
    }
    ASSERT_TRUE(e.AdvanceTo(t0 + minutes(10)).ok());
    ASSERT_EQ(e.row_times(), (std::vector<UnixNanos>{t0 + minutes(5), t0 + minutes(10)}));
    for (size_t r = 0; r < 2; ++r) {
      rows[explicit_advance].push_back({e.row_values()[2 * r], e.row_values()[2 * r + 1]});
    }
    // A tick older than the clock is refused; a cross symbol's or a bad index is not applied.
    EXPECT_EQ(e.PushTick(0, tick(t0 + minutes(9), 1.0)).code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(e.PushTick(3, tick(t0 + minutes(11), 1.0)).code(), StatusCode::kInvalidArgument);
  }
  // Row at 10:05: only the 10:00:30 tick. The spread average started at it and holds it: 1 pip.
  const indicators::TimeDecay decay(minutes(1));
  const double tau_s = decay.tau_seconds();
  EXPECT_EQ(rows[0][0][0], 1.0);
  const double lambda = std::exp(-270.0 / tau_s) / tau_s;
  EXPECT_NEAR(rows[0][0][1], lambda, 1e-12 * lambda);
  // Row at 10:10 sees the 9-pip tick held for 5 minutes (weight 1 - 2^-5 on it).
  EXPECT_NEAR(rows[0][1][0], 1.0 / 32 + 9.0 * 31 / 32, 1e-9);
  EXPECT_GT(rows[0][1][1], std::exp(-300.0 / tau_s) / tau_s);
  for (size_t r = 0; r < 2; ++r) {
    for (size_t c = 0; c < 2; ++c) EXPECT_TRUE(SameValue(rows[0][r][c], rows[1][r][c]));
  }
}

// Every tick from t on changed (prices moved, ticks dropped, ticks added, one exactly at t with a
// 50-pip spread): every feature at every row <= t is bit-identical; rows after t do change.
TEST_F(TickFeaturesTest, FuturePerturbationMovesNoPastTickFeature) {
  const FeatureSetSpec spec = Spec();
  const UnixNanos t = T("2024-03-08T13:35:00Z");  // an M5 close: a row exists at t
  Ticks changed = BaseTicks();
  std::mt19937_64 rng(9);
  for (auto& sym : changed) {
    std::vector<QuoteTick> out;
    for (const QuoteTick& q : sym) {
      if (q.ts_event < t) {
        out.push_back(q);
        continue;
      }
      if (rng() % 5 == 0) continue;
      QuoteTick m = q;
      const int64_t shift = static_cast<int64_t>(rng() % 400) - 100;
      m.bid = Price::FromRaw(q.bid.raw() + shift * 10000);
      m.ask = Price::FromRaw(q.ask.raw() + shift * 10000 + static_cast<int64_t>(rng() % 3) * 10000);
      m.bid_volume += 1;
      out.push_back(m);
      if (rng() % 7 == 0) {
        QuoteTick e = m;
        e.ts_event = UnixNanos(m.ts_event.ns() + 1);
        out.push_back(e);
      }
    }
    QuoteTick at = out.back();
    at.ts_event = t;
    at.ask = Price::FromRaw(at.bid.raw() + 50 * 10000 * 10);  // 50 pips
    at.ask_volume = 1000;
    out.push_back(at);
    std::stable_sort(out.begin(), out.end(), [](const QuoteTick& a, const QuoteTick& b) {
      return a.ts_event < b.ts_event;
    });
    sym = out;
  }
  auto a_store = MakeStore("a", BaseTicks());
  auto b_store = MakeStore("b", changed);
  Result<Dataset> a = BuildDataset(*a_store, spec, {});
  Result<Dataset> b = BuildDataset(*b_store, spec, {});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(a->feature_names, b->feature_names);
  const std::vector<int> cols = TickColumns(*a);
  size_t checked = 0, at_row = a->rows();
  std::vector<size_t> changed_after(cols.size(), 0);
  for (size_t r = 0; r < a->rows() && r < b->rows(); ++r) {
    ASSERT_EQ(a->time[r], b->time[r]) << r;
    if (a->time[r] <= t) {
      for (size_t c = 0; c < a->feature_names.size(); ++c) {
        ASSERT_TRUE(SameValue(a->features[c][r], b->features[c][r]))
            << a->feature_names[c] << " at " << a->time[r].ToIso();
      }
      if (a->time[r] == t) at_row = r;
      ++checked;
    } else {
      for (size_t k = 0; k < cols.size(); ++k) {
        const size_t c = static_cast<size_t>(cols[k]);
        changed_after[k] += !SameValue(a->features[c][r], b->features[c][r]);
      }
    }
  }
  ASSERT_LT(at_row, a->rows());
  EXPECT_GT(checked, 800u);
  for (size_t k = 0; k < cols.size(); ++k) EXPECT_GT(changed_after[k], 500u) << k;
}

// A live loop — each tick goes to a per-symbol M1 aggregator and (the target's) to the engine,
// bars are pushed as the clock completes them, and a 20-second clock ticks in between — emits
// exactly the batch rows.
TEST_F(TickFeaturesTest, LiveClockEqualsBatch) {
  const FeatureSetSpec spec = Spec();
  auto store = MakeStore("s", BaseTicks());
  const UnixNanos to = T("2024-03-08T16:00:00Z");
  BuildOptions opt;
  opt.to = to;
  Result<Dataset> batch = BuildDataset(*store, spec, opt);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();

  auto engine = FeatureEngine::Create(spec);
  ASSERT_TRUE(engine.ok());
  FeatureEngine& e = **engine;
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  std::vector<bars::BarAggregator> aggs;
  for (size_t s = 0; s < 2; ++s) aggs.emplace_back(bars::Timeframe::kM1, spec.price, cal);
  auto push_bars = [&](UnixNanos now) {
    for (size_t s = 0; s < aggs.size(); ++s) {
      aggs[s].OnTime(now);
      for (const Bar& b : aggs[s].completed()) ASSERT_TRUE(e.Push(s, b).ok());
      aggs[s].ClearCompleted();
    }
  };
  std::vector<std::pair<UnixNanos, std::pair<size_t, QuoteTick>>> events;
  for (size_t s = 0; s < 2; ++s) {
    for (const QuoteTick& q : BaseTicks()[s]) {
      if (q.ts_event < to) events.push_back({q.ts_event, {s, q}});
    }
  }
  std::stable_sort(events.begin(), events.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  UnixNanos clock = T("2024-03-03");
  for (const auto& [ts, ev] : events) {
    while (clock + seconds(20) <= ts) {
      clock += seconds(20);
      push_bars(clock);
      ASSERT_TRUE(e.AdvanceTo(clock).ok());
    }
    push_bars(ts);
    ASSERT_TRUE(aggs[ev.first].Update(ev.second).ok());
    ASSERT_TRUE(e.PushTick(ev.first, ev.second).ok());
  }
  push_bars(to);
  ASSERT_TRUE(e.AdvanceTo(to).ok());
  const size_t n = batch->feature_names.size();
  ASSERT_EQ(e.row_times(), batch->time);
  for (size_t r = 0; r < batch->rows(); ++r) {
    for (size_t c = 0; c < n; ++c) {
      ASSERT_TRUE(SameValue(e.row_values()[r * n + c], batch->features[c][r]))
          << batch->feature_names[c] << " " << r;
    }
  }
}

// Building to T1 and extending to T2 gives exactly the dataset built to T2 in one go (features,
// labels, checkpoint), with and without --from, and open-ended extension adds nothing twice.
TEST_F(TickFeaturesTest, ExtensionEqualsFullBuild) {
  const FeatureSetSpec spec = Spec();
  auto store = MakeStore("s", BaseTicks());
  testing::ExpectExtensionEqualsFullBuild(*store, spec,
                                          {UnixNanos::Min(), T("2024-03-06T10:00:00Z")},
                                          T("2024-03-07T16:41"), T("2024-03-12T00:00:00Z"));
}

// Rows from --from on agree (to 1e-9 relative) with a build that started days earlier: the
// lookback covers the tick kernels' stable time.
TEST_F(TickFeaturesTest, LookbackMakesValuesIndependentOfTheStart) {
  const FeatureSetSpec spec = Spec(R"toml(
symbol = "EURUSD"
base_timeframe = "M15"
[ticks]
spread = ["30s", "5m"]
imbalance = "2m"
intensity = "1m"
slippage = "5m"
)toml");
  auto store = MakeStore("s", BaseTicks());
  auto engine = FeatureEngine::Create(spec);
  ASSERT_TRUE(engine.ok());
  // 27.6 time constants of the 5-minute half-life and one M15 bar of open market, plus 3 days
  // for a weekend, in whole minutes.
  const indicators::TimeDecay five(minutes(5));
  const int64_t want = five.StableTime().count() + 15 * kNanosPerMinute + 3 * kNanosPerDay;
  EXPECT_GE((*engine)->Lookback().count(), want);
  EXPECT_LT((*engine)->Lookback().count(), want + kNanosPerMinute);
  EXPECT_EQ((*engine)->Lookback().count() % kNanosPerMinute, 0);
  // Monday morning: the lookback reaches back over the weekend's empty hours into Friday's data
  // for a Sunday-evening start, and from mid-week too.
  for (const char* iso : {"2024-03-10T21:30:00Z", "2024-03-12T12:00:00Z"}) {
    BuildOptions opt;
    opt.from = T(iso);
    Result<Dataset> late = BuildDataset(*store, spec, opt);
    Result<Dataset> early = BuildDataset(*store, spec, {});
    ASSERT_TRUE(late.ok() && early.ok());
    ASSERT_GT(late->rows(), 100u);
    const size_t offset = early->rows() - late->rows();
    ASSERT_EQ(early->time[offset], late->time[0]);
    for (size_t c = 0; c < late->feature_names.size(); ++c) {
      for (size_t r = 0; r < late->rows(); ++r) {
        const double x = late->features[c][r], y = early->features[c][offset + r];
        ASSERT_FALSE(std::isnan(x) || std::isnan(y)) << late->feature_names[c] << " " << r;
        ASSERT_NEAR(x, y, 1e-9 * std::max(1.0, std::abs(y))) << late->feature_names[c] << " " << r;
      }
    }
  }
}

// A store holding only a bar series of the target cannot give tick features.
TEST_F(TickFeaturesTest, BarOnlyStoreIsAFailedPrecondition) {
  auto s = store::TickStore::Open((dir_ / "bars").string(), store::OpenMode::kReadWrite);
  ASSERT_TRUE(s.ok());
  Result<std::vector<Bar>> bars = bars::AggregateTicks(BaseTicks()[0], bars::Timeframe::kM1,
                                                       PriceSide::kMid, fx::FxCalendar::Default());
  ASSERT_TRUE(bars.ok());
  ASSERT_TRUE((*s)->AppendBars({"EURUSD", "M1", "mid"}, *bars, {}, 5).ok());
  ASSERT_TRUE((*s)->AppendBars({"GBPUSD", "M1", "mid"}, *bars, {}, 5).ok());
  FeatureSetSpec spec = Spec();
  Result<Dataset> ds = BuildDataset(**s, spec, {});
  ASSERT_EQ(ds.status().code(), StatusCode::kFailedPrecondition) << ds.status().ToString();
  EXPECT_NE(ds.status().message().find("EURUSD"), std::string::npos) << ds.status().ToString();
  EXPECT_NE(ds.status().message().find("[ticks]"), std::string::npos) << ds.status().ToString();
  // Without [ticks] the same store builds.
  spec.ticks = {};
  EXPECT_TRUE(BuildDataset(**s, spec, {}).ok());
}

TEST(TickFeatureSetTest, CanonicalTextRoundTripsAndIgnoresLayout) {
  const FeatureSetSpec a = Spec();
  EXPECT_EQ(a.ticks.spread, (std::vector<Duration>{seconds(30), minutes(5)}));
  EXPECT_EQ(a.ticks.slippage_latency, milliseconds(250));
  const std::string text = a.ToCanonicalText();
  EXPECT_NE(text.find("\n[ticks]\nspread = [\"30s\", \"5m\"]\nimbalance = [\"2m\"]\n"
                      "intensity = [\"1m\"]\nslippage = [\"5m\"]\nslippage_latency = \"250ms\"\n"),
            std::string::npos)
      << text;
  Result<FeatureSetSpec> b = ParseFeatureSet(text, "canonical.toml");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*b, a);
  EXPECT_EQ(b->ToCanonicalText(), text);
  // Other spellings of the same durations, order and duplicates: same hash.
  Result<FeatureSetSpec> c = ParseFeatureSet(R"toml(
name = "tick-set"
symbol = "eur/usd"
labels = ["fwd_return(h=6)"]
[ticks]
slippage_latency = "250000us"
intensity = ["60s"]
slippage = "300s"
imbalance = ["120000ms"]
spread = ["5m", "30s", "30000ms"]
[indicators]
M5 = "rsi"
[cross]
symbols = ["GBPUSD"]
correlation_window = 20
strength_window = 0
triangular = false
)toml",
                                             "other.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->HashHex(), a.HashHex()) << c->ToCanonicalText();
  // Another latency or half-life is another feature set.
  FeatureSetSpec d = a;
  d.ticks.slippage_latency = milliseconds(100);
  EXPECT_NE(d.HashHex(), a.HashHex());
  d = a;
  d.ticks.intensity = {minutes(2)};
  EXPECT_NE(d.HashHex(), a.HashHex());
}

// Specs without [ticks] (or with an empty one) keep the text and hash they had before [ticks]
// existed: stored datasets and golden files depend on them.
TEST(TickFeatureSetTest, SpecsWithoutTicksKeepTheirHash) {
  const Result<FeatureSetSpec> minimal = ParseFeatureSet("symbol = \"EURUSD\"\n", "m.toml");
  ASSERT_TRUE(minimal.ok());
  EXPECT_EQ(minimal->HashHex(), "266ea85dff1d495a");
  EXPECT_EQ(minimal->ToCanonicalText().find("ticks"), std::string::npos);
  const Result<FeatureSetSpec> empty =
      ParseFeatureSet("symbol = \"EURUSD\"\n[ticks]\nspread = []\n", "e.toml");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(empty->HashHex(), "266ea85dff1d495a");
  // Nor does the engine need ticks for them. (engine_test pins the hash of a spec with every
  // bar family.)
  auto engine = FeatureEngine::Create(*minimal);
  ASSERT_TRUE(engine.ok());
  EXPECT_FALSE((*engine)->needs_ticks());
}

TEST(TickFeatureSetTest, ErrorsNameTheFileLineAndKey) {
  struct Case {
    const char* toml;
    const char* expect[3];
  };
  const Case cases[] = {
      {"symbol = \"EURUSD\"\n[ticks]\nspred = \"5m\"\n", {"spec.toml:3", "spred", "known: spread"}},
      {"symbol = \"EURUSD\"\n[ticks]\nspread = \"5x\"\n", {"spec.toml:3", "ticks.spread", "5x"}},
      {"symbol = \"EURUSD\"\n[ticks]\nspread = \"0s\"\n",
       {"spec.toml:3", "ticks.spread", "positive"}},
      {"symbol = \"EURUSD\"\n[ticks]\nimbalance = \"-5m\"\n",
       {"spec.toml:3", "ticks.imbalance", "-5m"}},
      {"symbol = \"EURUSD\"\n[ticks]\nintensity = [\"1m\", \"8d\"]\n",
       {"spec.toml:3", "ticks.intensity", "at most 7d"}},
      {"symbol = \"EURUSD\"\n[ticks]\nslippage = 5\n",
       {"spec.toml:3", "ticks.slippage", "duration"}},
      {"symbol = \"EURUSD\"\n[ticks]\nspread = [5]\n", {"spec.toml:3", "ticks.spread", "duration"}},
      {"symbol = \"EURUSD\"\n[ticks]\n\nslippage_latency = \"1ms\"\n",
       {"spec.toml:4", "ticks.slippage_latency", "without"}},
      {"symbol = \"EURUSD\"\n[ticks]\nslippage = \"1m\"\nslippage_latency = [\"1ms\"]\n",
       {"spec.toml:4", "ticks.slippage_latency", "duration"}},
      {"symbol = \"EURUSD\"\n[ticks]\nslippage = \"1m\"\nslippage_latency = \"2h\"\n",
       {"spec.toml:4", "ticks.slippage_latency", "at most 1h"}},
      {"symbol = \"EURUSD\"\nticks = \"5m\"\n", {"spec.toml:2", "ticks", "table"}},
  };
  for (const Case& c : cases) {
    Result<FeatureSetSpec> r = ParseFeatureSet(c.toml, "spec.toml");
    ASSERT_FALSE(r.ok()) << c.toml;
    for (const char* e : c.expect) {
      EXPECT_NE(r.status().ToString().find(e), std::string::npos)
          << c.toml << " -> " << r.status().ToString();
    }
  }
  // Latency zero is allowed (slippage = half the spread).
  EXPECT_TRUE(ParseFeatureSet("symbol = \"EURUSD\"\n[ticks]\nslippage = \"1m\"\n"
                              "slippage_latency = \"0ms\"\n",
                              "spec.toml")
                  .ok());
}

// A checkpoint restores the tick kernels: an engine restored mid-stream continues bit for bit,
// and a checkpoint of the spec without [ticks] does not load into one with it.
TEST(TickFeaturesEngineTest, CheckpointRestoresTickKernels) {
  const FeatureSetSpec spec = Spec();
  const std::vector<QuoteTick>& ticks = BaseTicks()[0];
  const UnixNanos cut = T("2024-03-06T11:02:00Z"), end = T("2024-03-06T15:00:00Z");
  auto run = [&](FeatureEngine& e, UnixNanos from, UnixNanos to) {
    for (const QuoteTick& q : ticks) {
      if (q.ts_event >= from && q.ts_event < to) {
        EXPECT_TRUE(e.PushTick(0, q).ok());
      }
    }
    EXPECT_TRUE(e.AdvanceTo(to).ok());
  };
  auto a = FeatureEngine::Create(spec);
  auto b = FeatureEngine::Create(spec);
  ASSERT_TRUE(a.ok() && b.ok());
  run(**a, UnixNanos::Min(), cut);
  ASSERT_TRUE((*b)->LoadState((*a)->SaveState()).ok());
  (*a)->ClearRows();
  run(**a, cut, end);
  run(**b, cut, end);
  EXPECT_EQ((*a)->SaveState(), (*b)->SaveState());
  FeatureSetSpec plain = spec;
  plain.ticks = {};
  auto c = FeatureEngine::Create(plain);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ((*b)->LoadState((*c)->SaveState()).code(), StatusCode::kCorruption);
  std::vector<uint8_t> cut_short = (*a)->SaveState();
  cut_short.resize(cut_short.size() - 8);
  EXPECT_FALSE((*b)->LoadState(cut_short).ok());
}

}  // namespace
}  // namespace arus::features
