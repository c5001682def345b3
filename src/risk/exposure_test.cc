#include "risk/exposure.h"

#include <gtest/gtest.h>

#include <map>

#include "risk/test_util.h"

namespace arus::risk {
namespace {

using backtest::Side;
using testutil::FakeAccount;

// Currency -> (units, account value) from a report.
std::map<std::string, std::pair<double, double>> Lines(const ExposureReport& r) {
  std::map<std::string, std::pair<double, double>> m;
  for (const CurrencyExposure& c : r.currencies) m[c.currency] = {c.units, c.account_value};
  return m;
}

TEST(ExposureTest, LongEurUsdAndLongGbpUsdIsShortUsdTwice) {
  FakeAccount a("USD", {"EURUSD", "GBPUSD"}, 100'000);
  a.SetMid("EURUSD", 1.10, 0.0002);
  a.SetMid("GBPUSD", 1.25, 0.0002);
  a.Open("EURUSD", Side::kBuy, 100'000);
  a.Open("GBPUSD", Side::kBuy, 100'000);
  Result<ExposureReport> r = MeasureExposure(a);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto m = Lines(*r);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_NEAR(m["EUR"].first, 100'000, 1e-9);
  EXPECT_NEAR(m["EUR"].second, 110'000, 1e-6);
  EXPECT_NEAR(m["GBP"].second, 125'000, 1e-6);
  EXPECT_NEAR(m["USD"].first, -235'000, 1e-6);
  EXPECT_NEAR(m["USD"].second, -235'000, 1e-6);
  // Largest first: USD.
  EXPECT_EQ(r->currencies[0].currency, "USD");
  EXPECT_NEAR(r->currencies[0].equity_multiple, -2.35, 1e-12);
  EXPECT_NEAR(r->gross_notional, 235'000, 1e-6);
  EXPECT_NEAR(r->leverage, 2.35, 1e-12);
  EXPECT_EQ(r->open_positions, 2u);
}

TEST(ExposureTest, CrossPairHasNoUsdLeg) {
  // Long 100,000 EURGBP at 0.88 with GBPUSD at 1.25: +100,000 EUR and -88,000 GBP, each worth
  // 88,000 x 1.25 = 110,000 USD.
  FakeAccount a("USD", {"EURGBP", "GBPUSD"}, 50'000);
  a.SetMid("EURGBP", 0.88);
  a.SetMid("GBPUSD", 1.25);
  a.Open("EURGBP", Side::kBuy, 100'000);
  Result<ExposureReport> r = MeasureExposure(a);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto m = Lines(*r);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m.count("USD"), 0u);
  EXPECT_NEAR(m["EUR"].first, 100'000, 1e-9);
  EXPECT_NEAR(m["EUR"].second, 110'000, 1e-6);
  EXPECT_NEAR(m["GBP"].first, -88'000, 1e-6);
  EXPECT_NEAR(m["GBP"].second, -110'000, 1e-6);
  EXPECT_NEAR(r->leverage, 2.2, 1e-12);
}

TEST(ExposureTest, JpyPairAndNettingAcrossPairs) {
  // Short 50,000 USDJPY at 150: -50,000 USD, +7,500,000 JPY (= 50,000 USD).
  // Long 100,000 EURUSD at 1.10 and short 100,000 EURGBP at 0.88 (GBPUSD 1.25): EUR nets to 0,
  // USD -110,000, GBP +88,000 units = +110,000 USD.
  FakeAccount a("USD", {"USDJPY", "EURUSD", "EURGBP", "GBPUSD"}, 100'000);
  a.SetMid("USDJPY", 150.0);
  a.SetMid("EURUSD", 1.10);
  a.SetMid("EURGBP", 0.88);
  a.SetMid("GBPUSD", 1.25);
  a.Open("USDJPY", Side::kSell, 50'000);
  a.Open("EURUSD", Side::kBuy, 100'000);
  a.Open("EURGBP", Side::kSell, 100'000);
  Result<ExposureReport> r = MeasureExposure(a);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto m = Lines(*r);
  EXPECT_NEAR(m["JPY"].first, 7'500'000, 1e-6);
  EXPECT_NEAR(m["JPY"].second, 50'000, 1e-6);
  EXPECT_NEAR(m["USD"].first, -50'000 - 110'000, 1e-6);
  EXPECT_NEAR(m["USD"].second, -160'000, 1e-6);
  EXPECT_NEAR(m["GBP"].first, 88'000, 1e-6);
  EXPECT_NEAR(m["GBP"].second, 110'000, 1e-6);
  EXPECT_NEAR(m["EUR"].first, 0, 1e-6);
  EXPECT_NEAR(m["EUR"].second, 0, 1e-6);
  // Gross: 50,000 + 110,000 + 110,000.
  EXPECT_NEAR(r->gross_notional, 270'000, 1e-6);
}

TEST(ExposureTest, EurAccountValuesInEuro) {
  // Long 100,000 EURUSD at 1.10 from a EUR account: +100,000 EUR and -110,000 USD = -100,000 EUR.
  FakeAccount a("EUR", {"EURUSD"}, 20'000);
  a.SetMid("EURUSD", 1.10);
  a.Open("EURUSD", Side::kBuy, 100'000);
  Result<ExposureReport> r = MeasureExposure(a);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto m = Lines(*r);
  EXPECT_NEAR(m["EUR"].second, 100'000, 1e-6);
  EXPECT_NEAR(m["USD"].first, -110'000, 1e-6);
  EXPECT_NEAR(m["USD"].second, -100'000, 1e-6);
  EXPECT_NEAR(r->leverage, 5.0, 1e-12);
}

TEST(ExposureTest, HedgedPositionsNetToZeroButCountGross) {
  FakeAccount a("USD", {"EURUSD"}, 100'000);
  a.SetMid("EURUSD", 1.10);
  a.Open("EURUSD", Side::kBuy, 100'000);
  a.Open("EURUSD", Side::kSell, 60'000);
  ExposureBook book;
  ASSERT_TRUE(book.Load(a).ok());
  EXPECT_NEAR(book.instrument_net(0), 40'000, 1e-9);
  EXPECT_NEAR(book.instrument_gross(0), 160'000, 1e-9);
  EXPECT_NEAR(book.gross_notional(), 176'000, 1e-6);
  EXPECT_NEAR(book.net_account(book.base_slot(0)), 44'000, 1e-6);
  EXPECT_EQ(book.open_positions(), 2u);
  // Reloading after a change starts from scratch (no carry-over).
  a.Clear();
  ASSERT_TRUE(book.Load(a).ok());
  EXPECT_EQ(book.gross_notional(), 0);
  EXPECT_EQ(book.net_account(book.base_slot(0)), 0);
  EXPECT_EQ(book.open_positions(), 0u);
}

TEST(ExposureTest, MissingQuoteOrRateIsAnError) {
  FakeAccount a("USD", {"EURUSD", "EURJPY"}, 100'000);
  a.SetMid("EURUSD", 1.10);
  a.Open("EURJPY", Side::kBuy, 10'000);
  Result<ExposureReport> r = MeasureExposure(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "no quote yet for EURJPY");
  // Quoted, but no pair converts JPY to USD.
  a.SetMid("EURJPY", 160);
  r = MeasureExposure(a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "cannot value JPY in USD: no rate for JPY in USD");
}

}  // namespace
}  // namespace arus::risk
