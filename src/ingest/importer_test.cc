#include "ingest/importer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "core/file.h"
#include "ingest/text_importers.h"

namespace arus::ingest {
namespace {

UnixNanos T(const char* iso) {
  Result<UnixNanos> t = ParseIsoUtc(iso);
  EXPECT_TRUE(t.ok()) << iso;
  return t.ok() ? *t : UnixNanos();
}

Price P(const char* text) {
  Result<Price> p = Price::Parse(text);
  EXPECT_TRUE(p.ok()) << text;
  return p.ok() ? *p : Price();
}

QuoteTick Tick(const char* iso, const char* bid, const char* ask) {
  QuoteTick t;
  t.ts_event = T(iso);
  t.bid = P(bid);
  t.ask = P(ask);
  return t;
}

ImportOptions Opts(SourceFormat f, const char* symbol = "EURUSD", std::string zone = "") {
  ImportOptions o;
  o.instrument = **fx::InstrumentTable::Builtin().Find(symbol);
  Result<fx::SourceZone> z = fx::SourceZone::Parse(zone.empty() ? DefaultZoneSpec(f) : zone);
  EXPECT_TRUE(z.ok()) << z.status().ToString();
  if (z.ok()) o.zone = *z;
  return o;
}

struct TickRun {
  Result<ImportStats> stats = InvalidArgument("not run");
  std::vector<QuoteTick> ticks;
  int sink_calls = 0;
};

TickRun RunTicks(SourceFormat f, std::string_view content, const ImportOptions& o,
                 Quarantine* q = nullptr, size_t read_bytes = kTextChunkBytes) {
  TickRun r;
  r.stats = ImportTicksFromText(
      f, "mem.csv", content, o, q,
      [&](std::span<const QuoteTick> t) {
        r.ticks.insert(r.ticks.end(), t.begin(), t.end());
        ++r.sink_calls;
        return Status::Ok();
      },
      read_bytes);
  return r;
}

struct BarRun {
  Result<ImportStats> stats = InvalidArgument("not run");
  std::vector<Bar> bars;
};

BarRun RunBars(SourceFormat f, std::string_view content, const ImportOptions& o,
               Quarantine* q = nullptr) {
  BarRun r;
  r.stats = ImportBarsFromText(f, "mem.csv", content, o, q, [&](std::span<const Bar> b) {
    r.bars.insert(r.bars.end(), b.begin(), b.end());
    return Status::Ok();
  });
  return r;
}

std::string TestDir(const std::string& name) {
  const char* base = std::getenv("ARUS_TEST_TMP");
  std::filesystem::path p =
      base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
  p /= "importer_" + name + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

std::string ToCrlf(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

std::string ToUtf16Le(std::string_view s, bool bom = true) {
  std::string out = bom ? std::string("\xFF\xFE", 2) : std::string();
  for (char c : s) {
    out += c;
    out += '\0';
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Names, zones, columns.

TEST(SourceFormatTest, NamesRoundTripAndErrorsListThem) {
  for (SourceFormat f : {SourceFormat::kDukascopy, SourceFormat::kTrueFx,
                         SourceFormat::kHistDataTick, SourceFormat::kHistDataM1,
                         SourceFormat::kMt5Ticks, SourceFormat::kMt5Bars, SourceFormat::kCsv}) {
    Result<SourceFormat> back = ParseSourceFormat(SourceFormatName(f));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, f);
  }
  EXPECT_EQ(*ParseSourceFormat("TrueFX"), SourceFormat::kTrueFx);
  Result<SourceFormat> bad = ParseSourceFormat("histdata");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("histdata-tick, histdata-m1"), std::string::npos);
  EXPECT_NE(bad.status().message().find("'histdata'"), std::string::npos);
}

TEST(SourceFormatTest, BarFormatsAndDefaultZones) {
  EXPECT_TRUE(IsBarFormat(SourceFormat::kHistDataM1));
  EXPECT_TRUE(IsBarFormat(SourceFormat::kMt5Bars));
  EXPECT_FALSE(IsBarFormat(SourceFormat::kCsv));
  EXPECT_FALSE(IsBarFormat(SourceFormat::kTrueFx));
  EXPECT_EQ(DefaultZoneSpec(SourceFormat::kTrueFx), "UTC");
  EXPECT_EQ(DefaultZoneSpec(SourceFormat::kDukascopy), "UTC");
  EXPECT_EQ(DefaultZoneSpec(SourceFormat::kCsv), "UTC");
  EXPECT_EQ(DefaultZoneSpec(SourceFormat::kHistDataTick), "EST");
  EXPECT_EQ(DefaultZoneSpec(SourceFormat::kHistDataM1), "EST");
  EXPECT_EQ(DefaultZoneSpec(SourceFormat::kMt5Ticks), "NY+7");
  EXPECT_EQ(DefaultZoneSpec(SourceFormat::kMt5Bars), "NY+7");
  for (SourceFormat f : {SourceFormat::kTrueFx, SourceFormat::kHistDataTick,
                         SourceFormat::kMt5Ticks}) {
    EXPECT_TRUE(fx::SourceZone::Parse(DefaultZoneSpec(f)).ok());
  }
}

TEST(CsvColumnsTest, ParsesMappingAndRejectsMistakes) {
  CsvLayout l;
  ASSERT_TRUE(ParseCsvColumns("time=0,bid=1,ask=2,bid_volume=3,ask_volume=4,date=5", &l).ok());
  EXPECT_EQ(l.time_col, 0);
  EXPECT_EQ(l.bid_col, 1);
  EXPECT_EQ(l.ask_col, 2);
  EXPECT_EQ(l.bid_volume_col, 3);
  EXPECT_EQ(l.ask_volume_col, 4);
  EXPECT_EQ(l.date_col, 5);

  CsvLayout m;
  ASSERT_TRUE(ParseCsvColumns(" time = 3 , bid=4, ask=5 ", &m).ok());
  EXPECT_EQ(m.time_col, 3);
  EXPECT_EQ(m.bid_col, 4);
  EXPECT_EQ(m.ask_col, 5);
  EXPECT_EQ(m.bid_volume_col, -1);

  for (const char* bad : {"", "time", "time=x", "time=-1", "time=64", "price=1",
                          "time=0,time=1", "time=0,bid=0", "time=1,bid=2,ask=2"}) {
    CsvLayout k;
    const Status s = ParseCsvColumns(bad, &k);
    EXPECT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(k.time_col, 0) << "layout untouched on error: " << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// Golden files, one per format, in UTC.

TEST(TrueFxTest, GoldenUtc) {
  const std::string file =
      "EUR/USD,20240102 00:00:00.123,1.10411,1.10418\n"
      "EUR/USD,20240102 00:00:00.123,1.10412,1.10418\n"  // same instant: allowed
      "EUR/USD,20240102 00:00:01.5,1.1041,1.1041\n"      // locked: allowed here
      "EUR/USD,20240310 07:30:00.000,1.09400,1.09402\n"
      "EUR/USD,20241103 07:30:00,1.09500,1.095021\n";   // no fraction; extra precision kept
  Quarantine q;
  TickRun r = RunTicks(SourceFormat::kTrueFx, file, Opts(SourceFormat::kTrueFx), &q);
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  const std::vector<QuoteTick> want = {
      Tick("2024-01-02T00:00:00.123Z", "1.10411", "1.10418"),
      Tick("2024-01-02T00:00:00.123Z", "1.10412", "1.10418"),
      Tick("2024-01-02T00:00:01.5Z", "1.1041", "1.1041"),
      Tick("2024-03-10T07:30:00Z", "1.094", "1.09402"),
      Tick("2024-11-03T07:30:00Z", "1.095", "1.095021"),
  };
  EXPECT_EQ(r.ticks, want);
  EXPECT_EQ(r.stats->rows, 5);
  EXPECT_EQ(r.stats->accepted, 5);
  EXPECT_EQ(r.stats->quarantined, 0);
  EXPECT_EQ(r.stats->files, 1);
  EXPECT_EQ(r.stats->bytes, file.size());
  EXPECT_EQ(r.stats->first, want.front().ts_event);
  EXPECT_EQ(r.stats->last, want.back().ts_event);
  EXPECT_EQ(q.total(), 0);
}

TEST(TrueFxTest, FromToDropsRowsOutsideTheRange) {
  const std::string file =
      "EUR/USD,20240102 00:00:00.123,1.10411,1.10418\n"
      "EUR/USD,20240102 00:00:00.500,1.10412,1.10418\n"
      "EUR/USD,20240102 00:00:00.400,1.10412,1.10418\n"  // out of order: still quarantined
      "EUR/USD,20240102 00:00:01.500,1.1041,1.1041\n"
      "EUR/USD,20240310 07:30:00.000,1.09400,1.09402\n";
  ImportOptions o = Opts(SourceFormat::kTrueFx);
  o.from = T("2024-01-02T00:00:00.5Z");
  o.to = T("2024-03-10T07:30:00Z");
  Quarantine q;
  TickRun r = RunTicks(SourceFormat::kTrueFx, file, o, &q);
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  EXPECT_EQ(r.ticks, (std::vector<QuoteTick>{Tick("2024-01-02T00:00:00.5Z", "1.10412", "1.10418"),
                                             Tick("2024-01-02T00:00:01.5Z", "1.1041", "1.1041")}));
  EXPECT_EQ(r.stats->rows, 5);
  EXPECT_EQ(r.stats->accepted, 2);
  EXPECT_EQ(r.stats->quarantined, 1);
  EXPECT_EQ(r.stats->first, T("2024-01-02T00:00:00.5Z"));
  EXPECT_EQ(r.stats->last, T("2024-01-02T00:00:01.5Z"));
}

TEST(TrueFxTest, SymbolFormsAndJpyPair) {
  const std::string file =
      "USD/JPY,20240102 00:00:00.001,141.123,141.130\n"
      "USDJPY,20240102 00:00:00.002,141.124,141.131\n"
      "usd_jpy,20240102 00:00:00.003,141.125,141.132\n";
  TickRun r = RunTicks(SourceFormat::kTrueFx, file, Opts(SourceFormat::kTrueFx, "USDJPY"));
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  ASSERT_EQ(r.ticks.size(), 3u);
  EXPECT_EQ(r.ticks[2], Tick("2024-01-02T00:00:00.003Z", "141.125", "141.132"));
}

TEST(HistDataTest, TickGoldenEstWithoutDst) {
  // EST is UTC-5 all year: New York's DST (2024-03-10 .. 2024-11-03) does not apply.
  const std::string file =
      "20240102 170000123,1.10411,1.10418,0\n"
      "20240308 165959000,1.09400,1.09402,0\n"
      "20240310 170000000,1.09410,1.09412,0\n"
      "20240712 120000500,1.28000,1.28003,0\n"
      "20241101 120000000,1.08000,1.08002,0\n"
      "20241103 170000000,1.08100,1.08102,0\n";
  TickRun r = RunTicks(SourceFormat::kHistDataTick, file, Opts(SourceFormat::kHistDataTick));
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  const std::vector<QuoteTick> want = {
      Tick("2024-01-02T22:00:00.123Z", "1.10411", "1.10418"),
      Tick("2024-03-08T21:59:59Z", "1.094", "1.09402"),
      Tick("2024-03-10T22:00:00Z", "1.0941", "1.09412"),
      Tick("2024-07-12T17:00:00.5Z", "1.28", "1.28003"),
      Tick("2024-11-01T17:00:00Z", "1.08", "1.08002"),
      Tick("2024-11-03T22:00:00Z", "1.081", "1.08102"),
  };
  EXPECT_EQ(r.ticks, want);
}

TEST(HistDataTest, M1BarsGoldenEst) {
  const std::string file =
      "20240102 170000;1.1041;1.1043;1.1040;1.1042;0\n"
      "20240102 170100;1.1042;1.1042;1.1039;1.1040;0\n"
      "20240310 170000;1.0941;1.0945;1.0941;1.0944;0\n";
  BarRun r = RunBars(SourceFormat::kHistDataM1, file, Opts(SourceFormat::kHistDataM1));
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  ASSERT_EQ(r.bars.size(), 3u);
  Bar b0;
  b0.ts_open = T("2024-01-02T22:00:00Z");
  b0.ts_close = T("2024-01-02T22:01:00Z");
  b0.open = P("1.1041");
  b0.high = P("1.1043");
  b0.low = P("1.1040");
  b0.close = P("1.1042");
  EXPECT_EQ(r.bars[0], b0);
  EXPECT_EQ(r.bars[1].ts_open, T("2024-01-02T22:01:00Z"));
  EXPECT_EQ(r.bars[2].ts_open, T("2024-03-10T22:00:00Z"));  // still UTC-5 after US DST start
  EXPECT_EQ(r.bars[2].ts_close, T("2024-03-10T22:01:00Z"));
  EXPECT_EQ(r.bars[2].close, P("1.0944"));
}

TEST(Mt5Test, TicksGoldenServerTimeFollowsNewYorkDst) {
  // NY+7: server midnight is 17:00 New York, so UTC+2 in NY winter and UTC+3 in NY summer,
  // switching with the US dates (2024-03-10, 2024-11-03), not the European ones (03-31, 10-27).
  const std::string file =
      "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"
      "2024.01.02\t00:00:00.000\t1.10411\t1.10418\t\t\t6\n"
      "2024.03.08\t23:59:59.999\t1.09400\t1.09402\t\t\t6\n"
      "2024.03.11\t00:00:00.000\t1.09410\t1.09412\t\t\t6\n"
      "2024.03.20\t12:00:00.000\t1.09000\t1.09002\t\t\t6\n"
      "2024.11.01\t12:00:00.000\t1.08000\t1.08002\t\t\t6\n"
      "2024.11.04\t12:00:00.000\t1.08100\t1.08102\t\t\t6\n";
  TickRun r = RunTicks(SourceFormat::kMt5Ticks, file, Opts(SourceFormat::kMt5Ticks));
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  const std::vector<QuoteTick> want = {
      Tick("2024-01-01T22:00:00Z", "1.10411", "1.10418"),
      Tick("2024-03-08T21:59:59.999Z", "1.094", "1.09402"),
      Tick("2024-03-10T21:00:00Z", "1.0941", "1.09412"),
      Tick("2024-03-20T09:00:00Z", "1.09", "1.09002"),
      Tick("2024-11-01T09:00:00Z", "1.08", "1.08002"),
      Tick("2024-11-04T10:00:00Z", "1.081", "1.08102"),
  };
  EXPECT_EQ(r.ticks, want);
  EXPECT_EQ(r.stats->rows, 6);  // the header is not a row

  // --tz overrides the default: a fixed UTC+2 server.
  TickRun fixed = RunTicks(SourceFormat::kMt5Ticks, file,
                           Opts(SourceFormat::kMt5Ticks, "EURUSD", "UTC+2"));
  ASSERT_TRUE(fixed.stats.ok());
  EXPECT_EQ(fixed.ticks[2].ts_event, T("2024-03-10T22:00:00Z"));
}

TEST(Mt5Test, OneSidedRowsCarryTheOtherSideForward) {
  const std::string file =
      "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"
      "2024.01.02\t10:00:00.000\t\t1.10418\t\t\t4\n"         // ask only, bid unknown: quarantined
      "2024.01.02\t10:00:00.100\t1.10411\t\t\t\t2\n"         // bid; ask from the row before
      "2024.01.02\t10:00:00.200\t\t1.10420\t\t\t4\n"         // ask; bid carried
      "2024.01.02\t10:00:00.300\t1.10415\t\t\t\t2\n"         // bid; ask carried
      "2024.01.02\t10:00:00.400\t1.10416\t1.10419\t\t\t6\n"  // both
      "2024.01.02\t10:00:00.500\t\t\t1.10417\t1\t8\n"        // neither: quarantined
      "2024.01.02\t10:00:00.600\t1.10425\t\t\t\t2\n";        // bid 1.10425 > ask 1.10419: crossed
  Quarantine q;
  ImportOptions o = Opts(SourceFormat::kMt5Ticks, "EURUSD", "UTC");
  TickRun r = RunTicks(SourceFormat::kMt5Ticks, file, o, &q);
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  const std::vector<QuoteTick> want = {
      Tick("2024-01-02T10:00:00.1Z", "1.10411", "1.10418"),
      Tick("2024-01-02T10:00:00.2Z", "1.10411", "1.1042"),
      Tick("2024-01-02T10:00:00.3Z", "1.10415", "1.1042"),
      Tick("2024-01-02T10:00:00.4Z", "1.10416", "1.10419"),
  };
  EXPECT_EQ(r.ticks, want);
  const std::map<std::string, int64_t> by_reason = {
      {"incomplete quote", 1}, {"no quote", 1}, {"crossed quote", 1}};
  EXPECT_EQ(q.counts_by_reason(), by_reason);
  const std::vector<QuarantinedRow> ex = q.examples();
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[0].line, 2u);
  EXPECT_EQ(ex[0].field, "bid");
  EXPECT_EQ(ex[1].line, 7u);
  EXPECT_EQ(ex[2].line, 8u);
}

TEST(Mt5Test, HeaderlessCommaHeaderAndDailyBarsWithoutTime) {
  const std::string headerless = "2024.01.02\t10:00:00.000\t1.10411\t1.10418\t\t\t6\n";
  TickRun r = RunTicks(SourceFormat::kMt5Ticks, headerless,
                       Opts(SourceFormat::kMt5Ticks, "EURUSD", "UTC"));
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  ASSERT_EQ(r.ticks.size(), 1u);

  const std::string comma =
      "<DATE>,<TIME>,<BID>,<ASK>,<LAST>,<VOLUME>,<FLAGS>\n"
      "2024.01.02,10:00:00.000,1.10411,1.10418,,,6\n";
  TickRun c = RunTicks(SourceFormat::kMt5Ticks, comma,
                       Opts(SourceFormat::kMt5Ticks, "EURUSD", "UTC"));
  ASSERT_TRUE(c.stats.ok()) << c.stats.status().ToString();
  EXPECT_EQ(c.ticks, r.ticks);

  // D1 exports have no <TIME> column: the bar opens at server midnight.
  const std::string daily =
      "<DATE>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
      "2024.01.02\t1.10410\t1.10430\t1.10400\t1.10420\t90000\t0\t3\n";
  ImportOptions o = Opts(SourceFormat::kMt5Bars);
  o.bar_duration = Duration(kNanosPerDay);
  BarRun d = RunBars(SourceFormat::kMt5Bars, daily, o);
  ASSERT_TRUE(d.stats.ok()) << d.stats.status().ToString();
  ASSERT_EQ(d.bars.size(), 1u);
  EXPECT_EQ(d.bars[0].ts_open, T("2024-01-01T22:00:00Z"));
  EXPECT_EQ(d.bars[0].ts_close, T("2024-01-02T22:00:00Z"));
}

TEST(Mt5Test, BarsGolden) {
  const std::string file =
      "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
      "2024.01.02\t00:00:00\t1.10410\t1.10430\t1.10400\t1.10420\t152\t0\t12\n"
      "2024.03.11\t00:00:00\t1.09410\t1.09450\t1.09410\t1.09440\t98\t7\t0\n";
  ImportOptions o = Opts(SourceFormat::kMt5Bars);
  o.bar_duration = Duration(kNanosPerHour);
  BarRun r = RunBars(SourceFormat::kMt5Bars, file, o);
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  ASSERT_EQ(r.bars.size(), 2u);
  Bar b;
  b.ts_open = T("2024-01-01T22:00:00Z");
  b.ts_close = T("2024-01-01T23:00:00Z");
  b.open = P("1.1041");
  b.high = P("1.1043");
  b.low = P("1.104");
  b.close = P("1.1042");
  b.tick_count = 152;
  b.volume = 0;
  b.spread_max = P("0.00012");
  b.spread_mean = 0.00012;
  EXPECT_EQ(r.bars[0], b);
  EXPECT_EQ(r.bars[1].ts_open, T("2024-03-10T21:00:00Z"));  // NY summer: UTC+3
  EXPECT_EQ(r.bars[1].tick_count, 98);
  EXPECT_EQ(r.bars[1].volume, 7.0);
  EXPECT_EQ(r.bars[1].spread_mean, 0.0);

  // Points follow the instrument: 5 points of USDJPY are 0.005.
  const std::string jpy =
      "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
      "2024.01.02\t00:00:00\t141.100\t141.200\t141.000\t141.150\t10\t0\t5\n";
  BarRun j = RunBars(SourceFormat::kMt5Bars, jpy, Opts(SourceFormat::kMt5Bars, "USDJPY"));
  ASSERT_TRUE(j.stats.ok());
  EXPECT_EQ(j.bars[0].spread_mean, 0.005);
  EXPECT_EQ(j.bars[0].spread_max, P("0.005"));
  EXPECT_EQ(j.bars[0].ts_close - j.bars[0].ts_open, Duration(kNanosPerMinute));  // default M1

  for (Duration bad : {Duration(0), Duration(-kNanosPerMinute), Duration::max()}) {
    ImportOptions b = Opts(SourceFormat::kMt5Bars);
    b.bar_duration = bad;
    EXPECT_EQ(RunBars(SourceFormat::kMt5Bars, file, b).stats.status().code(),
              StatusCode::kInvalidArgument);
  }
}

TEST(CsvTest, IsoWithZoneAndExplicitOffsets) {
  const std::string file =
      "time,bid,ask\n"
      "2024-01-02T17:00:00.5Z,1.1,1.2\n"         // explicit UTC: the zone does not apply
      "2024-01-02 19:00:01,1.1,1.2\n"            // local UTC+2
      "2024-01-02T19:00:02+02:00,1.1,1.2\n"      // explicit offset
      "2024-01-02T12:00:03.25-0500,1.1,1.2\n";
  TickRun r = RunTicks(SourceFormat::kCsv, file, Opts(SourceFormat::kCsv, "EURUSD", "UTC+2"));
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  ASSERT_EQ(r.ticks.size(), 4u);
  EXPECT_EQ(r.ticks[0].ts_event, T("2024-01-02T17:00:00.5Z"));
  EXPECT_EQ(r.ticks[1].ts_event, T("2024-01-02T17:00:01Z"));
  EXPECT_EQ(r.ticks[2].ts_event, T("2024-01-02T17:00:02Z"));
  EXPECT_EQ(r.ticks[3].ts_event, T("2024-01-02T17:00:03.25Z"));
  EXPECT_EQ(r.stats->rows, 4);
}

TEST(CsvTest, PatternsColumnsVolumesAndQuotes) {
  ImportOptions o = Opts(SourceFormat::kCsv, "EURUSD", "EST");
  o.csv.delimiter = ';';
  o.csv.header = false;
  ASSERT_TRUE(ParseCsvColumns("time=1,bid=2,ask=3,bid_volume=4,ask_volume=5", &o.csv).ok());
  o.csv.time_format = "%Y%m%d %H%M%S";
  TickRun r = RunTicks(SourceFormat::kCsv,
                       "EURUSD;20240102 170000;1.10411;1.10418;1.5;2.25;extra;columns\n"
                       "\"EURUSD\"; \"20240102 170001\" ;\"1.10412\";1.10419;;0\n",
                       o);
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  ASSERT_EQ(r.ticks.size(), 2u);
  QuoteTick want = Tick("2024-01-02T22:00:00Z", "1.10411", "1.10418");
  want.bid_volume = 1.5f;
  want.ask_volume = 2.25f;
  EXPECT_EQ(r.ticks[0], want);
  EXPECT_EQ(r.ticks[1], Tick("2024-01-02T22:00:01Z", "1.10412", "1.10419"));

  // Separate date and time columns, day-first date, fractional seconds.
  ImportOptions d = Opts(SourceFormat::kCsv, "EURUSD", "UTC");
  ASSERT_TRUE(ParseCsvColumns("date=0,time=1,bid=2,ask=3", &d.csv).ok());
  d.csv.header = false;
  d.csv.time_format = "%d/%m/%Y %H:%M:%S.%f";
  TickRun dr = RunTicks(SourceFormat::kCsv, "02/01/2024,17:00:00.250,1.1,1.2\n", d);
  ASSERT_TRUE(dr.stats.ok()) << dr.stats.status().ToString();
  ASSERT_EQ(dr.ticks.size(), 1u);
  EXPECT_EQ(dr.ticks[0].ts_event, T("2024-01-02T17:00:00.25Z"));

  // Epoch milliseconds and seconds are instants: the zone does not apply.
  ImportOptions ms = Opts(SourceFormat::kCsv, "EURUSD", "EST");
  ms.csv.header = false;
  ms.csv.time_format = "%ms";
  TickRun mr = RunTicks(SourceFormat::kCsv, "1704214800123,1.1,1.2\n", ms);
  ASSERT_TRUE(mr.stats.ok()) << mr.stats.status().ToString();
  EXPECT_EQ(mr.ticks.at(0).ts_event, T("2024-01-02T17:00:00.123Z"));
  ms.csv.time_format = "%s";
  TickRun sr = RunTicks(SourceFormat::kCsv, "1704214800.5,1.1,1.2\n1704214801,1.1,1.2\n", ms);
  ASSERT_TRUE(sr.stats.ok()) << sr.stats.status().ToString();
  ASSERT_EQ(sr.ticks.size(), 2u);
  EXPECT_EQ(sr.ticks[0].ts_event, T("2024-01-02T17:00:00.5Z"));
  EXPECT_EQ(sr.ticks[1].ts_event, T("2024-01-02T17:00:01Z"));
}

TEST(CsvTest, BadLayoutsAreInvalidArguments) {
  const std::string file = "t,b,a\n2024-01-02T00:00:00Z,1.1,1.2\n";
  for (const char* fmt : {"%Q", "%Y-%m", "%s %H", "%Y-%m-%d %", ""}) {
    ImportOptions o = Opts(SourceFormat::kCsv);
    o.csv.time_format = fmt;
    TickRun r = RunTicks(SourceFormat::kCsv, file, o);
    ASSERT_FALSE(r.stats.ok()) << fmt;
    EXPECT_EQ(r.stats.status().code(), StatusCode::kInvalidArgument) << fmt;
  }
  ImportOptions dup = Opts(SourceFormat::kCsv);
  dup.csv.ask_col = 1;
  EXPECT_EQ(RunTicks(SourceFormat::kCsv, file, dup).stats.status().code(),
            StatusCode::kInvalidArgument);
  ImportOptions delim = Opts(SourceFormat::kCsv);
  delim.csv.delimiter = '.';
  EXPECT_EQ(RunTicks(SourceFormat::kCsv, file, delim).stats.status().code(),
            StatusCode::kInvalidArgument);
}

// ---------------------------------------------------------------------------------------------
// Bad rows: quarantined with file, line, field and reason; every good row still arrives.

struct Expect {
  uint64_t line;
  const char* field;
  const char* reason;
};

void ExpectQuarantine(const Quarantine& q, const std::vector<Expect>& want) {
  const std::vector<QuarantinedRow> ex = q.examples();
  ASSERT_EQ(ex.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(ex[i].file, "mem.csv");
    EXPECT_EQ(ex[i].line, want[i].line) << i;
    EXPECT_EQ(ex[i].field, want[i].field) << "line " << want[i].line;
    EXPECT_EQ(ex[i].reason, want[i].reason) << "line " << want[i].line << ": " << ex[i].detail;
    EXPECT_FALSE(ex[i].detail.empty());
    EXPECT_FALSE(ex[i].raw.empty());
  }
}

const std::string kGoodRow = "EUR/USD,20240102 00:00:01.100,1.10411,1.10418";

std::string TrueFxWithBadRows() {
  return "EUR/USD,20240102 00:00:00.100,1.10411,1.10418\n"         // 1 good
         "EUR/USD,20240102 00:00:00.200,1.10x11,1.10418\n"         // 2 bad number (bid)
         "EUR/USD,20240102 00:00:00.300,1.10411,1.10418\n"         // 3 good
         "EUR/USD,20240102 00:00:00.400,1.10411\n"                 // 4 missing ask
         "EUR/USD,20240102 00:00:00.500,1.10411,1.10418\n"         // 5 good
         "EUR/USD,20240102 00:00:00.600,1.10411,1.10418,7\n"       // 6 extra field
         "EUR/USD,20240102 00:00:00.700,1.10411,1.10418\n"         // 7 good
         "EUR/USD,20240102 00:00:00.000,1.10411,1.10418\n"         // 8 earlier: non-monotonic
         "EUR/USD,20240102 00:00:00.800,1.10411,1.10418\n"         // 9 good
         "EUR/USD,20240102 00:00:00.850,1.10420,1.10418\n"         // 10 crossed
         "EUR/USD,20240102 00:00:00.900,1.10418,1.10418\n"         // 11 good (locked)
         "EUR/USD,20240230 00:00:01.000,1.10411,1.10418\n"         // 12 impossible date
         "EUR/USD,2024-01-02 00:00:01.000,1.10411,1.10418\n"       // 13 unparseable date
         "EUR/USD,20240102 00:00:01.000,1.10411,1.10418\n"         // 14 good
         "EUR/USD,20240102 00:00:01.050,0.00000,1.10418\n"         // 15 non-positive
         "EUR/USD,20240102 00:00:01.060,1.10411,1.10418," +
             std::string(5000, 'x') +
             "\n"                                                  // 16 line too long
         + kGoodRow + "\n"                                         // 17 good
         "GBP/USD,20240102 00:00:01.150,1.27411,1.27418\n"         // 18 wrong symbol
         "EUR/USD,20240102 25:00:01.160,1.10411,1.10418\n"         // 19 impossible time
         "EUR/USD,20240102 00:00:01.300,1.10411,1.10418\n"         // 20 good
         "\n"                                                      // 21 blank: not a row
         "EUR/USD,20240102 00:00:01.350,1.10411,1.10418x\n"        // 22 bad number (ask)
         "EUR/USD,20240102 00:00:01.400,1.10411,1.10418";          // 23 good, no newline
}

const std::vector<Expect> kTrueFxBad = {
    {2, "bid", "bad number"},        {4, "ask", "missing field"},
    {6, "ask", "extra field"},       {8, "time", "non-monotonic time"},
    {10, "bid", "crossed quote"},    {12, "time", "impossible time"},
    {13, "time", "bad time"},        {15, "bid", "non-positive price"},
    {16, "line", "line too long"},   {18, "symbol", "wrong symbol"},
    {19, "time", "impossible time"}, {22, "ask", "bad number"},
};

std::vector<QuoteTick> TrueFxGoodRows() {
  return {Tick("2024-01-02T00:00:00.1Z", "1.10411", "1.10418"),
          Tick("2024-01-02T00:00:00.3Z", "1.10411", "1.10418"),
          Tick("2024-01-02T00:00:00.5Z", "1.10411", "1.10418"),
          Tick("2024-01-02T00:00:00.7Z", "1.10411", "1.10418"),
          Tick("2024-01-02T00:00:00.8Z", "1.10411", "1.10418"),
          Tick("2024-01-02T00:00:00.9Z", "1.10418", "1.10418"),
          Tick("2024-01-02T00:00:01Z", "1.10411", "1.10418"),
          Tick("2024-01-02T00:00:01.1Z", "1.10411", "1.10418"),
          Tick("2024-01-02T00:00:01.3Z", "1.10411", "1.10418"),
          Tick("2024-01-02T00:00:01.4Z", "1.10411", "1.10418")};
}

TEST(BadRowsTest, TrueFxEveryKindQuarantinedAndGoodRowsKept) {
  Quarantine q;
  const std::string file = TrueFxWithBadRows();
  TickRun r = RunTicks(SourceFormat::kTrueFx, file, Opts(SourceFormat::kTrueFx), &q);
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  EXPECT_EQ(r.ticks, TrueFxGoodRows());
  EXPECT_EQ(r.stats->rows, 22);
  EXPECT_EQ(r.stats->accepted, 10);
  EXPECT_EQ(r.stats->quarantined, 12);
  EXPECT_EQ(q.total(), 12);
  ExpectQuarantine(q, kTrueFxBad);
  EXPECT_EQ(q.counts_by_reason().at("impossible time"), 2);
  // The detail says what was wrong and the raw row is kept (cut for the long line).
  const std::vector<QuarantinedRow> ex = q.examples();
  EXPECT_NE(ex[0].detail.find("1.10x11"), std::string::npos) << ex[0].detail;
  EXPECT_EQ(ex[0].raw, "EUR/USD,20240102 00:00:00.200,1.10x11,1.10418");
  EXPECT_NE(ex[4].detail.find("1.1042 > ask 1.10418"), std::string::npos) << ex[4].detail;
  EXPECT_NE(ex[9].detail.find("GBP/USD"), std::string::npos) << ex[9].detail;
  EXPECT_LE(ex[8].raw.size(), Quarantine::kMaxRawBytes + 3);
}

TEST(BadRowsTest, ChunkBoundariesDoNotChangeTheResult) {
  const std::string file = TrueFxWithBadRows();
  for (size_t step : {1, 16, 17, 31, 64, 333, 4097, 5003, 100000}) {
    Quarantine q;
    TickRun r = RunTicks(SourceFormat::kTrueFx, file, Opts(SourceFormat::kTrueFx), &q, step);
    ASSERT_TRUE(r.stats.ok()) << step << ": " << r.stats.status().ToString();
    EXPECT_EQ(r.ticks, TrueFxGoodRows()) << step;
    ExpectQuarantine(q, kTrueFxBad);
  }
}

TEST(BadRowsTest, StrictStopsAtTheFirstBadRow) {
  ImportOptions o = Opts(SourceFormat::kTrueFx);
  o.strict = true;
  Quarantine q;
  TickRun r = RunTicks(SourceFormat::kTrueFx, TrueFxWithBadRows(), o, &q);
  ASSERT_FALSE(r.stats.ok());
  EXPECT_EQ(r.stats.status().code(), StatusCode::kParseError);
  const std::string& m = r.stats.status().message();
  EXPECT_EQ(m.rfind("mem.csv:2: field 'bid': bad number", 0), 0u) << m;
  EXPECT_NE(m.find("1.10x11"), std::string::npos) << m;
  EXPECT_EQ(q.total(), 0);

  // A clean file imports the same with or without strict.
  const std::string clean = TrueFxWithBadRows().substr(0, TrueFxWithBadRows().find('\n') + 1);
  TickRun ok = RunTicks(SourceFormat::kTrueFx, clean, o);
  ASSERT_TRUE(ok.stats.ok()) << ok.stats.status().ToString();
  EXPECT_EQ(ok.ticks.size(), 1u);

  // Semantic problems are errors too in strict mode.
  TickRun crossed = RunTicks(SourceFormat::kTrueFx,
                             "EUR/USD,20240102 00:00:00.100,1.10411,1.10418\n"
                             "EUR/USD,20240102 00:00:00.200,1.10420,1.10418\n",
                             o);
  ASSERT_FALSE(crossed.stats.ok());
  EXPECT_EQ(crossed.stats.status().message().rfind("mem.csv:2: field 'bid': crossed quote", 0),
            0u)
      << crossed.stats.status().message();
}

TEST(BadRowsTest, HistDataTickAndM1) {
  Quarantine q;
  const std::string ticks =
      "20240102 170000100,1.10411,1.10418,0\n"
      "20240102 17000020,1.10411,1.10418,0\n"     // 2 short time
      "20240102 170000300,1.10411,1.10418\n"      // 3 no volume
      "20240102 170000400,1.10411,1.10418,x\n"    // 4 bad volume
      "20240102 170000500,1.10411,1.10418,0,0\n"  // 5 extra field
      "20240102 170000600,-1.10411,1.10418,0\n"   // 6 negative
      "20240102 170000700,1.10411,1.10418,0\n";
  TickRun r = RunTicks(SourceFormat::kHistDataTick, ticks, Opts(SourceFormat::kHistDataTick), &q);
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  EXPECT_EQ(r.ticks.size(), 2u);
  ExpectQuarantine(q, {{2, "time", "bad time"},
                       {3, "volume", "missing field"},
                       {4, "volume", "bad number"},
                       {5, "volume", "extra field"},
                       {6, "bid", "non-positive price"}});

  Quarantine qb;
  const std::string bars =
      "20240102 170000;1.1041;1.1043;1.1040;1.1042;0\n"
      "20240102 170100;1.1041;1.1040;1.1039;1.1042;0\n"  // 2 high below close
      "20240102 170100;1.1041;1.1043;1.1042;1.1042;0\n"  // 3 low above open
      "20240102 170000;1.1041;1.1043;1.1040;1.1042;0\n"  // 4 duplicate bar time
      "20240102 165900;1.1041;1.1043;1.1040;1.1042;0\n"  // 5 earlier
      "20240102 170100;1.1041;1.1043;1.1040\n"           // 6 missing close
      "20240102 170100;1.1041;1.1043;1.1040;1.1042;0\n";
  BarRun b = RunBars(SourceFormat::kHistDataM1, bars, Opts(SourceFormat::kHistDataM1), &qb);
  ASSERT_TRUE(b.stats.ok()) << b.stats.status().ToString();
  EXPECT_EQ(b.bars.size(), 2u);
  ExpectQuarantine(qb, {{2, "high", "OHLC invariant"},
                        {3, "low", "OHLC invariant"},
                        {4, "time", "duplicate bar"},
                        {5, "time", "non-monotonic time"},
                        {6, "close", "missing field"}});
}

TEST(BadRowsTest, Mt5AndCsv) {
  Quarantine q;
  const std::string mt5 =
      "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"
      "2024.01.02\t10:00:00.000\t1.10411\t1.10418\t\t\t6\n"
      "2024.01.02\t10:00:00.100\t1.10411\t1.10418\t\t\tsix\n"    // 3 flags
      "2024.01.02\t10:00:00.200\t1.10411\t1.10418\t\t\t6\t9\n"   // 4 extra
      "2024.13.02\t10:00:00.300\t1.10411\t1.10418\t\t\t6\n"      // 5 impossible date
      "2024.01.02\t10:00:00.400\n"                               // 6 missing bid
      "2024.01.02\t10:00:00.500\t1,10411\t1.10418\t\t\t6\n"      // 7 decimal comma
      "2024.01.02\t10:00:00.600\t1.10411\t1.10418\n";            // short optional tail: ok
  TickRun r = RunTicks(SourceFormat::kMt5Ticks, mt5, Opts(SourceFormat::kMt5Ticks), &q);
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  EXPECT_EQ(r.ticks.size(), 2u);
  ExpectQuarantine(q, {{3, "flags", "bad number"},
                       {4, "flags", "extra field"},
                       {5, "date", "impossible time"},
                       {6, "bid", "missing field"},
                       {7, "bid", "bad number"}});

  Quarantine qc;
  const std::string csv =
      "time,bid,ask,bid_volume\n"
      "2024-01-02T00:00:00Z,1.1,1.2,1\n"
      "2024-01-02T00:00:01Z,1.1\n"                  // 3 missing ask
      "2024-01-02T00:00:02Z,1.1,1.2,-1\n"           // 4 negative volume
      "2024-01-02X00:00:03Z,1.1,1.2,1\n"            // 5 bad time
      "2024-01-02T00:00:04Z,1.1,1.2,1\n";
  ImportOptions o = Opts(SourceFormat::kCsv);
  o.csv.bid_volume_col = 3;
  TickRun c = RunTicks(SourceFormat::kCsv, csv, o, &qc);
  ASSERT_TRUE(c.stats.ok()) << c.stats.status().ToString();
  EXPECT_EQ(c.ticks.size(), 2u);
  ExpectQuarantine(qc, {{3, "ask", "missing field"},
                        {4, "bid_volume", "bad number"},
                        {5, "time", "bad time"}});
}

// ---------------------------------------------------------------------------------------------
// Whole-file problems.

TEST(WholeFileTest, EmptyMissingDirectoryAndNoInputs) {
  const std::string dir = TestDir("whole");
  const std::string empty = dir + "/empty.csv";
  ASSERT_TRUE(WriteFileAtomic(empty, "").ok());
  const TickSink sink = [](std::span<const QuoteTick>) { return Status::Ok(); };
  const ImportOptions o = Opts(SourceFormat::kTrueFx);

  std::vector<std::string> in = {empty};
  Result<ImportStats> r = ImportTicks(SourceFormat::kTrueFx, in, o, nullptr, sink);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), empty + ": empty file");

  in = {dir + "/missing.csv"};
  r = ImportTicks(SourceFormat::kTrueFx, in, o, nullptr, sink);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("missing.csv"), std::string::npos);

  in = {dir};
  r = ImportTicks(SourceFormat::kTrueFx, in, o, nullptr, sink);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("is a directory"), std::string::npos);

