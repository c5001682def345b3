#include "fx/rates.h"

#include <gtest/gtest.h>

#include <vector>

namespace arus::fx {
namespace {

std::vector<Instrument> Pairs(std::initializer_list<const char*> symbols) {
  std::vector<Instrument> out;
  for (const char* s : symbols) out.push_back(**InstrumentTable::Builtin().Find(s));
  return out;
}

Price P(const char* text) { return *Price::Parse(text); }

TEST(RateBookTest, SameCurrencyIsOneEvenWithoutQuotes) {
  std::vector<Instrument> pairs = Pairs({"EURUSD"});
  RateBook book(pairs);
  Result<double> r = book.Convert(123.5, "USD", "USD");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, 123.5);
}

TEST(RateBookTest, DirectAndInverseUseTheMid) {
  std::vector<Instrument> pairs = Pairs({"EURUSD"});
  RateBook book(pairs);
  book.Update(0, P("1.10000"), P("1.10020"));  // mid 1.1001
  EXPECT_DOUBLE_EQ(*book.Convert(1000, "EUR", "USD"), 1100.1);
  EXPECT_DOUBLE_EQ(*book.Convert(1100.1, "USD", "EUR"), 1000.0);
  // Round trip through the mid is the identity.
  const double there = *book.Convert(777, "EUR", "USD");
  EXPECT_NEAR(*book.Convert(there, "USD", "EUR"), 777, 1e-9);
}

TEST(RateBookTest, ThroughUsdBothOrientations) {
  // JPY -> EUR with EURUSD and USDJPY: JPY->USD is 1/USDJPY, USD->EUR is 1/EURUSD.
  std::vector<Instrument> pairs = Pairs({"EURUSD", "USDJPY"});
  RateBook book(pairs);
  book.Update(0, P("1.2"), P("1.2"));
  book.Update(1, P("150.000"), P("150.000"));
  Result<RateBook::Route> route = book.FindRoute("JPY", "EUR");
  ASSERT_TRUE(route.ok());
  EXPECT_EQ(route->legs, 2);
  EXPECT_DOUBLE_EQ(*book.Convert(180000, "JPY", "EUR"), 180000 / 150.0 / 1.2);
  EXPECT_DOUBLE_EQ(*book.Convert(1000, "EUR", "JPY"), 1000 * 1.2 * 150.0);
}

TEST(RateBookTest, PrefersDirectPairOverCross) {
  std::vector<Instrument> pairs = Pairs({"EURUSD", "USDJPY", "EURJPY"});
  RateBook book(pairs);
  book.Update(0, P("1.2"), P("1.2"));
  book.Update(1, P("150"), P("150"));
  book.Update(2, P("170"), P("170"));  // deliberately not 1.2 * 150: shows which route is used
  EXPECT_DOUBLE_EQ(*book.Convert(1, "EUR", "JPY"), 170.0);
}

TEST(RateBookTest, ThroughNonUsdCommonCurrency) {
  // CHF -> GBP with EURCHF and EURGBP only: the common currency is EUR.
  std::vector<Instrument> pairs = Pairs({"EURCHF", "EURGBP"});
  RateBook book(pairs);
  book.Update(0, P("0.95"), P("0.95"));
  book.Update(1, P("0.85"), P("0.85"));
  EXPECT_DOUBLE_EQ(*book.Convert(95, "CHF", "GBP"), 95 / 0.95 * 0.85);
}

TEST(RateBookTest, UsdPreferredAmongSeveralIntermediaries) {
  // GBP -> CHF: through USD (GBPUSD, USDCHF) and through EUR (EURGBP, EURCHF) both exist.
  std::vector<Instrument> pairs = Pairs({"EURGBP", "EURCHF", "GBPUSD", "USDCHF"});
  RateBook book(pairs);
  Result<RateBook::Route> route = book.FindRoute("GBP", "CHF");
  ASSERT_TRUE(route.ok());
  ASSERT_EQ(route->legs, 2);
  EXPECT_EQ(route->pair[0], 2u);
  EXPECT_EQ(route->pair[1], 3u);
}

TEST(RateBookTest, NoRouteNamesCurrencies) {
  std::vector<Instrument> pairs = Pairs({"EURUSD"});
  RateBook book(pairs);
  Result<double> r = book.Convert(1, "JPY", "EUR");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("JPY to EUR"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("EURUSD"), std::string::npos);
}

TEST(RateBookTest, MissingQuoteNamesThePair) {
  std::vector<Instrument> pairs = Pairs({"EURUSD", "USDJPY"});
  RateBook book(pairs);
  book.Update(0, P("1.1"), P("1.1"));
  Result<double> r = book.Convert(1, "USD", "JPY");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("no quote yet for USDJPY"), std::string::npos)
      << r.status().message();
  // Once quoted, the cached route works.
  book.Update(1, P("150"), P("150.02"));
  EXPECT_DOUBLE_EQ(*book.Convert(1, "USD", "JPY"), 150.01);
  EXPECT_TRUE(std::isnan(RateBook(pairs).RateOrNaN(*book.FindRoute("USD", "JPY"))));
}

TEST(RateBookTest, BadCurrencyCodes) {
  std::vector<Instrument> pairs = Pairs({"EURUSD"});
  RateBook book(pairs);
  for (const char* bad : {"", "EU", "EURO", "E1R"}) {
    Result<double> r = book.Convert(1, bad, "USD");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(RateBookTest, LowerCaseCodesAccepted) {
  std::vector<Instrument> pairs = Pairs({"EURUSD"});
  RateBook book(pairs);
  book.Update(0, P("1.5"), P("1.5"));
  EXPECT_DOUBLE_EQ(*book.Convert(2, "eur", "usd"), 3.0);
}

}  // namespace
}  // namespace arus::fx
