// Dukascopy bi5 importer: fixtures are real LZMA "alone" files built here with liblzma, in a
// temporary SYMBOL/YYYY/MM/DD/HHh_ticks.bi5 tree with 0-based months.
#include "ingest/dukascopy.h"

#include <gtest/gtest.h>
#include <lzma.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "fx/instrument.h"

namespace arus::ingest {
namespace {

namespace fs = std::filesystem;

struct Rec {
  uint32_t ms;
  uint32_t ask;
  uint32_t bid;
  float ask_volume;
  float bid_volume;
};

void PutBe32(std::string* s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// The decoded bi5 payload: 20-byte big-endian records, ask before bid.
std::string Records(const std::vector<Rec>& recs) {
  std::string s;
  for (const Rec& r : recs) {
    PutBe32(&s, r.ms);
    PutBe32(&s, r.ask);
    PutBe32(&s, r.bid);
    uint32_t bits;
    std::memcpy(&bits, &r.ask_volume, 4);
    PutBe32(&s, bits);
    std::memcpy(&bits, &r.bid_volume, 4);
    PutBe32(&s, bits);
  }
  return s;
}

std::string RunEncoder(lzma_stream* s, std::string_view raw) {
  std::string out(raw.size() + raw.size() / 2 + 4096, '\0');
  s->next_in = reinterpret_cast<const uint8_t*>(raw.data());
  s->avail_in = raw.size();
  size_t done = 0;
  for (;;) {
    s->next_out = reinterpret_cast<uint8_t*>(out.data()) + done;
    s->avail_out = out.size() - done;
    const lzma_ret r = lzma_code(s, LZMA_FINISH);
    done = out.size() - s->avail_out;
    if (r == LZMA_STREAM_END) break;
    EXPECT_EQ(r, LZMA_OK);
    if (r != LZMA_OK) break;
    if (s->avail_out == 0) out.resize(out.size() * 2);
  }
  lzma_end(s);
  out.resize(done);
  return out;
}

// .lzma "alone" with an unknown size in the header and an end marker (what lzma_alone_encoder
// writes).
std::string LzmaAlone(std::string_view raw, uint32_t preset = 6) {
  lzma_options_lzma opt{};
  EXPECT_FALSE(lzma_lzma_preset(&opt, preset));
  lzma_stream s{};
  EXPECT_EQ(lzma_alone_encoder(&s, &opt), LZMA_OK);
  return RunEncoder(&s, raw);
}

// .lzma "alone" as Dukascopy writes it: the decoded size in the header and no end marker.
std::string LzmaKnownSize(std::string_view raw, uint32_t preset = 6) {
  lzma_options_lzma opt{};
  EXPECT_FALSE(lzma_lzma_preset(&opt, preset));
  opt.ext_flags = 0;  // no end marker
  lzma_filter filters[2] = {{LZMA_FILTER_LZMA1EXT, &opt}, {LZMA_VLI_UNKNOWN, nullptr}};
  lzma_stream s{};
  EXPECT_EQ(lzma_raw_encoder(&s, filters), LZMA_OK);
  std::string header;
  header.push_back(static_cast<char>((opt.pb * 5 + opt.lp) * 9 + opt.lc));
  for (int i = 0; i < 4; ++i)
    header.push_back(static_cast<char>((opt.dict_size >> (8 * i)) & 0xff));
  const uint64_t size = raw.size();
  for (int i = 0; i < 8; ++i) header.push_back(static_cast<char>((size >> (8 * i)) & 0xff));
  return header + RunEncoder(&s, raw);
}

std::string TestDir(const std::string& name) {
  const char* base = std::getenv("ARUS_TEST_TMP");
  fs::path p = base != nullptr ? fs::path(base) : fs::temp_directory_path();
  p /= "bi5_" + name + "_" + std::to_string(::getpid());
  fs::remove_all(p);
  fs::create_directories(p);
  return p.string();
}

void WriteBytes(const std::string& path, std::string_view data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(f.good()) << path;
}

// SYMBOL/YYYY/MM/DD/HHh_ticks.bi5 with a 0-based month.
std::string HourPath(const std::string& dir, int y, int m0, int d, int h) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "/%04d/%02d/%02d/%02dh_ticks.bi5", y, m0, d, h);
  return dir + buf;
}

UnixNanos Iso(const char* s) { return ParseIsoUtc(s).value(); }

fx::Instrument Instr(const char* symbol) {
  return *fx::InstrumentTable::Builtin().Find(symbol).value();
}

QuoteTick Tick(const char* iso, int64_t bid, int64_t ask, int d, float bv, float av) {
  QuoteTick t;
  t.ts_event = Iso(iso);
  t.bid = Price::FromScaled(bid, d);
  t.ask = Price::FromScaled(ask, d);
  t.bid_volume = bv;
  t.ask_volume = av;
  return t;
}

// Collects what the importer hands to the sink and checks chunks arrive in time order.
struct Collector {
  std::vector<QuoteTick> ticks;
  int chunks = 0;
  TickSink Sink() {
    return [this](std::span<const QuoteTick> c) {
      EXPECT_FALSE(c.empty());
      for (const QuoteTick& t : c) {
        if (!ticks.empty()) {
          EXPECT_LE(ticks.back().ts_event, t.ts_event);
        }
        ticks.push_back(t);
      }
      ++chunks;
      return Status::Ok();
    };
  }
};

ImportOptions Options(const char* symbol, int threads = 1) {
  ImportOptions o;
  o.instrument = Instr(symbol);
  o.threads = threads;
  return o;
}

// Checks the properties every emitted tick must have.
void ExpectValidTicks(const std::vector<QuoteTick>& ticks, UnixNanos hour) {
  for (size_t i = 0; i < ticks.size(); ++i) {
    const QuoteTick& t = ticks[i];
    ASSERT_GE(t.ts_event, hour);
    ASSERT_LT(t.ts_event.ns(), hour.ns() + kNanosPerHour);
    if (i > 0) {
      ASSERT_LE(ticks[i - 1].ts_event, t.ts_event);
    }
    ASSERT_GT(t.bid.raw(), 0);
    ASSERT_LE(t.bid, t.ask);
    ASSERT_TRUE(std::isfinite(t.bid_volume) && t.bid_volume >= 0);
    ASSERT_TRUE(std::isfinite(t.ask_volume) && t.ask_volume >= 0);
  }
}

// ---------------------------------------------------------------------------------------------
// Paths

TEST(Bi5Path, GoldenHours) {
  EXPECT_EQ(Bi5HourFromPath("EURUSD/2024/00/02/13h_ticks.bi5").value(),
            Iso("2024-01-02T13:00:00Z"));  // month 00 = January
  EXPECT_EQ(Bi5HourFromPath("/data/duka/EURUSD/2023/11/31/23h_ticks.bi5").value(),
            Iso("2023-12-31T23:00:00Z"));
  EXPECT_EQ(Bi5HourFromPath("2024/01/29/00h_ticks.bi5").value(), Iso("2024-02-29T00:00:00Z"));
  EXPECT_EQ(Bi5HourFromPath("C:\\duka\\EURUSD\\2024\\02\\10\\07h_ticks.bi5").value(),
            Iso("2024-03-10T07:00:00Z"));
}

TEST(Bi5Path, BadPathsAreErrorsNamingThePath) {
  const char* bad[] = {
      "EURUSD/2024/12/01/00h_ticks.bi5",  // month 12 does not exist when 0-based
      "EURUSD/2023/01/29/00h_ticks.bi5",  // 29 February 2023
      "EURUSD/2024/00/00/00h_ticks.bi5",  // day 0
      "EURUSD/2024/00/32/00h_ticks.bi5",
      "EURUSD/2024/00/01/24h_ticks.bi5",  // hour 24
      "EURUSD/2024/00/01/1h_ticks.bi5",
      "EURUSD/2024/00/01/01h_tick.bi5",
      "EURUSD/2024/00/01/01h_ticks.bi",
      "EURUSD/24/00/01/01h_ticks.bi5",
      "EURUSD/2024/0a/01/01h_ticks.bi5",
      "EURUSD/1900/00/01/01h_ticks.bi5",
      "00/01/01h_ticks.bi5",
      "",
  };
  for (const char* p : bad) {
    auto r = Bi5HourFromPath(p);
    ASSERT_FALSE(r.ok()) << p;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find("'" + std::string(p) + "'"), std::string::npos)
        << r.status().message();
    EXPECT_NE(r.status().message().find("0-based"), std::string::npos);
  }
}

