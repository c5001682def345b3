// Feature datasets from stored M1 bars: 1 M rows x 60 features (M1 base, indicators on M1, M5
// and H1, trend alignment) through the real path — store read, resampling, every kernel through
// the Indicator interface, row assembly and labels — timed per run on one thread. Target: <= 1 s.
// Also the streaming cost per row of the same engine (live path: Push + AdvanceTo), and the cost
// of the [ticks] family per tick: a dataset built from a tick store with and without [ticks]
// (same bars, same rows; the difference is the tick scan, merge and kernels), and the engine's
// PushTick alone on ticks in memory.
// The dataset is ~8 bytes x rows x features of memory new to the process (~500 MB at 1 M x 60):
// on VMs where first touch is slow this costs seconds by itself (the build maps its columns in at
// once, core/memory.h, which helps but cannot make the hypervisor back new memory faster), so the
// bench reports the cold first run, the warm runs (glibc told to keep freed memory, so only our
// code is timed) and the cost of writing that much new memory on this machine.
// Usage: features_bench [rows] [ticks]   (defaults 1000000, 5000000)
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <filesystem>
#include <random>

#include "core/memory.h"
#include "features/build.h"
#include "features/engine.h"
#include "features/feature_set.h"
#include "fx/calendar.h"
#include "indicators/tick_kernels.h"
#include "store/tick_store.h"

namespace arus::features {
namespace {

constexpr std::string_view kSpec = R"toml(
name = "bench-60"
symbol = "EURUSD"
base_timeframe = "M1"
labels = ["fwd_return(h=10)", "direction(h=30,dz=2,unit=pips)"]
[indicators]
M1 = "sma(20),ema(20),ema(50),wma(20),rsi(14),macd(12,26,9),bbands(20,2),stoch(14,3,3),atr(14),adx(14),cci(20),willr(14),roc(10),stddev(20),zscore(20),donchian(20),keltner(20,2),ao,mfi(14),obv,adl"
M5 = "rsi(14),ema(20),atr(14),macd(12,26,9),bbands(20,2),stoch(14,3,3),cci(20),willr(14),adx(14),roc(10),zscore(20)"
H1 = "rsi(14),ema(20),atr(14),adx(14),cci(20),macd(12,26,9),bbands(20,2),stoch(14,3,3)"
[trend]
timeframes = ["M1", "M5", "H1"]
ema = 20
)toml";

std::vector<Bar> MakeM1Bars(size_t n) {
  std::vector<Bar> out;
  out.reserve(n);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> step(0, 0.00012);
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  double p = 1.1;
  int64_t t = ParseIsoUtc("2021-01-04T00:00:00Z")->ns();
  while (out.size() < n) {
    const UnixNanos open(t);
    t += kNanosPerMinute;
    if (!cal.IsOpen(open)) continue;
    Bar b;
    b.ts_open = open;
    b.ts_close = UnixNanos(t);
    const double o = p;
    p *= std::exp(step(rng));
    const double hi = std::max(o, p) + std::abs(step(rng)) * 0.3;
    const double lo = std::min(o, p) - std::abs(step(rng)) * 0.3;
    b.open = Price::FromDouble(o);
    b.close = Price::FromDouble(p);
    b.high = Price::FromDouble(hi);
    b.low = Price::FromDouble(lo);
    b.tick_count = 20 + static_cast<int64_t>(rng() % 80);
    b.volume = static_cast<double>(b.tick_count);
    b.spread_mean = 0.00008;
    b.spread_max = Price::FromDouble(0.00012);
    out.push_back(b);
  }
  return out;
}

constexpr std::string_view kTickBarsSpec = R"toml(
name = "bench-ticks"
symbol = "EURUSD"
base_timeframe = "M5"
[indicators]
M5 = "rsi(14),atr(14)"
)toml";
constexpr std::string_view kTicksTable = R"toml(
[ticks]
spread = ["30s", "5m"]
imbalance = "5m"
intensity = ["1m", "15m"]
slippage = "5m"
)toml";

