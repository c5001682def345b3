// The engine: event order, the strategy context, guard and circuit breaker, end of data, marks,
// bar mode, tick bars, config parsing, store input, bad input and determinism.
#include "backtest/engine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "store/tick_store.h"

namespace arus::backtest {
namespace {

Price P(const char* text) { return *Price::Parse(text); }
UnixNanos T(const char* iso) { return *ParseIsoUtc(iso); }
Money M(double amount) { return Money::FromDouble(amount); }
Duration Ms(int64_t ms) { return Duration(ms * kNanosPerMilli); }

fx::Instrument Inst(const char* symbol, double commission = 0) {
  fx::Instrument in = **fx::InstrumentTable::Builtin().Find(symbol);
  in.commission_per_million = commission;
  in.swap_long = 0;
  in.swap_short = 0;
  return in;
}

QuoteTick Q(UnixNanos t, const char* bid, const char* ask) {
  QuoteTick q;
  q.ts_event = t;
  q.bid = P(bid);
  q.ask = P(ask);
  return q;
}

// A strategy made of lambdas that records what it is told.
class Script : public Strategy {
 public:
  std::function<void(StrategyContext&)> on_start;
  std::function<void(StrategyContext&, InstrumentIndex, const QuoteTick&)> on_quote;
  std::function<void(StrategyContext&, InstrumentIndex, const Bar&)> on_bar;
  std::function<void(StrategyContext&)> on_end;
  std::vector<Fill> fills;
  std::vector<Order> updates;
  std::vector<std::pair<int64_t, InstrumentIndex>> quotes;  // (Now, instrument)
  std::vector<Bar> bars;
  int ends = 0;

