#include "fx/calendar.h"

#include <gtest/gtest.h>

#include <random>

namespace arus::fx {
namespace {

UnixNanos T(const char* iso) { return *ParseIsoUtc(iso); }
Date D(const char* ymd) { return *Date::Parse(ymd); }

const FxCalendar& Cal() { return FxCalendar::Default(); }

TEST(DateTest, CivilFieldsAndWeekday) {
  const Date d = D("2024-03-10");
  EXPECT_EQ(d.year(), 2024);
  EXPECT_EQ(d.month(), 3u);
  EXPECT_EQ(d.day(), 10u);
  EXPECT_EQ(d.weekday(), 0u);  // Sunday
  EXPECT_EQ(D("1970-01-01").weekday(), 4u);
  EXPECT_EQ(D("1969-12-31").weekday(), 3u);
  EXPECT_EQ(d.ToString(), "2024-03-10");
  EXPECT_FALSE(Date::Parse("2024-3-10").ok());
  EXPECT_FALSE(Date::Parse("2024-02-30").ok());
}

TEST(ZoneOffsetsTest, NewYorkOffsetsAroundDst) {
  const ZoneOffsets& ny = Cal().zone();
  EXPECT_EQ(ny.OffsetAt(T("2024-01-15T12:00:00Z")).count(), -5 * kNanosPerHour);
  EXPECT_EQ(ny.OffsetAt(T("2024-07-15T12:00:00Z")).count(), -4 * kNanosPerHour);
  // 2024-03-10 02:00 EST -> 03:00 EDT, i.e. 07:00 UTC.
  EXPECT_EQ(ny.OffsetAt(T("2024-03-10T06:59:59Z")).count(), -5 * kNanosPerHour);
  EXPECT_EQ(ny.OffsetAt(T("2024-03-10T07:00:00Z")).count(), -4 * kNanosPerHour);
  // 02:30 local does not exist that night: read with the offset before the gap.
  EXPECT_EQ(ny.At(D("2024-03-10"), 2, 30), T("2024-03-10T07:30:00Z"));
  // 2024-11-03 01:30 local happens twice: the earlier instant (EDT) is taken.
  EXPECT_EQ(ny.At(D("2024-11-03"), 1, 30), T("2024-11-03T05:30:00Z"));
  EXPECT_FALSE(ZoneOffsets::Load("Mars/Olympus_Mons").ok());
}

TEST(FxCalendarTest, TradingDateRollsAt17NewYork) {
  // Winter: 17:00 New York = 22:00 UTC.
  EXPECT_EQ(Cal().TradingDateOf(T("2024-01-02T21:59:59.999Z")), D("2024-01-02"));
  EXPECT_EQ(Cal().TradingDateOf(T("2024-01-02T22:00:00Z")), D("2024-01-03"));
  // Summer: 17:00 New York = 21:00 UTC.
  EXPECT_EQ(Cal().TradingDateOf(T("2024-07-02T20:59:59Z")), D("2024-07-02"));
  EXPECT_EQ(Cal().TradingDateOf(T("2024-07-02T21:00:00Z")), D("2024-07-03"));
  // Sunday's open belongs to Monday.
  EXPECT_EQ(Cal().TradingDateOf(T("2024-01-07T22:00:00Z")), D("2024-01-08"));
}

TEST(FxCalendarTest, WeekOpensSundayAndClosesFridayAcrossDst) {
  // Week of the US spring switch (Sunday 2024-03-10): Friday 8th closes 22:00 UTC (EST),
  // Sunday 10th opens 21:00 UTC (EDT).
  EXPECT_TRUE(Cal().IsOpen(T("2024-03-08T21:59:59Z")));
  EXPECT_FALSE(Cal().IsOpen(T("2024-03-08T22:00:00Z")));
  EXPECT_FALSE(Cal().IsOpen(T("2024-03-09T12:00:00Z")));
  EXPECT_FALSE(Cal().IsOpen(T("2024-03-10T20:59:59Z")));
  EXPECT_TRUE(Cal().IsOpen(T("2024-03-10T21:00:00Z")));
  EXPECT_EQ(Cal().NextOpen(T("2024-03-09T00:00:00Z")), T("2024-03-10T21:00:00Z"));
  EXPECT_EQ(Cal().NextClose(T("2024-03-06T00:00:00Z")), T("2024-03-08T22:00:00Z"));
  // Autumn switch (Sunday 2024-11-03): Friday 1st closes 21:00 UTC, Sunday opens 22:00 UTC.
  EXPECT_TRUE(Cal().IsOpen(T("2024-11-01T20:59:59Z")));
  EXPECT_FALSE(Cal().IsOpen(T("2024-11-01T21:00:00Z")));
  EXPECT_FALSE(Cal().IsOpen(T("2024-11-03T21:59:59Z")));
  EXPECT_TRUE(Cal().IsOpen(T("2024-11-03T22:00:00Z")));
  EXPECT_EQ(Cal().NextOpen(T("2024-11-02T10:00:00Z")), T("2024-11-03T22:00:00Z"));
  EXPECT_EQ(Cal().NextClose(T("2024-11-01T20:00:00Z")), T("2024-11-01T21:00:00Z"));
  // When open, NextOpen is the instant itself.
  EXPECT_EQ(Cal().NextOpen(T("2024-11-05T10:00:00Z")), T("2024-11-05T10:00:00Z"));
}

TEST(FxCalendarTest, ChristmasAndNewYearAreClosed) {
  // 25 Dec 2024 is a Wednesday: closed from Tuesday 17:00 New York to Wednesday 17:00.
  EXPECT_TRUE(Cal().IsHoliday(D("2024-12-25")));
  EXPECT_FALSE(Cal().IsTradingDay(D("2024-12-25")));
  EXPECT_TRUE(Cal().IsOpen(T("2024-12-24T21:59:00Z")));
  EXPECT_FALSE(Cal().IsOpen(T("2024-12-24T22:00:00Z")));
  EXPECT_FALSE(Cal().IsOpen(T("2024-12-25T21:59:00Z")));
  EXPECT_TRUE(Cal().IsOpen(T("2024-12-25T22:00:00Z")));
  EXPECT_EQ(Cal().NextClose(T("2024-12-23T10:00:00Z")), T("2024-12-24T22:00:00Z"));
  EXPECT_EQ(Cal().NextTradingDay(D("2024-12-24")), D("2024-12-26"));
  EXPECT_FALSE(Cal().IsOpen(T("2025-01-01T12:00:00Z")));
  EXPECT_EQ(Cal().NextOpen(T("2025-01-01T12:00:00Z")), T("2025-01-01T22:00:00Z"));
  // Trading days of the first full week of 2024: 1 Jan closed.
  const std::vector<Date> days = Cal().TradingDays(D("2024-01-01"), D("2024-01-08"));
  ASSERT_EQ(days.size(), 4u);
  EXPECT_EQ(days.front(), D("2024-01-02"));
  EXPECT_EQ(days.back(), D("2024-01-05"));
}

TEST(FxCalendarTest, ExtraHolidaysAndValidation) {
  FxCalendar::Options o;
  o.extra_holidays = {D("2024-07-04")};
  auto cal = FxCalendar::Create(o);
  ASSERT_TRUE(cal.ok());
  EXPECT_FALSE((*cal)->IsTradingDay(D("2024-07-04")));
  EXPECT_TRUE(Cal().IsTradingDay(D("2024-07-04")));
  o.rollover_hour = 25;
  EXPECT_FALSE(FxCalendar::Create(o).ok());
  o.rollover_hour = 17;
  o.zone = "Nowhere/Atlantis";
  EXPECT_FALSE(FxCalendar::Create(o).ok());
}

TEST(FxCalendarTest, PropertiesOverManyYears) {
  std::mt19937_64 rng(3);
  const int64_t lo = T("2000-01-01T00:00:00Z").ns();
  const int64_t hi = T("2035-01-01T00:00:00Z").ns();
  for (int i = 0; i < 200000; ++i) {
    const UnixNanos t(lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo)));
    const TradingDayBounds b = Cal().BoundsAt(t);
    ASSERT_LE(b.open, t);
    ASSERT_LT(t, b.close);
    if (Cal().IsTradingDay(b.date)) {
      // DST switches fall inside the weekend, so open trading days are exactly 24 hours.
      ASSERT_EQ((b.close - b.open).count(), kNanosPerDay) << b.date.ToString();
    }
    const UnixNanos open = Cal().NextOpen(t);
    ASSERT_TRUE(Cal().IsOpen(open));
    ASSERT_GE(open, t);
    const UnixNanos close = Cal().NextClose(t);
    ASSERT_GT(close, t);
    ASSERT_FALSE(Cal().IsOpen(close));
    ASSERT_TRUE(Cal().IsOpen(close - Duration(1)));
  }
}

