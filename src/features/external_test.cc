// Importers and storage of external point-in-time data: the input formats (good, malformed,
// truncated, empty, hostile), the availability rules, the canonical store format and merging
// (re-import adds nothing, fills, revisions).
#include "features/external.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/file.h"
#include "ingest/economic_calendar.h"

namespace arus::features {
namespace {

namespace fs = std::filesystem;
using ingest::EventImpact;

UnixNanos T(const char* iso) { return *ParseIsoUtc(iso); }

class TempDir {
 public:
  TempDir() {
    static int n = 0;
    const char* base = std::getenv("ARUS_TEST_TMP");
    path_ = fs::path(base != nullptr ? base : fs::temp_directory_path().string()) /
            ("external_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

constexpr char kCalendar[] =
    "time,currency,event,impact,actual,forecast,previous,revised_previous\n"
    "2024-01-05T10:00:00Z,EUR,CPI Flash Estimate y/y,high,2.9%,3.0%,2.4%,\n"
    "2024-01-05T13:30:00Z,USD,Non-Farm Payrolls,high,216K,170K,199K,173K\n"
    "2024-01-16T10:00:00Z,eur,\"ZEW, Economic \"\"Sentiment\"\"\",Medium,15.2,12.0,12.8,\n"
    "2024-03-08T13:30:00Z,USD,Non-Farm Payrolls,high,,200K,353K,\n";

// ------------------------------------------------------------------------------------------------
// Calendar.

TEST(CalendarParse, ValuesUnitsAndAvailability) {
  ExternalParseStats st;
  ExternalImportOptions opt;
  ingest::Quarantine q;
  Result<std::vector<CalendarRecord>> r = ParseCalendarCsv("cal.csv", kCalendar, opt, &q, &st);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 4u);
  EXPECT_EQ(st.rows, 4);
  EXPECT_EQ(st.accepted, 4);
  EXPECT_EQ(st.quarantined, 0);
  const CalendarRecord& nfp = (*r)[1];
  EXPECT_EQ(nfp.currency, "USD");
  EXPECT_EQ(nfp.event, "Non-Farm Payrolls");
  EXPECT_EQ(nfp.impact, EventImpact::kHigh);
  EXPECT_EQ(nfp.actual, 216000.0);
  EXPECT_EQ(nfp.forecast, 170000.0);
  EXPECT_EQ(nfp.previous, 199000.0);
  EXPECT_EQ(nfp.revised_previous, 173000.0);
  EXPECT_EQ(nfp.ts_event, T("2024-01-05T13:30:00Z"));
  EXPECT_EQ(nfp.ts_avail, nfp.ts_event);                  // the actual is known at the release
  EXPECT_EQ(nfp.ts_schedule, T("2023-12-29T13:30:00Z"));  // a week ahead by default
  EXPECT_EQ(nfp.revision, 0);
  EXPECT_EQ(nfp.line, 3u);
  EXPECT_EQ((*r)[0].actual, 2.9);  // '%' is a unit, not a scale
  EXPECT_FALSE((*r)[0].revised_previous.has_value());
  EXPECT_EQ((*r)[2].currency, "EUR");
  EXPECT_EQ((*r)[2].event, "ZEW, Economic \"Sentiment\"");
  EXPECT_EQ((*r)[2].impact, EventImpact::kMedium);
  EXPECT_FALSE((*r)[3].actual.has_value());  // not released yet when the calendar was taken
  EXPECT_EQ((*r)[3].forecast, 200000.0);
}

TEST(CalendarParse, ScheduleLeadIsConfigurable) {
  ExternalImportOptions opt;
  opt.schedule_lead = std::chrono::hours(36);
  Result<std::vector<CalendarRecord>> r =
      ParseCalendarCsv("cal.csv", kCalendar, opt, nullptr, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[1].ts_schedule, T("2024-01-04T01:30:00Z"));
  opt.schedule_lead = -std::chrono::hours(1);
  EXPECT_EQ(ParseCalendarCsv("cal.csv", kCalendar, opt, nullptr, nullptr).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(CalendarParse, ReadsWhatTheSyntheticGeneratorWrites) {
  std::vector<ingest::EconomicEvent> events = {
      {T("2024-01-05T13:30:00Z"), "USD", "Non-Farm Payrolls", EventImpact::kHigh, 147, 164, 74},
      {T("2024-01-11T13:15:00Z"), "EUR", "ECB Rate Decision", EventImpact::kHigh, 4.75, 4.5, 4.75},
      {T("2024-01-12T07:00:00Z"), "GBP", "GDP, m/m", EventImpact::kMedium, std::nullopt, -0.1,
       0.3}};
  const std::string csv = ingest::FormatEconomicCalendarCsv(events);
  Result<std::vector<CalendarRecord>> r =
      ParseCalendarCsv("gen.csv", csv, ExternalImportOptions(), nullptr, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ((*r)[i].ts_event, events[i].time);
    EXPECT_EQ((*r)[i].currency, events[i].currency);
    EXPECT_EQ((*r)[i].event, events[i].event);
    EXPECT_EQ((*r)[i].impact, events[i].impact);
    EXPECT_EQ((*r)[i].actual, events[i].actual);
    EXPECT_EQ((*r)[i].forecast, events[i].forecast);
    EXPECT_EQ((*r)[i].previous, events[i].previous);
  }
}

struct BadRow {
  std::string row;
  std::string field;
  std::string reason;
};

TEST(CalendarParse, MalformedRowsAreQuarantinedWithLineFieldAndReason) {
  const std::string header = "time,currency,event,impact,actual,forecast,previous\n";
  const std::string good = "2024-01-05T13:30:00Z,USD,NFP,high,1,2,3\n";
  const std::vector<BadRow> bad = {
      {"2024-13-05T13:30:00Z,USD,NFP,high,1,2,3", "time", "bad time"},
      {"9999-01-05T13:30:00Z,USD,NFP,high,1,2,3", "time", "bad time"},
      {",USD,NFP,high,1,2,3", "time", "empty field"},
      {"2024-01-05T13:30:00+02:00,USD,NFP,high,1,2,3", "time", "bad time"},
      {"2024-01-05T13:30:00Z,US,NFP,high,1,2,3", "currency", "bad currency"},
      {"2024-01-05T13:30:00Z,U1D,NFP,high,1,2,3", "currency", "bad currency"},
      {"2024-01-05T13:30:00Z,USD,,high,1,2,3", "event", "empty field"},
      {"2024-01-05T13:30:00Z,USD," + std::string(200, 'x') + ",high,1,2,3", "event", "too long"},
      {"2024-01-05T13:30:00Z,USD,NFP,huge,1,2,3", "impact", "bad impact"},
      {"2024-01-05T13:30:00Z,USD,NFP,high,abc,2,3", "actual", "bad number"},
      {"2024-01-05T13:30:00Z,USD,NFP,high,nan,2,3", "actual", "bad number"},
      {"2024-01-05T13:30:00Z,USD,NFP,high,inf,2,3", "actual", "bad number"},
      {"2024-01-05T13:30:00Z,USD,NFP,high,1,1e5,3", "forecast", "bad number"},
      {"2024-01-05T13:30:00Z,USD,NFP,high,1,2,3.4.5", "previous", "bad number"},
      {"2024-01-05T13:30:00Z,USD,NFP,high,1,2,%", "previous", "bad number"},
      {"2024-01-05T13:30:00Z,USD,NFP,high,1,2", "", "missing fields"},
      {"2024-01-05T13:30:00Z,USD,NFP,high,1,2,3,4", "", "extra fields"},
      {"2024-01-05T13:30:00Z,USD,\"NFP,high,1,2,3", "", "malformed line"},
      {"2024-01-05T13:30:00Z,USD,\"NFP\"x,high,1,2,3", "", "malformed line"},
      {"2024-01-05T13:30:00Z,USD,NF\"P,high,1,2,3", "", "malformed line"},
      {"2024-01-05T13:30:00Z,USD,N\x01P,high,1,2,3", "", "malformed line"},
      {std::string(70000, ','), "", "malformed line"},
  };
  for (const BadRow& b : bad) {
    SCOPED_TRACE(b.row.substr(0, 80));
    const std::string content = header + good + b.row + "\n" + good;
    ingest::Quarantine q;
    ExternalParseStats st;
    Result<std::vector<CalendarRecord>> r =
        ParseCalendarCsv("cal.csv", content, ExternalImportOptions(), &q, &st);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->size(), 2u);
    EXPECT_EQ(st.rows, 3);
    EXPECT_EQ(st.quarantined, 1);
    ASSERT_EQ(q.examples().size(), 1u);
    const ingest::QuarantinedRow row = q.examples()[0];
    EXPECT_EQ(row.file, "cal.csv");
    EXPECT_EQ(row.line, 3u);
    EXPECT_EQ(row.field, b.field);
    EXPECT_EQ(row.reason, b.reason);
    // Strict: the same row is the error, naming file, line and field.
    ExternalImportOptions strict;
    strict.strict = true;
    Result<std::vector<CalendarRecord>> s =
        ParseCalendarCsv("cal.csv", content, strict, nullptr, nullptr);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.status().code(), StatusCode::kParseError);
    const std::string want =
        "cal.csv:3: " + (b.field.empty() ? std::string() : "field '" + b.field + "': ") + b.reason;
    EXPECT_NE(s.status().message().find(want), std::string::npos) << s.status().message();
  }
}

TEST(CalendarParse, WholeFileProblemsAreErrors) {
  struct Case {
    std::string content;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"", "cal.csv: empty file"},
      {"\n\r\n  \n", "cal.csv: empty file"},
      {"\xEF\xBB\xBF", "cal.csv: empty file"},
      {std::string("\xFF\xFEt\0i\0", 6), "UTF-16"},
      {std::string("time,currency\0,event", 20), "cal.csv:1: binary data"},
      {"\x1f\x8b\x08\x00", "gzip"},
      {"PK\x03\x04zzzz", "ZIP"},
      {"time,currency,event,impact,actual,forecast\n", "field 'previous': missing column"},
      {"time,currency,event,impact,actual,forecast,previous,comment\n",
       "field 'comment': unknown column"},
      {"time,currency,event,impact,actual,forecast,previous,time\n", "field 'time': duplicate"},
      {"time,\"currency,event\n", "cal.csv:1: header: unterminated quote"},
      {"time,currency,event,impact,actual,forecast,previous\nx,y,z,w,1,2,3\nq,,,,,,\n",
       "cal.csv:2: field 'time': no valid row in this economic calendar file"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want);
    Result<std::vector<CalendarRecord>> r =
        ParseCalendarCsv("cal.csv", c.content, ExternalImportOptions(), nullptr, nullptr);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kParseError);
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << r.status().message();
  }
  // A header alone is a valid, empty calendar; CRLF and a BOM are fine.
  Result<std::vector<CalendarRecord>> r = ParseCalendarCsv(
      "cal.csv", "\xEF\xBB\xBFtime,currency,event,impact,actual,forecast,previous\r\n",
      ExternalImportOptions(), nullptr, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->empty());
}

TEST(CalendarParse, TruncatedLastLineIsQuarantinedAndTheRestKept) {
  const std::string content =
      "time,currency,event,impact,actual,forecast,previous\n"
      "2024-01-05T13:30:00Z,USD,NFP,high,1,2,3\n"
      "2024-01-12T13:30:00Z,USD,CPI,hi";  // cut mid-row, no newline
  ingest::Quarantine q;
  ExternalParseStats st;
  Result<std::vector<CalendarRecord>> r =
      ParseCalendarCsv("cal.csv", content, ExternalImportOptions(), &q, &st);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size(), 1u);
  ASSERT_EQ(q.examples().size(), 1u);
  EXPECT_EQ(q.examples()[0].line, 3u);
  EXPECT_EQ(q.examples()[0].reason, "missing fields");
}

// ------------------------------------------------------------------------------------------------
// COT.

// The first 13 columns of the CFTC Legacy header (names exactly as published, including the
// leading space of " Total Reportable...") and the contract units column.
constexpr char kCotHeader[] =
    "\"Market and Exchange Names\",\"As of Date in Form YYMMDD\",\"As of Date in Form "
    "YYYY-MM-DD\",\"CFTC Contract Market Code\",\"CFTC Market Code in Initials\",\"CFTC Region "
    "Code\",\"CFTC Commodity Code\",\"Open Interest (All)\",\"Noncommercial Positions-Long "
    "(All)\",\"Noncommercial Positions-Short (All)\",\"Noncommercial Positions-Spreading "
    "(All)\",\"Commercial Positions-Long (All)\",\"Commercial Positions-Short (All)\",\" Total "
    "Reportable Positions-Long (All)\",\"Contract Units\"\r\n";

std::string CotRow(const std::string& market, const std::string& yymmdd, const std::string& iso,
                   const std::string& oi, const std::string& ncl, const std::string& ncs) {
  return "\"" + market + "\"," + yymmdd + "," + iso + ",099741,\"CME \",\"00\",\"099\"," + oi +
         "," + ncl + "," + ncs +
         ",   10017,  175502,  275073,  424719,\"(CONTRACTS OF EUR "
         "125,000)\"\r\n";
}

TEST(CotParse, LegacyFileWithRealHeader) {
  const std::string content =
      std::string(kCotHeader) +
      CotRow("EURO FX - CHICAGO MERCANTILE EXCHANGE", "240312", "2024-03-12", "  455232",
             "  239200", "  133603") +
      CotRow("WHEAT-SRW - CHICAGO BOARD OF TRADE", "240312", "2024-03-12", "1", "2", "3") +
      CotRow("JAPANESE YEN - CHICAGO MERCANTILE EXCHANGE  ", "240102", "2024-01-02", "200000",
             "  51000", " 122000") +
      CotRow("EURO FX/JAPANESE YEN XRATE - CHICAGO MERCANTILE EXCHANGE", "240102", "2024-01-02",
             "1", "2", "3");
  ExternalParseStats st;
  Result<std::vector<CotRecord>> r =
      ParseCotCsv("annual.txt", content, ExternalImportOptions(), nullptr, &st);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ(st.rows, 4);
  EXPECT_EQ(st.skipped, 2);  // wheat and the cross-rate future are not currencies
  const CotRecord& eur = (*r)[0];
  EXPECT_EQ(eur.currency, "EUR");
  EXPECT_EQ(eur.market, "EURO FX - CHICAGO MERCANTILE EXCHANGE");
  EXPECT_EQ(eur.as_of.ToString(), "2024-03-12");
  EXPECT_EQ(eur.noncomm_long, 239200);
  EXPECT_EQ(eur.noncomm_short, 133603);
  EXPECT_EQ(eur.net(), 239200 - 133603);
  EXPECT_EQ(eur.open_interest, 455232);
  EXPECT_EQ(eur.comm_long, 175502);
  EXPECT_EQ(eur.comm_short, 275073);
  // As of Tuesday 17:00 New York (EDT after 10 March), published Friday 15:30 New York.
  EXPECT_EQ(eur.ts_event, T("2024-03-12T21:00:00Z"));
  EXPECT_EQ(eur.ts_avail, T("2024-03-15T19:30:00Z"));
  const CotRecord& jpy = (*r)[1];
  EXPECT_EQ(jpy.currency, "JPY");
  EXPECT_EQ(jpy.net(), 51000 - 122000);
  EXPECT_EQ(jpy.ts_event, T("2024-01-02T22:00:00Z"));  // EST
  EXPECT_EQ(jpy.ts_avail, T("2024-01-05T20:30:00Z"));
}

TEST(CotParse, ReleaseRuleIsConfigurable) {
  const std::string content =
      std::string(kCotHeader) +
      CotRow("EURO FX - CHICAGO MERCANTILE EXCHANGE", "240102", "2024-01-02", "1", "5", "3");
  ExternalImportOptions opt;
  opt.cot_release_weekday = 1;  // a holiday week: published Monday
  opt.cot_release_minute = 15 * 60;
  Result<std::vector<CotRecord>> r = ParseCotCsv("a.txt", content, opt, nullptr, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].ts_avail, T("2024-01-08T20:00:00Z"));
  opt.cot_release_weekday = 7;
  EXPECT_EQ(ParseCotCsv("a.txt", content, opt, nullptr, nullptr).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(CotParse, ExtraMarketMappings) {
  EXPECT_EQ(CotMarketCurrency("euro fx -   chicago mercantile exchange"), "EUR");
  EXPECT_EQ(CotMarketCurrency("NZ DOLLAR - CHICAGO MERCANTILE EXCHANGE"), "NZD");
  EXPECT_EQ(CotMarketCurrency("U.S. DOLLAR INDEX - ICE FUTURES U.S."), "USD");
  EXPECT_FALSE(CotMarketCurrency("GOLD - COMMODITY EXCHANGE INC.").has_value());
  EXPECT_EQ(CotMarketCurrency("SO AFRICAN RAND - CHICAGO MERCANTILE EXCHANGE",
                              {{"SO AFRICAN RAND - CHICAGO MERCANTILE EXCHANGE", "ZAR"}}),
            "ZAR");
}

TEST(CotParse, BadRowsAndFiles) {
  const std::string eur = "EURO FX - CHICAGO MERCANTILE EXCHANGE";
  const std::string good = CotRow(eur, "240102", "2024-01-02", "1", "5", "3");
  const std::vector<BadRow> bad = {
      {CotRow(eur, "240103", "2024-01-02", "1", "5", "3"), "As of Date in Form YYMMDD",
       "date columns disagree"},
      {CotRow(eur, "2401", "2024-01-02", "1", "5", "3"), "As of Date in Form YYMMDD", "bad date"},
      {CotRow(eur, "240102", "2024-02-30", "1", "5", "3"), "As of Date in Form YYYY-MM-DD",
       "bad date"},
      {CotRow(eur, "240102", "2024-01-02", "1", "-5", "3"), "Noncommercial Positions-Long (All)",
       "bad number"},
      {CotRow(eur, "240102", "2024-01-02", "1", "5", ""), "Noncommercial Positions-Short (All)",
       "empty field"},
      {CotRow(eur, "240102", "2024-01-02", "1", "5x", "3"), "Noncommercial Positions-Long (All)",
       "bad number"},
      {"\"" + eur + "\",240102,2024-01-02,099741\r\n", "", "missing fields"},
  };
  for (const BadRow& b : bad) {
    SCOPED_TRACE(b.row);
    ingest::Quarantine q;
    ExternalParseStats st;
    Result<std::vector<CotRecord>> r = ParseCotCsv(
        "annual.txt", std::string(kCotHeader) + good + b.row, ExternalImportOptions(), &q, &st);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->size(), 1u);
    ASSERT_EQ(q.examples().size(), 1u);
    EXPECT_EQ(q.examples()[0].line, 3u);
    EXPECT_EQ(q.examples()[0].field, b.field);
    EXPECT_EQ(q.examples()[0].reason, b.reason);
  }
  // Not the Legacy report at all.
  Result<std::vector<CotRecord>> r =
      ParseCotCsv("f.txt",
                  "\"Market_and_Exchange_Names\",\"Report_Date_as_YYYY-MM-DD\","
                  "\"Lev_Money_Positions_Long_All\"\n",
                  ExternalImportOptions(), nullptr, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("Noncommercial Positions-Long (All)': missing column"),
            std::string::npos)
      << r.status().message();
  EXPECT_NE(r.status().message().find("Legacy"), std::string::npos);
  r = ParseCotCsv("f.txt", "date,open,high,low,close\n2024-01-02,1,2,0.5,1\n",
                  ExternalImportOptions(), nullptr, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("f.txt:1: not a CFTC Legacy COT file"), std::string::npos)
      << r.status().message();
  r = ParseCotCsv("f.txt", "", ExternalImportOptions(), nullptr, nullptr);
  EXPECT_NE(r.status().message().find("empty file"), std::string::npos);
}

TEST(CotParse, HeaderlessWeeklyFileUsesLegacyPositions) {
  const std::string row =
      CotRow("EURO FX - CHICAGO MERCANTILE EXCHANGE", "240102", "2024-01-02", "9", "7", "4");
  Result<std::vector<CotRecord>> r =
      ParseCotCsv("deacot.txt", row + row, ExternalImportOptions(), nullptr, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].noncomm_long, 7);
  EXPECT_EQ((*r)[0].noncomm_short, 4);
  EXPECT_EQ((*r)[0].open_interest, 9);
  EXPECT_EQ((*r)[0].line, 1u);
}