  void OnStart(StrategyContext& ctx) override {
    if (on_start) on_start(ctx);
  }
  void OnQuote(StrategyContext& ctx, InstrumentIndex i, const QuoteTick& q) override {
    quotes.emplace_back(ctx.Now().ns(), i);
    EXPECT_EQ(ctx.Now(), q.ts_event);
    if (on_quote) on_quote(ctx, i, q);
  }
  void OnBar(StrategyContext& ctx, InstrumentIndex i, const Bar& b) override {
    EXPECT_LE(b.ts_close, ctx.Now());  // completed bars only
    bars.push_back(b);
    if (on_bar) on_bar(ctx, i, b);
  }
  void OnFill(StrategyContext&, const Fill& f) override { fills.push_back(f); }
  void OnOrderUpdate(StrategyContext&, const Order& o) override { updates.push_back(o); }
  void OnEnd(StrategyContext& ctx) override {
    ++ends;
    if (on_end) on_end(ctx);
  }
};

OrderRequest Market(InstrumentIndex i, Side side, double qty) {
  OrderRequest r;
  r.instrument = i;
  r.side = side;
  r.quantity = qty;
  return r;
}

const UnixNanos kT0 = T("2024-01-09T10:00:00Z");  // Tuesday

TEST(EngineTest, MergesSymbolsInTimeOrderWithIndexTieBreak) {
  std::vector<QuoteTick> eur = {Q(kT0, "1.1", "1.1002"), Q(kT0 + Ms(20), "1.1", "1.1002"),
                                Q(kT0 + Ms(30), "1.1", "1.1002")};
  std::vector<QuoteTick> gbp = {Q(kT0 + Ms(10), "1.27", "1.2702"),
                                Q(kT0 + Ms(20), "1.27", "1.2702"),
                                Q(kT0 + Ms(40), "1.27", "1.2702")};
  std::vector<TickSeries> in = {{Inst("GBPUSD"), gbp}, {Inst("EURUSD"), eur}};
  Script s;
  BacktestEngine engine(BacktestConfig{});
  Result<BacktestResult> r = engine.RunTicks(in, s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::vector<std::pair<int64_t, InstrumentIndex>> want = {
      {kT0.ns(), 1},
      {(kT0 + Ms(10)).ns(), 0},
      {(kT0 + Ms(20)).ns(), 0},  // a tie: index 0 (GBPUSD) first
      {(kT0 + Ms(20)).ns(), 1},
      {(kT0 + Ms(30)).ns(), 1},
      {(kT0 + Ms(40)).ns(), 0}};
  EXPECT_EQ(s.quotes, want);
  EXPECT_EQ(r->events, 6u);
  EXPECT_EQ(r->start, kT0);
  EXPECT_EQ(r->end, kT0 + Ms(40));
  EXPECT_EQ(s.ends, 1);
}

TEST(EngineTest, EndOfDataClosesAtTheLastQuoteWithoutSlippage) {
  std::vector<QuoteTick> eur = {Q(kT0, "1.10000", "1.10020"),
                                Q(kT0 + Ms(500), "1.10050", "1.10070"),
                                Q(kT0 + Ms(900), "1.10150", "1.10170")};
  std::vector<TickSeries> in = {{Inst("EURUSD"), eur}};
  Script s;
  bool sent = false;
  s.on_quote = [&](StrategyContext& ctx, InstrumentIndex i, const QuoteTick&) {
    if (sent) return;
    sent = true;
    OrderRequest r = Market(i, Side::kBuy, 100000);
    r.tag = "entry";
    ASSERT_TRUE(ctx.Submit(r).ok());
    // Filled inside Submit: the position is visible at once.
    EXPECT_EQ(ctx.account().positions().size(), 1u);
  };
  BacktestConfig c;
  c.broker.slippage.model = SlippageModel::kFixedPips;
  c.broker.slippage.pips = 1;
  BacktestEngine engine(c);
  Result<BacktestResult> r = engine.RunTicks(in, s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->trades.size(), 1u);
  const Trade& t = r->trades[0];
  EXPECT_EQ(t.exit_reason, ExitReason::kEndOfData);
  EXPECT_DOUBLE_EQ(t.entry_price, 1.1003);  // ask + 1 pip slippage
  EXPECT_DOUBLE_EQ(t.exit_price, 1.1015);   // the last bid, no slippage
  EXPECT_EQ(t.exit_time, kT0 + Ms(900));
  EXPECT_EQ(t.tag, "entry");
  EXPECT_EQ(t.gross_pnl, M(120));
  ASSERT_EQ(s.fills.size(), 1u);  // the end-of-data close comes after OnEnd
  EXPECT_EQ(r->fills.size(), 2u);
  EXPECT_EQ(r->costs.slippage, M(10));
  EXPECT_EQ(r->equity.back().balance, M(100120));
  EXPECT_EQ(r->equity.back().equity, M(100120));
  EXPECT_EQ(r->equity.front().equity, M(100000));
  EXPECT_EQ(r->account_currency, "USD");
  EXPECT_EQ(r->initial_balance, M(100000));
}

TEST(EngineTest, OrdersFromOnStartFillAtTheFirstQuote) {
  std::vector<QuoteTick> eur = {Q(kT0, "1.10000", "1.10020"), Q(kT0 + Ms(5), "1.1", "1.1002")};
  std::vector<TickSeries> in = {{Inst("EURUSD"), eur}};
  Script s;
  s.on_start = [&](StrategyContext& ctx) {
    EXPECT_EQ(ctx.Now(), kT0);
    ASSERT_TRUE(ctx.Find("eur/usd").ok());
    EXPECT_EQ(*ctx.Find("EURUSD"), 0u);
    EXPECT_EQ(ctx.Find("USDJPY").status().code(), StatusCode::kNotFound);
    ASSERT_TRUE(ctx.Submit(Market(0, Side::kSell, 1000)).ok());
  };
  BacktestEngine engine(BacktestConfig{});
  Result<BacktestResult> r = engine.RunTicks(in, s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->fills.empty());
  EXPECT_EQ(r->fills[0].price, P("1.10000"));
  EXPECT_EQ(r->fills[0].time, kT0);
  ASSERT_EQ(s.fills.size(), 1u);  // delivered before the first OnQuote returns
}

class FakeGuard : public OrderGuard {
 public:
  double max_qty = 1e18;
  int flatten_at_mark = -1;  // 0-based mark index
  Action flatten_action = Action::kFlattenAndHalt;
  int marks = 0;
  std::vector<int64_t> mark_times;
  Status Check(const OrderRequest& o, const AccountView& account, UnixNanos) override {
    EXPECT_EQ(account.currency(), "USD");
    if (o.quantity > max_qty) {
      return FailedPrecondition("quantity " + std::to_string(static_cast<int64_t>(o.quantity)) +
                                " exceeds the 50000 limit");
    }
    return Status::Ok();
  }
  Action OnMark(const AccountView&, UnixNanos now) override {
    mark_times.push_back(now.ns());
    return marks++ == flatten_at_mark ? flatten_action : Action::kNone;
  }
};

std::vector<QuoteTick> EveryTenSeconds(int n, const char* bid = "1.10000",
                                       const char* ask = "1.10020") {
  std::vector<QuoteTick> out;
  for (int k = 0; k < n; ++k) out.push_back(Q(kT0 + Duration(k * 10 * kNanosPerSecond), bid, ask));
  return out;
}

TEST(EngineTest, GuardRejectionIsRecordedWithItsReason) {
  std::vector<QuoteTick> eur = EveryTenSeconds(3);
  std::vector<TickSeries> in = {{Inst("EURUSD"), eur}};
  Script s;
  std::vector<Status> outcomes;
  s.on_quote = [&](StrategyContext& ctx, InstrumentIndex, const QuoteTick&) {
    if (outcomes.empty()) {
      outcomes.push_back(ctx.Submit(Market(0, Side::kBuy, 100000)).status());
      outcomes.push_back(ctx.Submit(Market(0, Side::kBuy, 20000)).status());
    }
  };
  FakeGuard guard;
  guard.max_qty = 50000;
  BacktestEngine engine(BacktestConfig{});
  Result<BacktestResult> r = engine.RunTicks(in, s, &guard);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(outcomes[0].message(), "quantity 100000 exceeds the 50000 limit");
  EXPECT_TRUE(outcomes[1].ok());
  ASSERT_EQ(r->rejections.size(), 1u);
  EXPECT_EQ(r->rejections[0].reason, "quantity 100000 exceeds the 50000 limit");
  EXPECT_EQ(r->rejections[0].order.quantity, 100000);
  EXPECT_EQ(r->rejections[0].time, kT0);
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].quantity, 20000);
}

TEST(EngineTest, BrokerRejectionIsRecordedToo) {
  std::vector<QuoteTick> eur = EveryTenSeconds(2);
  std::vector<TickSeries> in = {{Inst("EURUSD"), eur}};
  Script s;
  Status st;
  s.on_start = [&](StrategyContext& ctx) { st = ctx.Submit(Market(0, Side::kBuy, 0)).status(); };
  BacktestEngine engine(BacktestConfig{});
  Result<BacktestResult> r = engine.RunTicks(in, s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  ASSERT_EQ(r->rejections.size(), 1u);
  EXPECT_NE(r->rejections[0].reason.find("quantity"), std::string::npos);
}

TEST(EngineTest, FlattenAndHaltClosesEverythingAndRejectsLaterOrders) {
  // 12 quotes 10 s apart, marks once a minute: marks at 60 s and 120 s (the start is not one).
  std::vector<QuoteTick> eur = EveryTenSeconds(13);
  std::vector<TickSeries> in = {{Inst("EURUSD"), eur}};
  Script s;
  std::vector<Status> late;
  s.on_quote = [&](StrategyContext& ctx, InstrumentIndex, const QuoteTick& q) {
    if (q.ts_event == kT0) {
      ASSERT_TRUE(ctx.Submit(Market(0, Side::kBuy, 10000)).ok());
      OrderRequest lim = Market(0, Side::kBuy, 10000);
      lim.type = OrderType::kLimit;
      lim.price = P("1.05");
      ASSERT_TRUE(ctx.Submit(lim).ok());
    }
    if (q.ts_event >= kT0 + Duration(70 * kNanosPerSecond) && late.empty()) {
      late.push_back(ctx.Submit(Market(0, Side::kBuy, 10000)).status());
    }
  };
  FakeGuard guard;
  guard.flatten_at_mark = 0;
  BacktestEngine engine(BacktestConfig{});
  Result<BacktestResult> r = engine.RunTicks(in, s, &guard);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->halted);
  EXPECT_NE(r->halt_reason.find("flatten-and-halt"), std::string::npos);
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].exit_reason, ExitReason::kCircuitBreaker);
  EXPECT_EQ(r->trades[0].exit_time, kT0 + Duration(60 * kNanosPerSecond));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].code(), StatusCode::kFailedPrecondition);
  ASSERT_EQ(r->rejections.size(), 1u);
  EXPECT_EQ(r->rejections[0].reason, r->halt_reason);
  // The working limit order was cancelled with the flattening.
  bool cancelled = false;
  for (const Order& o : s.updates) cancelled |= o.status == OrderStatus::kCancelled;
  EXPECT_TRUE(cancelled);
  // Marks: 60 s and 120 s; the guard is not consulted after halting.
  EXPECT_EQ(guard.marks, 1);
}

