// Event-driven backtest throughput (target: >= 20 M ticks/s per core with costs).
// Builds realistic FX ticks in memory (a tick every 100-300 ms through the open market only, so
// runs cross 17:00 New York rollovers and weekends), then times BacktestEngine runs:
//   - a trivial strategy (counts quotes) over 1 symbol and over 4 merged symbols;
//   - the full cost model (volatility slippage, 50 ms latency, commission, swaps) with a strategy
//     that keeps a bracketed position open most of the time (every quote then takes the broker's
//     slow path: protective exits, trailing stop, stop-out check), USD and JPY accounts;
//   - bar mode (M1 bid bars of 4 symbols), trivial and trading;
//   - ticks streamed from a TickStore (decode + engine).
// Prints events/s (best and median of several runs) next to a plain memory-read baseline.
// Usage: backtest_bench [million_ticks_per_symbol] [filter]   (default 10; filter: run only the
// cases whose name contains it)
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "backtest/engine.h"
#include "bars/bar_aggregator.h"
#include "core/tick.h"
#include "fx/calendar.h"
#include "fx/instrument.h"
#include "store/tick_store.h"

namespace {

using namespace arus;
using namespace arus::backtest;

struct Rng {
  uint64_t s = 0x9E3779B97F4A7C15ull;
  uint64_t Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  int64_t Uniform(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }
};

// n ticks of one symbol from 2024-01-07 (Sunday) on, only while the market is open.
std::vector<QuoteTick> MakeTicks(size_t n, int64_t start_price, int decimals, uint64_t seed) {
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  std::vector<QuoteTick> out;
  out.reserve(n);
  Rng rng;
  rng.s += seed * 0xBF58476D1CE4E5B9ull;  // never 0: xorshift would stay at 0
  int64_t t = cal.NextOpen(*ParseIsoUtc("2024-01-07T00:00:00Z")).ns();
  int64_t open_until = cal.NextClose(UnixNanos(t)).ns();
  int64_t bid = start_price;
  while (out.size() < n) {
    t += rng.Uniform(100, 300) * kNanosPerMilli;
    if (t >= open_until) {
      t = cal.NextOpen(UnixNanos(t)).ns();
      open_until = cal.NextClose(UnixNanos(t)).ns();
    }
    bid += rng.Uniform(-2, 2);
    QuoteTick q;
    q.ts_event = UnixNanos(t);
    q.bid = Price::FromScaled(bid, decimals);
    q.ask = Price::FromScaled(bid + rng.Uniform(2, 12), decimals);
    out.push_back(q);
  }
  return out;
}

class Trivial final : public Strategy {
 public:
  void OnQuote(StrategyContext&, InstrumentIndex, const QuoteTick&) override { ++quotes; }
  void OnBar(StrategyContext&, InstrumentIndex, const Bar&) override { ++bars; }
  int64_t quotes = 0, bars = 0;
};

// Keeps a bracketed position on most of the time: after a flat spell of `every` events on an
// instrument it enters with a stop, a target and a trailing stop; alternates sides.
class Trader final : public Strategy {
 public:
  explicit Trader(int every) : every_(every) {}
  void OnQuote(StrategyContext& ctx, InstrumentIndex i, const QuoteTick& q) override {
    Act(ctx, i, q.mid().ToDouble());
  }
  void OnBar(StrategyContext& ctx, InstrumentIndex i, const Bar& b) override {
    Act(ctx, i, b.close.ToDouble());
  }
  int64_t orders = 0;

