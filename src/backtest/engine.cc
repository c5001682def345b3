#include "backtest/engine.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <limits>
#include <utility>

#include "bars/bar_aggregator.h"
#include "core/clock.h"
#include "core/file.h"
#include "core/toml_util.h"
#include "store/tick_store.h"

namespace arus::backtest {

// ---- Config ---------------------------------------------------------------------------------

namespace {

constexpr const char* kConfigKeys[] = {"account_currency",
                                       "initial_balance",
                                       "leverage",
                                       "mode",
                                       "slippage",
                                       "slippage_pips",
                                       "slippage_spread_fraction",
                                       "slippage_vol_k",
                                       "slippage_vol_window",
                                       "latency",
                                       "commission",
                                       "commission_rate",
                                       "margin_call_level",
                                       "stop_out_level",
                                       "mark_interval",
                                       "tick_bars"};

class KeyError {
 public:
  KeyError(const std::string& origin, std::string table)
      : origin_(origin), table_(std::move(table)) {}
  Status operator()(const toml::node& node, std::string_view key, std::string_view what) const {
    std::string m = origin_;
    const auto line = node.source().begin.line;
    if (line > 0) m += ":" + std::to_string(line);
    m += ": ";
    if (!table_.empty()) m += "[" + table_ + "] ";
    m += "key '" + std::string(key) + "': ";
    m += what;
    return InvalidArgument(std::move(m));
  }

