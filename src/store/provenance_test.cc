// Provenance records (merge rules, validation) and the manifest fields that hold them, including
// a golden version-1 tick manifest written before provenance existed and the bar manifest.
#include "store/provenance.h"

#include <gtest/gtest.h>

#include <random>

#include "store/manifest.h"

namespace arus::store {
namespace {

ProvenanceRecord Rec(std::string source, int64_t first, int64_t last, uint64_t gen,
                     std::string note = "") {
  ProvenanceRecord r;
  r.provenance.source = std::move(source);
  r.provenance.cleaning_policy = "drop_crossed=true\nmax_spread_pips=50\n";
  r.provenance.policy_hash = "c0ffee";
  r.provenance.note = std::move(note);
  r.first_ts = UnixNanos(first);
  r.last_ts = UnixNanos(last);
  r.first_committed = r.last_committed = UnixNanos(1000 + static_cast<int64_t>(gen));
  r.generation = gen;
  return r;
}

TEST(ProvenanceTest, ConsecutiveAppendsOfOneSourceMerge) {
  std::vector<ProvenanceRecord> v;
  AddProvenance(&v, Rec("truefx", 0, 100, 1));
  AddProvenance(&v, Rec("truefx", 150, 200, 2));  // after a gap no other record touches
  AddProvenance(&v, Rec("truefx", 180, 300, 3));  // overlapping re-send of the tail
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].first_ts, UnixNanos(0));
  EXPECT_EQ(v[0].last_ts, UnixNanos(300));
  EXPECT_EQ(v[0].appends, 3);
  EXPECT_EQ(v[0].generation, 3u);
  EXPECT_EQ(v[0].first_committed, UnixNanos(1001));
  EXPECT_EQ(v[0].last_committed, UnixNanos(1003));
}

TEST(ProvenanceTest, DifferentProvenanceOrBlockedGapsDoNotMerge) {
  std::vector<ProvenanceRecord> v;
  AddProvenance(&v, Rec("truefx", 0, 100, 1));
  AddProvenance(&v, Rec("truefx", 101, 200, 2, "re-cleaned"));  // note differs
  ASSERT_EQ(v.size(), 2u);
  AddProvenance(&v, Rec("dukascopy", 500, 600, 3));
  AddProvenance(&v, Rec("histdata", 300, 400, 4));
  // dukascopy again after histdata: not consecutive with the other dukascopy record.
  AddProvenance(&v, Rec("dukascopy", 700, 800, 5));
  ASSERT_EQ(v.size(), 5u);
  // histdata again, later: the gap (400, 900) holds dukascopy's [500, 600] and [700, 800].
  std::vector<ProvenanceRecord> w;
  AddProvenance(&w, Rec("dukascopy", 500, 600, 1));
  AddProvenance(&w, Rec("histdata", 300, 400, 2));
  AddProvenance(&w, Rec("histdata", 900, 950, 3));
  ASSERT_EQ(w.size(), 3u);
  // ... but a histdata append right after its own range merges: no gap.
  AddProvenance(&w, Rec("histdata", 950, 990, 4));
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[2].last_ts, UnixNanos(990));
  // Earlier data of the same source merges too when nothing lies in between.
  AddProvenance(&w, Rec("histdata", 610, 899, 5));
  ASSERT_EQ(w.size(), 3u);
  EXPECT_EQ(w[2].first_ts, UnixNanos(610));
  EXPECT_EQ(w[2].appends, 3);
}

TEST(ProvenanceTest, Validation) {
  Provenance p;
  EXPECT_EQ(ValidateProvenance(p).code(), StatusCode::kInvalidArgument);  // empty source
  p.source = "synthetic(seed=7,mode=normal)";
  EXPECT_TRUE(ValidateProvenance(p).ok());
  p.note = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\x88";  // é € and an emoji
  EXPECT_TRUE(ValidateProvenance(p).ok());
  for (const char* bad : {"\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"}) {
    p.note = bad;
    const Status s = ValidateProvenance(p);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(s.message().find("'note'"), std::string::npos) << s.ToString();
  }
  p.note.clear();
  p.cleaning_policy.assign(kMaxProvenanceField + 1, 'x');
  EXPECT_NE(ValidateProvenance(p).message().find("cleaning_policy"), std::string::npos);
}

// ---- tick manifests -----------------------------------------------------------------------------

// Written by the first version of the store (commit c6060c6), before provenance existed. Must
// stay readable as "no provenance records".
constexpr char kGoldenV1Manifest[] = R"({
  "format": "arus-tick-manifest",
  "version": 1,
  "symbol": "EURUSD",
  "generation": 17,
  "partitions": [
    {"bytes":812345,"checksum":"9f86d081884c7d65","file":"2024-01-02.17.atk","first_ts":1704146400123000000,"last_ts":1704232799871000000,"price_decimals":5,"ticks":288012,"trading_date":"2024-01-02"},
    {"bytes":790001,"checksum":"0123456789abcdef","file":"2024-01-03.12.atk","first_ts":1704232800004000000,"last_ts":1704319199990000000,"price_decimals":5,"ticks":280000,"trading_date":"2024-01-03"}
  ]
}
)";

