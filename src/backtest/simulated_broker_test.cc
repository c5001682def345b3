// The simulated broker driven quote by quote: every expected price and amount below is worked
// out by hand in the comments (buy at the ask, sell at the bid, costs in the account currency).
#include "backtest/simulated_broker.h"

#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

namespace arus::backtest {
namespace {

Price P(const char* text) { return *Price::Parse(text); }
UnixNanos T(const char* iso) { return *ParseIsoUtc(iso); }
Money M(double amount) { return Money::FromDouble(amount); }

// A built-in instrument with commission and swaps under the test's control.
fx::Instrument Inst(const char* symbol, double commission = 0, double swap_long = 0,
                    double swap_short = 0) {
  fx::Instrument in = **fx::InstrumentTable::Builtin().Find(symbol);
  in.commission_per_million = commission;
  in.swap_long = swap_long;
  in.swap_short = swap_short;
  return in;
}

struct Recorder : ExecutionListener {
  std::vector<Fill> fills;
  std::vector<Order> updates;
  void OnFill(const Fill& f) override { fills.push_back(f); }
  void OnOrderUpdate(const Order& o) override { updates.push_back(o); }
};

class BrokerTest : public ::testing::Test {
 protected:
  void Make(BrokerConfig config, std::vector<fx::Instrument> instruments) {
    Result<std::unique_ptr<SimulatedBroker>> b =
        SimulatedBroker::Create(config, std::move(instruments), clock_);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    broker_ = std::move(*b);
    broker_->SetListener(&rec_);
  }
  void Make(std::vector<fx::Instrument> instruments) {
    Make(BrokerConfig{}, std::move(instruments));
  }

  // The quote of instrument i at `t`: clock, rollovers, then the quote, as the engine does.
  void QuoteAt(InstrumentIndex i, UnixNanos t, const char* bid, const char* ask) {
    ASSERT_TRUE(clock_.AdvanceTo(t).ok());
    broker_->AdvanceTo(t);
    QuoteTick q;
    q.ts_event = t;
    q.bid = P(bid);
    q.ask = P(ask);
    broker_->OnQuote(i, q);
    ASSERT_TRUE(broker_->error().ok()) << broker_->error().ToString();
  }
  void Q(InstrumentIndex i, int64_t ms, const char* bid, const char* ask) {
    QuoteAt(i, t0_ + Duration(ms * kNanosPerMilli), bid, ask);
  }

