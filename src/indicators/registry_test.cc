// The registry: parsing of indicator lists, defaults, range checks and their messages, output
// names; and properties every registered indicator must have through the Indicator interface
// (streaming == batch, Clone/Reset, Save/Load mid-stream, warm-up, independence from where the
// history started, no dependence on future bars).
#include "indicators/registry.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace arus::indicators {
namespace {

std::string ParseError(std::string_view text) {
  auto r = ParseIndicatorList(text);
  EXPECT_FALSE(r.ok()) << text;
  return r.ok() ? "" : r.status().message();
}

void ExpectContains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

std::vector<std::string> AllOutputNames(const std::vector<IndicatorSpec>& specs) {
  std::vector<std::string> names;
  for (const IndicatorSpec& s : specs) {
    auto n = OutputNames(s);
    EXPECT_TRUE(n.ok()) << n.status().ToString();
    if (n.ok()) names.insert(names.end(), n->begin(), n->end());
  }
  return names;
}

TEST(Registry, IssueExampleNames) {
  auto specs = ParseIndicatorList(
      "sma(20),ema(20),rsi(14),macd(12,26,9),bbands(20,2),stoch(14,3,3),mfi(14),adl,obv,atr(14),"
      "adx(14),cci(20),willr(14),ao");
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  std::string joined;
  for (const std::string& n : AllOutputNames(*specs)) joined += (joined.empty() ? "" : ",") + n;
  EXPECT_EQ(joined,
            "sma_20,ema_20,rsi_14,macd_12_26_9,macd_signal_12_26_9,macd_hist_12_26_9,bb_mid_20_2,"
            "bb_up_20_2,bb_dn_20_2,stoch_k_14_3_3,stoch_d_14_3_3,mfi_14,adl,obv,atr_14,adx_14,"
            "cci_20,willr_14,ao");
}

TEST(Registry, DefaultsCanonicalFormsAndWhitespace) {
  auto specs =
      ParseIndicatorList(" RSI , macd( 5 ),bbands(20, 2.5) ,sma(1e1),keltner,donchian(55)");
  ASSERT_TRUE(specs.ok()) << specs.status().ToString();
  ASSERT_EQ(specs->size(), 6u);
  EXPECT_EQ((*specs)[0].Canonical(), "rsi(14)");
  EXPECT_EQ((*specs)[1].Canonical(), "macd(5,26,9)");
  EXPECT_EQ((*specs)[2].Canonical(), "bbands(20,2.5)");
  EXPECT_EQ((*specs)[3].Canonical(), "sma(10)");
  EXPECT_EQ((*specs)[4].Canonical(), "keltner(20,2,10)");
  EXPECT_EQ(AllOutputNames(*specs),
            (std::vector<std::string>{"rsi_14", "macd_5_26_9", "macd_signal_5_26_9",
                                      "macd_hist_5_26_9", "bb_mid_20_2.5", "bb_up_20_2.5",
                                      "bb_dn_20_2.5", "sma_10", "kc_mid_20_2_10", "kc_up_20_2_10",
                                      "kc_dn_20_2_10", "dc_mid_55", "dc_up_55", "dc_dn_55"}));
  auto big = ParseIndicatorSpec("sma(100000)");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big->Canonical(), "sma(100000)");  // no exponent in names
  EXPECT_EQ(OutputNames(*big).value(), std::vector<std::string>{"sma_100000"});
}

TEST(Registry, UnknownNameListsKnownOnes) {
  const std::string m = ParseError("sma(20),foo(3)");
  ExpectContains(m, "unknown indicator 'foo'");
  ExpectContains(m, "known: ");
  for (const IndicatorDef& d : AllIndicators()) ExpectContains(m, d.name);
  ExpectContains(ParseError("s-ma"), "bad character '-'");
  ExpectContains(ParseError("(20)"), "missing indicator name");
}