TEST(ManifestProvenanceTest, GoldenVersion1ManifestStillReads) {
  auto m = ParseManifest(kGoldenV1Manifest, "golden/MANIFEST.json", "EURUSD");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->generation, 17u);
  ASSERT_EQ(m->partitions.size(), 2u);
  EXPECT_EQ(m->partitions[0].tick_count, 288012);
  EXPECT_EQ(m->partitions[1].file, "2024-01-03.12.atk");
  EXPECT_EQ(m->partitions[1].generation, 12u);
  EXPECT_EQ(m->partitions[1].checksum, 0x0123456789abcdefull);
  EXPECT_TRUE(m->provenance.empty());
  // Written back without records it stays version 1, byte for byte.
  EXPECT_EQ(SerializeManifest(*m), kGoldenV1Manifest);
}

TEST(ManifestProvenanceTest, Version2RoundTripsRecords) {
  auto m = ParseManifest(kGoldenV1Manifest, "m", "EURUSD");
  ASSERT_TRUE(m.ok());
  m->provenance.push_back(Rec("truefx", 1704146400123000000, 1704232799871000000, 12));
  m->provenance.push_back(Rec("truefx", 1704232800004000000, 1704319199990000000, 17,
                              "quote \" backslash \\ newline \n tab \t unicode \xc3\xa9"));
  m->provenance[1].appends = 4;
  const std::string text = SerializeManifest(*m);
  EXPECT_NE(text.find("\"version\": 2"), std::string::npos);
  auto back = ParseManifest(text, "m", "EURUSD");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->provenance, m->provenance);
}

void ExpectBad(const std::string& text, const std::string& needle) {
  auto r = ParseManifest(text, "dir/EURUSD/MANIFEST.json", "EURUSD");
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("dir/EURUSD/MANIFEST.json"), std::string::npos);
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().ToString();
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

TEST(ManifestProvenanceTest, RejectsBadProvenance) {
  auto m = ParseManifest(kGoldenV1Manifest, "m", "EURUSD");
  ASSERT_TRUE(m.ok());
  m->provenance.push_back(Rec("truefx", 10, 20, 5));
  m->provenance.push_back(Rec("dukascopy", 30, 40, 9));
  const std::string good = SerializeManifest(*m);
  ExpectBad(Replace(good, "\"version\": 2", "\"version\": 1"), "not allowed in version 1");
  ExpectBad(Replace(good, ",\n  \"provenance\"", ",\n  \"provenancex\""),
            "field 'provenance': missing");
  ExpectBad(Replace(good, "\"source\":\"truefx\"", "\"source\":\"\""), "source");
  ExpectBad(Replace(good, "\"source\":\"truefx\"", "\"source\":7"), "not a string");
  ExpectBad(Replace(good, "\"first_ts\":10", "\"first_ts\":30"), "before first_ts");
  ExpectBad(Replace(good, "\"appends\":1", "\"appends\":0"), "appends");
  ExpectBad(Replace(good, "\"generation\":9", "\"generation\":18"), "generation");
  ExpectBad(Replace(good, "\"generation\":9", "\"generation\":5"), "not after the previous record");
  ExpectBad(Replace(good, "\"note\":\"\"", "\"note\":null"), "note");
}

// ---- bar manifests and file names ---------------------------------------------------------------

BarManifest SampleBars(BarPeriod period) {
  BarManifest m;
  m.symbol = "EURUSD";
  m.timeframe = period == BarPeriod::kYear ? "H1" : "M1";
  m.side = "bid";
  m.period = period;
  m.generation = 9;
  int64_t start = DaysFromCivil(2023, 11, 1);
  for (int i = 0; i < 3; ++i) {
    BarPartitionEntry p;
    p.period_start = PeriodStart(period, start);
    p.generation = 4 + i;
    p.file = BarPartitionFileName(period, p.period_start, p.generation);
    p.bar_count = 30000 + i;
    p.filled_count = i;
    p.first_ts = p.period_start * kNanosPerDay;
    p.last_ts = p.first_ts + kNanosPerDay;
    p.bytes = 100000 + i;
    p.checksum = 0xabcdef0123456789ull + i;
    p.price_decimals = 5;
    m.partitions.push_back(p);
    start = NextPeriodStart(period, p.period_start);
  }
  m.provenance.push_back(Rec("histdata", m.partitions[0].first_ts, m.partitions[2].last_ts, 9));
  return m;
}

