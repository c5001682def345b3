#include "features/labels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

namespace arus::features {
namespace {

const UnixNanos kStart = UnixNanos::FromSeconds(1'709'632'800);  // 2024-03-05T10:00:00Z
const Duration kM5(5 * kNanosPerMinute);

Price P(double x) { return Price::FromDouble(x); }

Bar MakeBar(size_t i, double o, double h, double l, double c, double spread = 0.0001) {
  Bar b;
  b.ts_open = kStart + kM5 * static_cast<int64_t>(i);
  b.ts_close = b.ts_open + kM5;
  b.open = P(o);
  b.high = P(h);
  b.low = P(l);
  b.close = P(c);
  b.tick_count = 10;
  b.spread_mean = spread;
  b.spread_max = P(spread * 2);
  return b;
}

// Bars whose closes are given; open = previous close, high/low = max/min of open and close.
std::vector<Bar> FromCloses(const std::vector<double>& closes, double spread = 0.0001) {
  std::vector<Bar> bars;
  for (size_t i = 0; i < closes.size(); ++i) {
    const double o = i ? closes[i - 1] : closes[i];
    bars.push_back(
        MakeBar(i, o, std::max(o, closes[i]), std::min(o, closes[i]), closes[i], spread));
  }
  return bars;
}

const fx::Instrument& Eurusd() {
  static const fx::Instrument* i = *fx::InstrumentTable::Builtin().Find("EURUSD");
  return *i;
}

const fx::Instrument& Usdjpy() {
  static const fx::Instrument* i = *fx::InstrumentTable::Builtin().Find("USDJPY");
  return *i;
}

LabelSpec Spec(std::string_view text) {
  Result<LabelSpec> s = ParseLabelSpec(text);
  EXPECT_TRUE(s.ok()) << text << ": " << s.status().ToString();
  return s.ok() ? *s : LabelSpec{};
}

LabelColumn Labels(std::string_view spec, const std::vector<Bar>& bars,
                   const fx::Instrument& inst = Eurusd()) {
  Result<LabelColumn> c = ComputeLabels(Spec(spec), bars, inst);
  EXPECT_TRUE(c.ok()) << spec << ": " << c.status().ToString();
  return c.ok() ? *c : LabelColumn{};
}

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// ---- Parsing
// -------------------------------------------------------------------------------------

TEST(LabelSpec, ParsesNamedPositionalAndDefaults) {
  LabelSpec s = Spec("forward_return(h=12)");
  EXPECT_EQ(s.kind, LabelKind::kForwardReturn);
  EXPECT_EQ(s.horizon, 12);
  EXPECT_EQ(s.ColumnName(), "forward_return_12");
  EXPECT_EQ(s.Canonical(), "forward_return(h=12)");
  EXPECT_EQ(Spec("fwd_return(12)"), s);
  EXPECT_EQ(Spec("  Forward_Return ( h = 12 ) "), s);
  EXPECT_EQ(Spec("forward_return").horizon, 1);
  EXPECT_EQ(Spec("forward_return()").horizon, 1);

  s = Spec("direction(h=12,dz=2,unit=pips)");
  EXPECT_EQ(s.kind, LabelKind::kDirection);
  EXPECT_EQ(s.dead_zone, 2);
  EXPECT_EQ(s.dead_zone_unit, DeadZoneUnit::kPips);
  EXPECT_EQ(s.ColumnName(), "direction_12_2_pips");
  EXPECT_EQ(Spec("direction(12, 2)"), s);
  s = Spec("direction(h=3,dz=1.5,unit=spread)");
  EXPECT_EQ(s.dead_zone_unit, DeadZoneUnit::kSpread);
  EXPECT_EQ(s.ColumnName(), "direction_3_1.5_spread");
  EXPECT_EQ(s.Canonical(), "direction(h=3,dz=1.5,unit=spread)");
  EXPECT_EQ(Spec("direction(3,1.5,spread)"), s);

  s = Spec("triple_barrier(tp=2,sl=1,atr=14,hold=24)");
  EXPECT_EQ(s.kind, LabelKind::kTripleBarrier);
  EXPECT_EQ(s.tp_atr, 2);
  EXPECT_EQ(s.sl_atr, 1);
  EXPECT_EQ(s.atr_period, 14);
  EXPECT_EQ(s.max_hold, 24);
  EXPECT_EQ(s.vertical, VerticalRule::kZero);
  EXPECT_EQ(s.ColumnName(), "triple_barrier_2_1_14_24");
  EXPECT_EQ(s.Canonical(), "triple_barrier(tp=2,sl=1,atr=14,hold=24,vertical=zero)");
  EXPECT_EQ(s.Lookahead(), 24);
  EXPECT_EQ(Spec("triple_barrier"), s);  // the defaults
  s = Spec("triple_barrier(1.5, 0.75, hold=6, vertical=sign)");
  EXPECT_EQ(s.ColumnName(), "triple_barrier_1.5_0.75_14_6_sign");
  // The canonical form parses back to the same spec.
  for (const char* text : {"forward_return(h=3)", "direction(h=5,dz=0.5,unit=spread)",
                           "triple_barrier(tp=3,sl=2,atr=20,hold=48,vertical=sign)"}) {
    EXPECT_EQ(Spec(Spec(text).Canonical()), Spec(text)) << text;
  }
}

TEST(LabelSpec, RejectsBadSpecsWithClearMessages) {
  struct Bad {
    const char* text;
    const char* message_part;
  };
  const Bad bads[] = {
      {"", "known labels: forward_return, direction, triple_barrier"},
      {"sharpe(h=3)", "unknown label 'sharpe'; known labels"},
      {"forward_return(k=3)", "unknown parameter 'k'; forward_return takes h"},
      {"forward_return(h=0)", "'h' must be in [1, 1000000]"},
      {"forward_return(h=2.5)", "'h' must be an integer"},
      {"forward_return(h=abc)", "not a number: 'abc'"},
      {"forward_return(h=)", "not a number"},
      {"forward_return(h=nan)", "not a number"},
      {"forward_return(h=3,h=4)", "'h' given twice"},
      {"forward_return(3,4)", "too many parameters"},
      {"forward_return(h=3", "expected ')'"},
      {"forward_return(h=3)x", "expected ')'"},
      {"forward_return(h=(3))", "unexpected parenthesis"},
      {"forward_return(h=3,)", "empty parameter"},
      {"direction(dz=-1)", "'dz' must be in [0,"},
      {"direction(unit=points)", "'unit' must be pips or spread"},
      {"direction(h=2,3)", "positional parameter '3' after a named one"},
      {"triple_barrier(tp=0)", "'tp' must be > 0"},
      {"triple_barrier(sl=-1)", "'sl' must be in"},
      {"triple_barrier(atr=0)", "'atr' must be in [1,"},
      {"triple_barrier(vertical=maybe)", "'vertical' must be zero or sign"},
      {"triple_barrier(h=3)", "triple_barrier takes tp, sl, atr, hold, vertical"},
  };
  for (const Bad& b : bads) {
    Result<LabelSpec> s = ParseLabelSpec(b.text);
    ASSERT_FALSE(s.ok()) << b.text;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find(b.message_part), std::string::npos)
        << b.text << " -> " << s.status().message();
  }
}

TEST(LabelSpec, ParsesLists) {
  Result<std::vector<LabelSpec>> list = ParseLabelList(
      "forward_return(h=1), forward_return(h=12),direction(h=12,dz=2),triple_barrier");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 4u);
  EXPECT_EQ((*list)[1].horizon, 12);
  EXPECT_EQ((*list)[2].dead_zone, 2);
  EXPECT_EQ((*list)[3].kind, LabelKind::kTripleBarrier);
  for (const char* bad : {"", "forward_return,,direction", "forward_return(h=1))", "direction(h=1",
                          "forward_return, bogus"}) {
    EXPECT_FALSE(ParseLabelList(bad).ok()) << bad;
  }
  EXPECT_NE(ParseLabelList("forward_return,,direction").status().message().find("empty item"),
            std::string::npos);
}

// ---- Forward return and direction
// ----------------------------------------------------------------

TEST(Labels, ForwardReturnHandWorked) {
  const std::vector<Bar> bars = FromCloses({1.10000, 1.10110, 1.09890});
  LabelColumn c = Labels("forward_return(h=1)", bars);
  EXPECT_EQ(c.name, "forward_return_1");
  ASSERT_EQ(c.value.size(), 3u);
  EXPECT_DOUBLE_EQ(c.value[0], std::log(1.10110 / 1.10000));
  EXPECT_DOUBLE_EQ(c.value[1], std::log(1.09890 / 1.10110));
  EXPECT_TRUE(std::isnan(c.value[2]));
  EXPECT_EQ(c.end[0], bars[1].ts_close);
  EXPECT_EQ(c.end[1], bars[2].ts_close);
  EXPECT_EQ(c.end[2], kNoLabelEnd);
  c = Labels("forward_return(h=2)", bars);
  EXPECT_DOUBLE_EQ(c.value[0], std::log(1.09890 / 1.10000));
  EXPECT_EQ(c.end[0], bars[2].ts_close);
  EXPECT_TRUE(std::isnan(c.value[1]));
  EXPECT_EQ(c.end[1], kNoLabelEnd);
  // Horizon longer than the data: every row missing.
  c = Labels("forward_return(h=5)", bars);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(std::isnan(c.value[i]));
    EXPECT_EQ(c.end[i], kNoLabelEnd);
  }
}

