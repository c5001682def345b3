// The venue-neutral trading interfaces of arus: orders, fills, positions, the account a strategy
// sees, the execution interface a broker implements, the pre-trade guard the risk module
// implements, and the Strategy callbacks. The backtest's simulated broker is one implementation of
// ExecutionClient; paper and live brokers (exec/, later) are others, so the same Strategy and the
// same risk checks run unchanged in a backtest and live (as in LEAN and NautilusTrader).
//
// Units: quantities are units of the base currency (1 standard lot = Instrument::contract_size
// units); prices are fixed-point `Price`; money in the account currency is fixed-point `Money`.
// Instruments are referred to by their index in the engine's instrument list (InstrumentIndex),
// so the hot path never compares strings.
// Thread-safety: all of these are driven by one event loop; none is safe to call concurrently.
// Ownership: the engine owns the broker, the guard and the strategy; views are non-owning.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>

#include "core/money.h"
#include "core/price.h"
#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"

namespace arus::fx {
struct Instrument;
}

namespace arus::backtest {

using InstrumentIndex = uint32_t;
using OrderId = uint64_t;     // 0 = none
using PositionId = uint64_t;  // 0 = none

inline constexpr double kNone = std::numeric_limits<double>::quiet_NaN();

enum class Side : int8_t { kBuy = 1, kSell = -1 };
inline int Sign(Side s) { return static_cast<int>(s); }
inline Side Opposite(Side s) { return s == Side::kBuy ? Side::kSell : Side::kBuy; }
std::string_view SideName(Side s);  // "buy", "sell"

enum class OrderType : uint8_t {
  kMarket,  // fills at the first quote after the order latency: buys at the ask, sells at the bid
  kLimit,   // buy fills when ask <= price, sell when bid >= price, at the limit price or better
  kStop,    // buy triggers when ask >= price, sell when bid <= price; fills like a market order
};
std::string_view OrderTypeName(OrderType t);

enum class OrderStatus : uint8_t { kPending, kWorking, kFilled, kCancelled, kRejected };

// Why a position (or part of it) was closed; reported per trade.
enum class ExitReason : uint8_t {
  kSignal,          // an opposite order from the strategy
  kStopLoss,
  kTakeProfit,
  kTrailingStop,
  kStopOut,         // the broker's margin stop-out
  kCircuitBreaker,  // the risk module flattened the book
  kEndOfData,       // still open when the backtest ended (closed at the last quote)
};
std::string_view ExitReasonName(ExitReason r);

// Protective orders attached to the position an order opens (prices, NaN = none). A trailing stop
// follows the best price since entry at `trailing_stop_pips` pips and only ever tightens.
struct Bracket {
  double stop_loss = kNone;
  double take_profit = kNone;
  double trailing_stop_pips = 0;  // 0 = none
};

struct OrderRequest {
  InstrumentIndex instrument = 0;
  Side side = Side::kBuy;
  OrderType type = OrderType::kMarket;
  double quantity = 0;  // units of base currency, > 0
  Price price;          // limit or stop price (ignored for market orders)
  Bracket bracket;
  OrderId oco_with = 0;        // one-cancels-other: when either fills, the other is cancelled
  PositionId close_position = 0;  // hedging mode: reduce this position instead of opening one
  std::string tag;             // the strategy's label, carried into fills and the trade list
};

struct Order {
  OrderId id = 0;
  OrderRequest request;
  OrderStatus status = OrderStatus::kPending;
  UnixNanos submitted;
  std::string reject_reason;  // set when status == kRejected
};

// One execution. Costs are in the account currency and already included in the account's
// balance; `spread_cost` is half the quoted spread times the quantity (what crossing from mid
// costs), `slippage_cost` the extra distance from the quote to the fill price.
struct Fill {
  OrderId order = 0;
  PositionId position = 0;
  InstrumentIndex instrument = 0;
  Side side = Side::kBuy;
  double quantity = 0;
  Price price;
  UnixNanos time;
  Money commission;
  Money spread_cost;
  Money slippage_cost;
  std::string tag;
};

// An open position. Netting mode keeps at most one per instrument; hedging mode one per opening
// fill (opposite fills open a new position unless close_position names one).
struct Position {
  PositionId id = 0;
  InstrumentIndex instrument = 0;
  Side side = Side::kBuy;
  double quantity = 0;  // > 0
  double avg_price = 0;
  UnixNanos opened;
  Bracket bracket;
  double trail_anchor = kNone;  // best price seen since entry (for the trailing stop)
  std::string tag;
};

// What a strategy and the risk guard may read about the account, in the account currency.
class AccountView {
 public:
  virtual ~AccountView() = default;
  virtual std::string_view currency() const = 0;  // "USD"
  virtual Money balance() const = 0;               // realised: deposits + closed P&L - costs
  virtual Money equity() const = 0;                // balance + unrealised P&L at current quotes
  virtual Money margin_used() const = 0;
  virtual Money free_margin() const = 0;           // equity - margin_used
  virtual double leverage_max() const = 0;         // account leverage cap (e.g. 30)
  virtual std::span<const Position> positions() const = 0;
  virtual const fx::Instrument& instrument(InstrumentIndex i) const = 0;
  virtual size_t instrument_count() const = 0;
  // The latest quote of an instrument (ts_event 0 when none yet).
  virtual const QuoteTick& quote(InstrumentIndex i) const = 0;
  // Converts `amount` of currency `ccy` ("JPY") to the account currency at the latest rates of
  // the loaded pairs (direct, inverse or through USD). NotFound when no loaded pair gives a rate.
  virtual Result<double> ToAccount(double amount, std::string_view ccy) const = 0;
};

// The execution interface: the simulated broker implements it, live brokers will.
// Outcomes (fills, rejections, cancels) are reported through ExecutionListener, in time order.
class ExecutionListener {
 public:
  virtual ~ExecutionListener() = default;
  virtual void OnFill(const Fill& fill) = 0;
  virtual void OnOrderUpdate(const Order& order) = 0;  // working / cancelled / rejected
};

class ExecutionClient {
 public:
  virtual ~ExecutionClient() = default;
  // Accepts an order (its id) or rejects it at once (InvalidArgument for a malformed order,
  // FailedPrecondition naming the reason, e.g. insufficient margin).
  virtual Result<OrderId> SubmitOrder(const OrderRequest& order) = 0;
  virtual Status CancelOrder(OrderId id) = 0;
  // Market-closes a position (whole), with the given exit reason in the trade list.
  virtual Status ClosePosition(PositionId id, ExitReason reason) = 0;
  virtual const AccountView& account() const = 0;
  virtual void SetListener(ExecutionListener* listener) = 0;
};

// Pre-trade check, run before every order reaches the broker (the risk module implements it).
class OrderGuard {
 public:
  virtual ~OrderGuard() = default;
  // OK to pass the order on; otherwise the order is rejected and the status message is recorded
  // as the reason (e.g. "net USD exposure 2.1x equity exceeds the 2.0x limit").
  virtual Status Check(const OrderRequest& order, const AccountView& account, UnixNanos now) = 0;
  enum class Action : uint8_t { kNone, kFlatten, kFlattenAndHalt };
  // Called at every mark (each bar, and each quote that moves equity in tick mode). kFlatten
  // closes every position (ExitReason::kCircuitBreaker) and leaves later orders to Check (e.g.
  // a daily loss limit blocks them until the next trading day); kFlattenAndHalt also makes the
  // engine reject every later order (a drawdown breaker).
  virtual Action OnMark(const AccountView& account, UnixNanos now) = 0;
};

// What a strategy can do: the same in a backtest and live.
class StrategyContext {
 public:
  virtual ~StrategyContext() = default;
  virtual UnixNanos Now() const = 0;
  virtual const AccountView& account() const = 0;
  // Runs the guard, then the broker. FailedPrecondition with the guard's reason when rejected.
  virtual Result<OrderId> Submit(const OrderRequest& order) = 0;
  virtual Status Cancel(OrderId id) = 0;
  virtual Status Close(PositionId id) = 0;
  // The instrument index of a symbol in this run ("EURUSD"); NotFound otherwise.
  virtual Result<InstrumentIndex> Find(std::string_view symbol) const = 0;
};

// A trading strategy. All callbacks run on the engine's event loop, in time order; `ctx.Now()`
// is the event's time. A strategy reads only what it is handed: it cannot see the future.
class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual void OnStart(StrategyContext& ctx) { (void)ctx; }
  virtual void OnQuote(StrategyContext& ctx, InstrumentIndex i, const QuoteTick& q) {
    (void)ctx, (void)i, (void)q;
  }
  // A completed bar (ts_close <= Now()), bid prices; the bar's mean spread gives the ask side.
  virtual void OnBar(StrategyContext& ctx, InstrumentIndex i, const Bar& bid_bar) {
    (void)ctx, (void)i, (void)bid_bar;
  }
  virtual void OnFill(StrategyContext& ctx, const Fill& fill) { (void)ctx, (void)fill; }
  virtual void OnOrderUpdate(StrategyContext& ctx, const Order& order) {
    (void)ctx, (void)order;
  }
  virtual void OnEnd(StrategyContext& ctx) { (void)ctx; }
};

}  // namespace arus::backtest