 private:
  const std::string& origin_;
  std::string table_;
};

Result<double> Number(const KeyError& err, const toml::node& n, std::string_view key) {
  if (!n.is_number()) return err(n, key, "expected a number, got " + TomlTypeName(n));
  const double v = *n.value<double>();
  if (!std::isfinite(v)) return err(n, key, "must be finite");
  return v;
}

Result<std::string> String(const KeyError& err, const toml::node& n, std::string_view key) {
  if (!n.is_string()) return err(n, key, "expected a string, got " + TomlTypeName(n));
  return *n.value<std::string>();
}

template <typename E>
Result<E> Choice(const KeyError& err, const toml::node& n, std::string_view key,
                 std::initializer_list<std::pair<const char*, E>> choices) {
  ARUS_ASSIGN_OR_RETURN(std::string s, String(err, n, key));
  std::string names;
  for (const auto& [name, value] : choices) {
    if (s == name) return value;
    if (!names.empty()) names += ", ";
    names += name;
  }
  return err(n, key, "expected one of " + names + ", got '" + s + "'");
}

Status ApplyKey(const KeyError& err, std::string_view key, const toml::node& n, BacktestConfig* c) {
  BrokerConfig& b = c->broker;
  if (key == "account_currency") {
    ARUS_ASSIGN_OR_RETURN(std::string s, String(err, n, key));
    b.account_currency = s;
  } else if (key == "initial_balance") {
    ARUS_ASSIGN_OR_RETURN(b.initial_balance, Number(err, n, key));
  } else if (key == "leverage") {
    ARUS_ASSIGN_OR_RETURN(b.leverage, Number(err, n, key));
  } else if (key == "mode") {
    ARUS_ASSIGN_OR_RETURN(b.mode, Choice<AccountMode>(err, n, key,
                                                      {{"netting", AccountMode::kNetting},
                                                       {"hedging", AccountMode::kHedging}}));
  } else if (key == "slippage") {
    ARUS_ASSIGN_OR_RETURN(b.slippage.model,
                          Choice<SlippageModel>(err, n, key,
                                                {{"none", SlippageModel::kNone},
                                                 {"fixed", SlippageModel::kFixedPips},
                                                 {"spread", SlippageModel::kSpreadFraction},
                                                 {"volatility", SlippageModel::kVolatility}}));
  } else if (key == "slippage_pips") {
    ARUS_ASSIGN_OR_RETURN(b.slippage.pips, Number(err, n, key));
  } else if (key == "slippage_spread_fraction") {
    ARUS_ASSIGN_OR_RETURN(b.slippage.spread_fraction, Number(err, n, key));
  } else if (key == "slippage_vol_k") {
    ARUS_ASSIGN_OR_RETURN(b.slippage.vol_k, Number(err, n, key));
  } else if (key == "slippage_vol_window") {
    if (!n.is_integer()) return err(n, key, "expected an integer, got " + TomlTypeName(n));
    const int64_t w = *n.value<int64_t>();
    if (w < 1 || w > 1'000'000) return err(n, key, "must be in [1, 1000000]");
    b.slippage.vol_window = static_cast<int>(w);
  } else if (key == "latency" || key == "mark_interval") {
    ARUS_ASSIGN_OR_RETURN(std::string s, String(err, n, key));
    Result<Duration> d = ParseDuration(s);
    if (!d.ok()) return err(n, key, d.status().message());
    if (d->count() < 0) return err(n, key, "must not be negative");
    (key == "latency" ? b.latency : c->mark_interval) = *d;
  } else if (key == "commission") {
    ARUS_ASSIGN_OR_RETURN(b.commission_mode,
                          Choice<CommissionMode>(err, n, key,
                                                 {{"instrument", CommissionMode::kInstrument},
                                                  {"per_million", CommissionMode::kPerMillion},
                                                  {"per_lot", CommissionMode::kPerLot},
                                                  {"none", CommissionMode::kNone}}));
  } else if (key == "commission_rate") {
    ARUS_ASSIGN_OR_RETURN(b.commission_rate, Number(err, n, key));
  } else if (key == "margin_call_level") {
    ARUS_ASSIGN_OR_RETURN(b.margin_call_level, Number(err, n, key));
  } else if (key == "stop_out_level") {
    ARUS_ASSIGN_OR_RETURN(b.stop_out_level, Number(err, n, key));
  } else if (key == "tick_bars") {
    ARUS_ASSIGN_OR_RETURN(std::string s, String(err, n, key));
    if (s.empty()) {
      c->tick_bars.reset();
    } else {
      Result<bars::Timeframe> tf = bars::ParseTimeframe(s);
      if (!tf.ok()) return err(n, key, tf.status().message());
      c->tick_bars = *tf;
    }
  } else {
    std::string known;
    for (const char* k : kConfigKeys) {
      if (!known.empty()) known += ", ";
      known += k;
    }
    return err(n, key, "unknown key (known: " + known + ")");
  }
  return Status::Ok();
}

}  // namespace

Result<BacktestConfig> ParseBacktestConfig(std::string_view toml_text, const std::string& origin,
                                           std::string_view table) {
  ARUS_ASSIGN_OR_RETURN(toml::table root, ParseTomlText(toml_text, origin));
  BacktestConfig config;
  const toml::table* t = &root;
  if (!table.empty()) {
    const toml::node* node = root.get(table);
    if (node == nullptr) return config;
    t = node->as_table();
    if (t == nullptr) {
      return KeyError(origin, "")(*node, table, "expected a table, got " + TomlTypeName(*node));
    }
  }
  const KeyError err(origin, std::string(table));
  for (const auto& [k, node] : *t) {
    ARUS_RETURN_IF_ERROR(ApplyKey(err, k.str(), node, &config));
  }
  if (Status st = ValidateBrokerConfig(config.broker); !st.ok()) {
    return st.WithContext(origin);
  }
  return config;
}

Result<BacktestConfig> LoadBacktestConfig(const std::string& path, std::string_view table) {
  ARUS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseBacktestConfig(text, path, table);
}

// ---- The run --------------------------------------------------------------------------------

namespace {

std::string SeriesError(const std::string& symbol, int64_t index, UnixNanos t,
                        std::string_view what) {
  return "backtest input " + symbol + " record " + std::to_string(index) + " at " + t.ToIso() +
         ": " + std::string(what);
}

// Everything one run owns: clock, broker, the context the strategy sees, the result.
class Runner final : public StrategyContext, public ExecutionListener {
 public:
  Runner(const BacktestConfig& config, const fx::FxCalendar& calendar, Strategy& strategy,
         OrderGuard* guard)
      : config_(config), calendar_(calendar), strategy_(strategy), guard_(guard) {}

