#include "risk/risk_manager.h"

#include <algorithm>
#include <cmath>

#include "fx/instrument.h"
#include "risk/text.h"

namespace arus::risk {

using internal::Amount;
using internal::Fixed;
using internal::Percent;

namespace {

// Relative slack so that an order leaving a measure unchanged up to rounding counts as "not
// raising" it.
constexpr double kSlack = 1e-9;

std::string Multiple(double x) { return Fixed(x, 2) + "x"; }

}  // namespace

Result<std::unique_ptr<RiskManager>> RiskManager::Create(const RiskConfig& config) {
  return Create(config, Options{});
}

Result<std::unique_ptr<RiskManager>> RiskManager::Create(const RiskConfig& config,
                                                         const Options& options) {
  ARUS_RETURN_IF_ERROR(ValidateRiskConfig(config));
  return std::unique_ptr<RiskManager>(new RiskManager(config, options));
}

RiskManager::RiskManager(const RiskConfig& config, const Options& options)
    : config_(config),
      options_(options),
      calendar_(options.calendar != nullptr ? *options.calendar : fx::FxCalendar::Default()),
      sizer_(config.sizing) {
  // Room for the longest reasons, so tripping a breaker rarely reallocates.
  halt_reason_.reserve(160);
  block_reason_.reserve(200);
}

Status RiskManager::Reject(uint64_t* counter, std::string reason) {
  ++*counter;
  return FailedPrecondition(std::move(reason));
}

void RiskManager::Observe(double equity, UnixNanos now, std::string_view ccy) {
  if (!started_ || now >= day_.close) {
    day_ = calendar_.BoundsAt(now);
    // The day starts from the last equity seen before 17:00 New York: whatever moves after the
    // boundary (including a weekend gap) is the new day's P&L.
    day_start_ = started_ ? last_equity_ : equity;
    if (!started_) peak_ = equity;
    started_ = true;
    if (blocked_) {
      blocked_ = false;
      block_reason_.clear();
    }
  }
  last_equity_ = equity;
  peak_ = std::max(peak_, equity);

  const RiskLimits& l = config_.limits;
  if (!halted_ && l.max_drawdown > 0 && equity < peak_ * (1 - l.max_drawdown)) {
    halted_ = true;
    flatten_pending_ = true;
    ++stats_.drawdown_trips;
    halt_reason_ = "max drawdown: equity " + Amount(equity) + " " + std::string(ccy) + " is " +
                   Percent(1 - equity / peak_) + " below the peak " + Amount(peak_) + " " +
                   std::string(ccy) + " (limit " + Percent(l.max_drawdown) +
                   "); trading halted for good";
  }
  if (!halted_ && !blocked_ && l.daily_loss_limit > 0 && day_start_ > 0 &&
      equity < day_start_ * (1 - l.daily_loss_limit)) {
    blocked_ = true;
    flatten_pending_ = true;
    ++stats_.daily_trips;
    block_reason_ = "daily loss limit: equity " + Amount(equity) + " " + std::string(ccy) + " is " +
                    Percent(1 - equity / day_start_) + " below the start-of-day " +
                    Amount(day_start_) + " " + std::string(ccy) + " (limit " +
                    Percent(l.daily_loss_limit) + "); new orders blocked until the trading day " +
                    day_.date.ToString() + " ends at " + day_.close.ToIso() + " (17:00 New York)";
  }
}

bool RiskManager::IsReducing(const backtest::OrderRequest& order,
                             const backtest::AccountView& account) const {
  const double q = order.quantity;
  if (!(q > 0)) return false;
  const std::span<const backtest::Position> positions = account.positions();
  if (order.close_position != 0) {
    for (const backtest::Position& p : positions) {
      if (p.id != order.close_position) continue;
      return p.instrument == order.instrument && p.side != order.side &&
             q <= p.quantity * (1 + kSlack);
    }
    return false;
  }
  if (options_.hedging) return false;  // an opposite order opens a hedge, not a close
  double net = 0;
  for (const backtest::Position& p : positions) {
    if (p.instrument == order.instrument) net += backtest::Sign(p.side) * p.quantity;
  }
  if (net == 0) return false;
  return (net > 0) != (order.side == backtest::Side::kBuy) && q <= std::fabs(net) * (1 + kSlack);
}

Status RiskManager::Check(const backtest::OrderRequest& order, const backtest::AccountView& account,
                          UnixNanos now) {
  ++stats_.checks;
  const backtest::InstrumentIndex i = order.instrument;
  if (i >= account.instrument_count()) {
    ++stats_.rejected_other;
    return InvalidArgument("instrument index " + std::to_string(i) + " is not in the run (" +
                           std::to_string(account.instrument_count()) + " instruments)");
  }
  const double q = order.quantity;
  if (!(q > 0) || !std::isfinite(q)) {
    ++stats_.rejected_other;
    return InvalidArgument("order quantity " + ShortestText(q) + " must be a positive number");
  }
  const std::string_view ccy = account.currency();
  const double equity = account.equity().ToDouble();
  Observe(equity, now, ccy);

  const bool reducing = IsReducing(order, account);
  if (halted_ && !reducing) {
    return Reject(&stats_.rejected_halted,
                  "trading halted (only closing orders pass): " + halt_reason_);
  }
  if (blocked_ && !reducing) {
    return Reject(&stats_.rejected_daily, block_reason_);
  }
  if (reducing) {
    ++stats_.accepted;
    return Status::Ok();
  }
  if (!(equity > 0)) {
    return Reject(&stats_.rejected_other,
                  "equity " + Amount(equity) + " " + std::string(ccy) + " is not positive");
  }
  Status loaded = book_.Load(account, i);
  if (!loaded.ok()) return Reject(&stats_.rejected_other, loaded.message());

  const RiskLimits& l = config_.limits;
  const fx::Instrument& ins = account.instrument(i);
  const double s = backtest::Sign(order.side);

  // Open positions: netting adds one only on a flat instrument (a flip keeps the count).
  const size_t pos_before = book_.open_positions();
  const size_t pos_after =
      pos_before + ((options_.hedging || book_.instrument_gross(i) == 0) ? 1 : 0);
  if (l.max_open_positions > 0 && pos_after > static_cast<size_t>(l.max_open_positions) &&
      pos_after > pos_before) {
    return Reject(&stats_.rejected_positions, "open positions would be " +
                                                  std::to_string(pos_after) + " after the " +
                                                  ins.symbol + " order, above the limit of " +
                                                  std::to_string(l.max_open_positions));
  }

  // Leverage: gross notional after the order / equity.
  const double unit_value = book_.unit_value(i);
  const double gross_units_before = book_.instrument_gross(i);
  const double gross_units_after =
      options_.hedging ? gross_units_before + q : std::fabs(book_.instrument_net(i) + s * q);
  const double gross_before = book_.gross_notional();
  const double gross_after = gross_before + (gross_units_after - gross_units_before) * unit_value;
  if (l.max_leverage > 0 && gross_after > l.max_leverage * equity &&
      gross_after > gross_before * (1 + kSlack)) {
    return Reject(&stats_.rejected_leverage,
                  "leverage would be " + Multiple(gross_after / equity) + " after the " +
                      ins.symbol + " order (gross notional " + Amount(gross_after) + " " +
                      std::string(ccy) + " / equity " + Amount(equity) + " " + std::string(ccy) +
                      "), above the " + Multiple(l.max_leverage) + " limit");
  }

  // Net exposure of the two currencies the order touches.
  if (l.max_currency_exposure > 0) {
    const double delta = s * q * unit_value;  // + base, - quote, in the account currency
    const size_t slots[2] = {book_.base_slot(i), book_.quote_slot(i)};
    for (int leg = 0; leg < 2; ++leg) {
      const double before = book_.net_account(slots[leg]);
      const double after = leg == 0 ? before + delta : before - delta;
      if (std::fabs(after) > l.max_currency_exposure * equity &&
          std::fabs(after) > std::fabs(before) * (1 + kSlack)) {
        return Reject(&stats_.rejected_exposure,
                      "net " + std::string(book_.currency(slots[leg])) + " exposure would be " +
                          Multiple(after / equity) + " equity (" + Amount(after) + " " +
                          std::string(ccy) + ") after the " + ins.symbol + " order, beyond the " +
                          Multiple(l.max_currency_exposure) + " limit");
      }
    }
  }
  ++stats_.accepted;
  return Status::Ok();
}

backtest::OrderGuard::Action RiskManager::OnMark(const backtest::AccountView& account,
                                                 UnixNanos now) {
  Observe(account.equity().ToDouble(), now, account.currency());
  if (flatten_pending_) {
    flatten_pending_ = false;
    // The drawdown breaker stops trading for good; the daily block is lifted by Check itself at
    // the next trading day.
    return halted_ ? Action::kFlattenAndHalt : Action::kFlatten;
  }
  return Action::kNone;
}

}  // namespace arus::risk
