// The simulated broker and account of the backtest: an ExecutionClient (orders in, fills out) and
// the AccountView strategies and the risk guard read. It fills from the data — buys at the ask,
// sells at the bid — with configurable slippage, order latency and commission, books every
// amount as fixed-point Money in the account currency (converted through an fx::RateBook at the
// time's mids), keeps margin, margin call and stop-out, netting or hedging positions, swaps at the
// 17:00 New York rollover (triple on Wednesday) and the list of closed trades with their costs.
// Fill rules and cost formulas: docs/backtest.md.
//
// The engine drives it: AdvanceTo(t) before each event (rollovers), then OnQuote (tick mode) or
// OnBarFills + OnBarClose + CheckStopOut (bar mode). Fills and order updates go to the listener
// synchronously, in time order; a market order that can fill at once (tick mode, no latency, a
// quote at the submit time) fills inside SubmitOrder.
//
// Thread-safety: none; one event loop drives it. Ownership: owns its instruments, positions and
// trades; the clock, calendar and listener are borrowed and must outlive it.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backtest/result.h"
#include "backtest/trading.h"
#include "core/clock.h"
#include "core/money.h"
#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "fx/calendar.h"
#include "fx/instrument.h"
#include "fx/rates.h"

namespace arus::backtest {

enum class AccountMode : uint8_t {
  kNetting,  // one position per instrument; opposite fills reduce, close or reverse it
  kHedging,  // one position per opening fill; close_position names the one to reduce
};
std::string_view AccountModeName(AccountMode m);  // "netting", "hedging"

enum class SlippageModel : uint8_t {
  kNone,
  kFixedPips,       // `pips` x pip size
  kSpreadFraction,  // `spread_fraction` x the quoted spread at the fill
  kVolatility,      // `vol_k` x sigma, sigma = EWMA realised volatility of the mid (see below)
};
std::string_view SlippageModelName(SlippageModel m);  // "none", "fixed", "spread", "volatility"

// Slippage moves market-type fills (market orders, triggered stops, stop-loss and trailing
// exits, stop-outs, circuit-breaker closes) against the trader; limit orders and take-profits
// fill at their price or better and never slip. kVolatility's sigma, per instrument, in price
// units: sigma^2 <- (1 - a) sigma^2 + a (mid_t - mid_{t-1})^2 with a = 2 / (vol_window + 1), over
// consecutive quotes of the instrument (bar closes in bar mode); 0 until the mid first changes.
struct SlippageConfig {
  SlippageModel model = SlippageModel::kNone;
  double pips = 0;
  double spread_fraction = 0;
  double vol_k = 0;
  int vol_window = 100;
};

enum class CommissionMode : uint8_t {
  kInstrument,  // Instrument::commission_per_million per 1M notional (the default)
  kPerMillion,  // `commission_rate` per 1M notional
  kPerLot,      // `commission_rate` per standard lot (Instrument::contract_size units)
  kNone,
};
std::string_view CommissionModeName(CommissionMode m);  // "instrument", "per_million", ...

// Notional = quantity (base units) converted to the account currency. Commission is charged on
// every fill (so twice per round trip) and booked at once.
struct BrokerConfig {
  std::string account_currency = "USD";
  double initial_balance = 100000;
  double leverage = 30;  // account cap: margin rate = max(Instrument::margin_rate, 1 / leverage)
  AccountMode mode = AccountMode::kNetting;
  SlippageConfig slippage;
  Duration latency{0};  // market orders fill at the first quote at or after submit + latency
  CommissionMode commission_mode = CommissionMode::kInstrument;
  double commission_rate = 0;
  // Margin level = equity / margin used x 100%. Below margin_call_level orders that add exposure
  // are rejected; at or below stop_out_level the worst losing position is closed (repeatedly)
  // until the level is above it again.
  double margin_call_level = 100;
  double stop_out_level = 50;
};
// InvalidArgument naming the field.
Status ValidateBrokerConfig(const BrokerConfig& config);

enum class FillMode : uint8_t { kTicks, kBars };

// Counters of account events, for the run summary.
struct BrokerStats {
  int64_t orders = 0;  // accepted by SubmitOrder
  int64_t fills = 0;
  int64_t rejected = 0;      // rejected at submit or at fill time
  int64_t margin_calls = 0;  // times the margin level fell below margin_call_level
  int64_t stop_outs = 0;     // positions closed by the stop-out
  int64_t rollovers = 0;     // 17:00 New York rollovers passed with open positions
};

class SimulatedBroker final : public ExecutionClient, public AccountView {
 public:
  // InvalidArgument for a bad config or instrument; NotFound when the account currency cannot be
  // reached from an instrument's quote or base currency through the instruments given (load the
  // pair that converts it, e.g. USDJPY for a JPY account trading EURUSD).
  static Result<std::unique_ptr<SimulatedBroker>> Create(
      const BrokerConfig& config, std::vector<fx::Instrument> instruments, const Clock& clock,
      const fx::FxCalendar& calendar = fx::FxCalendar::Default(), FillMode mode = FillMode::kTicks);
  ~SimulatedBroker() override;
  SimulatedBroker(const SimulatedBroker&) = delete;
  SimulatedBroker& operator=(const SimulatedBroker&) = delete;

