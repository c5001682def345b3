// Tick -> bar throughput (target: >= 200 M ticks/s per core for M1).
// Builds ~30 M realistic EURUSD-like ticks in memory (a tick every 100-300 ms through every open
// trading day over 14 weeks spanning the March 2024 DST switches in New York and Europe, plus a
// sprinkle of weekend ticks that must be counted, not merged), then times the real batch path
// (AggregateTicks = BarAggregator::Update over the span + Flush) for several timeframes and price
// sides, the per-tick Update path used live, and a MultiAggregator pass. Prints ticks/s (best and
// median of several runs) next to a plain memory-read baseline over the same ticks.
// Usage: bars_bench [weeks] [filter]   (default 14 weeks; filter: run only cases whose name
// contains it)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "bars/bar_aggregator.h"
#include "bars/multi_timeframe.h"
#include "bars/timeframe.h"
#include "core/tick.h"
#include "fx/calendar.h"

namespace {

using arus::Price;
using arus::PriceSide;
using arus::QuoteTick;
using arus::UnixNanos;
using arus::bars::Timeframe;

struct Rng {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  uint64_t Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  int64_t Uniform(int64_t lo, int64_t hi) {  // [lo, hi]
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
};

std::vector<QuoteTick> MakeTicks(const arus::fx::FxCalendar& cal, int weeks) {
  std::vector<QuoteTick> ticks;
  ticks.reserve(static_cast<size_t>(weeks) * 5 * 440'000);
  Rng rng;
  int64_t bid = 110'000;  // 1.10000 at 5 decimals
  // Monday 2024-02-05; the weeks run through the 2024-03-10 (NY) and 2024-03-31 (EU) switches.
  const arus::fx::Date first = arus::fx::Date::FromYmd(2024, 2, 5);
  for (arus::fx::Date d = first; d < first + 7 * weeks; d = d + 1) {
    const arus::fx::TradingDayBounds b = cal.Bounds(d);
    if (!cal.IsTradingDay(d)) {
      // Weekend: a stray quote every ~10 minutes (some feeds send them); counted, not merged.
      for (int64_t t = b.open.ns(); t < b.close.ns(); t += 600 * arus::kNanosPerSecond) {
        ticks.push_back(
            {UnixNanos(t), Price::FromScaled(bid, 5), Price::FromScaled(bid + 30, 5), 1.0f, 1.0f});
      }
      continue;
    }
    for (int64_t t = b.open.ns() + rng.Uniform(0, 300) * arus::kNanosPerMilli; t < b.close.ns();
         t += rng.Uniform(100'000, 300'000) * arus::kNanosPerMicro) {
      bid += rng.Uniform(-2, 2);
      const int64_t spread = rng.Uniform(3, 25);  // 0.3 - 2.5 pips
      const float bv = static_cast<float>(rng.Uniform(1, 40)) * 0.25f;
      const float av = static_cast<float>(rng.Uniform(1, 40)) * 0.25f;
      ticks.push_back(
          {UnixNanos(t), Price::FromScaled(bid, 5), Price::FromScaled(bid + spread, 5), bv, av});
    }
  }
  return ticks;
}

double Seconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

// Runs `fn` `reps` times; prints best and median throughput.
const char* g_filter = nullptr;

void Time(const char* name, size_t n, int reps, const std::function<size_t()>& fn) {
  if (g_filter != nullptr && std::string(name).find(g_filter) == std::string::npos) return;
  std::vector<double> secs;
  size_t out = 0;
  for (int r = 0; r < reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    out = fn();
    secs.push_back(Seconds(std::chrono::steady_clock::now() - t0));
  }
  std::sort(secs.begin(), secs.end());
  const double best = static_cast<double>(n) / secs.front() / 1e6;
  const double median = static_cast<double>(n) / secs[secs.size() / 2] / 1e6;
  std::printf("%-34s %8.1f M ticks/s best  %8.1f median  (%6.2f ns/tick)  -> %zu\n", name, best,
              median, 1e9 / (best * 1e6), out);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  const int weeks = argc > 1 ? std::max(1, std::atoi(argv[1])) : 14;
  if (argc > 2) g_filter = argv[2];
  const arus::fx::FxCalendar& cal = arus::fx::FxCalendar::Default();
  const auto g0 = std::chrono::steady_clock::now();
  const std::vector<QuoteTick> ticks = MakeTicks(cal, weeks);
  std::printf("bars_bench: %zu ticks (%.0f MB) over %d weeks from 2024-02-05, built in %.1f s\n",
              ticks.size(), static_cast<double>(ticks.size() * sizeof(QuoteTick)) / 1e6, weeks,
              Seconds(std::chrono::steady_clock::now() - g0));
  const std::span<const QuoteTick> span(ticks);
  const size_t n = ticks.size();
  constexpr int kReps = 7;

  Time("baseline: read ts+bid+ask (sum)", n, kReps, [&] {
    int64_t s = 0;
    for (const QuoteTick& t : ticks) s += t.ts_event.ns() ^ (t.bid.raw() + t.ask.raw());
    return static_cast<size_t>(s & 1);
  });

  struct Case {
    const char* name;
    Timeframe tf;
    PriceSide side;
  };
  const Case cases[] = {
      {"AggregateTicks M1 mid", Timeframe::kM1, PriceSide::kMid},
      {"AggregateTicks M1 bid", Timeframe::kM1, PriceSide::kBid},
      {"AggregateTicks M5 mid", Timeframe::kM5, PriceSide::kMid},
      {"AggregateTicks H1 mid", Timeframe::kH1, PriceSide::kMid},
      {"AggregateTicks H1 bid", Timeframe::kH1, PriceSide::kBid},
      {"AggregateTicks H4 mid", Timeframe::kH4, PriceSide::kMid},
      {"AggregateTicks D1 mid", Timeframe::kD1, PriceSide::kMid},
      {"AggregateTicks D1 bid", Timeframe::kD1, PriceSide::kBid},
      {"AggregateTicks W1 mid", Timeframe::kW1, PriceSide::kMid},
  };
  int64_t closed = 0;
  for (const Case& c : cases) {
    Time(c.name, n, kReps, [&] {
      arus::bars::AggregateStats stats;
      auto r = arus::bars::AggregateTicks(span, c.tf, c.side, cal, &stats);
      if (!r.ok()) {
        std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
        std::exit(1);
      }
      closed = stats.closed_market_ticks;
      return r->size();
    });
  }
  std::printf("(closed-market ticks counted, not merged: %lld)\n", static_cast<long long>(closed));

  Time("per-tick Update M1 mid (live path)", n, 3, [&] {
    arus::bars::BarAggregator agg(Timeframe::kM1, PriceSide::kMid, cal);
    for (const QuoteTick& t : ticks) {
      if (!agg.Update(t).ok()) std::exit(1);
    }
    agg.Flush();
    return agg.completed().size();
  });

  const Timeframe multi[] = {Timeframe::kM1, Timeframe::kM5, Timeframe::kM15,
                             Timeframe::kH1, Timeframe::kH4, Timeframe::kD1};
  Time("MultiAggregator M1,M5,M15,H1,H4,D1", n, 3, [&] {
    auto r = arus::bars::BuildMultiTimeframeView(span, multi, PriceSide::kMid, cal);
    if (!r.ok()) std::exit(1);
    return r->all(Timeframe::kM1).size();
  });
  return 0;
}