// ---------------------------------------------------------------------------------------------
// Decoding one file

const std::vector<Rec> kEurRecs = {
    {0, 110418, 110411, 1.5f, 2.25f},
    {1234, 110420, 110412, 0.75f, 1.0f},
    {1234, 110421, 110413, 3.0f, 0.0f},  // same millisecond: allowed
    {3599999, 110430, 110425, 1.0f, 4.5f},
};

std::vector<QuoteTick> EurGolden(const char* hour_iso_prefix) {
  const std::string h = hour_iso_prefix;
  auto at = [&](const char* mmss) { return h + ":" + mmss + "Z"; };
  return {Tick(at("00:00.000").c_str(), 110411, 110418, 5, 2.25f, 1.5f),
          Tick(at("00:01.234").c_str(), 110412, 110420, 5, 1.0f, 0.75f),
          Tick(at("00:01.234").c_str(), 110413, 110421, 5, 0.0f, 3.0f),
          Tick(at("59:59.999").c_str(), 110425, 110430, 5, 4.5f, 1.0f)};
}

TEST(DecodeBi5, GoldenEurUsdAskBeforeBidBothHeaderStyles) {
  const std::string raw = Records(kEurRecs);
  for (const std::string& file : {LzmaAlone(raw), LzmaKnownSize(raw)}) {
    Quarantine q;
    std::vector<QuoteTick> out;
    ASSERT_TRUE(DecodeBi5(file, Iso("2024-01-02T13:00:00Z"), 5, "x.bi5", &q, true, &out).ok());
    EXPECT_EQ(out, EurGolden("2024-01-02T13"));
    EXPECT_EQ(out[0].bid.raw(), 1'104'110'000);  // exact fixed point, not via double
    EXPECT_EQ(out[0].ask.raw(), 1'104'180'000);
    EXPECT_EQ(q.total(), 0);  // in particular no "trailing bytes" for either style
  }
}

TEST(DecodeBi5, GoldenUsdJpyThreeDecimals) {
  const std::string file = LzmaKnownSize(Records({{500, 141235, 141230, 1.0f, 2.0f}}));
  std::vector<QuoteTick> out;
  ASSERT_TRUE(DecodeBi5(file, Iso("2024-01-02T13:00:00Z"), 3, "j.bi5", nullptr, true, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0], Tick("2024-01-02T13:00:00.500Z", 141230, 141235, 3, 2.0f, 1.0f));
  EXPECT_EQ(out[0].bid.ToString(3), "141.230");
  EXPECT_EQ(out[0].ask.ToString(3), "141.235");
}

TEST(DecodeBi5, EmptyFileIsAnHourWithoutTicks) {
  std::vector<QuoteTick> out = {Tick("2024-01-02T00:00:00Z", 1, 2, 5, 0, 0)};
  Quarantine q;
  ASSERT_TRUE(DecodeBi5("", Iso("2024-01-02T13:00:00Z"), 5, "e.bi5", &q, true, &out).ok());
  EXPECT_EQ(out.size(), 1u);  // appended nothing, kept what was there
  EXPECT_EQ(q.total(), 0);
  // An LZMA stream of zero records is just as empty.
  ASSERT_TRUE(
      DecodeBi5(LzmaAlone(""), Iso("2024-01-02T13:00:00Z"), 5, "e.bi5", &q, true, &out).ok());
  EXPECT_EQ(out.size(), 1u);
}

TEST(DecodeBi5, EveryBadRecordIsQuarantinedAndNoValidTickIsLost) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float inf = std::numeric_limits<float>::infinity();
  std::string raw = Records({
      {100, 110418, 110411, 1, 1},       // 1 valid
      {3600000, 110418, 110411, 1, 1},   // 2 time outside the hour
      {200, 0, 110411, 1, 1},            // 3 bad ask
      {300, 110418, 0x80000005u, 1, 1},  // 4 negative-looking bid
      {400, 110400, 110411, 1, 1},       // 5 crossed
      {500, 110418, 110411, nan, 1},     // 6 bad ask volume
      {600, 110418, 110411, 1, -1.0f},   // 7 bad bid volume
      {700, 110418, 110411, inf, 1},     // 8 bad ask volume
      {800, 110419, 110412, 2, 3},       // 9 valid
      {700, 110418, 110411, 1, 1},       // 10 back in time
      {800, 110411, 110411, 0, 0},       // 11 valid (zero spread, zero volume)
  });
  raw += std::string("\x00\x00\x03\x84\x00\x01\xaf", 7);  // 7 bytes of a 12th record
  const std::string file = LzmaAlone(raw);
  const UnixNanos hour = Iso("2024-01-02T13:00:00Z");

  Quarantine q(100);
  std::vector<QuoteTick> out;
  ASSERT_TRUE(DecodeBi5(file, hour, 5, "EURUSD/2024/00/02/13h_ticks.bi5", &q, false, &out).ok());
  const std::vector<QuoteTick> want = {
      Tick("2024-01-02T13:00:00.100Z", 110411, 110418, 5, 1, 1),
      Tick("2024-01-02T13:00:00.800Z", 110412, 110419, 5, 3, 2),
      Tick("2024-01-02T13:00:00.800Z", 110411, 110411, 5, 0, 0),
  };
  EXPECT_EQ(out, want);

  struct Want {
    uint64_t line;
    const char* field;
    const char* reason;
    const char* detail_part;
  };
  const Want rows[] = {
      {2, "time", "time outside the hour", "3600000 ms"},
      {3, "ask", "bad price", "ask 0"},
      {4, "bid", "bad price", "bid 2147483653"},
      {5, "bid", "crossed quote", "bid 1.10411 > ask 1.10400"},
      {6, "ask_volume", "bad volume", "nan"},
      {7, "bid_volume", "bad volume", "-1"},
      {8, "ask_volume", "bad volume", "inf"},
      {10, "time", "non-monotonic time", "700 ms is before the previous tick's 800 ms"},
      {12, "record", "truncated record", "7 trailing bytes"},
  };
  const auto ex = q.examples();
  ASSERT_EQ(ex.size(), std::size(rows));
  for (size_t i = 0; i < ex.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(ex[i].file, "EURUSD/2024/00/02/13h_ticks.bi5");
    EXPECT_EQ(ex[i].line, rows[i].line);
    EXPECT_EQ(ex[i].field, rows[i].field);
    EXPECT_EQ(ex[i].reason, rows[i].reason);
    EXPECT_NE(ex[i].detail.find(rows[i].detail_part), std::string::npos) << ex[i].detail;
    EXPECT_FALSE(ex[i].raw.empty());
  }
  EXPECT_EQ(q.counts_by_reason().at("bad volume"), 3);
  EXPECT_EQ(q.counts_by_reason().at("bad price"), 2);
}

TEST(DecodeBi5, StrictStopsAtTheFirstBadRecordNamingFileLineField) {
  const UnixNanos hour = Iso("2024-01-02T13:00:00Z");
  struct Case {
    std::vector<Rec> recs;
    std::string extra;
    const char* what;
  };
  const Case cases[] = {
      {{{1, 110418, 110411, 1, 1}, {3600001, 110418, 110411, 1, 1}},
       "",
       ":2: field 'time': time outside"},
      {{{1, 110418, 110411, 1, 1}, {2, 110400, 110411, 1, 1}},
       "",
       ":2: field 'bid': crossed quote"},
      {{{1, 0, 0, 1, 1}}, "", ":1: field 'ask': bad price"},
      {{{5, 110418, 110411, 1, 1}, {4, 110418, 110411, 1, 1}}, "", "non-monotonic time"},
      {{{5, 110418, 110411, 1, -2}}, "", ":1: field 'bid_volume': bad volume"},
      {{{5, 110418, 110411, 1, 1}}, "abc", ":2: field 'record': truncated record"},
  };
  for (const Case& c : cases) {
    std::vector<QuoteTick> out;
    Quarantine q;
    Status st = DecodeBi5(LzmaAlone(Records(c.recs) + c.extra), hour, 5, "dir/13h_ticks.bi5", &q,
                          true, &out);
    ASSERT_FALSE(st.ok()) << c.what;
    EXPECT_EQ(st.code(), StatusCode::kParseError);
    EXPECT_NE(st.message().find("dir/13h_ticks.bi5"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(c.what), std::string::npos) << st.message();
    EXPECT_TRUE(out.empty());  // an error appends nothing
    EXPECT_EQ(q.total(), 0);
  }
}

TEST(DecodeBi5, BadFilesQuarantinedWholeOrErrorWithStrict) {
  const std::string good = LzmaAlone(Records(kEurRecs));
  const std::string good_known = LzmaKnownSize(Records(kEurRecs));
  struct Case {
    std::string name;
    std::string bytes;
    const char* detail_part;
  };
  std::string bad_props = good;
  bad_props[0] = static_cast<char>(0xff);  // lc/lp/pb byte out of range
  std::string huge_dict = good;
  huge_dict[4] = static_cast<char>(0x80);  // 2 GiB dictionary: over the memory limit
  const std::vector<Case> cases = {
      {"truncated stream", good.substr(0, good.size() / 2), "truncated LZMA stream"},
      {"truncated known-size stream", good_known.substr(0, good_known.size() - 3),
       "truncated LZMA stream"},
      {"header only", good.substr(0, 13), "truncated LZMA stream"},
      {"short header", good.substr(0, 7), "truncated LZMA header"},
      {"text", std::string("this is not an LZMA file at all, just some text\n"),
       "declared decoded size"},
      {"garbage after a plausible header",
       std::string("\x5d\x00\x00\x10\x00\xff\xff\xff\xff\xff\xff\xff\xff", 13) +
           "garbage garbage garbage",
       "corrupt LZMA data"},
      {"bad props", bad_props, "LZMA"},
      {"huge dictionary", huge_dict, "MiB"},
  };
  const UnixNanos hour = Iso("2024-01-02T13:00:00Z");
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<QuoteTick> out;
    Quarantine q;
    ASSERT_TRUE(DecodeBi5(c.bytes, hour, 5, "f/13h_ticks.bi5", &q, false, &out).ok());
    EXPECT_TRUE(out.empty());
    ASSERT_EQ(q.total(), 1);
    const auto ex = q.examples();
    EXPECT_EQ(ex[0].file, "f/13h_ticks.bi5");
    EXPECT_EQ(ex[0].line, 0u);
    EXPECT_EQ(ex[0].reason, "bad file");
    EXPECT_NE(ex[0].detail.find(c.detail_part), std::string::npos) << ex[0].detail;

    Status st = DecodeBi5(c.bytes, hour, 5, "f/13h_ticks.bi5", nullptr, true, &out);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.message().find("f/13h_ticks.bi5"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("bad file"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find(c.detail_part), std::string::npos) << st.message();
  }
}

TEST(DecodeBi5, TrailingBytesAfterTheStreamAreReportedTicksKept) {
  const std::string file = LzmaAlone(Records(kEurRecs)) + "xyz";
  const UnixNanos hour = Iso("2024-01-02T13:00:00Z");
  std::vector<QuoteTick> out;
  Quarantine q;
  ASSERT_TRUE(DecodeBi5(file, hour, 5, "t.bi5", &q, false, &out).ok());
  EXPECT_EQ(out, EurGolden("2024-01-02T13"));
  ASSERT_EQ(q.total(), 1);
  EXPECT_EQ(q.examples()[0].reason, "trailing bytes");
  EXPECT_EQ(q.examples()[0].line, 0u);
  out.clear();
  Status st = DecodeBi5(file, hour, 5, "t.bi5", nullptr, true, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("t.bi5"), std::string::npos);
  EXPECT_NE(st.message().find("trailing bytes"), std::string::npos);
  EXPECT_TRUE(out.empty());
}

TEST(DecodeBi5, DecompressionBombIsCapped) {
  const UnixNanos hour = Iso("2024-01-02T13:00:00Z");
  // 65 MiB of zeros (valid-looking records would be ms=0, prices 0) compresses to a few KiB.
  const std::string zeros(kMaxBi5DecodedBytes + (size_t{1} << 20), '\0');
  const std::string bomb = LzmaAlone(zeros, 0);
  ASSERT_LT(bomb.size(), size_t{64} << 10);
  std::vector<QuoteTick> out;
  Quarantine q;
  ASSERT_TRUE(DecodeBi5(bomb, hour, 5, "bomb.bi5", &q, false, &out).ok());
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(q.total(), 1);
  EXPECT_EQ(q.examples()[0].reason, "bad file");
  EXPECT_NE(q.examples()[0].detail.find("64 MiB"), std::string::npos) << q.examples()[0].detail;

  // A header declaring a huge size is refused before decoding anything.
  std::string declared = LzmaKnownSize(Records(kEurRecs));
  declared[5 + 4] = 0x01;  // decoded size += 4 GiB
  Status st = DecodeBi5(declared, hour, 5, "declared.bi5", nullptr, true, &out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("exceeds the 64 MiB cap"), std::string::npos) << st.message();
}

TEST(DecodeBi5, FuzzTruncationsAndByteFlipsNeverCrash) {
  std::mt19937_64 rng(42);
  std::vector<Rec> recs;
  uint32_t ms = 0, bid = 110000;
  for (int i = 0; i < 300; ++i) {
    ms += static_cast<uint32_t>(rng() % 5000);
    bid = bid + static_cast<uint32_t>(rng() % 5) - 2;
    recs.push_back({ms, bid + 1 + static_cast<uint32_t>(rng() % 20), bid, 1.5f, 2.25f});
  }
  const std::string raw = Records(recs);
  const std::string seeds[] = {LzmaAlone(raw), LzmaKnownSize(raw)};
  const UnixNanos hour = Iso("2024-01-02T13:00:00Z");
  int64_t decoded_some = 0, rejected_file = 0, rejected_record = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string f = seeds[iter % 2];
    const int op = static_cast<int>(rng() % 4);
    if (op == 3) {
      // Damage the decoded records instead, so record validation sees hostile input.
      std::string r = raw;
      const int flips = 1 + static_cast<int>(rng() % 16);
      for (int k = 0; k < flips; ++k) r[rng() % r.size()] ^= static_cast<char>(1u << (rng() % 8));
      if (rng() % 4 == 0) r.resize(rng() % (r.size() + 1));
      f = iter % 2 ? LzmaAlone(r, 0) : LzmaKnownSize(r, 0);
    }
    if (op == 0 || op == 2) f.resize(rng() % (f.size() + 1));
    if ((op == 1 || op == 2) && !f.empty()) {
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int k = 0; k < flips; ++k) {
        f[rng() % f.size()] ^= static_cast<char>(1u << (rng() % 8));
      }
    }
    std::vector<QuoteTick> out;
    Quarantine q(0);
    ASSERT_TRUE(DecodeBi5(f, hour, 5, "fuzz.bi5", &q, false, &out).ok());
    ExpectValidTicks(out, hour);
    for (const auto& [reason, n] : q.counts_by_reason()) {
      (reason == "bad file" ? rejected_file : rejected_record) += n;
    }
    decoded_some += out.empty() ? 0 : 1;
    std::vector<QuoteTick> strict_out;
    Status st = DecodeBi5(f, hour, 5, "fuzz.bi5", nullptr, true, &strict_out);
    if (st.ok()) {
      EXPECT_EQ(strict_out, out);  // strict accepts only what lenient kept in full
    } else {
      EXPECT_TRUE(strict_out.empty());
      EXPECT_NE(st.message().find("fuzz.bi5"), std::string::npos);
    }
  }
  // The loop exercised both outcomes.
  EXPECT_GT(decoded_some, 100);
  EXPECT_GT(rejected_file, 100);
  EXPECT_GT(rejected_record, 100);
}