TEST(Labels, DirectionDeadZoneEdgesInPips) {
  // Moves: +2.0 pips (on the edge: flat), +2.1 (up), -2.0 (flat), -3.1 (down).
  const std::vector<Bar> bars = FromCloses({1.10000, 1.10020, 1.10041, 1.10021, 1.09990});
  LabelColumn c = Labels("direction(h=1,dz=2,unit=pips)", bars);
  const double want[] = {0, 1, 0, -1};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(c.value[i], want[i]) << i;
    EXPECT_EQ(c.end[i], bars[i + 1].ts_close);
  }
  EXPECT_TRUE(std::isnan(c.value[4]));
  // No dead zone: only an unchanged close is flat.
  c = Labels("direction(h=1)", FromCloses({1.1, 1.10001, 1.10001, 1.1}));
  EXPECT_EQ(c.value[0], 1);
  EXPECT_EQ(c.value[1], 0);
  EXPECT_EQ(c.value[2], -1);
  // Two bars ahead: 1.10000 -> 1.10041 is +4.1 pips.
  c = Labels("direction(h=2,dz=4)", bars);
  EXPECT_EQ(c.value[0], 1);
  EXPECT_EQ(c.end[0], bars[2].ts_close);
  // JPY pip is 0.01: +1.0 pip flat, +1.1 up.
  c = Labels("direction(h=1,dz=1)", FromCloses({150.000, 150.010, 150.021}), Usdjpy());
  EXPECT_EQ(c.value[0], 0);
  EXPECT_EQ(c.value[1], 1);
}