  Status Init(std::vector<fx::Instrument> instruments, FillMode mode) {
    symbols_.reserve(instruments.size());
    for (const fx::Instrument& in : instruments) symbols_.push_back(in.symbol);
    ARUS_ASSIGN_OR_RETURN(broker_, SimulatedBroker::Create(config_.broker, std::move(instruments),
                                                           clock_, calendar_, mode));
    broker_->SetListener(this);
    result_.account_currency = std::string(broker_->currency());
    result_.initial_balance = broker_->balance();
    if (mode == FillMode::kTicks && config_.tick_bars.has_value()) {
      aggregators_.reserve(symbols_.size());
      for (size_t i = 0; i < symbols_.size(); ++i) {
        aggregators_.emplace_back(*config_.tick_bars, PriceSide::kBid, calendar_);
      }
    }
    return Status::Ok();
  }

  // ---- StrategyContext ----
  UnixNanos Now() const override { return clock_.Now(); }
  const AccountView& account() const override { return *broker_; }
  Result<OrderId> Submit(const OrderRequest& order) override {
    if (halted_) {
      Reject(order, result_.halt_reason);
      return FailedPrecondition(result_.halt_reason);
    }
    if (guard_ != nullptr) {
      const Status st = guard_->Check(order, *broker_, clock_.Now());
      if (!st.ok()) {
        Reject(order, st.message());
        return FailedPrecondition(st.message());
      }
    }
    Result<OrderId> r = broker_->SubmitOrder(order);
    if (!r.ok()) Reject(order, r.status().message());
    return r;
  }
  Status Cancel(OrderId id) override { return broker_->CancelOrder(id); }
  Status Close(PositionId id) override {
    if (halted_) return FailedPrecondition(result_.halt_reason);
    return broker_->ClosePosition(id, ExitReason::kSignal);
  }
  Result<InstrumentIndex> Find(std::string_view symbol) const override {
    const std::string want = fx::InstrumentTable::NormalizeSymbol(symbol);
    std::string known;
    for (size_t i = 0; i < symbols_.size(); ++i) {
      if (fx::InstrumentTable::NormalizeSymbol(symbols_[i]) == want) {
        return static_cast<InstrumentIndex>(i);
      }
      if (!known.empty()) known += ", ";
      known += symbols_[i];
    }
    return NotFound("symbol '" + std::string(symbol) + "' is not in this backtest (" + known + ")");
  }

  // ---- ExecutionListener ----
  void OnFill(const Fill& fill) override {
    result_.fills.push_back(fill);
    PushEquity(clock_.Now());
    queue_.push_back(Event{true, fill, Order{}});
  }
  void OnOrderUpdate(const Order& order) override {
    if (order.status == OrderStatus::kRejected) {
      result_.rejections.push_back(Rejection{clock_.Now(), order.request, order.reject_reason});
    }
    queue_.push_back(Event{false, Fill{}, order});
  }

  // ---- Driving ----
  Status Start(UnixNanos t) {
    ARUS_RETURN_IF_ERROR(clock_.AdvanceTo(t));
    result_.start = t;
    // The start is a point of its own; the first mark is at the next interval (or at the first
    // quote when marking every quote).
    const int64_t step = config_.mark_interval.count();
    next_mark_ = step > 0 ? t.FloorTo(config_.mark_interval).ns() + step : t.ns();
    PushEquity(t);
    strategy_.OnStart(*this);
    Drain();
    return broker_->error();
  }

  // One quote. False when the run must stop (broker error); the status is in error().
  bool OnTick(InstrumentIndex i, const QuoteTick& q) {
    (void)clock_.AdvanceTo(q.ts_event);
    broker_->AdvanceTo(q.ts_event);
    broker_->OnQuote(i, q);
    if (broker_->failed()) return false;
    ++result_.events;
    if (!queue_.empty()) Drain();
    if (q.ts_event.ns() >= next_mark_) Mark(q.ts_event);
    if (!aggregators_.empty()) DeliverTickBars(i, q);
    strategy_.OnQuote(*this, i, q);
    if (!queue_.empty()) Drain();
    return !broker_->failed();
  }

