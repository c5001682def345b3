#include "fx/source_zone.h"

#include <gtest/gtest.h>

#include <random>

namespace arus::fx {
namespace {

UnixNanos T(const char* iso) { return *ParseIsoUtc(iso); }

TEST(SourceZoneTest, FixedForms) {
  EXPECT_EQ(SourceZone::Parse("UTC")->ToUtc(T("2024-01-02T17:00:00Z")), T("2024-01-02T17:00:00Z"));
  // HistData: EST without DST, also in July.
  const SourceZone est = *SourceZone::Parse("EST");
  EXPECT_EQ(est.ToUtc(T("2024-07-02T17:00:00Z")), T("2024-07-02T22:00:00Z"));
  EXPECT_EQ(est.ToUtc(T("2024-01-02T17:00:00Z")), T("2024-01-02T22:00:00Z"));
  EXPECT_EQ(SourceZone::Parse("UTC+2")->ToUtc(T("2024-01-02T02:00:00Z")), T("2024-01-02T00:00:00Z"));
  EXPECT_EQ(SourceZone::Parse("utc-05:30")->ToUtc(T("2024-01-02T00:00:00Z")),
            T("2024-01-02T05:30:00Z"));
  EXPECT_EQ(SourceZone::Parse("UTC+0530")->ToLocal(T("2024-01-02T00:00:00Z")),
            T("2024-01-02T05:30:00Z"));
}

TEST(SourceZoneTest, Mt5ServerTimeFollowsNewYorkDst) {
  // NY+7: midnight on the server is 17:00 New York, all year.
  const SourceZone mt5 = *SourceZone::Parse("NY+7");
  EXPECT_EQ(mt5.ToUtc(T("2024-01-03T00:00:00Z")), T("2024-01-02T22:00:00Z"));  // UTC+2
  EXPECT_EQ(mt5.ToUtc(T("2024-07-03T00:00:00Z")), T("2024-07-02T21:00:00Z"));  // UTC+3
  // Across the US spring switch (Sunday 2024-03-10): Friday's close and Sunday's open are both
  // 00:00 server time.
  EXPECT_EQ(mt5.ToUtc(T("2024-03-09T00:00:00Z")), T("2024-03-08T22:00:00Z"));
  EXPECT_EQ(mt5.ToUtc(T("2024-03-11T00:00:00Z")), T("2024-03-10T21:00:00Z"));
  EXPECT_EQ(mt5.ToUtc(T("2024-11-02T00:00:00Z")), T("2024-11-01T21:00:00Z"));
  EXPECT_EQ(mt5.ToUtc(T("2024-11-04T00:00:00Z")), T("2024-11-03T22:00:00Z"));
  EXPECT_EQ(SourceZone::Parse("America/New_York+7")->ToUtc(T("2024-07-03T00:00:00Z")),
            T("2024-07-02T21:00:00Z"));
}

TEST(SourceZoneTest, IanaZoneAndCacheAgreeWithSlowPath) {
  const SourceZone athens = *SourceZone::Parse("Europe/Athens");
  const ZoneOffsets& z = **ZoneOffsets::Load("Europe/Athens");
  std::mt19937_64 rng(9);
  const int64_t lo = T("2023-01-01T00:00:00Z").ns();
  const int64_t span = 2 * 365 * kNanosPerDay;
  // Walk forward (as a file would) and jump around: cached and direct conversions agree.
  int64_t t = lo;
  for (int i = 0; i < 200000; ++i) {
    t += static_cast<int64_t>(rng() % (10 * kNanosPerMinute));
    if (i % 1000 == 0) t = lo + static_cast<int64_t>(rng() % span);
    const UnixNanos local(t);
    ASSERT_EQ(athens.ToUtc(local), z.FromLocal(local)) << local.ToIso();
  }
}

TEST(SourceZoneTest, RejectsGarbage) {
  for (const char* bad : {"", "UTC+", "UTC+25", "UTC+2:7", "Mars/Base", "NY+x", "NY+99",
                          "UTC+02:60", "EST5EDT+"}) {
    Result<SourceZone> r = SourceZone::Parse(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find("bad time zone"), std::string::npos);
    }
  }
  // IANA names with '-' are not mistaken for shifts.
  EXPECT_TRUE(SourceZone::Parse("America/Port-au-Prince").ok());
}

}  // namespace
}  // namespace arus::fx
