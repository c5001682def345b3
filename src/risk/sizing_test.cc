#include "risk/sizing.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "risk/test_util.h"

namespace arus::risk {
namespace {

using backtest::Side;
using testutil::FakeAccount;

SizingConfig Method(SizingMethod m) {
  SizingConfig c;
  c.method = m;
  return c;
}

SizeRequest Req(backtest::InstrumentIndex i, double entry, double stop) {
  SizeRequest r;
  r.instrument = i;
  r.entry_price = entry;
  r.stop_distance = stop;
  return r;
}

TEST(SizingMethodTest, NamesRoundTrip) {
  for (SizingMethod m : {SizingMethod::kFixedLots, SizingMethod::kFixedFractional,
                         SizingMethod::kVolatilityTarget, SizingMethod::kKelly}) {
    Result<SizingMethod> back = ParseSizingMethod(SizingMethodName(m));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, m);
  }
  Result<SizingMethod> bad = ParseSizingMethod("martingale");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "unknown sizing method 'martingale' (expected fixed_lots, fixed_fractional, "
            "volatility_target or kelly)");
}

TEST(SizingTest, KellyFractionByHand) {
  EXPECT_DOUBLE_EQ(KellyFraction(0.6, 1.5), 0.6 - 0.4 / 1.5);  // 1/3
  EXPECT_NEAR(KellyFraction(0.6, 1.5), 1.0 / 3.0, 1e-15);
  EXPECT_NEAR(KellyFraction(0.55, 1.0), 0.10, 1e-15);
  EXPECT_NEAR(KellyFraction(0.4, 1.0), -0.20, 1e-15);
  EXPECT_NEAR(KellyFraction(0.25, 4.0), 0.0625, 1e-15);  // 0.25 - 0.75/4
}

TEST(SizingTest, AnnualizationOver24x5) {
  // D1 bars: sqrt(260) trading days.
  EXPECT_NEAR(AnnualizeVolatility(0.01, 86400), 0.01 * std::sqrt(260.0), 1e-15);
  // M5 bars: 260 x 288 = 74,880 bars a year.
  EXPECT_NEAR(AnnualizeVolatility(0.0005, 300), 0.0005 * std::sqrt(74880.0), 1e-15);
  // H1: 260 x 24 = 6,240.
  EXPECT_NEAR(AnnualizeVolatility(0.002, 3600), 0.002 * std::sqrt(6240.0), 1e-15);
}

TEST(SizingTest, FixedLotsRoundsDownToTheStepAndCaps) {
  FakeAccount a("USD", {"EURUSD", "XAUUSD"}, 10'000);
  a.SetMid("EURUSD", 1.10);
  a.SetMid("XAUUSD", 2000);
  SizingConfig c = Method(SizingMethod::kFixedLots);
  c.lots = 0.257;
  Result<SizeDecision> d = PositionSizer(c).Size(Req(0, 0, 0), a);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->quantity, 25'000);  // 0.25 lots of 100,000
  EXPECT_DOUBLE_EQ(d->lots, 0.25);
  EXPECT_DOUBLE_EQ(d->raw_lots, 0.257);
  EXPECT_TRUE(d->reason.empty());
  // Gold: 0.25 lots of 100 oz = 25 oz.
  d = PositionSizer(c).Size(Req(1, 0, 0), a);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->quantity, 25);
  // Capped at max_lots.
  c.lots = 80;
  c.max_lots = 50;
  d = PositionSizer(c).Size(Req(0, 0, 0), a);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->quantity, 5'000'000);
  EXPECT_EQ(d->raw_lots, 80);
  // A coarser step: 0.257 lots in steps of 0.1 -> 0.2.
  c.lots = 0.257;
  c.lot_step = 0.1;
  c.min_lots = 0.1;
  d = PositionSizer(c).Size(Req(0, 0, 0), a);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->quantity, 20'000);
}

