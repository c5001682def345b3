#include "core/time.h"

#include <gtest/gtest.h>

#include <random>

namespace arus {
namespace {

TEST(TimeTest, IsoRoundTrip) {
  const UnixNanos t = *ParseIsoUtc("2024-01-02T17:00:00.123Z");
  EXPECT_EQ(t.ns(), 1704214800123000000);
  EXPECT_EQ(t.ToIso(), "2024-01-02T17:00:00.123Z");
  EXPECT_EQ(ParseIsoUtc("2024-01-02")->ToIso(), "2024-01-02T00:00:00Z");
  EXPECT_EQ(ParseIsoUtc("2024-01-02 17:05")->ToIso(), "2024-01-02T17:05:00Z");
  EXPECT_EQ(ParseIsoUtc("2024-01-02T17:05:01.000001+00:00")->ToIso(), "2024-01-02T17:05:01.000001Z");
  EXPECT_EQ(ParseIsoUtc("1969-12-31T23:59:59.999999999Z")->ns(), -1);
  EXPECT_EQ(UnixNanos(-1).ToIso(), "1969-12-31T23:59:59.999999999Z");
}

TEST(TimeTest, IsoRejectsGarbage) {
  for (const char* bad : {"", "2024", "2024-13-01", "2024-02-30", "2024-01-02T25:00",
                          "2024-01-02T10:00:00+02:00", "2024-01-02X", "2024-01-02T10:00:00.",
                          "2024-01-02T10:00:00.1234567890", "abcd-ef-gh"}) {
    Result<UnixNanos> r = ParseIsoUtc(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("bad time"), std::string::npos);
    }
  }
  EXPECT_TRUE(ParseIsoUtc("2024-02-29").ok());
  EXPECT_FALSE(ParseIsoUtc("2023-02-29").ok());
}

TEST(TimeTest, CivilDaysRoundTripProperty) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 100000; ++i) {
    const int64_t days = static_cast<int64_t>(rng() % 2000000) - 1000000;
    int64_t y;
    unsigned m, d;
    CivilFromDays(days, &y, &m, &d);
    EXPECT_EQ(DaysFromCivil(y, m, d), days);
  }
  EXPECT_EQ(DaysFromCivil(1970, 1, 1), 0);
  EXPECT_EQ(DaysFromCivil(2000, 3, 1), 11017);
}

TEST(TimeTest, CheckedArithmetic) {
  EXPECT_FALSE(CheckedAdd(UnixNanos::Max(), Duration(1)).ok());
  EXPECT_EQ(CheckedAdd(UnixNanos(5), Duration(-7))->ns(), -2);
  EXPECT_DEATH((void)(UnixNanos::Max() + Duration(1)), "overflow");
  EXPECT_EQ((UnixNanos(10) - UnixNanos(4)).count(), 6);
}

TEST(TimeTest, FloorToHandlesNegatives) {
  const Duration minute(kNanosPerMinute);
  EXPECT_EQ(UnixNanos(kNanosPerMinute + 5).FloorTo(minute).ns(), kNanosPerMinute);
  EXPECT_EQ(UnixNanos(-5).FloorTo(minute).ns(), -kNanosPerMinute);
  EXPECT_EQ(UnixNanos(-kNanosPerMinute).FloorTo(minute).ns(), -kNanosPerMinute);
}

TEST(TimeTest, ParseDuration) {
  EXPECT_EQ(ParseDuration("500ms")->count(), 500 * kNanosPerMilli);
  EXPECT_EQ(ParseDuration("4h")->count(), 4 * kNanosPerHour);
  EXPECT_EQ(ParseDuration("2d")->count(), 2 * kNanosPerDay);
  EXPECT_FALSE(ParseDuration("4x").ok());
  EXPECT_FALSE(ParseDuration("h").ok());
  EXPECT_FALSE(ParseDuration("-1s").ok());
  EXPECT_FALSE(ParseDuration("99999999999999d").ok());
}

TEST(TimeTest, CanonicalDurationUsesTheLargestExactUnitAndRoundTrips) {
  using std::chrono::milliseconds, std::chrono::minutes, std::chrono::seconds;
  EXPECT_EQ(CanonicalDuration(minutes(5)), "5m");
  EXPECT_EQ(CanonicalDuration(minutes(90)), "90m");
  EXPECT_EQ(CanonicalDuration(seconds(90)), "90s");
  EXPECT_EQ(CanonicalDuration(std::chrono::hours(2)), "2h");
  EXPECT_EQ(CanonicalDuration(std::chrono::hours(48)), "2d");
  EXPECT_EQ(CanonicalDuration(milliseconds(1500)), "1500ms");
  EXPECT_EQ(CanonicalDuration(std::chrono::microseconds(1500)), "1500us");
  EXPECT_EQ(CanonicalDuration(Duration(7)), "7ns");
  EXPECT_EQ(CanonicalDuration(Duration(0)), "0ns");
  for (Duration d : {Duration(minutes(5)), Duration(seconds(90)), Duration(milliseconds(250)),
                     Duration(std::chrono::hours(48)), Duration(7)}) {
    EXPECT_EQ(*ParseDuration(CanonicalDuration(d)), d);
  }
}

}  // namespace
}  // namespace arus
