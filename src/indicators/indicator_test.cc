// indicator.h plumbing: bar conversion, state encoding, RunBatch, DecayPeriod.
#include "indicators/indicator.h"

#include <gtest/gtest.h>

#include <cmath>

#include "indicators/kernels_price.h"

namespace arus::indicators {
namespace {

TEST(ToBarInput, ConvertsFixedPointOnce) {
  Bar bar;
  bar.ts_open = UnixNanos(60);
  bar.ts_close = UnixNanos(120);
  bar.open = Price::Parse("1.10411").value();
  bar.high = Price::Parse("1.10502").value();
  bar.low = Price::Parse("1.10399").value();
  bar.close = Price::Parse("1.10455").value();
  bar.tick_count = 42;
  bar.volume = 12.5;
  bar.spread_mean = 0.00012;
  bar.spread_max = Price::Parse("0.0003").value();
  const BarInput b = ToBarInput(bar);
  EXPECT_EQ(b.ts_open, UnixNanos(60));
  EXPECT_EQ(b.ts_close, UnixNanos(120));
  EXPECT_EQ(b.open, 1.10411);  // the same double strtod gives for the text
  EXPECT_EQ(b.high, 1.10502);
  EXPECT_EQ(b.low, 1.10399);
  EXPECT_EQ(b.close, 1.10455);
  EXPECT_EQ(b.tick_count, 42);
  EXPECT_EQ(b.volume, 12.5);
  EXPECT_EQ(b.spread_mean, 0.00012);
  EXPECT_EQ(b.spread_max, 0.0003);
}

TEST(State, RoundTripAndTruncation) {
  StateWriter w;
  w.PutInt(-7);
  w.PutDouble(2.5);
  const std::vector<double> v = {1, kNaN, -0.0};
  w.PutDoubles(v);
  EXPECT_EQ(w.bytes().size(), 8u + 8 + 8 + 3 * 8);
  StateReader r(w.bytes());
  int64_t i = 0;
  double d = 0;
  std::vector<double> got;
  ASSERT_TRUE(r.GetInt(&i).ok());
  ASSERT_TRUE(r.GetDouble(&d).ok());
  ASSERT_TRUE(r.GetDoubles(&got, 3).ok());
  EXPECT_TRUE(r.done());
  EXPECT_EQ(i, -7);
  EXPECT_EQ(d, 2.5);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(std::isnan(got[1]));
  EXPECT_TRUE(std::signbit(got[2]));
  const Status past_end = r.GetInt(&i);
  EXPECT_EQ(past_end.code(), StatusCode::kCorruption);
  EXPECT_NE(past_end.message().find("truncated"), std::string::npos) << past_end.message();
}

TEST(State, VectorLengthChecks) {
  StateWriter w;
  w.PutDoubles(std::vector<double>{1, 2});
  {
    StateReader r(w.bytes());
    std::vector<double> v;
    const Status s = r.GetDoubles(&v, 3);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find("expected 3"), std::string::npos) << s.message();
  }
  // A length larger than the bytes left (or negative) is corruption, not a huge allocation.
  for (int64_t bad : {int64_t{1} << 60, int64_t{-1}, int64_t{3}}) {
    StateWriter x;
    x.PutInt(bad);
    x.PutDouble(1);
    x.PutDouble(2);
    StateReader r(x.bytes());
    std::vector<double> v;
    EXPECT_EQ(r.GetDoubles(&v).code(), StatusCode::kCorruption) << bad;
  }
}

TEST(DecayPeriod, Values) {
  EXPECT_EQ(DecayPeriod(0.5, 0.25), 2);
  EXPECT_EQ(DecayPeriod(0.5, 0.2), 3);  // 0.5^3 = 0.125 is the first at or below 0.2
  EXPECT_EQ(DecayPeriod(0.0), 0);       // no memory
  EXPECT_EQ(DecayPeriod(19.0 / 21), 277);
  EXPECT_GT(DecayPeriod(1.0), 1'000'000);
  // The definition: keep^d <= tolerance < keep^(d-1).
  for (double keep : {0.9, 13.0 / 14, 0.99, 0.999}) {
    const int d = DecayPeriod(keep, 1e-12);
    EXPECT_LE(std::pow(keep, d), 1e-12 * (1 + 1e-12)) << keep;
    EXPECT_GT(std::pow(keep, d - 1), 1e-12) << keep;
  }
}

TEST(RunBatch, StartsFromAFreshStateEachTime) {
  KernelIndicator<Atr> ind(Atr(3), {"atr_3"});
  std::vector<BarInput> bars(10);
  for (int i = 0; i < 10; ++i) {
    bars[i].high = 1 + 0.1 * i;
    bars[i].low = 0.5 + 0.1 * i;
    bars[i].close = 0.75 + 0.1 * i;
  }
  const std::vector<double> a = RunBatch(ind, bars);
  const std::vector<double> b = RunBatch(ind, bars);
  ASSERT_EQ(a.size(), 10u);
  for (size_t i = 0; i < a.size(); ++i) {
    if (i < 3) {
      EXPECT_TRUE(std::isnan(a[i]));
    } else {
      EXPECT_NEAR(a[i], 0.5, 1e-12);  // every TR is 0.5
    }
    EXPECT_TRUE(std::isnan(a[i]) ? std::isnan(b[i]) : a[i] == b[i]);
  }
}

}  // namespace
}  // namespace arus::indicators
