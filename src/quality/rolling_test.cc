#include "quality/rolling.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <random>
#include <vector>

#include "fx/calendar.h"
#include "quality/market_time.h"
#include "quality/quality_test_util.h"

namespace arus::quality {
namespace {

using testing::T;

int32_t BruteMedian(std::vector<int32_t> v) {
  std::sort(v.begin(), v.end());
  return v[(v.size() - 1) / 2];
}

int32_t BruteMad(const std::vector<int32_t>& v, int32_t med) {
  // Smallest d with more than (n-1)/2 values within d of the median.
  const int64_t rank = static_cast<int64_t>((v.size() - 1) / 2);
  for (int32_t d = 0;; ++d) {
    int64_t inside = 0;
    for (int32_t x : v) inside += (std::abs(x - med) <= d);
    if (inside > rank) return d;
  }
}

// Property: the cursor median and the MAD equal a brute-force computation over the last `window`
// clamped values, for drifting, jumping and clamped inputs.
TEST(RollingHistogram, MatchesBruteForce) {
  std::mt19937_64 rng(42);
  for (size_t window : {1u, 2u, 7u, 64u, 501u}) {
    SCOPED_TRACE(window);
    RollingHistogram h(-50, 200, window);
    std::deque<int32_t> last;
    int32_t level = 0;
    for (int i = 0; i < 5000; ++i) {
      if (rng() % 500 == 0) level += static_cast<int32_t>(rng() % 120) - 60;  // jumps
      level += static_cast<int32_t>(rng() % 5) - 2;
      const int32_t x = level + static_cast<int32_t>(rng() % 9) - 4 +
                        (rng() % 50 == 0 ? 1000 : 0);  // rare outliers beyond the range
      h.Push(x);
      last.push_back(std::clamp(x, -50, 200));
      if (last.size() > window) last.pop_front();
      const std::vector<int32_t> v(last.begin(), last.end());
      ASSERT_EQ(h.size(), v.size());
      const int32_t med = BruteMedian(v);
      ASSERT_EQ(h.Median(), med) << "at " << i;
      if (i % 37 == 0) {
        ASSERT_EQ(h.MedianAbsDeviation(), BruteMad(v, med)) << "at " << i;
      }
    }
  }
}

TEST(WorstKeeper, KeepsTheMostSevereAndTheEarliestOnTies) {
  WorstKeeper k(3);
  const double sev[] = {1, 5, 3, 5, 2, 9, 5, 0};
  for (int i = 0; i < 8; ++i) {
    Example e;
    e.ts = UnixNanos(i);
    e.severity = sev[i];
    if (k.Wants(e.severity)) k.Add(e);
  }
  const std::vector<Example> v = k.Sorted();
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].severity, 9);
  EXPECT_EQ(v[1].ts, UnixNanos(1));  // the first 5
  EXPECT_EQ(v[2].ts, UnixNanos(3));  // the second 5; the third 5 (t=6) lost the tie
  WorstKeeper none(0);
  EXPECT_FALSE(none.Wants(1e9));
}

const fx::FxCalendar& Cal() { return fx::FxCalendar::Default(); }

TEST(MarketTime, OpenDurationSkipsWeekendsAndHolidays) {
  // Plain open stretch (Tuesday).
  EXPECT_EQ(OpenDuration(Cal(), T("2024-01-09T10:00:00Z"), T("2024-01-09T10:30:00Z")),
            Duration(30 * kNanosPerMinute));
  EXPECT_EQ(OpenDuration(Cal(), T("2024-01-09T10:30:00Z"), T("2024-01-09T10:00:00Z")),
            Duration(0));
  // Friday 16:00 New York (21:00 UTC, EST) .. Sunday 18:00 New York: one hour each side.
  EXPECT_EQ(OpenDuration(Cal(), T("2024-01-12T21:00:00Z"), T("2024-01-14T23:00:00Z")),
            Duration(2 * kNanosPerHour));
  // Across the US DST change (Sunday 10 Mar 2024): Friday 16:00 EST .. Sunday 18:00 EDT.
  EXPECT_EQ(OpenDuration(Cal(), T("2024-03-08T21:00:00Z"), T("2024-03-10T22:00:00Z")),
            Duration(2 * kNanosPerHour));
  // Christmas 2024 (Wednesday): 24 Dec 16:00 New York .. 25 Dec 18:00 New York.
  EXPECT_EQ(OpenDuration(Cal(), T("2024-12-24T21:00:00Z"), T("2024-12-25T23:00:00Z")),
            Duration(2 * kNanosPerHour));
  // Nothing open over a weekend.
  EXPECT_EQ(OpenDuration(Cal(), T("2024-01-13T00:00:00Z"), T("2024-01-14T12:00:00Z")),
            Duration(0));
}

TEST(MarketTime, OpenTimeByHourCoversTheWeek) {
  // A full week: Sunday 17:00 New York .. Friday 17:00 New York = 5 hours of each NY hour.
  const UnixNanos a = Cal().Bounds(fx::Date::FromYmd(2024, 1, 8)).open;
  const UnixNanos b = Cal().Bounds(fx::Date::FromYmd(2024, 1, 12)).close;
  const std::array<Duration, 24> h = OpenTimeByNyHour(Cal(), a - Duration(kNanosPerDay),
                                                       b + Duration(kNanosPerDay));
  for (int i = 0; i < 24; ++i) EXPECT_EQ(h[i], Duration(5 * kNanosPerHour)) << i;
  // Partial hours are clipped: 10:15-10:45 UTC on a Tuesday in winter is NY hour 5.
  const std::array<Duration, 24> p =
      OpenTimeByNyHour(Cal(), T("2024-01-09T10:15:00Z"), T("2024-01-09T10:45:00Z"));
  EXPECT_EQ(p[5], Duration(30 * kNanosPerMinute));
  Duration sum{0};
  for (Duration d : p) sum += d;
  EXPECT_EQ(sum, Duration(30 * kNanosPerMinute));
}

TEST(MarketTime, CachesAgreeWithTheCalendar) {
  OpenCache open(Cal());
  NyHourCache hour(Cal());
  std::mt19937_64 rng(3);
  const int64_t a = T("2024-03-01").ns(), span = 40 * kNanosPerDay;
  for (int i = 0; i < 20000; ++i) {
    // Mostly forward small steps, sometimes random jumps (both directions).
    const UnixNanos t(a + static_cast<int64_t>(rng() % static_cast<uint64_t>(span)));
    EXPECT_EQ(open.IsOpen(t), Cal().IsOpen(t)) << t.ToIso();
    const UnixNanos local = Cal().zone().ToLocal(t);
    const int expect = static_cast<int>((local.ns() / kNanosPerHour) % 24);
    EXPECT_EQ(hour.HourOf(t), expect) << t.ToIso();
  }
}

TEST(MarketTime, FormatDuration) {
  EXPECT_EQ(FormatDuration(Duration(850 * kNanosPerMilli)), "850ms");
  EXPECT_EQ(FormatDuration(Duration(2500 * kNanosPerMilli)), "2.5s");
  EXPECT_EQ(FormatDuration(Duration(30 * kNanosPerMinute + 10 * kNanosPerSecond)), "30m10s");
  EXPECT_EQ(FormatDuration(Duration(kNanosPerHour + 5 * kNanosPerMinute)), "1h05m00s");
  EXPECT_EQ(FormatDuration(Duration(2 * kNanosPerDay + 3 * kNanosPerHour)), "2d03h00m");
}

}  // namespace
}  // namespace arus::quality