// ------------------------------------------------------------------------------------------------
// Sentiment and indices.

TEST(SentimentParse, ItemsTargetsAndLatency) {
  const std::string content =
      "time,source,symbol_or_currency,score,weight\n"
      "2024-01-05T13:31:10Z,newswire,usd,0.8,2\n"
      "2024-01-05T13:35:00Z,social,eur/usd,-0.4,\n"
      "2024-01-05T13:36:00Z,social,EURUSD,1.5,1\n"
      "2024-01-05T13:37:00Z,social,EURUSD,0.5,0\n"
      "2024-01-05T13:38:00Z,social,../x,0.5,1\n"
      "2024-01-05T13:39:00Z,,EURUSD,0.5,1\n";
  ExternalImportOptions opt;
  opt.avail_delay = std::chrono::seconds(30);
  ingest::Quarantine q;
  ExternalParseStats st;
  Result<std::vector<SentimentRecord>> r = ParseSentimentCsv("s.csv", content, opt, &q, &st);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].target, "USD");
  EXPECT_EQ((*r)[0].weight, 2);
  EXPECT_EQ((*r)[0].ts_avail, T("2024-01-05T13:31:40Z"));
  EXPECT_EQ((*r)[1].target, "EURUSD");
  EXPECT_EQ((*r)[1].score, -0.4);
  EXPECT_EQ((*r)[1].weight, 1);  // default
  ASSERT_EQ(q.examples().size(), 4u);
  EXPECT_EQ(q.examples()[0].field, "score");
  EXPECT_EQ(q.examples()[0].reason, "out of range");
  EXPECT_EQ(q.examples()[1].field, "weight");
  EXPECT_EQ(q.examples()[2].field, "target");
  EXPECT_EQ(q.examples()[3].field, "source");
  EXPECT_EQ(q.examples()[3].line, 7u);
}

