#include "bars/multi_timeframe.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "bars/bars_test_util.h"

namespace arus::bars {
namespace {

using testing::Q;
using testing::RandomTicks;
using testing::T;

const fx::FxCalendar& Cal() { return fx::FxCalendar::Default(); }

MultiTimeframeView Build(std::span<const QuoteTick> ticks) {
  Result<MultiTimeframeView> r =
      BuildMultiTimeframeView(ticks, kAllTimeframes, PriceSide::kMid, Cal());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? std::move(r).value() : MultiTimeframeView();
}

// Random instants from shortly before the first tick to a week after the last; a third of them
// land exactly on a tick or on a bar boundary, where off-by-one errors live.
std::vector<UnixNanos> RandomInstants(std::span<const QuoteTick> ticks, const MultiTimeframeView& v,
                                      size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const int64_t lo = ticks.front().ts_event.ns() - kNanosPerHour;
  const int64_t hi = ticks.back().ts_event.ns() + 7 * kNanosPerDay;
  std::vector<UnixNanos> out;
  for (size_t i = 0; i < n; ++i) {
    switch (rng() % 3) {
      case 0:
        out.push_back(ticks[rng() % ticks.size()].ts_event);
        break;
      case 1: {
        std::span<const Bar> bars = v.all(kAllTimeframes[rng() % kTimeframeCount]);
        if (!bars.empty()) {
          out.push_back(bars[rng() % bars.size()].ts_close);
          break;
        }
        [[fallthrough]];
      }
      default:
        out.push_back(UnixNanos(lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo))));
    }
  }
  return out;
}

TEST(MultiTimeframeViewTest, NeverReturnsABarClosingAfterT) {
  const std::vector<QuoteTick> ticks = RandomTicks(21, T("2024-03-04T00:00:00Z"), 30'000);
  const MultiTimeframeView view = Build(ticks);
  for (Timeframe tf : kAllTimeframes) ASSERT_FALSE(view.all(tf).empty()) << TimeframeName(tf);
  for (UnixNanos t : RandomInstants(ticks, view, 400, 1)) {
    for (Timeframe tf : kAllTimeframes) {
      const std::span<const Bar> all = view.all(tf);
      const std::span<const Bar> got = view.BarsClosedBy(tf, t);
      for (const Bar& b : got) ASSERT_LE(b.ts_close, t) << TimeframeName(tf) << " " << t.ToIso();
      // ... and it is every such bar: a prefix of the history, the next one closing after t.
      ASSERT_EQ(got.data(), all.data());
      if (got.size() < all.size()) {
        ASSERT_GT(all[got.size()].ts_close, t);
      }
      const std::span<const Bar> last3 = view.LastClosed(tf, t, 3);
      ASSERT_EQ(last3.size(), std::min<size_t>(3, got.size()));
      if (!got.empty()) {
        ASSERT_EQ(&last3.back(), &got.back());
        ASSERT_EQ(view.LatestClosed(tf, t), &got.back());
      } else {
        ASSERT_EQ(view.LatestClosed(tf, t), nullptr);
      }
    }
  }
}

// Changing, dropping and adding ticks at or after t must not move anything the view shows at t.
TEST(MultiTimeframeViewTest, FuturePerturbationDoesNotChangeThePast) {
  const std::vector<QuoteTick> ticks = RandomTicks(22, T("2024-10-21T00:00:00Z"), 20'000);
  const MultiTimeframeView base = Build(ticks);
  std::mt19937_64 rng(99);
  for (UnixNanos t : RandomInstants(ticks, base, 30, 2)) {
    std::vector<QuoteTick> perturbed;
    for (const QuoteTick& q : ticks) {
      if (q.ts_event < t) {
        perturbed.push_back(q);
        continue;
      }
      if (rng() % 4 == 0) continue;  // drop
      QuoteTick p = q;
      const int64_t shift = static_cast<int64_t>(rng() % 2001) - 1000;
      p.bid = Price::FromScaled(p.bid.ToScaled(5) + shift, 5);
      p.ask = Price::FromScaled(p.ask.ToScaled(5) + shift + static_cast<int64_t>(rng() % 50), 5);
      p.bid_volume *= 3;
      perturbed.push_back(p);
      if (rng() % 10 == 0) perturbed.push_back(p);  // duplicate
    }
    // A burst of wild ticks exactly at t.
    perturbed.insert(
        std::lower_bound(perturbed.begin(), perturbed.end(), t,
                         [](const QuoteTick& q, UnixNanos x) { return q.ts_event < x; }),
        3, QuoteTick{t, Price::FromScaled(90'000, 5), Price::FromScaled(150'000, 5), 1e6f, 1e6f});
    const MultiTimeframeView moved = Build(perturbed);
    for (Timeframe tf : kAllTimeframes) {
      const std::span<const Bar> a = base.BarsClosedBy(tf, t);
      const std::span<const Bar> b = moved.BarsClosedBy(tf, t);
      ASSERT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end()))
          << TimeframeName(tf) << " at " << t.ToIso();
    }
  }
}