TEST(Labels, DirectionDeadZoneInSpreads) {
  // Decision-bar spread 1.5 pips, dz = 1 spread: +1.5 pips flat, +1.6 up, -1.6 down.
  std::vector<Bar> bars = FromCloses({1.10000, 1.10015, 1.10031, 1.10015}, 0.00015);
  LabelColumn c = Labels("direction(h=1,dz=1,unit=spread)", bars);
  EXPECT_EQ(c.value[0], 0);
  EXPECT_EQ(c.value[1], 1);
  EXPECT_EQ(c.value[2], -1);
  // The dead zone follows each decision bar's own spread.
  bars[1].spread_mean = 0.00010;  // 1.6 pips > 1.0 pips: still up; bar 0 now has 1.5
  bars[0].spread_mean = 0.00020;  // +1.5 pips inside 2.0
  c = Labels("direction(h=1,dz=1,unit=spread)", bars);
  EXPECT_EQ(c.value[0], 0);
  EXPECT_EQ(c.value[1], 1);
  c = Labels("direction(h=1,dz=0.5,unit=spread)", bars);
  EXPECT_EQ(c.value[0], 1);  // 1.5 > 0.5 * 2.0
  // Unknown spread on a decision bar is an error, not a silent zero dead zone.
  bars[2].spread_mean = 0;
  Result<LabelColumn> r = ComputeLabels(Spec("direction(h=1,dz=1,unit=spread)"), bars, Eurusd());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("spread_mean must be > 0"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("bar 2"), std::string::npos);
}

// ---- Triple barrier
// ------------------------------------------------------------------------------

// Dyadic prices so barrier arithmetic is exact. Bar 0 flat at 2; bar 1 (the decision) has true
// range 0.25, so with atr=1 ATR = 0.25, and tp=2, sl=1 put the barriers at 2.5 and 1.75.
std::vector<Bar> Decision() { return {MakeBar(0, 2, 2, 2, 2), MakeBar(1, 2, 2.125, 1.875, 2)}; }

