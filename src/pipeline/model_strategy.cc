#include "pipeline/model_strategy.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "fx/instrument.h"

namespace arus::pipeline {

using backtest::OrderRequest;
using backtest::Position;
using backtest::Side;
using backtest::StrategyContext;

Result<std::unique_ptr<ModelStrategy>> ModelStrategy::Create(std::vector<Signal> signals,
                                                             const ModelStrategyOptions& options,
                                                             SizeFn size) {
  for (size_t i = 1; i < signals.size(); ++i) {
    if (signals[i].time <= signals[i - 1].time) {
      return InvalidArgument("model strategy: signals must be in increasing time order (signal " +
                             std::to_string(i) + " at " + signals[i].time.ToIso() + ")");
    }
  }
  if (options.horizon < 1) return InvalidArgument("model strategy: horizon must be >= 1");
  if (options.move_window < 1) return InvalidArgument("model strategy: move_window must be >= 1");
  if (!(options.min_edge_multiple >= 0)) {
    return InvalidArgument("model strategy: min_edge_multiple must be >= 0");
  }
  if (!size) return InvalidArgument("model strategy: no sizing function");
  return std::unique_ptr<ModelStrategy>(new ModelStrategy(std::move(signals), options,
                                                          std::move(size)));
}

void ModelStrategy::Fail(Status s) {
  if (status_.ok()) status_ = std::move(s);
}

void ModelStrategy::OnStart(StrategyContext& ctx) {
  auto idx = ctx.Find(opt_.symbol);
  if (!idx.ok()) {
    Fail(idx.status());
    return;
  }
  instrument_ = *idx;
  pip_ = ctx.account().instrument(instrument_).pip_size;
  mids_.assign(static_cast<size_t>(opt_.horizon) + 1, 0.0);
  moves_.assign(static_cast<size_t>(opt_.move_window), 0.0);
  ready_ = true;
}

void ModelStrategy::OnQuote(StrategyContext& ctx, backtest::InstrumentIndex i,
                            const QuoteTick& q) {
  if (!ready_ || i != instrument_) return;
  Advance(ctx, q.ts_event, q.bid.ToDouble(), q.ask.ToDouble());
}

void ModelStrategy::OnBar(StrategyContext& ctx, backtest::InstrumentIndex i, const Bar& bid_bar) {
  if (!ready_ || i != instrument_) return;
  const double bid = bid_bar.close.ToDouble();
  Advance(ctx, bid_bar.ts_close, bid, bid + bid_bar.spread_mean);
}

void ModelStrategy::OnEnd(StrategyContext& ctx) { (void)ctx; }

const Position* ModelStrategy::OpenPosition(const StrategyContext& ctx) const {
  for (const Position& p : ctx.account().positions()) {
    if (p.instrument == instrument_) return &p;
  }
  return nullptr;
}

void ModelStrategy::Submit(StrategyContext& ctx, const OrderRequest& order) {
  ++stats_.orders;
  if (!ctx.Submit(order).ok()) ++stats_.rejected;
}

void ModelStrategy::ExitIfDue(StrategyContext& ctx, UnixNanos now) {
  if (now < exit_at_) return;
  exit_at_ = UnixNanos::Max();
  if (const Position* p = OpenPosition(ctx)) {
    ++stats_.orders;
    if (!ctx.Close(p->id).ok()) ++stats_.rejected;
  }
}

void ModelStrategy::Advance(StrategyContext& ctx, UnixNanos now, double bid, double ask) {
  if (!status_.ok()) return;
  ExitIfDue(ctx, now);
  while (next_ < signals_.size() && signals_[next_].time <= now) {
    Decide(ctx, signals_[next_], bid, ask);
    ++next_;
  }
}

void ModelStrategy::Decide(StrategyContext& ctx, const Signal& s, double bid, double ask) {
  ++stats_.signals;
  // The expected move over the horizon, from past decisions only.
  const double mid = 0.5 * (bid + ask);
  const size_t h = static_cast<size_t>(opt_.horizon);
  const size_t w = moves_.size();
  if (decisions_ >= h) {
    const double move = std::fabs(mid - mids_[(decisions_ - h) % mids_.size()]);
    moves_[(decisions_ - h) % w] = move;
  }
  mids_[decisions_ % mids_.size()] = mid;
  ++decisions_;
  const size_t known = decisions_ > h ? std::min(decisions_ - h, w) : 0;
  if (known < std::min<size_t>(w, 20)) {
    ++stats_.warmup;
    return;
  }
  double sum = 0;
  for (size_t k = 0; k < known; ++k) sum += moves_[k];
  const double expected_move = sum / static_cast<double>(known);  // price units

  // Edge and direction.
  double edge_pips = 0;
  Side side = Side::kBuy;
  double probability = 0.5;
  if (opt_.regression) {
    edge_pips = std::fabs(s.expected_return) * mid / pip_;
    side = s.expected_return >= 0 ? Side::kBuy : Side::kSell;
    probability = 0.5;
  } else {
    const double diff = s.p_up - s.p_down;
    edge_pips = std::fabs(diff) * expected_move / pip_;
    side = diff >= 0 ? Side::kBuy : Side::kSell;
    const double directional = s.p_up + s.p_down;
    probability = directional > 0 ? std::max(s.p_up, s.p_down) / directional : 0.5;
    if (std::max(s.p_up, s.p_down) < opt_.min_probability) edge_pips = 0;
  }
  const fx::Instrument& inst = ctx.account().instrument(instrument_);
  const double commission_pips = inst.commission_per_million * 1e-6 * mid / pip_;
  const double cost_pips = (ask - bid) / pip_ + 2 * commission_pips + 2 * opt_.slippage_pips;

  const Position* open = OpenPosition(ctx);
  const bool trade = edge_pips > opt_.min_edge_multiple * cost_pips && edge_pips > 0;
  if (!trade) {
    ++stats_.below_cost;
    return;
  }
  if (!s.regime_ok) {
    ++stats_.regime_blocked;
    return;
  }
  if (open != nullptr && open->side == side) {
    exit_at_ = s.time + opt_.hold;  // same view: keep holding
    return;
  }
  if (open != nullptr) {  // opposite view: close first
    ++stats_.orders;
    if (!ctx.Close(open->id).ok()) ++stats_.rejected;
  }

  risk::SizeRequest req;
  req.instrument = instrument_;
  req.side = side;
  req.entry_price = side == Side::kBuy ? ask : bid;
  // Without a protective stop, the expected move is the adverse move that counts as the loss.
  req.stop_distance = opt_.stop_multiple > 0 ? opt_.stop_multiple * expected_move : expected_move;
  req.probability = probability;
  req.payoff = opt_.stop_multiple > 0 && opt_.target_multiple > 0
                   ? opt_.target_multiple / opt_.stop_multiple
                   : 1.0;
  // sigma_h = E|move| * sqrt(pi/2) for a normal move, sigma_bar = sigma_h / sqrt(h).
  const double sigma_h = expected_move * std::sqrt(std::numbers::pi / 2) / mid;
  req.volatility =
      risk::AnnualizeVolatility(sigma_h / std::sqrt(static_cast<double>(h)), opt_.bar_seconds);
  Result<double> qty = size_(req, ctx.account());
  if (!qty.ok()) {
    Fail(qty.status());
    return;
  }
  if (!(*qty > 0)) {
    ++stats_.size_zero;
    return;
  }
  OrderRequest order;
  order.instrument = instrument_;
  order.side = side;
  order.type = backtest::OrderType::kMarket;
  order.quantity = *qty;
  const double sgn = side == Side::kBuy ? 1.0 : -1.0;
  if (opt_.stop_multiple > 0) {
    order.bracket.stop_loss = req.entry_price - sgn * opt_.stop_multiple * expected_move;
  }
  if (opt_.target_multiple > 0) {
    order.bracket.take_profit = req.entry_price + sgn * opt_.target_multiple * expected_move;
  }
  order.tag = "model";
  Submit(ctx, order);
  exit_at_ = s.time + opt_.hold;
}

}  // namespace arus::pipeline