TEST(IndexParse, CloseTimesAndChecks) {
  const std::string content =
      "date,open,high,low,close,volume\n"
      "2024-01-02,101.33,102.25,101.32,102.20,\n"
      "2024-07-02,105.8,106.1,105.7,105.73,1200\n"
      "2024-01-03,102.2,102.1,102.0,102.05,\n"   // high below open
      "2024-01-04,102.2,102.3,102.25,102.24,\n"  // low above open
      "2024-01-05,1,2,3,2,\n"                    // low > high
      "2024-01-08,1,2,0.5,1,-4\n"                // negative volume
      "2024/01/09,1,2,0.5,1,\n";                 // bad date
  ExternalImportOptions opt;
  opt.index_name = "dxy";
  ingest::Quarantine q;
  Result<std::vector<IndexRecord>> r = ParseIndexCsv("dxy.csv", content, opt, &q, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[0].series, "DXY");
  EXPECT_EQ((*r)[0].ts_event, T("2024-01-02T22:00:00Z"));  // 17:00 New York, winter
  EXPECT_EQ((*r)[0].ts_avail, (*r)[0].ts_event);
  EXPECT_EQ((*r)[1].ts_event, T("2024-07-02T21:00:00Z"));  // summer
  EXPECT_EQ((*r)[1].volume, 1200.0);
  ASSERT_EQ(q.examples().size(), 5u);
  EXPECT_EQ(q.examples()[0].reason, "inconsistent ohlc");
  EXPECT_EQ(q.examples()[0].field, "high");
  EXPECT_EQ(q.examples()[1].field, "low");
  EXPECT_EQ(q.examples()[2].field, "low");
  EXPECT_EQ(q.examples()[3].field, "volume");
  EXPECT_EQ(q.examples()[4].field, "date");

  opt.index_name = "VIX";
  r = ParseIndexCsv("vix.csv", "date,open,high,low,close\n2024-01-02,13,14,12.5,13.2\n", opt,
                    nullptr, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].ts_event, T("2024-01-02T21:15:00Z"));  // VIX settles 16:15 New York
  opt.index_close_minute = 14 * 60 + 30;
  opt.avail_delay = std::chrono::minutes(10);
  opt.index_name = "WTI";
  r = ParseIndexCsv("wti.csv", "date,open,high,low,close\n2020-04-20,17.7,17.9,-40.3,-37.6\n", opt,
                    nullptr, nullptr);
  ASSERT_TRUE(r.ok()) << r.status().ToString();  // oil went negative: prices may be < 0
  EXPECT_EQ((*r)[0].ts_event, T("2020-04-20T18:30:00Z"));
  EXPECT_EQ((*r)[0].ts_avail, T("2020-04-20T18:40:00Z"));
  opt.index_name = "";
  EXPECT_EQ(
      ParseIndexCsv("x.csv", "date,open,high,low,close\n", opt, nullptr, nullptr).status().code(),
      StatusCode::kInvalidArgument);
}

