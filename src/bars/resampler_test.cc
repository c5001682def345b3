#include "bars/resampler.h"

#include <gtest/gtest.h>

#include <cmath>

#include "bars/bar_aggregator.h"
#include "bars/bars_test_util.h"

namespace arus::bars {
namespace {

using testing::RandomTicks;
using testing::T;

std::vector<Bar> Aggregate(std::span<const QuoteTick> ticks, Timeframe tf) {
  BarAggregator agg(tf, PriceSide::kMid, fx::FxCalendar::Default());
  EXPECT_TRUE(agg.Update(ticks).ok());
  agg.Flush();
  return agg.completed();
}

// Resampling M1 bars built from ticks gives the bars built from the same ticks directly, for every
// coarser timeframe, across the 2024 New York DST switch and a Christmas closure.
TEST(BarResamplerTest, M1ResampledEqualsDirectAggregation) {
  for (UnixNanos start : {T("2024-03-06T10:00:00Z"), T("2024-12-20T10:00:00Z")}) {
    const std::vector<QuoteTick> ticks = RandomTicks(42, start, 60'000, 30'000);
    const std::vector<Bar> m1 = Aggregate(ticks, Timeframe::kM1);
    for (Timeframe tf : kAllTimeframes) {
      if (tf == Timeframe::kM1) continue;
      SCOPED_TRACE(std::string(TimeframeName(tf)));
      const std::vector<Bar> direct = Aggregate(ticks, tf);
      Result<std::vector<Bar>> resampled = ResampleBars(m1, tf, fx::FxCalendar::Default());
      ASSERT_TRUE(resampled.ok()) << resampled.status().ToString();
      ASSERT_EQ(resampled->size(), direct.size());
      for (size_t i = 0; i < direct.size(); ++i) {
        const Bar& a = (*resampled)[i];
        const Bar& b = direct[i];
        ASSERT_EQ(a.ts_open, b.ts_open) << i;
        ASSERT_EQ(a.ts_close, b.ts_close) << i;
        EXPECT_EQ(a.open, b.open);
        EXPECT_EQ(a.high, b.high);
        EXPECT_EQ(a.low, b.low);
        EXPECT_EQ(a.close, b.close);
        EXPECT_EQ(a.tick_count, b.tick_count);
        EXPECT_EQ(a.spread_max, b.spread_max);
        EXPECT_NEAR(a.spread_mean, b.spread_mean, 1e-12 * std::max(1.0, b.spread_mean));
        EXPECT_NEAR(a.volume, b.volume, 1e-6 * std::max(1.0, b.volume));
      }
    }
  }
}

// Streaming with a clock: a coarse bar appears exactly when the clock reaches its end, even when
// its last fine bars are missing; checkpoints restore it.
TEST(BarResamplerTest, ClosesAtTheBucketEndAndRestoresFromState) {
  const std::vector<QuoteTick> ticks = RandomTicks(7, T("2024-01-09T12:00:00Z"), 5'000, 20'000);
  const std::vector<Bar> m1 = Aggregate(ticks, Timeframe::kM1);
  BarResampler r(Timeframe::kH1, fx::FxCalendar::Default());
  std::vector<Bar> out;
  for (size_t i = 0; i < m1.size(); ++i) {
    r.AdvanceTo(m1[i].ts_open);
    for (const Bar& b : r.completed()) {
      EXPECT_LE(b.ts_close, m1[i].ts_open);  // never emitted before its close
      out.push_back(b);
    }
    r.ClearCompleted();
    if (i == m1.size() / 2) {  // checkpoint and continue in a new resampler
      BarResampler copy(Timeframe::kH1, fx::FxCalendar::Default());
      copy.Restore(r.state());
      r = copy;
    }
    ASSERT_TRUE(r.Update(m1[i]).ok());
  }
  r.Flush();
  out.insert(out.end(), r.completed().begin(), r.completed().end());
  Result<std::vector<Bar>> batch = ResampleBars(m1, Timeframe::kH1, fx::FxCalendar::Default());
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(out, *batch);
}

TEST(BarResamplerTest, RejectsOutOfOrderAndStraddlingBars) {
  BarResampler r(Timeframe::kM5, fx::FxCalendar::Default());
  Bar a;
  a.ts_open = T("2024-01-09T12:03:00Z");
  a.ts_close = T("2024-01-09T12:04:00Z");
  ASSERT_TRUE(r.Update(a).ok());
  Bar back = a;
  back.ts_open = T("2024-01-09T12:02:00Z");
  back.ts_close = T("2024-01-09T12:03:00Z");
  Status s = r.Update(back);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("comes after"), std::string::npos) << s.ToString();
  Bar wide = a;
  wide.ts_open = T("2024-01-09T12:04:00Z");
  wide.ts_close = T("2024-01-09T12:06:00Z");
  s = r.Update(wide);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.ToString().find("does not fit"), std::string::npos) << s.ToString();
}

}  // namespace
}  // namespace arus::bars
