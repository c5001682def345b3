// Performance analytics of a backtest: equity and drawdown curves, returns and risk ratios from
// daily returns on FX trading days, drawdowns, trade statistics, exposure and turnover, the cost
// split, P&L by session / weekday / month and the monthly returns table. Everything is computed
// from a BacktestResult alone (a result loaded from a run directory is analysed like a fresh
// one). Formulas and conventions: docs/backtest-metrics.md. In short:
// - a day is an FX trading day (17:00 -> 17:00 New York, fx::FxCalendar); the daily return is the
//   change of equity between consecutive trading-day closes; weekends and holidays are not days;
// - annualisation uses 260 trading days a year (PerformanceOptions::periods_per_year): volatility
//   sqrt(260) sd, Sharpe sqrt(260) mean / sd, CAGR over years = trading days / 260;
// - undefined statistics (no trades, flat equity, a single day) are NaN in the structs and null
//   in the JSON, never a crash; counts and sums are 0.
// Thread-safety: free functions; reentrant. The calendar and instruments are borrowed.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backtest/result.h"
#include "core/status.h"
#include "core/time.h"
#include "fx/calendar.h"
#include "fx/instrument.h"

namespace arus::backtest {

inline constexpr double kTradingDaysPerYear = 260;

struct PerformanceOptions {
  const fx::FxCalendar* calendar = nullptr;          // nullptr: fx::FxCalendar::Default()
  const fx::InstrumentTable* instruments = nullptr;  // nullptr: the built-in table (currencies)
  double periods_per_year = kTradingDaysPerYear;
  double risk_free_rate = 0;  // annual; rf / periods_per_year is taken off each daily return
  // Optional: the value of one unit of currency `ccy` in the account currency at `t`, for the
  // traded notional. Without it (or when it returns nullopt) see docs/backtest-metrics.md.
  std::function<std::optional<double>(std::string_view ccy, UnixNanos t)> to_account;
};

// One mark of the account (a point of result.equity) with its drawdown from the running peak.
struct CurvePoint {
  UnixNanos time;
  double equity = 0;
  double drawdown = 0;      // peak - equity, >= 0, account currency
  double drawdown_pct = 0;  // (peak - equity) / peak, >= 0 (a fraction, 0.05 = 5%)
};

// Equity at the close of one FX trading day.
struct DailyPoint {
  fx::Date date;  // trading date
  double equity = 0;
  double ret = 0;  // equity / previous close (the initial equity for the first day) - 1
  double drawdown_pct = 0;
};

// P&L of the trades falling in one bucket (a session, a weekday, a month).
struct BucketStats {
  std::string name;
  size_t trades = 0;
  size_t wins = 0;
  double net_pnl = 0;
  double gross_pnl = 0;
  double pips = 0;
  double win_rate = 0;  // wins / trades; NaN without trades
};

// Compounded return of each calendar month of trading dates; NaN for months outside the run.
struct YearReturns {
  int64_t year = 0;
  std::array<double, 12> months{};
  double total = 0;  // compounded over the months present
};

struct CostStats {
  double spread = 0, commission = 0, slippage = 0, swap = 0, total = 0;  // paid > 0
  double pnl_before_costs = 0;  // net P&L of the trades + total costs
  // Each cost / |pnl_before_costs|; NaN when pnl_before_costs is 0.
  double spread_pct = 0, commission_pct = 0, slippage_pct = 0, swap_pct = 0, total_pct = 0;
};

struct PerformanceStats {
  std::string account_currency;
  UnixNanos start, end;
  double periods_per_year = kTradingDaysPerYear;

  // Returns and risk (fractions: 0.05 = 5%).
  double initial_equity = 0;
  double final_equity = 0;
  double net_pnl = 0;  // final - initial equity
  size_t trading_days = 0;
  double years = 0;  // trading_days / periods_per_year
  double total_return = 0;
  double annual_return = 0;  // CAGR; NaN when years == 0 or the account is wiped out
  double volatility = 0;     // annualised sd of daily returns; NaN with < 2 days
  double sharpe = 0;         // annualised; NaN when sd is 0 or < 2 days
  double sortino = 0;        // annualised; NaN when the downside deviation is 0 or < 2 days
  double calmar = 0;         // annual_return / max_drawdown_pct; NaN when no drawdown
  double daily_mean = 0, daily_stdev = 0, skewness = 0, kurtosis = 0;
  double best_day = 0, worst_day = 0;
  double positive_days = 0;  // share of days with a return > 0; NaN with no days
  double psr = 0;            // probabilistic Sharpe ratio vs 0 from the daily returns (validation/)