  // Every bar closing at `t` (slice[k] of instrument idx[k]).
  bool OnBarSlice(UnixNanos t, std::span<const InstrumentIndex> idx,
                  std::span<const Bar* const> slice) {
    (void)clock_.AdvanceTo(t);
    for (size_t k = 0; k < idx.size(); ++k) {
      broker_->OnBarFills(idx[k], *slice[k]);
      if (broker_->failed()) return false;
    }
    broker_->AdvanceTo(t);
    for (size_t k = 0; k < idx.size(); ++k) broker_->OnBarClose(idx[k], *slice[k]);
    broker_->CheckStopOut();
    if (broker_->failed()) return false;
    result_.events += idx.size();
    if (!queue_.empty()) Drain();
    Mark(t);
    for (size_t k = 0; k < idx.size(); ++k) {
      strategy_.OnBar(*this, idx[k], *slice[k]);
      if (!queue_.empty()) Drain();
    }
    return !broker_->failed();
  }

  Result<BacktestResult> Finish(UnixNanos end) {
    ARUS_RETURN_IF_ERROR(broker_->error());
    strategy_.OnEnd(*this);
    Drain();
    broker_->CloseAll(ExitReason::kEndOfData);
    ARUS_RETURN_IF_ERROR(broker_->error());
    queue_.clear();  // OnEnd has run: the strategy is not called again
    result_.end = std::max(end, clock_.Now());
    PushEquity(result_.end);
    result_.trades = broker_->TakeTrades();
    std::stable_sort(result_.trades.begin(), result_.trades.end(),
                     [](const Trade& a, const Trade& b) { return a.exit_time < b.exit_time; });
    result_.costs = broker_->costs();
    return std::move(result_);
  }

  const Status& error() const { return broker_->error(); }
  const BrokerStats& stats() const { return broker_->stats(); }

 private:
  struct Event {
    bool is_fill;
    Fill fill;
    Order order;
  };

  void Reject(const OrderRequest& order, const std::string& reason) {
    result_.rejections.push_back(Rejection{clock_.Now(), order, reason});
  }

  void PushEquity(UnixNanos t) {
    EquityPoint p;
    p.time = t;
    p.balance = broker_->balance();
    p.equity = broker_->equity();
    p.margin_used = broker_->margin_used();
    p.gross_exposure = broker_->GrossExposure();
    result_.equity.push_back(p);
  }

  void Mark(UnixNanos t) {
    PushEquity(t);
    const int64_t step = config_.mark_interval.count();
    next_mark_ = step > 0 ? t.FloorTo(config_.mark_interval).ns() + step : t.ns() + 1;
    if (guard_ == nullptr || halted_) return;
    const OrderGuard::Action action = guard_->OnMark(*broker_, t);
    if (action == OrderGuard::Action::kNone) return;
    if (action == OrderGuard::Action::kFlattenAndHalt) {
      halted_ = true;
      result_.halted = true;
      result_.halt_reason = "trading halted by the risk guard (flatten-and-halt) at " + t.ToIso();
    }
    ++result_.guard_flattens;
    broker_->CloseAll(ExitReason::kCircuitBreaker);
    Drain();
  }

  void DeliverTickBars(InstrumentIndex i, const QuoteTick& q) {
    bars::BarAggregator& agg = aggregators_[i];
    (void)agg.Update(q);  // inputs are validated to be in order
    if (agg.completed().empty()) return;
    bars_scratch_.assign(agg.completed().begin(), agg.completed().end());
    agg.ClearCompleted();
    for (const Bar& b : bars_scratch_) {
      strategy_.OnBar(*this, i, b);
      if (!queue_.empty()) Drain();
    }
  }

  void Drain() {
    for (size_t k = 0; k < queue_.size(); ++k) {
      Event ev = std::move(queue_[k]);
      if (ev.is_fill) {
        strategy_.OnFill(*this, ev.fill);
      } else {
        strategy_.OnOrderUpdate(*this, ev.order);
      }
    }
    queue_.clear();
  }

