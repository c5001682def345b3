// The risk manager: the pre-trade guard (backtest::OrderGuard) every order passes before it
// reaches a broker, the daily loss limit and drawdown circuit breakers, and position sizing for
// the strategy. The same object runs in a backtest and live, since both drive it through the
// OrderGuard interface with an AccountView. Rules and formulas: docs/risk.md.
//
// Check(order) rejects (FailedPrecondition, the message is the reason recorded in the run) when
//   - trading is halted by the drawdown breaker (for good) or blocked by the daily loss limit
//     (until the trading day ends at 17:00 New York), unless the order reduces a position;
//   - the order would raise the number of open positions above max_open_positions;
//   - it would raise leverage (gross notional / equity) above max_leverage;
//   - it would raise |net exposure| of its base or quote currency above max_currency_exposure x
//     equity (each currency summed over all pairs, valued in the account currency).
// A limit only rejects an order that leaves its measure above the limit *and* larger than before,
// so an order that reduces a position always passes the count, leverage and exposure limits,
// even when the book is already over them (limits shrink after a loss in equity). Orders are
// valued at the current mid; working (unfilled) orders are not counted.
// OnMark tracks the equity peak and the start-of-day equity and trips the breakers:
//   - daily loss: equity < start-of-day equity x (1 - daily_loss_limit) -> flatten, block new
//     orders until the next 17:00 New York (fx::FxCalendar, DST-aware);
//   - drawdown: equity < peak x (1 - max_drawdown) -> flatten, halt for good.
// OnMark returns once per trip kFlatten (daily loss: the engine closes everything and keeps
// routing orders through Check, which lifts the block at the next trading day) or
// kFlattenAndHalt (drawdown: the engine closes everything and rejects every later order).
// Check allocates only when it rejects (the reason text) and on its first call (per-instrument
// slots); the accept path is a scan of the positions and a few conversion-rate look-ups.
// Thread-safety: one event loop drives it; not safe to call concurrently. Ownership: keeps no
// reference to the account; the calendar must outlive the manager.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "backtest/trading.h"
#include "core/status.h"
#include "core/time.h"
#include "fx/calendar.h"
#include "risk/config.h"
#include "risk/exposure.h"
#include "risk/sizing.h"

namespace arus::risk {

// Counters for the run summary.
struct RiskStats {
  uint64_t checks = 0;
  uint64_t accepted = 0;
  uint64_t rejected_halted = 0;     // drawdown breaker halted trading
  uint64_t rejected_daily = 0;      // daily loss limit block
  uint64_t rejected_positions = 0;  // max_open_positions
  uint64_t rejected_leverage = 0;   // max_leverage
  uint64_t rejected_exposure = 0;   // max_currency_exposure
  uint64_t rejected_other = 0;      // bad instrument index, no quote or rate, equity <= 0
  uint64_t daily_trips = 0;         // times the daily loss limit tripped
  uint64_t drawdown_trips = 0;      // 0 or 1
};

class RiskManager final : public backtest::OrderGuard {
 public:
  struct Options {
    // The account's position mode: false = netting (one position per instrument), true =
    // hedging (each opening fill is a position; only orders naming close_position reduce).
    bool hedging = false;
    // Trading-day boundaries; nullptr = fx::FxCalendar::Default() (17:00 New York).
    const fx::FxCalendar* calendar = nullptr;
  };

  // InvalidArgument when the config does not validate (ValidateRiskConfig).
  static Result<std::unique_ptr<RiskManager>> Create(const RiskConfig& config);
  static Result<std::unique_ptr<RiskManager>> Create(const RiskConfig& config,
                                                     const Options& options);
  RiskManager(const RiskManager&) = delete;
  RiskManager& operator=(const RiskManager&) = delete;

  // backtest::OrderGuard.
  Status Check(const backtest::OrderRequest& order, const backtest::AccountView& account,
               UnixNanos now) override;
  Action OnMark(const backtest::AccountView& account, UnixNanos now) override;

  // Position size for a new trade with the configured method (see risk/sizing.h).
  Result<SizeDecision> Size(const SizeRequest& request,
                            const backtest::AccountView& account) const {
    return sizer_.Size(request, account);
  }

  // True when `order` only reduces an existing position: netting mode, the opposite side of the
  // instrument's net position and no larger than it; hedging mode, close_position names an
  // opposite position on the instrument and the quantity is no larger than it.
  bool IsReducing(const backtest::OrderRequest& order, const backtest::AccountView& account) const;

  bool halted() const { return halted_; }    // drawdown breaker, for good
  bool blocked() const { return blocked_; }  // daily loss limit, this trading day
  const std::string& halt_reason() const { return halt_reason_; }
  const std::string& block_reason() const { return block_reason_; }
  double peak_equity() const { return peak_; }
  double day_start_equity() const { return day_start_; }
  fx::Date trading_date() const { return day_.date; }  // of the last mark or check
  const RiskStats& stats() const { return stats_; }
  const RiskConfig& config() const { return config_; }

 private:
  RiskManager(const RiskConfig& config, const Options& options);
  // Rolls the trading day, tracks the peak and trips the breakers at `equity`.
  void Observe(double equity, UnixNanos now, std::string_view ccy);
  Status Reject(uint64_t* counter, std::string reason);

  RiskConfig config_;
  Options options_;
  const fx::FxCalendar& calendar_;
  PositionSizer sizer_;
  ExposureBook book_;

  bool started_ = false;
  fx::TradingDayBounds day_{};  // the trading day of the last observation
  double day_start_ = 0;        // equity at the start of that day
  double last_equity_ = 0;      // equity at the last observation
  double peak_ = 0;
  bool blocked_ = false;
  bool halted_ = false;
  bool flatten_pending_ = false;  // a breaker tripped since the last OnMark
  std::string halt_reason_, block_reason_;
  RiskStats stats_;
};

}  // namespace arus::risk