  // ---- ExecutionClient ----
  Result<OrderId> SubmitOrder(const OrderRequest& order) override;
  Status CancelOrder(OrderId id) override;
  // kSignal closes like a market order (latency, next bar in bar mode); any other reason closes
  // at once at the latest quote (no slippage for kEndOfData: "at the last quote").
  Status ClosePosition(PositionId id, ExitReason reason) override;
  const AccountView& account() const override { return *this; }
  void SetListener(ExecutionListener* listener) override { listener_ = listener; }

  // ---- AccountView ----
  std::string_view currency() const override { return config_.account_currency; }
  Money balance() const override { return balance_; }
  Money equity() const override { return Money::FromDouble(EquityDouble()); }
  Money margin_used() const override { return Money::FromDouble(MarginDouble()); }
  Money free_margin() const override { return Money::FromDouble(EquityDouble() - MarginDouble()); }
  double leverage_max() const override { return config_.leverage; }
  std::span<const Position> positions() const override { return positions_; }
  const fx::Instrument& instrument(InstrumentIndex i) const override { return inst_[i].spec; }
  size_t instrument_count() const override { return inst_.size(); }
  const QuoteTick& quote(InstrumentIndex i) const override { return quotes_[i]; }
  Result<double> ToAccount(double amount, std::string_view ccy) const override {
    return rates_.Convert(amount, ccy, config_.account_currency);
  }

  // ---- Driving (the engine) ----
  // Books the swaps of every 17:00 New York rollover in (previous time, t]. Call before an
  // event at t is processed (tick mode) or after the bar's intrabar fills (bar mode).
  void AdvanceTo(UnixNanos t) {
    if (t.ns() >= next_rollover_) Rollover(t);
  }
  // Tick mode: the quote of instrument i (i < instrument_count(), checked by the caller).
  // Triggers protective exits of the instrument's positions, then its working orders in
  // submission order, then the stop-out check.
  void OnQuote(InstrumentIndex i, const QuoteTick& q) {
    InstrumentState& s = inst_[i];
    if (vol_model_) UpdateVol(s, q.bid, q.ask);
    quotes_[i] = q;
    rates_.Update(i, q.bid, q.ask);
    if (s.watch != 0) OnQuoteSlow(i);
  }
  // Bar mode, step 1 for a bid bar of instrument i (ask = bid + spread_mean): the orders and
  // protective exits that the bar's range triggers (docs/backtest.md, "Bar mode").
  void OnBarFills(InstrumentIndex i, const Bar& bid_bar);
  // Bar mode, step 2: the bar's close becomes the instrument's quote (ts_event = ts_close).
  void OnBarClose(InstrumentIndex i, const Bar& bid_bar);
  // Bar mode, step 3 (after every bar of a time slice): margin call / stop-out at the closes.
  void CheckStopOut();
  // Closes every position at the latest quotes with `reason` and cancels every working order.
  void CloseAll(ExitReason reason);
  void CancelAll();

  // ---- Results ----
  const std::vector<Trade>& trades() const { return trades_; }
  std::vector<Trade> TakeTrades() { return std::move(trades_); }
  const CostBreakdown& costs() const { return costs_; }
  const BrokerStats& stats() const { return stats_; }
  // Sum of |position notional| in the account currency.
  double GrossExposure() const;
  // The first unrecoverable error (a rate missing for a forced close or a swap). The engine
  // stops the run with it.
  bool failed() const { return !error_.ok(); }
  const Status& error() const { return error_; }
  const BrokerConfig& config() const { return config_; }
  const fx::RateBook& rates() const { return rates_; }
  // Working orders (accepted, not yet filled or cancelled), in submission order.
  std::vector<Order> WorkingOrders() const;

 private:
  struct InstrumentState {
    fx::Instrument spec;
    fx::RateBook::Route quote_route;  // quote currency -> account currency
    fx::RateBook::Route base_route;   // base currency -> account currency
    double margin_rate = 0;           // max(spec.margin_rate, 1 / leverage)
    double pip = 0;
    int watch = 0;                   // working orders + positions it values; 0 = fast path
    int orders = 0;                  // working orders on it
    std::vector<uint32_t> on;        // indices of the positions on it
    std::vector<uint32_t> affected;  // positions whose value or margin its quote moves
    double vol_var = 0;              // EWMA variance of mid changes (price units^2)
    int64_t last_sum = 0;            // bid + ask (raw) of the previous quote; 0 = none
    // The latest quote as doubles (raw x 1e-9, for marks), kept current while watch != 0 and
    // refreshed whenever the watch counts change.
    double bid_d = 0, ask_d = 0;
  };
  // Per position: cost accumulators (shared out pro rata when part of it closes) and the
  // protective levels as raw prices, so the per-quote checks compare integers. Levels that are
  // not set hold sentinels that never trigger for the position's side.
  struct PositionState {
    Money spread, commission, slippage, swap;
    bool protect = false;  // any of stop-loss, take-profit, trailing stop
    int64_t sl = 0;        // raw stop-loss level
    int64_t tp = 0;        // raw take-profit level
    int64_t trail = 0;     // raw trailing distance; 0 = none
    int64_t anchor = 0;    // raw best exit-side price since entry; 0 = not yet known
    double unreal = 0;     // latest marks (account currency), for the per-quote stop-out check
    double margin = 0;
  };
  struct WorkingOrder {
    Order order;
    UnixNanos active_at;
    ExitReason reason = ExitReason::kSignal;
    OrderId oco = 0;
  };
  // One execution against the book.
  struct Exec {
    InstrumentIndex instrument = 0;
    Side side = Side::kBuy;
    double quantity = 0;
    Price price;             // the fill price, slippage included
    double half_spread = 0;  // price units
    double slip = 0;         // price units, >= 0
    Price anchor;            // exit-side quote at the fill, for a new trailing stop
    UnixNanos time;
    OrderId order = 0;
    PositionId close_position = 0;
    Bracket bracket;
    ExitReason reason = ExitReason::kSignal;
    bool check_margin = true;
    const std::string* tag = nullptr;
  };