TEST(Registry, BadParametersSayWhatIsExpected) {
  std::string m = ParseError("sma(0)");
  ExpectContains(m, "'sma(0)'");
  ExpectContains(m, "parameter 'period' must be in [2, 100000], got 0");
  ExpectContains(m, "expected sma(period=20)");
  ExpectContains(ParseError("sma(1e9)"), "must be in [2, 100000], got 1000000000");
  ExpectContains(ParseError("sma(-5)"), "got -5");
  m = ParseError("rsi(2.5)");
  ExpectContains(m, "parameter 'period' must be an integer, got 2.5");
  ExpectContains(m, "expected rsi(period=14)");
  ExpectContains(ParseError("sma("), "'sma(': missing ')'");
  ExpectContains(ParseError("sma(20"), "missing ')'");
  ExpectContains(ParseError("sma(20)x"), "unexpected text after ')'");
  ExpectContains(ParseError("sma(20))"), "unbalanced ')'");
  ExpectContains(ParseError("sma)20("), "unbalanced ')'");
  ExpectContains(ParseError("sma((20))"), "unbalanced parentheses");
  ExpectContains(ParseError("sma(x)"), "parameter 1 ('period') is not a number: 'x'");
  ExpectContains(ParseError("sma(0x10)"), "is not a number: '0x10'");
  ExpectContains(ParseError("sma(20 20)"), "is not a number: '20 20'");
  ExpectContains(ParseError("sma(nan)"), "not a finite number");
  ExpectContains(ParseError("sma(inf)"), "not a finite number");
  ExpectContains(ParseError("macd(12,,9)"), "parameter 2 ('slow') is empty");
  m = ParseError("sma(20,3)");
  ExpectContains(m, "sma takes at most 1 parameter(s), got 2");
  ExpectContains(ParseError("adl(3)"), "adl takes no parameters, got 1");
  m = ParseError("macd(26,12)");
  ExpectContains(m, "fast period must be below the slow one");
  ExpectContains(m, "expected macd(fast=12, slow=26, signal=9)");
  ExpectContains(ParseError("bbands(20,-1)"), "parameter 'k' must be in [0, 100], got -1");
}

TEST(Registry, ListStructureErrors) {
  ExpectContains(ParseError(""), "no indicators given");
  ExpectContains(ParseError("  "), "no indicators given");
  ExpectContains(ParseError("sma,,ema"), "empty item");
  ExpectContains(ParseError("sma,"), "empty item");
  ExpectContains(ParseError(",sma"), "empty item");
  ExpectContains(ParseError("sma(20),sma(20)"), "sma(20) is listed twice");
  ExpectContains(ParseError("sma,sma(20)"), "listed twice");
  // Hostile input: long junk is an error, not a crash.
  ExpectContains(ParseError(std::string(10000, '(')), "missing");
  ExpectContains(ParseError(std::string(5000, ',')), "empty item");
}

TEST(Registry, MakeIndicatorChecksSpecsBuiltInCode) {
  auto bad = MakeIndicator(IndicatorSpec{"sma", {1}});
  ASSERT_FALSE(bad.ok());
  ExpectContains(bad.status().message(), "must be in [2, 100000]");
  EXPECT_FALSE(MakeIndicator(IndicatorSpec{"nope", {}}).ok());
  EXPECT_FALSE(MakeIndicator(IndicatorSpec{"macd", {12, 26, 9, 1}}).ok());
  auto ok = MakeIndicator(IndicatorSpec{"macd", {8}});  // trailing parameters default
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)->OutputNames()[1], "macd_signal_8_26_9");
  EXPECT_EQ((*ok)->WarmupPeriod(), 26 + 9 - 1);
}

TEST(Registry, DefinitionsAreConsistent) {
  const auto& defs = AllIndicators();
  ASSERT_GE(defs.size(), 16u);
  std::set<std::string> names, stems;
  for (size_t i = 0; i < defs.size(); ++i) {
    const IndicatorDef& d = defs[i];
    if (i > 0) {
      EXPECT_LT(defs[i - 1].name, d.name);  // sorted, unique
    }
    EXPECT_EQ(FindIndicator(d.name), &d);
    EXPECT_FALSE(d.description.empty()) << d.name;
    EXPECT_FALSE(d.outputs.empty()) << d.name;
    for (const std::string& o : d.outputs) EXPECT_TRUE(stems.insert(o).second) << o;
    std::vector<double> defaults;
    for (const ParamDef& p : d.params) {
      EXPECT_GE(p.default_value, p.min_value) << d.name << "." << p.name;
      EXPECT_LE(p.default_value, p.max_value) << d.name << "." << p.name;
      defaults.push_back(p.default_value);
    }
    auto ind = MakeIndicator(IndicatorSpec{d.name, defaults});
    ASSERT_TRUE(ind.ok()) << d.name << ": " << ind.status().ToString();
    EXPECT_EQ((*ind)->OutputNames().size(), d.outputs.size()) << d.name;
    EXPECT_GE((*ind)->StablePeriod(), (*ind)->WarmupPeriod()) << d.name;
  }
  EXPECT_EQ(FindIndicator("SMA"), nullptr);  // lookup is by canonical (lower-case) name
  for (const char* price : {"sma", "ema", "wma", "rsi", "macd", "bbands", "stoch", "atr", "adx",
                            "cci", "willr", "roc", "stddev", "zscore", "donchian", "keltner"}) {
    EXPECT_NE(FindIndicator(price), nullptr) << price;
  }
}