TEST(Names, AreSafeFileNames) {
  EXPECT_EQ(*NormalizeExternalName("eur/usd"), "EURUSD");
  EXPECT_EQ(*NormalizeExternalName(" dxy "), "DXY");
  for (const char* bad :
       {"", "../etc", "a.b", "x y", "/", "\xC3\xA9", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456"}) {
    EXPECT_FALSE(NormalizeExternalName(bad).ok()) << bad;
  }
  EXPECT_EQ(*ParseExternalKind("COT"), ExternalKind::kCot);
  EXPECT_FALSE(ParseExternalKind("bars").ok());
}

// ------------------------------------------------------------------------------------------------
// Canonical format and store.

TEST(Canonical, RoundTripsEveryKindExactly) {
  ExternalRecords recs;
  CalendarRecord c;
  c.ts_event = T("2024-01-05T13:30:00.000000001Z");
  c.ts_avail = T("2024-02-01T00:00:00Z");
  c.ts_schedule = T("2023-12-29T13:30:00Z");
  c.revision = 2;
  c.currency = "USD";
  c.event = "A, \"quoted\" event";
  c.impact = EventImpact::kLow;
  c.actual = 0.1 + 0.2;
  c.forecast = -1e-300;
  c.revised_previous = 173000;
  recs.calendar.push_back(c);
  CotRecord k;
  k.ts_event = T("2024-01-02T22:00:00Z");
  k.ts_avail = T("2024-01-05T20:30:00Z");
  k.currency = "EUR";
  k.market = "EURO FX - CHICAGO MERCANTILE EXCHANGE";
  k.as_of = fx::Date::FromYmd(2024, 1, 2);
  k.noncomm_long = 5;
  k.noncomm_short = 9;
  k.comm_short = 3;
  recs.cot.push_back(k);
  SentimentRecord s{
      T("2024-01-05T13:31:10Z"), T("2024-01-05T13:31:11Z"), "news,wire", "EUR", -0.25, 1.5};
  recs.sentiment.push_back(s);
  IndexRecord x;
  x.ts_event = T("2024-01-02T22:00:00Z");
  x.ts_avail = x.ts_event;
  x.series = "DXY";
  x.date = fx::Date::FromYmd(2024, 1, 2);
  x.open = 101.33;
  x.high = 102.25;
  x.low = 101.32;
  x.close = 102.2;
  recs.index.push_back(x);
  for (ExternalKind kind : kAllExternalKinds) {
    SCOPED_TRACE(ExternalKindName(kind));
    const std::string text = FormatExternalCanonical(kind, recs);
    Result<ExternalRecords> back = ParseExternalCanonical(kind, "f.csv", text);
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(FormatExternalCanonical(kind, *back), text);
    EXPECT_EQ(back->size(), 1u);
  }
  Result<ExternalRecords> back = ParseExternalCanonical(
      ExternalKind::kCalendar, "f.csv", FormatExternalCanonical(ExternalKind::kCalendar, recs));
  EXPECT_EQ(back->calendar[0].ts_event, c.ts_event);
  EXPECT_EQ(back->calendar[0].actual, c.actual);
  EXPECT_EQ(back->calendar[0].forecast, c.forecast);
  EXPECT_EQ(back->calendar[0].event, c.event);
  EXPECT_EQ(back->calendar[0].revision, 2);
}

TEST(Canonical, DamageIsCorruptionNamingTheFile) {
  ExternalRecords recs;
  IndexRecord x;
  x.ts_event = x.ts_avail = T("2024-01-02T22:00:00Z");
  x.series = "DXY";
  x.date = fx::Date::FromYmd(2024, 1, 2);
  x.open = x.high = x.low = x.close = 100;
  recs.index = {x, x};
  const std::string good = FormatExternalCanonical(ExternalKind::kIndex, recs);
  std::string flipped = good;
  flipped[flipped.find("100")] = '2';
  const std::vector<std::pair<std::string, std::string>> cases = {
      {flipped, "checksum mismatch"},
      {good.substr(0, good.size() - 1), "no final newline"},
      {good.substr(0, good.find("#xxh64")), "no checksum footer"},
      {"", "no final newline"},
      {good.substr(0, good.find("#xxh64")) + "#xxh64,zz\n", "malformed checksum footer"},
  };
  for (const auto& [text, want] : cases) {
    Result<ExternalRecords> r = ParseExternalCanonical(ExternalKind::kIndex, "store/DXY.csv", text);
    ASSERT_FALSE(r.ok()) << want;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find("store/DXY.csv"), std::string::npos);
    EXPECT_NE(r.status().message().find(want), std::string::npos) << r.status().message();
  }
  // Read as the wrong kind: the header does not match.
  Result<ExternalRecords> r = ParseExternalCanonical(ExternalKind::kCot, "f.csv", good);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unexpected header"), std::string::npos);
}