TEST(EngineTest, FlattenClosesEverythingButLaterOrdersTrade) {
  // A daily-loss style flatten: positions close at the mark, trading goes on.
  std::vector<QuoteTick> eur = EveryTenSeconds(13);
  std::vector<TickSeries> in = {{Inst("EURUSD"), eur}};
  Script s;
  std::vector<Status> late;
  s.on_quote = [&](StrategyContext& ctx, InstrumentIndex, const QuoteTick& q) {
    if (q.ts_event == kT0) {
      ASSERT_TRUE(ctx.Submit(Market(0, Side::kBuy, 10000)).ok());
    }
    if (q.ts_event >= kT0 + Duration(70 * kNanosPerSecond) && late.empty()) {
      late.push_back(ctx.Submit(Market(0, Side::kSell, 10000)).status());
    }
  };
  FakeGuard guard;
  guard.flatten_at_mark = 0;
  guard.flatten_action = OrderGuard::Action::kFlatten;
  BacktestEngine engine(BacktestConfig{});
  Result<BacktestResult> r = engine.RunTicks(in, s, &guard);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(r->halted);
  EXPECT_EQ(r->guard_flattens, 1u);
  ASSERT_GE(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].exit_reason, ExitReason::kCircuitBreaker);
  EXPECT_EQ(r->trades[0].exit_time, kT0 + Duration(60 * kNanosPerSecond));
  ASSERT_EQ(late.size(), 1u);
  EXPECT_TRUE(late[0].ok()) << late[0].ToString();
  EXPECT_TRUE(r->rejections.empty());
  EXPECT_EQ(guard.marks, 2);  // still consulted after the flatten
}