 private:
  void Act(StrategyContext& ctx, InstrumentIndex i, double mid) {
    if (i >= count_.size()) count_.resize(i + 1, 0);
    if (++count_[i] < every_) return;
    for (const Position& p : ctx.account().positions()) {
      if (p.instrument == i) return;
    }
    count_[i] = 0;
    const double pip = ctx.account().instrument(i).pip_size;
    OrderRequest r;
    r.instrument = i;
    r.side = (orders & 1) ? Side::kSell : Side::kBuy;
    r.quantity = 100000;
    r.bracket.stop_loss = mid - Sign(r.side) * 30 * pip;
    r.bracket.take_profit = mid + Sign(r.side) * 45 * pip;
    r.bracket.trailing_stop_pips = 25;
    if (ctx.Submit(r).ok()) ++orders;
  }
  int every_;
  std::vector<int> count_;
};

struct Timing {
  double best = 0, median = 0;  // events per second
};

Timing Time(const std::function<int64_t()>& run, int repeats) {
  std::vector<double> rates;
  for (int k = 0; k < repeats; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    const int64_t events = run();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    rates.push_back(static_cast<double>(events) / s);
  }
  std::sort(rates.begin(), rates.end());
  return Timing{rates.back(), rates[rates.size() / 2]};
}

void Print(const char* name, const Timing& t, const std::string& extra = "") {
  std::printf("%-52s %8.1f M/s best %8.1f M/s median  %s\n", name, t.best / 1e6, t.median / 1e6,
              extra.c_str());
  std::fflush(stdout);
}

fx::Instrument Find(const char* symbol) { return **fx::InstrumentTable::Builtin().Find(symbol); }

}  // namespace