  static OrderRequest Req(InstrumentIndex i, Side side, double qty,
                          OrderType type = OrderType::kMarket, const char* price = nullptr) {
    OrderRequest r;
    r.instrument = i;
    r.side = side;
    r.type = type;
    r.quantity = qty;
    if (price != nullptr) r.price = P(price);
    return r;
  }
  OrderId Submit(const OrderRequest& r) {
    Result<OrderId> id = broker_->SubmitOrder(r);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  SimulatedClock clock_;
  std::unique_ptr<SimulatedBroker> broker_;
  Recorder rec_;
  const UnixNanos t0_ = T("2024-01-09T10:00:00Z");  // a Tuesday, market open
};

TEST_F(BrokerTest, BuyAtAskSellAtBidWithSpreadCost) {
  Make({Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  Submit(Req(0, Side::kBuy, 100000));
  ASSERT_EQ(rec_.fills.size(), 1u);
  EXPECT_EQ(rec_.fills[0].price, P("1.10020"));
  EXPECT_EQ(rec_.fills[0].spread_cost, M(10));  // half of 2 pips x 100000
  EXPECT_EQ(rec_.fills[0].time, t0_);
  ASSERT_EQ(broker_->positions().size(), 1u);
  // Marked at the bid: equity = 100000 + (1.10000 - 1.10020) x 100000 = 99980.
  EXPECT_EQ(broker_->equity(), M(99980));

  Q(0, 1000, "1.10100", "1.10120");
  Submit(Req(0, Side::kSell, 100000));
  ASSERT_EQ(rec_.fills.size(), 2u);
  EXPECT_EQ(rec_.fills[1].price, P("1.10100"));
  ASSERT_EQ(broker_->trades().size(), 1u);
  const Trade& t = broker_->trades()[0];
  EXPECT_EQ(t.side, Side::kBuy);
  EXPECT_DOUBLE_EQ(t.entry_price, 1.1002);
  EXPECT_DOUBLE_EQ(t.exit_price, 1.101);
  EXPECT_NEAR(t.pips, 8.0, 1e-9);
  EXPECT_EQ(t.gross_pnl, M(80));  // (1.10100 - 1.10020) x 100000
  EXPECT_EQ(t.net_pnl, M(80));
  EXPECT_EQ(t.costs.spread, M(20));
  EXPECT_EQ(t.exit_reason, ExitReason::kSignal);
  EXPECT_TRUE(broker_->positions().empty());
  EXPECT_EQ(broker_->balance(), M(100080));
  EXPECT_EQ(broker_->costs().spread, M(20));
}

TEST_F(BrokerTest, CommissionPerMillionFromInstrument) {
  Make({Inst("EURUSD", /*commission=*/35)});
  Q(0, 0, "1.10000", "1.10020");  // mid 1.1001
  Submit(Req(0, Side::kBuy, 100000));
  // Notional 100000 EUR = 110010 USD at the mid: 35 x 0.11001 = 3.85035.
  EXPECT_EQ(rec_.fills[0].commission, M(3.85035));
  EXPECT_EQ(broker_->balance(), M(100000 - 3.85035));
  Q(0, 1000, "1.10100", "1.10120");  // mid 1.1011
  Submit(Req(0, Side::kSell, 100000));
  EXPECT_EQ(rec_.fills[1].commission, M(3.85385));
  const Trade& t = broker_->trades()[0];
  EXPECT_EQ(t.costs.commission, M(3.85035 + 3.85385));
  EXPECT_EQ(t.net_pnl, M(80 - 7.7042));
  EXPECT_EQ(broker_->balance(), M(100000 + 80 - 7.7042));
  EXPECT_EQ(broker_->costs().commission, M(7.7042));
}

TEST_F(BrokerTest, CommissionPerLotAndPerMillionConfigured) {
  BrokerConfig c;
  c.commission_mode = CommissionMode::kPerLot;
  c.commission_rate = 7;  // per standard lot per side
  Make(c, {Inst("EURUSD", 35)});
  Q(0, 0, "1.10000", "1.10020");
  Submit(Req(0, Side::kBuy, 250000));
  EXPECT_EQ(rec_.fills[0].commission, M(17.5));  // 2.5 lots x 7

  BrokerConfig c2;
  c2.commission_mode = CommissionMode::kPerMillion;
  c2.commission_rate = 20;
  broker_.reset();
  rec_ = Recorder();
  Make(c2, {Inst("EURUSD", 35)});
  Q(0, 1000, "1.10000", "1.10020");
  Submit(Req(0, Side::kBuy, 100000));
  EXPECT_EQ(rec_.fills[0].commission, M(20 * 0.11001));

  BrokerConfig c3;
  c3.commission_mode = CommissionMode::kNone;
  broker_.reset();
  rec_ = Recorder();
  Make(c3, {Inst("EURUSD", 35)});
  Q(0, 2000, "1.10000", "1.10020");
  Submit(Req(0, Side::kBuy, 100000));
  EXPECT_EQ(rec_.fills[0].commission, Money());
}

TEST_F(BrokerTest, LimitOrdersFillAtLimitOrBetter) {
  Make({Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  const OrderId buy = Submit(Req(0, Side::kBuy, 100000, OrderType::kLimit, "1.09950"));
  ASSERT_EQ(rec_.updates.size(), 1u);
  EXPECT_EQ(rec_.updates[0].status, OrderStatus::kWorking);
  EXPECT_EQ(rec_.updates[0].id, buy);
  Q(0, 100, "1.09940", "1.09960");  // ask 1.09960 > limit
  EXPECT_TRUE(rec_.fills.empty());
  Q(0, 200, "1.09920", "1.09940");  // ask below the limit: filled at the ask (better)
  ASSERT_EQ(rec_.fills.size(), 1u);
  EXPECT_EQ(rec_.fills[0].order, buy);
  EXPECT_EQ(rec_.fills[0].price, P("1.09940"));

  const OrderId sell = Submit(Req(0, Side::kSell, 100000, OrderType::kLimit, "1.10100"));
  Q(0, 300, "1.10090", "1.10110");  // bid below the limit
  EXPECT_EQ(rec_.fills.size(), 1u);
  Q(0, 400, "1.10100", "1.10120");  // bid at the limit
  ASSERT_EQ(rec_.fills.size(), 2u);
  EXPECT_EQ(rec_.fills[1].order, sell);
  EXPECT_EQ(rec_.fills[1].price, P("1.10100"));
  // 100000 x (1.10100 - 1.09940)
  EXPECT_EQ(broker_->trades().at(0).gross_pnl, M(160));
}

TEST_F(BrokerTest, MarketableLimitFillsAtOnceAtTheQuote) {
  Make({Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  Submit(Req(0, Side::kBuy, 1000, OrderType::kLimit, "1.10050"));
  ASSERT_EQ(rec_.fills.size(), 1u);
  EXPECT_EQ(rec_.fills[0].price, P("1.10020"));
}

TEST_F(BrokerTest, StopOrdersTriggerOnTheirSideAndSlip) {
  BrokerConfig c;
  c.slippage.model = SlippageModel::kFixedPips;
  c.slippage.pips = 0.5;
  Make(c, {Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  Submit(Req(0, Side::kBuy, 100000, OrderType::kStop, "1.10100"));
  Q(0, 100, "1.10070", "1.10090");  // ask below the stop
  EXPECT_TRUE(rec_.fills.empty());
  Q(0, 200, "1.10085", "1.10105");  // ask through the stop: ask + 0.5 pip
  ASSERT_EQ(rec_.fills.size(), 1u);
  EXPECT_EQ(rec_.fills[0].price, P("1.10110"));
  EXPECT_EQ(rec_.fills[0].slippage_cost, M(5));  // 0.00005 x 100000
  EXPECT_EQ(rec_.fills[0].spread_cost, M(10));

  Submit(Req(0, Side::kSell, 100000, OrderType::kStop, "1.09900"));
  Q(0, 300, "1.09905", "1.09925");  // bid above the stop
  EXPECT_EQ(rec_.fills.size(), 1u);
  Q(0, 400, "1.09895", "1.09915");
  ASSERT_EQ(rec_.fills.size(), 2u);
  EXPECT_EQ(rec_.fills[1].price, P("1.09890"));  // bid - 0.5 pip
  EXPECT_EQ(broker_->costs().slippage, M(10));
}

TEST_F(BrokerTest, StopLossExitsAtTheBidForLongs) {
  Make({Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  OrderRequest r = Req(0, Side::kBuy, 100000);
  r.bracket.stop_loss = 1.099;
  r.bracket.take_profit = 1.102;
  Submit(r);
  Q(0, 100, "1.09910", "1.09930");  // above the stop
  EXPECT_EQ(broker_->positions().size(), 1u);
  Q(0, 200, "1.09890", "1.09910");
  ASSERT_TRUE(broker_->positions().empty());
  const Trade& t = broker_->trades().at(0);
  EXPECT_EQ(t.exit_reason, ExitReason::kStopLoss);
  EXPECT_DOUBLE_EQ(t.exit_price, 1.0989);
  EXPECT_EQ(t.gross_pnl, M(-130));  // (1.09890 - 1.10020) x 100000
}

TEST_F(BrokerTest, TakeProfitExitsAtTheBidForLongs) {
  Make({Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  OrderRequest r = Req(0, Side::kBuy, 100000);
  r.bracket.stop_loss = 1.099;
  r.bracket.take_profit = 1.102;
  Submit(r);
  Q(0, 100, "1.10190", "1.10210");  // ask above the target does not count for a long
  EXPECT_EQ(broker_->positions().size(), 1u);
  Q(0, 200, "1.10210", "1.10230");
  const Trade& t = broker_->trades().at(0);
  EXPECT_EQ(t.exit_reason, ExitReason::kTakeProfit);
  EXPECT_DOUBLE_EQ(t.exit_price, 1.1021);
  EXPECT_EQ(t.gross_pnl, M(190));
}

TEST_F(BrokerTest, ShortStopLossExitsAtTheAsk) {
  Make({Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  OrderRequest r = Req(0, Side::kSell, 100000);
  r.bracket.stop_loss = 1.101;
  Submit(r);
  EXPECT_EQ(rec_.fills[0].price, P("1.10000"));
  Q(0, 100, "1.10085", "1.10099");
  EXPECT_EQ(broker_->positions().size(), 1u);
  Q(0, 200, "1.10090", "1.10105");
  const Trade& t = broker_->trades().at(0);
  EXPECT_EQ(t.exit_reason, ExitReason::kStopLoss);
  EXPECT_DOUBLE_EQ(t.exit_price, 1.10105);
  EXPECT_EQ(t.gross_pnl, M(-105));  // (1.10000 - 1.10105) x 100000
}

TEST_F(BrokerTest, TrailingStopFollowsTheBestBidAndOnlyTightens) {
  Make({Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  OrderRequest r = Req(0, Side::kBuy, 100000);
  r.bracket.trailing_stop_pips = 10;
  r.bracket.stop_loss = 1.0980;  // looser than the trail: the trail decides
  Submit(r);
  EXPECT_DOUBLE_EQ(broker_->positions()[0].trail_anchor, 1.1);
  Q(0, 100, "1.10300", "1.10320");  // anchor 1.10300, level 1.10200
  Q(0, 200, "1.10250", "1.10270");  // falls back: anchor stays
  EXPECT_DOUBLE_EQ(broker_->positions()[0].trail_anchor, 1.103);
  Q(0, 300, "1.10201", "1.10221");
  EXPECT_EQ(broker_->positions().size(), 1u);
  Q(0, 400, "1.10195", "1.10215");
  ASSERT_TRUE(broker_->positions().empty());
  const Trade& t = broker_->trades().at(0);
  EXPECT_EQ(t.exit_reason, ExitReason::kTrailingStop);
  EXPECT_DOUBLE_EQ(t.exit_price, 1.10195);
}

TEST_F(BrokerTest, ShortTrailingStopUsesTheAsk) {
  Make({Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  OrderRequest r = Req(0, Side::kSell, 100000);
  r.bracket.trailing_stop_pips = 5;
  Submit(r);
  Q(0, 100, "1.09800", "1.09820");  // anchor 1.09820, level 1.09870
  Q(0, 200, "1.09850", "1.09869");
  EXPECT_EQ(broker_->positions().size(), 1u);
  Q(0, 300, "1.09852", "1.09872");
  const Trade& t = broker_->trades().at(0);
  EXPECT_EQ(t.exit_reason, ExitReason::kTrailingStop);
  EXPECT_DOUBLE_EQ(t.exit_price, 1.09872);
}

TEST_F(BrokerTest, OcoFillCancelsThePartner) {
  Make({Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  const OrderId up = Submit(Req(0, Side::kBuy, 100000, OrderType::kStop, "1.10100"));
  OrderRequest down = Req(0, Side::kSell, 100000, OrderType::kStop, "1.09900");
  down.oco_with = up;
  const OrderId dn = Submit(down);
  EXPECT_EQ(broker_->WorkingOrders().size(), 2u);
  Q(0, 100, "1.10100", "1.10120");
  ASSERT_EQ(rec_.fills.size(), 1u);
  EXPECT_EQ(rec_.fills[0].order, up);
  EXPECT_TRUE(broker_->WorkingOrders().empty());
  ASSERT_FALSE(rec_.updates.empty());
  EXPECT_EQ(rec_.updates.back().id, dn);
  EXPECT_EQ(rec_.updates.back().status, OrderStatus::kCancelled);
  // The cancelled partner never fills.
  Q(0, 200, "1.09800", "1.09820");
  EXPECT_EQ(rec_.fills.size(), 1u);
}

TEST_F(BrokerTest, OcoRejectsUnknownOrTakenPartner) {
  Make({Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  OrderRequest r = Req(0, Side::kSell, 1000, OrderType::kStop, "1.09");
  r.oco_with = 77;
  Result<OrderId> bad = broker_->SubmitOrder(r);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(bad.status().message().find("OCO partner order 77"), std::string::npos);
  const OrderId a = Submit(Req(0, Side::kBuy, 1000, OrderType::kStop, "1.2"));
  r.oco_with = a;
  Submit(r);
  Result<OrderId> third = broker_->SubmitOrder(r);
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.status().message().find("already has an OCO partner"), std::string::npos);
}

TEST_F(BrokerTest, LatencyFillsAtTheFirstQuoteAfterIt) {
  BrokerConfig c;
  c.latency = Duration(100 * kNanosPerMilli);
  Make(c, {Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  Submit(Req(0, Side::kBuy, 100000));
  EXPECT_TRUE(rec_.fills.empty());
  Q(0, 50, "1.10010", "1.10030");  // before submit + latency
  EXPECT_TRUE(rec_.fills.empty());
  Q(0, 150, "1.10020", "1.10040");
  ASSERT_EQ(rec_.fills.size(), 1u);
  EXPECT_EQ(rec_.fills[0].price, P("1.10040"));
  EXPECT_EQ(rec_.fills[0].time, t0_ + Duration(150 * kNanosPerMilli));
}

TEST_F(BrokerTest, NoLatencyButStaleQuoteWaitsForTheNextQuote) {
  Make({Inst("EURUSD"), Inst("GBPUSD")});
  Q(0, 0, "1.10000", "1.10020");
  Q(1, 10, "1.27000", "1.27020");  // the clock moved on; EURUSD's quote is from t0
  Submit(Req(0, Side::kBuy, 100000));
  EXPECT_TRUE(rec_.fills.empty());
  Q(0, 20, "1.10005", "1.10025");
  ASSERT_EQ(rec_.fills.size(), 1u);
  EXPECT_EQ(rec_.fills[0].price, P("1.10025"));
}

TEST_F(BrokerTest, SpreadFractionSlippage) {
  BrokerConfig c;
  c.slippage.model = SlippageModel::kSpreadFraction;
  c.slippage.spread_fraction = 0.5;
  Make(c, {Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");  // spread 2 pips: slip 1 pip
  Submit(Req(0, Side::kBuy, 100000));
  EXPECT_EQ(rec_.fills[0].price, P("1.10030"));
  EXPECT_EQ(rec_.fills[0].slippage_cost, M(10));
  Submit(Req(0, Side::kSell, 100000));
  EXPECT_EQ(rec_.fills[1].price, P("1.09990"));
  // Round trip: 2 pips of spread and 2 of slippage = -40 USD gross.
  EXPECT_EQ(broker_->trades().at(0).gross_pnl, M(-40));
  EXPECT_EQ(broker_->costs().slippage, M(20));
}

TEST_F(BrokerTest, VolatilitySlippageMatchesAReferenceEwma) {
  BrokerConfig c;
  c.slippage.model = SlippageModel::kVolatility;
  c.slippage.vol_k = 2;
  c.slippage.vol_window = 3;  // alpha = 0.5
  Make(c, {Inst("EURUSD")});
  const char* bids[] = {"1.10000", "1.10020", "1.10010", "1.10050"};
  const char* asks[] = {"1.10020", "1.10040", "1.10030", "1.10070"};
  // Reference: sigma^2 = sum over changes of 0.5 weights, written as an explicit recursion.
  double var = 0, prev = std::nan("");
  for (int k = 0; k < 4; ++k) {
    Q(0, k * 100, bids[k], asks[k]);
    const double mid = (std::stod(bids[k]) + std::stod(asks[k])) / 2;
    if (!std::isnan(prev)) var = 0.5 * var + 0.5 * (mid - prev) * (mid - prev);
    prev = mid;
  }
  Submit(Req(0, Side::kBuy, 100000));
  const double slip = 2 * std::sqrt(var);
  EXPECT_NEAR(rec_.fills[0].price.ToDouble(), 1.1007 + slip, 1e-9);
  EXPECT_NEAR(rec_.fills[0].slippage_cost.ToDouble(), slip * 100000, 1e-5);
  EXPECT_GT(slip, 0);
}

TEST_F(BrokerTest, InsufficientMarginRejectedWithTheNumbers) {
  BrokerConfig c;
  c.initial_balance = 1000;
  Make(c, {Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  Result<OrderId> r = broker_->SubmitOrder(Req(0, Side::kBuy, 100000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  // 100000 EUR x 1.1001 / 30 = 3667.00 USD of margin.
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("insufficient free margin"), std::string::npos) << m;
  EXPECT_NE(m.find("needs 3667.00 USD"), std::string::npos) << m;
  EXPECT_NE(m.find("free margin 1000.00 USD"), std::string::npos) << m;
  EXPECT_TRUE(rec_.fills.empty());
  // 25000 fits: 916.75 USD.
  Submit(Req(0, Side::kBuy, 25000));
  EXPECT_EQ(rec_.fills.size(), 1u);
  EXPECT_NEAR(broker_->margin_used().ToDouble(), 25000 * 1.1001 / 30, 1e-6);
}

TEST_F(BrokerTest, LeverageCapsTheMarginRate) {
  BrokerConfig c;
  c.leverage = 10;  // tighter than EURUSD's 1:30
  Make(c, {Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  Submit(Req(0, Side::kBuy, 100000));
  EXPECT_NEAR(broker_->margin_used().ToDouble(), 11001.0, 1e-6);
  EXPECT_EQ(broker_->leverage_max(), 10);
}

TEST_F(BrokerTest, MarginCallBlocksNewExposureAndStopOutCloses) {
  BrokerConfig c;
  c.initial_balance = 10000;
  Make(c, {Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  Submit(Req(0, Side::kBuy, 250000));
  // bid 1.096: equity = 10000 - 0.0042 x 250000 = 8950; margin = 250000 x 1.0961 / 30 = 9134.17
  // -> 97.98% < 100%: margin call.
  Q(0, 100, "1.09600", "1.09620");
  EXPECT_EQ(broker_->stats().margin_calls, 1);
  Result<OrderId> more = broker_->SubmitOrder(Req(0, Side::kBuy, 1000));
  ASSERT_FALSE(more.ok());
  EXPECT_NE(more.status().message().find("margin call"), std::string::npos);
  // Reducing is still allowed... but keep the position for the stop-out.
  // bid 1.080: equity 4950, margin 9000.83 -> 55%: no stop-out yet.
  Q(0, 200, "1.08000", "1.08020");
  EXPECT_EQ(broker_->positions().size(), 1u);
  // bid 1.078: equity 4450, margin 8984.17 -> 49.5%: stop-out at the bid.
  Q(0, 300, "1.07800", "1.07820");
  ASSERT_TRUE(broker_->positions().empty());
  const Trade& t = broker_->trades().at(0);
  EXPECT_EQ(t.exit_reason, ExitReason::kStopOut);
  EXPECT_DOUBLE_EQ(t.exit_price, 1.078);
  EXPECT_EQ(t.gross_pnl, M(-5550));
  EXPECT_EQ(broker_->balance(), M(4450));
  EXPECT_EQ(broker_->stats().stop_outs, 1);
}

TEST_F(BrokerTest, StopOutClosesTheWorstLoserFirstUntilRecovered) {
  BrokerConfig c;
  c.initial_balance = 10000;
  c.mode = AccountMode::kHedging;
  Make(c, {Inst("EURUSD"), Inst("GBPUSD")});
  Q(0, 0, "1.10000", "1.10020");
  Q(1, 0, "1.27000", "1.27020");
  Submit(Req(1, Side::kBuy, 30000));   // margin 30000 x 1.2701 / 30 = 1270.10
  Submit(Req(0, Side::kBuy, 200000));  // margin 200000 x 1.1001 / 30 = 7334.00
  // EURUSD bid 1.070: EURUSD -6040, GBPUSD -6, equity 3954; margin 7134 + 1270.1 -> 47%.
  Q(0, 100, "1.07000", "1.07020");
  ASSERT_EQ(broker_->trades().size(), 1u);
  EXPECT_EQ(broker_->trades()[0].symbol, "EURUSD");
  EXPECT_EQ(broker_->trades()[0].exit_reason, ExitReason::kStopOut);
  // The GBPUSD position survives: equity 3954 / margin 1270.1 = 311%.
  ASSERT_EQ(broker_->positions().size(), 1u);
  EXPECT_EQ(broker_->positions()[0].instrument, 1u);
  EXPECT_EQ(broker_->balance(), M(10000 - 6040));
}

TEST_F(BrokerTest, StopOutTriggeredByAConversionPairQuote) {
  // USD account holding EURJPY: its USD value moves with USDJPY alone.
  BrokerConfig c;
  c.initial_balance = 10000;
  Make(c, {Inst("EURJPY"), Inst("USDJPY")});
  Q(1, 0, "150.000", "150.000");
  Q(0, 0, "165.000", "165.020");
  Submit(Req(0, Side::kBuy, 200000));
  // EURJPY bid 162: -604000 JPY = -4026.67 USD; margin 200000/30 x 162.01/150 = 7200.4: 83%.
  Q(0, 100, "162.000", "162.020");
  EXPECT_EQ(broker_->positions().size(), 1u);
  // USDJPY 115: -5252.17 USD, margin 9391.9: 50.6%, still open.
  Q(1, 200, "115.000", "115.000");
  EXPECT_EQ(broker_->positions().size(), 1u);
  EXPECT_NEAR(broker_->equity().ToDouble(), 10000 - 604000 / 115.0, 1e-5);
  // USDJPY 110: -5490.91 USD, margin 9818.8: 45.9% -> stopped out by the USDJPY quote.
  Q(1, 300, "110.000", "110.000");
  ASSERT_TRUE(broker_->positions().empty());
  const Trade& t = broker_->trades().at(0);
  EXPECT_EQ(t.exit_reason, ExitReason::kStopOut);
  EXPECT_DOUBLE_EQ(t.exit_price, 162.0);
  EXPECT_EQ(t.gross_pnl, M(-604000 / 110.0));
}

TEST_F(BrokerTest, NettingReducesAndReverses) {
  Make({Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  Submit(Req(0, Side::kBuy, 100000));
  Q(0, 100, "1.10100", "1.10120");
  Submit(Req(0, Side::kSell, 150000));
  ASSERT_EQ(broker_->trades().size(), 1u);
  const Trade& t = broker_->trades()[0];
  EXPECT_EQ(t.quantity, 100000);
  EXPECT_EQ(t.gross_pnl, M(80));
  // Entry spread 10 + two thirds of the 15 paid on the 150000 fill.
  EXPECT_EQ(t.costs.spread, M(20));
  ASSERT_EQ(broker_->positions().size(), 1u);
  const Position& p = broker_->positions()[0];
  EXPECT_EQ(p.side, Side::kSell);
  EXPECT_EQ(p.quantity, 50000);
  EXPECT_DOUBLE_EQ(p.avg_price, 1.101);
  EXPECT_NE(p.id, t.position);
  EXPECT_EQ(rec_.fills[1].quantity, 150000);
  EXPECT_EQ(rec_.fills[1].spread_cost, M(15));
}

TEST_F(BrokerTest, NettingAddsAtTheAveragePriceAndClosesPartially) {
  Make({Inst("EURUSD", 35)});
  Q(0, 0, "1.10000", "1.10020");
  Submit(Req(0, Side::kBuy, 100000));
  Q(0, 100, "1.10100", "1.10120");
  Submit(Req(0, Side::kBuy, 100000));
  ASSERT_EQ(broker_->positions().size(), 1u);
  EXPECT_DOUBLE_EQ(broker_->positions()[0].avg_price, (1.1002 + 1.1012) / 2);
  EXPECT_EQ(broker_->positions()[0].quantity, 200000);
  Q(0, 200, "1.10200", "1.10220");
  Submit(Req(0, Side::kSell, 50000));
  ASSERT_EQ(broker_->trades().size(), 1u);
  const Trade& t = broker_->trades()[0];
  EXPECT_EQ(t.quantity, 50000);
  // (1.102 - 1.1007) x 50000 = 65.
  EXPECT_EQ(t.gross_pnl, M(65));
  // A quarter of the entry commissions (3.85035 + 3.85385) plus all of this fill's.
  const double exit_comm = 35 * 0.05 * 1.1021;
  EXPECT_NEAR(t.costs.commission.ToDouble(), (3.85035 + 3.85385) / 4 + exit_comm, 2e-6);
  EXPECT_EQ(broker_->positions()[0].quantity, 150000);
  // Closing the rest: the two trades' commissions add up to everything charged, exactly.
  Submit(Req(0, Side::kSell, 150000));
  ASSERT_EQ(broker_->trades().size(), 2u);
  EXPECT_EQ(broker_->trades()[0].costs.commission + broker_->trades()[1].costs.commission,
            broker_->costs().commission);
  EXPECT_EQ(broker_->trades()[0].costs.spread + broker_->trades()[1].costs.spread,
            broker_->costs().spread);
}

TEST_F(BrokerTest, HedgingKeepsOppositePositionsAndClosesByName) {
  BrokerConfig c;
  c.mode = AccountMode::kHedging;
  Make(c, {Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  Submit(Req(0, Side::kBuy, 100000));
  Q(0, 100, "1.10100", "1.10120");
  Submit(Req(0, Side::kSell, 150000));
  ASSERT_EQ(broker_->positions().size(), 2u);
  EXPECT_TRUE(broker_->trades().empty());
  const PositionId long_id = broker_->positions()[0].id;
  OrderRequest close = Req(0, Side::kSell, 40000);
  close.close_position = long_id;
  Submit(close);
  ASSERT_EQ(broker_->trades().size(), 1u);
  EXPECT_EQ(broker_->trades()[0].position, long_id);
  EXPECT_EQ(broker_->trades()[0].quantity, 40000);
  EXPECT_EQ(broker_->trades()[0].gross_pnl, M(32));  // (1.101 - 1.1002) x 40000
  EXPECT_EQ(broker_->positions().size(), 2u);
  EXPECT_TRUE(broker_->ClosePosition(long_id, ExitReason::kSignal).ok());
  EXPECT_EQ(broker_->positions().size(), 1u);
  EXPECT_EQ(broker_->positions()[0].side, Side::kSell);
  // The wrong side on a named position is refused.
  OrderRequest wrong = Req(0, Side::kSell, 1000);
  wrong.close_position = broker_->positions()[0].id;
  EXPECT_EQ(broker_->SubmitOrder(wrong).status().code(), StatusCode::kInvalidArgument);
}

// EURUSD with swaps of -5 (long) and +2 (short) points per lot per night: a 100000 long pays
// 5 x 0.00001 x 100000 = 5 USD a night; a short earns 2.
TEST_F(BrokerTest, SwapAtFiveNewYorkWithTripleWednesday) {
  Make({Inst("EURUSD", 0, -5, 2)});
  QuoteAt(0, T("2024-01-09T21:59:00Z"), "1.10000", "1.10020");  // Tuesday, winter: 22:00 UTC
  Submit(Req(0, Side::kBuy, 100000));
  QuoteAt(0, T("2024-01-09T21:59:59Z"), "1.10000", "1.10020");
  EXPECT_EQ(broker_->costs().swap, Money());
  QuoteAt(0, T("2024-01-09T22:00:00Z"), "1.10000", "1.10020");
  EXPECT_EQ(broker_->costs().swap, M(5));
  EXPECT_EQ(broker_->balance(), M(100000 - 5));
  QuoteAt(0, T("2024-01-10T21:00:00Z"), "1.10000", "1.10020");
  EXPECT_EQ(broker_->costs().swap, M(5));
  QuoteAt(0, T("2024-01-10T22:00:01Z"), "1.10000", "1.10020");  // Wednesday: three nights
  EXPECT_EQ(broker_->costs().swap, M(20));
  QuoteAt(0, T("2024-01-11T22:30:00Z"), "1.10000", "1.10020");  // Thursday
  EXPECT_EQ(broker_->costs().swap, M(25));
  EXPECT_EQ(broker_->stats().rollovers, 3);
  Submit(Req(0, Side::kSell, 100000));
  const Trade& t = broker_->trades().at(0);
  EXPECT_EQ(t.costs.swap, M(25));
  EXPECT_EQ(t.net_pnl, t.gross_pnl - M(25));
}

TEST_F(BrokerTest, SwapEarnedOnShortsAndAcrossTheDstSwitch) {
  Make({Inst("EURUSD", 0, -5, 2)});
  // Friday 8 March 2024 (EST): rollover 22:00 UTC. New York moves to EDT on Sunday 10 March, so
  // Monday's rollover is at 21:00 UTC.
  QuoteAt(0, T("2024-03-08T21:30:00Z"), "1.10000", "1.10020");
  Submit(Req(0, Side::kSell, 100000));
  QuoteAt(0, T("2024-03-08T21:59:00Z"), "1.10000", "1.10020");
  EXPECT_EQ(broker_->costs().swap, Money());
  QuoteAt(0, T("2024-03-10T21:05:00Z"), "1.10000", "1.10020");  // Friday's rollover passed
  EXPECT_EQ(broker_->costs().swap, M(-2));
  QuoteAt(0, T("2024-03-11T20:59:59Z"), "1.10000", "1.10020");
  EXPECT_EQ(broker_->costs().swap, M(-2));
  QuoteAt(0, T("2024-03-11T21:00:00Z"), "1.10000", "1.10020");  // Monday, EDT
  EXPECT_EQ(broker_->costs().swap, M(-4));
  EXPECT_EQ(broker_->balance(), M(100004));
}

TEST_F(BrokerTest, AccountInEurConvertsAtTheClosingMid) {
  BrokerConfig c;
  c.account_currency = "EUR";
  Make(c, {Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  Submit(Req(0, Side::kBuy, 100000));
  EXPECT_NEAR(broker_->margin_used().ToDouble(), 100000.0 / 30, 1e-6);  // base EUR: no conversion
  Q(0, 100, "1.10100", "1.10120");                                      // mid 1.1011
  Submit(Req(0, Side::kSell, 100000));
  const Trade& t = broker_->trades().at(0);
  EXPECT_EQ(t.gross_pnl, M(80 / 1.1011));
  EXPECT_EQ(broker_->balance(), M(100000 + 80 / 1.1011));
  EXPECT_EQ(broker_->currency(), "EUR");
}

TEST_F(BrokerTest, AccountInJpyConvertsThroughUsdJpy) {
  BrokerConfig c;
  c.account_currency = "JPY";
  c.initial_balance = 15'000'000;
  Make(c, {Inst("EURUSD", 35), Inst("USDJPY")});
  Q(1, 0, "150.000", "150.020");  // mid 150.01
  Q(0, 0, "1.10000", "1.10020");  // mid 1.1001
  Submit(Req(0, Side::kBuy, 100000));
  // Commission: 35 per million JPY-notional: 100000 EUR x 1.1001 x 150.01 / 1e6 x 35.
  EXPECT_NEAR(rec_.fills[0].commission.ToDouble(), 35 * 0.1 * 1.1001 * 150.01, 1e-6);
  EXPECT_NEAR(rec_.fills[0].spread_cost.ToDouble(), 10 * 150.01, 1e-6);
  Q(0, 100, "1.10100", "1.10120");
  Submit(Req(0, Side::kSell, 100000));
  EXPECT_EQ(broker_->trades().at(0).gross_pnl, M(80 * 150.01));
  Result<double> usd = broker_->ToAccount(1, "USD");
  ASSERT_TRUE(usd.ok());
  EXPECT_DOUBLE_EQ(*usd, 150.01);
}

TEST_F(BrokerTest, MissingConversionPairIsAnErrorAtCreate) {
  BrokerConfig c;
  c.account_currency = "JPY";
  Result<std::unique_ptr<SimulatedBroker>> b = SimulatedBroker::Create(c, {Inst("EURUSD")}, clock_);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kNotFound);
  EXPECT_NE(b.status().message().find("USD to JPY"), std::string::npos) << b.status().message();
  EXPECT_NE(b.status().message().find("EURUSD"), std::string::npos);
}

TEST_F(BrokerTest, MissingConversionQuoteRejectsTheOrder) {
  BrokerConfig c;
  c.account_currency = "JPY";
  c.initial_balance = 15'000'000;
  Make(c, {Inst("EURUSD"), Inst("USDJPY")});
  Q(0, 0, "1.10000", "1.10020");  // no USDJPY quote yet
  Result<OrderId> r = broker_->SubmitOrder(Req(0, Side::kBuy, 100000));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("no quote yet for USDJPY"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(broker_->positions().empty());
  EXPECT_EQ(broker_->stats().rejected, 1);
}

TEST_F(BrokerTest, BadOrdersAreRejectedWithClearErrors) {
  Make({Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  for (double q : {0.0, -1.0, std::nan(""), std::numeric_limits<double>::infinity()}) {
    Result<OrderId> r = broker_->SubmitOrder(Req(0, Side::kBuy, q));
    ASSERT_FALSE(r.ok()) << q;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("quantity"), std::string::npos) << r.status().message();
  }
  Result<OrderId> r = broker_->SubmitOrder(Req(5, Side::kBuy, 1000));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unknown instrument index 5 (1 instruments loaded)"),
            std::string::npos);
  r = broker_->SubmitOrder(Req(0, Side::kBuy, 1000, OrderType::kLimit, "0"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("positive price"), std::string::npos);
  OrderRequest b = Req(0, Side::kBuy, 1000);
  b.bracket.stop_loss = 1.2;
  b.bracket.take_profit = 1.1;
  r = broker_->SubmitOrder(b);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("stop_loss below take_profit"), std::string::npos);
  b.bracket = Bracket{};
  b.bracket.trailing_stop_pips = -3;
  EXPECT_EQ(broker_->SubmitOrder(b).status().code(), StatusCode::kInvalidArgument);
  OrderRequest c = Req(0, Side::kSell, 1000);
  c.close_position = 42;
  EXPECT_EQ(broker_->SubmitOrder(c).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(broker_->CancelOrder(9).code(), StatusCode::kNotFound);
  EXPECT_EQ(broker_->ClosePosition(9, ExitReason::kSignal).code(), StatusCode::kNotFound);
  EXPECT_TRUE(rec_.fills.empty());
  EXPECT_EQ(broker_->balance(), M(100000));
}

TEST_F(BrokerTest, BadConfigsAreRejected) {
  auto bad = [&](BrokerConfig c, const char* what) {
    Result<std::unique_ptr<SimulatedBroker>> b =
        SimulatedBroker::Create(c, {Inst("EURUSD")}, clock_);
    ASSERT_FALSE(b.ok()) << what;
    EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(b.status().message().find(what), std::string::npos) << b.status().message();
  };
  BrokerConfig c;
  c.leverage = 0;
  bad(c, "leverage");
  c = BrokerConfig{};
  c.account_currency = "US";
  bad(c, "account_currency");
  c = BrokerConfig{};
  c.initial_balance = std::nan("");
  bad(c, "initial_balance");
  c.initial_balance = 1e15;
  bad(c, "initial_balance");
  c = BrokerConfig{};
  c.stop_out_level = 120;
  bad(c, "stop_out_level");
  c = BrokerConfig{};
  c.slippage.pips = -1;
  bad(c, "slippage_pips");
  Result<std::unique_ptr<SimulatedBroker>> none =
      SimulatedBroker::Create(BrokerConfig{}, {}, clock_);
  EXPECT_FALSE(none.ok());
  Result<std::unique_ptr<SimulatedBroker>> twice =
      SimulatedBroker::Create(BrokerConfig{}, {Inst("EURUSD"), Inst("EURUSD")}, clock_);
  ASSERT_FALSE(twice.ok());
  EXPECT_NE(twice.status().message().find("listed twice"), std::string::npos);
}

TEST_F(BrokerTest, CancelRemovesAWorkingOrder) {
  Make({Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  const OrderId id = Submit(Req(0, Side::kBuy, 1000, OrderType::kLimit, "1.09"));
  EXPECT_TRUE(broker_->CancelOrder(id).ok());
  EXPECT_EQ(rec_.updates.back().status, OrderStatus::kCancelled);
  Q(0, 100, "1.08000", "1.08020");
  EXPECT_TRUE(rec_.fills.empty());
}

TEST_F(BrokerTest, PendingOrderRejectedAtFillWhenMarginIsGone) {
  BrokerConfig c;
  c.initial_balance = 5000;
  Make(c, {Inst("EURUSD")});
  Q(0, 0, "1.10000", "1.10020");
  Submit(Req(0, Side::kBuy, 100000, OrderType::kLimit, "1.09000"));  // 3633 USD margin at 1.09
  Submit(Req(0, Side::kBuy, 100000, OrderType::kLimit, "1.09000"));  // the second cannot fit
  Q(0, 100, "1.08980", "1.09000");
  EXPECT_EQ(rec_.fills.size(), 1u);
  ASSERT_FALSE(rec_.updates.empty());
  EXPECT_EQ(rec_.updates.back().status, OrderStatus::kRejected);
  EXPECT_NE(rec_.updates.back().reject_reason.find("insufficient free margin"), std::string::npos);
}

// ---- Bar mode (the broker alone; the engine's bar loop is tested in engine_test.cc) ----

class BarBrokerTest : public BrokerTest {
 protected:
  void MakeBars(BrokerConfig c, std::vector<fx::Instrument> ins) {
    Result<std::unique_ptr<SimulatedBroker>> b = SimulatedBroker::Create(
        c, std::move(ins), clock_, fx::FxCalendar::Default(), FillMode::kBars);
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    broker_ = std::move(*b);
    broker_->SetListener(&rec_);
  }
  static Bar B(UnixNanos open, const char* o, const char* h, const char* l, const char* c,
               double spread = 0.0002) {
    Bar b;
    b.ts_open = open;
    b.ts_close = open + Duration(5 * kNanosPerMinute);
    b.open = P(o);
    b.high = P(h);
    b.low = P(l);
    b.close = P(c);
    b.spread_mean = spread;
    return b;
  }
  void Feed(const Bar& b) {
    ASSERT_TRUE(clock_.AdvanceTo(b.ts_close).ok());
    broker_->OnBarFills(0, b);
    broker_->AdvanceTo(b.ts_close);
    broker_->OnBarClose(0, b);
    broker_->CheckStopOut();
    ASSERT_TRUE(broker_->error().ok()) << broker_->error().ToString();
  }
};

TEST_F(BarBrokerTest, MarketAtNextOpenAndStopBeforeTargetInsideOneBar) {
  MakeBars(BrokerConfig{}, {Inst("EURUSD")});
  Feed(B(t0_, "1.1000", "1.1010", "1.0990", "1.1005"));
  OrderRequest r = Req(0, Side::kBuy, 100000);
  r.bracket.stop_loss = 1.1000;
  r.bracket.take_profit = 1.1015;
  Submit(r);
  EXPECT_TRUE(rec_.fills.empty());  // bar mode: never inside SubmitOrder
  // Next bar: opens 1.1006 (ask 1.1008); its range holds both the stop and the target.
  Feed(B(t0_ + Duration(5 * kNanosPerMinute), "1.1006", "1.1020", "1.1000", "1.1015"));
  ASSERT_EQ(rec_.fills.size(), 2u);
  EXPECT_EQ(rec_.fills[0].price, P("1.1008"));
  EXPECT_EQ(rec_.fills[0].time, t0_ + Duration(5 * kNanosPerMinute));
  const Trade& t = broker_->trades().at(0);
  EXPECT_EQ(t.exit_reason, ExitReason::kStopLoss);
  EXPECT_DOUBLE_EQ(t.exit_price, 1.1);
  EXPECT_EQ(t.gross_pnl, M(-80));
}

TEST_F(BarBrokerTest, GapThroughTheStopFillsAtTheOpen) {
  MakeBars(BrokerConfig{}, {Inst("EURUSD")});
  Feed(B(t0_, "1.1000", "1.1010", "1.0990", "1.1005"));
  OrderRequest r = Req(0, Side::kBuy, 100000);
  r.bracket.stop_loss = 1.0990;
  Submit(r);
  Feed(B(t0_ + Duration(5 * kNanosPerMinute), "1.1006", "1.1010", "1.1000", "1.1004"));
  EXPECT_EQ(broker_->positions().size(), 1u);
  Feed(B(t0_ + Duration(10 * kNanosPerMinute), "1.0980", "1.0985", "1.0970", "1.0975"));
  const Trade& t = broker_->trades().at(0);
  EXPECT_EQ(t.exit_reason, ExitReason::kStopLoss);
  EXPECT_DOUBLE_EQ(t.exit_price, 1.098);  // the open, worse than the stop
  EXPECT_EQ(t.exit_time, t0_ + Duration(10 * kNanosPerMinute));
}

TEST_F(BarBrokerTest, LimitAgainstTheAskLowAndShortStopAgainstTheAskHigh) {
  MakeBars(BrokerConfig{}, {Inst("EURUSD")});
  Feed(B(t0_, "1.1000", "1.1010", "1.0990", "1.1005"));
  Submit(Req(0, Side::kBuy, 100000, OrderType::kLimit, "1.0995"));
  // Low 1.0992 bid -> ask low 1.0994 <= 1.0995: filled at the limit, at the bar's close time.
  Feed(B(t0_ + Duration(5 * kNanosPerMinute), "1.1006", "1.1010", "1.0992", "1.1004"));
  ASSERT_EQ(rec_.fills.size(), 1u);
  EXPECT_EQ(rec_.fills[0].price, P("1.0995"));
  EXPECT_EQ(rec_.fills[0].time, t0_ + Duration(10 * kNanosPerMinute));

  OrderRequest s = Req(0, Side::kSell, 200000);  // reverse to a 100000 short
  s.bracket.stop_loss = 1.1010;
  Submit(s);
  // Opens 1.1004 (sell at the bid); bid high 1.1009 -> ask high 1.1011 >= 1.1010: stopped.
  Feed(B(t0_ + Duration(10 * kNanosPerMinute), "1.1004", "1.1009", "1.1000", "1.1002"));
  ASSERT_EQ(broker_->trades().size(), 2u);
  EXPECT_EQ(broker_->trades()[1].side, Side::kSell);
  EXPECT_EQ(broker_->trades()[1].exit_reason, ExitReason::kStopLoss);
  EXPECT_DOUBLE_EQ(broker_->trades()[1].exit_price, 1.101);
}

}  // namespace
}  // namespace arus::backtest