TEST(SessionClockTest, LondonAndNewYorkFollowTheirOwnDst) {
  const SessionClock& s = SessionClock::Default();
  // Between the US switch (10 Mar 2024) and the European one (31 Mar 2024) the London/New York
  // overlap is 12:00-17:00 UTC; after both, 12:00-16:00 UTC.
  EXPECT_TRUE(s.IsActive(Session::kLondon, T("2024-03-20T08:00:00Z")));
  EXPECT_FALSE(s.IsActive(Session::kLondon, T("2024-03-20T07:59:00Z")));
  EXPECT_TRUE(s.IsActive(Session::kNewYork, T("2024-03-20T12:00:00Z")));
  EXPECT_TRUE(s.IsActive(Session::kLondon, T("2024-03-20T16:30:00Z")));
  EXPECT_TRUE(s.IsOverlap(T("2024-03-20T16:30:00Z")));
  EXPECT_TRUE(s.IsActive(Session::kLondon, T("2024-04-03T07:00:00Z")));
  EXPECT_FALSE(s.IsActive(Session::kLondon, T("2024-04-03T16:30:00Z")));
  EXPECT_FALSE(s.IsOverlap(T("2024-04-03T16:30:00Z")));
  // In winter both are on standard time: London 08-17 UTC, New York 13-22 UTC.
  EXPECT_TRUE(s.IsActive(Session::kNewYork, T("2024-01-10T13:00:00Z")));
  EXPECT_FALSE(s.IsActive(Session::kNewYork, T("2024-01-10T12:59:00Z")));
  // European autumn switch (27 Oct 2024) comes before the US one (3 Nov 2024).
  EXPECT_TRUE(s.IsActive(Session::kLondon, T("2024-10-30T08:00:00Z")));
  EXPECT_TRUE(s.IsActive(Session::kNewYork, T("2024-10-30T12:00:00Z")));
  EXPECT_TRUE(s.IsActive(Session::kLondon, T("2024-10-30T16:30:00Z")));
}