TEST(Store, ImportMergesAndReimportAddsNothing) {
  TempDir dir;
  ExternalStore store(dir.str());
  ingest::Quarantine q;
  Result<ExternalImportSummary> s =
      ImportExternalText(dir.str(), ExternalKind::kCalendar, "cal.csv", kCalendar,
                         ExternalImportOptions(), ExternalMergeOptions(), &q);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->parse.rows, 4);
  EXPECT_EQ(s->merge.stored, 4);
  EXPECT_EQ(s->merge.already_stored, 0);
  EXPECT_EQ(s->merge.files_written.size(), 2u);  // EUR and USD
  EXPECT_TRUE(fs::exists(dir.str() + "/external/calendar/EUR.csv"));
  EXPECT_TRUE(fs::exists(dir.str() + "/external/calendar/USD.csv"));
  const std::string before = Slurp(store.PathOf(ExternalKind::kCalendar, "USD"));

  s = ImportExternalText(dir.str(), ExternalKind::kCalendar, "cal.csv", kCalendar,
                         ExternalImportOptions(), ExternalMergeOptions(), &q);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->merge.stored, 0);
  EXPECT_EQ(s->merge.already_stored, 4);
  EXPECT_TRUE(s->merge.files_written.empty());
  EXPECT_EQ(Slurp(store.PathOf(ExternalKind::kCalendar, "USD")), before);

  Result<std::vector<std::string>> names = store.Names(ExternalKind::kCalendar);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"EUR", "USD"}));
  Result<ExternalRecords> all = store.Load(ExternalKind::kCalendar);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->calendar.size(), 4u);
  const std::string usd[] = {"usd"};
  Result<ExternalRecords> one = store.Load(ExternalKind::kCalendar, usd);
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(one->calendar.size(), 2u);
  const std::string gbp[] = {"GBP"};
  EXPECT_EQ(store.Load(ExternalKind::kCalendar, gbp).status().code(), StatusCode::kNotFound);
  Result<ExternalRecords> none = store.LoadIfPresent(ExternalKind::kCalendar, gbp);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->size(), 0u);

  Result<std::vector<ExternalDatasetInfo>> list = store.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].name, "USD");
  EXPECT_EQ((*list)[1].records, 2);
  EXPECT_EQ((*list)[1].first_event, T("2024-01-05T13:30:00Z"));
  EXPECT_EQ((*list)[1].last_event, T("2024-03-08T13:30:00Z"));
}