TEST(EngineTest, EquityMarksAtMostOncePerIntervalAndAtFills) {
  std::vector<QuoteTick> eur = EveryTenSeconds(60);  // 10 minutes
  std::vector<TickSeries> in = {{Inst("EURUSD"), eur}};
  Script s;
  FakeGuard guard;
  BacktestEngine engine(BacktestConfig{});
  Result<BacktestResult> r = engine.RunTicks(in, s, &guard);
  ASSERT_TRUE(r.ok());
  // Start, marks at 1..9 minutes, the final point.
  EXPECT_EQ(r->equity.size(), 11u);
  EXPECT_EQ(guard.marks, 9);
  for (size_t k = 1; k < r->equity.size(); ++k) EXPECT_LE(r->equity[k - 1].time, r->equity[k].time);

  // One more point per fill.
  Script t;
  t.on_quote = [&](StrategyContext& ctx, InstrumentIndex, const QuoteTick& q) {
    if (q.ts_event == kT0 + Duration(15 * kNanosPerSecond) ||
        q.ts_event == kT0 + Duration(25 * kNanosPerSecond)) {
      ASSERT_TRUE(ctx.Submit(Market(0, Side::kBuy, 1000)).ok());
    }
  };
  std::vector<QuoteTick> eur2;
  for (int k = 0; k < 60; ++k)
    eur2.push_back(Q(kT0 + Duration(k * 5 * kNanosPerSecond), "1.1", "1.1002"));
  std::vector<TickSeries> in2 = {{Inst("EURUSD"), eur2}};
  BacktestConfig every;
  every.mark_interval = Duration(0);
  BacktestEngine engine2(every);
  Result<BacktestResult> r2 = engine2.RunTicks(in2, t);
  ASSERT_TRUE(r2.ok());
  // start + 60 marks + 2 fills + end-of-data fill + final.
  EXPECT_EQ(r2->equity.size(), 1u + 60 + 2 + 1 + 1);
}