// What a live consumer holds at t (ticks fed up to t, OnTime(t), drained) is exactly what the batch
// view says was known at t.
TEST(MultiTimeframeViewTest, LiveViewEqualsBatchViewAtEveryCheckpoint) {
  const std::vector<QuoteTick> ticks = RandomTicks(23, T("2024-03-04T00:00:00Z"), 20'000);
  const MultiTimeframeView batch = Build(ticks);
  std::vector<UnixNanos> checkpoints = RandomInstants(ticks, batch, 150, 3);
  std::sort(checkpoints.begin(), checkpoints.end());
  MultiAggregator agg(kAllTimeframes, PriceSide::kMid, Cal());
  MultiTimeframeView live;
  size_t i = 0;
  for (UnixNanos c : checkpoints) {
    while (i < ticks.size() && ticks[i].ts_event < c) ASSERT_TRUE(agg.Update(ticks[i++]).ok());
    agg.OnTime(c);
    ASSERT_TRUE(live.Drain(agg).ok());
    for (Timeframe tf : kAllTimeframes) {
      const std::span<const Bar> want = batch.BarsClosedBy(tf, c);
      const std::span<const Bar> got = live.all(tf);
      ASSERT_TRUE(std::equal(want.begin(), want.end(), got.begin(), got.end()))
          << TimeframeName(tf) << " at " << c.ToIso() << ": " << got.size() << " vs "
          << want.size();
      ASSERT_TRUE(agg.Find(tf)->completed().empty());
    }
  }
}

TEST(MultiTimeframeViewTest, AppendRejectsOverlapsAndDisorder) {
  auto bar = [](std::string_view open, std::string_view close) {
    Bar b;
    b.ts_open = T(open);
    b.ts_close = T(close);
    b.tick_count = 1;
    return b;
  };
  MultiTimeframeView v;
  ASSERT_TRUE(v.Append(Timeframe::kH1, bar("2024-01-09T10:00:00Z", "2024-01-09T11:00:00Z")).ok());
  EXPECT_FALSE(v.Append(Timeframe::kH1, bar("2024-01-09T10:30:00Z", "2024-01-09T11:30:00Z")).ok());
  EXPECT_FALSE(v.Append(Timeframe::kH1, bar("2024-01-09T09:00:00Z", "2024-01-09T10:00:00Z")).ok());
  EXPECT_FALSE(v.Append(Timeframe::kH1, bar("2024-01-09T12:00:00Z", "2024-01-09T12:00:00Z")).ok());
  // A batch with a bad bar inside is rejected whole.
  const std::vector<Bar> batch = {bar("2024-01-09T11:00:00Z", "2024-01-09T12:00:00Z"),
                                  bar("2024-01-09T13:00:00Z", "2024-01-09T14:00:00Z"),
                                  bar("2024-01-09T13:30:00Z", "2024-01-09T14:30:00Z")};
  Status s = v.Append(Timeframe::kH1, batch);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("H1"), std::string::npos);
  EXPECT_EQ(v.all(Timeframe::kH1).size(), 1u);
  ASSERT_TRUE(v.Append(Timeframe::kH1, std::span<const Bar>(batch).first(2)).ok());
  EXPECT_EQ(v.all(Timeframe::kH1).size(), 3u);
  // Timeframes are independent; a gap (no bar) is fine.
  ASSERT_TRUE(v.Append(Timeframe::kM1, bar("2024-01-09T10:00:00Z", "2024-01-09T10:01:00Z")).ok());
  EXPECT_EQ(v.BarsClosedBy(Timeframe::kH1, T("2024-01-09T12:59:59Z")).size(), 2u);
  EXPECT_EQ(v.BarsClosedBy(Timeframe::kH1, T("2024-01-09T14:00:00Z")).size(), 3u);
  EXPECT_TRUE(v.BarsClosedBy(Timeframe::kD1, T("2030-01-01T00:00:00Z")).empty());
}

TEST(MultiTimeframeViewTest, HigherTimeframeInvisibleWhileForming) {
  // An M1 decision at 10:30 sees M1 bars up to 10:30 but not the H1 bar of 10:00-11:00.
  MultiAggregator agg(kAllTimeframes, PriceSide::kBid, Cal());
  for (int m = 0; m < 90; ++m) {
    const UnixNanos t = T("2024-01-09T10:00:00Z") + Duration(m * kNanosPerMinute + kNanosPerSecond);
    ASSERT_TRUE(agg.Update(QuoteTick{t, Price::FromScaled(110'000 + m, 5),
                                     Price::FromScaled(110'010 + m, 5), 1, 1})
                    .ok());
  }
  MultiTimeframeView v;
  ASSERT_TRUE(v.Drain(agg).ok());
  const UnixNanos t = T("2024-01-09T10:30:00Z");
  EXPECT_EQ(v.BarsClosedBy(Timeframe::kM1, t).size(), 30u);
  EXPECT_EQ(v.BarsClosedBy(Timeframe::kM5, t).size(), 6u);
  EXPECT_TRUE(v.BarsClosedBy(Timeframe::kH1, t).empty());
  ASSERT_EQ(v.BarsClosedBy(Timeframe::kH1, T("2024-01-09T11:00:00Z")).size(), 1u);
  EXPECT_EQ(v.LatestClosed(Timeframe::kH1, T("2024-01-09T11:00:00Z"))->close,
            Price::FromScaled(110'059, 5));
  EXPECT_TRUE(v.BarsClosedBy(Timeframe::kD1, T("2024-01-09T11:00:00Z")).empty());
}

}  // namespace
}  // namespace arus::bars
