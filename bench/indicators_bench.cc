// Indicator kernels: batch throughput per bar (targets: EMA <= 2 ns/bar; RSI, MACD, Bollinger
// <= 6 ns/bar) and a 20-indicator set streamed bar by bar through IndicatorSet, the live path
// (target <= 100 ns/bar; BM_Streaming20IndicatorsVirtual is the same set through one virtual
// Indicator call per indicator and bar, for comparison). items_per_second counts bars;
// ns/bar = 1e9 / items_per_second.
// Batch series are 64 Ki bars (inputs and outputs stay in L2, as in TA-Lib's own timings: the
// figure is the kernel's, not the memory bus's); BM_EmaBatchLarge streams 8 Mi bars from memory.
#include <benchmark/benchmark.h>

#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "indicators/indicator_set.h"
#include "indicators/kernels_price.h"
#include "indicators/registry.h"

namespace arus::indicators {
namespace {

constexpr size_t kBars = 1 << 16;
constexpr size_t kStreamBars = 1 << 18;  // BarInput rows for the streaming benchmark

struct Data {
  std::vector<double> open, high, low, close;
  std::vector<BarInput> bars;
};

const Data& GetData() {
  static const Data d = [] {
    Data d;
    std::mt19937_64 rng(1);
    std::normal_distribution<double> z(0, 1);
    double c = 1.1;
    for (size_t i = 0; i < kStreamBars; ++i) {
      const double o = c;
      c += 1e-4 * z(rng);
      const double h = std::max(o, c) + 5e-5 * std::fabs(z(rng));
      const double l = std::min(o, c) - 5e-5 * std::fabs(z(rng));
      if (i < kBars) {
        d.open.push_back(o);
        d.high.push_back(h);
        d.low.push_back(l);
        d.close.push_back(c);
      }
      BarInput b;
      b.ts_open = UnixNanos(static_cast<int64_t>(i) * kNanosPerMinute);
      b.ts_close = UnixNanos(static_cast<int64_t>(i + 1) * kNanosPerMinute);
      b.open = o;
      b.high = h;
      b.low = l;
      b.close = c;
      b.tick_count = 1 + std::floor(40 * std::fabs(z(rng)));
      b.volume = b.tick_count;
      b.spread_mean = 1e-5;
      b.spread_max = 2e-5;
      d.bars.push_back(b);
    }
    return d;
  }();
  return d;
}

template <class F>
void RunScalar(benchmark::State& state, F f) {
  const Data& d = GetData();
  std::vector<double> out(kBars);
  for (auto _ : state) {
    f(d.close, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBars));
}

void BM_EmaBatch(benchmark::State& state) {
  RunScalar(state, [](const auto& x, auto& out) { EmaBatch(x, 20, out); });
}
void BM_EmaBatchLarge(benchmark::State& state) {
  constexpr size_t kLarge = size_t{1} << 23;
  std::vector<double> x(kLarge), out(kLarge);
  for (size_t i = 0; i < kLarge; ++i) x[i] = 1.1 + 1e-3 * std::sin(1e-3 * static_cast<double>(i));
  for (auto _ : state) {
    EmaBatch(x, 20, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kLarge));
}
void BM_SmaBatch(benchmark::State& state) {
  RunScalar(state, [](const auto& x, auto& out) { SmaBatch(x, 20, out); });
}
void BM_WmaBatch(benchmark::State& state) {
  RunScalar(state, [](const auto& x, auto& out) { WmaBatch(x, 20, out); });
}
void BM_RsiBatch(benchmark::State& state) {
  RunScalar(state, [](const auto& x, auto& out) { RsiBatch(x, 14, out); });
}
void BM_StdDevBatch(benchmark::State& state) {
  RunScalar(state, [](const auto& x, auto& out) { StdDevBatch(x, 20, out); });
}

void BM_MacdBatch(benchmark::State& state) {
  const Data& d = GetData();
  std::vector<double> line(kBars), signal(kBars), hist(kBars);
  for (auto _ : state) {
    MacdBatch(d.close, 12, 26, 9, line, signal, hist);
    benchmark::DoNotOptimize(hist.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBars));
}

void BM_BbandsBatch(benchmark::State& state) {
  const Data& d = GetData();
  std::vector<double> mid(kBars), up(kBars), dn(kBars);
  for (auto _ : state) {
    BbandsBatch(d.close, 20, 2.0, mid, up, dn);
    benchmark::DoNotOptimize(dn.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBars));
}

template <class F>
void RunHlc(benchmark::State& state, F f) {
  const Data& d = GetData();
  std::vector<double> out(kBars);
  for (auto _ : state) {
    f(d, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBars));
}

void BM_AtrBatch(benchmark::State& state) {
  RunHlc(state, [](const Data& d, auto& out) { AtrBatch(d.high, d.low, d.close, 14, out); });
}
void BM_AdxBatch(benchmark::State& state) {
  RunHlc(state, [](const Data& d, auto& out) { AdxBatch(d.high, d.low, d.close, 14, out); });
}
void BM_CciBatch(benchmark::State& state) {
  RunHlc(state, [](const Data& d, auto& out) { CciBatch(d.high, d.low, d.close, 20, out); });
}
void BM_WilliamsRBatch(benchmark::State& state) {
  RunHlc(state, [](const Data& d, auto& out) { WilliamsRBatch(d.high, d.low, d.close, 14, out); });
}
void BM_StochBatch(benchmark::State& state) {
  const Data& d = GetData();
  std::vector<double> k(kBars), dd(kBars);
  for (auto _ : state) {
    StochBatch(d.high, d.low, d.close, 14, 3, 3, k, dd);
    benchmark::DoNotOptimize(dd.data());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBars));
}

// The set plus six more: 20 indicators, 29 output columns.
constexpr const char* kSet20 =
    "sma(20),ema(20),rsi(14),macd(12,26,9),bbands(20,2),stoch(14,3,3),mfi(14),adl,obv,atr(14),"
    "adx(14),cci(20),willr(14),ao,wma(20),roc(10),stddev(20),zscore(20),donchian(20),keltner";

// One bar at a time through IndicatorSet (the live path), values written to one row per bar.
void BM_Streaming20Indicators(benchmark::State& state) {
  const Data& d = GetData();
  auto set = IndicatorSet::Parse(kSet20);
  if (!set.ok()) {
    state.SkipWithError(set.status().ToString().c_str());
    return;
  }
  std::vector<double> row(set->output_count());
  for (auto _ : state) {
    set->Reset();
    for (size_t i = 0; i < kStreamBars; ++i) {
      set->UpdateValues(d.bars[i], row.data());
      benchmark::DoNotOptimize(row.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kStreamBars));
  state.counters["indicators"] = static_cast<double>(set->size());
  state.counters["outputs"] = static_cast<double>(set->output_count());
}

// The same, through one virtual Indicator::UpdateValues call per indicator and bar.
void BM_Streaming20IndicatorsVirtual(benchmark::State& state) {
  const Data& d = GetData();
  auto specs = ParseIndicatorList(kSet20);
  if (!specs.ok()) {
    state.SkipWithError(specs.status().ToString().c_str());
    return;
  }
  std::vector<std::unique_ptr<Indicator>> inds;
  std::vector<size_t> offset;  // of each indicator's first column in the row
  size_t outputs = 0;
  for (const auto& s : *specs) {
    auto ind = MakeIndicator(s);
    if (!ind.ok()) {
      state.SkipWithError(ind.status().ToString().c_str());
      return;
    }
    offset.push_back(outputs);
    outputs += (*ind)->OutputNames().size();
    inds.push_back(std::move(*ind));
  }
  std::vector<double> row(outputs);
  for (auto _ : state) {
    for (auto& ind : inds) ind->Reset();
    for (size_t i = 0; i < kStreamBars; ++i) {
      for (size_t j = 0; j < inds.size(); ++j) inds[j]->UpdateValues(d.bars[i], &row[offset[j]]);
      benchmark::DoNotOptimize(row.data());
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kStreamBars));
  state.counters["indicators"] = static_cast<double>(inds.size());
  state.counters["outputs"] = static_cast<double>(outputs);
}

BENCHMARK(BM_EmaBatch);
BENCHMARK(BM_EmaBatchLarge);
BENCHMARK(BM_SmaBatch);
BENCHMARK(BM_WmaBatch);
BENCHMARK(BM_RsiBatch);
BENCHMARK(BM_MacdBatch);
BENCHMARK(BM_BbandsBatch);
BENCHMARK(BM_StdDevBatch);
BENCHMARK(BM_AtrBatch);
BENCHMARK(BM_AdxBatch);
BENCHMARK(BM_CciBatch);
BENCHMARK(BM_WilliamsRBatch);
BENCHMARK(BM_StochBatch);
BENCHMARK(BM_Streaming20Indicators)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Streaming20IndicatorsVirtual)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace arus::indicators

BENCHMARK_MAIN();