TEST(EngineTest, PnlConvertsToAJpyAccountThroughLoadedPairs) {
  std::vector<QuoteTick> jpy = {Q(kT0, "150.000", "150.020")};
  std::vector<QuoteTick> eur = {Q(kT0 + Ms(1), "1.10000", "1.10020"),
                                Q(kT0 + Ms(2), "1.10100", "1.10120")};
  std::vector<TickSeries> in = {{Inst("EURUSD"), eur}, {Inst("USDJPY"), jpy}};
  Script s;
  s.on_quote = [&](StrategyContext& ctx, InstrumentIndex i, const QuoteTick& q) {
    if (i == 0 && q.ts_event == kT0 + Ms(1)) {
      ASSERT_TRUE(ctx.Submit(Market(0, Side::kBuy, 1e5)).ok());
    }
  };
  BacktestConfig c;
  c.broker.account_currency = "JPY";
  c.broker.initial_balance = 15e6;
  BacktestEngine engine(c);
  Result<BacktestResult> r = engine.RunTicks(in, s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_EQ(r->trades[0].gross_pnl, M(80 * 150.01));
  EXPECT_EQ(r->account_currency, "JPY");

  // Without USDJPY the run refuses to start, naming the currencies.
  std::vector<TickSeries> only = {{Inst("EURUSD"), eur}};
  Result<BacktestResult> bad = engine.RunTicks(only, s);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
  EXPECT_NE(bad.status().message().find("USD to JPY"), std::string::npos);
}

TEST(EngineTest, BadTickInputIsAClearError) {
  Script s;
  BacktestEngine engine(BacktestConfig{});
  std::vector<QuoteTick> back = {Q(kT0 + Ms(10), "1.1", "1.1002"), Q(kT0, "1.1", "1.1002")};
  std::vector<TickSeries> in = {{Inst("EURUSD"), back}};
  Result<BacktestResult> r = engine.RunTicks(in, s);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("EURUSD record 1"), std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("out of time order"), std::string::npos);

  std::vector<QuoteTick> crossed = {Q(kT0, "1.1", "1.1002"), Q(kT0 + Ms(1), "1.1003", "1.1002")};
  in = {{Inst("EURUSD"), crossed}};
  r = engine.RunTicks(in, s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("0 < bid <= ask"), std::string::npos);

  std::vector<QuoteTick> zero = {Q(kT0, "0", "1.1002")};
  in = {{Inst("EURUSD"), zero}};
  EXPECT_EQ(engine.RunTicks(in, s).status().code(), StatusCode::kInvalidArgument);

  std::vector<QuoteTick> none;
  in = {{Inst("EURUSD"), none}};
  r = engine.RunTicks(in, s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no ticks"), std::string::npos);

  EXPECT_FALSE(engine.RunTicks({}, s).ok());
}

TEST(EngineTest, StrategyErrorsDoNotCrash) {
  std::vector<QuoteTick> eur = EveryTenSeconds(3);
  std::vector<TickSeries> in = {{Inst("EURUSD"), eur}};
  Script s;
  std::vector<StatusCode> codes;
  s.on_quote = [&](StrategyContext& ctx, InstrumentIndex, const QuoteTick&) {
    codes.push_back(ctx.Submit(Market(9, Side::kBuy, 1)).status().code());
    codes.push_back(ctx.Submit(Market(0, Side::kBuy, std::nan(""))).status().code());
    codes.push_back(ctx.Cancel(12345).code());
    codes.push_back(ctx.Close(777).code());
  };
  BacktestEngine engine(BacktestConfig{});
  Result<BacktestResult> r = engine.RunTicks(in, s);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(codes.size(), 12u);
  EXPECT_EQ(codes[0], StatusCode::kInvalidArgument);
  EXPECT_EQ(codes[1], StatusCode::kInvalidArgument);
  EXPECT_EQ(codes[2], StatusCode::kNotFound);
  EXPECT_EQ(codes[3], StatusCode::kNotFound);
  EXPECT_EQ(r->rejections.size(), 6u);
  EXPECT_TRUE(r->trades.empty());
}

TEST(EngineTest, TickBarsAreDeliveredOnceComplete) {
  std::vector<QuoteTick> eur;
  // Ticks every 10 s for three minutes; bids rise by a pip each tick.
  for (int k = 0; k < 18; ++k) {
    QuoteTick q;
    q.ts_event = kT0 + Duration(k * 10 * kNanosPerSecond);
    q.bid = Price::FromScaled(110000 + k, 5);
    q.ask = Price::FromScaled(110002 + k, 5);
    eur.push_back(q);
  }
  std::vector<TickSeries> in = {{Inst("EURUSD"), eur}};
  Script s;
  BacktestConfig c;
  c.tick_bars = bars::Timeframe::kM1;
  BacktestEngine engine(c);
  Result<BacktestResult> r = engine.RunTicks(in, s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(s.bars.size(), 2u);  // the third minute never completes
  EXPECT_EQ(s.bars[0].ts_open, kT0);
  EXPECT_EQ(s.bars[0].ts_close, kT0 + Duration(kNanosPerMinute));
  EXPECT_EQ(s.bars[0].open, Price::FromScaled(110000, 5));
  EXPECT_EQ(s.bars[0].close, Price::FromScaled(110005, 5));
  EXPECT_EQ(s.bars[0].tick_count, 6);
  EXPECT_NEAR(s.bars[0].spread_mean, 0.00002, 1e-12);  // 2 points
}

// ---- Bar mode -------------------------------------------------------------------------------

Bar MakeBar(UnixNanos open, const char* o, const char* h, const char* l, const char* c,
            double spread = 0.0002) {
  Bar b;
  b.ts_open = open;
  b.ts_close = open + Duration(5 * kNanosPerMinute);
  b.open = P(o);
  b.high = P(h);
  b.low = P(l);
  b.close = P(c);
  b.spread_mean = spread;
  b.tick_count = 10;
  return b;
}

TEST(EngineBarTest, MarketOrdersFillAtTheNextOpenAndMarksEveryBar) {
  const Duration five(5 * kNanosPerMinute);
  std::vector<Bar> bars = {MakeBar(kT0, "1.1000", "1.1010", "1.0990", "1.1005"),
                           MakeBar(kT0 + five, "1.1006", "1.1020", "1.1001", "1.1015"),
                           MakeBar(kT0 + five * 2, "1.1015", "1.1030", "1.1010", "1.1025")};
  std::vector<BarSeries> in = {{Inst("EURUSD"), bars}};
  Script s;
  s.on_bar = [&](StrategyContext& ctx, InstrumentIndex i, const Bar& b) {
    EXPECT_EQ(ctx.Now(), b.ts_close);
    // The account's quote is the close and close + spread.
    EXPECT_EQ(ctx.account().quote(i).bid, b.close);
    if (b.ts_open == kT0) {
      ASSERT_TRUE(ctx.Submit(Market(i, Side::kBuy, 100000)).ok());
    }
  };
  BacktestEngine engine(BacktestConfig{});
  Result<BacktestResult> r = engine.RunBars(in, s);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->trades.size(), 1u);
  EXPECT_DOUBLE_EQ(r->trades[0].entry_price, 1.1008);  // next open + spread
  EXPECT_EQ(r->trades[0].entry_time, kT0 + five);
  EXPECT_DOUBLE_EQ(r->trades[0].exit_price, 1.1025);  // last close (bid), end of data
  EXPECT_EQ(r->trades[0].exit_reason, ExitReason::kEndOfData);
  EXPECT_EQ(r->trades[0].gross_pnl, M(170));
  EXPECT_EQ(r->events, 3u);
  // start, 3 bar marks, 2 fills, final.
  EXPECT_EQ(r->equity.size(), 7u);
  EXPECT_EQ(r->costs.spread, M(20));  // half of 2 pips, twice, on 100000
}

TEST(EngineBarTest, TwoInstrumentsShareTimeSlices) {
  const Duration five(5 * kNanosPerMinute);
  std::vector<Bar> eur = {MakeBar(kT0, "1.1000", "1.1010", "1.0990", "1.1005"),
                          MakeBar(kT0 + five, "1.1006", "1.1020", "1.1001", "1.1015")};
  std::vector<Bar> gbp = {MakeBar(kT0 + five, "1.2700", "1.2710", "1.2690", "1.2705")};
  std::vector<BarSeries> in = {{Inst("EURUSD"), eur}, {Inst("GBPUSD"), gbp}};
  Script s;
  std::vector<std::pair<int64_t, InstrumentIndex>> seen;
  s.on_bar = [&](StrategyContext& ctx, InstrumentIndex i, const Bar&) {
    seen.emplace_back(ctx.Now().ns(), i);
  };
  BacktestEngine engine(BacktestConfig{});
  Result<BacktestResult> r = engine.RunBars(in, s);
  ASSERT_TRUE(r.ok());
  const std::vector<std::pair<int64_t, InstrumentIndex>> want = {
      {(kT0 + five).ns(), 0}, {(kT0 + five * 2).ns(), 0}, {(kT0 + five * 2).ns(), 1}};
  EXPECT_EQ(seen, want);
}

TEST(EngineBarTest, BadBarsAreClearErrors) {
  Script s;
  BacktestEngine engine(BacktestConfig{});
  std::vector<Bar> bad = {MakeBar(kT0, "1.1000", "1.0990", "1.0980", "1.1005")};  // high < open
  std::vector<BarSeries> in = {{Inst("EURUSD"), bad}};
  Result<BacktestResult> r = engine.RunBars(in, s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("EURUSD record 0"), std::string::npos);
  EXPECT_NE(r.status().message().find("low <= open"), std::string::npos);

  std::vector<Bar> order = {MakeBar(kT0 + Duration(kNanosPerMinute), "1.1", "1.1", "1.1", "1.1"),
                            MakeBar(kT0, "1.1", "1.1", "1.1", "1.1")};
  in = {{Inst("EURUSD"), order}};
  r = engine.RunBars(in, s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("out of time order"), std::string::npos);

  std::vector<Bar> spread = {MakeBar(kT0, "1.1", "1.1", "1.1", "1.1", std::nan(""))};
  in = {{Inst("EURUSD"), spread}};
  EXPECT_NE(engine.RunBars(in, s).status().message().find("spread_mean"), std::string::npos);
}

// ---- Determinism ----------------------------------------------------------------------------

std::vector<QuoteTick> RandomWalk(uint64_t seed, int n, int64_t start, int decimals) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> step(-3, 3), gap(50, 900), spread(1, 15);
  std::vector<QuoteTick> out;
  int64_t t = kT0.ns();
  int64_t bid = start;
  for (int k = 0; k < n; ++k) {
    t += gap(rng) * kNanosPerMilli;
    bid += step(rng);
    QuoteTick q;
    q.ts_event = UnixNanos(t);
    q.bid = Price::FromScaled(bid, decimals);
    q.ask = Price::FromScaled(bid + spread(rng), decimals);
    out.push_back(q);
  }
  return out;
}