LabelColumn Tb(std::vector<Bar> bars, std::string_view params = "tp=2,sl=1,atr=1,hold=3") {
  return Labels("triple_barrier(" + std::string(params) + ")", bars);
}

TEST(TripleBarrier, HandWorked) {
  auto with = [](std::initializer_list<std::array<double, 4>> future) {
    std::vector<Bar> b = Decision();
    for (const auto& f : future) b.push_back(MakeBar(b.size(), f[0], f[1], f[2], f[3]));
    return b;
  };
  // Take profit touched exactly (touch counts) on the second bar after the decision.
  std::vector<Bar> b =
      with({{2, 2.25, 1.875, 2.125}, {2.125, 2.5, 2, 2.375}, {2.375, 2.4, 2.3, 2.3}});
  LabelColumn c = Tb(b);
  EXPECT_TRUE(std::isnan(c.value[0]));  // ATR not ready on bar 0
  EXPECT_EQ(c.end[0], kNoLabelEnd);
  EXPECT_EQ(c.value[1], 1);
  EXPECT_EQ(c.end[1], b[3].ts_close);
  // Just short of the barrier is no touch.
  b[3].high = Price::FromRaw(b[3].high.raw() - 1);
  c = Tb(b);
  EXPECT_EQ(c.value[1], 0);  // vertical barrier at bar 4 (hold 3), zero rule
  EXPECT_EQ(c.end[1], b[4].ts_close);
  // Stop touched exactly.
  b = with({{2, 2.25, 1.75, 1.875}});
  c = Tb(b);
  EXPECT_EQ(c.value[1], -1);
  EXPECT_EQ(c.end[1], b[2].ts_close);
  // Both inside one bar that opened between them: the stop is taken first (conservative).
  b = with({{2, 2.5, 1.75, 2}});
  c = Tb(b);
  EXPECT_EQ(c.value[1], -1);
  EXPECT_EQ(c.end[1], b[2].ts_close);
  // A gap open through the take profit is hit at the open, before the low of that bar.
  b = with({{2.5, 2.5, 1.5, 1.5}});
  EXPECT_EQ(Tb(b).value[1], 1);
  // A gap open through the stop.
  b = with({{1.5, 2.75, 1.5, 2.75}});
  EXPECT_EQ(Tb(b).value[1], -1);
  // No touch within hold: zero, or the sign of the close-to-close move at the vertical barrier.
  b = with({{2, 2.25, 2, 2.25}, {2.25, 2.375, 2, 2}, {2, 2.375, 1.875, 2.25}, {2.25, 9, 0.5, 3}});
  c = Tb(b);
  EXPECT_EQ(c.value[1], 0);
  EXPECT_EQ(c.end[1], b[4].ts_close);
  c = Tb(b, "tp=2,sl=1,atr=1,hold=3,vertical=sign");
  EXPECT_EQ(c.value[1], 1);
  b[4].close = P(2);
  EXPECT_EQ(Tb(b, "tp=2,sl=1,atr=1,hold=3,vertical=sign").value[1], 0);
  b[4].close = P(1.875);
  EXPECT_EQ(Tb(b, "tp=2,sl=1,atr=1,hold=3,vertical=sign").value[1], -1);
  // The data end before the vertical barrier without a touch: missing.
  b = with({{2, 2.25, 2, 2.25}, {2.25, 2.375, 2, 2}});
  c = Tb(b);
  EXPECT_TRUE(std::isnan(c.value[1]));
  EXPECT_EQ(c.end[1], kNoLabelEnd);
  // ... but a touch before the data end is a complete label.
  b = with({{2, 2.75, 2, 2.75}});
  c = Tb(b, "tp=2,sl=1,atr=1,hold=100");
  EXPECT_EQ(c.value[1], 1);
  EXPECT_EQ(c.end[1], b[2].ts_close);
  // The last bar never has a label.
  EXPECT_TRUE(std::isnan(c.value.back()));
}

