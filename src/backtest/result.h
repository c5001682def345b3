// What a backtest produces: the trade list, the equity curve, costs by kind and the orders the
// risk guard or the broker rejected. Analytics (backtest/analytics.h) and the report read only
// this, so a result loaded from a run directory is analysed like a fresh one.
// Money is in the account currency. Thread-safety: plain value types.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backtest/trading.h"
#include "core/money.h"
#include "core/time.h"

namespace arus::backtest {

// Costs split by kind, in the account currency (positive = paid; swap may be negative = earned).
struct CostBreakdown {
  Money spread;
  Money commission;
  Money slippage;
  Money swap;
  Money total() const { return spread + commission + slippage + swap; }
};

// One closed round trip (or the closed part of a position). `gross_pnl` is the price P&L at the
// fill prices converted to the account currency at the closing time; spread and slippage are
// inside the fill prices (reported separately for information), commission and swap are not:
// net_pnl = gross_pnl - commission - swap_paid.
struct Trade {
  PositionId position = 0;
  std::string symbol;
  Side side = Side::kBuy;
  double quantity = 0;  // units of base currency
  UnixNanos entry_time;
  UnixNanos exit_time;
  double entry_price = 0;
  double exit_price = 0;
  double pips = 0;  // (exit - entry) * sign / pip_size
  Money gross_pnl;
  Money net_pnl;
  CostBreakdown costs;  // this trade's share of every cost kind
  ExitReason exit_reason = ExitReason::kSignal;
  std::string tag;
};

// The account marked at one instant (each bar close in bar mode; at most once per
// `mark_interval` in tick mode, and at every fill).
struct EquityPoint {
  UnixNanos time;
  Money balance;
  Money equity;
  Money margin_used;
  double gross_exposure = 0;  // sum |notional| in the account currency
};

struct Rejection {
  UnixNanos time;
  OrderRequest order;
  std::string reason;  // the guard's or the broker's message
};

struct BacktestResult {
  std::string account_currency;
  Money initial_balance;
  UnixNanos start;
  UnixNanos end;
  std::vector<Trade> trades;          // in exit-time order
  std::vector<EquityPoint> equity;    // in time order, first point = start
  std::vector<Fill> fills;
  std::vector<Rejection> rejections;
  CostBreakdown costs;                // totals
  uint64_t events = 0;                // quotes or bars processed
  bool halted = false;                // the circuit breaker stopped trading
  std::string halt_reason;
  size_t guard_flattens = 0;          // marks at which the risk guard closed every position
};

}  // namespace arus::backtest