// Trades every 97th quote with brackets, alternating sides, a pending limit now and then.
class Churn : public Strategy {
 public:
  void OnQuote(StrategyContext& ctx, InstrumentIndex i, const QuoteTick& q) override {
    if (++n_ % 97 != 0) return;
    const double pip = ctx.account().instrument(i).pip_size;
    const double mid = q.mid().ToDouble();
    OrderRequest r;
    r.instrument = i;
    r.side = (n_ / 97) % 2 ? Side::kBuy : Side::kSell;
    r.quantity = 10000.0 * (1 + (n_ / 97) % 3);
    r.bracket.stop_loss = mid - Sign(r.side) * 8 * pip;
    r.bracket.take_profit = mid + Sign(r.side) * 12 * pip;
    if ((n_ / 97) % 5 == 0) r.bracket.trailing_stop_pips = 5;
    (void)ctx.Submit(r);
    if ((n_ / 97) % 7 == 0) {
      OrderRequest lim = r;
      lim.type = OrderType::kLimit;
      lim.price = Price::FromDouble(mid - Sign(r.side) * 3 * pip);
      (void)ctx.Submit(lim);
    }
  }

 private:
  int64_t n_ = 0;
};

void ExpectSameResult(const BacktestResult& a, const BacktestResult& b) {
  ASSERT_EQ(a.trades.size(), b.trades.size());
  for (size_t k = 0; k < a.trades.size(); ++k) {
    const Trade& x = a.trades[k];
    const Trade& y = b.trades[k];
    EXPECT_EQ(x.position, y.position);
    EXPECT_EQ(x.symbol, y.symbol);
    EXPECT_EQ(x.entry_time, y.entry_time);
    EXPECT_EQ(x.exit_time, y.exit_time);
    EXPECT_EQ(x.entry_price, y.entry_price);
    EXPECT_EQ(x.exit_price, y.exit_price);
    EXPECT_EQ(x.gross_pnl, y.gross_pnl);
    EXPECT_EQ(x.net_pnl, y.net_pnl);
    EXPECT_EQ(x.costs.total(), y.costs.total());
    EXPECT_EQ(x.exit_reason, y.exit_reason);
  }
  ASSERT_EQ(a.equity.size(), b.equity.size());
  for (size_t k = 0; k < a.equity.size(); ++k) {
    EXPECT_EQ(a.equity[k].time, b.equity[k].time);
    EXPECT_EQ(a.equity[k].equity, b.equity[k].equity);
    EXPECT_EQ(a.equity[k].balance, b.equity[k].balance);
  }
  ASSERT_EQ(a.fills.size(), b.fills.size());
  for (size_t k = 0; k < a.fills.size(); ++k) {
    EXPECT_EQ(a.fills[k].price, b.fills[k].price);
    EXPECT_EQ(a.fills[k].time, b.fills[k].time);
  }
  EXPECT_EQ(a.costs.total(), b.costs.total());
  EXPECT_EQ(a.rejections.size(), b.rejections.size());
}