// ---------------------------------------------------------------------------------------------
// Importing trees

// root/{EURUSD,USDJPY,GBPUSD}/... with golden hours: 2024-01-02 13h (month 00), an empty 14h,
// and 23h on 2024-03-11, the first Monday after the US DST change (bi5 is UTC: no shift).
struct GoldenTree {
  std::string root;
  GoldenTree() : root(TestDir("golden")) {
    const std::string eur = root + "/EURUSD";
    WriteBytes(HourPath(eur, 2024, 0, 2, 13), LzmaKnownSize(Records(kEurRecs)));
    WriteBytes(HourPath(eur, 2024, 0, 2, 14), "");
    WriteBytes(HourPath(eur, 2024, 2, 11, 23),
               LzmaAlone(Records({{250, 108761, 108755, 1.5f, 2.25f}})));
    const std::string jpy = root + "/USDJPY";
    WriteBytes(HourPath(jpy, 2024, 0, 2, 13),
               LzmaAlone(Records({{500, 141235, 141230, 1.0f, 2.0f}})));
    WriteBytes(HourPath(root + "/GBPUSD", 2024, 0, 2, 13),
               LzmaAlone(Records({{7, 127001, 126990, 1.0f, 1.0f}})));
  }
  static std::vector<QuoteTick> EurTicks() {
    std::vector<QuoteTick> want = EurGolden("2024-01-02T13");
    want.push_back(Tick("2024-03-11T23:00:00.250Z", 108755, 108761, 5, 2.25f, 1.5f));
    return want;
  }
};