TEST(Store, FillingAnActualIsNotARevision) {
  TempDir dir;
  const std::string header = "time,currency,event,impact,actual,forecast,previous\n";
  // The calendar taken before the release, then after it.
  const std::string before = header + "2024-03-08T13:30:00Z,USD,NFP,high,,200K,353K\n";
  const std::string after = header + "2024-03-08T13:30:00Z,USD,NFP,high,275K,200K,353K\n";
  ASSERT_TRUE(ImportExternalText(dir.str(), ExternalKind::kCalendar, "a.csv", before,
                                 ExternalImportOptions(), ExternalMergeOptions(), nullptr)
                  .ok());
  Result<ExternalImportSummary> s =
      ImportExternalText(dir.str(), ExternalKind::kCalendar, "b.csv", after,
                         ExternalImportOptions(), ExternalMergeOptions(), nullptr);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->merge.filled, 1);
  EXPECT_EQ(s->merge.stored, 0);
  Result<ExternalRecords> r = ExternalStore(dir.str()).Load(ExternalKind::kCalendar);
  ASSERT_EQ(r->calendar.size(), 1u);
  EXPECT_EQ(r->calendar[0].actual, 275000.0);
  EXPECT_EQ(r->calendar[0].ts_avail, T("2024-03-08T13:30:00Z"));  // still the release
  // The old calendar again: it only lacks a value the store has, so it adds nothing.
  s = ImportExternalText(dir.str(), ExternalKind::kCalendar, "a.csv", before,
                         ExternalImportOptions(), ExternalMergeOptions(), nullptr);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->merge.already_stored, 1);
  EXPECT_EQ(s->merge.stored + s->merge.filled + s->merge.rejected, 0);
}

