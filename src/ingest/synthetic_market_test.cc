#include "ingest/synthetic_market.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "core/file.h"
#include "fx/calendar.h"

namespace arus::ingest {
namespace {

using Mode = SyntheticOptions::Mode;
using Ticks = std::vector<QuoteTick>;

UnixNanos T(const char* iso) { return *ParseIsoUtc(iso); }

double MidOf(const QuoteTick& t) { return 0.5 * (t.bid.ToDouble() + t.ask.ToDouble()); }

SyntheticOptions Opts(std::vector<std::string> symbols, const char* from, const char* to,
                      uint64_t seed = 7, Mode mode = Mode::kNormal, double strength = 0) {
  SyntheticOptions o;
  o.symbols = std::move(symbols);
  o.from = T(from);
  o.to = T(to);
  o.seed = seed;
  o.mode = mode;
  o.signal_strength = strength;
  return o;
}

std::vector<Ticks> Generate(const SyntheticOptions& o) {
  Result<std::vector<Ticks>> r = GenerateSyntheticTicks(o, fx::InstrumentTable::Builtin());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : std::vector<Ticks>(o.symbols.size());
}

// FNV-1a over every field of every tick.
uint64_t HashTicks(const Ticks& ticks) {
  uint64_t h = 0xCBF29CE484222325ull;
  auto mix = [&](uint64_t v) {
    for (int i = 0; i < 8; ++i) {
      h ^= (v >> (8 * i)) & 0xFF;
      h *= 0x100000001B3ull;
    }
  };
  for (const QuoteTick& t : ticks) {
    mix(static_cast<uint64_t>(t.ts_event.ns()));
    mix(static_cast<uint64_t>(t.bid.raw()));
    mix(static_cast<uint64_t>(t.ask.raw()));
    uint32_t bv, av;
    std::memcpy(&bv, &t.bid_volume, 4);
    std::memcpy(&av, &t.ask_volume, 4);
    mix((static_cast<uint64_t>(bv) << 32) | av);
  }
  return h;
}

// ---- A tiny bar builder, independent of the bars module ----------------------------------------

// Close mid of each 5-minute bucket that has ticks, keyed by bucket start (ns).
std::map<int64_t, double> M5Closes(const Ticks& ticks) {
  constexpr int64_t kM5 = 5 * kNanosPerMinute;
  std::map<int64_t, double> closes;
  for (const QuoteTick& t : ticks) {
    int64_t b = t.ts_event.ns() / kM5 * kM5;
    closes[b] = MidOf(t);  // ticks are in time order: the last one wins
  }
  return closes;
}

struct ReturnSeries {
  std::vector<double> r;         // log returns of consecutive M5 bars
  std::vector<bool> contiguous;  // r[i] and the three before it come from adjacent bars
};

ReturnSeries M5Returns(const Ticks& ticks) {
  constexpr int64_t kM5 = 5 * kNanosPerMinute;
  const std::map<int64_t, double> c = M5Closes(ticks);
  ReturnSeries out;
  int run = 0;
  int64_t prev_b = 0;
  double prev = 0;
  bool first = true;
  for (const auto& [b, mid] : c) {
    if (!first) {
      if (b - prev_b == kM5) {
        ++run;
      } else {
        run = 0;  // gap (weekend or an empty bar): restart the history
      }
      if (run > 0) {
        out.r.push_back(std::log(mid / prev));
        out.contiguous.push_back(run >= 4);
      }
    }
    first = false;
    prev_b = b;
    prev = mid;
  }
  return out;
}

struct MomentumStats {
  int n = 0;
  double accuracy = 0;  // P(sign(next return) == sign(previous 15-minute return))
  double slope = 0;     // OLS of next return on the previous 15-minute return (no intercept)
  double lag1_t = 0;    // heteroskedasticity-robust t statistic of the lag-1 autocorrelation
};

MomentumStats Momentum(const ReturnSeries& s) {
  MomentumStats m;
  int hits = 0;
  double sxy = 0, sxx = 0, a1 = 0, a1v = 0;
  for (size_t i = 0; i < s.r.size(); ++i) {
    if (!s.contiguous[i]) continue;
    const double x = s.r[i - 1] + s.r[i - 2] + s.r[i - 3];
    const double y = s.r[i];
    if (x == 0 || y == 0) continue;
    ++m.n;
    hits += (x > 0) == (y > 0);
    sxy += x * y;
    sxx += x * x;
    a1 += s.r[i - 1] * y;
    a1v += s.r[i - 1] * s.r[i - 1] * y * y;
  }
  m.accuracy = m.n ? static_cast<double>(hits) / m.n : 0;
  m.slope = sxx > 0 ? sxy / sxx : 0;
  m.lag1_t = a1v > 0 ? a1 / std::sqrt(a1v) : 0;
  return m;
}

// ---- Basic properties ---------------------------------------------------------------------------

TEST(SyntheticMarketTest, SameSeedIdenticalDifferentSeedDiffers) {
  const auto a = Generate(Opts({"EURUSD", "USDJPY"}, "2024-01-03", "2024-01-04", 7));
  const auto b = Generate(Opts({"EURUSD", "USDJPY"}, "2024-01-03", "2024-01-04", 7));
  const auto c = Generate(Opts({"EURUSD", "USDJPY"}, "2024-01-03", "2024-01-04", 8));
  ASSERT_GT(a[0].size(), 100000u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a[0], c[0]);
  EXPECT_NE(a[1], c[1]);
}

TEST(SyntheticMarketTest, PairTicksDoNotDependOnOtherSymbols) {
  const auto alone = Generate(Opts({"EURUSD"}, "2024-01-03T06:00", "2024-01-03T12:00"));
  const auto many = Generate(
      Opts({"GBPUSD", "EURGBP", "EURUSD", "USDJPY"}, "2024-01-03T06:00", "2024-01-03T12:00"));
  ASSERT_FALSE(alone[0].empty());
  EXPECT_EQ(alone[0], many[2]);
}

TEST(SyntheticMarketTest, GoldenHashIsStableAcrossMachines) {
  // Bit-identical output is part of the contract: this only changes when the model does.
  const auto t = Generate(Opts({"EURUSD", "XAUUSD"}, "2024-01-03T12:00", "2024-01-03T13:00"));
  EXPECT_EQ(t[0].size(), 8115u);
  EXPECT_EQ(HashTicks(t[0]), 645843276132860020ull);
  EXPECT_EQ(HashTicks(t[1]), 3521863372664925555ull);
}

TEST(SyntheticMarketTest, EveryInstrumentGivesValidQuotes) {
  const fx::InstrumentTable& table = fx::InstrumentTable::Builtin();
  SyntheticOptions o = Opts(table.Symbols(), "2024-01-02T07:00", "2024-01-02T09:00");
  const auto all = Generate(o);
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  ASSERT_EQ(all.size(), 29u);
  for (size_t i = 0; i < all.size(); ++i) {
    const fx::Instrument& in = **table.Find(o.symbols[i]);
    const Ticks& ticks = all[i];
    ASSERT_GT(ticks.size(), 500u) << in.symbol;
    for (size_t k = 0; k < ticks.size(); ++k) {
      const QuoteTick& t = ticks[k];
      ASSERT_GT(t.bid.raw(), 0) << in.symbol;
      ASSERT_LT(t.bid, t.ask) << in.symbol;
      ASSERT_TRUE(t.bid.IsExactAt(in.price_precision)) << in.symbol;
      ASSERT_TRUE(t.ask.IsExactAt(in.price_precision)) << in.symbol;
      ASSERT_GE(t.ts_event, o.from);
      ASSERT_LT(t.ts_event, o.to);
      ASSERT_EQ(t.ts_event.ns() % kNanosPerMilli, 0);
      if (k > 0) {
        ASSERT_LT(ticks[k - 1].ts_event, t.ts_event) << in.symbol;
      }
      ASSERT_TRUE(cal.IsOpen(t.ts_event));
      ASSERT_GE(t.bid_volume, 0.75f);
      ASSERT_LE(t.ask_volume, 5.0f);
      // Spreads stay within a sane band: 1 point to 50 pips.
      ASSERT_LE((t.ask - t.bid).ToDouble(), 50 * in.pip_size) << in.symbol;
    }
  }
  auto level = [&](const char* s) {
    for (size_t i = 0; i < o.symbols.size(); ++i) {
      if (o.symbols[i] == s) return MidOf(all[i].front());
    }
    return 0.0;
  };
  EXPECT_NEAR(level("EURUSD"), 1.09, 0.06);
  EXPECT_NEAR(level("GBPUSD"), 1.27, 0.07);
  EXPECT_NEAR(level("USDJPY"), 148, 9);
  EXPECT_NEAR(level("XAUUSD"), 2030, 200);
  EXPECT_NEAR(level("AUDUSD"), 0.66, 0.05);
  EXPECT_NEAR(level("USDCAD"), 1.35, 0.08);
}

TEST(SyntheticMarketTest, CrossesAreConsistentWithMajors) {
  const auto t = Generate(Opts({"EURUSD", "GBPUSD", "EURGBP"}, "2024-01-03", "2024-01-04"));
  const Ticks& eu = t[0];
  const Ticks& gu = t[1];
  const Ticks& eg = t[2];
  size_t i = 0, j = 0;
  int checked = 0, inside = 0;
  for (const QuoteTick& x : eg) {
    while (i + 1 < eu.size() && eu[i + 1].ts_event <= x.ts_event) ++i;
    while (j + 1 < gu.size() && gu[j + 1].ts_event <= x.ts_event) ++j;
    if (eu.empty() || gu.empty() || eu[i].ts_event > x.ts_event || gu[j].ts_event > x.ts_event) {
      continue;
    }
    // Only near-simultaneous quotes: both majors ticked within the last 500 ms.
    if ((x.ts_event - eu[i].ts_event).count() > 500 * kNanosPerMilli) continue;
    if ((x.ts_event - gu[j].ts_event).count() > 500 * kNanosPerMilli) continue;
    ++checked;
    const double implied = MidOf(eu[i]) / MidOf(gu[j]);
    inside += std::fabs(MidOf(x) - implied) <= (x.ask - x.bid).ToDouble();
  }
  ASSERT_GT(checked, 5000);
  EXPECT_GT(static_cast<double>(inside) / checked, 0.99) << inside << "/" << checked;
}

TEST(SyntheticMarketTest, NothingWhileClosedAndPricesGapOverWeekends) {
  // Two weekends and Christmas 2024 (trading date 25 Dec closed).
  const std::vector<std::string> syms = {"EURUSD", "GBPUSD", "USDJPY", "AUDUSD"};
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  double gap_sum = 0, step_sum = 0;
  int gaps = 0, steps = 0;
  for (const char* range : {"2024-01-05T12:00|2024-01-16", "2024-12-20T12:00|2024-12-27"}) {
    std::string r(range);
    const std::string from = r.substr(0, r.find('|')), to = r.substr(r.find('|') + 1);
    SyntheticOptions o = Opts(syms, from.c_str(), to.c_str());
    o.tick_rate_scale = 0.25;
    const auto all = Generate(o);
    for (const Ticks& ticks : all) {
      ASSERT_FALSE(ticks.empty());
      for (size_t k = 0; k < ticks.size(); ++k) {
        ASSERT_TRUE(cal.IsOpen(ticks[k].ts_event)) << ticks[k].ts_event.ToIso();
        ASSERT_NE(cal.TradingDateOf(ticks[k].ts_event).ToString(), "2024-12-25");
        if (k == 0) continue;
        const double change = std::fabs(std::log(MidOf(ticks[k]) / MidOf(ticks[k - 1])));
        if ((ticks[k].ts_event - ticks[k - 1].ts_event).count() > 24 * kNanosPerHour) {
          gap_sum += change;
          ++gaps;
        } else {
          step_sum += change;
          ++steps;
        }
      }
    }
  }
  // Two weekends and the Christmas closure, for four pairs.
  EXPECT_EQ(gaps, 16);
  ASSERT_GT(steps, 0);
  EXPECT_GT(gap_sum / gaps, 20 * (step_sum / steps))
      << "mean weekend gap " << gap_sum / gaps << " vs mean tick step " << step_sum / steps;
}

// ---- Seasonality, rollover, news ---------------------------------------------------------------

TEST(SyntheticMarketTest, TickRateHigherInLondonNewYorkOverlapThanSydneyOnly) {
  const auto t = Generate(Opts({"EURUSD"}, "2024-01-08", "2024-01-13"));
  const fx::SessionClock& sessions = fx::SessionClock::Default();
  const uint8_t sydney = fx::SessionBit(fx::Session::kSydney);
  const uint8_t ln = fx::SessionBit(fx::Session::kLondon) | fx::SessionBit(fx::Session::kNewYork);
  // Seconds spent in each regime, minute by minute.
  const int64_t begin = T("2024-01-08").ns();
  std::vector<uint8_t> masks;  // per minute
  double overlap_s = 0, sydney_s = 0;
  for (int64_t m = begin; m < T("2024-01-13").ns(); m += kNanosPerMinute) {
    const uint8_t mask = sessions.ActiveMask(UnixNanos(m));
    masks.push_back(mask);
    if ((mask & ln) == ln) overlap_s += 60;
    if (mask == sydney) sydney_s += 60;
  }
  double overlap_n = 0, sydney_n = 0;
  for (const QuoteTick& x : t[0]) {
    const uint8_t mask = masks[(x.ts_event.ns() - begin) / kNanosPerMinute];
    if ((mask & ln) == ln) ++overlap_n;
    if (mask == sydney) ++sydney_n;
  }
  ASSERT_GT(overlap_s, 0);
  ASSERT_GT(sydney_s, 0);
  const double overlap_rate = overlap_n / overlap_s, sydney_rate = sydney_n / sydney_s;
  EXPECT_GT(overlap_rate, 2.5);
  EXPECT_LT(overlap_rate, 6.0);
  EXPECT_GT(sydney_rate, 0.3);
  EXPECT_GT(overlap_rate, 3 * sydney_rate) << overlap_rate << " vs " << sydney_rate;
}

double MeanSpreadIn(const Ticks& ticks, int64_t lo, int64_t hi, int* count = nullptr) {
  auto first = std::lower_bound(ticks.begin(), ticks.end(), lo,
                                [](const QuoteTick& t, int64_t v) { return t.ts_event.ns() < v; });
  double sum = 0;
  int n = 0;
  for (auto it = first; it != ticks.end() && it->ts_event.ns() < hi; ++it) {
    sum += (it->ask - it->bid).ToDouble();
    ++n;
  }
  if (count) *count = n;
  return n ? sum / n : 0;
}

TEST(SyntheticMarketTest, SpreadsWidenAtRollover) {
  const auto t = Generate(Opts({"EURUSD", "USDJPY"}, "2024-01-08", "2024-01-13"));
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  for (const Ticks& ticks : t) {
    double at = 0, after = 0;
    int days = 0;
    for (fx::Date d = fx::Date::FromYmd(2024, 1, 9); d <= fx::Date::FromYmd(2024, 1, 12);
         d = d + 1) {
      const int64_t open = cal.Bounds(d).open.ns();
      int n1 = 0, n2 = 0;
      const double s1 = MeanSpreadIn(ticks, open, open + 5 * kNanosPerMinute, &n1);
      const double s2 =
          MeanSpreadIn(ticks, open + 30 * kNanosPerMinute, open + 60 * kNanosPerMinute, &n2);
      ASSERT_GT(n1, 20);
      ASSERT_GT(n2, 100);
      at += s1;
      after += s2;
      ++days;
    }
    EXPECT_GT(at / after, 2.5) << "rollover " << at / days << " vs later " << after / days;
  }
}

int SurpriseDirection(const EconomicEvent& e) {
  // Higher unemployment and jobless claims weaken a currency (docs/economic-calendar.md).
  const bool inverse = e.event == "Unemployment Rate" || e.event == "Initial Jobless Claims";
  const double s = *e.actual - *e.forecast;
  return (s > 0 ? 1 : s < 0 ? -1 : 0) * (inverse ? -1 : 1);
}

TEST(SyntheticMarketTest, NewsWidensSpreadsAndMovesPriceWithTheSurprise) {
  SyntheticOptions o = Opts({"EURUSD", "USDJPY", "GBPUSD"}, "2024-01-02", "2024-03-01");
  o.tick_rate_scale = 0.25;
  Result<std::unique_ptr<SyntheticMarket>> m =
      SyntheticMarket::Create(o, fx::InstrumentTable::Builtin());
  ASSERT_TRUE(m.ok());
  const std::vector<EconomicEvent>& events = (*m)->Events();
  ASSERT_GT(events.size(), 35u);
  const char* base[3] = {"EUR", "USD", "GBP"};
  const char* quote[3] = {"USD", "JPY", "USD"};
  double widen_sum = 0;
  int widen_n = 0, agree = 0, signed_n = 0;
  // Streamed day by day: every release and its windows fall inside one trading day.
  std::vector<Ticks> day;
  while (*(*m)->NextDay(&day)) {
    const fx::TradingDayBounds bounds = fx::FxCalendar::Default().Bounds((*m)->LastDay());
    for (size_t k = 0; k < events.size(); ++k) {
      const EconomicEvent& e = events[k];
      if (e.time < bounds.open || e.time >= bounds.close) continue;
      // Skip events sharing their time with another event (their effects add up).
      const bool shared = (k > 0 && events[k - 1].time == e.time) ||
                          (k + 1 < events.size() && events[k + 1].time == e.time);
      for (int p = 0; p < 3; ++p) {
        const int side = e.currency == base[p] ? 1 : (e.currency == quote[p] ? -1 : 0);
        if (side == 0) continue;
        const Ticks& ticks = day[p];
        const int64_t te = e.time.ns();
        if (e.impact == EventImpact::kHigh) {
          int n_at = 0, n_before = 0;
          const double at = MeanSpreadIn(ticks, te, te + 2 * kNanosPerMinute, &n_at);
          const double before =
              MeanSpreadIn(ticks, te - 40 * kNanosPerMinute, te - 10 * kNanosPerMinute, &n_before);
          if (n_at > 5 && n_before > 20) {
            widen_sum += at / before;
            ++widen_n;
          }
        }
        const int dir = SurpriseDirection(e);
        if (shared || dir == 0) continue;
        // Last mid before the release and the mid 30 s after it.
        auto after =
            std::lower_bound(ticks.begin(), ticks.end(), te + 30 * kNanosPerSecond,
                             [](const QuoteTick& t, int64_t v) { return t.ts_event.ns() < v; });
        auto before =
            std::lower_bound(ticks.begin(), ticks.end(), te,
                             [](const QuoteTick& t, int64_t v) { return t.ts_event.ns() < v; });
        if (after == ticks.end() || before == ticks.begin()) continue;
        --before;
        const double move = std::log(MidOf(*after) / MidOf(*before)) * side;
        ++signed_n;
        agree += (move > 0) == (dir > 0);
      }
    }
  }
  ASSERT_GT(widen_n, 10);
  EXPECT_GT(widen_sum / widen_n, 2.0);
  ASSERT_GT(signed_n, 20);
  EXPECT_GT(static_cast<double>(agree) / signed_n, 0.75) << agree << "/" << signed_n;
}

// ---- Modes: random walk and planted signal ------------------------------------------------------

std::vector<MomentumStats> MomentumByPair(Mode mode, double strength) {
  SyntheticOptions o =
      Opts({"EURUSD", "USDJPY", "GBPUSD"}, "2024-02-05", "2024-02-24", 11, mode, strength);
  o.tick_rate_scale = 0.25;  // bars need far fewer ticks than the default rates give
  const auto t = Generate(o);
  std::vector<MomentumStats> out;
  for (const Ticks& ticks : t) out.push_back(Momentum(M5Returns(ticks)));
  return out;
}

TEST(SyntheticMarketTest, RandomWalkHasNoPredictableReturns) {
  for (const MomentumStats& m : MomentumByPair(Mode::kRandomWalk, 0)) {
    ASSERT_GT(m.n, 3500);
    EXPECT_LT(std::fabs(m.lag1_t), 4.0) << "lag-1 autocorrelation t = " << m.lag1_t;
    EXPECT_NEAR(m.accuracy, 0.5, 0.035) << "momentum classifier accuracy";
    EXPECT_LT(std::fabs(m.slope), 0.05);
  }
}

TEST(SyntheticMarketTest, PlantedMomentumIsVisibleOnM5Bars) {
  for (const MomentumStats& m : MomentumByPair(Mode::kPlantSignal, 0.3)) {
    ASSERT_GT(m.n, 3500);
    EXPECT_GT(m.accuracy, 0.6);
    EXPECT_NEAR(m.slope, 0.3, 0.06);
  }
  for (const MomentumStats& m : MomentumByPair(Mode::kPlantSignal, 0.1)) {
    EXPECT_GT(m.accuracy, 0.52);
    EXPECT_NEAR(m.slope, 0.1, 0.04);
  }
  // Strength 0 plants nothing.
  for (const MomentumStats& m : MomentumByPair(Mode::kPlantSignal, 0.0)) {
    EXPECT_NEAR(m.accuracy, 0.5, 0.035);
    EXPECT_LT(std::fabs(m.slope), 0.05);
  }
}

// ---- Streaming API and options ------------------------------------------------------------------

TEST(SyntheticMarketTest, NextDayStreamsOneTradingDayAtATime) {
  SyntheticOptions o = Opts({"eur/usd", "USD_JPY"}, "2024-01-04T10:00", "2024-01-09T03:00");
  o.tick_rate_scale = 0.2;
  Result<std::unique_ptr<SyntheticMarket>> m =
      SyntheticMarket::Create(o, fx::InstrumentTable::Builtin());
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  SyntheticMarket& market = **m;
  ASSERT_EQ(market.Instruments().size(), 2u);
  EXPECT_EQ(market.Instruments()[0].symbol, "EURUSD");
  EXPECT_EQ(market.Instruments()[1].symbol, "USDJPY");
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  std::vector<Ticks> day;
  std::vector<std::string> dates;
  EXPECT_EQ(market.Progress(), 0.0);
  while (true) {
    Result<bool> more = market.NextDay(&day);
    ASSERT_TRUE(more.ok());
    if (!*more) break;
    dates.push_back(market.LastDay().ToString());
    ASSERT_EQ(day.size(), 2u);
    for (const Ticks& ticks : day) {
      ASSERT_FALSE(ticks.empty());
      for (const QuoteTick& t : ticks) {
        ASSERT_EQ(cal.TradingDateOf(t.ts_event), market.LastDay());
      }
    }
  }
  // Thursday (from 10:00), Friday, Monday, Tuesday (until 03:00); the weekend is skipped.
  EXPECT_EQ(dates,
            (std::vector<std::string>{"2024-01-04", "2024-01-05", "2024-01-08", "2024-01-09"}));
  EXPECT_EQ(market.Progress(), 1.0);
  EXPECT_TRUE(day[0].empty() && day[1].empty());
  Result<bool> again = market.NextDay(&day);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  for (const EconomicEvent& e : market.Events()) {
    EXPECT_GE(e.time, o.from);
    EXPECT_LT(e.time, o.to);
  }
  EXPECT_FALSE(market.Events().empty());  // NFP on Friday 5 January
}

TEST(SyntheticMarketTest, NewsOffMeansNoEvents) {
  SyntheticOptions o = Opts({"EURUSD"}, "2024-01-05T13:00", "2024-01-05T14:00");
  o.news = false;
  Result<std::unique_ptr<SyntheticMarket>> m =
      SyntheticMarket::Create(o, fx::InstrumentTable::Builtin());
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE((*m)->Events().empty());
}

TEST(SyntheticMarketTest, BadOptionsAreRejected) {
  const fx::InstrumentTable& table = fx::InstrumentTable::Builtin();
  auto err = [&](SyntheticOptions o) {
    Result<std::unique_ptr<SyntheticMarket>> m = SyntheticMarket::Create(o, table);
    return m.ok() ? Status::Ok() : m.status();
  };
  const SyntheticOptions good = Opts({"EURUSD"}, "2024-01-02", "2024-01-03");
  EXPECT_TRUE(err(good).ok());

  SyntheticOptions o = good;
  o.symbols = {};
  EXPECT_EQ(err(o).code(), StatusCode::kInvalidArgument);
  o = good;
  o.symbols = {"EURXYZ"};
  EXPECT_EQ(err(o).code(), StatusCode::kNotFound);
  EXPECT_NE(err(o).message().find("EURXYZ"), std::string::npos);
  o = good;
  o.symbols = {"EURUSD", "eur/usd"};
  EXPECT_NE(err(o).message().find("twice"), std::string::npos);
  o = good;
  o.to = o.from;
  EXPECT_EQ(err(o).code(), StatusCode::kInvalidArgument);
  for (double s : {-0.1, 0.34, 1.0, std::nan("")}) {
    o = good;
    o.mode = Mode::kPlantSignal;
    o.signal_strength = s;
    EXPECT_EQ(err(o).code(), StatusCode::kInvalidArgument) << s;
  }
  o = good;
  o.signal_strength = 0.2;  // only meaningful with kPlantSignal
  EXPECT_EQ(err(o).code(), StatusCode::kInvalidArgument);
  for (double scale : {0.0, -1.0, 1000.0}) {
    o = good;
    o.tick_rate_scale = scale;
    EXPECT_EQ(err(o).code(), StatusCode::kInvalidArgument) << scale;
  }

  // An instrument whose currency the generator has no model for.
  const char* tmp = std::getenv("ARUS_TEST_TMP");
  const std::string path = std::string(tmp ? tmp : "/tmp") + "/synthetic_market_test/sek.toml";
  ASSERT_TRUE(WriteFileAtomic(path,
                              "[USDSEK]\nbase = \"USD\"\nquote = \"SEK\"\n"
                              "pip_size = 0.0001\nprice_precision = 5\n")
                  .ok());
  Result<fx::InstrumentTable> with_sek = fx::InstrumentTable::LoadWithOverrides(path);
  ASSERT_TRUE(with_sek.ok()) << with_sek.status().ToString();
  o = good;
  o.symbols = {"USDSEK"};
  Result<std::unique_ptr<SyntheticMarket>> m = SyntheticMarket::Create(o, *with_sek);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("SEK"), std::string::npos);
}

}  // namespace
}  // namespace arus::ingest
