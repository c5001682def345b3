// Golden round trips through the CLI: each source format goes through `arus ingest` into a store
// and back out through `arus ticks`, exactly, including the time-zone conversions in the New York
// DST weeks. Also re-import idempotence, strict mode and whole-file errors.
#include <gtest/gtest.h>

#include "run_arus.h"
#include <lzma.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

namespace arus {
namespace {

namespace fs = std::filesystem;

using ::arus::testing::RunArus;
using ::arus::testing::RunResult;

std::string Slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void Write(const fs::path& p, const std::string& data) {
  fs::create_directories(p.parent_path());
  std::ofstream f(p, std::ios::binary);
  f << data;
}

class IngestCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("arus_ingest_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Store() const { return (dir_ / "store").string(); }

  // Ingests `file` and returns the `arus ticks` CSV of everything stored for `symbol`.
  std::string IngestAndExport(const std::string& format, const std::string& symbol,
                              const fs::path& file, const std::string& extra = "") {
    const RunResult r = RunArus("ingest --format " + format + " --symbol " + symbol +
                                " --input " + file.string() + " --store " + Store() + " --json " +
                                extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    last_json_ = r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
    const fs::path out = dir_ / (format + ".out.csv");
    const RunResult t =
        RunArus("ticks --store " + Store() + " --symbol " + symbol + " --output " + out.string());
    EXPECT_EQ(t.exit_code, 0) << t.err;
    return Slurp(out);
  }

  fs::path dir_;
  nlohmann::json last_json_;
};

TEST_F(IngestCliTest, TrueFxIsUtc) {
  const fs::path in = dir_ / "EURUSD-2024-03.csv";
  Write(in,
        "EUR/USD,20240308 21:59:59.123,1.09411,1.09418\n"
        "EUR/USD,20240310 21:00:00.001,1.09415,1.09421\n"
        "EUR/USD,20240310 21:00:00.001,1.09416,1.09421\n"
        "EUR/USD,20240311 08:30:00.000,1.095,1.0951\n");
  EXPECT_EQ(IngestAndExport("truefx", "EURUSD", in),
            "time,bid,ask,bid_volume,ask_volume\n"
            "2024-03-08T21:59:59.123Z,1.09411,1.09418,0,0\n"
            "2024-03-10T21:00:00.001Z,1.09415,1.09421,0,0\n"
            "2024-03-10T21:00:00.001Z,1.09416,1.09421,0,0\n"
            "2024-03-11T08:30:00Z,1.09500,1.09510,0,0\n");
  EXPECT_EQ(last_json_["stored"], 4);
  EXPECT_EQ(last_json_["quarantined"], 0);
}

TEST_F(IngestCliTest, HistDataTicksAreEstWithoutDst) {
  // HistData stamps in EST all year: Friday's 17:00 New York close (EST) is 16:59:59 EST; after the
  // US switch to EDT, Sunday's 17:00 New York open is 16:00 EST; in July 12:00 EST is 17:00 UTC.
  const fs::path in = dir_ / "DAT_ASCII_USDJPY_T_202403.csv";
  Write(in,
        "20240308 165959123,147.055,147.062,0\r\n"
        "20240310 160000001,147.101,147.109,0\r\n"
        "20240702 120000000,161.456,161.461,0\r\n");
  EXPECT_EQ(IngestAndExport("histdata-tick", "USDJPY", in),
            "time,bid,ask,bid_volume,ask_volume\n"
            "2024-03-08T21:59:59.123Z,147.055,147.062,0,0\n"
            "2024-03-10T21:00:00.001Z,147.101,147.109,0,0\n"
            "2024-07-02T17:00:00Z,161.456,161.461,0,0\n");
}

TEST_F(IngestCliTest, Mt5TicksAreServerTimeAndCarrySidesForward) {
  // Server time NY+7: UTC+2 before the US DST switch, UTC+3 after; one-sided rows carry the other
  // side forward.
  const fs::path in = dir_ / "EURUSD_ticks.csv";
  Write(in,
        "<DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>\n"
        "2024.03.08\t23:59:59.123\t1.09411\t1.09418\t\t\t6\n"
        "2024.03.11\t00:00:00.001\t1.09415\t\t\t\t2\n"
        "2024.03.11\t00:00:00.250\t\t1.09425\t\t\t4\n");
  EXPECT_EQ(IngestAndExport("mt5-ticks", "EURUSD", in),
            "time,bid,ask,bid_volume,ask_volume\n"
            "2024-03-08T21:59:59.123Z,1.09411,1.09418,0,0\n"
            "2024-03-10T21:00:00.001Z,1.09415,1.09418,0,0\n"
            "2024-03-10T21:00:00.250Z,1.09415,1.09425,0,0\n");
  // The same file read as UTC+2 all year: the post-switch rows land an hour later.
  fs::remove_all(Store());
  EXPECT_EQ(IngestAndExport("mt5-ticks", "EURUSD", in, "--tz UTC+2"),
            "time,bid,ask,bid_volume,ask_volume\n"
            "2024-03-08T21:59:59.123Z,1.09411,1.09418,0,0\n"
            "2024-03-10T22:00:00.001Z,1.09415,1.09418,0,0\n"
            "2024-03-10T22:00:00.250Z,1.09415,1.09425,0,0\n");
}

TEST_F(IngestCliTest, GenericCsvWithColumnMappingAndZone) {
  // London is on GMT until 31 March 2024 and on BST (UTC+1) after.
  const fs::path in = dir_ / "gbp.csv";
  Write(in,
        "ask;bid;when;av;bv\n"
        "1.26012;1.26005;2024-03-28 09:00:00.5;2.5;1.25\n"
        "1.26112;1.26105;2024-04-02 09:00:00.25;1;0.5\n");
  EXPECT_EQ(IngestAndExport("csv", "GBPUSD", in,
                            "--delimiter ';' --columns time=2,bid=1,ask=0,bid_volume=4,"
                            "ask_volume=3 --time-format '%Y-%m-%d %H:%M:%S.%f' "
                            "--tz Europe/London"),
            "time,bid,ask,bid_volume,ask_volume\n"
            "2024-03-28T09:00:00.500Z,1.26005,1.26012,1.25,2.5\n"
            "2024-04-02T08:00:00.250Z,1.26105,1.26112,0.5,1\n");
}

// One bi5 hour: LZMA "alone" stream of 20-byte big-endian records (ms, ask, bid, ask vol, bid vol).
std::string Bi5(const std::vector<std::tuple<uint32_t, uint32_t, uint32_t, float, float>>& recs) {
  std::string raw;
  auto put32 = [&](uint32_t v) {
    for (int s = 24; s >= 0; s -= 8) raw.push_back(static_cast<char>((v >> s) & 0xff));
  };
  for (const auto& [ms, ask, bid, av, bv] : recs) {
    put32(ms);
    put32(ask);
    put32(bid);
    uint32_t u;
    std::memcpy(&u, &av, 4);
    put32(u);
    std::memcpy(&u, &bv, 4);
    put32(u);
  }
  lzma_options_lzma opt;
  lzma_lzma_preset(&opt, 6);
  lzma_stream strm = LZMA_STREAM_INIT;
  EXPECT_EQ(lzma_alone_encoder(&strm, &opt), LZMA_OK);
  std::string out(raw.size() + 1024, '\0');
  strm.next_in = reinterpret_cast<const uint8_t*>(raw.data());
  strm.avail_in = raw.size();
  strm.next_out = reinterpret_cast<uint8_t*>(out.data());
  strm.avail_out = out.size();
  EXPECT_EQ(lzma_code(&strm, LZMA_FINISH), LZMA_STREAM_END);
  out.resize(out.size() - strm.avail_out);
  lzma_end(&strm);
  return out;
}

TEST_F(IngestCliTest, DukascopyTreeIsUtcWithZeroBasedMonths) {
  // Months in Dukascopy paths are 0-based: 02 is March. Hour 21 UTC on Sunday 10 March 2024 is the
  // first open hour after the US DST switch; 2024/01/29 is 29 February; an empty hour is a 0-byte file.
  const fs::path root = dir_ / "dukas";
  Write(root / "EURUSD/2024/02/10/21h_ticks.bi5",
        Bi5({{1, 109418, 109411, 1.5f, 2.25f}, {250, 109425, 109415, 0.75f, 1.0f}}));
  Write(root / "EURUSD/2024/02/10/22h_ticks.bi5", "");
  Write(root / "EURUSD/2024/01/29/13h_ticks.bi5", Bi5({{59999, 108010, 108001, 3.0f, 4.5f}}));
  Write(root / "USDJPY/2024/02/10/21h_ticks.bi5", Bi5({{5, 147062, 147055, 1.0f, 1.0f}}));
  EXPECT_EQ(IngestAndExport("dukascopy", "EURUSD", root),
            "time,bid,ask,bid_volume,ask_volume\n"
            "2024-02-29T13:00:59.999Z,1.08001,1.08010,4.5,3\n"
            "2024-03-10T21:00:00.001Z,1.09411,1.09418,2.25,1.5\n"
            "2024-03-10T21:00:00.250Z,1.09415,1.09425,1,0.75\n");
  EXPECT_EQ(last_json_["files"], 3);
  EXPECT_EQ(IngestAndExport("dukascopy", "USDJPY", root / "USDJPY"),
            "time,bid,ask,bid_volume,ask_volume\n"
            "2024-03-10T21:00:00.005Z,147.055,147.062,1,1\n");
}

TEST_F(IngestCliTest, ReimportAddsNothingAndBadRowsAreQuarantinedNotLost) {
  const fs::path in = dir_ / "t.csv";
  Write(in,
        "EUR/USD,20240305 10:00:00.000,1.08411,1.08418\n"
        "EUR/USD,20240305 10:00:01.000,abc,1.08418\n"
        "EUR/USD,20240305 10:00:02.000,1.08420,1.08415\n"
        "EUR/USD,20240305 09:59:59.500,1.08411,1.08418\n"
        "EUR/USD,20240305 10:00:03.000,1.08412,1.08419\n");
  const std::string first = IngestAndExport("truefx", "EURUSD", in);
  EXPECT_EQ(first,
            "time,bid,ask,bid_volume,ask_volume\n"
            "2024-03-05T10:00:00Z,1.08411,1.08418,0,0\n"
            "2024-03-05T10:00:03Z,1.08412,1.08419,0,0\n");
  EXPECT_EQ(last_json_["quarantined"], 3);
  const fs::path qfile = last_json_["quarantine_file"].get<std::string>();
  const std::string q = Slurp(qfile);
  EXPECT_NE(q.find("t.csv,2,bid,bad number"), std::string::npos) << q;
  EXPECT_NE(q.find("t.csv,3,"), std::string::npos) << q;
  EXPECT_NE(q.find("t.csv,4,time,"), std::string::npos) << q;
  EXPECT_EQ(IngestAndExport("truefx", "EURUSD", in), first);
  EXPECT_EQ(last_json_["stored"], 0);
  EXPECT_EQ(last_json_["already_stored"], 2);
}

TEST_F(IngestCliTest, StrictStopsAtTheFirstBadRowAndStoresNothing) {
  const fs::path in = dir_ / "t.csv";
  Write(in,
        "EUR/USD,20240305 10:00:00.000,1.08411,1.08418\n"
        "EUR/USD,20240305 10:00:01.000,1.0841x,1.08418\n");
  const RunResult r = RunArus("ingest --format truefx --symbol EURUSD --strict --input " +
                              in.string() + " --store " + Store());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("t.csv:2"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("bid"), std::string::npos) << r.err;
  const RunResult info = RunArus("info --json --store " + Store());
  if (info.exit_code == 0) {
    EXPECT_EQ(nlohmann::json::parse(info.out)["total"]["ticks"], 0) << info.out;
  }
}

TEST_F(IngestCliTest, WholeFileProblemsAreOneLineErrors) {
  Write(dir_ / "empty.csv", "");
  std::string garbage(4096, '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 7919) & 0xff);
  Write(dir_ / "garbage.csv", garbage);
  Write(dir_ / "hist.csv", "20240102 170000123,1.10411,1.10418,0\n20240102 170000223,1.10411,1.10418,0\n");
  Write(dir_ / "bad.bi5", "this is not lzma at all");
  struct Case {
    std::string args;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {"--format truefx --symbol EURUSD --input " + (dir_ / "missing.csv").string(), "missing.csv"},
      {"--format truefx --symbol EURUSD --input " + (dir_ / "empty.csv").string(), "empty.csv"},
      {"--format truefx --symbol EURUSD --input " + (dir_ / "garbage.csv").string(), "garbage.csv"},
      {"--format truefx --symbol EURUSD --input " + (dir_ / "hist.csv").string(), "hist.csv"},
      {"--format dukascopy --symbol EURUSD --strict --input " + (dir_ / "bad.bi5").string(),
       "bad.bi5"},
      {"--format nosuch --symbol EURUSD --input " + (dir_ / "hist.csv").string(), "nosuch"},
      {"--format truefx --symbol EURXYZ --input " + (dir_ / "hist.csv").string(), "EURXYZ"},
      {"--format mt5-ticks --symbol EURUSD --tz Mars/Base --input " + (dir_ / "hist.csv").string(),
       "Mars/Base"},
  };
  for (const Case& c : cases) {
    const RunResult r = RunArus("ingest " + c.args + " --store " + Store());
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

}  // namespace
}  // namespace arus