TEST(ImportDukascopy, RootWithSeveralSymbolsPicksTheInstrumentsFolder) {
  GoldenTree tree;
  Collector c;
  ImportOptions o = Options("EURUSD");
  o.instrument.symbol = "eurusd";  // folder match is case-insensitive
  Quarantine q;
  auto stats = ImportDukascopy(std::vector<std::string>{tree.root}, o, &q, c.Sink());
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(c.ticks, GoldenTree::EurTicks());
  EXPECT_EQ(stats->files, 3);  // the empty hour counts as a file read
  EXPECT_EQ(stats->rows, 5);
  EXPECT_EQ(stats->accepted, 5);
  EXPECT_EQ(stats->quarantined, 0);
  EXPECT_EQ(stats->first, Iso("2024-01-02T13:00:00Z"));
  EXPECT_EQ(stats->last, Iso("2024-03-11T23:00:00.250Z"));
  uint64_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(tree.root + "/EURUSD")) {
    if (e.is_regular_file()) bytes += e.file_size();
  }
  EXPECT_EQ(stats->bytes, bytes);
  EXPECT_EQ(q.total(), 0);

  Collector jpy;
  auto js = ImportDukascopy(std::vector<std::string>{tree.root}, Options("USDJPY"), &q, jpy.Sink());
  ASSERT_TRUE(js.ok()) << js.status().ToString();
  ASSERT_EQ(jpy.ticks.size(), 1u);
  EXPECT_EQ(jpy.ticks[0], Tick("2024-01-02T13:00:00.500Z", 141230, 141235, 3, 2.0f, 1.0f));
}

