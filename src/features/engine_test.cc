// Feature engine and dataset builds on a real store of generated ticks: the future-perturbation
// test over every feature family (indicators on several timeframes, trend alignment, correlations,
// currency strength, triangular deviation) and the labels, incremental extension equal to a full
// build, a live-like clock equal to batch, and independence from where the history started.
#include "features/engine.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "features/build.h"
#include "features/build_test_util.h"
#include "features/feature_set.h"
#include "fx/instrument.h"
#include "ingest/synthetic_market.h"
#include "store/tick_store.h"

namespace arus::features {
namespace {

using testing::SameValue;
using testing::T;
using testing::Ticks;

constexpr std::string_view kSpec = R"toml(
name = "test-set"
symbol = "EURGBP"
base_timeframe = "M5"
price = "mid"
labels = ["fwd_return(h=6)", "direction(h=12,dz=1,unit=pips)", "triple_barrier(tp=2,sl=1,atr=14,hold=24)"]
[indicators]
M5 = "rsi(14),macd(12,26,9),atr(14),bbands(20,2),stoch(14,3,3),adx(14),cci(20),willr(14),ao,obv,mfi(14),adl"
H1 = "rsi(14),ema(20)"
H4 = "atr(14)"
D1 = "sma(3)"
[trend]
timeframes = ["M5", "H1", "H4"]
ema = 20
[cross]
symbols = ["EURUSD", "GBPUSD"]
correlation_window = 50
strength_window = 12
triangular = true
)toml";

FeatureSetSpec Spec() {
  Result<FeatureSetSpec> s = ParseFeatureSet(kSpec, "test.toml");
  if (!s.ok()) ADD_FAILURE() << s.status().ToString();
  return *s;
}

const Ticks& BaseTicks() {
  static const Ticks ticks = [] {
    ingest::SyntheticOptions o;
    o.symbols = {"EURGBP", "EURUSD", "GBPUSD"};
    o.from = T("2024-03-04");
    o.to = T("2024-03-23");
    o.seed = 11;
    o.tick_rate_scale = 0.05;
    Result<Ticks> t = ingest::GenerateSyntheticTicks(o, fx::InstrumentTable::Builtin());
    if (!t.ok()) std::abort();
    return *t;
  }();
  return ticks;
}

class FeatureBuildTest : public testing::StoreTest {
 protected:
  std::unique_ptr<store::TickStore> MakeStore(const std::string& name, const Ticks& ticks) {
    return MakeStoreOf(name, ticks, {"EURGBP", "EURUSD", "GBPUSD"});
  }
};

// Every feature of every family, at every row at or before t, is bit-identical after every tick
// from t on changed (prices moved, ticks dropped, ticks added); labels whose information ended by
// t too. Rows after t do change (the perturbation is not a no-op).
TEST_F(FeatureBuildTest, FuturePerturbationMovesNoPastFeature) {
  const FeatureSetSpec spec = Spec();
  const UnixNanos t = T("2024-03-14T13:37:00Z");
  Ticks changed = BaseTicks();
  std::mt19937_64 rng(5);
  for (auto& sym : changed) {
    std::vector<QuoteTick> out;
    for (const QuoteTick& q : sym) {
      if (q.ts_event < t) {
        out.push_back(q);
        continue;
      }
      if (rng() % 5 == 0) continue;  // dropped
      QuoteTick m = q;
      const int64_t shift = static_cast<int64_t>(rng() % 400) - 100;
      m.bid = Price::FromRaw(q.bid.raw() + shift * 10000);
      m.ask = Price::FromRaw(q.ask.raw() + shift * 10000);
      m.bid_volume += 1;
      out.push_back(m);
      if (rng() % 7 == 0) {  // an extra tick
        QuoteTick e = m;
        e.ts_event = UnixNanos(m.ts_event.ns() + 1);
        out.push_back(e);
      }
    }
    std::sort(out.begin(), out.end(),
              [](const QuoteTick& a, const QuoteTick& b) { return a.ts_event < b.ts_event; });
    sym = out;
  }
  auto a_store = MakeStore("a", BaseTicks());
  auto b_store = MakeStore("b", changed);
  Result<Dataset> a = BuildDataset(*a_store, spec, {});
  Result<Dataset> b = BuildDataset(*b_store, spec, {});
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(a->feature_names, b->feature_names);
  ASSERT_GT(a->rows(), 3000u);
  // Every family is present.
  for (const char* name :
       {"m5_rsi_14", "h1_ema_20", "h4_atr_14", "d1_sma_3", "trend_align_20", "corr_EURUSD_50",
        "strength_EUR_12", "strength_GBP_12", "strength_USD_12", "tri_dev_USD_pips", "m5_adl"}) {
    EXPECT_GE(a->FeatureIndex(name), 0) << name;
  }
  size_t checked = 0, changed_after = 0;
  for (size_t r = 0; r < a->rows() && r < b->rows(); ++r) {
    ASSERT_EQ(a->time[r], b->time[r]) << r;  // the perturbation keeps every 5-minute bar
    if (a->time[r] <= t) {
      for (size_t c = 0; c < a->feature_names.size(); ++c) {
        ASSERT_TRUE(SameValue(a->features[c][r], b->features[c][r]))
            << a->feature_names[c] << " at " << a->time[r].ToIso() << ": " << a->features[c][r]
            << " vs " << b->features[c][r];
      }
      ++checked;
    } else {
      for (size_t c = 0; c < a->feature_names.size(); ++c) {
        changed_after += !SameValue(a->features[c][r], b->features[c][r]);
      }
    }
    for (size_t l = 0; l < a->label_names.size(); ++l) {
      if (a->label_end[l][r] <= t) {
        ASSERT_TRUE(SameValue(a->labels[l][r], b->labels[l][r])) << a->label_names[l] << " " << r;
        ASSERT_EQ(a->label_end[l][r], b->label_end[l][r]);
      }
    }
  }
  EXPECT_GT(checked, 1500u);
  EXPECT_GT(changed_after, 1000u);
}

// Building to T1 and extending to T2 gives exactly the dataset built to T2 in one go (features,
// labels, label ends, checkpoint), with and without --from; open-ended extension adds nothing
// twice.
TEST_F(FeatureBuildTest, ExtensionEqualsFullBuild) {
  const FeatureSetSpec spec = Spec();
  auto store = MakeStore("s", BaseTicks());
  testing::ExpectExtensionEqualsFullBuild(*store, spec,
                                          {UnixNanos::Min(), T("2024-03-08T10:00:00Z")},
                                          T("2024-03-13T16:41:00Z"), T("2024-03-20T00:00:00Z"));
  // Another feature set's dataset is refused.
  FeatureSetSpec other = spec;
  other.name = "other";
  Result<Dataset> part = BuildDataset(*store, spec, {.to = T("2024-03-12")});
  ASSERT_TRUE(part.ok());
  Result<Dataset> bad = ExtendDataset(*store, other, *part, {});
  EXPECT_EQ(bad.status().code(), StatusCode::kFailedPrecondition);
  Result<Dataset> cut = BuildDataset(*store, spec, {.to = T("2024-03-12T10:00:30Z")});
  EXPECT_EQ(cut.status().code(), StatusCode::kInvalidArgument);
}

// The engine driven by a live clock (ticking every 20 seconds, between and at bar boundaries)
// emits exactly the batch rows.
TEST_F(FeatureBuildTest, LiveClockEqualsBatch) {
  const FeatureSetSpec spec = Spec();
  auto store = MakeStore("s", BaseTicks());
  const UnixNanos to = T("2024-03-12");
  Result<Dataset> batch = BuildDataset(*store, spec, {.to = to});
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();

  auto engine = FeatureEngine::Create(spec);
  ASSERT_TRUE(engine.ok());
  std::vector<std::vector<Bar>> source;
  for (const std::string& s : (*engine)->symbols()) {
    source.push_back(*LoadSourceBars(*store, s, spec.price, UnixNanos::Min(), to));
  }
  // Live: every 20 seconds, the M1 bars that closed since are pushed, then the clock moves on.
  std::vector<size_t> pos(source.size(), 0);
  for (int64_t now = T("2024-03-03").ns(); now <= to.ns(); now += 20 * kNanosPerSecond) {
    for (size_t s = 0; s < source.size(); ++s) {
      while (pos[s] < source[s].size() && source[s][pos[s]].ts_close.ns() <= now) {
        ASSERT_TRUE((*engine)->Push(s, source[s][pos[s]++]).ok());
      }
    }
    ASSERT_TRUE((*engine)->AdvanceTo(UnixNanos(now)).ok());
  }
  // A bar that comes after the clock passed its close is refused.
  Bar late = source[0].back();
  EXPECT_FALSE((*engine)->Push(0, late).ok());
  const size_t n = batch->feature_names.size();
  ASSERT_EQ((*engine)->row_times(), batch->time);
  for (size_t r = 0; r < batch->rows(); ++r) {
    for (size_t c = 0; c < n; ++c) {
      ASSERT_TRUE(SameValue((*engine)->row_values()[r * n + c], batch->features[c][r]))
          << batch->feature_names[c] << " " << r;
    }
  }
}

// Rows from --from on agree (to 1e-9 relative) with a build that started two weeks earlier: the
// engine's Lookback covers every kernel's stable period.
TEST_F(FeatureBuildTest, LookbackMakesValuesIndependentOfTheStart) {
  // Wilder-smoothed H1/H4 kernels need weeks of history to forget their start to 1e-12: keep the
  // M5 group and a finite-window H1 kernel, which the 19 days of data can cover.
  FeatureSetSpec spec = Spec();
  // OBV and ADL are cumulative: their level depends on the start by definition.
  spec.indicators.resize(1);
  ASSERT_EQ(spec.indicators[0].timeframe, bars::Timeframe::kM5);
  std::erase_if(spec.indicators[0].indicators, [](const indicators::IndicatorSpec& i) {
    return i.name == "obv" || i.name == "adl";
  });
  spec.indicators.push_back({bars::Timeframe::kH1, *indicators::ParseIndicatorList("sma(5)")});
  spec.trend.timeframes = {bars::Timeframe::kM5};
  auto store = MakeStore("s", BaseTicks());
  auto engine = FeatureEngine::Create(spec);
  ASSERT_TRUE(engine.ok());
  const UnixNanos from = T("2024-03-18T12:00:00Z");
  ASSERT_LT(from.ns() - (*engine)->Lookback().count(), T("2024-03-18").ns() + 1);
  ASSERT_GT(from.ns() - (*engine)->Lookback().count(), T("2024-03-04").ns());
  Result<Dataset> late = BuildDataset(*store, spec, {.from = from});
  Result<Dataset> early = BuildDataset(*store, spec, {});
  ASSERT_TRUE(late.ok() && early.ok());
  const size_t offset = early->rows() - late->rows();
  ASSERT_EQ(early->time[offset], late->time[0]);
  for (size_t c = 0; c < late->feature_names.size(); ++c) {
    for (size_t r = 0; r < late->rows(); ++r) {
      const double x = late->features[c][r], y = early->features[c][offset + r];
      if (std::isnan(x) || std::isnan(y)) {
        ASSERT_EQ(std::isnan(x), std::isnan(y)) << late->feature_names[c] << " " << r;
        continue;
      }
      ASSERT_NEAR(x, y, 1e-9 * std::max(1.0, std::abs(y))) << late->feature_names[c] << " " << r;
    }
  }
}

// The longest periods on the longest timeframe give a long but positive lookback (no overflow).
TEST(FeatureEngineTest, LookbackOfHugePeriodsSaturates) {
  Result<FeatureSetSpec> spec = ParseFeatureSet(
      "symbol = \"EURUSD\"\n[indicators]\nW1 = \"ema(100000)\"\n[trend]\n"
      "timeframes = [\"W1\"]\nema = 10000\n",
      "huge.toml");
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  auto engine = FeatureEngine::Create(*spec);
  ASSERT_TRUE(engine.ok());
  const Duration lookback = (*engine)->Lookback();
  EXPECT_GT(lookback.count(), 100LL * 365 * kNanosPerDay);
  EXPECT_LE(lookback.count(), 200LL * 366 * kNanosPerDay);
}

TEST(FeatureSetTest, CanonicalTextAndHashIgnoreLayout) {
  const FeatureSetSpec a = Spec();
  Result<FeatureSetSpec> b = ParseFeatureSet(a.ToCanonicalText(), "canonical.toml");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(*b, a);
  EXPECT_EQ(b->HashHex(), a.HashHex());
  // Pinned: stored datasets and models name their feature set by this hash, so a change to the
  // canonical text (e.g. a new optional table) must leave existing specs' hashes alone.
  EXPECT_EQ(a.HashHex(), "46d2e1e5c834ef82");
  Result<FeatureSetSpec> c = ParseFeatureSet(R"toml(
symbol = "eur/gbp"
name = "test-set"
labels = ["fwd_return(h=6)", "direction(h=12,dz=1,unit=pips)", "triple_barrier(tp=2,sl=1,atr=14,hold=24)"]
[cross]
symbols = ["GBPUSD", "eurusd", "EURUSD"]
correlation_window = 50
strength_window = 12
[trend]
timeframes = ["h4", "M5", "H1"]
ema = 20
[indicators]
D1 = "sma(3)"
H4 = "atr"
H1 = "rsi,ema(20)"
M5 = "rsi(14),macd(12,26,9),atr(14),bbands(20,2),stoch(14,3,3),adx(14),cci(20),willr(14),ao,obv,mfi(14),adl"
)toml",
                                             "other.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->HashHex(), a.HashHex()) << c->ToCanonicalText() << "\n---\n" << a.ToCanonicalText();
}

TEST(FeatureSetTest, ErrorsNameTheFileLineAndKey) {
  struct Case {
    const char* toml;
    const char* expect;
  };
  const Case cases[] = {
      {"name = \"x\"\n", "symbol"},
      {"symbol = \"EURUSD\"\nbogus = 1\n", "bogus"},
      {"symbol = \"XXXYYY\"\n", "XXXYYY"},
      {"symbol = \"EURUSD\"\nbase_timeframe = \"M7\"\n", "M7"},
      {"symbol = \"EURUSD\"\n[indicators]\nM5 = \"nosuch(3)\"\n", "nosuch"},
      {"symbol = \"EURUSD\"\nbase_timeframe = \"H1\"\n[indicators]\nM5 = \"rsi\"\n", "below"},
      {"symbol = \"EURUSD\"\nlabels = [\"fwd_return(h=-1)\"]\n", "labels"},
      {"symbol = \"EURUSD\"\n[cross]\ncorrelation_window = 1\n", "correlation_window"},
      {"symbol = \"EURUSD\"\n[trend]\nema = \"x\"\n", "ema"},
      {"symbol = [\n", "spec.toml"},
      {"", "symbol"},
  };
  for (const Case& c : cases) {
    Result<FeatureSetSpec> r = ParseFeatureSet(c.toml, "spec.toml");
    ASSERT_FALSE(r.ok()) << c.toml;
    EXPECT_NE(r.status().ToString().find(c.expect), std::string::npos)
        << c.toml << " -> " << r.status().ToString();
    EXPECT_NE(r.status().ToString().find("spec.toml"), std::string::npos) << r.status().ToString();
  }
}

}  // namespace
}  // namespace arus::features
