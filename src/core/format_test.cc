#include "core/format.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

namespace arus {
namespace {

TEST(FormatTest, ShortestRoundTrips) {
  std::string s;
  AppendShortest(&s, 0.1);
  EXPECT_EQ(s, "0.1");
  s.clear();
  AppendShortest(&s, 1.5f);
  EXPECT_EQ(s, "1.5");
  s.clear();
  AppendShortest(&s, 216.0);
  EXPECT_EQ(s, "216");
  std::mt19937_64 rng(5);
  for (int i = 0; i < 10000; ++i) {
    const double v = std::ldexp(static_cast<double>(rng() >> 11), -40);
    s.clear();
    AppendShortest(&s, v);
    EXPECT_EQ(std::strtod(s.c_str(), nullptr), v);
  }
}

TEST(FormatTest, Fixed) {
  std::string s;
  AppendFixed(&s, 1.234567, 5);
  EXPECT_EQ(s, "1.23457");
  s.clear();
  AppendFixed(&s, -0.5, 0);
  EXPECT_EQ(s, "-0");  // round-half-even of -0.5
}

}  // namespace
}  // namespace arus