// ---- Properties of every registered indicator ---------------------------------------------------

// M1 bars from Tuesday 2024-01-02 00:00 UTC: a random walk with volatility regimes, flat stretches,
// volumes, tick counts and spreads, so every input field varies.
std::vector<BarInput> MakeBars(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0, 1);
  std::vector<BarInput> bars;
  double close = 1.1;
  const int64_t t0 = 1704153600LL * kNanosPerSecond;
  for (int i = 0; i < n; ++i) {
    BarInput b;
    b.ts_open = UnixNanos(t0 + i * kNanosPerMinute);
    b.ts_close = UnixNanos(t0 + (i + 1) * kNanosPerMinute);
    const double vol = (i / 400) % 3 == 2 ? 3e-4 : 1e-4;
    b.open = close;
    if (i % 600 < 560) close += vol * z(rng);
    b.close = close;
    b.high = std::max(b.open, b.close) + vol * std::fabs(z(rng)) * (i % 600 < 560);
    b.low = std::min(b.open, b.close) - vol * std::fabs(z(rng)) * (i % 600 < 560);
    b.tick_count = 1 + std::floor(50 * std::fabs(z(rng)));
    b.volume = b.tick_count * (1 + std::fabs(z(rng)));
    b.spread_mean = 1e-5 * (1 + std::fabs(z(rng)));
    b.spread_max = b.spread_mean * 1.5;
    bars.push_back(b);
  }
  return bars;
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

struct Case {
  std::string text;
  std::unique_ptr<Indicator> ind;
};

// Every registered indicator with default parameters, plus a few other settings of price ones.
std::vector<Case> AllCases() {
  std::vector<std::string> texts;
  for (const IndicatorDef& d : AllIndicators()) texts.push_back(d.name);
  for (const char* extra :
       {"sma(2)", "ema(200)", "rsi(2)", "macd(3,10,1)", "bbands(5,0.5)", "stoch(5,1,1)", "atr(1)",
        "adx(3)", "cci(3)", "willr(2)", "roc(1)", "keltner(5,1,30)", "donchian(1)", "wma(2)"}) {
    texts.push_back(extra);
  }
  std::vector<Case> cases;
  for (const std::string& t : texts) {
    auto spec = ParseIndicatorSpec(t);
    EXPECT_TRUE(spec.ok()) << t;
    if (!spec.ok()) continue;
    auto ind = MakeIndicator(*spec);
    EXPECT_TRUE(ind.ok()) << t;
    if (ind.ok()) cases.push_back({spec->Canonical(), std::move(*ind)});
  }
  return cases;
}

std::vector<double> Stream(Indicator& ind, std::span<const BarInput> bars) {
  const size_t k = ind.OutputNames().size();
  std::vector<double> out(bars.size() * k);
  for (size_t i = 0; i < bars.size(); ++i) {
    ind.Update(bars[i]);
    ind.Values(&out[i * k]);
  }
  return out;
}

TEST(EveryIndicator, StreamingEqualsBatchCloneResetSaveLoad) {
  const std::vector<BarInput> bars = MakeBars(2500, 7);
  for (Case& c : AllCases()) {
    SCOPED_TRACE(c.text);
    const size_t k = c.ind->OutputNames().size();
    const std::vector<double> batch = RunBatch(*c.ind, bars);
    std::unique_ptr<Indicator> fresh = c.ind->Clone();
    fresh->Reset();
    const std::vector<double> streamed = Stream(*fresh, bars);
    for (size_t i = 0; i < batch.size(); ++i) {
      ASSERT_TRUE(SameBits(batch[i], streamed[i])) << "row " << i / k << " output " << i % k;
    }
    for (size_t cut : {size_t{0}, size_t{3}, size_t{777}, size_t{1600}}) {
      c.ind->Reset();
      Stream(*c.ind, std::span(bars).first(cut));
      // Clone continues like the original.
      std::unique_ptr<Indicator> clone = c.ind->Clone();
      // Save, load into a freshly made indicator, continue.
      StateWriter w;
      c.ind->Save(w);
      auto loaded = MakeIndicator(*ParseIndicatorSpec(c.text));
      ASSERT_TRUE(loaded.ok());
      StateReader r(w.bytes());
      ASSERT_TRUE((*loaded)->Load(r).ok()) << "cut " << cut;
      EXPECT_TRUE(r.done()) << "Load left bytes unread, cut " << cut;
      const auto rest = std::span(bars).subspan(cut);
      const std::vector<double> a = Stream(*c.ind, rest);
      const std::vector<double> b = Stream(**loaded, rest);
      const std::vector<double> cl = Stream(*clone, rest);
      for (size_t i = 0; i < a.size(); ++i) {
        ASSERT_TRUE(SameBits(a[i], batch[cut * k + i])) << "cut " << cut << " at " << i;
        ASSERT_TRUE(SameBits(a[i], b[i])) << "save/load, cut " << cut << " at " << i;
        ASSERT_TRUE(SameBits(a[i], cl[i])) << "clone, cut " << cut << " at " << i;
      }
    }
  }
}