// Open-market EURUSD quotes: a random-walk mid on the 5-decimal grid, spreads of 0.5-2.4 pips,
// exponential gaps of 250 ms on average (a busy major), random volumes.
std::vector<QuoteTick> MakeTicks(size_t n) {
  std::vector<QuoteTick> out;
  out.reserve(n);
  std::mt19937_64 rng(7);
  std::exponential_distribution<double> gap(1.0 / 250e6);
  std::uniform_int_distribution<int> step(-2, 2), spread(5, 24);
  std::uniform_real_distribution<float> vol(0.5f, 5.0f);
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  int64_t t = ParseIsoUtc("2021-01-04T00:00:00Z")->ns();
  int64_t mid = 110000;  // in 1e-5
  while (out.size() < n) {
    t += 1 + static_cast<int64_t>(gap(rng));
    if (!cal.IsOpen(UnixNanos(t))) {
      t = cal.NextOpen(UnixNanos(t)).ns();
      continue;
    }
    mid += step(rng);
    QuoteTick q;
    q.ts_event = UnixNanos(t);
    q.bid = Price::FromRaw(mid * 10000);
    q.ask = Price::FromRaw((mid + spread(rng)) * 10000);
    q.bid_volume = vol(rng);
    q.ask_volume = vol(rng);
    out.push_back(q);
  }
  return out;
}