// TA-Lib ATR written out directly: TR from the second bar, first ATR = mean of the first `period`
// TRs, then Wilder smoothing. Returns NaN where not ready.
std::vector<double> RefAtr(const std::vector<Bar>& bars, int period) {
  std::vector<double> atr(bars.size(), NAN);
  std::vector<double> tr(bars.size(), 0);
  for (size_t i = 1; i < bars.size(); ++i) {
    const double pc = bars[i - 1].close.ToDouble();
    tr[i] = std::max(bars[i].high.ToDouble(), pc) - std::min(bars[i].low.ToDouble(), pc);
  }
  double a = 0;
  for (size_t i = 1; i < bars.size(); ++i) {
    if (i <= static_cast<size_t>(period)) {
      a += tr[i];
      if (i == static_cast<size_t>(period)) {
        a /= period;
        atr[i] = a;
      }
    } else {
      a = (a * (period - 1) + tr[i]) / period;
      atr[i] = a;
    }
  }
  return atr;
}

// Triple barrier written as "first time each barrier is touched", then compared.
void RefTripleBarrier(const std::vector<Bar>& bars, const LabelSpec& s, std::vector<double>* value,
                      std::vector<UnixNanos>* end) {
  const std::vector<double> atr = RefAtr(bars, s.atr_period);
  const size_t n = bars.size();
  value->assign(n, NAN);
  end->assign(n, kNoLabelEnd);
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(atr[i])) continue;
    const double c = bars[i].close.ToDouble();
    const double up = c + s.tp_atr * atr[i], dn = c - s.sl_atr * atr[i];
    size_t first_up = SIZE_MAX, first_dn = SIZE_MAX;
    bool up_at_open = false;
    for (size_t j = i + 1; j < n && j <= i + s.max_hold; ++j) {
      if (first_up == SIZE_MAX && bars[j].high.ToDouble() >= up) {
        first_up = j;
        up_at_open = bars[j].open.ToDouble() >= up;
      }
      if (first_dn == SIZE_MAX && bars[j].low.ToDouble() <= dn) first_dn = j;
    }
    if (first_up != SIZE_MAX || first_dn != SIZE_MAX) {
      const bool up_first = first_up < first_dn || (first_up == first_dn && up_at_open);
      (*value)[i] = up_first ? 1 : -1;
      (*end)[i] = bars[std::min(first_up, first_dn)].ts_close;
    } else if (i + s.max_hold < n) {
      const double d = bars[i + s.max_hold].close.ToDouble() - c;
      (*value)[i] = s.vertical == VerticalRule::kZero ? 0 : (d > 0) - (d < 0);
      (*end)[i] = bars[i + s.max_hold].ts_close;
    }
  }
}

// Random M5 bars on the 1e-5 grid with occasional gaps at the open.
std::vector<Bar> RandomBars(size_t n, uint64_t seed) {
  uint64_t s = seed;
  auto next = [&s] {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<int64_t>((s >> 33) % 1000);
  };
  std::vector<Bar> bars;
  int64_t close = 110'000;
  for (size_t i = 0; i < n; ++i) {
    const int64_t open = close + (next() < 30 ? next() / 10 - 50 : 0);
    close = open + next() / 20 - 25;
    const int64_t high = std::max(open, close) + next() / 50;
    const int64_t low = std::min(open, close) - next() / 50;
    Bar b = MakeBar(i, 0, 0, 0, 0, (5 + next() / 100) * 1e-5);
    b.open = Price::FromScaled(open, 5);
    b.high = Price::FromScaled(high, 5);
    b.low = Price::FromScaled(low, 5);
    b.close = Price::FromScaled(close, 5);
    bars.push_back(b);
  }
  return bars;
}

TEST(TripleBarrier, MatchesReference) {
  const std::vector<Bar> bars = RandomBars(3000, 1);
  for (const char* text : {"triple_barrier", "triple_barrier(tp=1,sl=1,atr=5,hold=10)",
                           "triple_barrier(tp=0.5,sl=2,atr=14,hold=50,vertical=sign)"}) {
    const LabelSpec s = Spec(text);
    const LabelColumn c = Labels(text, bars);
    std::vector<double> value;
    std::vector<UnixNanos> end;
    RefTripleBarrier(bars, s, &value, &end);
    int counts[3] = {0, 0, 0};
    for (size_t i = 0; i < bars.size(); ++i) {
      ASSERT_TRUE(SameBits(c.value[i], value[i]))
          << text << " row " << i << ": " << c.value[i] << " vs " << value[i];
      ASSERT_EQ(c.end[i], end[i]) << text << " row " << i;
      if (!std::isnan(value[i])) ++counts[static_cast<int>(value[i]) + 1];
    }
    // The data exercise every outcome.
    EXPECT_GT(counts[0], 50) << text;
    EXPECT_GT(counts[2], 50) << text;
  }
}