TEST(EveryIndicator, WarmupContract) {
  const std::vector<BarInput> bars = MakeBars(1200, 8);
  for (Case& c : AllCases()) {
    SCOPED_TRACE(c.text);
    const size_t k = c.ind->OutputNames().size();
    const int w = c.ind->WarmupPeriod();
    ASSERT_GE(w, 1);
    ASSERT_LT(static_cast<size_t>(w), bars.size());
    std::vector<double> v(k);
    for (int i = 0; i < static_cast<int>(bars.size()); ++i) {
      c.ind->Update(bars[i]);
      c.ind->Values(v.data());
      ASSERT_EQ(c.ind->IsReady(), i + 1 >= w) << "update " << i + 1;
      for (size_t j = 0; j < k; ++j) {
        if (i + 1 < w) {
          ASSERT_TRUE(std::isnan(v[j])) << "update " << i + 1 << " output " << j;
        } else {
          ASSERT_FALSE(std::isnan(v[j])) << "update " << i + 1 << " output " << j;
        }
      }
    }
  }
}

// Start 1,000 bars later: once StablePeriod() bars have passed, every output agrees with the run
// over the longer history to 1e-9 relative. "Relative" is to max(|a|, |b|, the output's mean
// magnitude), so oscillators crossing zero are compared at their own scale.
TEST(EveryIndicator, IndependentOfWhereHistoryStarted) {
  constexpr size_t kEarlier = 1000;
  for (Case& c : AllCases()) {
    SCOPED_TRACE(c.text);
    const size_t k = c.ind->OutputNames().size();
    const size_t stable = static_cast<size_t>(c.ind->StablePeriod());
    if (stable > 100'000) {  // cumulative by definition (ADL, OBV): never independent of the start
      std::printf("  %s: no stable period, skipped\n", c.text.c_str());
      continue;
    }
    const std::vector<BarInput> bars = MakeBars(static_cast<int>(kEarlier + stable + 600), 9);
    const std::vector<double> a = RunBatch(*c.ind, bars);
    const std::vector<double> b = RunBatch(*c.ind, std::span(bars).subspan(kEarlier));
    for (size_t j = 0; j < k; ++j) {
      double scale = 0;
      size_t count = 0;
      for (size_t i = kEarlier + stable; i < bars.size(); ++i) {
        scale += std::fabs(a[i * k + j]);
        ++count;
      }
      scale /= count;
      for (size_t i = kEarlier + stable; i < bars.size(); ++i) {
        const double x = a[i * k + j], y = b[(i - kEarlier) * k + j];
        const double tol = 1e-9 * std::max({std::fabs(x), std::fabs(y), scale});
        ASSERT_LE(std::fabs(x - y), tol)
            << "output " << j << " bar " << i << ": " << x << " vs " << y;
      }
    }
  }
}

// Changing bars after t never moves a value at or before t.
TEST(EveryIndicator, FuturePerturbationDoesNotMovePastValues) {
  const std::vector<BarInput> bars = MakeBars(1500, 10);
  std::vector<BarInput> changed = bars;
  constexpr size_t kT = 900;
  for (size_t i = kT + 1; i < changed.size(); ++i) {
    changed[i].close *= 1.01;
    changed[i].high *= 1.02;
    changed[i].low *= 0.99;
    changed[i].volume *= 3;
    changed[i].tick_count += 7;
    changed[i].spread_mean *= 2;
  }
  for (Case& c : AllCases()) {
    SCOPED_TRACE(c.text);
    const size_t k = c.ind->OutputNames().size();
    const std::vector<double> a = RunBatch(*c.ind, bars);
    const std::vector<double> b = RunBatch(*c.ind, changed);
    for (size_t i = 0; i < (kT + 1) * k; ++i) ASSERT_TRUE(SameBits(a[i], b[i])) << i / k;
  }
}

TEST(EveryIndicator, LoadRejectsGarbage) {
  for (Case& c : AllCases()) {
    SCOPED_TRACE(c.text);
    StateWriter w;
    c.ind->Save(w);
    if (w.bytes().empty()) continue;  // stateless
    const std::vector<uint8_t> junk(3, 0xff);
    StateReader r(junk);
    EXPECT_FALSE(c.ind->Load(r).ok());
  }
}

}  // namespace
}  // namespace arus::indicators