TEST(ImportDukascopy, SymbolFolderAndSingleFileAndDateFolder) {
  GoldenTree tree;
  Collector a;
  ASSERT_TRUE(ImportDukascopy(std::vector<std::string>{tree.root + "/EURUSD"}, Options("EURUSD"),
                              nullptr, a.Sink())
                  .ok());
  EXPECT_EQ(a.ticks, GoldenTree::EurTicks());

  Collector b;
  const std::string one = HourPath(tree.root + "/EURUSD", 2024, 2, 11, 23);
  auto s = ImportDukascopy(std::vector<std::string>{one}, Options("EURUSD"), nullptr, b.Sink());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  ASSERT_EQ(b.ticks.size(), 1u);
  EXPECT_EQ(b.ticks[0].ts_event, Iso("2024-03-11T23:00:00.250Z"));
  EXPECT_EQ(s->files, 1);

  Collector c;  // a month folder inside the tree
  ASSERT_TRUE(ImportDukascopy(std::vector<std::string>{tree.root + "/EURUSD/2024/00"},
                              Options("EURUSD"), nullptr, c.Sink())
                  .ok());
  EXPECT_EQ(c.ticks, EurGolden("2024-01-02T13"));

  // Several inputs are merged in time order whatever order they are given in.
  Collector d;
  const std::string jan = HourPath(tree.root + "/EURUSD", 2024, 0, 2, 13);
  ASSERT_TRUE(
      ImportDukascopy(std::vector<std::string>{one, jan}, Options("EURUSD"), nullptr, d.Sink())
          .ok());
  EXPECT_EQ(d.ticks, GoldenTree::EurTicks());
}