// ---- Point-in-time properties
// --------------------------------------------------------------------

const char* const kPropertySpecs[] = {
    "forward_return(h=1)",
    "forward_return(h=7)",
    "direction(h=3,dz=1,unit=pips)",
    "direction(h=5,dz=2,unit=spread)",
    "triple_barrier(tp=2,sl=1,atr=14,hold=24)",
    "triple_barrier(tp=1,sl=1,atr=5,hold=8,vertical=sign)",
};

// Replaces every field of bars[k] with unrelated random values (still a valid bar).
void Scramble(std::vector<Bar>* bars, size_t k, uint64_t seed) {
  const std::vector<Bar> r = RandomBars(1, seed * 7919 + k);
  const int64_t shift = static_cast<int64_t>((seed * 31 + k) % 400) - 200;
  Bar& b = (*bars)[k];
  b.open = Price::FromScaled(r[0].open.ToScaled(5) + shift, 5);
  b.high = Price::FromScaled(r[0].high.ToScaled(5) + shift + 30, 5);
  b.low = Price::FromScaled(r[0].low.ToScaled(5) + shift - 30, 5);
  b.close = Price::FromScaled(r[0].close.ToScaled(5) + shift, 5);
  b.spread_mean = r[0].spread_mean * 1.7;
  b.tick_count += 5;
}

TEST(LabelProperties, BarsAfterLabelEndNeverMatter) {
  const std::vector<Bar> bars = RandomBars(500, 2);
  for (const char* text : kPropertySpecs) {
    const LabelColumn full = Labels(text, bars);
    int checked = 0;
    for (size_t i = 0; i < bars.size(); i += 13) {
      if (full.end[i] == kNoLabelEnd) continue;
      std::vector<Bar> changed = bars;
      for (size_t k = 0; k < bars.size(); ++k) {
        if (bars[k].ts_close > full.end[i]) Scramble(&changed, k, i);
      }
      const LabelColumn c = Labels(text, changed);
      ASSERT_TRUE(SameBits(c.value[i], full.value[i])) << text << " row " << i;
      ASSERT_EQ(c.end[i], full.end[i]) << text << " row " << i;
      ++checked;
    }
    EXPECT_GT(checked, 20) << text;
  }
}

TEST(LabelProperties, TruncatedDataGiveTheSameLabelsOrNone) {
  const std::vector<Bar> bars = RandomBars(400, 3);
  for (const char* text : kPropertySpecs) {
    const LabelColumn full = Labels(text, bars);
    for (size_t m : {50, 201, 399}) {
      const std::vector<Bar> head(bars.begin(), bars.begin() + m);
      const LabelColumn c = Labels(text, head);
      const UnixNanos last = head.back().ts_close;
      for (size_t i = 0; i < m; ++i) {
        if (full.end[i] <= last) {
          ASSERT_TRUE(SameBits(c.value[i], full.value[i])) << text << " m " << m << " row " << i;
          ASSERT_EQ(c.end[i], full.end[i]);
        } else {
          // Information past the data: the label is missing, never a guess.
          ASSERT_TRUE(std::isnan(c.value[i])) << text << " m " << m << " row " << i;
          ASSERT_EQ(c.end[i], kNoLabelEnd);
        }
      }
    }
  }
}

TEST(LabelProperties, BarsAtOrBeforeLabelEndDoMatter) {
  // The end time is tight: scrambling the bar at a row's label end changes some labels.
  const std::vector<Bar> bars = RandomBars(400, 4);
  for (const char* text : kPropertySpecs) {
    const LabelColumn full = Labels(text, bars);
    int changed_rows = 0, rows = 0;
    for (size_t i = 0; i < bars.size(); i += 7) {
      if (full.end[i] == kNoLabelEnd) continue;
      const size_t k = static_cast<size_t>((full.end[i] - bars[0].ts_close) / kM5);
      ASSERT_EQ(bars[k].ts_close, full.end[i]);
      std::vector<Bar> changed = bars;
      Scramble(&changed, k, 99);
      const LabelColumn c = Labels(text, changed);
      ++rows;
      changed_rows += !SameBits(c.value[i], full.value[i]) || c.end[i] != full.end[i];
    }
    EXPECT_GT(changed_rows, rows / 5) << text;
  }
}

