#include "ingest/det_random.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

namespace arus::ingest {
namespace {

// Distance in units in the last place between two positive finite doubles.
int64_t UlpDistance(double a, double b) {
  int64_t ia, ib;
  std::memcpy(&ia, &a, 8);
  std::memcpy(&ib, &b, 8);
  return ia > ib ? ia - ib : ib - ia;
}

TEST(DetRandomTest, SplitMix64ReferenceOutputs) {
  // Reference values of Vigna's splitmix64.c seeded with 0.
  SplitMix64 m(0);
  EXPECT_EQ(m.Next(), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(m.Next(), 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(m.Next(), 0x06C45D188009454Full);
}

TEST(DetRandomTest, Xoshiro256StarStarReferenceOutputs) {
  // Reference xoshiro256** outputs from the state {1, 2, 3, 4}.
  Rng r = Rng::FromState(1, 2, 3, 4);
  EXPECT_EQ(r.Next(), 11520u);
  EXPECT_EQ(r.Next(), 0u);
  EXPECT_EQ(r.Next(), 1509978240u);
  EXPECT_EQ(r.Next(), 1215971899390074240u);
}

TEST(DetRandomTest, StreamsDifferByNameAndSeed) {
  EXPECT_NE(StreamSeed(7, "EURUSD"), StreamSeed(7, "GBPUSD"));
  EXPECT_NE(StreamSeed(7, "EURUSD"), StreamSeed(8, "EURUSD"));
  EXPECT_EQ(StreamSeed(7, "EURUSD"), StreamSeed(7, "EURUSD"));
}

TEST(DetRandomTest, ExpMatchesLibmWithinOneUlp) {
  Rng r(1);
  int64_t worst = 0;
  for (int i = 0; i < 200000; ++i) {
    const double x = -40 + 80 * r.Uniform();
    worst = std::max(worst, UlpDistance(DetExp(x), std::exp(x)));
  }
  for (double x : {0.0, 1.0, -1.0, 1e-12, -1e-12, 0.34657, -0.34657, 700.0, -700.0}) {
    worst = std::max(worst, UlpDistance(DetExp(x), std::exp(x)));
  }
  EXPECT_LE(worst, 1);
  EXPECT_EQ(DetExp(0.0), 1.0);
  EXPECT_EQ(DetExp(1000.0), INFINITY);
  EXPECT_EQ(DetExp(-1000.0), 0.0);
}

TEST(DetRandomTest, LogMatchesLibmWithinTwoUlps) {
  Rng r(2);
  int64_t worst = 0;
  for (int i = 0; i < 200000; ++i) {
    // Log-uniform over many binades, plus values near 1 where cancellation bites.
    const double x = std::exp(-30 + 60 * r.Uniform());
    worst = std::max(worst, UlpDistance(DetLog(x), std::log(x)));
    const double y = 0.9 + 0.2 * r.Uniform();
    if (y != 1.0) worst = std::max(worst, UlpDistance(DetLog(y), std::log(y)));
  }
  EXPECT_LE(worst, 2);
  EXPECT_EQ(DetLog(1.0), 0.0);
  EXPECT_EQ(DetLog(0.0), -INFINITY);
  EXPECT_TRUE(std::isnan(DetLog(-1.0)));
}

TEST(DetRandomTest, NormalHasUnitMomentsAndGaussianTails) {
  Rng r(3);
  const int n = 400000;
  double s1 = 0, s2 = 0, s4 = 0;
  int beyond2 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = r.Normal();
    s1 += z;
    s2 += z * z;
    s4 += z * z * z * z;
    if (std::fabs(z) > 2) ++beyond2;
  }
  EXPECT_NEAR(s1 / n, 0, 0.01);
  EXPECT_NEAR(s2 / n, 1, 0.01);
  EXPECT_NEAR(s4 / n, 3, 0.06);
  EXPECT_NEAR(static_cast<double>(beyond2) / n, 0.0455, 0.002);
}

TEST(DetRandomTest, UniformExponentialPoisson) {
  Rng r(4);
  const int n = 200000;
  double su = 0, se = 0, sp = 0, sp2 = 0;
  uint32_t below_max = 0;
  const double lambda = 3.5;
  const double e = DetExp(-lambda);
  for (int i = 0; i < n; ++i) {
    const double u = r.Uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    su += u;
    se += r.Exponential();
    const int k = r.PoissonFromExpNeg(e);
    sp += k;
    sp2 += static_cast<double>(k) * k;
    below_max = std::max(below_max, r.Below(1000));
  }
  EXPECT_NEAR(su / n, 0.5, 0.005);
  EXPECT_NEAR(se / n, 1.0, 0.01);
  EXPECT_NEAR(sp / n, lambda, 0.02);
  EXPECT_NEAR(sp2 / n - (sp / n) * (sp / n), lambda, 0.05);  // Poisson: variance = mean
  EXPECT_EQ(below_max, 999u);
}

TEST(DetRandomTest, SameSeedSameSequence) {
  Rng a(99), b(99), c(100);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const double za = a.Normal();
    EXPECT_EQ(za, b.Normal());
    differs |= za != c.Normal();
  }
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace arus::ingest
