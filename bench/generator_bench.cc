// Synthetic market throughput: 4 pairs over January 2024, streamed day by day as `arus generate`
// does. Prints ticks/s (target >= 5 M ticks/s on one core). Not a Google Benchmark: one timed run
// of the real code path is the figure that matters (a month takes a few seconds).
#include <time.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "core/time.h"
#include "fx/instrument.h"
#include "ingest/synthetic_market.h"

int main(int argc, char** argv) {
  using namespace arus;
  struct Case {
    const char* name;
    ingest::SyntheticOptions::Mode mode;
    double strength;
  };
  const Case cases[] = {{"normal", ingest::SyntheticOptions::Mode::kNormal, 0},
                        {"random_walk", ingest::SyntheticOptions::Mode::kRandomWalk, 0},
                        {"plant_signal 0.2", ingest::SyntheticOptions::Mode::kPlantSignal, 0.2}};
  const std::string to = argc > 1 ? argv[1] : "2024-02-01";
  std::printf("generator: EURUSD,GBPUSD,EURGBP,USDJPY from 2024-01-01 to %s, seed 7\n", to.c_str());
  for (const Case& c : cases) {
    ingest::SyntheticOptions o;
    o.symbols = {"EURUSD", "GBPUSD", "EURGBP", "USDJPY"};
    o.from = *ParseIsoUtc("2024-01-01");
    o.to = *ParseIsoUtc(to);
    o.mode = c.mode;
    o.signal_strength = c.strength;
    timespec c0;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    const auto t0 = std::chrono::steady_clock::now();
    Result<std::unique_ptr<ingest::SyntheticMarket>> m =
        ingest::SyntheticMarket::Create(o, fx::InstrumentTable::Builtin());
    if (!m.ok()) {
      std::fprintf(stderr, "%s\n", m.status().ToString().c_str());
      return 1;
    }
    std::vector<std::vector<QuoteTick>> day;
    uint64_t ticks = 0, days = 0;
    int64_t checksum = 0;
    while (true) {
      Result<bool> more = (*m)->NextDay(&day);
      if (!more.ok() || !*more) break;
      ++days;
      for (const auto& v : day) {
        ticks += v.size();
        if (!v.empty()) checksum += v.back().bid.raw();
      }
    }
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    timespec c1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    const double cpu = (c1.tv_sec - c0.tv_sec) + (c1.tv_nsec - c0.tv_nsec) * 1e-9;
    std::printf(
        "  %-17s %3llu days %10llu ticks  wall %6.3f s %6.2f M ticks/s  cpu %6.3f s "
        "%6.2f M ticks/s  (%zu events, checksum %lld)\n",
        c.name, static_cast<unsigned long long>(days), static_cast<unsigned long long>(ticks), s,
        ticks / s / 1e6, cpu, ticks / cpu / 1e6, (*m)->Events().size(),
        static_cast<long long>(checksum));
  }
  return 0;
}