  SimulatedBroker(const BrokerConfig& config, const Clock& clock, const fx::FxCalendar& calendar,
                  FillMode mode, std::vector<fx::Instrument> instruments);

  void OnQuoteSlow(InstrumentIndex i);
  void UpdateVol(InstrumentState& s, Price bid, Price ask) {
    const int64_t sum = bid.raw() + ask.raw();
    if (s.last_sum != 0) {
      const double d = static_cast<double>(sum - s.last_sum) * (0.5 / kPriceScale);
      s.vol_var += vol_alpha_ * (d * d - s.vol_var);
    }
    s.last_sum = sum;
  }
  void AddToBalance(Money m) {
    balance_ += m;
    balance_d_ = balance_.ToDouble();
  }
  double Slip(const InstrumentState& s, double spread) const;
  void Rollover(UnixNanos t);
  int64_t NextRolloverAfter(UnixNanos t) const;

  Status ValidateOrder(const OrderRequest& o) const;
  // Splits a fill into the quantity that reduces an existing position and the quantity that
  // opens or adds; *target is the position reduced (or added to in netting), -1 when none.
  Status Plan(const OrderRequest& o, double quantity, double* close_qty, double* open_qty,
              int* target) const;
  Status CheckMargin(InstrumentIndex i, Side side, double open_qty, double released_qty) const;
  Status Execute(const Exec& e);
  void CloseQuantity(size_t pos_index, double qty, Price price, UnixNanos time, ExitReason reason,
                     double conv_q, const PositionState& fill_share);
  void SetLevels(const Position& p, PositionState* x) const;
  Status ForceClose(size_t pos_index, ExitReason reason, bool slippage);
  void CheckStopOutAt();
  // Marks of every position from scratch / of those instrument i moves, into the running sums.
  void RecomputeMarks();
  void UpdateMarks(InstrumentIndex i);
  double MarginOf(const Position& p) const;

  // Tries a working order against instrument quote q; true when it left the book.
  bool TryFillTick(size_t order_index, const QuoteTick& q);
  bool TryFillBar(size_t order_index, const Bar& bar, double spread);
  void CheckBracketsTick(InstrumentIndex i, const QuoteTick& q);
  void CheckBracketsBar(InstrumentIndex i, const Bar& bar, double spread);
  // Fills order `order_index` with `exec`; on failure rejects it. Removes it from the book and
  // cancels its OCO partner. Returns true.
  bool FillWorking(size_t order_index, Exec exec);
  void RemoveWorking(size_t order_index, OrderStatus status, std::string reason);
  void CancelOcoPartner(OrderId partner);
  void RebuildWatch();

  double EquityDouble() const;
  double MarginDouble() const;
  double Unrealized(const Position& p) const;
  void Fail(Status s);

  BrokerConfig config_;
  const Clock& clock_;
  const fx::FxCalendar& calendar_;
  FillMode mode_;
  bool vol_model_ = false;
  double vol_alpha_ = 0;
  std::vector<InstrumentState> inst_;
  std::vector<QuoteTick> quotes_;
  fx::RateBook rates_;
  ExecutionListener* listener_ = nullptr;

  Money balance_;
  double balance_d_ = 0;               // balance_ as a double, for marks
  std::vector<Position> positions_;    // in opening order
  std::vector<PositionState> pos_x_;   // parallel to positions_
  std::vector<WorkingOrder> working_;  // in submission order
  std::vector<Trade> trades_;
  CostBreakdown costs_;
  BrokerStats stats_;
  OrderId next_order_ = 1;
  PositionId next_position_ = 1;
  int64_t next_rollover_ = INT64_MIN;  // first rollover not yet booked (INT64_MIN: not armed)
  bool in_margin_call_ = false;
  double sum_unreal_ = 0;  // running sums of PositionState::unreal / margin
  double sum_margin_ = 0;
  Status error_;
};

}  // namespace arus::backtest