TEST(BarManifestTest, RoundTripBothPeriods) {
  for (BarPeriod period : {BarPeriod::kMonth, BarPeriod::kYear}) {
    const BarManifest m = SampleBars(period);
    const std::string text = SerializeBarManifest(m);
    auto r = ParseBarManifest(text, "p", "EURUSD", m.timeframe, "bid");
    ASSERT_TRUE(r.ok()) << r.status().ToString() << "\n" << text;
    EXPECT_EQ(r->period, period);
    EXPECT_EQ(r->generation, 9u);
    ASSERT_EQ(r->partitions.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_EQ(r->partitions[i].period_start, m.partitions[i].period_start);
      EXPECT_EQ(r->partitions[i].file, m.partitions[i].file);
      EXPECT_EQ(r->partitions[i].bar_count, m.partitions[i].bar_count);
      EXPECT_EQ(r->partitions[i].filled_count, m.partitions[i].filled_count);
      EXPECT_EQ(r->partitions[i].checksum, m.partitions[i].checksum);
    }
    EXPECT_EQ(r->provenance, m.provenance);
  }
  const std::string month = SerializeBarManifest(SampleBars(BarPeriod::kMonth));
  EXPECT_NE(month.find("\"file\":\"2023-12.5.abr\""), std::string::npos) << month;
  EXPECT_NE(month.find("\"period\":\"2024-01\""), std::string::npos) << month;
  const std::string year = SerializeBarManifest(SampleBars(BarPeriod::kYear));
  EXPECT_NE(year.find("\"file\":\"2024.5.abr\""), std::string::npos) << year;
}

TEST(BarManifestTest, RejectsBadContent) {
  const std::string good = SerializeBarManifest(SampleBars(BarPeriod::kMonth));
  auto bad = [&](const std::string& text, const std::string& needle) {
    auto r = ParseBarManifest(text, "b/MANIFEST.json", "EURUSD", "M1", "bid");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    EXPECT_NE(r.status().message().find("b/MANIFEST.json"), std::string::npos);
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().ToString();
  };
  bad(Replace(good, "arus-bar-manifest", "arus-tick-manifest"), "format");
  bad(Replace(good, "\"version\": 1", "\"version\": 2"), "unsupported bar manifest version 2");
  bad(Replace(good, "\"side\": \"bid\"", "\"side\": \"ask\""), "does not match directory");
  bad(Replace(good, "\"timeframe\": \"M1\"", "\"timeframe\": \"M5\""), "does not match");
  bad(Replace(good, "\"period\": \"month\"", "\"period\": \"week\""), "period");
  bad(Replace(good, "\"period\": \"month\"", "\"period\": \"year\""), "not YYYY");
  bad(Replace(good, "2023-12.5.abr", "2023-11.5.abr"), "file");
  bad(Replace(good, "2023-12.5.abr", "../2023-12.5.abr"), "file");
  bad(Replace(good, "\"filled\":1", "\"filled\":-1"), "filled");
  bad(Replace(good, "\"bars\":30001", "\"bars\":0"), "bars");
  bad(Replace(good, ",\n  \"provenance\"", ",\n  \"provenancex\""), "provenance");
  BarManifest m = SampleBars(BarPeriod::kMonth);
  std::swap(m.partitions[0], m.partitions[1]);
  bad(SerializeBarManifest(m), "not after the previous partition");
  std::mt19937_64 rng(8);
  for (int i = 0; i < 2000; ++i) {
    std::string t = good;
    t[rng() % t.size()] = static_cast<char>(rng());
    auto r = ParseBarManifest(t, "b", "EURUSD", "M1", "bid");
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    }
  }
}

TEST(BarManifestTest, PeriodsAndFileNames) {
  const int64_t d = DaysFromCivil(2024, 3, 17);
  EXPECT_EQ(PeriodStart(BarPeriod::kMonth, d), DaysFromCivil(2024, 3, 1));
  EXPECT_EQ(PeriodStart(BarPeriod::kYear, d), DaysFromCivil(2024, 1, 1));
  EXPECT_EQ(NextPeriodStart(BarPeriod::kMonth, DaysFromCivil(2024, 12, 1)),
            DaysFromCivil(2025, 1, 1));
  EXPECT_EQ(NextPeriodStart(BarPeriod::kYear, DaysFromCivil(2024, 1, 1)),
            DaysFromCivil(2025, 1, 1));
  int64_t start;
  uint64_t gen;
  EXPECT_TRUE(ParseBarPartitionFileName("2024-03.12.abr", BarPeriod::kMonth, &start, &gen));
  EXPECT_EQ(start, DaysFromCivil(2024, 3, 1));
  EXPECT_EQ(gen, 12u);
  EXPECT_TRUE(ParseBarPartitionFileName("2024.1.abr", BarPeriod::kYear, &start, &gen));
  EXPECT_EQ(start, DaysFromCivil(2024, 1, 1));
  for (const char* name : {"2024-03.12.abr", "2024-13.1.abr", "2024-03.012.abr", "2024-3.1.abr",
                           "2024-03.1.atk", "2024-03-01.1.abr", "2024-03.1.abr.tmp.5"}) {
    EXPECT_FALSE(ParseBarPartitionFileName(name, BarPeriod::kYear, &start, &gen)) << name;
  }
  for (const char* name : {"2024.1.abr", "2024-13.1.abr", "2024-00.1.abr", "2024-03..abr"}) {
    EXPECT_FALSE(ParseBarPartitionFileName(name, BarPeriod::kMonth, &start, &gen)) << name;
  }
}

}  // namespace
}  // namespace arus::store