BacktestConfig FullCosts() {
  BacktestConfig c;
  c.broker.slippage.model = SlippageModel::kVolatility;
  c.broker.slippage.vol_k = 0.5;
  c.broker.latency = Ms(120);
  c.broker.mode = AccountMode::kHedging;
  return c;
}

TEST(EngineTest, SameInputSameResultAndTheBooksBalance) {
  const std::vector<QuoteTick> eur = RandomWalk(1, 20000, 110000, 5);
  const std::vector<QuoteTick> jpy = RandomWalk(2, 15000, 150000, 3);
  fx::Instrument e = **fx::InstrumentTable::Builtin().Find("EURUSD");
  fx::Instrument j = **fx::InstrumentTable::Builtin().Find("USDJPY");
  std::vector<TickSeries> in = {{e, eur}, {j, jpy}};
  Churn s1, s2;
  BacktestEngine engine(FullCosts());
  Result<BacktestResult> a = engine.RunTicks(in, s1);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  BacktestEngine other(FullCosts());
  Result<BacktestResult> b = other.RunTicks(in, s2);
  ASSERT_TRUE(b.ok());
  ASSERT_GT(a->trades.size(), 50u);
  ExpectSameResult(*a, *b);
  // Every amount booked is in some trade: balance = initial + sum of net P&L; trade costs add
  // up to the totals exactly (fixed-point, shares taken without loss).
  Money net, comm, spread, slip, swap;
  for (const Trade& t : a->trades) {
    net += t.net_pnl;
    comm += t.costs.commission;
    spread += t.costs.spread;
    slip += t.costs.slippage;
    swap += t.costs.swap;
  }
  EXPECT_EQ(a->equity.back().balance, a->initial_balance + net);
  EXPECT_EQ(comm, a->costs.commission);
  EXPECT_EQ(spread, a->costs.spread);
  EXPECT_EQ(slip, a->costs.slippage);
  EXPECT_EQ(swap, a->costs.swap);
  EXPECT_GT(a->costs.slippage, Money());
  for (size_t k = 1; k < a->trades.size(); ++k) {
    EXPECT_LE(a->trades[k - 1].exit_time, a->trades[k].exit_time);
  }
}

// ---- Store input ----------------------------------------------------------------------------

