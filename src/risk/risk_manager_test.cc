#include "risk/risk_manager.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "risk/test_util.h"

// Counts heap allocations so the accept path of Check can be shown to allocate nothing. GCC
// flags free() on memory from a replaced operator new although both sides here use malloc/free.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
namespace {
std::atomic<long> g_allocations{0};
}
void* operator new(size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace arus::risk {
namespace {

using backtest::OrderGuard;
using backtest::OrderRequest;
using backtest::Side;
using testutil::FakeAccount;

UnixNanos T(const char* iso) { return *ParseIsoUtc(iso); }
const UnixNanos kNow = T("2024-06-04T12:00:00Z");  // a Tuesday

// All limits off; tests switch on the one they exercise.
RiskConfig NoLimits() {
  RiskConfig c;
  c.limits.max_open_positions = 0;
  c.limits.max_leverage = 0;
  c.limits.max_currency_exposure = 0;
  c.limits.daily_loss_limit = 0;
  c.limits.max_drawdown = 0;
  return c;
}

std::unique_ptr<RiskManager> Make(const RiskConfig& c, bool hedging = false) {
  RiskManager::Options o;
  o.hedging = hedging;
  Result<std::unique_ptr<RiskManager>> rm = RiskManager::Create(c, o);
  EXPECT_TRUE(rm.ok()) << rm.status().ToString();
  return std::move(rm).value();
}

OrderRequest Order(const FakeAccount& a, const std::string& symbol, Side side, double qty,
                   backtest::PositionId close = 0) {
  OrderRequest o;
  o.instrument = a.Index(symbol);
  o.side = side;
  o.quantity = qty;
  o.close_position = close;
  return o;
}

// The rejection message, or "OK".
std::string Verdict(RiskManager& rm, const FakeAccount& a, const OrderRequest& o,
                    UnixNanos now = kNow) {
  Status s = rm.Check(o, a, now);
  if (s.ok()) return "OK";
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  return s.message();
}

FakeAccount UsdBook(double equity) {
  FakeAccount a("USD", {"EURUSD", "GBPUSD", "USDJPY", "EURGBP"}, equity);
  a.SetMid("EURUSD", 1.10, 0.0001);
  a.SetMid("GBPUSD", 1.25, 0.0001);
  a.SetMid("USDJPY", 150.0, 0.01);
  a.SetMid("EURGBP", 0.88, 0.0001);
  return a;
}

TEST(RiskManagerTest, CreateValidatesTheConfig) {
  RiskConfig c;
  c.sizing.risk_fraction = 0;
  Result<std::unique_ptr<RiskManager>> rm = RiskManager::Create(c);
  ASSERT_FALSE(rm.ok());
  EXPECT_EQ(rm.status().ToString(),
            "invalid argument: risk config: [risk.sizing] key 'risk_fraction': out of range: 0 "
            "(allowed (0, 1])");
}

TEST(RiskManagerTest, CurrencyExposureSummedOverPairs) {
  RiskConfig c = NoLimits();
  c.limits.max_currency_exposure = 2.0;
  auto rm = Make(c);
  FakeAccount a = UsdBook(100'000);
  a.Open("EURUSD", Side::kBuy, 100'000);  // USD -1.10x
  // Long GBPUSD adds another short USD leg: -110,000 - 125,000 = -235,000 = -2.35x.
  EXPECT_EQ(Verdict(*rm, a, Order(a, "GBPUSD", Side::kBuy, 100'000)),
            "net USD exposure would be -2.35x equity (-235,000.00 USD) after the GBPUSD order, "
            "beyond the 2.00x limit");
  EXPECT_EQ(Verdict(*rm, a, Order(a, "GBPUSD", Side::kBuy, 50'000)), "OK");  // -1.725x
  // Selling USDJPY is short USD too: -1.10 - 1.00 = -2.10x.
  EXPECT_EQ(Verdict(*rm, a, Order(a, "USDJPY", Side::kSell, 100'000)),
            "net USD exposure would be -2.10x equity (-210,000.00 USD) after the USDJPY order, "
            "beyond the 2.00x limit");
  // Buying USDJPY offsets the USD leg.
  EXPECT_EQ(Verdict(*rm, a, Order(a, "USDJPY", Side::kBuy, 100'000)), "OK");
  // A cross adds to EUR without touching USD: 1.10 + 150,000 x 0.88 x 1.25 / 100,000 = 2.75x.
  EXPECT_EQ(Verdict(*rm, a, Order(a, "EURGBP", Side::kBuy, 150'000)),
            "net EUR exposure would be 2.75x equity (275,000.00 USD) after the EURGBP order, "
            "beyond the 2.00x limit");
  // Selling EURGBP reduces EUR and builds long GBP instead: fine up to 2x.
  EXPECT_EQ(Verdict(*rm, a, Order(a, "EURGBP", Side::kSell, 150'000)), "OK");
  EXPECT_EQ(rm->stats().rejected_exposure, 3u);
  EXPECT_EQ(rm->stats().accepted, 3u);
}

TEST(RiskManagerTest, ReducingOrdersPassWhenTheBookIsOverTheLimits) {
  RiskConfig c = NoLimits();
  c.limits.max_currency_exposure = 2.0;
  c.limits.max_leverage = 2.5;
  c.limits.max_open_positions = 1;
  auto rm = Make(c);
  FakeAccount a = UsdBook(40'000);        // equity fell: the book is now over every limit
  a.Open("EURUSD", Side::kBuy, 100'000);  // USD -2.75x
  a.Open("USDJPY", Side::kSell, 10'000);  // leverage (110,000 + 10,000) / 40,000 = 3x; 2 > 1
  EXPECT_EQ(Verdict(*rm, a, Order(a, "EURUSD", Side::kSell, 50'000)), "OK");
  EXPECT_EQ(Verdict(*rm, a, Order(a, "EURUSD", Side::kSell, 100'000)), "OK");  // full close
  EXPECT_EQ(Verdict(*rm, a, Order(a, "USDJPY", Side::kBuy, 10'000)), "OK");
  // More than the position is a reversal, which opens new exposure: checked, and here the
  // leverage after (|100,000 - 250,000| x 1.10 + 10,000 = 175,000 / 40,000 = 4.375x) is higher.
  EXPECT_EQ(Verdict(*rm, a, Order(a, "EURUSD", Side::kSell, 250'000)),
            "leverage would be 4.38x after the EURUSD order (gross notional 175,000.00 USD / "
            "equity 40,000.00 USD), above the 2.50x limit");
  // Anything adding to the book is refused.
  EXPECT_EQ(Verdict(*rm, a, Order(a, "EURUSD", Side::kBuy, 1'000)),
            "leverage would be 3.03x after the EURUSD order (gross notional 121,100.00 USD / "
            "equity 40,000.00 USD), above the 2.50x limit");
  EXPECT_TRUE(rm->IsReducing(Order(a, "EURUSD", Side::kSell, 100'000), a));
  EXPECT_FALSE(rm->IsReducing(Order(a, "EURUSD", Side::kSell, 100'001), a));
  EXPECT_FALSE(rm->IsReducing(Order(a, "EURUSD", Side::kBuy, 1), a));
  EXPECT_FALSE(rm->IsReducing(Order(a, "GBPUSD", Side::kSell, 1), a));  // flat instrument
}

TEST(RiskManagerTest, AnOrderThatLowersAnOverLimitMeasureStillPasses) {
  // Not a close, but it lowers USD exposure and leverage is off: the USD check compares with
  // before, so it passes although USD stays above 2x.
  RiskConfig c = NoLimits();
  c.limits.max_currency_exposure = 2.0;
  auto rm = Make(c);
  FakeAccount a = UsdBook(40'000);
  a.Open("EURUSD", Side::kBuy, 100'000);                                     // USD -2.75x
  EXPECT_EQ(Verdict(*rm, a, Order(a, "USDJPY", Side::kBuy, 10'000)), "OK");  // USD -2.50x
  EXPECT_EQ(Verdict(*rm, a, Order(a, "GBPUSD", Side::kBuy, 1'000)),
            "net USD exposure would be -2.78x equity (-111,250.00 USD) after the GBPUSD order, "
            "beyond the 2.00x limit");
}

TEST(RiskManagerTest, OpenPositionLimitNettingAndHedging) {
  RiskConfig c = NoLimits();
  c.limits.max_open_positions = 2;
  auto rm = Make(c);
  FakeAccount a = UsdBook(100'000);
  const backtest::PositionId eur = a.Open("EURUSD", Side::kBuy, 10'000);
  a.Open("GBPUSD", Side::kBuy, 10'000);
  EXPECT_EQ(Verdict(*rm, a, Order(a, "USDJPY", Side::kBuy, 10'000)),
            "open positions would be 3 after the USDJPY order, above the limit of 2");
  EXPECT_EQ(Verdict(*rm, a, Order(a, "EURUSD", Side::kBuy, 10'000)), "OK");   // adds to it
  EXPECT_EQ(Verdict(*rm, a, Order(a, "EURUSD", Side::kSell, 30'000)), "OK");  // flips it
  EXPECT_EQ(rm->stats().rejected_positions, 1u);

  // Hedging: every opening order is a new position; only named closes reduce.
  auto hedge = Make(c, /*hedging=*/true);
  EXPECT_EQ(Verdict(*hedge, a, Order(a, "EURUSD", Side::kBuy, 10'000)),
            "open positions would be 3 after the EURUSD order, above the limit of 2");
  EXPECT_EQ(Verdict(*hedge, a, Order(a, "EURUSD", Side::kSell, 10'000)),
            "open positions would be 3 after the EURUSD order, above the limit of 2");
  EXPECT_EQ(Verdict(*hedge, a, Order(a, "EURUSD", Side::kSell, 10'000, eur)), "OK");
  EXPECT_FALSE(hedge->IsReducing(Order(a, "EURUSD", Side::kSell, 20'000, eur), a));  // too big
  EXPECT_FALSE(hedge->IsReducing(Order(a, "EURUSD", Side::kBuy, 10'000, eur), a));   // same side
  EXPECT_FALSE(hedge->IsReducing(Order(a, "GBPUSD", Side::kSell, 10'000, eur), a));  // other pair
  EXPECT_FALSE(hedge->IsReducing(Order(a, "EURUSD", Side::kSell, 10'000, 999), a));  // unknown
}

TEST(RiskManagerTest, LeverageLimit) {
  RiskConfig c = NoLimits();
  c.limits.max_leverage = 3.0;
  auto rm = Make(c);
  FakeAccount a = UsdBook(100'000);
  a.Open("EURUSD", Side::kBuy, 200'000);  // 220,000 = 2.2x
  EXPECT_EQ(Verdict(*rm, a, Order(a, "GBPUSD", Side::kBuy, 100'000)),
            "leverage would be 3.45x after the GBPUSD order (gross notional 345,000.00 USD / "
            "equity 100,000.00 USD), above the 3.00x limit");
  EXPECT_EQ(Verdict(*rm, a, Order(a, "GBPUSD", Side::kSell, 50'000)), "OK");  // 2.825x
  // USDJPY notional is 70,000 USD whatever the side: 2.9x.
  EXPECT_EQ(Verdict(*rm, a, Order(a, "USDJPY", Side::kSell, 70'000)), "OK");
  EXPECT_EQ(rm->stats().rejected_leverage, 1u);
  // Hedging counts both sides of a pair.
  auto hedge = Make(c, true);
  EXPECT_EQ(Verdict(*hedge, a, Order(a, "EURUSD", Side::kSell, 100'000)),
            "leverage would be 3.30x after the EURUSD order (gross notional 330,000.00 USD / "
            "equity 100,000.00 USD), above the 3.00x limit");
}

TEST(RiskManagerTest, MissingDataAndMalformedOrders) {
  auto rm = Make(NoLimits());
  FakeAccount a("USD", {"EURUSD", "USDJPY"}, 100'000);
  a.SetMid("EURUSD", 1.10);
  EXPECT_EQ(Verdict(*rm, a, Order(a, "USDJPY", Side::kBuy, 1'000)), "no quote yet for USDJPY");
  OrderRequest o = Order(a, "EURUSD", Side::kBuy, 0);
  Status s = rm->Check(o, a, kNow);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "order quantity 0 must be a positive number");
  o.quantity = 1'000;
  o.instrument = 7;
  s = rm->Check(o, a, kNow);
  EXPECT_EQ(s.message(), "instrument index 7 is not in the run (2 instruments)");
  a.SetEquity(0);
  EXPECT_EQ(Verdict(*rm, a, Order(a, "EURUSD", Side::kBuy, 1'000)),
            "equity 0.00 USD is not positive");
  EXPECT_EQ(rm->stats().rejected_other, 4u);
}

TEST(RiskManagerTest, DailyLossLimitBlocksUntil17NewYorkInSummerTime) {
  RiskConfig c = NoLimits();
  c.limits.daily_loss_limit = 0.02;
  auto rm = Make(c);
  FakeAccount a = UsdBook(100'000);
  a.Open("EURUSD", Side::kBuy, 100'000);
  // Monday 2024-03-11, the day after the US switch to EDT: the day ends 17:00 EDT = 21:00 UTC.
  EXPECT_EQ(rm->OnMark(a, T("2024-03-11T13:00:00Z")), OrderGuard::Action::kNone);
  EXPECT_EQ(rm->trading_date(), *fx::Date::Parse("2024-03-11"));
  EXPECT_EQ(rm->day_start_equity(), 100'000);
  a.SetEquity(98'500);  // -1.5%
  EXPECT_EQ(rm->OnMark(a, T("2024-03-11T18:00:00Z")), OrderGuard::Action::kNone);
  a.SetEquity(97'900);  // -2.1%
  EXPECT_EQ(rm->OnMark(a, T("2024-03-11T19:00:00Z")), OrderGuard::Action::kFlatten);
  EXPECT_EQ(rm->OnMark(a, T("2024-03-11T19:05:00Z")), OrderGuard::Action::kNone);  // once
  EXPECT_TRUE(rm->blocked());
  EXPECT_FALSE(rm->halted());
  const std::string reason =
      "daily loss limit: equity 97,900.00 USD is 2.10% below the start-of-day 100,000.00 USD "
      "(limit 2.00%); new orders blocked until the trading day 2024-03-11 ends at "
      "2024-03-11T21:00:00Z (17:00 New York)";
  EXPECT_EQ(Verdict(*rm, a, Order(a, "GBPUSD", Side::kBuy, 1'000), T("2024-03-11T20:59:59Z")),
            reason);
  // Closing is allowed while blocked.
  EXPECT_EQ(Verdict(*rm, a, Order(a, "EURUSD", Side::kSell, 100'000), T("2024-03-11T20:59:59Z")),
            "OK");
  a.Clear();
  // 17:00 New York: a new trading day, starting from the last equity seen.
  EXPECT_EQ(Verdict(*rm, a, Order(a, "GBPUSD", Side::kBuy, 1'000), T("2024-03-11T21:00:00Z")),
            "OK");
  EXPECT_FALSE(rm->blocked());
  EXPECT_EQ(rm->trading_date(), *fx::Date::Parse("2024-03-12"));
  EXPECT_EQ(rm->day_start_equity(), 97'900);
  // The new day has its own budget: 2% of 97,900 = 1,958.
  a.SetEquity(95'943);  // -1,957
  EXPECT_EQ(rm->OnMark(a, T("2024-03-12T10:00:00Z")), OrderGuard::Action::kNone);
  a.SetEquity(95'900);  // -2,000
  EXPECT_EQ(rm->OnMark(a, T("2024-03-12T11:00:00Z")), OrderGuard::Action::kFlatten);
  EXPECT_EQ(rm->stats().daily_trips, 2u);
  EXPECT_EQ(rm->stats().rejected_daily, 1u);
}

TEST(RiskManagerTest, DailyLossLimitOverTheDstWeekend) {
  RiskConfig c = NoLimits();
  c.limits.daily_loss_limit = 0.02;
  auto rm = Make(c);
  FakeAccount a = UsdBook(100'000);
  // Friday 2024-03-08 is still EST: the day ends 17:00 EST = 22:00 UTC.
  rm->OnMark(a, T("2024-03-08T14:00:00Z"));
  a.SetEquity(97'000);
  EXPECT_EQ(rm->OnMark(a, T("2024-03-08T20:00:00Z")), OrderGuard::Action::kFlatten);
  const OrderRequest buy = Order(a, "EURUSD", Side::kBuy, 1'000);
  // 21:00 UTC would be 17:00 in summer, but New York is on EST until Sunday.
  EXPECT_NE(Verdict(*rm, a, buy, T("2024-03-08T21:00:00Z")).find("ends at 2024-03-08T22:00:00Z"),
            std::string::npos);
  EXPECT_NE(Verdict(*rm, a, buy, T("2024-03-08T21:59:59.999Z")), "OK");
  // The block ends with Friday's trading day; the week reopens Sunday 17:00 EDT = 21:00 UTC.
  EXPECT_EQ(Verdict(*rm, a, buy, T("2024-03-10T21:00:00Z")), "OK");
  EXPECT_EQ(rm->trading_date(), *fx::Date::Parse("2024-03-11"));
  EXPECT_EQ(rm->day_start_equity(), 97'000);

  // Autumn: Friday 2024-11-01 is EDT (ends 21:00 UTC).
  auto rm2 = Make(c);
  a.SetEquity(100'000);
  rm2->OnMark(a, T("2024-11-01T14:00:00Z"));
  a.SetEquity(97'000);
  EXPECT_EQ(rm2->OnMark(a, T("2024-11-01T15:00:00Z")), OrderGuard::Action::kFlatten);
  EXPECT_NE(Verdict(*rm2, a, buy, T("2024-11-01T20:59:59Z")), "OK");
  EXPECT_EQ(Verdict(*rm2, a, buy, T("2024-11-01T21:00:00Z")), "OK");
}

TEST(RiskManagerTest, DrawdownBreakerHaltsForGood) {
  RiskConfig c = NoLimits();
  c.limits.max_drawdown = 0.10;
  c.limits.daily_loss_limit = 0.5;  // out of the way
  auto rm = Make(c);
  FakeAccount a = UsdBook(100'000);
  const backtest::PositionId pos = a.Open("EURUSD", Side::kBuy, 100'000);
  rm->OnMark(a, T("2024-06-03T12:00:00Z"));
  a.SetEquity(110'000);
  EXPECT_EQ(rm->OnMark(a, T("2024-06-04T12:00:00Z")), OrderGuard::Action::kNone);
  EXPECT_EQ(rm->peak_equity(), 110'000);
  a.SetEquity(99'500);  // 9.55% below the peak
  EXPECT_EQ(rm->OnMark(a, T("2024-06-05T12:00:00Z")), OrderGuard::Action::kNone);
  a.SetEquity(98'900);  // 10.09%
  EXPECT_EQ(rm->OnMark(a, T("2024-06-06T12:00:00Z")), OrderGuard::Action::kFlattenAndHalt);
  EXPECT_TRUE(rm->halted());
  EXPECT_EQ(rm->halt_reason(),
            "max drawdown: equity 98,900.00 USD is 10.09% below the peak 110,000.00 USD (limit "
            "10.00%); trading halted for good");
  // Days later, even after equity recovers, only closes pass.
  a.SetEquity(120'000);
  EXPECT_EQ(rm->OnMark(a, T("2024-06-12T12:00:00Z")), OrderGuard::Action::kNone);
  EXPECT_EQ(Verdict(*rm, a, Order(a, "GBPUSD", Side::kBuy, 1'000), T("2024-06-12T13:00:00Z")),
            "trading halted (only closing orders pass): " + rm->halt_reason());
  // A reversal is not a close.
  EXPECT_NE(Verdict(*rm, a, Order(a, "EURUSD", Side::kSell, 150'000), T("2024-06-12T13:00:00Z")),
            "OK");
  EXPECT_EQ(
      Verdict(*rm, a, Order(a, "EURUSD", Side::kSell, 100'000, pos), T("2024-06-12T13:00:00Z")),
      "OK");
  EXPECT_EQ(rm->stats().drawdown_trips, 1u);
  EXPECT_EQ(rm->stats().rejected_halted, 2u);
}

TEST(RiskManagerTest, BreakerTrippedInsideCheckFlattensAtTheNextMark) {
  RiskConfig c = NoLimits();
  c.limits.max_drawdown = 0.10;
  auto rm = Make(c);
  FakeAccount a = UsdBook(100'000);
  a.Open("EURUSD", Side::kBuy, 100'000);
  rm->OnMark(a, kNow);
  a.SetEquity(89'000);  // equity fell between marks
  EXPECT_NE(Verdict(*rm, a, Order(a, "GBPUSD", Side::kBuy, 1'000), kNow + Duration(1)), "OK");
  EXPECT_TRUE(rm->halted());
  EXPECT_EQ(rm->OnMark(a, kNow + Duration(2)), OrderGuard::Action::kFlattenAndHalt);
  EXPECT_EQ(rm->OnMark(a, kNow + Duration(3)), OrderGuard::Action::kNone);
}

TEST(RiskManagerTest, AcceptPathDoesNotAllocate) {
  auto rm = Make(RiskConfig{});  // every limit on (defaults)
  FakeAccount a = UsdBook(100'000);
  a.Open("EURUSD", Side::kBuy, 100'000);
  a.Open("USDJPY", Side::kSell, 50'000);
  a.Open("EURGBP", Side::kBuy, 20'000);
  const OrderRequest buy = Order(a, "GBPUSD", Side::kBuy, 10'000);
  const OrderRequest close = Order(a, "EURUSD", Side::kSell, 100'000);
  ASSERT_TRUE(rm->Check(buy, a, kNow).ok());  // first call binds the instrument slots
  const long before = g_allocations.load();
  bool ok = true;
  for (int k = 0; k < 1000; ++k) {
    ok &= rm->Check(buy, a, kNow + Duration(k)).ok();
    ok &= rm->Check(close, a, kNow + Duration(k)).ok();
    ok &= rm->OnMark(a, kNow + Duration(k)) == OrderGuard::Action::kNone;
  }
  EXPECT_EQ(g_allocations.load() - before, 0);
  EXPECT_TRUE(ok);
  // The counter does see allocations: a rejection builds its reason.
  const long before_reject = g_allocations.load();
  EXPECT_FALSE(rm->Check(Order(a, "GBPUSD", Side::kBuy, 1e7), a, kNow).ok());
  EXPECT_GT(g_allocations.load() - before_reject, 0);
}

TEST(RiskManagerTest, SizeUsesTheConfiguredMethod) {
  RiskConfig c;
  c.sizing.method = SizingMethod::kFixedFractional;
  c.sizing.risk_fraction = 0.005;
  auto rm = Make(c);
  FakeAccount a = UsdBook(200'000);
  SizeRequest r;
  r.instrument = a.Index("USDJPY");
  r.side = Side::kSell;
  r.stop_distance = 0.30;  // 30 pips; 0.5% of 200,000 = 1,000 USD; 1,000 x 150 / 0.30 = 500,000
  Result<SizeDecision> d = rm->Size(r, a);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->quantity, 500'000);
}

}  // namespace
}  // namespace arus::risk
