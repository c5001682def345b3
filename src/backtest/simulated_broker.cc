#include "backtest/simulated_broker.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <utility>

namespace arus::backtest {
namespace {

std::string Fmt(double v, int decimals = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string FmtG(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

// `part / whole` of `total`, rounded to the micro-unit; all of it when part >= whole, so shares
// taken one after another always add up to the total exactly.
Money Share(Money total, double part, double whole) {
  if (part >= whole || whole <= 0) return total;
  return Money::FromMicros(std::llround(static_cast<double>(total.micros()) * (part / whole)));
}

bool IsUpperCcy(std::string_view c) {
  if (c.size() != 3) return false;
  for (char ch : c) {
    if (ch < 'A' || ch > 'Z') return false;
  }
  return true;
}

Status CheckNonNegative(double v, const char* field) {
  if (!std::isfinite(v) || v < 0) {
    return InvalidArgument(std::string("backtest config: ") + field +
                           " must be a finite number >= 0, got " + FmtG(v));
  }
  return Status::Ok();
}

constexpr double kQtyEpsilon = 1e-12;  // relative: a remainder below this closes the position

}  // namespace

std::string_view AccountModeName(AccountMode m) {
  return m == AccountMode::kNetting ? "netting" : "hedging";
}

std::string_view SlippageModelName(SlippageModel m) {
  switch (m) {
    case SlippageModel::kNone:
      return "none";
    case SlippageModel::kFixedPips:
      return "fixed";
    case SlippageModel::kSpreadFraction:
      return "spread";
    case SlippageModel::kVolatility:
      return "volatility";
  }
  return "unknown";
}

std::string_view CommissionModeName(CommissionMode m) {
  switch (m) {
    case CommissionMode::kInstrument:
      return "instrument";
    case CommissionMode::kPerMillion:
      return "per_million";
    case CommissionMode::kPerLot:
      return "per_lot";
    case CommissionMode::kNone:
      return "none";
  }
  return "unknown";
}

Status ValidateBrokerConfig(const BrokerConfig& c) {
  if (c.account_currency.size() != 3 ||
      !std::all_of(c.account_currency.begin(), c.account_currency.end(),
                   [](char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'); })) {
    return InvalidArgument("backtest config: account_currency must be a 3-letter code, got '" +
                           c.account_currency + "'");
  }
  // Money holds +-9.2e12 units; leave room for P&L.
  if (!std::isfinite(c.initial_balance) || c.initial_balance <= 0 || c.initial_balance > 1e12) {
    return InvalidArgument("backtest config: initial_balance must be in (0, 1e12], got " +
                           FmtG(c.initial_balance));
  }
  if (!std::isfinite(c.leverage) || c.leverage < 1) {
    return InvalidArgument("backtest config: leverage must be >= 1, got " + FmtG(c.leverage));
  }
  ARUS_RETURN_IF_ERROR(CheckNonNegative(c.slippage.pips, "slippage_pips"));
  ARUS_RETURN_IF_ERROR(CheckNonNegative(c.slippage.spread_fraction, "slippage_spread_fraction"));
  ARUS_RETURN_IF_ERROR(CheckNonNegative(c.slippage.vol_k, "slippage_vol_k"));
  if (c.slippage.vol_window < 1) {
    return InvalidArgument("backtest config: slippage_vol_window must be >= 1, got " +
                           std::to_string(c.slippage.vol_window));
  }
  if (c.latency.count() < 0) {
    return InvalidArgument("backtest config: latency must be >= 0");
  }
  ARUS_RETURN_IF_ERROR(CheckNonNegative(c.commission_rate, "commission_rate"));
  ARUS_RETURN_IF_ERROR(CheckNonNegative(c.margin_call_level, "margin_call_level"));
  ARUS_RETURN_IF_ERROR(CheckNonNegative(c.stop_out_level, "stop_out_level"));
  if (c.stop_out_level > c.margin_call_level) {
    return InvalidArgument("backtest config: stop_out_level (" + FmtG(c.stop_out_level) +
                           "%) must not exceed margin_call_level (" + FmtG(c.margin_call_level) +
                           "%)");
  }
  return Status::Ok();
}

// ---- Construction ---------------------------------------------------------------------------

SimulatedBroker::SimulatedBroker(const BrokerConfig& config, const Clock& clock,
                                 const fx::FxCalendar& calendar, FillMode mode,
                                 std::vector<fx::Instrument> instruments)
    : config_(config),
      clock_(clock),
      calendar_(calendar),
      mode_(mode),
      vol_model_(config.slippage.model == SlippageModel::kVolatility),
      rates_(instruments) {
  for (char& ch : config_.account_currency) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  }
  inst_.reserve(instruments.size());
  for (fx::Instrument& in : instruments) {
    InstrumentState s;
    s.spec = std::move(in);
    inst_.push_back(std::move(s));
  }
  quotes_.assign(inst_.size(), QuoteTick{});
  balance_ = Money::FromDouble(config_.initial_balance);
  balance_d_ = balance_.ToDouble();
  vol_alpha_ = 2.0 / (config_.slippage.vol_window + 1.0);
}

SimulatedBroker::~SimulatedBroker() = default;

Result<std::unique_ptr<SimulatedBroker>> SimulatedBroker::Create(
    const BrokerConfig& config, std::vector<fx::Instrument> instruments, const Clock& clock,
    const fx::FxCalendar& calendar, FillMode mode) {
  ARUS_RETURN_IF_ERROR(ValidateBrokerConfig(config));
  if (instruments.empty()) return InvalidArgument("backtest: no instruments");
  if (instruments.size() > std::numeric_limits<InstrumentIndex>::max() / 2) {
    return InvalidArgument("backtest: too many instruments");
  }
  for (size_t i = 0; i < instruments.size(); ++i) {
    const fx::Instrument& in = instruments[i];
    const std::string where = "instrument " + std::to_string(i) + " '" + in.symbol + "'";
    if (in.symbol.empty()) return InvalidArgument(where + ": empty symbol");
    if (!IsUpperCcy(in.base) || !IsUpperCcy(in.quote)) {
      return InvalidArgument(where + ": base and quote must be 3-letter upper-case codes, got '" +
                             in.base + "' and '" + in.quote + "'");
    }
    if (!(in.pip_size > 0) || !std::isfinite(in.pip_size)) {
      return InvalidArgument(where + ": pip_size must be > 0");
    }
    if (!(in.contract_size > 0) || !std::isfinite(in.contract_size)) {
      return InvalidArgument(where + ": contract_size must be > 0");
    }
    if (!(in.margin_rate > 0) || in.margin_rate > 1) {
      return InvalidArgument(where + ": margin_rate must be in (0, 1]");
    }
    if (in.price_precision < 0 || in.price_precision > 9) {
      return InvalidArgument(where + ": price_precision must be in [0, 9]");
    }
    if (!std::isfinite(in.swap_long) || !std::isfinite(in.swap_short) ||
        !std::isfinite(in.commission_per_million) || in.commission_per_million < 0) {
      return InvalidArgument(where + ": swaps and commission must be finite (commission >= 0)");
    }
    for (size_t j = 0; j < i; ++j) {
      if (instruments[j].symbol == in.symbol) {
        return InvalidArgument(where + ": listed twice (also instrument " + std::to_string(j) +
                               ")");
      }
    }
  }
  std::unique_ptr<SimulatedBroker> b(
      new SimulatedBroker(config, clock, calendar, mode, std::move(instruments)));
  for (InstrumentState& s : b->inst_) {
    Result<fx::RateBook::Route> q = b->rates_.FindRoute(s.spec.quote, b->config_.account_currency);
    if (!q.ok()) return q.status().WithContext("instrument " + s.spec.symbol + " (P&L)");
    Result<fx::RateBook::Route> base =
        b->rates_.FindRoute(s.spec.base, b->config_.account_currency);
    if (!base.ok()) return base.status().WithContext("instrument " + s.spec.symbol + " (margin)");
    s.quote_route = *q;
    s.base_route = *base;
    s.margin_rate = std::max(s.spec.margin_rate, 1.0 / b->config_.leverage);
    s.pip = s.spec.pip_size;
  }
  return b;
}

// ---- Small helpers --------------------------------------------------------------------------

void SimulatedBroker::Fail(Status s) {
  if (error_.ok()) error_ = std::move(s);
}

double SimulatedBroker::Slip(const InstrumentState& s, double spread) const {
  switch (config_.slippage.model) {
    case SlippageModel::kNone:
      return 0;
    case SlippageModel::kFixedPips:
      return config_.slippage.pips * s.pip;
    case SlippageModel::kSpreadFraction:
      return config_.slippage.spread_fraction * std::max(spread, 0.0);
    case SlippageModel::kVolatility:
      return config_.slippage.vol_k * std::sqrt(s.vol_var);
  }
  return 0;
}

double SimulatedBroker::Unrealized(const Position& p) const {
  const InstrumentState& s = inst_[p.instrument];
  const double diff = p.side == Side::kBuy ? s.bid_d - p.avg_price : p.avg_price - s.ask_d;
  return diff * p.quantity * rates_.RateOrNaN(s.quote_route);
}

double SimulatedBroker::EquityDouble() const {
  double eq = balance_d_;
  for (const Position& p : positions_) eq += Unrealized(p);
  return eq;
}

double SimulatedBroker::MarginOf(const Position& p) const {
  const InstrumentState& s = inst_[p.instrument];
  return p.quantity * s.margin_rate * rates_.RateOrNaN(s.base_route);
}

double SimulatedBroker::MarginDouble() const {
  double m = 0;
  for (const Position& p : positions_) m += MarginOf(p);
  return m;
}

void SimulatedBroker::RecomputeMarks() {
  sum_unreal_ = 0;
  sum_margin_ = 0;
  for (size_t k = 0; k < positions_.size(); ++k) {
    PositionState& x = pos_x_[k];
    x.unreal = Unrealized(positions_[k]);
    x.margin = MarginOf(positions_[k]);
    sum_unreal_ += x.unreal;
    sum_margin_ += x.margin;
  }
}

void SimulatedBroker::UpdateMarks(InstrumentIndex i) {
  for (uint32_t k : inst_[i].affected) {
    PositionState& x = pos_x_[k];
    const double u = Unrealized(positions_[k]);
    const double m = MarginOf(positions_[k]);
    sum_unreal_ += u - x.unreal;
    sum_margin_ += m - x.margin;
    x.unreal = u;
    x.margin = m;
  }
}

double SimulatedBroker::GrossExposure() const {
  double g = 0;
  for (const Position& p : positions_) {
    g += std::abs(p.quantity * rates_.RateOrNaN(inst_[p.instrument].base_route));
  }
  return g;
}

std::vector<Order> SimulatedBroker::WorkingOrders() const {
  std::vector<Order> out;
  out.reserve(working_.size());
  for (const WorkingOrder& w : working_) out.push_back(w.order);
  return out;
}

void SimulatedBroker::RebuildWatch() {
  for (size_t i = 0; i < inst_.size(); ++i) {
    InstrumentState& s = inst_[i];
    s.orders = 0;
    s.on.clear();
    s.affected.clear();
    s.bid_d = static_cast<double>(quotes_[i].bid.raw()) * 1e-9;
    s.ask_d = static_cast<double>(quotes_[i].ask.raw()) * 1e-9;
  }
  for (const WorkingOrder& w : working_) ++inst_[w.order.request.instrument].orders;
  for (size_t k = 0; k < positions_.size(); ++k) {
    const uint32_t idx = static_cast<uint32_t>(k);
    const InstrumentIndex i = positions_[k].instrument;
    const InstrumentState& s = inst_[i];
    inst_[i].on.push_back(idx);
    // Its own quotes and those of its conversion pairs move its value and margin.
    auto add = [&](uint32_t pair) {
      std::vector<uint32_t>& a = inst_[pair].affected;
      if (a.empty() || a.back() != idx) a.push_back(idx);
    };
    add(i);
    for (int leg = 0; leg < s.quote_route.legs; ++leg) add(s.quote_route.pair[leg]);
    for (int leg = 0; leg < s.base_route.legs; ++leg) add(s.base_route.pair[leg]);
  }
  for (InstrumentState& s : inst_) s.watch = s.orders + static_cast<int>(s.affected.size());
  RecomputeMarks();
}

// ---- Rollover and swaps ---------------------------------------------------------------------

int64_t SimulatedBroker::NextRolloverAfter(UnixNanos t) const {
  // 17:00 New York starts the next trading date, so the close of TradingDateOf(t) is after t.
  fx::Date d = calendar_.TradingDateOf(t);
  for (int guard = 0; guard < 32 && !calendar_.IsTradingDay(d); ++guard) d = d + 1;
  return calendar_.Bounds(d).close.ns();
}

void SimulatedBroker::Rollover(UnixNanos t) {
  if (next_rollover_ == INT64_MIN) {
    next_rollover_ = NextRolloverAfter(t);
    return;
  }
  while (t.ns() >= next_rollover_) {
    const UnixNanos r(next_rollover_);
    if (!positions_.empty()) {
      // The trading date that closes at r; Wednesday's rollover carries the weekend (x3).
      const fx::Date d = calendar_.TradingDateOf(r - Duration(1));
      const double nights = d.weekday() == 3 ? 3.0 : 1.0;
      ++stats_.rollovers;
      for (size_t k = 0; k < positions_.size(); ++k) {
        const Position& p = positions_[k];
        const InstrumentState& s = inst_[p.instrument];
        const double points = p.side == Side::kBuy ? s.spec.swap_long : s.spec.swap_short;
        const double earned_quote = points * s.spec.point() * p.quantity * nights;
        const double conv = rates_.RateOrNaN(s.quote_route);
        if (std::isnan(conv)) {
          Fail(rates_.Rate(s.quote_route, s.spec.quote, config_.account_currency)
                   .status()
                   .WithContext("swap at " + r.ToIso()));
          return;
        }
        const Money cost = Money::FromDouble(-earned_quote * conv);
        AddToBalance(-cost);
        costs_.swap += cost;
        pos_x_[k].swap += cost;
      }
    }
    next_rollover_ = NextRolloverAfter(r);
  }
}

// ---- Orders ---------------------------------------------------------------------------------

Status SimulatedBroker::ValidateOrder(const OrderRequest& o) const {
  if (o.instrument >= inst_.size()) {
    return InvalidArgument("order for unknown instrument index " + std::to_string(o.instrument) +
                           " (" + std::to_string(inst_.size()) + " instruments loaded)");
  }
  const std::string& sym = inst_[o.instrument].spec.symbol;
  if (o.side != Side::kBuy && o.side != Side::kSell) {
    return InvalidArgument("order on " + sym + ": invalid side");
  }
  if (!(o.quantity > 0) || !std::isfinite(o.quantity)) {
    return InvalidArgument("order on " + sym +
                           ": quantity must be a positive finite number of base units, got " +
                           FmtG(o.quantity));
  }
  if (o.type != OrderType::kMarket && o.type != OrderType::kLimit && o.type != OrderType::kStop) {
    return InvalidArgument("order on " + sym + ": invalid order type");
  }
  if (o.type != OrderType::kMarket && o.price.raw() <= 0) {
    return InvalidArgument("order on " + sym + ": a " + std::string(OrderTypeName(o.type)) +
                           " order needs a positive price, got " +
                           o.price.ToString(inst_[o.instrument].spec.price_precision));
  }
  const Bracket& b = o.bracket;
  const bool has_sl = !std::isnan(b.stop_loss), has_tp = !std::isnan(b.take_profit);
  if ((has_sl && !(std::isfinite(b.stop_loss) && b.stop_loss > 0)) ||
      (has_tp && !(std::isfinite(b.take_profit) && b.take_profit > 0))) {
    return InvalidArgument("order on " + sym + ": stop_loss and take_profit must be positive " +
                           "prices (or NaN for none)");
  }
  if (!std::isfinite(b.trailing_stop_pips) || b.trailing_stop_pips < 0) {
    return InvalidArgument("order on " + sym + ": trailing_stop_pips must be >= 0, got " +
                           FmtG(b.trailing_stop_pips));
  }
  if (has_sl && has_tp &&
      (o.side == Side::kBuy ? b.stop_loss >= b.take_profit : b.stop_loss <= b.take_profit)) {
    return InvalidArgument("order on " + sym + ": a " + std::string(SideName(o.side)) +
                           " needs stop_loss " + (o.side == Side::kBuy ? "below" : "above") +
                           " take_profit, got " + FmtG(b.stop_loss) + " and " +
                           FmtG(b.take_profit));
  }
  if (o.close_position != 0) {
    const Position* p = nullptr;
    for (const Position& q : positions_) {
      if (q.id == o.close_position) p = &q;
    }
    if (p == nullptr) {
      return FailedPrecondition("order on " + sym + ": position " +
                                std::to_string(o.close_position) + " is not open");
    }
    if (p->instrument != o.instrument || p->side == o.side) {
      return InvalidArgument(
          "order on " + sym + ": closing position " + std::to_string(o.close_position) + " (" +
          std::string(SideName(p->side)) + " " + inst_[p->instrument].spec.symbol +
          ") needs the opposite side on the same instrument");
    }
  }
  if (o.oco_with != 0) {
    const WorkingOrder* partner = nullptr;
    for (const WorkingOrder& w : working_) {
      if (w.order.id == o.oco_with) partner = &w;
    }
    if (partner == nullptr) {
      return FailedPrecondition("order on " + sym + ": OCO partner order " +
                                std::to_string(o.oco_with) + " is not working");
    }
    if (partner->oco != 0) {
      return FailedPrecondition("order on " + sym + ": order " + std::to_string(o.oco_with) +
                                " already has an OCO partner (" + std::to_string(partner->oco) +
                                ")");
    }
  }
  return Status::Ok();
}

Status SimulatedBroker::Plan(const OrderRequest& o, double quantity, double* close_qty,
                             double* open_qty, int* target) const {
  *close_qty = 0;
  *open_qty = quantity;
  *target = -1;
  auto clamp_close = [&](const Position& p) {
    *close_qty = quantity >= p.quantity * (1 - kQtyEpsilon) ? p.quantity : quantity;
  };
  if (o.close_position != 0) {
    for (size_t k = 0; k < positions_.size(); ++k) {
      if (positions_[k].id != o.close_position) continue;
      const Position& p = positions_[k];
      if (p.side == o.side || p.instrument != o.instrument) {
        return InvalidArgument("closing position " + std::to_string(p.id) +
                               " needs the opposite side on the same instrument");
      }
      *target = static_cast<int>(k);
      clamp_close(p);
      *open_qty = 0;
      return Status::Ok();
    }
    return FailedPrecondition("position " + std::to_string(o.close_position) +
                              " is no longer open");
  }
  if (config_.mode == AccountMode::kHedging) return Status::Ok();
  for (size_t k = 0; k < positions_.size(); ++k) {
    const Position& p = positions_[k];
    if (p.instrument != o.instrument) continue;
    *target = static_cast<int>(k);
    if (p.side != o.side) {
      clamp_close(p);
      *open_qty = *close_qty >= quantity ? 0 : quantity - *close_qty;
    }
    break;
  }
  return Status::Ok();
}

Status SimulatedBroker::CheckMargin(InstrumentIndex i, Side side, double open_qty,
                                    double released_qty) const {
  if (open_qty <= 0) return Status::Ok();
  const InstrumentState& s = inst_[i];
  const double conv_b = rates_.RateOrNaN(s.base_route);
  if (std::isnan(conv_b)) {
    return rates_.Rate(s.base_route, s.spec.base, config_.account_currency).status();
  }
  const double equity = EquityDouble();
  const double used = MarginDouble();
  const std::string& ccy = config_.account_currency;
  if (used > 0 && equity * 100 < config_.margin_call_level * used) {
    return FailedPrecondition("margin call: margin level " + Fmt(equity / used * 100) +
                              "% is below the margin call level " + Fmt(config_.margin_call_level) +
                              "%; orders that add exposure are rejected (equity " + Fmt(equity) +
                              " " + ccy + ", margin used " + Fmt(used) + ")");
  }
  const double need = open_qty * s.margin_rate * conv_b;
  const double free = equity - used + released_qty * s.margin_rate * conv_b;
  if (need > free) {
    return FailedPrecondition("insufficient free margin for " + std::string(SideName(side)) + " " +
                              FmtG(open_qty) + " " + s.spec.symbol + ": needs " + Fmt(need) + " " +
                              ccy + " (margin rate " + Fmt(s.margin_rate * 100) +
                              "%), free margin " + Fmt(free) + " " + ccy + " (equity " +
                              Fmt(equity) + ", margin used " + Fmt(used) + ")");
  }
  return Status::Ok();
}

Status SimulatedBroker::Execute(const Exec& e) {
  const InstrumentState& s = inst_[e.instrument];
  OrderRequest shape;
  shape.instrument = e.instrument;
  shape.side = e.side;
  shape.close_position = e.close_position;
  double close_qty = 0, open_qty = 0;
  int target = -1;
  ARUS_RETURN_IF_ERROR(Plan(shape, e.quantity, &close_qty, &open_qty, &target));
  const double conv_q = rates_.RateOrNaN(s.quote_route);
  const double conv_b = rates_.RateOrNaN(s.base_route);
  if (std::isnan(conv_q)) {
    return rates_.Rate(s.quote_route, s.spec.quote, config_.account_currency).status();
  }
  if (std::isnan(conv_b)) {
    return rates_.Rate(s.base_route, s.spec.base, config_.account_currency).status();
  }
  if (e.check_margin) {
    ARUS_RETURN_IF_ERROR(CheckMargin(e.instrument, e.side, open_qty, close_qty));
  }
  const double qty = close_qty + open_qty;

  double commission = 0;
  switch (config_.commission_mode) {
    case CommissionMode::kInstrument:
      commission = s.spec.commission_per_million * qty * conv_b / 1e6;
      break;
    case CommissionMode::kPerMillion:
      commission = config_.commission_rate * qty * conv_b / 1e6;
      break;
    case CommissionMode::kPerLot:
      commission = config_.commission_rate * qty / s.spec.contract_size;
      break;
    case CommissionMode::kNone:
      break;
  }
  Fill fill;
  fill.order = e.order;
  fill.instrument = e.instrument;
  fill.side = e.side;
  fill.quantity = qty;
  fill.price = e.price;
  fill.time = e.time;
  fill.commission = Money::FromDouble(commission);
  fill.spread_cost = Money::FromDouble(e.half_spread * qty * conv_q);
  fill.slippage_cost = Money::FromDouble(e.slip * qty * conv_q);
  if (e.tag != nullptr) fill.tag = *e.tag;
  AddToBalance(-fill.commission);
  costs_.commission += fill.commission;
  costs_.spread += fill.spread_cost;
  costs_.slippage += fill.slippage_cost;

  PositionState close_share;
  close_share.spread = Share(fill.spread_cost, close_qty, qty);
  close_share.commission = Share(fill.commission, close_qty, qty);
  close_share.slippage = Share(fill.slippage_cost, close_qty, qty);
  PositionState open_share;
  open_share.spread = fill.spread_cost - close_share.spread;
  open_share.commission = fill.commission - close_share.commission;
  open_share.slippage = fill.slippage_cost - close_share.slippage;
  if (close_qty > 0) {
    fill.position = positions_[target].id;
    const bool whole = close_qty >= positions_[target].quantity;
    CloseQuantity(static_cast<size_t>(target), close_qty, e.price, e.time, e.reason, conv_q,
                  close_share);
    if (whole) target = -1;
  }
  if (open_qty > 0) {
    if (target >= 0 && positions_[target].side == e.side) {
      // Netting: add to the position at the quantity-weighted average price.
      Position& p = positions_[target];
      PositionState& pc = pos_x_[target];
      const double q_new = p.quantity + open_qty;
      p.avg_price = (p.avg_price * p.quantity + e.price.ToDouble() * open_qty) / q_new;
      p.quantity = q_new;
      if (!std::isnan(e.bracket.stop_loss)) p.bracket.stop_loss = e.bracket.stop_loss;
      if (!std::isnan(e.bracket.take_profit)) p.bracket.take_profit = e.bracket.take_profit;
      if (e.bracket.trailing_stop_pips > 0) {
        if (!(p.bracket.trailing_stop_pips > 0)) {
          pc.anchor = e.anchor.raw();
          p.trail_anchor = e.anchor.ToDouble();
        }
        p.bracket.trailing_stop_pips = e.bracket.trailing_stop_pips;
      }
      SetLevels(p, &pc);
      pc.spread += open_share.spread;
      pc.commission += open_share.commission;
      pc.slippage += open_share.slippage;
      fill.position = p.id;
    } else {
      Position p;
      p.id = next_position_++;
      p.instrument = e.instrument;
      p.side = e.side;
      p.quantity = open_qty;
      p.avg_price = e.price.ToDouble();
      p.opened = e.time;
      p.bracket = e.bracket;
      if (e.bracket.trailing_stop_pips > 0) {
        p.trail_anchor = e.anchor.ToDouble();
        open_share.anchor = e.anchor.raw();
      }
      if (e.tag != nullptr) p.tag = *e.tag;
      SetLevels(p, &open_share);
      positions_.push_back(std::move(p));
      pos_x_.push_back(open_share);
      fill.position = positions_.back().id;
    }
  }
  ++stats_.fills;
  RebuildWatch();
  if (listener_ != nullptr) listener_->OnFill(fill);
  return Status::Ok();
}

void SimulatedBroker::CloseQuantity(size_t k, double qty, Price price, UnixNanos time,
                                    ExitReason reason, double conv_q,
                                    const PositionState& fill_share) {
  Position& p = positions_[k];
  PositionState& pc = pos_x_[k];
  const InstrumentState& s = inst_[p.instrument];
  Trade t;
  t.position = p.id;
  t.symbol = s.spec.symbol;
  t.side = p.side;
  t.quantity = qty;
  t.entry_time = p.opened;
  t.exit_time = time;
  t.entry_price = p.avg_price;
  t.exit_price = price.ToDouble();
  const double diff = (t.exit_price - t.entry_price) * Sign(p.side);
  t.pips = diff / s.pip;
  t.gross_pnl = Money::FromDouble(diff * qty * conv_q);
  const Money spread = Share(pc.spread, qty, p.quantity);
  const Money commission = Share(pc.commission, qty, p.quantity);
  const Money slippage = Share(pc.slippage, qty, p.quantity);
  const Money swap = Share(pc.swap, qty, p.quantity);
  pc.spread -= spread;
  pc.commission -= commission;
  pc.slippage -= slippage;
  pc.swap -= swap;
  t.costs.spread = spread + fill_share.spread;
  t.costs.commission = commission + fill_share.commission;
  t.costs.slippage = slippage + fill_share.slippage;
  t.costs.swap = swap;
  t.net_pnl = t.gross_pnl - t.costs.commission - t.costs.swap;
  t.exit_reason = reason;
  t.tag = p.tag;
  AddToBalance(t.gross_pnl);
  trades_.push_back(std::move(t));
  if (qty >= p.quantity) {
    positions_.erase(positions_.begin() + static_cast<std::ptrdiff_t>(k));
    pos_x_.erase(pos_x_.begin() + static_cast<std::ptrdiff_t>(k));
  } else {
    p.quantity -= qty;
  }
}

Status SimulatedBroker::ForceClose(size_t k, ExitReason reason, bool slippage) {
  const Position& p = positions_[k];
  const InstrumentState& s = inst_[p.instrument];
  const QuoteTick& q = quotes_[p.instrument];
  const double spread = (q.ask - q.bid).ToDouble();
  const double slip = slippage ? Slip(s, spread) : 0;
  const std::string tag = p.tag;
  Exec e;
  e.instrument = p.instrument;
  e.side = Opposite(p.side);
  e.quantity = p.quantity;
  e.price = e.side == Side::kSell ? Price::FromDouble(q.bid.ToDouble() - slip)
                                  : Price::FromDouble(q.ask.ToDouble() + slip);
  e.half_spread = spread / 2;
  e.slip = slip;
  e.time = std::max(clock_.Now(), q.ts_event);
  e.close_position = p.id;
  e.reason = reason;
  e.check_margin = false;
  e.tag = &tag;
  return Execute(e);
}

void SimulatedBroker::RemoveWorking(size_t k, OrderStatus status, std::string reason) {
  WorkingOrder w = std::move(working_[k]);
  working_.erase(working_.begin() + static_cast<std::ptrdiff_t>(k));
  w.order.status = status;
  w.order.reject_reason = std::move(reason);
  if (status == OrderStatus::kRejected) ++stats_.rejected;
  if (w.oco != 0) {
    // The partner stays working but is no longer linked.
    for (WorkingOrder& o : working_) {
      if (o.order.id == w.oco) o.oco = 0;
    }
  }
  RebuildWatch();
  if (listener_ != nullptr) listener_->OnOrderUpdate(w.order);
}

void SimulatedBroker::CancelOcoPartner(OrderId partner) {
  for (size_t k = 0; k < working_.size(); ++k) {
    if (working_[k].order.id == partner) {
      working_[k].oco = 0;
      RemoveWorking(k, OrderStatus::kCancelled, "OCO partner filled");
      return;
    }
  }
}

bool SimulatedBroker::FillWorking(size_t k, Exec exec) {
  WorkingOrder w = std::move(working_[k]);
  working_.erase(working_.begin() + static_cast<std::ptrdiff_t>(k));
  exec.order = w.order.id;
  exec.close_position = w.order.request.close_position;
  exec.bracket = w.order.request.bracket;
  exec.reason = w.reason;
  exec.tag = &w.order.request.tag;
  exec.check_margin = true;
  const Status st = Execute(exec);
  if (!st.ok()) {
    // Put it back so RemoveWorking reports it (and unlinks its OCO partner).
    working_.insert(working_.begin() + static_cast<std::ptrdiff_t>(k), std::move(w));
    RemoveWorking(k, OrderStatus::kRejected, st.message());
    return true;
  }
  if (w.oco != 0) CancelOcoPartner(w.oco);
  RebuildWatch();
  return true;
}

Result<OrderId> SimulatedBroker::SubmitOrder(const OrderRequest& o) {
  if (Status st = ValidateOrder(o); !st.ok()) {
    ++stats_.rejected;
    return st;
  }
  const UnixNanos now = clock_.Now();
  const QuoteTick& q = quotes_[o.instrument];
  const bool has_quote = q.ts_event.ns() != 0;
  if (o.type == OrderType::kMarket && has_quote) {
    double close_qty = 0, open_qty = 0;
    int target = -1;
    Status st = Plan(o, o.quantity, &close_qty, &open_qty, &target);
    if (st.ok()) st = CheckMargin(o.instrument, o.side, open_qty, close_qty);
    if (!st.ok()) {
      ++stats_.rejected;
      return st;
    }
  }
  WorkingOrder w;
  w.order.id = next_order_++;
  w.order.request = o;
  w.order.status = o.type == OrderType::kMarket ? OrderStatus::kPending : OrderStatus::kWorking;
  w.order.submitted = now;
  w.active_at = mode_ == FillMode::kTicks ? now + config_.latency : now;
  w.oco = o.oco_with;
  const OrderId id = w.order.id;
  if (o.oco_with != 0) {
    for (WorkingOrder& p : working_) {
      if (p.order.id == o.oco_with) p.oco = id;
    }
  }
  ++stats_.orders;
  working_.push_back(std::move(w));
  RebuildWatch();
  const size_t k = working_.size() - 1;

  if (mode_ == FillMode::kTicks && has_quote && q.ts_event >= working_[k].active_at) {
    if (o.type == OrderType::kMarket) {
      // Fills now, inside the call; a failure is the caller's rejection (no order update).
      const InstrumentState& s = inst_[o.instrument];
      const double spread = (q.ask - q.bid).ToDouble();
      const double slip = Slip(s, spread);
      const bool buy = o.side == Side::kBuy;
      Exec e;
      e.instrument = o.instrument;
      e.side = o.side;
      e.quantity = o.quantity;
      e.price = buy ? Price::FromDouble(q.ask.ToDouble() + slip)
                    : Price::FromDouble(q.bid.ToDouble() - slip);
      e.half_spread = spread / 2;
      e.slip = slip;
      e.anchor = buy ? q.bid : q.ask;
      e.time = now;
      e.order = id;
      e.close_position = o.close_position;
      e.bracket = o.bracket;
      const OrderId oco = working_[k].oco;
      const std::string tag = o.tag;
      e.tag = &tag;
      working_.erase(working_.begin() + static_cast<std::ptrdiff_t>(k));
      const Status st = Execute(e);
      if (!st.ok()) {
        ++stats_.rejected;
        for (WorkingOrder& p : working_) {
          if (p.order.id == oco) p.oco = 0;
        }
        RebuildWatch();
        return st;
      }
      if (oco != 0) CancelOcoPartner(oco);
      RebuildWatch();
      return id;
    }
    if (TryFillTick(k, q)) return id;
  }
  if (o.type != OrderType::kMarket && listener_ != nullptr) {
    listener_->OnOrderUpdate(working_[k].order);
  }
  return id;
}

Status SimulatedBroker::CancelOrder(OrderId id) {
  for (size_t k = 0; k < working_.size(); ++k) {
    if (working_[k].order.id == id) {
      RemoveWorking(k, OrderStatus::kCancelled, "cancelled");
      return Status::Ok();
    }
  }
  return NotFound("order " + std::to_string(id) + " is not working");
}

Status SimulatedBroker::ClosePosition(PositionId id, ExitReason reason) {
  for (size_t k = 0; k < positions_.size(); ++k) {
    const Position& p = positions_[k];
    if (p.id != id) continue;
    if (reason == ExitReason::kSignal) {
      OrderRequest r;
      r.instrument = p.instrument;
      r.side = Opposite(p.side);
      r.type = OrderType::kMarket;
      r.quantity = p.quantity;
      r.close_position = p.id;
      r.tag = p.tag;
      return SubmitOrder(r).status();
    }
    return ForceClose(k, reason, reason != ExitReason::kEndOfData);
  }
  return NotFound("position " + std::to_string(id) + " is not open");
}

void SimulatedBroker::CancelAll() {
  while (!working_.empty()) RemoveWorking(0, OrderStatus::kCancelled, "cancelled by the engine");
}

void SimulatedBroker::CloseAll(ExitReason reason) {
  while (!positions_.empty() && error_.ok()) {
    const Status st = ForceClose(0, reason, reason != ExitReason::kEndOfData);
    if (!st.ok()) Fail(st.WithContext("closing position " + std::to_string(positions_[0].id)));
  }
  CancelAll();
}

// ---- Tick mode ------------------------------------------------------------------------------

bool SimulatedBroker::TryFillTick(size_t k, const QuoteTick& q) {
  const OrderRequest& r = working_[k].order.request;
  const InstrumentState& s = inst_[r.instrument];
  const bool buy = r.side == Side::kBuy;
  const double spread = (q.ask - q.bid).ToDouble();
  double slip = 0;
  switch (r.type) {
    case OrderType::kMarket:
      slip = Slip(s, spread);
      break;
    case OrderType::kLimit:
      if (buy ? q.ask > r.price : q.bid < r.price) return false;
      break;
    case OrderType::kStop:
      if (buy ? q.ask < r.price : q.bid > r.price) return false;
      slip = Slip(s, spread);
      break;
  }
  Exec e;
  e.instrument = r.instrument;
  e.side = r.side;
  e.quantity = r.quantity;
  e.price =
      buy ? Price::FromDouble(q.ask.ToDouble() + slip) : Price::FromDouble(q.bid.ToDouble() - slip);
  e.half_spread = spread / 2;
  e.slip = slip;
  e.anchor = buy ? q.bid : q.ask;
  e.time = q.ts_event;
  return FillWorking(k, e);
}

void SimulatedBroker::SetLevels(const Position& p, PositionState* x) const {
  const bool lng = p.side == Side::kBuy;
  const Bracket& b = p.bracket;
  const bool has_sl = !std::isnan(b.stop_loss), has_tp = !std::isnan(b.take_profit);
  x->sl = has_sl ? Price::FromDouble(b.stop_loss).raw() : (lng ? INT64_MIN : INT64_MAX);
  x->tp = has_tp ? Price::FromDouble(b.take_profit).raw() : (lng ? INT64_MAX : INT64_MIN);
  x->trail = b.trailing_stop_pips > 0
                 ? std::llround(b.trailing_stop_pips * inst_[p.instrument].pip * kPriceScale)
                 : 0;
  x->protect = has_sl || has_tp || x->trail > 0;
}

void SimulatedBroker::CheckBracketsTick(InstrumentIndex i, const QuoteTick& q) {
  const InstrumentState& s = inst_[i];
  const int64_t bid = q.bid.raw(), ask = q.ask.raw();
  // An exit rebuilds the index lists; start over then (positions already checked against this
  // quote do not trigger again).
  for (size_t n = 0; n < s.on.size();) {
    const size_t k = s.on[n];
    Position& p = positions_[k];
    PositionState& x = pos_x_[k];
    if (!x.protect) {
      ++n;
      continue;
    }
    bool hit = false, is_stop = true;
    ExitReason reason = ExitReason::kStopLoss;
    if (p.side == Side::kBuy) {
      int64_t stop = x.sl;
      if (x.trail > 0) {
        if (bid > x.anchor) {
          x.anchor = bid;
          p.trail_anchor = q.bid.ToDouble();
        }
        if (x.anchor - x.trail > stop) {
          stop = x.anchor - x.trail;
          reason = ExitReason::kTrailingStop;
        }
      }
      if (bid <= stop) {
        hit = true;
      } else if (bid >= x.tp) {
        hit = true;
        is_stop = false;
        reason = ExitReason::kTakeProfit;
      }
    } else {
      int64_t stop = x.sl;
      if (x.trail > 0) {
        if (x.anchor == 0 || ask < x.anchor) {
          x.anchor = ask;
          p.trail_anchor = q.ask.ToDouble();
        }
        if (x.anchor + x.trail < stop) {
          stop = x.anchor + x.trail;
          reason = ExitReason::kTrailingStop;
        }
      }
      if (ask >= stop) {
        hit = true;
      } else if (ask <= x.tp) {
        hit = true;
        is_stop = false;
        reason = ExitReason::kTakeProfit;
      }
    }
    if (!hit) {
      ++n;
      continue;
    }
    const double spread = (q.ask - q.bid).ToDouble();
    const double slip = is_stop ? Slip(s, spread) : 0;
    const std::string tag = p.tag;
    Exec e;
    e.instrument = i;
    e.side = Opposite(p.side);
    e.quantity = p.quantity;
    e.price = p.side == Side::kBuy ? Price::FromDouble(q.bid.ToDouble() - slip)
                                   : Price::FromDouble(q.ask.ToDouble() + slip);
    e.half_spread = spread / 2;
    e.slip = slip;
    e.time = q.ts_event;
    e.close_position = p.id;
    e.reason = reason;
    e.check_margin = false;
    e.tag = &tag;
    const Status st = Execute(e);
    if (!st.ok()) {
      Fail(st.WithContext("protective exit of position " + std::to_string(e.close_position)));
      return;
    }
    n = 0;
  }
}

void SimulatedBroker::OnQuoteSlow(InstrumentIndex i) {
  const QuoteTick q = quotes_[i];
  inst_[i].bid_d = static_cast<double>(q.bid.raw()) * 1e-9;
  inst_[i].ask_d = static_cast<double>(q.ask.raw()) * 1e-9;
  if (!inst_[i].on.empty()) CheckBracketsTick(i, q);
  // Working orders of this instrument whose latency has passed, in submission order. Filling one
  // may cancel its OCO partner, so walk by id rather than by index.
  OrderId last = 0;
  while (inst_[i].orders > 0) {
    size_t k = working_.size();
    for (size_t j = 0; j < working_.size(); ++j) {
      const WorkingOrder& w = working_[j];
      if (w.order.id > last && w.order.request.instrument == i && w.active_at <= q.ts_event) {
        k = j;
        break;
      }
    }
    if (k == working_.size()) break;
    last = working_[k].order.id;
    TryFillTick(k, q);
  }
  if (positions_.empty()) return;
  // The running marks give the margin level without walking every position; the exact check
  // runs only when it is near a threshold or the margin-call state changes.
  UpdateMarks(i);
  const double equity100 = (balance_d_ + sum_unreal_) * 100;
  const bool call = equity100 < config_.margin_call_level * sum_margin_;
  if (call != in_margin_call_ || equity100 <= config_.stop_out_level * sum_margin_ * 1.000001) {
    CheckStopOutAt();
  }
}

void SimulatedBroker::CheckStopOutAt() {
  for (;;) {
    if (positions_.empty()) {
      in_margin_call_ = false;
      return;
    }
    const double used = MarginDouble();
    if (!(used > 0)) return;
    // Margin level = equity / used x 100%, compared without dividing.
    const double equity100 = EquityDouble() * 100;
    if (equity100 < config_.margin_call_level * used) {
      if (!in_margin_call_) ++stats_.margin_calls;
      in_margin_call_ = true;
    } else {
      in_margin_call_ = false;
    }
    if (equity100 > config_.stop_out_level * used) return;
    size_t worst = 0;
    double worst_pnl = std::numeric_limits<double>::infinity();
    for (size_t k = 0; k < positions_.size(); ++k) {
      const double u = Unrealized(positions_[k]);
      if (u < worst_pnl) {
        worst_pnl = u;
        worst = k;
      }
    }
    ++stats_.stop_outs;
    const Status st = ForceClose(worst, ExitReason::kStopOut, true);
    if (!st.ok()) {
      Fail(st.WithContext("stop-out"));
      return;
    }
  }
}

void SimulatedBroker::CheckStopOut() {
  if (!positions_.empty()) CheckStopOutAt();
}

// ---- Bar mode -------------------------------------------------------------------------------

namespace {
Price AddSpread(Price p, double spread) { return p + Price::FromDouble(spread); }
}  // namespace

bool SimulatedBroker::TryFillBar(size_t k, const Bar& bar, double spread) {
  const WorkingOrder& w = working_[k];
  const OrderRequest& r = w.order.request;
  const InstrumentState& s = inst_[r.instrument];
  const bool buy = r.side == Side::kBuy;
  // Prices on the order's side of the book: asks for buys, bids for sells.
  const Price open = buy ? AddSpread(bar.open, spread) : bar.open;
  const Price high = buy ? AddSpread(bar.high, spread) : bar.high;
  const Price low = buy ? AddSpread(bar.low, spread) : bar.low;
  const Price close = buy ? AddSpread(bar.close, spread) : bar.close;
  // An order placed after the bar opened can only be matched against its close.
  const bool whole_bar = bar.ts_open >= w.order.submitted;
  Price base;
  UnixNanos time = bar.ts_close;
  double slip = 0;
  switch (r.type) {
    case OrderType::kMarket:
      base = whole_bar ? open : close;
      time = whole_bar ? bar.ts_open : bar.ts_close;
      slip = Slip(s, spread);
      break;
    case OrderType::kLimit:
      if (!whole_bar) {
        if (buy ? close > r.price : close < r.price) return false;
        base = close;
      } else if (buy ? open <= r.price : open >= r.price) {
        base = open;  // gapped through the limit: filled at the better open
        time = bar.ts_open;
      } else if (buy ? low <= r.price : high >= r.price) {
        base = r.price;
      } else {
        return false;
      }
      break;
    case OrderType::kStop:
      slip = Slip(s, spread);
      if (!whole_bar) {
        if (buy ? close < r.price : close > r.price) return false;
        base = close;
      } else if (buy ? open >= r.price : open <= r.price) {
        base = open;  // gapped through the stop: filled at the worse open
        time = bar.ts_open;
      } else if (buy ? high >= r.price : low <= r.price) {
        base = r.price;
      } else {
        return false;
      }
      break;
  }
  Exec e;
  e.instrument = r.instrument;
  e.side = r.side;
  e.quantity = r.quantity;
  e.price =
      buy ? Price::FromDouble(base.ToDouble() + slip) : Price::FromDouble(base.ToDouble() - slip);
  e.half_spread = spread / 2;
  e.slip = slip;
  e.anchor = buy ? base - Price::FromDouble(spread) : base + Price::FromDouble(spread);
  e.time = std::max(time, w.order.submitted);
  return FillWorking(k, e);
}

void SimulatedBroker::CheckBracketsBar(InstrumentIndex i, const Bar& bar, double spread) {
  const InstrumentState& s = inst_[i];
  const int64_t sp = Price::FromDouble(spread).raw();
  for (size_t k = 0; k < positions_.size();) {
    Position& p = positions_[k];
    PositionState& x = pos_x_[k];
    // Positions opened inside this bar are checked from the next one (their place in the bar's
    // path is unknown).
    if (p.instrument != i || p.opened > bar.ts_open || !x.protect) {
      ++k;
      continue;
    }
    const bool lng = p.side == Side::kBuy;
    // The exit side of the book: bids for longs, asks for shorts.
    const int64_t o = bar.open.raw() + (lng ? 0 : sp);
    const int64_t h = bar.high.raw() + (lng ? 0 : sp);
    const int64_t l = bar.low.raw() + (lng ? 0 : sp);
    bool hit = false, is_stop = true;
    int64_t exit = 0;
    UnixNanos time = bar.ts_close;
    ExitReason reason = ExitReason::kStopLoss;
    int64_t stop = x.sl;
    if (lng) {
      if (x.trail > 0 && x.anchor != 0 && x.anchor - x.trail > stop) {
        stop = x.anchor - x.trail;
        reason = ExitReason::kTrailingStop;
      }
      // Stop first when both could have been hit (conservative).
      if (l <= stop) {
        hit = true;
        exit = std::min(stop, o);
        if (o <= stop) time = bar.ts_open;
      } else if (h >= x.tp) {
        hit = true;
        is_stop = false;
        reason = ExitReason::kTakeProfit;
        exit = std::max(x.tp, o);
        if (o >= x.tp) time = bar.ts_open;
      } else if (x.trail > 0 && h > x.anchor) {
        x.anchor = h;
        p.trail_anchor = Price::FromRaw(h).ToDouble();
      }
    } else {
      if (x.trail > 0 && x.anchor != 0 && x.anchor + x.trail < stop) {
        stop = x.anchor + x.trail;
        reason = ExitReason::kTrailingStop;
      }
      if (h >= stop) {
        hit = true;
        exit = std::max(stop, o);
        if (o >= stop) time = bar.ts_open;
      } else if (l <= x.tp) {
        hit = true;
        is_stop = false;
        reason = ExitReason::kTakeProfit;
        exit = std::min(x.tp, o);
        if (o <= x.tp) time = bar.ts_open;
      } else if (x.trail > 0 && (x.anchor == 0 || l < x.anchor)) {
        x.anchor = l;
        p.trail_anchor = Price::FromRaw(l).ToDouble();
      }
    }
    if (!hit) {
      ++k;
      continue;
    }
    const double slip = is_stop ? Slip(s, spread) : 0;
    const double exit_d = Price::FromRaw(exit).ToDouble();
    const std::string tag = p.tag;
    Exec e;
    e.instrument = i;
    e.side = Opposite(p.side);
    e.quantity = p.quantity;
    e.price = lng ? Price::FromDouble(exit_d - slip) : Price::FromDouble(exit_d + slip);
    e.half_spread = spread / 2;
    e.slip = slip;
    e.time = std::max(time, p.opened);
    e.close_position = p.id;
    e.reason = reason;
    e.check_margin = false;
    e.tag = &tag;
    const Status st = Execute(e);
    if (!st.ok()) {
      Fail(st.WithContext("protective exit of position " + std::to_string(e.close_position)));
      return;
    }
  }
}

void SimulatedBroker::OnBarFills(InstrumentIndex i, const Bar& bar) {
  if (inst_[i].watch == 0) return;
  const double spread = std::max(bar.spread_mean, 0.0);
  // Conversions of this bar's fills use its open (the close replaces it in OnBarClose).
  rates_.Update(i, bar.open, AddSpread(bar.open, spread));
  // 1. Market orders (at the open, or at the close for orders placed mid-bar).
  // 2. Protective exits of positions open at the bar's open (stop before target).
  // 3. Limit and stop orders against the bar's range.
  for (int pass = 0; pass < 2; ++pass) {
    OrderId last = 0;
    for (;;) {
      size_t k = working_.size();
      for (size_t j = 0; j < working_.size(); ++j) {
        const WorkingOrder& w = working_[j];
        const bool market = w.order.request.type == OrderType::kMarket;
        if (w.order.id > last && w.order.request.instrument == i && market == (pass == 0)) {
          k = j;
          break;
        }
      }
      if (k == working_.size()) break;
      last = working_[k].order.id;
      TryFillBar(k, bar, spread);
      if (failed()) return;
    }
    if (pass == 0) {
      CheckBracketsBar(i, bar, spread);
      if (failed()) return;
    }
  }
}

void SimulatedBroker::OnBarClose(InstrumentIndex i, const Bar& bar) {
  QuoteTick q;
  q.ts_event = bar.ts_close;
  q.bid = bar.close;
  q.ask = AddSpread(bar.close, std::max(bar.spread_mean, 0.0));
  if (vol_model_) UpdateVol(inst_[i], q.bid, q.ask);
  quotes_[i] = q;
  inst_[i].bid_d = static_cast<double>(q.bid.raw()) * 1e-9;
  inst_[i].ask_d = static_cast<double>(q.ask.raw()) * 1e-9;
  rates_.Update(i, q.bid, q.ask);
}

}  // namespace arus::backtest