std::string TestDir(const std::string& name) {
  const char* base = std::getenv("ARUS_TEST_TMP");
  std::filesystem::path p =
      base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
  p /= "backtest_" + name + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

TEST(EngineTest, StoreInputGivesTheSameResultAsMemory) {
  const std::vector<QuoteTick> eur = RandomWalk(3, 30000, 110000, 5);
  const std::vector<QuoteTick> jpy = RandomWalk(4, 20000, 150000, 3);
  const std::string dir = TestDir("store_run");
  {
    Result<std::unique_ptr<store::TickStore>> st =
        store::TickStore::Open(dir, store::OpenMode::kReadWrite);
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    ASSERT_TRUE((*st)->Append("EURUSD", eur, 5).ok());
    ASSERT_TRUE((*st)->Append("USDJPY", jpy, 3).ok());
  }
  Result<std::unique_ptr<store::TickStore>> st =
      store::TickStore::Open(dir, store::OpenMode::kReadOnly);
  ASSERT_TRUE(st.ok());
  std::vector<fx::Instrument> ins = {**fx::InstrumentTable::Builtin().Find("EURUSD"),
                                     **fx::InstrumentTable::Builtin().Find("USDJPY")};
  Churn s1, s2;
  BacktestEngine engine(FullCosts());
  Result<BacktestResult> a =
      engine.RunStoreTicks(**st, ins, kT0, kT0 + Duration(kNanosPerDay * 30), s1);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  std::vector<TickSeries> in = {{ins[0], eur}, {ins[1], jpy}};
  Result<BacktestResult> b = engine.RunTicks(in, s2);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->events, 50000u);
  ExpectSameResult(*a, *b);

  std::vector<fx::Instrument> missing = {**fx::InstrumentTable::Builtin().Find("GBPUSD")};
  Result<BacktestResult> m = engine.RunStoreTicks(**st, missing, kT0, kT0 + Duration(1), s1);
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

// ---- Config ---------------------------------------------------------------------------------

TEST(BacktestConfigTest, ParsesEveryKey) {
  const char* text = R"(
[data]
symbols = ["EURUSD"]
[backtest]
account_currency = "eur"
initial_balance = 50000
leverage = 20.0
mode = "hedging"
slippage = "volatility"
slippage_pips = 0.2
slippage_spread_fraction = 0.1
slippage_vol_k = 0.75
slippage_vol_window = 50
latency = "50ms"
commission = "per_lot"
commission_rate = 7
margin_call_level = 80
stop_out_level = 40
mark_interval = "5m"
tick_bars = "M5"
)";
  Result<BacktestConfig> c = ParseBacktestConfig(text, "run.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->broker.account_currency, "eur");  // normalised by the broker
  EXPECT_EQ(c->broker.initial_balance, 50000);
  EXPECT_EQ(c->broker.leverage, 20);
  EXPECT_EQ(c->broker.mode, AccountMode::kHedging);
  EXPECT_EQ(c->broker.slippage.model, SlippageModel::kVolatility);
  EXPECT_EQ(c->broker.slippage.pips, 0.2);
  EXPECT_EQ(c->broker.slippage.spread_fraction, 0.1);
  EXPECT_EQ(c->broker.slippage.vol_k, 0.75);
  EXPECT_EQ(c->broker.slippage.vol_window, 50);
  EXPECT_EQ(c->broker.latency, Ms(50));
  EXPECT_EQ(c->broker.commission_mode, CommissionMode::kPerLot);
  EXPECT_EQ(c->broker.commission_rate, 7);
  EXPECT_EQ(c->broker.margin_call_level, 80);
  EXPECT_EQ(c->broker.stop_out_level, 40);
  EXPECT_EQ(c->mark_interval, Duration(5 * kNanosPerMinute));
  ASSERT_TRUE(c->tick_bars.has_value());
  EXPECT_EQ(*c->tick_bars, bars::Timeframe::kM5);
}

TEST(BacktestConfigTest, DefaultsAndTopLevelBody) {
  Result<BacktestConfig> none = ParseBacktestConfig("[data]\nx = 1\n", "a.toml");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->broker.account_currency, "USD");
  EXPECT_EQ(none->broker.mode, AccountMode::kNetting);
  Result<BacktestConfig> body = ParseBacktestConfig("leverage = 10\n", "body", "");
  ASSERT_TRUE(body.ok()) << body.status().ToString();
  EXPECT_EQ(body->broker.leverage, 10);
}

TEST(BacktestConfigTest, ErrorsNameTheKeyAndLine) {
  auto err = [](const char* text) {
    Result<BacktestConfig> c = ParseBacktestConfig(text, "cfg.toml");
    EXPECT_FALSE(c.ok()) << text;
    return c.ok() ? std::string() : c.status().ToString();
  };
  std::string m = err("[backtest]\nleverage = 30\nslipage = \"fixed\"\n");
  EXPECT_NE(m.find("cfg.toml:3"), std::string::npos) << m;
  EXPECT_NE(m.find("key 'slipage'"), std::string::npos) << m;
  EXPECT_NE(m.find("unknown key"), std::string::npos) << m;
  m = err("[backtest]\nleverage = \"high\"\n");
  EXPECT_NE(m.find("key 'leverage': expected a number, got a string"), std::string::npos) << m;
  m = err("[backtest]\nmode = \"both\"\n");
  EXPECT_NE(m.find("expected one of netting, hedging, got 'both'"), std::string::npos) << m;
  m = err("[backtest]\nlatency = \"fast\"\n");
  EXPECT_NE(m.find("key 'latency'"), std::string::npos) << m;
  m = err("[backtest]\nslippage_vol_window = 0\n");
  EXPECT_NE(m.find("slippage_vol_window"), std::string::npos) << m;
  m = err("[backtest]\ntick_bars = \"M7\"\n");
  EXPECT_NE(m.find("tick_bars"), std::string::npos) << m;
  m = err("[backtest]\nleverage = 0\n");
  EXPECT_NE(m.find("leverage must be >= 1"), std::string::npos) << m;
  m = err("[backtest]\nstop_out_level = 90\nmargin_call_level = 50\n");
  EXPECT_NE(m.find("stop_out_level"), std::string::npos) << m;
  m = err("backtest = 3\n");
  EXPECT_NE(m.find("expected a table"), std::string::npos) << m;
  Result<BacktestConfig> syntax = ParseBacktestConfig("[backtest\n", "broken.toml");
  ASSERT_FALSE(syntax.ok());
  EXPECT_EQ(syntax.status().code(), StatusCode::kParseError);
  EXPECT_EQ(LoadBacktestConfig("/nonexistent/bt.toml").status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace arus::backtest