  const BacktestConfig& config_;
  const fx::FxCalendar& calendar_;
  Strategy& strategy_;
  OrderGuard* guard_;
  SimulatedClock clock_;
  std::unique_ptr<SimulatedBroker> broker_;
  std::vector<std::string> symbols_;
  std::vector<Event> queue_;
  std::vector<bars::BarAggregator> aggregators_;
  std::vector<Bar> bars_scratch_;
  int64_t next_mark_ = 0;
  bool halted_ = false;
  BacktestResult result_;
};

// One symbol's tick stream: an in-memory span, or blocks from a store scanner.
struct TickStream {
  std::span<const QuoteTick> block;
  size_t pos = 0;
  int64_t consumed = 0;  // ticks before `block` (for messages)
  int64_t last_ts = std::numeric_limits<int64_t>::min();
  store::TickScanner* scanner = nullptr;

  // Loads the next block; false at the end.
  Result<bool> Refill() {
    consumed += static_cast<int64_t>(block.size());
    block = {};
    pos = 0;
    if (scanner == nullptr) return false;
    ARUS_ASSIGN_OR_RETURN(block, scanner->Next());
    return !block.empty();
  }
};

Status BadTick(const std::string& symbol, const TickStream& s, const QuoteTick& q) {
  const int64_t index = s.consumed + static_cast<int64_t>(s.pos);
  if (q.ts_event.ns() <= 0) {
    return InvalidArgument(SeriesError(symbol, index, q.ts_event, "timestamp must be after 1970"));
  }
  if (q.ts_event.ns() < s.last_ts) {
    return InvalidArgument(
        SeriesError(symbol, index, q.ts_event,
                    "out of time order (previous tick at " + UnixNanos(s.last_ts).ToIso() + ")"));
  }
  return InvalidArgument(SeriesError(
      symbol, index, q.ts_event,
      "needs 0 < bid <= ask, got bid " + q.bid.ToString(9) + " ask " + q.ask.ToString(9)));
}

inline bool TickOk(const QuoteTick& q, int64_t last_ts) {
  return q.ts_event.ns() >= last_ts && q.ts_event.ns() > 0 && q.bid.raw() > 0 && q.ask >= q.bid;
}

// Merges the streams by (ts_event, instrument index) and feeds the runner.
Status RunTickLoop(Runner& run, std::vector<TickStream>& streams,
                   const std::vector<std::string>& symbols, UnixNanos* last_time) {
  constexpr int64_t kEnd = std::numeric_limits<int64_t>::max();
  const size_t n = streams.size();
  std::vector<int64_t> head(n, kEnd);
  for (size_t s = 0; s < n; ++s) {
    if (streams[s].block.empty()) {
      ARUS_ASSIGN_OR_RETURN(bool more, streams[s].Refill());
      if (!more) continue;
    }
    head[s] = streams[s].block[0].ts_event.ns();
  }
  // Tick at the first instant: OnStart sees the clock there.
  int64_t first = kEnd;
  for (int64_t h : head) first = std::min(first, h);
  if (first == kEnd) return InvalidArgument("backtest: no ticks in the input");
  ARUS_RETURN_IF_ERROR(run.Start(UnixNanos(first)));
  int64_t last = first;
  if (n == 1) {
    // One symbol: a straight loop over its blocks.
    TickStream& st = streams[0];
    for (;;) {
      const QuoteTick* data = st.block.data();
      const size_t size = st.block.size();
      int64_t prev = st.last_ts;
      for (size_t pos = st.pos; pos < size; ++pos) {
        const QuoteTick& q = data[pos];
        if (!TickOk(q, prev)) {
          st.pos = pos;
          st.last_ts = prev;
          return BadTick(symbols[0], st, q);
        }
        if (!run.OnTick(0, q)) return run.error();
        prev = q.ts_event.ns();
      }
      st.last_ts = prev;
      if (size > 0) last = prev;
      ARUS_ASSIGN_OR_RETURN(bool more, st.Refill());
      if (!more) break;
    }
  } else {
    // Several: pick the earliest head (lowest index on ties) with a branch-free scan; streams
    // interleave tick by tick, so a branchy merge would mispredict on most ticks.
    for (;;) {
      size_t s = 0;
      int64_t best = head[0];
      for (size_t k = 1; k < n; ++k) {
        const int64_t h = head[k];
        const bool lt = h < best;
        best = lt ? h : best;
        s = lt ? k : s;
      }
      if (best == kEnd) break;
      TickStream& st = streams[s];
      const QuoteTick& q = st.block[st.pos];
      if (!TickOk(q, st.last_ts)) return BadTick(symbols[s], st, q);
      if (!run.OnTick(static_cast<InstrumentIndex>(s), q)) return run.error();
      st.last_ts = best;
      last = best;
      if (++st.pos == st.block.size()) {
        ARUS_ASSIGN_OR_RETURN(bool more, st.Refill());
        if (!more) {
          head[s] = kEnd;
          continue;
        }
      }
      head[s] = st.block[st.pos].ts_event.ns();
    }
  }
  *last_time = UnixNanos(last);
  return Status::Ok();
}

Status CheckBar(const std::string& symbol, int64_t index, const Bar& b, const Bar* prev) {
  auto err = [&](std::string_view what) {
    return InvalidArgument(SeriesError(symbol, index, b.ts_open, what));
  };
  if (b.ts_open.ns() <= 0) return err("ts_open must be after 1970");
  if (!(b.ts_close > b.ts_open)) return err("ts_close must be after ts_open");
  if (prev != nullptr && b.ts_open < prev->ts_close) {
    return err("out of time order (previous bar closes at " + prev->ts_close.ToIso() + ")");
  }
  if (b.low.raw() <= 0 || b.low > b.open || b.low > b.close || b.high < b.open ||
      b.high < b.close) {
    return err("needs 0 < low <= open, close <= high");
  }
  if (!std::isfinite(b.spread_mean) || b.spread_mean < 0) {
    return err("spread_mean must be finite and >= 0");
  }
  return Status::Ok();
}

Status RunBarLoop(Runner& run, std::span<const BarSeries> series, UnixNanos* last_time) {
  constexpr int64_t kEnd = std::numeric_limits<int64_t>::max();
  const size_t n = series.size();
  std::vector<size_t> pos(n, 0);
  auto head = [&](size_t s) {
    return pos[s] < series[s].bid_bars.size() ? series[s].bid_bars[pos[s]].ts_close.ns() : kEnd;
  };
  // Validate everything first: bar inputs are small and a half-run is worse than none.
  for (size_t s = 0; s < n; ++s) {
    const auto& bars = series[s].bid_bars;
    for (size_t k = 0; k < bars.size(); ++k) {
      ARUS_RETURN_IF_ERROR(CheckBar(series[s].instrument.symbol, static_cast<int64_t>(k), bars[k],
                                    k > 0 ? &bars[k - 1] : nullptr));
    }
  }
  int64_t first = kEnd;
  for (size_t s = 0; s < n; ++s) {
    if (!series[s].bid_bars.empty()) first = std::min(first, series[s].bid_bars[0].ts_open.ns());
  }
  if (first == kEnd) return InvalidArgument("backtest: no bars in the input");
  ARUS_RETURN_IF_ERROR(run.Start(UnixNanos(first)));
  std::vector<InstrumentIndex> idx;
  std::vector<const Bar*> slice;
  idx.reserve(n);
  slice.reserve(n);
  int64_t last = first;
  for (;;) {
    int64_t t = kEnd;
    for (size_t s = 0; s < n; ++s) t = std::min(t, head(s));
    if (t == kEnd) break;
    idx.clear();
    slice.clear();
    for (size_t s = 0; s < n; ++s) {
      if (head(s) == t) {
        idx.push_back(static_cast<InstrumentIndex>(s));
        slice.push_back(&series[s].bid_bars[pos[s]]);
        ++pos[s];
      }
    }
    if (!run.OnBarSlice(UnixNanos(t), idx, slice)) return run.error();
    last = t;
  }
  *last_time = UnixNanos(last);
  return Status::Ok();
}

}  // namespace

BacktestEngine::BacktestEngine(BacktestConfig config, const fx::FxCalendar& calendar)
    : config_(std::move(config)), calendar_(calendar) {}

BacktestEngine::~BacktestEngine() = default;

Result<BacktestResult> BacktestEngine::RunTicks(std::span<const TickSeries> series,
                                                Strategy& strategy, OrderGuard* guard) {
  std::vector<fx::Instrument> instruments;
  std::vector<TickStream> streams(series.size());
  std::vector<std::string> symbols;
  for (size_t s = 0; s < series.size(); ++s) {
    instruments.push_back(series[s].instrument);
    symbols.push_back(series[s].instrument.symbol);
    streams[s].block = series[s].ticks;
  }
  Runner run(config_, calendar_, strategy, guard);
  ARUS_RETURN_IF_ERROR(run.Init(std::move(instruments), FillMode::kTicks));
  UnixNanos last;
  const Status st = RunTickLoop(run, streams, symbols, &last);
  last_stats_ = run.stats();
  ARUS_RETURN_IF_ERROR(st);
  Result<BacktestResult> r = run.Finish(last);
  last_stats_ = run.stats();
  return r;
}

Result<BacktestResult> BacktestEngine::RunBars(std::span<const BarSeries> series,
                                               Strategy& strategy, OrderGuard* guard) {
  std::vector<fx::Instrument> instruments;
  for (const BarSeries& s : series) instruments.push_back(s.instrument);
  Runner run(config_, calendar_, strategy, guard);
  ARUS_RETURN_IF_ERROR(run.Init(std::move(instruments), FillMode::kBars));
  UnixNanos last;
  const Status st = RunBarLoop(run, series, &last);
  last_stats_ = run.stats();
  ARUS_RETURN_IF_ERROR(st);
  Result<BacktestResult> r = run.Finish(last);
  last_stats_ = run.stats();
  return r;
}

Result<BacktestResult> BacktestEngine::RunStoreTicks(const store::TickStore& store,
                                                     std::span<const fx::Instrument> instruments,
                                                     UnixNanos from, UnixNanos to,
                                                     Strategy& strategy, OrderGuard* guard) {
  if (!(from < to)) {
    return InvalidArgument("backtest: empty time range [" + from.ToIso() + ", " + to.ToIso() + ")");
  }
  std::vector<std::unique_ptr<store::TickScanner>> scanners;
  std::vector<TickStream> streams(instruments.size());
  std::vector<std::string> symbols;
  for (size_t s = 0; s < instruments.size(); ++s) {
    Result<std::unique_ptr<store::TickScanner>> sc = store.Scan(instruments[s].symbol, from, to);
    if (!sc.ok()) return sc.status().WithContext("backtest");
    scanners.push_back(std::move(*sc));
    streams[s].scanner = scanners.back().get();
    symbols.push_back(instruments[s].symbol);
  }
  Runner run(config_, calendar_, strategy, guard);
  ARUS_RETURN_IF_ERROR(run.Init(std::vector<fx::Instrument>(instruments.begin(), instruments.end()),
                                FillMode::kTicks));
  UnixNanos last;
  const Status st = RunTickLoop(run, streams, symbols, &last);
  last_stats_ = run.stats();
  ARUS_RETURN_IF_ERROR(st);
  Result<BacktestResult> r = run.Finish(last);
  last_stats_ = run.stats();
  return r;
}

Result<BacktestResult> BacktestEngine::RunStoreBars(const store::TickStore& store,
                                                    std::span<const fx::Instrument> instruments,
                                                    std::string_view timeframe, UnixNanos from,
                                                    UnixNanos to, Strategy& strategy,
                                                    OrderGuard* guard) {
  std::vector<store::BarData> data;
  std::vector<BarSeries> series;
  data.reserve(instruments.size());
  for (const fx::Instrument& in : instruments) {
    const store::BarSeriesKey key{in.symbol, std::string(timeframe), "bid"};
    Result<store::BarData> d = store.ReadAllBars(key, from, to);
    if (!d.ok()) return d.status().WithContext("backtest");
    data.push_back(std::move(*d));
  }
  for (size_t s = 0; s < instruments.size(); ++s) {
    series.push_back(BarSeries{instruments[s], data[s].bars});
  }
  return RunBars(series, strategy, guard);
}

}  // namespace arus::backtest