TEST(ImportDukascopy, WrongOrMissingSymbolAndDuplicateHours) {
  GoldenTree tree;
  Collector c;
  auto r =
      ImportDukascopy(std::vector<std::string>{tree.root}, Options("AUDNZD"), nullptr, c.Sink());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("AUDNZD"), std::string::npos);
  EXPECT_NE(r.status().message().find("EURUSD, GBPUSD, USDJPY"), std::string::npos)
      << r.status().message();

  // A folder of another known instrument would be mis-scaled: refused.
  for (const char* suffix : {"/USDJPY", "/USDJPY/"}) {
    r = ImportDukascopy(std::vector<std::string>{tree.root + suffix}, Options("EURUSD"), nullptr,
                        c.Sink());
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("holds USDJPY data"), std::string::npos)
        << r.status().message();
  }
  r = ImportDukascopy(std::vector<std::string>{HourPath(tree.root + "/USDJPY", 2024, 0, 2, 13)},
                      Options("EURUSD"), nullptr, c.Sink());
  ASSERT_FALSE(r.ok());

  const std::string f = HourPath(tree.root + "/EURUSD", 2024, 0, 2, 13);
  r = ImportDukascopy(std::vector<std::string>{f, tree.root}, Options("EURUSD"), nullptr, c.Sink());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("two files for the hour 2024-01-02T13:00:00Z"),
            std::string::npos)
      << r.status().message();

  r = ImportDukascopy(std::vector<std::string>{tree.root + "/nope"}, Options("EURUSD"), nullptr,
                      c.Sink());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nope"), std::string::npos);

  ImportOptions o = Options("EURUSD");
  o.zone = fx::SourceZone::Parse("EST").value();
  r = ImportDukascopy(std::vector<std::string>{tree.root}, o, nullptr, c.Sink());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("UTC"), std::string::npos);
  EXPECT_TRUE(c.ticks.empty());
}