TEST(SizingTest, FixedFractionalUsdAccountUsdQuote) {
  // 1% of 10,000 USD = 100 USD at a 20-pip stop: 100 / 0.0020 = 50,000 units.
  FakeAccount a("USD", {"EURUSD"}, 10'000);
  a.SetMid("EURUSD", 1.10, 0.0001);
  Result<SizeDecision> d =
      PositionSizer(Method(SizingMethod::kFixedFractional)).Size(Req(0, 0, 0.0020), a);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->quantity, 50'000);
  EXPECT_DOUBLE_EQ(d->lots, 0.5);
  EXPECT_NEAR(d->risk_amount, 100, 1e-9);
}

TEST(SizingTest, FixedFractionalJpyQuoteWithUsdAccount) {
  // USDJPY at 150, 50-pip stop (0.50 JPY): a unit loses 0.50 JPY = 0.50 / 150 USD.
  // 100 USD / (0.5 / 150) = 30,000 units = 0.30 lots.
  FakeAccount a("USD", {"USDJPY", "EURJPY"}, 10'000);
  a.SetMid("USDJPY", 150.0);
  a.SetMid("EURJPY", 160.0);
  Result<SizeDecision> d =
      PositionSizer(Method(SizingMethod::kFixedFractional)).Size(Req(0, 0, 0.50), a);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->quantity, 30'000);
  EXPECT_NEAR(d->risk_amount, 100, 1e-9);
  // EURJPY with a 40-pip stop: 100 x 150 / 0.40 = 37,500 units -> rounded down to 37,000; the
  // money at risk is then 37,000 x 0.40 / 150 = 98.67 USD.
  d = PositionSizer(Method(SizingMethod::kFixedFractional)).Size(Req(1, 0, 0.40), a);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_NEAR(d->raw_lots, 0.375, 1e-12);
  EXPECT_EQ(d->quantity, 37'000);
  EXPECT_NEAR(d->risk_amount, 37'000 * 0.40 / 150, 1e-9);
}

TEST(SizingTest, FixedFractionalEurAccount) {
  // EUR account, EURUSD 1.10, 50-pip stop: a unit loses 0.0050 USD = 0.0050 / 1.10 EUR.
  // 1% of 10,000 EUR = 100 EUR -> 100 x 1.10 / 0.0050 = 22,000 units.
  FakeAccount a("EUR", {"EURUSD", "USDJPY"}, 10'000);
  a.SetMid("EURUSD", 1.10);
  a.SetMid("USDJPY", 150.0);
  PositionSizer sizer(Method(SizingMethod::kFixedFractional));
  Result<SizeDecision> d = sizer.Size(Req(0, 0, 0.0050), a);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->quantity, 22'000);
  EXPECT_NEAR(d->risk_amount, 100, 1e-9);
  // USDJPY from a EUR account goes JPY -> USD -> EUR: 0.75 JPY = 0.75 / 150 / 1.10 EUR, so
  // 100 EUR / that = 22,000 units.
  d = sizer.Size(Req(1, 0, 0.75), a);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->quantity, 22'000);
  EXPECT_NEAR(d->risk_amount, 100, 1e-9);
}

TEST(SizingTest, FixedFractionalNeverRisksMoreThanTheBudget) {
  // Property over random equities and stops: the rounded-down size risks at most the budget and
  // less than one lot step below it (unless capped or below the minimum).
  FakeAccount a("USD", {"GBPJPY", "USDJPY"}, 0);
  a.SetMid("GBPJPY", 190.0);
  a.SetMid("USDJPY", 150.0);
  SizingConfig c = Method(SizingMethod::kFixedFractional);
  c.risk_fraction = 0.0125;
  c.max_lots = 1e6;
  PositionSizer sizer(c);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> eq(1'000, 5'000'000), stop(0.05, 3.0);
  for (int k = 0; k < 2000; ++k) {
    const double equity = std::round(eq(rng) * 100) / 100;
    const double s = stop(rng);
    a.SetEquity(equity);
    Result<SizeDecision> d = sizer.Size(Req(0, 0, s), a);
    ASSERT_TRUE(d.ok());
    const double budget = 0.0125 * equity;
    const double step_risk = 1'000 * s / 150;  // 0.01 lot at the stop, in USD
    if (d->quantity == 0) {
      EXPECT_LT(budget, step_risk * (1 + 1e-9));
      EXPECT_NE(d->reason.find("below the minimum 0.01 lots"), std::string::npos);
      continue;
    }
    EXPECT_LE(d->risk_amount, budget * (1 + 1e-9)) << equity << " " << s;
    EXPECT_GT(d->risk_amount, budget - step_risk * (1 + 1e-9)) << equity << " " << s;
    EXPECT_EQ(std::fmod(d->quantity, 1'000), 0) << d->quantity;
  }
}

TEST(SizingTest, VolatilityTarget) {
  // 100,000 USD equity, 10% target, instrument at 8%: notional 125,000 USD.
  FakeAccount a("USD", {"EURUSD", "USDJPY"}, 100'000);
  a.SetMid("EURUSD", 1.25);
  a.SetMid("USDJPY", 150.0);
  PositionSizer sizer(Method(SizingMethod::kVolatilityTarget));
  SizeRequest r = Req(0, 0, 0);  // entry from the quote (ask; zero spread here)
  r.volatility = 0.08;
  Result<SizeDecision> d = sizer.Size(r, a);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->quantity, 100'000);  // 125,000 USD / 1.25
  EXPECT_EQ(d->risk_amount, 0);     // no stop given
  // USDJPY: one unit of USD is worth 150 JPY = 1 USD, so 125,000 units.
  r.instrument = 1;
  d = sizer.Size(r, a);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->quantity, 125'000);
  // EUR account: 100,000 EUR x 0.10 / 0.08 = 125,000 EUR notional = 125,000 units of EURUSD.
  FakeAccount e("EUR", {"EURUSD"}, 100'000);
  e.SetMid("EURUSD", 1.25);
  r.instrument = 0;
  d = sizer.Size(r, e);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->quantity, 125'000);
}

TEST(SizingTest, CappedKelly) {
  FakeAccount a("USD", {"EURUSD"}, 10'000);
  a.SetMid("EURUSD", 1.10);
  SizingConfig c = Method(SizingMethod::kKelly);  // half Kelly, cap 2%
  SizeRequest r = Req(0, 0, 0.0040);
  r.probability = 0.6;
  r.payoff = 1.5;
  // f* = 1/3, half = 1/6, capped at 0.02: 200 USD at a 40-pip stop = 50,000 units.
  Result<SizeDecision> d = PositionSizer(c).Size(r, a);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->quantity, 50'000);
  EXPECT_NEAR(d->risk_amount, 200, 1e-9);
  // Under the cap: p 0.55, b 1 -> f* 0.10, x 0.1 = 0.01: 100 USD at 20 pips = 50,000 units.
  c.kelly_fraction = 0.1;
  r.probability = 0.55;
  r.payoff = 1;
  r.stop_distance = 0.0020;
  d = PositionSizer(c).Size(r, a);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->quantity, 50'000);
  EXPECT_NEAR(d->risk_amount, 100, 1e-9);
  // No edge: never negative, quantity 0 with the reason.
  r.probability = 0.4;
  d = PositionSizer(c).Size(r, a);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->quantity, 0);
  EXPECT_EQ(d->reason, "no edge: Kelly f* = p - (1-p)/b = -0.2000 with p 0.4, b 1");
  r.probability = 0.5;  // f* = 0 exactly: no trade either
  d = PositionSizer(c).Size(r, a);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->quantity, 0);
}

TEST(SizingTest, ZeroSizesCarryTheReason) {
  FakeAccount a("USD", {"EURUSD"}, 100);
  a.SetMid("EURUSD", 1.10);
  // 1% of 100 USD = 1 USD at 50 pips = 200 units = 0.002 lots.
  Result<SizeDecision> d =
      PositionSizer(Method(SizingMethod::kFixedFractional)).Size(Req(0, 0, 0.0050), a);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->quantity, 0);
  EXPECT_EQ(d->reason, "size 0.0020 lots is below the minimum 0.01 lots");
  // A min_lots above the step: 0.05 lots wanted, 0.1 required.
  SizingConfig c = Method(SizingMethod::kFixedLots);
  c.lots = 0.05;
  c.min_lots = 0.1;
  d = PositionSizer(c).Size(Req(0, 0, 0), a);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->quantity, 0);
  EXPECT_EQ(d->reason, "size 0.0500 lots is below the minimum 0.1 lots");
  a.SetEquity(-50);
  d = PositionSizer(Method(SizingMethod::kFixedFractional)).Size(Req(0, 0, 0.0050), a);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->quantity, 0);
  EXPECT_EQ(d->reason, "equity -50.00 USD is not positive");
}

TEST(SizingTest, RequestsTheMethodCannotSizeAreErrors) {
  FakeAccount a("USD", {"EURUSD", "USDJPY"}, 10'000);
  a.SetMid("EURUSD", 1.10);
  auto error = [&](SizingMethod m, SizeRequest r) {
    Result<SizeDecision> d = PositionSizer(Method(m)).Size(r, a);
    EXPECT_FALSE(d.ok());
    return d.ok() ? std::string() : d.status().ToString();
  };
  EXPECT_NE(error(SizingMethod::kFixedFractional, Req(0, 0, 0))
                .find("fixed_fractional sizing needs stop_distance > 0 (got 0)"),
            std::string::npos);
  EXPECT_NE(error(SizingMethod::kKelly, Req(0, 0, -1)).find("kelly sizing needs stop_distance"),
            std::string::npos);
  EXPECT_NE(error(SizingMethod::kVolatilityTarget, Req(0, 0, 0))
                .find("needs the instrument's annualised volatility > 0 (got 0)"),
            std::string::npos);
  SizeRequest r = Req(0, 0, 0.001);
  r.probability = 1.2;
  EXPECT_NE(error(SizingMethod::kKelly, r).find("probability 1.2 must be in [0, 1]"),
            std::string::npos);
  r.probability = 0.6;
  r.payoff = 0;
  EXPECT_NE(error(SizingMethod::kKelly, r).find("payoff 0 must be > 0"), std::string::npos);
  EXPECT_NE(error(SizingMethod::kFixedLots, Req(5, 0, 0)).find("instrument index 5"),
            std::string::npos);
  EXPECT_NE(error(SizingMethod::kFixedLots, Req(0, -1.1, 0)).find("entry_price -1.1"),
            std::string::npos);
  // USDJPY has no quote yet: the entry price cannot come from it, and JPY cannot be valued.
  EXPECT_NE(error(SizingMethod::kFixedLots, Req(1, 0, 0)).find("no quote yet for USDJPY"),
            std::string::npos);
  EXPECT_NE(error(SizingMethod::kFixedLots, Req(1, 150, 0)).find("not found: no rate for JPY"),
            std::string::npos);
}

}  // namespace
}  // namespace arus::risk