TEST(Store, ContradictionsAreRevisionsWithTheirOwnAvailability) {
  TempDir dir;
  const std::string header = "date,open,high,low,close\n";
  ExternalImportOptions opt;
  opt.index_name = "DXY";
  ASSERT_TRUE(ImportExternalText(dir.str(), ExternalKind::kIndex, "a.csv",
                                 header + "2024-01-02,101,103,100,102\n2024-01-03,102,103,101,"
                                          "102.5\n",
                                 opt, ExternalMergeOptions(), nullptr)
                  .ok());
  const std::string revised = header + "2024-01-02,101,103,100,102.2\n";
  // Without a revision time the contradiction is quarantined; strict makes it an error.
  ingest::Quarantine q;
  Result<ExternalImportSummary> s = ImportExternalText(dir.str(), ExternalKind::kIndex, "b.csv",
                                                       revised, opt, ExternalMergeOptions(), &q);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->merge.rejected, 1);
  ASSERT_EQ(q.examples().size(), 1u);
  EXPECT_EQ(q.examples()[0].reason, "conflicts with stored record");
  EXPECT_EQ(q.examples()[0].file, "b.csv");
  EXPECT_EQ(q.examples()[0].line, 2u);
  ExternalImportOptions strict = opt;
  strict.strict = true;
  s = ImportExternalText(dir.str(), ExternalKind::kIndex, "b.csv", revised, strict,
                         ExternalMergeOptions(), nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("b.csv:2: conflicts with stored record"), std::string::npos)
      << s.status().message();

  ExternalMergeOptions m;
  m.revision_time = T("2024-01-10T12:00:00Z");
  s = ImportExternalText(dir.str(), ExternalKind::kIndex, "b.csv", revised, opt, m, nullptr);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->merge.stored, 1);
  EXPECT_EQ(s->merge.revisions, 1);
  // Re-importing the revision, or the original, adds nothing.
  for (const std::string& again :
       {revised, header + "2024-01-02,101,103,100,102\n2024-01-03,102,103,101,102.5\n"}) {
    s = ImportExternalText(dir.str(), ExternalKind::kIndex, "c.csv", again, opt, m, nullptr);
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->merge.stored, 0);
  }
  Result<ExternalRecords> r = ExternalStore(dir.str()).Load(ExternalKind::kIndex);
  ASSERT_EQ(r->index.size(), 3u);
  EXPECT_EQ(r->index[0].revision, 0);
  EXPECT_EQ(r->index[0].close, 102);
  EXPECT_EQ(r->index[0].ts_avail, T("2024-01-02T22:00:00Z"));
  EXPECT_EQ(r->index[1].revision, 1);
  EXPECT_EQ(r->index[1].close, 102.2);
  EXPECT_EQ(r->index[1].ts_avail, T("2024-01-10T12:00:00Z"));
  // A revision time before the rule's availability never makes a value known earlier.
  m.revision_time = T("2020-01-01T00:00:00Z");
  s = ImportExternalText(dir.str(), ExternalKind::kIndex, "d.csv",
                         header + "2024-01-03,102,103,101,102.7\n", opt, m, nullptr);
  ASSERT_TRUE(s.ok());
  r = ExternalStore(dir.str()).Load(ExternalKind::kIndex);
  ASSERT_EQ(r->index.size(), 4u);
  EXPECT_EQ(r->index[3].revision, 1);
  EXPECT_EQ(r->index[3].ts_avail, T("2024-01-03T22:00:00Z"));
}