TEST(LabelProperties, NoBarBeforeTheDecisionMattersExceptThroughAtr) {
  const std::vector<Bar> bars = RandomBars(400, 5);
  // Returns and direction read the decision bar's close (and spread) and the future only:
  // scrambling every earlier bar changes nothing.
  for (const char* text : {"forward_return(h=3)", "direction(h=2,dz=1,unit=pips)",
                           "direction(h=4,dz=1,unit=spread)"}) {
    const LabelColumn full = Labels(text, bars);
    for (size_t i = 1; i < bars.size(); i += 17) {
      std::vector<Bar> changed = bars;
      for (size_t k = 0; k < i; ++k) Scramble(&changed, k, i);
      const LabelColumn c = Labels(text, changed);
      ASSERT_TRUE(SameBits(c.value[i], full.value[i])) << text << " row " << i;
      ASSERT_EQ(c.end[i], full.end[i]);
    }
  }
  // Triple barriers read the past only through ATR(bars 0..i), whose Wilder recursion forgets
  // its start: scrambling bars older than its stable period leaves the label unchanged.
  // (Scrambling recent past bars moves the barriers, which is intended.)
  const char* text = "triple_barrier(tp=2,sl=1,atr=5,hold=12)";
  const int stable = 5 + 1 + static_cast<int>(std::ceil(std::log(1e-12) / std::log(0.8)));
  const LabelColumn full = Labels(text, bars);
  int checked = 0;
  for (size_t i = stable + 10; i < bars.size(); i += 11) {
    std::vector<Bar> changed = bars;
    for (size_t k = 0; k + stable < i; ++k) Scramble(&changed, k, i);
    const LabelColumn c = Labels(text, changed);
    ASSERT_TRUE(SameBits(c.value[i], full.value[i])) << "row " << i;
    ASSERT_EQ(c.end[i], full.end[i]);
    ++checked;
  }
  EXPECT_GT(checked, 10);
}

// ---- Several at once, validation
// -----------------------------------------------------------------

TEST(Labels, SeveralSpecsAtOnce) {
  const std::vector<Bar> bars = RandomBars(200, 6);
  Result<std::vector<LabelSpec>> specs =
      ParseLabelList("forward_return(h=1),forward_return(h=6),forward_return(h=12),triple_barrier");
  ASSERT_TRUE(specs.ok());
  Result<std::vector<LabelColumn>> cols = ComputeLabels(*specs, bars, Eurusd());
  ASSERT_TRUE(cols.ok());
  ASSERT_EQ(cols->size(), 4u);
  const char* names[] = {"forward_return_1", "forward_return_6", "forward_return_12",
                         "triple_barrier_2_1_14_24"};
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_EQ((*cols)[k].name, names[k]);
    const LabelColumn one = Labels((*specs)[k].Canonical(), bars);
    for (size_t i = 0; i < bars.size(); ++i) {
      ASSERT_TRUE(SameBits((*cols)[k].value[i], one.value[i]));
    }
  }
  // Missing rows at the end match each horizon.
  EXPECT_FALSE(std::isnan((*cols)[1].value[200 - 7]));
  EXPECT_TRUE(std::isnan((*cols)[1].value[200 - 6]));
  EXPECT_TRUE(std::isnan((*cols)[2].value[200 - 12]));
}

TEST(Labels, RejectsBadBars) {
  std::vector<Bar> bars = FromCloses({1.1, 1.2, 1.3});
  bars[2].ts_close = bars[1].ts_close;
  Result<LabelColumn> r = ComputeLabels(Spec("forward_return"), bars, Eurusd());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bar 2"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("not after the previous bar"), std::string::npos);
  bars = FromCloses({1.1, 1.2, 1.3});
  bars[1].close = Price();
  r = ComputeLabels(Spec("forward_return"), bars, Eurusd());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("positive"), std::string::npos);
  bars = FromCloses({1.1, 1.2, 1.3});
  std::swap(bars[0].high, bars[0].low);
  bars[0].high = P(1.0);
  EXPECT_FALSE(ComputeLabels(Spec("triple_barrier"), bars, Eurusd()).ok());
  // Empty input: empty columns.
  r = ComputeLabels(Spec("triple_barrier"), std::vector<Bar>{}, Eurusd());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->value.empty());
}

}  // namespace
}  // namespace arus::features