TEST(ImportDukascopy, UnparseablePathInATreeIsAnErrorNamingIt) {
  const std::string root = TestDir("badpath");
  WriteBytes(HourPath(root + "/EURUSD", 2024, 0, 2, 13), LzmaAlone(Records(kEurRecs)));
  const std::string bad = root + "/EURUSD/2024/12/01/00h_ticks.bi5";  // month 12 (0-based!)
  WriteBytes(bad, LzmaAlone(Records(kEurRecs)));
  WriteBytes(root + "/EURUSD/2024/00/02/notes.txt", "other files are ignored");
  Collector c;
  auto r = ImportDukascopy(std::vector<std::string>{root}, Options("EURUSD"), nullptr, c.Sink());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find(bad), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("month '12'"), std::string::npos) << r.status().message();
  EXPECT_TRUE(c.ticks.empty());  // nothing is imported before the whole file list is known
}

TEST(ImportDukascopy, DateRangeSelectsHoursAndDropsTicksOutside) {
  const std::string root = TestDir("range");
  const std::string eur = root + "/EURUSD";
  const uint32_t kMs[] = {0, 900000, 1800000, 2700000, 3599999};
  for (int h = 0; h < 6; ++h) {
    std::vector<Rec> recs;
    for (uint32_t ms : kMs) recs.push_back({ms, 110420u + static_cast<uint32_t>(h), 110410, 1, 1});
    WriteBytes(HourPath(eur, 2024, 0, 3, h), LzmaAlone(Records(recs)));
  }
  WriteBytes(HourPath(eur, 2024, 5, 3, 0), LzmaAlone(Records({{1, 2, 1, 1, 1}})));
  // Date folders outside the range are never descended into (this one would be an error).
  WriteBytes(eur + "/2024/07/01/99h_ticks.bi5", "");

  for (int threads : {1, 2}) {
    ImportOptions o = Options("EURUSD", threads);
    o.from = Iso("2024-01-03T01:30:00Z");
    o.to = Iso("2024-01-03T04:00:00Z");
    Collector c;
    Quarantine q;
    auto s = ImportDukascopy(std::vector<std::string>{root}, o, &q, c.Sink());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->files, 3);  // hours 01, 02, 03
    EXPECT_EQ(s->rows, 15);
    ASSERT_EQ(c.ticks.size(), 13u);
    EXPECT_EQ(c.ticks.front().ts_event, Iso("2024-01-03T01:30:00Z"));
    EXPECT_EQ(c.ticks.back().ts_event, Iso("2024-01-03T03:59:59.999Z"));
    for (const QuoteTick& t : c.ticks) {
      EXPECT_GE(t.ts_event, o.from);
      EXPECT_LT(t.ts_event, o.to);
    }
    EXPECT_EQ(q.total(), 0);  // dropped, not quarantined
    EXPECT_EQ(s->quarantined, 0);
  }
}

TEST(ImportDukascopy, BadFileQuarantinedAndImportGoesOnOrStrictError) {
  const std::string root = TestDir("badfile");
  const std::string eur = root + "/EURUSD";
  WriteBytes(HourPath(eur, 2024, 0, 2, 12), LzmaAlone(Records(kEurRecs)));
  const std::string good = LzmaAlone(Records(kEurRecs));
  const std::string bad = HourPath(eur, 2024, 0, 2, 13);
  WriteBytes(bad, good.substr(0, good.size() - 10));  // truncated stream
  WriteBytes(HourPath(eur, 2024, 0, 2, 14), LzmaKnownSize(Records(kEurRecs)));

  for (int threads : {1, 2}) {
    Collector c;
    Quarantine q;
    auto s =
        ImportDukascopy(std::vector<std::string>{root}, Options("EURUSD", threads), &q, c.Sink());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    std::vector<QuoteTick> want = EurGolden("2024-01-02T12");
    for (const QuoteTick& t : EurGolden("2024-01-02T14")) want.push_back(t);
    EXPECT_EQ(c.ticks, want);
    EXPECT_EQ(s->files, 3);
    EXPECT_EQ(s->quarantined, 1);
    ASSERT_EQ(q.total(), 1);
    EXPECT_EQ(q.examples()[0].file, bad);
    EXPECT_EQ(q.examples()[0].line, 0u);
    EXPECT_EQ(q.examples()[0].reason, "bad file");

    ImportOptions o = Options("EURUSD", threads);
    o.strict = true;
    Collector sc;
    auto e = ImportDukascopy(std::vector<std::string>{root}, o, nullptr, sc.Sink());
    ASSERT_FALSE(e.ok());
    EXPECT_NE(e.status().message().find(bad), std::string::npos) << e.status().message();
    EXPECT_NE(e.status().message().find("truncated LZMA stream"), std::string::npos);
  }
}

