// The event-driven backtest engine. It replays market data in time order — quote ticks of
// several symbols merged by timestamp (tick mode), or bid bars merged by close time (bar mode) —
// through a SimulatedBroker, advances an injected SimulatedClock to each event, and calls the
// Strategy's On* callbacks through a StrategyContext that routes every order through the
// optional OrderGuard (risk) before the broker. It produces a BacktestResult: trades, equity
// curve, fills, rejections and costs. Fill rules, costs and the config keys: docs/backtest.md.
//
// Inputs come from memory (spans of ticks or bars per instrument: tests, the pipeline) or from a
// TickStore over [from, to). The instrument list fixes the InstrumentIndex of each series (its
// position in the list); pairs needed only to convert P&L into the account currency (e.g. USDJPY
// for a JPY account) must be in it too.
//
// Speed: the tick loop does no allocation and no virtual call per tick other than
// Strategy::OnQuote; the broker's per-tick work is a few stores when no order or position
// watches the instrument; 17:00 New York rollovers and mark times are cached instants.
//
// Thread-safety: an engine runs one backtest at a time; separate engines may run in parallel
// threads. Ownership: Run* borrows the strategy, the guard and the inputs for the duration of
// the call; the calendar must outlive the engine.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backtest/result.h"
#include "backtest/simulated_broker.h"
#include "backtest/trading.h"
#include "bars/timeframe.h"
#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "fx/calendar.h"
#include "fx/instrument.h"

namespace arus::store {
class TickStore;
}

namespace arus::backtest {

struct BacktestConfig {
  BrokerConfig broker;
  // Tick mode: an equity point and a guard OnMark at most once per interval (at the first quote
  // in each new interval); 0 = at every quote. Bar mode marks at every bar close.
  Duration mark_interval{kNanosPerMinute};
  // Tick mode: also build bid bars of this timeframe from the ticks (bars::BarAggregator) and
  // deliver each to Strategy::OnBar when the instrument's first tick at or after its close
  // arrives. Unset = no OnBar in tick mode.
  std::optional<bars::Timeframe> tick_bars;
};

// Parses the backtest keys of a TOML document: those of table `table` ("backtest" -> the
// `[backtest]` table; a document without it gives the defaults), or the document's top level
// when `table` is empty (for callers that hold the table's body as text). Keys:
//   account_currency = "USD"        initial_balance = 100000     leverage = 30
//   mode = "netting" | "hedging"
//   slippage = "none" | "fixed" | "spread" | "volatility"
//   slippage_pips = 0.0             slippage_spread_fraction = 0.0
//   slippage_vol_k = 0.0            slippage_vol_window = 100
//   latency = "0ms"                 (a duration: "250us", "50ms", "1s")
//   commission = "instrument" | "per_million" | "per_lot" | "none"
//   commission_rate = 0.0           (per_million / per_lot)
//   margin_call_level = 100.0       stop_out_level = 50.0      (percent)
//   mark_interval = "1m"            tick_bars = "M5"           (tick mode; "" = none)
// Unknown keys, wrong types and bad values are InvalidArgument naming `origin`, the line and the
// key; TOML syntax errors are ParseError with origin:line.
Result<BacktestConfig> ParseBacktestConfig(std::string_view toml_text, const std::string& origin,
                                           std::string_view table = "backtest");
// Reads `path` and parses it as above (NotFound / IoError when it cannot be read).
Result<BacktestConfig> LoadBacktestConfig(const std::string& path,
                                          std::string_view table = "backtest");

// In-memory inputs: one series per instrument; the series' position is its InstrumentIndex.
// Ticks must be in non-decreasing ts_event order with 0 < bid <= ask; bars in increasing
// ts_open with ts_open < ts_close <= next ts_open, 0 < low <= open, close <= high and
// spread_mean >= 0. Violations are InvalidArgument naming the symbol, index and field.
struct TickSeries {
  fx::Instrument instrument;
  std::span<const QuoteTick> ticks;
};
struct BarSeries {
  fx::Instrument instrument;
  std::span<const Bar> bid_bars;  // bid prices; ask = bid + spread_mean
};

class BacktestEngine {
 public:
  explicit BacktestEngine(BacktestConfig config,
                          const fx::FxCalendar& calendar = fx::FxCalendar::Default());
  ~BacktestEngine();
  BacktestEngine(const BacktestEngine&) = delete;
  BacktestEngine& operator=(const BacktestEngine&) = delete;

  // Tick mode over in-memory ticks.
  Result<BacktestResult> RunTicks(std::span<const TickSeries> series, Strategy& strategy,
                                  OrderGuard* guard = nullptr);
  // Bar mode over in-memory bid bars.
  Result<BacktestResult> RunBars(std::span<const BarSeries> series, Strategy& strategy,
                                 OrderGuard* guard = nullptr);
  // Tick mode over the stored ticks of each instrument's symbol in [from, to), streamed.
  Result<BacktestResult> RunStoreTicks(const store::TickStore& store,
                                       std::span<const fx::Instrument> instruments, UnixNanos from,
                                       UnixNanos to, Strategy& strategy,
                                       OrderGuard* guard = nullptr);
  // Bar mode over the stored bar series "<symbol>/<timeframe>.bid" with ts_open in [from, to).
  Result<BacktestResult> RunStoreBars(const store::TickStore& store,
                                      std::span<const fx::Instrument> instruments,
                                      std::string_view timeframe, UnixNanos from, UnixNanos to,
                                      Strategy& strategy, OrderGuard* guard = nullptr);

  const BacktestConfig& config() const { return config_; }
  // Account counters of the last run (orders, fills, rejections, margin calls, stop-outs, ...).
  const BrokerStats& last_stats() const { return last_stats_; }

 private:
  BacktestConfig config_;
  const fx::FxCalendar& calendar_;
  BrokerStats last_stats_;
};

}  // namespace arus::backtest