  // Drawdown. Money and percentage maxima are taken separately (they can differ in time).
  double max_drawdown = 0;                           // money
  double max_drawdown_pct = 0;                       // fraction of the running peak
  UnixNanos max_drawdown_peak, max_drawdown_trough;  // of the deepest % drawdown
  std::optional<UnixNanos> max_drawdown_recovery;    // first mark back at the peak, if any
  Duration longest_drawdown{0};  // longest time below a previous peak (to the end if open)
  UnixNanos longest_drawdown_start;

  // Trades (net P&L in money, pips as reported per trade).
  size_t trades = 0, wins = 0, losses = 0, long_trades = 0, short_trades = 0;
  double win_rate = 0;       // wins / trades; NaN without trades
  double profit_factor = 0;  // sum of wins / |sum of losses|; NaN without losses
  double expectancy = 0;     // mean net P&L per trade; NaN without trades
  double expectancy_pips = 0;
  double avg_win = 0, avg_loss = 0;  // avg_loss <= 0; NaN without wins / losses
  double avg_win_pips = 0, avg_loss_pips = 0;
  double payoff_ratio = 0;  // avg_win / |avg_loss|
  double largest_win = 0, largest_loss = 0;
  size_t longest_losing_streak = 0, longest_winning_streak = 0;
  Duration avg_holding{0};
  double gross_pnl = 0;  // sum of trade gross P&L (after spread and slippage)
  double trade_net_pnl = 0;
  double long_net_pnl = 0, short_net_pnl = 0;

  // Activity.
  double exposure = 0;         // share of open-market time with a position open
  double avg_leverage = 0;     // mean gross_exposure / equity over the marks
  double traded_notional = 0;  // account currency, entries + exits
  double turnover = 0;         // traded_notional / mean daily equity / years; NaN when years 0
  size_t unpriced_trades = 0;  // trades whose notional could not be converted (left out)

  CostStats costs;
  std::array<BucketStats, 3> by_session;  // Asia, London, New York (entry time, New York clock)
  std::array<BucketStats, 5> by_weekday;  // Monday..Friday (entry trading date)
  std::vector<BucketStats> by_month;      // "2024-01"... (exit trading date), in order
  std::vector<YearReturns> monthly_returns;

  std::vector<CurvePoint> curve;  // every equity mark
  std::vector<DailyPoint> daily;

  size_t rejections = 0;
  uint64_t events = 0;
  bool halted = false;
  std::string halt_reason;
};

PerformanceStats ComputePerformance(const BacktestResult& result,
                                    const PerformanceOptions& options = {});

// The session of an instant by the New York wall clock: 0 Asia [17:00, 03:00), 1 London
// [03:00, 08:00), 2 New York [08:00, 17:00). Names: "Asia", "London", "New York".
int SessionOf(UnixNanos t, const fx::FxCalendar& calendar);
std::string_view SessionBucketName(int session);

// metrics.json: every scalar, the buckets, the monthly table and the daily series (the full
// equity curve goes to equity.csv, not here). NaN as null; times ISO-8601 UTC.
void ToJson(nlohmann::json& j, const PerformanceStats& s);

// trades.csv (header in docs/backtest-metrics.md): one row per trade, prices with the
// instrument's decimals (shortest form for symbols not in `instruments`), money exact to the
// micro-unit. Written atomically.
Status WriteTradesCsv(const BacktestResult& result, std::span<const fx::Instrument> instruments,
                      const std::string& path);
// equity.csv: time,balance,equity,margin_used,gross_exposure,drawdown,drawdown_pct.
Status WriteEquityCsv(const BacktestResult& result, const PerformanceStats& stats,
                      const std::string& path);

}  // namespace arus::backtest
