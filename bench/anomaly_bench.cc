// The window autoencoder (dl/autoencoder.h): cost of scoring (batch Score and the live
// AnomalyStream::Update, per row) and of training, for the default network (L = 16, H = 32,
// B = 4) on C = 3 and C = 10 feature columns of an AR(1) process.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "dl/autoencoder.h"

namespace arus::dl {
namespace {

ml::Matrix Ar(size_t rows, size_t cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> n(0, 1);
  ml::Matrix x(rows, cols);
  std::vector<double> s(cols, 0);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < cols; ++c) x.at(r, c) = s[c] = 0.9 * s[c] + 0.45 * n(rng);
  }
  return x;
}

std::vector<std::string> Names(size_t cols) {
  std::vector<std::string> v;
  for (size_t c = 0; c < cols; ++c) v.push_back("f" + std::to_string(c));
  return v;
}

// One detector per column count, fitted once (a few epochs: the weights' values do not change
// the cost of scoring).
const AnomalyDetector& Detector(size_t cols) {
  static std::unique_ptr<AnomalyDetector> d3, d10;
  auto& d = cols == 3 ? d3 : d10;
  if (!d) {
    AnomalyOptions o;
    o.max_epochs = 2;
    d = std::move(AnomalyDetector::Fit(Ar(2000, cols, 1).view(), Names(cols), o)).value();
  }
  return *d;
}

void BM_AnomalyScoreBatch(benchmark::State& state) {
  const size_t cols = size_t(state.range(0));
  const AnomalyDetector& d = Detector(cols);
  const ml::Matrix x = Ar(100000, cols, 2);
  std::vector<double> e(x.rows);
  for (auto _ : state) {
    benchmark::DoNotOptimize(d.Score(x.view(), e).ok());
    benchmark::ClobberMemory();
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(x.rows));
}
BENCHMARK(BM_AnomalyScoreBatch)->Arg(3)->Arg(10)->Unit(benchmark::kMillisecond);

void BM_AnomalyStreamUpdate(benchmark::State& state) {
  const size_t cols = size_t(state.range(0));
  const AnomalyDetector& d = Detector(cols);
  const ml::Matrix x = Ar(4096, cols, 3);
  AnomalyStream s(d);
  size_t r = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(s.Update({x.row(r), cols}));
    r = (r + 1) & 4095;
  }
}
BENCHMARK(BM_AnomalyStreamUpdate)->Arg(3)->Arg(10);

// One epoch over 10,000 windows (batch 64), the unit of training cost.
void BM_AnomalyFitEpoch(benchmark::State& state) {
  const size_t cols = size_t(state.range(0));
  const ml::Matrix x = Ar(12500 + 15, cols, 4);  // 80 % of the windows are fit windows
  AnomalyOptions o;
  o.max_epochs = 1;
  for (auto _ : state) {
    auto d = AnomalyDetector::Fit(x.view(), Names(cols), o);
    benchmark::DoNotOptimize(d.ok());
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * 10000);
}
BENCHMARK(BM_AnomalyFitEpoch)->Arg(3)->Arg(10)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace arus::dl

BENCHMARK_MAIN();