int main(int argc, char** argv) {
  const double millions = argc > 1 ? std::atof(argv[1]) : 10.0;
  const std::string filter = argc > 2 ? argv[2] : "";
  const size_t n = static_cast<size_t>(millions * 1e6);
  auto want = [&](const char* name) { return filter.empty() || std::strstr(name, filter.c_str()); };
  const int repeats = 5;

  std::printf("building %zu ticks per symbol x 4 symbols...\n", n);
  const std::vector<QuoteTick> eur = MakeTicks(n, 110000, 5, 1);
  const std::vector<QuoteTick> gbp = MakeTicks(n / 4, 127000, 5, 2);
  const std::vector<QuoteTick> jpy = MakeTicks(n / 4, 150000, 3, 3);
  const std::vector<QuoteTick> eurjpy = MakeTicks(n / 4, 165000, 3, 4);
  const std::vector<QuoteTick> eur4(eur.begin(), eur.begin() + static_cast<std::ptrdiff_t>(n / 4));
  std::printf("EURUSD spans %s .. %s\n", eur.front().ts_event.ToIso().c_str(),
              eur.back().ts_event.ToIso().c_str());

  if (want("baseline")) {
    Timing t = Time(
        [&] {
          int64_t sum = 0;
          for (const QuoteTick& q : eur) sum += q.bid.raw() + q.ask.raw() + q.ts_event.ns();
          if (sum == 42) std::puts("");
          return static_cast<int64_t>(eur.size());
        },
        repeats);
    Print("baseline: read every tick (memory)", t);
  }

  const std::vector<TickSeries> one = {{Find("EURUSD"), eur}};
  const std::vector<TickSeries> four = {{Find("EURUSD"), eur4},
                                        {Find("GBPUSD"), gbp},
                                        {Find("USDJPY"), jpy},
                                        {Find("EURJPY"), eurjpy}};

  BacktestConfig plain;
  BacktestConfig full;
  full.broker.slippage.model = SlippageModel::kVolatility;
  full.broker.slippage.vol_k = 0.5;
  full.broker.latency = Duration(50 * kNanosPerMilli);
  full.broker.commission_mode = CommissionMode::kInstrument;
  BacktestConfig full_jpy = full;
  full_jpy.broker.account_currency = "JPY";
  full_jpy.broker.initial_balance = 15e6;

  auto tick_case = [&](const char* name, const BacktestConfig& c, const std::vector<TickSeries>& in,
                       bool trade) {
    if (!want(name)) return;
    int64_t trades = 0, orders = 0;
    Timing t = Time(
        [&] {
          BacktestEngine engine(c);
          Trivial triv;
          Trader trader(2000);
          Result<BacktestResult> r =
              trade ? engine.RunTicks(in, trader) : engine.RunTicks(in, triv);
          if (!r.ok()) {
            std::fprintf(stderr, "%s: %s\n", name, r.status().ToString().c_str());
            std::exit(1);
          }
          trades = static_cast<int64_t>(r->trades.size());
          orders = trader.orders;
          return static_cast<int64_t>(r->events);
        },
        repeats);
    Print(name, t,
          trade ? std::to_string(trades) + " trades, " + std::to_string(orders) + " orders" : "");
  };
  tick_case("ticks 1 symbol, trivial strategy", plain, one, false);
  tick_case("ticks 4 symbols merged, trivial strategy", plain, four, false);
  tick_case("ticks 1 symbol, full costs, trading", full, one, true);
  tick_case("ticks 4 symbols, full costs, trading", full, four, true);
  tick_case("ticks 4 symbols, full costs, trading, JPY account", full_jpy, four, true);
  {
    BacktestConfig with_bars = plain;
    with_bars.tick_bars = bars::Timeframe::kM5;
    tick_case("ticks 1 symbol + M5 tick bars, trivial", with_bars, one, false);
  }

  // Bar mode: M1 bid bars of the four symbols.
  std::vector<std::vector<Bar>> m1(4);
  const std::vector<QuoteTick>* src[4] = {&eur4, &gbp, &jpy, &eurjpy};
  for (int s = 0; s < 4; ++s) {
    m1[s] = *bars::AggregateTicks(*src[s], bars::Timeframe::kM1, PriceSide::kBid,
                                  fx::FxCalendar::Default());
  }
  const std::vector<BarSeries> bars4 = {{Find("EURUSD"), m1[0]},
                                        {Find("GBPUSD"), m1[1]},
                                        {Find("USDJPY"), m1[2]},
                                        {Find("EURJPY"), m1[3]}};
  auto bar_case = [&](const char* name, const BacktestConfig& c, bool trade) {
    if (!want(name)) return;
    int64_t trades = 0;
    Timing t = Time(
        [&] {
          BacktestEngine engine(c);
          Trivial triv;
          Trader trader(20);
          Result<BacktestResult> r =
              trade ? engine.RunBars(bars4, trader) : engine.RunBars(bars4, triv);
          if (!r.ok()) {
            std::fprintf(stderr, "%s: %s\n", name, r.status().ToString().c_str());
            std::exit(1);
          }
          trades = static_cast<int64_t>(r->trades.size());
          return static_cast<int64_t>(r->events);
        },
        repeats);
    Print(name, t,
          std::to_string(m1[0].size() * 4) + " bars" +
              (trade ? ", " + std::to_string(trades) + " trades" : ""));
  };
  bar_case("bars M1 x 4 symbols, trivial strategy", plain, false);
  bar_case("bars M1 x 4 symbols, full costs, trading", full, true);

  if (want("store")) {
    const char* base = std::getenv("ARUS_BENCH_TMP");
    std::filesystem::path dir =
        base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
    dir /= "backtest_bench_" + std::to_string(::getpid());
    std::filesystem::remove_all(dir);
    {
      auto st = store::TickStore::Open(dir.string(), store::OpenMode::kReadWrite);
      if (!st.ok() || !(*st)->Append("EURUSD", eur, 5).ok()) {
        std::fprintf(stderr, "cannot write the bench store in %s\n", dir.c_str());
        return 1;
      }
    }
    auto st = store::TickStore::Open(dir.string(), store::OpenMode::kReadOnly);
    const std::vector<fx::Instrument> ins = {Find("EURUSD")};
    auto store_case = [&](const char* name, const BacktestConfig& c, bool trade) {
      Timing t = Time(
          [&] {
            BacktestEngine engine(c);
            Trivial triv;
            Trader trader(2000);
            Result<BacktestResult> r = engine.RunStoreTicks(
                **st, ins, eur.front().ts_event, eur.back().ts_event + Duration(1),
                trade ? static_cast<Strategy&>(trader) : triv);
            if (!r.ok()) {
              std::fprintf(stderr, "%s: %s\n", name, r.status().ToString().c_str());
              std::exit(1);
            }
            return static_cast<int64_t>(r->events);
          },
          repeats);
      Print(name, t);
    };
    store_case("store ticks 1 symbol, trivial strategy", plain, false);
    store_case("store ticks 1 symbol, full costs, trading", full, true);
    std::filesystem::remove_all(dir);
  }
  return 0;
}
