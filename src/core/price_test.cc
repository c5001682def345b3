#include "core/price.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

namespace arus {
namespace {

TEST(PriceTest, ParsesDecimalTextExactly) {
  EXPECT_EQ(Price::Parse("1.10411")->raw(), 1'104'110'000);
  EXPECT_EQ(Price::Parse("151.234")->raw(), 151'234'000'000);
  EXPECT_EQ(Price::Parse("0.1")->raw(), 100'000'000);
  EXPECT_EQ(Price::Parse("-0.00002")->raw(), -20'000);
  EXPECT_EQ(Price::Parse("2034.5")->raw(), 2'034'500'000'000);
  EXPECT_EQ(Price::Parse(".5")->raw(), 500'000'000);
  EXPECT_EQ(Price::Parse("7")->raw(), 7'000'000'000);
  // 10th decimal rounds half away from zero.
  EXPECT_EQ(Price::Parse("1.0000000005")->raw(), 1'000'000'001);
  EXPECT_EQ(Price::Parse("1.0000000004999")->raw(), 1'000'000'000);
}

TEST(PriceTest, RejectsMalformed) {
  for (const char* bad : {"", "-", ".", "1.2.3", "1e5", "abc", "1,5", " 1.1", "1.1 ",
                          "12345678901.0", "nan", "inf", "0x10"}) {
    EXPECT_FALSE(Price::Parse(bad).ok()) << bad;
  }
}

TEST(PriceTest, ToDoubleMatchesStrtod) {
  std::mt19937_64 rng(42);
  for (int i = 0; i < 100000; ++i) {
    const int64_t v = static_cast<int64_t>(rng() % 300'000'000);
    const int dec = static_cast<int>(rng() % 6);
    const Price p = Price::FromScaled(v, dec);
    const std::string text = p.ToString(dec);
    EXPECT_EQ(p.ToDouble(), std::strtod(text.c_str(), nullptr)) << text;
    EXPECT_EQ(Price::Parse(text)->raw(), p.raw()) << text;
    EXPECT_EQ(p.ToScaled(dec), v);
  }
}

TEST(PriceTest, RoundsToNearestNeverTruncates) {
  // 1.1 * 1e5 is 110000.00000000001 or 109999.99999999999 in binary; rounding must give 110000.
  EXPECT_EQ(Price::FromDouble(1.1).ToScaled(5), 110000);
  EXPECT_EQ(Price::FromDouble(0.29).ToScaled(2), 29);
  EXPECT_EQ(Price::Parse("1.104115")->ToScaled(5), 110412);
  EXPECT_EQ(Price::Parse("-1.104115")->ToScaled(5), -110412);
  EXPECT_EQ(Price::Parse("1.10411")->ToString(5), "1.10411");
  EXPECT_EQ(Price::Parse("1.1")->ToString(5), "1.10000");
  EXPECT_EQ(Price::Parse("-0.5")->ToString(1), "-0.5");
  EXPECT_EQ(Price::Parse("150")->ToString(0), "150");
  EXPECT_TRUE(Price::Parse("1.10410")->IsExactAt(4));
  EXPECT_FALSE(Price::Parse("1.10411")->IsExactAt(4));
}

TEST(PriceTest, MidIsExact) {
  const Price bid = *Price::Parse("1.10411");
  const Price ask = *Price::Parse("1.10418");
  EXPECT_EQ(Mid(bid, ask).ToString(6), "1.104145");
}

}  // namespace
}  // namespace arus
