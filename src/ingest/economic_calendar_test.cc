#include "ingest/economic_calendar.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "core/file.h"
#include "fx/calendar.h"
#include "ingest/synthetic_news.h"

namespace arus::ingest {
namespace {

UnixNanos T(const char* iso) { return *ParseIsoUtc(iso); }

TEST(EconomicCalendarCsvTest, FormatsHeaderRowsAndEmptyValues) {
  std::vector<EconomicEvent> ev(3);
  ev[0] = {T("2024-01-05T13:30:00Z"),
           "USD",
           "Non-Farm Payrolls",
           EventImpact::kHigh,
           216.0,
           170.0,
           173.0};
  ev[1] = {
      T("2024-01-11T13:15:00Z"), "EUR", "ECB Rate Decision", EventImpact::kHigh, 4.5, 4.5, 4.5};
  ev[2] = {T("2024-01-12T07:00:00.5Z"),
           "GBP",
           "GDP m/m, \"flash\"",
           EventImpact::kLow,
           -0.1,
           std::nullopt,
           -0.0};
  EXPECT_EQ(FormatEconomicCalendarCsv(ev),
            "time,currency,event,impact,actual,forecast,previous\n"
            "2024-01-05T13:30:00Z,USD,Non-Farm Payrolls,high,216,170,173\n"
            "2024-01-11T13:15:00Z,EUR,ECB Rate Decision,high,4.5,4.5,4.5\n"
            "2024-01-12T07:00:00.500Z,GBP,\"GDP m/m, \"\"flash\"\"\",low,-0.1,,0\n");
  EXPECT_EQ(FormatEconomicCalendarCsv({}), "time,currency,event,impact,actual,forecast,previous\n");
}

TEST(EconomicCalendarCsvTest, WritesAtomically) {
  const char* tmp = std::getenv("ARUS_TEST_TMP");
  const std::string dir = std::string(tmp ? tmp : "/tmp") + "/economic_calendar_test";
  std::filesystem::remove_all(dir);
  const std::string path = dir + "/sub/calendar.csv";
  std::vector<EconomicEvent> ev = {
      {T("2024-03-20T18:00:00Z"), "USD", "FOMC Rate Decision", EventImpact::kHigh, 5.5, 5.5, 5.5}};
  ASSERT_TRUE(WriteEconomicCalendarCsv(path, ev).ok());
  Result<std::string> back = ReadFile(path);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, FormatEconomicCalendarCsv(ev));
  // No temporary file left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/sub")) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1);
}

TEST(EconomicCalendarCsvTest, ImpactNamesRoundTrip) {
  for (EventImpact i : {EventImpact::kLow, EventImpact::kMedium, EventImpact::kHigh}) {
    Result<EventImpact> r = ParseEventImpact(EventImpactName(i));
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, i);
  }
  EXPECT_FALSE(ParseEventImpact("huge").ok());
}

class NewsScheduleTest : public ::testing::Test {
 protected:
  static std::vector<NewsRelease> Build(const char* from, const char* to, uint64_t seed = 7) {
    Result<std::vector<NewsRelease>> r =
        BuildNewsSchedule(T(from), T(to), seed, fx::FxCalendar::Default());
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : std::vector<NewsRelease>{};
  }
  static std::vector<std::string> TimesOf(const std::vector<NewsRelease>& rs, const char* ccy,
                                          const char* name) {
    std::vector<std::string> out;
    for (const NewsRelease& r : rs) {
      if (r.event.currency == ccy && r.event.event == name) out.push_back(r.event.time.ToIso());
    }
    return out;
  }
};

TEST_F(NewsScheduleTest, KnownReleaseTimesInUtcFollowLocalDst) {
  const auto rs = Build("2024-01-01", "2024-04-01");
  // First Friday 08:30 New York; DST starts 10 March 2024.
  EXPECT_EQ(TimesOf(rs, "USD", "Non-Farm Payrolls"),
            (std::vector<std::string>{"2024-01-05T13:30:00Z", "2024-02-02T13:30:00Z",
                                      "2024-03-01T13:30:00Z"}));
  // Third Wednesday 14:00 New York, in FOMC months.
  EXPECT_EQ(TimesOf(rs, "USD", "FOMC Rate Decision"),
            (std::vector<std::string>{"2024-01-17T19:00:00Z", "2024-03-20T18:00:00Z"}));
  // Thursday on/after the 8th, 14:15 Frankfurt (CET = UTC+1).
  EXPECT_EQ(TimesOf(rs, "EUR", "ECB Rate Decision"),
            (std::vector<std::string>{"2024-01-11T13:15:00Z", "2024-03-14T13:15:00Z"}));
  // First Thursday 12:00 London (GMT until 31 March).
  EXPECT_EQ(TimesOf(rs, "GBP", "BoE Rate Decision"),
            (std::vector<std::string>{"2024-02-01T12:00:00Z", "2024-03-07T12:00:00Z"}));
  // First Tuesday 14:30 Sydney (AEDT = UTC+11): 03:30 UTC the same day.
  EXPECT_EQ(TimesOf(rs, "AUD", "RBA Rate Decision"),
            (std::vector<std::string>{"2024-02-06T03:30:00Z", "2024-03-05T03:30:00Z"}));
  // Weekly claims every Thursday: 13 in the quarter.
  EXPECT_EQ(TimesOf(rs, "USD", "Initial Jobless Claims").size(), 13u);
}

