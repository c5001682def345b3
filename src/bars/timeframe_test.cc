#include "bars/timeframe.h"

#include <gtest/gtest.h>

#include <set>

#include "bars/bars_test_util.h"

namespace arus::bars {
namespace {

using testing::T;

const fx::FxCalendar& Cal() { return fx::FxCalendar::Default(); }

BarInterval I(std::string_view open, std::string_view close) { return {T(open), T(close)}; }

TEST(TimeframeTest, ParseIsCaseInsensitiveAndRoundTrips) {
  for (Timeframe tf : kAllTimeframes) {
    Result<Timeframe> r = ParseTimeframe(TimeframeName(tf));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, tf);
  }
  EXPECT_EQ(*ParseTimeframe("m1"), Timeframe::kM1);
  EXPECT_EQ(*ParseTimeframe("m15"), Timeframe::kM15);
  EXPECT_EQ(*ParseTimeframe("h4"), Timeframe::kH4);
  EXPECT_EQ(*ParseTimeframe("d1"), Timeframe::kD1);
  EXPECT_EQ(*ParseTimeframe("w1"), Timeframe::kW1);
}

TEST(TimeframeTest, ParseRejectsUnknownAndListsValidNames) {
  for (std::string_view bad : {"", "M2", "H", "1H", "D1 ", "MN1", "M15x", "daily"}) {
    Result<Timeframe> r = ParseTimeframe(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("M1, M5, M15, M30, H1, H4, D1, W1"), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find("'" + std::string(bad) + "'"), std::string::npos);
  }
}

TEST(TimeframeTest, NominalDurations) {
  EXPECT_EQ(NominalDuration(Timeframe::kM1), Duration(kNanosPerMinute));
  EXPECT_EQ(NominalDuration(Timeframe::kM5), Duration(5 * kNanosPerMinute));
  EXPECT_EQ(NominalDuration(Timeframe::kM15), Duration(15 * kNanosPerMinute));
  EXPECT_EQ(NominalDuration(Timeframe::kM30), Duration(30 * kNanosPerMinute));
  EXPECT_EQ(NominalDuration(Timeframe::kH1), Duration(kNanosPerHour));
  EXPECT_EQ(NominalDuration(Timeframe::kH4), Duration(4 * kNanosPerHour));
  EXPECT_EQ(NominalDuration(Timeframe::kD1), Duration(kNanosPerDay));
  EXPECT_EQ(NominalDuration(Timeframe::kW1), Duration(5 * kNanosPerDay));
}

TEST(TimeframeTest, FixedBucketsAlignToUtcMultiples) {
  const UnixNanos t = T("2024-03-12T10:37:42.5Z");
  EXPECT_EQ(BucketOf(Timeframe::kM1, t, Cal()), I("2024-03-12T10:37:00Z", "2024-03-12T10:38:00Z"));
  EXPECT_EQ(BucketOf(Timeframe::kM5, t, Cal()), I("2024-03-12T10:35:00Z", "2024-03-12T10:40:00Z"));
  EXPECT_EQ(BucketOf(Timeframe::kM15, t, Cal()), I("2024-03-12T10:30:00Z", "2024-03-12T10:45:00Z"));
  EXPECT_EQ(BucketOf(Timeframe::kM30, t, Cal()), I("2024-03-12T10:30:00Z", "2024-03-12T11:00:00Z"));
  EXPECT_EQ(BucketOf(Timeframe::kH1, t, Cal()), I("2024-03-12T10:00:00Z", "2024-03-12T11:00:00Z"));
  // Boundaries are half-open.
  EXPECT_EQ(BucketOf(Timeframe::kM1, T("2024-03-12T10:38:00Z"), Cal()).open,
            T("2024-03-12T10:38:00Z"));
  EXPECT_EQ(BucketOf(Timeframe::kH1, T("2024-03-12T10:59:59.999999999Z"), Cal()).open,
            T("2024-03-12T10:00:00Z"));
}

TEST(TimeframeTest, D1FollowsNewYorkDstNotEurope) {
  struct Case {
    const char* t;
    const char* open;
    const char* close;
  };
  const Case cases[] = {
      // Before the New York spring switch (EST, close 22:00 UTC).
      {"2024-03-08T12:00:00Z", "2024-03-07T22:00:00Z", "2024-03-08T22:00:00Z"},
      {"2024-03-07T22:00:00Z", "2024-03-07T22:00:00Z", "2024-03-08T22:00:00Z"},
      {"2024-03-07T21:59:59Z", "2024-03-06T22:00:00Z", "2024-03-07T22:00:00Z"},
      // After 2024-03-10 (EDT, 21:00 UTC): Monday's day opens Sunday 21:00 UTC.
      {"2024-03-10T21:00:00Z", "2024-03-10T21:00:00Z", "2024-03-11T21:00:00Z"},
      {"2024-03-11T20:59:59Z", "2024-03-10T21:00:00Z", "2024-03-11T21:00:00Z"},
      {"2024-03-11T21:00:00Z", "2024-03-11T21:00:00Z", "2024-03-12T21:00:00Z"},
      // Europe's switch 2024-03-31 changes nothing: still 21:00 UTC either side.
      {"2024-03-29T12:00:00Z", "2024-03-28T21:00:00Z", "2024-03-29T21:00:00Z"},
      {"2024-04-01T12:00:00Z", "2024-03-31T21:00:00Z", "2024-04-01T21:00:00Z"},
      // Europe's switch back 2024-10-27: New York still on EDT for a week.
      {"2024-10-25T12:00:00Z", "2024-10-24T21:00:00Z", "2024-10-25T21:00:00Z"},
      {"2024-10-28T12:00:00Z", "2024-10-27T21:00:00Z", "2024-10-28T21:00:00Z"},
      {"2024-11-01T20:59:59Z", "2024-10-31T21:00:00Z", "2024-11-01T21:00:00Z"},
      // After 2024-11-03 (EST again).
      {"2024-11-03T22:00:00Z", "2024-11-03T22:00:00Z", "2024-11-04T22:00:00Z"},
      {"2024-11-04T21:30:00Z", "2024-11-03T22:00:00Z", "2024-11-04T22:00:00Z"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(BucketOf(Timeframe::kD1, T(c.t), Cal()), I(c.open, c.close)) << c.t;
  }
}

TEST(TimeframeTest, H4AnchorsAt17NewYork) {
  struct Case {
    const char* t;
    const char* open;
    const char* close;
  };
  const Case cases[] = {
      // EST: 17,21,01,05,09,13 New York = 22,02,06,10,14,18 UTC.
      {"2024-03-04T22:00:00Z", "2024-03-04T22:00:00Z", "2024-03-05T02:00:00Z"},
      {"2024-03-05T03:30:00Z", "2024-03-05T02:00:00Z", "2024-03-05T06:00:00Z"},
      {"2024-03-05T13:59:59Z", "2024-03-05T10:00:00Z", "2024-03-05T14:00:00Z"},
      {"2024-03-05T21:59:59Z", "2024-03-05T18:00:00Z", "2024-03-05T22:00:00Z"},
      // EDT after 2024-03-10: 21,01,05,09,13,17 UTC.
      {"2024-03-10T21:00:00Z", "2024-03-10T21:00:00Z", "2024-03-11T01:00:00Z"},
      {"2024-03-12T03:30:00Z", "2024-03-12T01:00:00Z", "2024-03-12T05:00:00Z"},
      {"2024-03-12T20:59:59Z", "2024-03-12T17:00:00Z", "2024-03-12T21:00:00Z"},
      // Europe switches do not move them.
      {"2024-03-26T03:30:00Z", "2024-03-26T01:00:00Z", "2024-03-26T05:00:00Z"},
      {"2024-04-02T03:30:00Z", "2024-04-02T01:00:00Z", "2024-04-02T05:00:00Z"},
      {"2024-10-29T03:30:00Z", "2024-10-29T01:00:00Z", "2024-10-29T05:00:00Z"},
      // EST again after 2024-11-03.
      {"2024-11-05T03:30:00Z", "2024-11-05T02:00:00Z", "2024-11-05T06:00:00Z"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(BucketOf(Timeframe::kH4, T(c.t), Cal()), I(c.open, c.close)) << c.t;
  }
}

// Property over the DST months: every open instant's H4 bucket starts at 17/21/01/05/09/13 New
// York, holds the instant, lasts 4 h and tiles the trading day; D1 is the trading day.
TEST(TimeframeTest, H4AndD1TileOpenTradingDaysAcrossDstSwitches) {
  const std::set<int64_t> kStarts = {17, 21, 1, 5, 9, 13};
  const fx::ZoneOffsets& ny = Cal().zone();
  for (const auto& [from, to] :
       {std::pair{"2024-03-01", "2024-04-06"}, std::pair{"2024-10-20", "2024-11-10"}}) {
    for (UnixNanos t = T(from); t < T(to); t += Duration(7 * kNanosPerMinute)) {
      if (!Cal().IsOpen(t)) continue;
      const BarInterval h4 = BucketOf(Timeframe::kH4, t, Cal());
      ASSERT_LE(h4.open, t);
      ASSERT_LT(t, h4.close);
      ASSERT_EQ(h4.close - h4.open, Duration(4 * kNanosPerHour)) << t.ToIso();
      const int64_t local = ny.ToLocal(h4.open).ns();
      const int64_t minute_of_day =
          ((local % kNanosPerDay) + kNanosPerDay) % kNanosPerDay / kNanosPerMinute;
      ASSERT_EQ(minute_of_day % 60, 0) << t.ToIso();
      ASSERT_TRUE(kStarts.count(minute_of_day / 60)) << t.ToIso() << " " << minute_of_day / 60;
      const BarInterval d1 = BucketOf(Timeframe::kD1, t, Cal());
      const fx::TradingDayBounds day = Cal().BoundsAt(t);
      ASSERT_EQ(d1, (BarInterval{day.open, day.close}));
      ASSERT_LE(d1.open, h4.open);
      ASSERT_LE(h4.close, d1.close);
    }
  }
}

TEST(TimeframeTest, W1RunsSundayOpenToFridayClose) {
  // Week of 2024-03-04 (EST throughout).
  EXPECT_EQ(BucketOf(Timeframe::kW1, T("2024-03-06T12:00:00Z"), Cal()),
            I("2024-03-03T22:00:00Z", "2024-03-08T22:00:00Z"));
  EXPECT_EQ(BucketOf(Timeframe::kW1, T("2024-03-03T22:00:00Z"), Cal()),
            I("2024-03-03T22:00:00Z", "2024-03-08T22:00:00Z"));
  EXPECT_EQ(BucketOf(Timeframe::kW1, T("2024-03-08T21:59:59Z"), Cal()),
            I("2024-03-03T22:00:00Z", "2024-03-08T22:00:00Z"));
  // The week opening on the DST Sunday 2024-03-10 opens at 21:00 UTC.
  EXPECT_EQ(BucketOf(Timeframe::kW1, T("2024-03-13T12:00:00Z"), Cal()),
            I("2024-03-10T21:00:00Z", "2024-03-15T21:00:00Z"));
  // Europe's switch week: unaffected.
  EXPECT_EQ(BucketOf(Timeframe::kW1, T("2024-04-03T12:00:00Z"), Cal()),
            I("2024-03-31T21:00:00Z", "2024-04-05T21:00:00Z"));
  EXPECT_EQ(BucketOf(Timeframe::kW1, T("2024-10-30T12:00:00Z"), Cal()),
            I("2024-10-27T21:00:00Z", "2024-11-01T21:00:00Z"));
  // After New York's switch back.
  EXPECT_EQ(BucketOf(Timeframe::kW1, T("2024-11-04T12:00:00Z"), Cal()),
            I("2024-11-03T22:00:00Z", "2024-11-08T22:00:00Z"));
  // Christmas week: the interval still spans Sunday -> Friday.
  EXPECT_EQ(BucketOf(Timeframe::kW1, T("2024-12-26T12:00:00Z"), Cal()),
            I("2024-12-22T22:00:00Z", "2024-12-27T22:00:00Z"));
}

TEST(TimeframeTest, TradingDateLabels) {
  auto bar = [](std::string_view open, std::string_view close) {
    Bar b;
    b.ts_open = T(open);
    b.ts_close = T(close);
    return b;
  };
  // A D1 bar is labelled with the New York date at its close.
  EXPECT_EQ(
      TradingDateLabel(Timeframe::kD1, bar("2024-03-10T21:00:00Z", "2024-03-11T21:00:00Z"), Cal()),
      fx::Date::FromYmd(2024, 3, 11));
  EXPECT_EQ(
      TradingDateLabel(Timeframe::kD1, bar("2024-03-07T22:00:00Z", "2024-03-08T22:00:00Z"), Cal()),
      fx::Date::FromYmd(2024, 3, 8));
  EXPECT_EQ(
      TradingDateLabel(Timeframe::kD1, bar("2024-11-03T22:00:00Z", "2024-11-04T22:00:00Z"), Cal()),
      fx::Date::FromYmd(2024, 11, 4));
  // An H1 bar late in the New York evening belongs to the next trading date.
  EXPECT_EQ(
      TradingDateLabel(Timeframe::kH1, bar("2024-03-12T22:00:00Z", "2024-03-12T23:00:00Z"), Cal()),
      fx::Date::FromYmd(2024, 3, 13));
  // W1: its first trading date; the week of 2024-01-01 (Monday holiday) starts Tuesday.
  EXPECT_EQ(
      TradingDateLabel(Timeframe::kW1, bar("2024-03-10T21:00:00Z", "2024-03-15T21:00:00Z"), Cal()),
      fx::Date::FromYmd(2024, 3, 11));
  EXPECT_EQ(
      TradingDateLabel(Timeframe::kW1, bar("2023-12-31T22:00:00Z", "2024-01-05T22:00:00Z"), Cal()),
      fx::Date::FromYmd(2024, 1, 2));
}

}  // namespace
}  // namespace arus::bars
