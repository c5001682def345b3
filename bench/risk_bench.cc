// Cost of the risk module on the engine's hot path: RiskManager::Check on an accepted order
// (every limit on, a book of 6 positions over 8 pairs, USD account), on a closing order, OnMark,
// and PositionSizer::Size. The account is the test fake (risk/test_util.h), whose conversion
// look-up is a linear scan like a small broker's.
#include <benchmark/benchmark.h>

#include "risk/risk_manager.h"
#include "risk/test_util.h"

namespace {

using arus::Duration;
using arus::UnixNanos;
using arus::backtest::OrderRequest;
using arus::backtest::Side;
using arus::risk::testutil::FakeAccount;

FakeAccount Book() {
  FakeAccount a("USD",
                {"EURUSD", "GBPUSD", "USDJPY", "EURGBP", "AUDUSD", "USDCAD", "EURJPY", "USDCHF"},
                100'000);
  a.SetMid("EURUSD", 1.10, 0.0001);
  a.SetMid("GBPUSD", 1.25, 0.0001);
  a.SetMid("USDJPY", 150.0, 0.01);
  a.SetMid("EURGBP", 0.88, 0.0001);
  a.SetMid("AUDUSD", 0.66, 0.0001);
  a.SetMid("USDCAD", 1.36, 0.0001);
  a.SetMid("EURJPY", 165.0, 0.01);
  a.SetMid("USDCHF", 0.90, 0.0001);
  a.Open("EURUSD", Side::kBuy, 50'000);
  a.Open("USDJPY", Side::kSell, 30'000);
  a.Open("EURGBP", Side::kBuy, 20'000);
  a.Open("AUDUSD", Side::kSell, 40'000);
  a.Open("USDCAD", Side::kBuy, 10'000);
  a.Open("EURJPY", Side::kBuy, 10'000);
  return a;
}

std::unique_ptr<arus::risk::RiskManager> Manager() {
  return std::move(arus::risk::RiskManager::Create(arus::risk::RiskConfig{})).value();
}

void BM_CheckAccepted(benchmark::State& state) {
  FakeAccount a = Book();
  auto rm = Manager();
  OrderRequest o;
  o.instrument = a.Index("GBPUSD");
  o.quantity = 10'000;
  UnixNanos t = *arus::ParseIsoUtc("2024-06-04T12:00:00Z");
  for (auto _ : state) {
    t += Duration(1'000'000);
    arus::Status s = rm->Check(o, a, t);
    benchmark::DoNotOptimize(s);
  }
  if (rm->stats().accepted != rm->stats().checks) state.SkipWithError("rejected");
}
BENCHMARK(BM_CheckAccepted);

void BM_CheckClosing(benchmark::State& state) {
  FakeAccount a = Book();
  auto rm = Manager();
  OrderRequest o;
  o.instrument = a.Index("EURUSD");
  o.side = Side::kSell;
  o.quantity = 50'000;
  UnixNanos t = *arus::ParseIsoUtc("2024-06-04T12:00:00Z");
  for (auto _ : state) {
    t += Duration(1'000'000);
    arus::Status s = rm->Check(o, a, t);
    benchmark::DoNotOptimize(s);
  }
}
BENCHMARK(BM_CheckClosing);

void BM_OnMark(benchmark::State& state) {
  FakeAccount a = Book();
  auto rm = Manager();
  UnixNanos t = *arus::ParseIsoUtc("2024-06-04T12:00:00Z");
  for (auto _ : state) {
    t += Duration(1'000'000);
    benchmark::DoNotOptimize(rm->OnMark(a, t));
  }
}
BENCHMARK(BM_OnMark);

void BM_SizeFixedFractional(benchmark::State& state) {
  FakeAccount a = Book();
  arus::risk::SizingConfig c;
  c.method = arus::risk::SizingMethod::kFixedFractional;
  arus::risk::PositionSizer sizer(c);
  arus::risk::SizeRequest r;
  r.instrument = a.Index("EURJPY");
  r.stop_distance = 0.30;
  for (auto _ : state) {
    auto d = sizer.Size(r, a);
    benchmark::DoNotOptimize(d);
  }
}
BENCHMARK(BM_SizeFixedFractional);

}  // namespace

BENCHMARK_MAIN();