TEST_F(NewsScheduleTest, SortedOpenAndConsistent) {
  const auto rs = Build("2024-06-01", "2025-02-01");
  ASSERT_GT(rs.size(), 150u);
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  std::set<std::string> currencies;
  for (size_t i = 0; i < rs.size(); ++i) {
    const NewsRelease& r = rs[i];
    EXPECT_TRUE(cal.IsOpen(r.event.time)) << r.event.time.ToIso() << " " << r.event.event;
    EXPECT_GE(r.event.time, T("2024-06-01"));
    EXPECT_LT(r.event.time, T("2025-02-01"));
    if (i > 0) {
      EXPECT_LE(rs[i - 1].event.time, r.event.time);
    }
    ASSERT_TRUE(r.event.actual && r.event.forecast && r.event.previous);
    EXPECT_TRUE(r.direction == 1 || r.direction == -1);
    EXPECT_LE(std::fabs(r.surprise_z), 4.0);
    // The price reaction follows the surprise, signed by the event's direction.
    const double surprise = *r.event.actual - *r.event.forecast;
    if (surprise != 0) {
      EXPECT_GT(r.jump * r.direction * surprise, 0) << r.event.event;
    } else {
      EXPECT_EQ(r.jump, 0);
    }
    currencies.insert(r.event.currency);
  }
  EXPECT_EQ(currencies,
            (std::set<std::string>{"AUD", "CAD", "CHF", "EUR", "GBP", "JPY", "NZD", "USD"}));
  // Christmas 2024 is a holiday: nothing scheduled on its trading date.
  for (const NewsRelease& r : rs) {
    EXPECT_NE(cal.TradingDateOf(r.event.time).ToString(), "2024-12-25") << r.event.event;
  }
  // Unrevised series: `previous` is the last release's actual; rates move in 25 bp steps.
  std::map<std::string, double> last_actual;
  for (const NewsRelease& r : rs) {
    const std::string key = r.event.currency + ":" + r.event.event;
    const bool revised = r.event.event == "Non-Farm Payrolls" ||
                         r.event.event == "Initial Jobless Claims" ||
                         r.event.event == "Retail Sales m/m" || r.event.event == "GDP m/m" ||
                         r.event.event == "Employment Change";
    if (last_actual.count(key) && !(revised && r.event.currency != "CAD")) {
      EXPECT_EQ(*r.event.previous, last_actual[key]) << key << " " << r.event.time.ToIso();
    }
    if (r.event.event.find("Rate") != std::string::npos && r.event.event != "Unemployment Rate") {
      const double step = (*r.event.actual - *r.event.previous) / 0.25;
      EXPECT_NEAR(step, std::round(step), 1e-9) << key;
      EXPECT_LE(std::fabs(step), 2.0) << key;
    }
    last_actual[key] = *r.event.actual;
  }
}

TEST_F(NewsScheduleTest, DeterministicPerSeed) {
  const auto a = Build("2024-01-01", "2024-03-01", 7);
  const auto b = Build("2024-01-01", "2024-03-01", 7);
  const auto c = Build("2024-01-01", "2024-03-01", 8);
  ASSERT_EQ(a.size(), b.size());
  ASSERT_EQ(a.size(), c.size());  // the schedule's times do not depend on the seed
  bool values_differ = false;
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].event, b[i].event);
    EXPECT_EQ(a[i].jump, b[i].jump);
    EXPECT_EQ(a[i].event.time, c[i].event.time);
    values_differ |= a[i].event.actual != c[i].event.actual;
  }
  EXPECT_TRUE(values_differ);
}

}  // namespace
}  // namespace arus::ingest
