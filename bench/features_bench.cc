// Feature datasets from stored M1 bars: 1 M rows x 60 features (M1 base, indicators on M1, M5
// and H1, trend alignment) through the real path — store read, resampling, every kernel through
// the Indicator interface, row assembly and labels — timed per run on one thread. Target: <= 1 s.
// Also the streaming cost per row of the same engine (live path: Push + AdvanceTo).
// The dataset is ~8 bytes x rows x features of fresh memory (360 MB at 1 M x 45): on VMs where a
// first-touch page fault is slow this costs seconds by itself, so the bench reports the cold first
// run, the warm runs (glibc told to keep freed memory, so only our code is timed) and the cost of
// touching that much fresh memory once (memset) on this machine.
// Usage: features_bench [rows]   (default 1000000)
#include <malloc.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <filesystem>
#include <random>

#include "features/build.h"
#include "features/engine.h"
#include "features/feature_set.h"
#include "fx/calendar.h"
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
    const size_t bytes = nrows * (nfeat + 5) * sizeof(double);
    const auto t0 = std::chrono::steady_clock::now();
    std::unique_ptr<char[]> fresh(new char[bytes]);
    std::memset(fresh.get(), 1, bytes);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("  (first touch of %.0f MB of fresh memory on this machine: %.3f s)\n",
                bytes / 1e6, s);
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
  return 0;
}

}  // namespace
}  // namespace arus::features

int main(int argc, char** argv) { return arus::features::Main(argc, argv); }