  r = ImportTicks(SourceFormat::kTrueFx, {}, o, nullptr, sink);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);

  // Ticks and bars do not mix.
  in = {empty};
  EXPECT_EQ(ImportTicks(SourceFormat::kHistDataM1, in, o, nullptr, sink).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(ImportBars(SourceFormat::kTrueFx, in, o, nullptr,
                       [](std::span<const Bar>) { return Status::Ok(); })
                .status()
                .code(),
            StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

TEST(WholeFileTest, WrongFormatNamesTheFormatItLooksLike) {
  const std::string histdata =
      "20240102 170000123,1.10411,1.10418,0\n20240102 170000223,1.10411,1.10418,0\n";
  TickRun r = RunTicks(SourceFormat::kTrueFx, histdata, Opts(SourceFormat::kTrueFx));
  ASSERT_FALSE(r.stats.ok());
  std::string m = r.stats.status().message();
  EXPECT_EQ(m.rfind("mem.csv: does not look like truefx", 0), 0u) << m;
  EXPECT_NE(m.find("looks like histdata-tick"), std::string::npos) << m;
  EXPECT_TRUE(r.ticks.empty());

  const std::string truefx = TrueFxWithBadRows();
  r = RunTicks(SourceFormat::kHistDataTick, truefx, Opts(SourceFormat::kHistDataTick));
  ASSERT_FALSE(r.stats.ok());
  m = r.stats.status().message();
  EXPECT_NE(m.find("does not look like histdata-tick (the first 8 rows"), std::string::npos) << m;
  EXPECT_NE(m.find("looks like truefx"), std::string::npos) << m;

  // Strict mode says the same about the first row.
  ImportOptions strict = Opts(SourceFormat::kTrueFx);
  strict.strict = true;
  r = RunTicks(SourceFormat::kTrueFx, histdata, strict);
  ASSERT_FALSE(r.stats.ok());
  EXPECT_NE(r.stats.status().message().find("mem.csv:1:"), std::string::npos);
  EXPECT_NE(r.stats.status().message().find("looks like histdata-tick"), std::string::npos);

  // MT5 bars given as ticks: the header tells.
  const std::string bars =
      "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
      "2024.01.02\t00:00:00\t1.10410\t1.10430\t1.10400\t1.10420\t152\t0\t12\n";
  r = RunTicks(SourceFormat::kMt5Ticks, bars, Opts(SourceFormat::kMt5Ticks));
  ASSERT_FALSE(r.stats.ok());
  m = r.stats.status().message();
  EXPECT_NE(m.find("mem.csv:1:"), std::string::npos) << m;
  EXPECT_NE(m.find("looks like mt5-bars"), std::string::npos) << m;

  // A file whose rows are all for another pair.
  r = RunTicks(SourceFormat::kTrueFx, "GBP/USD,20240102 00:00:00.100,1.27411,1.27418\n",
               Opts(SourceFormat::kTrueFx));
  ASSERT_FALSE(r.stats.ok());
  EXPECT_NE(r.stats.status().message().find("'GBP/USD' is not EURUSD"), std::string::npos)
      << r.stats.status().message();
}

TEST(WholeFileTest, BadRowsAtTheStartUpToTheSniffLimit) {
  std::string bad;
  for (int i = 0; i < kSniffRows - 1; ++i) bad += "garbage line " + std::to_string(i) + "\n";
  const std::string good = kGoodRow + "\n";
  Quarantine q;
  TickRun r = RunTicks(SourceFormat::kTrueFx, bad + good, Opts(SourceFormat::kTrueFx), &q);
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  EXPECT_EQ(r.ticks.size(), 1u);
  EXPECT_EQ(q.total(), kSniffRows - 1);  // the early bad rows are not lost
  EXPECT_EQ(q.examples().front().line, 1u);

  Quarantine q2;
  r = RunTicks(SourceFormat::kTrueFx, bad + "more garbage\n" + good, Opts(SourceFormat::kTrueFx),
               &q2);
  ASSERT_FALSE(r.stats.ok());
  EXPECT_NE(r.stats.status().message().find("does not look like truefx"), std::string::npos);
  EXPECT_EQ(q2.total(), 0);  // a rejected file leaves nothing in the quarantine

  // Out-of-order rows at the start are not a format problem.
  Quarantine q3;
  r = RunTicks(SourceFormat::kTrueFx,
               "EUR/USD,20240102 00:00:00.200,1.10420,1.10418\n" + good,
               Opts(SourceFormat::kTrueFx), &q3);
  ASSERT_TRUE(r.stats.ok());
  EXPECT_EQ(q3.counts_by_reason().at("crossed quote"), 1);
}

TEST(WholeFileTest, BinaryGarbageCompressedAndHugeLines) {
  std::string bin = "EUR/USD,2024";
  bin += std::string("\0\x01\x02\xff", 4);
  TickRun r = RunTicks(SourceFormat::kTrueFx, bin, Opts(SourceFormat::kTrueFx));
  ASSERT_FALSE(r.stats.ok());
  EXPECT_NE(r.stats.status().message().find("does not look like truefx: binary data (NUL byte "
                                            "at offset 12)"),
            std::string::npos)
      << r.stats.status().message();

  r = RunTicks(SourceFormat::kTrueFx, ToUtf16Le(kGoodRow, false), Opts(SourceFormat::kTrueFx));
  ASSERT_FALSE(r.stats.ok());
  EXPECT_NE(r.stats.status().message().find("without a byte-order mark"), std::string::npos);

  r = RunTicks(SourceFormat::kHistDataTick, std::string("PK\x03\x04rest", 8),
               Opts(SourceFormat::kHistDataTick));
  ASSERT_FALSE(r.stats.ok());
  EXPECT_NE(r.stats.status().message().find("ZIP archive"), std::string::npos);
  r = RunTicks(SourceFormat::kHistDataTick, std::string("\x1f\x8b\x08\x00", 4),
               Opts(SourceFormat::kHistDataTick));
  ASSERT_FALSE(r.stats.ok());
  EXPECT_NE(r.stats.status().message().find("gzip"), std::string::npos);

  // 16 MB of one line, no newline at all, read in 1 MB pieces: one pass, an error, no hang.
  const std::string huge(16 << 20, '7');
  r = RunTicks(SourceFormat::kTrueFx, huge, Opts(SourceFormat::kTrueFx), nullptr, 1 << 20);
  ASSERT_FALSE(r.stats.ok());
  EXPECT_NE(r.stats.status().message().find("line too long"), std::string::npos)
      << r.stats.status().message();

  // A huge line between good rows is one quarantined row.
  Quarantine q;
  const std::string good2 = "EUR/USD,20240102 00:00:02.100,1.10411,1.10418\n";
  r = RunTicks(SourceFormat::kTrueFx, kGoodRow + "\n" + std::string(3 << 20, 'x') + "\n" + good2,
               Opts(SourceFormat::kTrueFx), &q, 1 << 16);
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  EXPECT_EQ(r.ticks.size(), 2u);
  EXPECT_EQ(q.counts_by_reason().at("line too long"), 1);
  EXPECT_EQ(q.examples().at(0).line, 2u);
  EXPECT_EQ(r.stats->bytes, kGoodRow.size() + 1 + (3u << 20) + 1 + good2.size());

  // A line of exactly kMaxLineBytes is fine (it is just a bad row here), one more is too long.
  Quarantine q2;
  r = RunTicks(SourceFormat::kTrueFx,
               kGoodRow + "\n" + std::string(kMaxLineBytes, 'y') + "\r\n" +
                   std::string(kMaxLineBytes + 1, 'z') + "\n",
               Opts(SourceFormat::kTrueFx), &q2, 100);
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  const std::vector<QuarantinedRow> ex = q2.examples();
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_NE(ex[0].reason, "line too long");
  EXPECT_EQ(ex[1].reason, "line too long");
}

TEST(WholeFileTest, HeaderOnlyAndBlankFilesImportNothing) {
  TickRun r = RunTicks(SourceFormat::kMt5Ticks,
                       "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\r\n",
                       Opts(SourceFormat::kMt5Ticks));
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  EXPECT_EQ(r.stats->rows, 0);
  EXPECT_EQ(r.sink_calls, 0);
  r = RunTicks(SourceFormat::kTrueFx, "\n\r\n\n", Opts(SourceFormat::kTrueFx));
  ASSERT_TRUE(r.stats.ok());
  EXPECT_EQ(r.stats->rows, 0);
}

// ---------------------------------------------------------------------------------------------
// Encodings and line ends.

TEST(EncodingTest, CrlfBomsAndUtf16) {
  const std::string lf = TrueFxWithBadRows();
  const std::vector<QuoteTick> want = TrueFxGoodRows();
  for (const std::string& variant :
       {ToCrlf(lf), "\xEF\xBB\xBF" + lf, "\xEF\xBB\xBF" + ToCrlf(lf), ToUtf16Le(lf),
        ToUtf16Le(ToCrlf(lf))}) {
    for (size_t step : {size_t{7}, size_t{4099}, kTextChunkBytes}) {
      Quarantine q;
      TickRun r = RunTicks(SourceFormat::kTrueFx, variant, Opts(SourceFormat::kTrueFx), &q, step);
      ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
      EXPECT_EQ(r.ticks, want);
      ExpectQuarantine(q, kTrueFxBad);
      EXPECT_EQ(r.stats->bytes, variant.size());
    }
  }

  // MT5's usual export: UTF-16LE with a BOM and CRLF.
  const std::string mt5 =
      "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"
      "2024.01.02\t00:00:00.000\t1.10411\t1.10418\t\t\t6\n"
      "2024.01.02\t00:00:00.100\t\t1.10419\t\t\t4\n";
  TickRun plain = RunTicks(SourceFormat::kMt5Ticks, mt5, Opts(SourceFormat::kMt5Ticks));
  TickRun wide = RunTicks(SourceFormat::kMt5Ticks, ToUtf16Le(ToCrlf(mt5)),
                          Opts(SourceFormat::kMt5Ticks), nullptr, 33);
  ASSERT_TRUE(plain.stats.ok());
  ASSERT_TRUE(wide.stats.ok()) << wide.stats.status().ToString();
  EXPECT_EQ(plain.ticks.size(), 2u);
  EXPECT_EQ(plain.ticks, wide.ticks);

  // Non-ASCII UTF-16 characters make a row bad, not the import; a dangling odd byte likewise.
  Quarantine q;
  TickRun odd = RunTicks(SourceFormat::kTrueFx,
                         ToUtf16Le(kGoodRow + "\n") + std::string("\x20\x20", 2) + "x",
                         Opts(SourceFormat::kTrueFx), &q);
  ASSERT_TRUE(odd.stats.ok()) << odd.stats.status().ToString();
  EXPECT_EQ(odd.ticks.size(), 1u);
  EXPECT_EQ(q.total(), 1);
  EXPECT_EQ(q.examples()[0].raw, "??");

  TickRun be = RunTicks(SourceFormat::kMt5Ticks, std::string("\xFE\xFF\0<", 4),
                        Opts(SourceFormat::kMt5Ticks));
  ASSERT_FALSE(be.stats.ok());
  EXPECT_NE(be.stats.status().message().find("big-endian"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Files on disk, several inputs, sinks.

TEST(FilesTest, SeveralFilesInOrderThroughTheDispatcher) {
  const std::string dir = TestDir("files");
  const std::string a = dir + "/a.csv", b = dir + "/b.csv";
  const std::string ca =
      "EUR/USD,20240102 00:00:00.100,1.10411,1.10418\r\n"
      "EUR/USD,20240102 00:00:00.200,1.10412,1.10418\r\n";
  const std::string cb =
      "EUR/USD,20240102 00:00:00.150,1.10411,1.10418\n"  // before a's last row: out of order
      "EUR/USD,20240102 00:00:00.300,1.10413,1.10418\n";
  ASSERT_TRUE(WriteFileAtomic(a, ca).ok());
  ASSERT_TRUE(WriteFileAtomic(b, cb).ok());
  std::vector<QuoteTick> got;
  Quarantine q;
  const std::vector<std::string> in = {a, b};
  Result<ImportStats> r =
      ImportTicks(SourceFormat::kTrueFx, in, Opts(SourceFormat::kTrueFx), &q,
                  [&](std::span<const QuoteTick> t) {
                    got.insert(got.end(), t.begin(), t.end());
                    return Status::Ok();
                  });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->files, 2);
  EXPECT_EQ(r->rows, 4);
  EXPECT_EQ(r->accepted, 3);
  EXPECT_EQ(r->bytes, ca.size() + cb.size());
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[2].ts_event, T("2024-01-02T00:00:00.3Z"));
  ASSERT_EQ(q.total(), 1);
  EXPECT_EQ(q.examples()[0].file, b);
  EXPECT_EQ(q.examples()[0].line, 1u);
  EXPECT_EQ(q.examples()[0].reason, "non-monotonic time");

  // Bars from disk through ImportBars.
  const std::string m1 = dir + "/m1.csv";
  ASSERT_TRUE(WriteFileAtomic(m1, "20240102 170000;1.1041;1.1043;1.1040;1.1042;0\n").ok());
  std::vector<Bar> bars;
  const std::vector<std::string> bin = {m1};
  Result<ImportStats> rb = ImportBars(SourceFormat::kHistDataM1, bin,
                                      Opts(SourceFormat::kHistDataM1), nullptr,
                                      [&](std::span<const Bar> s) {
                                        bars.insert(bars.end(), s.begin(), s.end());
                                        return Status::Ok();
                                      });
  ASSERT_TRUE(rb.ok()) << rb.status().ToString();
  ASSERT_EQ(bars.size(), 1u);
  EXPECT_EQ(bars[0].ts_open, T("2024-01-02T22:00:00Z"));
  std::filesystem::remove_all(dir);
}

TEST(FilesTest, SinkChunksAndSinkErrors) {
  std::string file;
  const int n = static_cast<int>(kSinkChunkRows) * 2 + 5;
  char line[96];
  for (int i = 0; i < n; ++i) {
    std::snprintf(line, sizeof line, "20240102 %02d%02d%02d%03d,1.10411,1.10418,0\n",
                  i / 3600000 % 24, i / 60000 % 60, i / 1000 % 60, i % 1000);
    file += line;
  }
  std::vector<size_t> sizes;
  Result<ImportStats> r = ImportTicksFromText(
      SourceFormat::kHistDataTick, "mem.csv", file, Opts(SourceFormat::kHistDataTick), nullptr,
      [&](std::span<const QuoteTick> t) {
        sizes.push_back(t.size());
        return Status::Ok();
      });
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->accepted, n);
  EXPECT_EQ(sizes, (std::vector<size_t>{kSinkChunkRows, kSinkChunkRows, 5}));

  int calls = 0;
  r = ImportTicksFromText(SourceFormat::kHistDataTick, "mem.csv", file,
                          Opts(SourceFormat::kHistDataTick), nullptr,
                          [&](std::span<const QuoteTick>) {
                            ++calls;
                            return IoError("disk full");
                          });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "disk full");
  EXPECT_EQ(calls, 1);
}

// ---------------------------------------------------------------------------------------------
// Properties.

// Prices parse exactly as Price::Parse does, digit for digit (including rounding past 9 decimals).
TEST(PropertyTest, PricesMatchPriceParse) {
  std::mt19937_64 rng(42);
  std::string file;
  std::vector<Price> want;
  for (int i = 0; i < 2000; ++i) {
    std::string ip = std::to_string(rng() % (i % 3 == 0 ? 10 : 100000));
    const int decimals = static_cast<int>(rng() % 13);
    std::string frac;
    for (int k = 0; k < decimals; ++k) frac += static_cast<char>('0' + rng() % 10);
    std::string bid = ip + (decimals > 0 || rng() % 2 ? "." : "") + frac;
    Price pb = *Price::Parse(bid);
    if (pb.raw() <= 0) continue;
    want.push_back(pb);
    char ts[64];
    std::snprintf(ts, sizeof ts, "EUR/USD,20240102 00:%02d:%02d.%03d,", i / 60000 % 60,
                  i / 1000 % 60, i % 1000);
    file += ts + bid + ",99999\n";
  }
  TickRun r = RunTicks(SourceFormat::kTrueFx, file, Opts(SourceFormat::kTrueFx));
  ASSERT_TRUE(r.stats.ok()) << r.stats.status().ToString();
  ASSERT_EQ(r.ticks.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(r.ticks[i].bid, want[i]) << i;
}

// Random mutations of valid files never crash or hang; whatever comes out obeys the invariants.
TEST(PropertyTest, FuzzedFilesNeverCrash) {
  struct Case {
    SourceFormat format;
    std::string seed;
  };
  const std::vector<Case> cases = {
      {SourceFormat::kTrueFx, TrueFxWithBadRows()},
      {SourceFormat::kHistDataTick,
       "20240102 170000100,1.10411,1.10418,0\n20240102 170000200,1.10412,1.10419,0\n"
       "20240102 170000300,1.10413,1.10420,0\n"},
      {SourceFormat::kMt5Ticks,
       "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"
       "2024.01.02\t00:00:00.000\t1.10411\t1.10418\t\t\t6\n"
       "2024.01.02\t00:00:00.100\t\t1.10419\t\t\t4\n2024.01.02\t00:00:00.200\t1.10412\t\t\t\t2\n"},
      {SourceFormat::kCsv,
       "time,bid,ask\n2024-01-02T00:00:00Z,1.1,1.2\n2024-01-02 00:00:01.5,1.1,1.2\n"},
      {SourceFormat::kHistDataM1,
       "20240102 170000;1.1041;1.1043;1.1040;1.1042;0\n"
       "20240102 170100;1.1042;1.1044;1.1041;1.1043;0\n"},
      {SourceFormat::kMt5Bars,
       "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
       "2024.01.02\t00:00:00\t1.10410\t1.10430\t1.10400\t1.10420\t152\t0\t12\n"
       "2024.01.02\t00:01:00\t1.10420\t1.10430\t1.10400\t1.10425\t15\t0\t10\n"},
  };
  static constexpr char kAlphabet[] = "0123456789.,;:\t\r\n -/<>EURSDZT\xff\x00\"";
  // ARUS_FUZZ_ITERS raises the count for a longer soak (e.g. under AddressSanitizer).
  const char* env = std::getenv("ARUS_FUZZ_ITERS");
  const int iters = env != nullptr ? std::max(1, std::atoi(env)) : 250;
  std::mt19937_64 rng(7);
  int ok_runs = 0;
  for (const Case& c : cases) {
    for (int iter = 0; iter < iters; ++iter) {
      std::string s = c.seed;
      const int edits = 1 + static_cast<int>(rng() % 8);
      for (int e = 0; e < edits && !s.empty(); ++e) {
        const size_t pos = rng() % s.size();
        switch (rng() % 6) {
          case 0: s[pos] = kAlphabet[rng() % (sizeof kAlphabet - 1)]; break;
          case 1: s.erase(pos, 1 + rng() % 8); break;
          case 2: s.insert(pos, 1, kAlphabet[rng() % (sizeof kAlphabet - 1)]); break;
          case 3: s.resize(pos); break;
          case 4: s.insert(pos, s.substr(pos, rng() % 64)); break;
          case 5: s.insert(pos, std::string(rng() % 6000, static_cast<char>('0' + rng() % 10)));
        }
      }
      for (bool strict : {false, true}) {
        ImportOptions o = Opts(c.format, "EURUSD", "UTC");
        o.strict = strict;
        Quarantine q;
        const size_t step = 16 + rng() % 5000;
        if (IsBarFormat(c.format)) {
          std::vector<Bar> bars;
          Result<ImportStats> r = ImportBarsFromText(
              c.format, "fuzz", s, o, &q,
              [&](std::span<const Bar> b) {
                bars.insert(bars.end(), b.begin(), b.end());
                return Status::Ok();
              },
              step);
          if (!r.ok()) continue;
          ++ok_runs;
          EXPECT_EQ(r->accepted + r->quarantined, r->rows);
          EXPECT_EQ(static_cast<size_t>(r->accepted), bars.size());
          for (size_t i = 0; i < bars.size(); ++i) {
            EXPECT_LE(bars[i].low, bars[i].open);
            EXPECT_LE(bars[i].close, bars[i].high);
            EXPECT_GT(bars[i].low.raw(), 0);
            if (i > 0) {
              EXPECT_GT(bars[i].ts_open, bars[i - 1].ts_open);
            }
          }
        } else {
          std::vector<QuoteTick> ticks;
          Result<ImportStats> r = ImportTicksFromText(
              c.format, "fuzz", s, o, &q,
              [&](std::span<const QuoteTick> t) {
                ticks.insert(ticks.end(), t.begin(), t.end());
                return Status::Ok();
              },
              step);
          if (!r.ok()) {
            EXPECT_NE(r.status().message().find("fuzz"), std::string::npos)
                << r.status().message();
            continue;
          }
          ++ok_runs;
          EXPECT_EQ(r->accepted + r->quarantined, r->rows);
          EXPECT_EQ(q.total(), r->quarantined);
          EXPECT_EQ(static_cast<size_t>(r->accepted), ticks.size());
          for (size_t i = 0; i < ticks.size(); ++i) {
            EXPECT_GT(ticks[i].bid.raw(), 0);
            EXPECT_LE(ticks[i].bid, ticks[i].ask);
            if (i > 0) {
              EXPECT_GE(ticks[i].ts_event, ticks[i - 1].ts_event);
            }
          }
        }
      }
    }
  }
  EXPECT_GT(ok_runs, iters);  // the mutations are mild enough that many files still import
}

TEST(GuessTest, RecognisesEachTextFormat) {
  EXPECT_EQ(GuessTextFormat("EUR/USD,20240102 00:00:00.123,1.10411,1.10418"),
            SourceFormat::kTrueFx);
  EXPECT_EQ(GuessTextFormat("20240102 170000123,1.10411,1.10418,0\r"),
            SourceFormat::kHistDataTick);
  EXPECT_EQ(GuessTextFormat("20240102 170000;1.1041;1.1043;1.1040;1.1042;0"),
            SourceFormat::kHistDataM1);
  EXPECT_EQ(GuessTextFormat("<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>"),
            SourceFormat::kMt5Ticks);
  EXPECT_EQ(GuessTextFormat("<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>"),
            SourceFormat::kMt5Bars);
  EXPECT_EQ(GuessTextFormat("2024.01.02\t00:00:00.000\t1.1\t1.2\t\t\t6"), SourceFormat::kMt5Ticks);
  EXPECT_EQ(GuessTextFormat("2024.01.02\t00:00:00\t1\t1\t1\t1\t1\t0\t1"), SourceFormat::kMt5Bars);
  EXPECT_EQ(GuessTextFormat("time,bid,ask"), std::nullopt);
  EXPECT_EQ(GuessTextFormat(""), std::nullopt);
}

}  // namespace
}  // namespace arus::ingest
