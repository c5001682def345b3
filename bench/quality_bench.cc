// Throughput of the quality module: tick validation with every rule on (default config) and the
// cross-source comparison (100 ms grid, ±5 s lag search), on synthetic EURUSD ticks at full rate.
// A timed program: prints ticks per second. Usage: quality_bench [days=5] [passes=6]
#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "fx/instrument.h"
#include "ingest/synthetic_market.h"
#include "quality/compare.h"
#include "quality/tick_validator.h"

namespace {

using arus::QuoteTick;
using WallClock = std::chrono::steady_clock;

double Seconds(WallClock::time_point a, WallClock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// CPU time of this thread: the figure per core, unaffected by other processes on a shared box.
double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace arus;
  const int days = argc > 1 ? std::atoi(argv[1]) : 5;
  const int passes = argc > 2 ? std::atoi(argv[2]) : 6;

  ingest::SyntheticOptions o;
  o.symbols = {"EURUSD"};
  o.from = *ParseIsoUtc("2024-03-11T00:00:00Z");  // Monday
  o.to = o.from + Duration(days * kNanosPerDay);
  auto gen = ingest::GenerateSyntheticTicks(o, fx::InstrumentTable::Builtin());
  if (!gen.ok()) {
    std::fprintf(stderr, "%s\n", gen.status().ToString().c_str());
    return 1;
  }
  const std::vector<QuoteTick>& ticks = (*gen)[0];
  const fx::Instrument& eurusd = **fx::InstrumentTable::Builtin().Find("EURUSD");
  std::printf("quality_bench: %zu EURUSD ticks (%d days, full rate), %d passes\n", ticks.size(),
              days, passes);

  // Validation, every rule on, kept ticks handed to a sink (as `arus ingest` would).
  for (bool with_sink : {false, true}) {
    double best = 0, best_cpu = 0;
    int64_t kept = 0;
    for (int p = 0; p < passes; ++p) {
      quality::TickValidatorOptions opt;
      if (with_sink) {
        opt.sink = [&kept](std::span<const QuoteTick> t) {
          kept += static_cast<int64_t>(t.size());
          return Status::Ok();
        };
      }
      auto v = quality::TickValidator::Create({}, eurusd, opt);
      if (!v.ok()) return 1;
      const auto t0 = WallClock::now();
      const double c0 = CpuSeconds();
      for (size_t i = 0; i < ticks.size(); i += 65536) {
        const size_t n = std::min<size_t>(65536, ticks.size() - i);
        if (!(*v)->Add(std::span<const QuoteTick>(ticks).subspan(i, n)).ok()) return 1;
      }
      auto r = (*v)->Finish();
      const double c1 = CpuSeconds();
      const auto t1 = WallClock::now();
      if (!r.ok() || r->rows_in != static_cast<int64_t>(ticks.size())) return 1;
      best = std::max(best, static_cast<double>(ticks.size()) / Seconds(t0, t1));
      best_cpu = std::max(best_cpu, static_cast<double>(ticks.size()) / (c1 - c0));
    }
    std::printf("  validate (all rules%s): %6.1f M ticks/s per core (CPU time), %6.1f M/s wall "
                "(best of %d)\n",
                with_sink ? ", sink       " : ", report only", best_cpu / 1e6, best / 1e6, passes);
  }

  // Comparison: B = A delayed 700 ms with one-point noise.
  std::vector<QuoteTick> b = ticks;
  std::mt19937_64 rng(1);
  for (QuoteTick& t : b) {
    t.ts_event += Duration(700 * kNanosPerMilli);
    t.bid = t.bid + Price::FromScaled(static_cast<int64_t>(rng() % 3) - 1, 5);
    if (t.ask <= t.bid) t.ask = t.bid + Price::FromScaled(1, 5);
  }
  for (int64_t grid_ms : {100, 1000}) {
    double best = 0, best_cpu = 0;
    quality::CompareReport rep;
    for (int p = 0; p < std::max(1, passes / 2); ++p) {
      quality::CompareOptions co;
      co.settings.grid = Duration(grid_ms * kNanosPerMilli);
      const auto t0 = WallClock::now();
      const double c0 = CpuSeconds();
      auto r = quality::CompareSources(quality::SpanSource(ticks), quality::SpanSource(b), eurusd,
                                       co);
      const double c1 = CpuSeconds();
      const auto t1 = WallClock::now();
      if (!r.ok()) return 1;
      rep = *r;
      best = std::max(best, static_cast<double>(ticks.size() + b.size()) / Seconds(t0, t1));
      best_cpu = std::max(best_cpu, static_cast<double>(ticks.size() + b.size()) / (c1 - c0));
    }
    std::printf("  compare (grid %4lld ms, lag +-5 s): %6.1f M ticks/s per core (both sources; "
                "%.1f M/s wall), %.1f M grid points/s; lag found %lld ms\n",
                static_cast<long long>(grid_ms), best_cpu / 1e6, best / 1e6,
                best_cpu / static_cast<double>(ticks.size() + b.size()) *
                    static_cast<double>(rep.points_both + rep.points_a_only + rep.points_b_only) /
                    1e6,
                static_cast<long long>(rep.lag.count() / kNanosPerMilli));
  }
  return 0;
}