TEST(SessionClockTest, AsianSessions) {
  const SessionClock& s = SessionClock::Default();
  // Tokyo has no DST: 09:00 JST = 00:00 UTC.
  EXPECT_TRUE(s.IsActive(Session::kTokyo, T("2024-07-10T00:00:00Z")));
  EXPECT_FALSE(s.IsActive(Session::kTokyo, T("2024-07-09T23:59:00Z")));
  // Sydney in January is on AEDT (UTC+11): 07:00 local = 20:00 UTC the day before.
  EXPECT_TRUE(s.IsActive(Session::kSydney, T("2024-01-09T20:00:00Z")));
  EXPECT_FALSE(s.IsActive(Session::kSydney, T("2024-01-09T19:59:00Z")));
  // ...and in July on AEST (UTC+10): 07:00 local = 21:00 UTC.
  EXPECT_TRUE(s.IsActive(Session::kSydney, T("2024-07-09T21:00:00Z")));
  EXPECT_FALSE(s.IsActive(Session::kSydney, T("2024-07-09T20:59:00Z")));
  // Tokyo/Sydney overlap at 00:30 UTC in July.
  EXPECT_EQ(s.ActiveMask(T("2024-07-10T00:30:00Z")),
            SessionBit(Session::kTokyo) | SessionBit(Session::kSydney));
  // Nothing is active while the market is closed, even in Sydney's Monday morning.
  EXPECT_EQ(s.ActiveMask(T("2024-07-07T20:30:00Z")), 0);  // Sunday 16:30 New York
  EXPECT_EQ(s.ActiveMask(T("2024-07-06T12:00:00Z")), 0);  // Saturday
}

}  // namespace
}  // namespace arus::fx