int TickBench(size_t nticks) {
  const char* base = std::getenv("ARUS_BENCH_TMP");
  const std::filesystem::path dir =
      (base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path()) /
      ("arus_features_bench_ticks_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::vector<QuoteTick> ticks = MakeTicks(nticks);
  {
    auto store = store::TickStore::Open(dir.string(), store::OpenMode::kReadWrite);
    if (!store.ok()) return std::fprintf(stderr, "%s\n", store.status().ToString().c_str()), 1;
    auto r = (*store)->Append("EURUSD", ticks, 5);
    if (!r.ok()) return std::fprintf(stderr, "%s\n", r.status().ToString().c_str()), 1;
  }
  auto store = store::TickStore::Open(dir.string(), store::OpenMode::kReadOnly);
  if (!store.ok()) return 1;
  Result<FeatureSetSpec> plain = ParseFeatureSet(kTickBarsSpec, "bench");
  Result<FeatureSetSpec> with =
      ParseFeatureSet(std::string(kTickBarsSpec) + std::string(kTicksTable), "bench");
  if (!plain.ok() || !with.ok()) return 1;
  double best[2] = {1e30, 1e30};
  size_t rows = 0, cols[2] = {0, 0};
  for (int rep = 0; rep < 3; ++rep) {
    for (int k = 0; k < 2; ++k) {
      const auto t0 = std::chrono::steady_clock::now();
      Result<Dataset> ds = BuildDataset(**store, k == 0 ? *plain : *with, {});
      const double sec =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (!ds.ok()) return std::fprintf(stderr, "%s\n", ds.status().ToString().c_str()), 1;
      best[k] = std::min(best[k], sec);
      rows = ds->rows();
      cols[k] = ds->feature_names.size();
    }
  }
  const double n = static_cast<double>(ticks.size());
  std::printf("dataset from a tick store: %zu ticks -> %zu M5 rows\n", ticks.size(), rows);
  std::printf(
      "  without [ticks] (%zu features): %.3f s (%.1f ns per tick: scan + M1 bars + rest)\n",
      cols[0], best[0], best[0] * 1e9 / n);
  std::printf("  with [ticks] (%zu features, 6 tick kernels): %.3f s (%.1f ns per tick)\n", cols[1],
              best[1], best[1] * 1e9 / n);
  std::printf("  [ticks] family: %.1f ns per tick (second scan, merge, PushTick, kernels)\n",
              (best[1] - best[0]) * 1e9 / n);
  // The engine alone: PushTick over ticks in memory (no bars, so no rows).
  double push = 1e30;
  for (int rep = 0; rep < 3; ++rep) {
    auto engine = FeatureEngine::Create(*with);
    if (!engine.ok()) return 1;
    const auto t0 = std::chrono::steady_clock::now();
    for (const QuoteTick& q : ticks) {
      if (!(*engine)->PushTick(0, q).ok()) return 1;
    }
    push = std::min(push,
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("  engine PushTick, 6 tick kernels: %.1f ns per tick\n", push * 1e9 / n);
  // The same kernels updated directly: the floor the engine adds its clock and gate to.
  double direct = 1e30;
  double sink = 0;
  for (int rep = 0; rep < 3; ++rep) {
    using namespace std::chrono_literals;
    indicators::SpreadEwma s30(0.0001, 30s), s5(0.0001, 5min);
    indicators::BookImbalance imb(5min);
    indicators::TickIntensity i1(1min), i15(15min);
    indicators::TickSlippage slip(0.0001, 5min, 100ms);
    const auto t0 = std::chrono::steady_clock::now();
    for (const QuoteTick& q : ticks) {
      s30.Update(q);
      s5.Update(q);
      imb.Update(q);
      i1.Update(q);
      i15.Update(q);
      slip.Update(q);
    }
    direct = std::min(direct,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    sink += s30.value() + s5.value() + imb.value() + i1.value() + i15.value() + slip.value();
  }
  std::printf("  the 6 kernels updated directly: %.1f ns per tick (checksum %.3g)\n",
              direct * 1e9 / n, sink);
  if (std::getenv("ARUS_BENCH_KEEP") == nullptr) std::filesystem::remove_all(dir);
  return 0;
}

int Main(int argc, char** argv) {
  const size_t rows = argc > 1 ? static_cast<size_t>(std::atoll(argv[1])) : 1'000'000;
  const char* base = std::getenv("ARUS_BENCH_TMP");
  const std::filesystem::path dir =
      (base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path()) /
      ("arus_features_bench_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const std::vector<Bar> bars = MakeM1Bars(rows);
  {
    auto store = store::TickStore::Open(dir.string(), store::OpenMode::kReadWrite);
    if (!store.ok()) return std::fprintf(stderr, "%s\n", store.status().ToString().c_str()), 1;
    const std::vector<uint8_t> flags(bars.size(), 0);
    auto r = (*store)->AppendBars({"EURUSD", "M1", "mid"}, bars, flags, 5);
    if (!r.ok()) return std::fprintf(stderr, "%s\n", r.status().ToString().c_str()), 1;
  }
  Result<FeatureSetSpec> spec = ParseFeatureSet(kSpec, "bench");
  if (!spec.ok()) return std::fprintf(stderr, "%s\n", spec.status().ToString().c_str()), 1;
  auto store = store::TickStore::Open(dir.string(), store::OpenMode::kReadOnly);
  // Keep freed memory in the heap so warm runs reuse faulted-in pages.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
  double best = 1e30, cold = 0;
  size_t nrows = 0, nfeat = 0;
  for (int rep = 0; rep < 4; ++rep) {
    const auto t0 = std::chrono::steady_clock::now();
    Result<Dataset> ds = BuildDataset(**store, *spec, {});
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!ds.ok()) return std::fprintf(stderr, "%s\n", ds.status().ToString().c_str()), 1;
    nrows = ds->rows();
    nfeat = ds->feature_names.size();
    if (rep == 0) {
      cold = s;
    } else {
      best = std::min(best, s);
    }
  }
  std::printf("dataset from stored M1 bars: %zu rows x %zu features + 2 labels\n", nrows, nfeat);
  std::printf("  warm: %.3f s (%.2f M rows/s, %.1f ns per row-feature); cold first run: %.3f s\n",
              best, nrows / best / 1e6, best * 1e9 / (double(nrows) * nfeat), cold);
  {
    // The same amount of memory, new to the process (its own mapping, not the heap the warm runs
    // reuse): page by page, and mapped in at once as the build does (core/memory.h).
    const size_t bytes = nrows * (nfeat + 5) * sizeof(double);
    double s[2];
    for (int populate = 0; populate < 2; ++populate) {
      const auto t0 = std::chrono::steady_clock::now();
      void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) return 1;
      if (populate) PrefaultForWrite(p, bytes);
      std::memset(p, 1, bytes);
      s[populate] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      munmap(p, bytes);
    }
    std::printf("  (writing %.0f MB of memory new to the process on this machine: %.3f s page by "
                "page, %.3f s mapped in at once)\n",
                bytes / 1e6, s[0], s[1]);
  }

  // Streaming: the live path, one M1 bar at a time (Push, then the clock to its close).
  auto engine = FeatureEngine::Create(*spec);
  const auto t0 = std::chrono::steady_clock::now();
  for (const Bar& b : bars) {
    if (!(*engine)->Push(0, b).ok() || !(*engine)->AdvanceTo(b.ts_close).ok()) return 1;
    (*engine)->ClearRows();
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("streaming engine, %zu features: %.0f ns per M1 bar (push + row)\n", nfeat,
              s * 1e9 / double(bars.size()));
  if (std::getenv("ARUS_BENCH_KEEP") == nullptr) std::filesystem::remove_all(dir);
  const size_t nticks = argc > 2 ? static_cast<size_t>(std::atoll(argv[2])) : 5'000'000;
  return nticks > 0 ? TickBench(nticks) : 0;
}

}  // namespace
}  // namespace arus::features

int main(int argc, char** argv) { return arus::features::Main(argc, argv); }