TEST(ImportDukascopy, SinkErrorStopsTheImport) {
  GoldenTree tree;
  for (int threads : {1, 2}) {
    int calls = 0;
    auto r = ImportDukascopy(std::vector<std::string>{tree.root}, Options("EURUSD", threads),
                             nullptr, [&](std::span<const QuoteTick>) {
                               ++calls;
                               return IoError("disk full");
                             });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "disk full");
    EXPECT_EQ(calls, 1);
  }
}

// A random tree with bad records and a bad file: every thread count gives the same ticks, chunks,
// stats and quarantine rows in the same order.
TEST(ImportDukascopy, MultiThreadedEqualsSingleThreaded) {
  const std::string root = TestDir("threads");
  const std::string eur = root + "/EURUSD";
  std::mt19937_64 rng(7);
  uint32_t bid = 110000;
  UnixNanos hour = Iso("2024-01-29T00:00:00Z");  // crosses into February
  for (int i = 0; i < 80; ++i, hour += Duration(kNanosPerHour)) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(hour.ns() / kNanosPerDay, &y, &m, &d);
    const int h = static_cast<int>(hour.ns() % kNanosPerDay / kNanosPerHour);
    const std::string path =
        HourPath(eur, static_cast<int>(y), static_cast<int>(m) - 1, static_cast<int>(d), h);
    if (i % 17 == 5) {
      WriteBytes(path, "");
      continue;
    }
    std::vector<Rec> recs;
    uint32_t ms = 0;
    const int n = 200 + static_cast<int>(rng() % 400);
    for (int k = 0; k < n; ++k) {
      ms += static_cast<uint32_t>(rng() % 8000);
      if (ms >= 3600000) break;
      bid = bid + static_cast<uint32_t>(rng() % 5) - 2;
      Rec r{ms, bid + 1 + static_cast<uint32_t>(rng() % 15), bid, 1.5f, 2.25f};
      if (rng() % 50 == 0) r.ask = r.bid - 3;  // crossed
      if (rng() % 70 == 0) r.bid_volume = -1;
      recs.push_back(r);
    }
    std::string bytes = LzmaAlone(Records(recs));
    if (i == 33) bytes = bytes.substr(0, bytes.size() / 3);  // a bad file
    WriteBytes(path, bytes);
  }

  struct Run {
    std::vector<QuoteTick> ticks;
    int chunks;
    ImportStats stats;
    std::vector<QuarantinedRow> rows;
  };
  auto run = [&](int threads) {
    Collector c;
    Quarantine q(100000);
    auto s =
        ImportDukascopy(std::vector<std::string>{root}, Options("EURUSD", threads), &q, c.Sink());
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return Run{c.ticks, c.chunks, s.ok() ? *s : ImportStats{}, q.examples()};
  };
  const Run one = run(1);
  EXPECT_EQ(one.stats.files, 80);
  EXPECT_GT(one.stats.accepted, 20000);
  EXPECT_GT(one.stats.quarantined, 100);
  EXPECT_EQ(one.stats.accepted + one.stats.quarantined - 1,  // the bad file is one row, no records
            one.stats.rows);
  EXPECT_EQ(static_cast<int64_t>(one.rows.size()), one.stats.quarantined);
  for (int threads : {2, 3, 8}) {
    SCOPED_TRACE(threads);
    const Run r = run(threads);
    EXPECT_EQ(r.ticks, one.ticks);
    EXPECT_EQ(r.chunks, one.chunks);
    EXPECT_EQ(r.stats.files, one.stats.files);
    EXPECT_EQ(r.stats.rows, one.stats.rows);
    EXPECT_EQ(r.stats.accepted, one.stats.accepted);
    EXPECT_EQ(r.stats.quarantined, one.stats.quarantined);
    EXPECT_EQ(r.stats.bytes, one.stats.bytes);
    EXPECT_EQ(r.stats.first, one.stats.first);
    EXPECT_EQ(r.stats.last, one.stats.last);
    ASSERT_EQ(r.rows.size(), one.rows.size());
    for (size_t i = 0; i < r.rows.size(); ++i) {
      EXPECT_EQ(r.rows[i].file, one.rows[i].file);
      EXPECT_EQ(r.rows[i].line, one.rows[i].line);
      EXPECT_EQ(r.rows[i].reason, one.rows[i].reason);
    }
  }
}

}  // namespace
}  // namespace arus::ingest