TEST(Store, CalendarRevisionDelaysScheduleAndValues) {
  TempDir dir;
  const std::string header = "time,currency,event,impact,actual,forecast,previous\n";
  ASSERT_TRUE(ImportExternalText(dir.str(), ExternalKind::kCalendar, "a.csv",
                                 header + "2024-01-05T13:30:00Z,USD,NFP,high,216K,170K,199K\n",
                                 ExternalImportOptions(), ExternalMergeOptions(), nullptr)
                  .ok());
  ExternalMergeOptions m;
  m.revision_time = T("2024-02-02T13:30:00Z");
  Result<ExternalImportSummary> s =
      ImportExternalText(dir.str(), ExternalKind::kCalendar, "b.csv",
                         header + "2024-01-05T13:30:00Z,USD,NFP,high,333K,170K,199K\n",
                         ExternalImportOptions(), m, nullptr);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->merge.revisions, 1);
  Result<ExternalRecords> r = ExternalStore(dir.str()).Load(ExternalKind::kCalendar);
  ASSERT_EQ(r->calendar.size(), 2u);
  EXPECT_EQ(r->calendar[1].revision, 1);
  EXPECT_EQ(r->calendar[1].actual, 333000.0);
  EXPECT_EQ(r->calendar[1].ts_avail, T("2024-02-02T13:30:00Z"));
  EXPECT_EQ(r->calendar[1].ts_schedule, T("2024-02-02T13:30:00Z"));
  EXPECT_EQ(r->calendar[0].actual, 216000.0);  // what was known before is kept
}

TEST(Store, ConflictingDuplicatesInOneInputAreQuarantined) {
  TempDir dir;
  const std::string content =
      "time,source,target,score\n"
      "2024-01-05T13:31:10Z,wire,USD,0.8\n"
      "2024-01-05T13:31:10Z,wire,USD,0.8\n";  // the same item twice: one item
  Result<ExternalImportSummary> s =
      ImportExternalText(dir.str(), ExternalKind::kSentiment, "s.csv", content,
                         ExternalImportOptions(), ExternalMergeOptions(), nullptr);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->merge.stored, 1);
  EXPECT_EQ(s->merge.already_stored, 1);

  ExternalImportOptions opt;
  opt.index_name = "DXY";
  ingest::Quarantine q;
  ExternalMergeOptions m;
  m.revision_time = T("2024-06-01T00:00:00Z");
  s = ImportExternalText(dir.str(), ExternalKind::kIndex, "x.csv",
                         "date,open,high,low,close\n2024-01-02,1,2,0.5,1\n2024-01-02,1,2,0.5,1.5\n",
                         opt, m, &q);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->merge.stored, 1);
  EXPECT_EQ(s->merge.rejected, 1);
  ASSERT_EQ(q.examples().size(), 1u);
  EXPECT_EQ(q.examples()[0].reason, "conflicting duplicate");
  EXPECT_EQ(q.examples()[0].line, 3u);
}

TEST(Store, DamagedStoreFileIsReportedNotOverwritten) {
  TempDir dir;
  ExternalImportOptions opt;
  opt.index_name = "DXY";
  ASSERT_TRUE(ImportExternalText(dir.str(), ExternalKind::kIndex, "a.csv",
                                 "date,open,high,low,close\n2024-01-02,1,2,0.5,1\n", opt,
                                 ExternalMergeOptions(), nullptr)
                  .ok());
  const std::string path = ExternalStore(dir.str()).PathOf(ExternalKind::kIndex, "DXY");
  std::string text = Slurp(path);
  text[text.find("0.5")] = '7';
  ASSERT_TRUE(WriteFileAtomic(path, text).ok());
  Result<ExternalImportSummary> s = ImportExternalText(
      dir.str(), ExternalKind::kIndex, "b.csv", "date,open,high,low,close\n2024-01-03,1,2,0.5,1\n",
      opt, ExternalMergeOptions(), nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kCorruption);
  EXPECT_NE(s.status().message().find("DXY.csv"), std::string::npos);
  EXPECT_EQ(Slurp(path), text);
  EXPECT_FALSE(ExternalStore(dir.str()).List().ok());
}

TEST(Store, ImportFileNamesAMissingInput) {
  TempDir dir;
  Result<ExternalImportSummary> s =
      ImportExternalFile(dir.str(), ExternalKind::kCot, dir.str() + "/nope.txt",
                         ExternalImportOptions(), ExternalMergeOptions(), nullptr);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_NE(s.status().message().find("nope.txt"), std::string::npos);
}

}  // namespace
}  // namespace arus::features
