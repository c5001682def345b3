// Position sizing: how many units of base currency a trade should be, from the account's equity
// and the trade's stop distance, the instrument's volatility or the model's probability.
// Methods (docs/risk.md has the formulas and worked examples):
//   fixed_lots         a constant number of lots;
//   fixed_fractional   risk `risk_fraction` of equity between entry and stop;
//   volatility_target  notional = equity x target_volatility / instrument volatility;
//   kelly              risk f = min(kelly_cap, kelly_fraction x (p - (1-p)/b)) of equity.
// Every size is rounded down to the lot step and capped at max_lots; a size below min_lots, a
// negative Kelly edge or non-positive equity give quantity 0 ("do not trade") with the reason.
// Inputs the method cannot work with (no stop for fixed_fractional / kelly, no volatility for
// volatility_target, p outside [0, 1], ...) are InvalidArgument: a strategy bug, not a market
// state. Money is converted to the account currency through AccountView::ToAccount. Thread-safety:
// PositionSizer is immutable; Size() may run concurrently on different accounts.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "backtest/trading.h"
#include "core/status.h"

namespace arus::risk {

enum class SizingMethod : uint8_t { kFixedLots, kFixedFractional, kVolatilityTarget, kKelly };
// "fixed_lots", "fixed_fractional", "volatility_target", "kelly".
std::string_view SizingMethodName(SizingMethod m);
// InvalidArgument listing the names otherwise.
Result<SizingMethod> ParseSizingMethod(std::string_view text);

struct SizingConfig {
  // fixed_lots by default: the only method that needs nothing from the strategy.
  SizingMethod method = SizingMethod::kFixedLots;
  double lots = 0.1;                // fixed_lots: lots per trade
  double risk_fraction = 0.01;      // fixed_fractional: fraction of equity lost at the stop
  double target_volatility = 0.10;  // volatility_target: annualised volatility of the position's
                                    // P&L as a fraction of equity
  double kelly_fraction = 0.5;      // kelly: multiplier on f* (0.5 = half Kelly)
  double kelly_cap = 0.02;          // kelly: largest fraction of equity risked per trade
  double lot_step = 0.01;           // sizes are whole multiples of this many lots
  double min_lots = 0.01;           // smaller sizes are not traded (not rounded up)
  double max_lots = 50;             // larger sizes are cut to this
  bool operator==(const SizingConfig&) const = default;
};

// What a strategy asks for. Prices are in the instrument's quote currency.
struct SizeRequest {
  backtest::InstrumentIndex instrument = 0;
  backtest::Side side = backtest::Side::kBuy;
  double entry_price = 0;    // expected fill; 0 = the latest quote (ask to buy, bid to sell)
  double stop_distance = 0;  // |entry - stop| in price units; fixed_fractional and kelly need it
                             // (without a protective stop, pass the adverse move that counts as
                             // a loss, e.g. the expected move over the holding period)
  double probability = 0.5;  // kelly: probability that the trade wins
  double payoff = 1;         // kelly: average win / average loss (b)
  double volatility = 0;     // volatility_target: annualised volatility of the instrument's
                             // returns as a fraction (0.08 = 8%); see AnnualizeVolatility
};

struct SizeDecision {
  double quantity = 0;  // units of base currency, a whole number of lot steps; 0 = do not trade
  double lots = 0;      // quantity / contract_size
  double raw_lots = 0;  // the method's size before rounding and clamping
  // Account-currency loss if price moves `stop_distance` against the position (0 without a stop).
  double risk_amount = 0;
  std::string reason;  // why quantity is 0; empty otherwise
};

// f* = p - (1 - p) / b, the Kelly fraction of a bet that wins b per 1 risked with probability p.
// Negative when the bet has no edge. p in [0, 1], b > 0 (not checked here).
inline double KellyFraction(double p, double b) { return p - (1.0 - p) / b; }

// Trading seconds per year of the 24/5 FX market: 260 days (52 weeks x 5) of 24 hours. The
// weekend closure is not trading time: the return from Friday's last bar to Sunday's first is one
// bar's return, so per-bar volatility annualises over open time only. The two holidays (25 Dec,
// 1 Jan) are ignored (0.4% in the square root).
inline constexpr double kFxTradingDaysPerYear = 260;
inline constexpr double kFxTradingSecondsPerYear = kFxTradingDaysPerYear * 24 * 3600;

// sigma_year = sigma_bar x sqrt(kFxTradingSecondsPerYear / bar_seconds): the standard deviation of
// log returns over bars of `bar_seconds` (e.g. 300 for M5, 86400 for D1), annualised.
double AnnualizeVolatility(double per_bar_stdev, double bar_seconds);

class PositionSizer {
 public:
  // The config is assumed valid (ValidateRiskConfig / ParseRiskConfig check it).
  explicit PositionSizer(const SizingConfig& config) : config_(config) {}

  // The size of a new trade. Reads equity, the quote of the instrument and conversion rates from
  // `account`. Errors: InvalidArgument for a request the method cannot size (naming the field),
  // NotFound / FailedPrecondition when a price or conversion rate is missing.
  Result<SizeDecision> Size(const SizeRequest& request, const backtest::AccountView& account) const;

  const SizingConfig& config() const { return config_; }

 private:
  SizingConfig config_;
};

}  // namespace arus::risk
