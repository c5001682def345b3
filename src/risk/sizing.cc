#include "risk/sizing.h"

#include <algorithm>
#include <cmath>

#include "fx/instrument.h"
#include "risk/text.h"

namespace arus::risk {

using internal::Amount;

std::string_view SizingMethodName(SizingMethod m) {
  switch (m) {
    case SizingMethod::kFixedLots:
      return "fixed_lots";
    case SizingMethod::kFixedFractional:
      return "fixed_fractional";
    case SizingMethod::kVolatilityTarget:
      return "volatility_target";
    case SizingMethod::kKelly:
      return "kelly";
  }
  return "?";
}

Result<SizingMethod> ParseSizingMethod(std::string_view text) {
  for (SizingMethod m : {SizingMethod::kFixedLots, SizingMethod::kFixedFractional,
                         SizingMethod::kVolatilityTarget, SizingMethod::kKelly}) {
    if (text == SizingMethodName(m)) return m;
  }
  return InvalidArgument("unknown sizing method '" + std::string(text) +
                         "' (expected fixed_lots, fixed_fractional, volatility_target or kelly)");
}

double AnnualizeVolatility(double per_bar_stdev, double bar_seconds) {
  return per_bar_stdev * std::sqrt(kFxTradingSecondsPerYear / bar_seconds);
}

namespace {

SizeDecision Zero(double raw_lots, std::string reason) {
  SizeDecision d;
  d.raw_lots = raw_lots;
  d.reason = std::move(reason);
  return d;
}

}  // namespace

Result<SizeDecision> PositionSizer::Size(const SizeRequest& r,
                                         const backtest::AccountView& account) const {
  if (r.instrument >= account.instrument_count()) {
    return InvalidArgument("size request: instrument index " + std::to_string(r.instrument) +
                           " is not in the run (" + std::to_string(account.instrument_count()) +
                           " instruments)");
  }
  const fx::Instrument& ins = account.instrument(r.instrument);
  const std::string_view ccy = account.currency();

  double entry = r.entry_price;
  if (entry == 0) {
    const QuoteTick& q = account.quote(r.instrument);
    if (q.ts_event.ns() == 0) {
      return FailedPrecondition("size request: no quote yet for " + ins.symbol);
    }
    entry = (r.side == backtest::Side::kBuy ? q.ask : q.bid).ToDouble();
  }
  if (!(entry > 0) || !std::isfinite(entry)) {
    return InvalidArgument("size request: entry_price " + ShortestText(entry) + " for " + ins.symbol +
                           " must be a positive number");
  }

  // The account-currency value of 1 unit of the quote currency: everything below is priced in it.
  ARUS_ASSIGN_OR_RETURN(const double quote_rate, account.ToAccount(1.0, ins.quote));
  if (!(quote_rate > 0) || !std::isfinite(quote_rate)) {
    return FailedPrecondition("size request: no usable " + ins.quote + " -> " + std::string(ccy) +
                              " rate (" + ShortestText(quote_rate) + ")");
  }
  const double equity = account.equity().ToDouble();
  const bool needs_stop =
      config_.method == SizingMethod::kFixedFractional || config_.method == SizingMethod::kKelly;
  if (needs_stop && !(r.stop_distance > 0 && std::isfinite(r.stop_distance))) {
    return InvalidArgument("size request: " + std::string(SizingMethodName(config_.method)) +
                           " sizing needs stop_distance > 0 (got " + ShortestText(r.stop_distance) + ")");
  }
  if (!(r.stop_distance >= 0) || !std::isfinite(r.stop_distance)) {
    return InvalidArgument("size request: stop_distance " + ShortestText(r.stop_distance) + " must be >= 0");
  }
  // Account-currency loss per unit of base when price moves stop_distance against the trade.
  const double loss_per_unit = r.stop_distance * quote_rate;

  double raw_lots = 0;
  switch (config_.method) {
    case SizingMethod::kFixedLots:
      raw_lots = config_.lots;
      break;
    case SizingMethod::kFixedFractional: {
      if (!(equity > 0)) {
        return Zero(0, "equity " + Amount(equity) + " " + std::string(ccy) + " is not positive");
      }
      raw_lots = config_.risk_fraction * equity / loss_per_unit / ins.contract_size;
      break;
    }
    case SizingMethod::kVolatilityTarget: {
      if (!(r.volatility > 0) || !std::isfinite(r.volatility)) {
        return InvalidArgument(
            "size request: volatility_target sizing needs the instrument's annualised volatility "
            "> 0 (got " +
            ShortestText(r.volatility) + ")");
      }
      if (!(equity > 0)) {
        return Zero(0, "equity " + Amount(equity) + " " + std::string(ccy) + " is not positive");
      }
      // Position P&L volatility = notional x instrument volatility; solve for the notional.
      const double notional = equity * config_.target_volatility / r.volatility;
      raw_lots = notional / (entry * quote_rate) / ins.contract_size;
      break;
    }
    case SizingMethod::kKelly: {
      if (!(r.probability >= 0 && r.probability <= 1)) {
        return InvalidArgument("size request: probability " + ShortestText(r.probability) +
                               " must be in [0, 1]");
      }
      if (!(r.payoff > 0) || !std::isfinite(r.payoff)) {
        return InvalidArgument("size request: payoff " + ShortestText(r.payoff) + " must be > 0");
      }
      const double f_star = KellyFraction(r.probability, r.payoff);
      if (!(f_star > 0)) {
        return Zero(0, "no edge: Kelly f* = p - (1-p)/b = " + internal::Fixed(f_star, 4) +
                           " with p " + ShortestText(r.probability) + ", b " + ShortestText(r.payoff));
      }
      if (!(equity > 0)) {
        return Zero(0, "equity " + Amount(equity) + " " + std::string(ccy) + " is not positive");
      }
      const double f = std::min(config_.kelly_cap, config_.kelly_fraction * f_star);
      raw_lots = f * equity / loss_per_unit / ins.contract_size;
      break;
    }
  }
  if (!std::isfinite(raw_lots) || raw_lots < 0) {
    return Internal("sizing produced " + ShortestText(raw_lots) + " lots for " + ins.symbol);
  }

  // Round down to whole lot steps (the 1e-9 absorbs 0.3 / 0.01 = 29.999999999999996), after
  // capping at max_lots so the cap itself is a whole number of steps below it.
  const double capped = std::min(raw_lots, config_.max_lots);
  const double steps = std::floor(capped / config_.lot_step + 1e-9);
  const double lots = steps * config_.lot_step;
  if (steps < 1 || lots < config_.min_lots * (1 - 1e-9)) {
    return Zero(raw_lots, "size " + internal::Fixed(raw_lots, 4) + " lots is below the minimum " +
                              ShortestText(std::max(config_.min_lots, config_.lot_step)) + " lots");
  }
  SizeDecision d;
  d.raw_lots = raw_lots;
  // Units rounded to a millionth so 0.3 lots is 30000 units, not 29999.999999999996.
  d.quantity = std::round(lots * ins.contract_size * 1e6) / 1e6;
  d.lots = d.quantity / ins.contract_size;
  d.risk_amount = d.quantity * loss_per_unit;
  return d;
}

}  // namespace arus::risk
