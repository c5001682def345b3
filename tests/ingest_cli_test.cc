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
using ::arus::testing::Slurp;

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


// Bar files are stored as bar series (SYMBOL/TF.side) and come back through `arus bars --stored`.
class IngestBarsCliTest : public IngestCliTest {
 protected:
  std::string IngestBarsAndExport(const std::string& format, const fs::path& file,
                                  const std::string& timeframe, const std::string& extra = "") {
    const RunResult r = RunArus("ingest --format " + format + " --symbol EURUSD --input " +
                                file.string() + " --store " + Store() + " --timeframe " +
                                timeframe + " --json " + extra);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    last_json_ = r.exit_code == 0 ? nlohmann::json::parse(r.out) : nlohmann::json();
    const fs::path out = dir_ / (format + ".bars.csv");
    const RunResult t = RunArus("bars --stored --store " + Store() +
                                " --symbol EURUSD --price bid --timeframe " + timeframe +
                                " --output " + out.string());
    EXPECT_EQ(t.exit_code, 0) << t.err;
    return Slurp(out);
  }
};

TEST_F(IngestBarsCliTest, HistDataM1IsEstWithoutDstAndStoredAsBars) {
  // EST all year: 16:59 EST on Friday 8 March is the last minute before the 17:00 New York close;
  // after the US switch to EDT, Sunday's 17:00 New York open is 16:00 EST = 21:00 UTC.
  const fs::path in = dir_ / "DAT_ASCII_EURUSD_M1_2024.csv";
  Write(in,
        "20240308 165900;1.0941;1.0943;1.0940;1.0942;0\n"
        "20240310 160000;1.09415;1.0943;1.0941;1.0942;0\n"
        "20240310 160300;1.0942;1.0944;1.0941;1.0943;0\n"
        "20240702 120000;1.0742;1.0744;1.0741;1.0743;0\n");
  EXPECT_EQ(IngestBarsAndExport("histdata-m1", in, "M1"),
            "time,open,high,low,close,tick_count,volume,spread_mean,filled\n"
            "2024-03-08T21:59:00Z,1.09410,1.09430,1.09400,1.09420,0,0.0000,0.0000000,0\n"
            "2024-03-10T21:00:00Z,1.09415,1.09430,1.09410,1.09420,0,0.0000,0.0000000,0\n"
            "2024-03-10T21:03:00Z,1.09420,1.09440,1.09410,1.09430,0,0.0000,0.0000000,0\n"
            "2024-07-02T17:00:00Z,1.07420,1.07440,1.07410,1.07430,0,0.0000,0.0000000,0\n");
  EXPECT_EQ(last_json_["bar_series"], "EURUSD/M1.bid");
  EXPECT_EQ(last_json_["stored"], 4);
  // Missing minutes while the market is open are flagged (default policy), never the weekend.
  EXPECT_EQ(last_json_["cleaning"]["rules"]["bar_gap"]["events"], 2);
  // No ticks were stored: bars are their own series.
  const RunResult info = RunArus("info --json --store " + Store());
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const nlohmann::json j = nlohmann::json::parse(info.out);
  EXPECT_TRUE(j["symbols"].empty());
  ASSERT_EQ(j["bar_series"].size(), 1u);
  EXPECT_EQ(j["bar_series"][0]["bars"], 4);
  // Re-importing the same file adds nothing.
  const RunResult again = RunArus("ingest --format histdata-m1 --symbol EURUSD --input " +
                                  in.string() + " --store " + Store() + " --json");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(nlohmann::json::parse(again.out)["stored"], 0);
  EXPECT_EQ(nlohmann::json::parse(again.out)["already_stored"], 4);
}

TEST_F(IngestBarsCliTest, Mt5BarsAreServerTimeAcrossTheDstSwitch) {
  // Server time NY+7: 23:00 on 8 March is UTC+2 (21:00 UTC); 00:00 on 11 March is UTC+3, i.e.
  // Sunday 21:00 UTC, the New York 17:00 open. Spread in points (0.00001 for EURUSD).
  const fs::path in = dir_ / "EURUSD_H1.csv";
  Write(in,
        "<DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>\n"
        "2024.03.08\t23:00:00\t1.09410\t1.09430\t1.09400\t1.09420\t152\t0\t12\n"
        "2024.03.11\t00:00:00\t1.09410\t1.09450\t1.09410\t1.09440\t98\t7\t3\n"
        "2024.03.11\t01:00:00\t1.09440\t1.09460\t1.09420\t1.09450\t120\t0\t2\n");
  EXPECT_EQ(IngestBarsAndExport("mt5-bars", in, "H1"),
            "time,open,high,low,close,tick_count,volume,spread_mean,filled\n"
            "2024-03-08T21:00:00Z,1.09410,1.09430,1.09400,1.09420,152,0.0000,0.0001200,0\n"
            "2024-03-10T21:00:00Z,1.09410,1.09450,1.09410,1.09440,98,7.0000,0.0000300,0\n"
            "2024-03-10T22:00:00Z,1.09440,1.09460,1.09420,1.09450,120,0.0000,0.0000200,0\n");
  EXPECT_EQ(last_json_["bar_series"], "EURUSD/H1.bid");
  // No bar is missing: the weekend between the first two bars is not a gap.
  EXPECT_FALSE(last_json_["cleaning"]["rules"].contains("bar_gap"));
}

TEST_F(IngestBarsCliTest, RepairPolicyForwardFillsGapsAndMarksThem) {
  const fs::path cfg = dir_ / "repair.toml";
  Write(cfg, "[bar_gap]\npolicy = \"repair\"\n");
  const fs::path in = dir_ / "DAT_ASCII_EURUSD_M1_202401.csv";
  Write(in,
        "20240102 120000;1.1041;1.1043;1.1040;1.1042;0\n"
        "20240102 120300;1.1042;1.1044;1.1041;1.1043;0\n");
  EXPECT_EQ(IngestBarsAndExport("histdata-m1", in, "M1", "--quality-config " + cfg.string()),
            "time,open,high,low,close,tick_count,volume,spread_mean,filled\n"
            "2024-01-02T17:00:00Z,1.10410,1.10430,1.10400,1.10420,0,0.0000,0.0000000,0\n"
            "2024-01-02T17:01:00Z,1.10420,1.10420,1.10420,1.10420,0,0.0000,0.0000000,1\n"
            "2024-01-02T17:02:00Z,1.10420,1.10420,1.10420,1.10420,0,0.0000,0.0000000,1\n"
            "2024-01-02T17:03:00Z,1.10420,1.10440,1.10410,1.10430,0,0.0000,0.0000000,0\n");
  EXPECT_EQ(last_json_["cleaning"]["rows_filled"], 2);
  const RunResult info = RunArus("info --json --store " + Store());
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const nlohmann::json j = nlohmann::json::parse(info.out);
  EXPECT_EQ(j["bar_series"][0]["filled"], 2);
  // The store records which policy produced the series: the one in repair.toml.
  const nlohmann::json& prov = j["bar_series"][0]["provenance"];
  ASSERT_EQ(prov.size(), 1u);
  EXPECT_EQ(prov[0]["source"], "histdata-m1 (clock EST)");
  EXPECT_EQ(prov[0]["policy_hash"], last_json_["cleaning"]["policy_hash"]);
  EXPECT_NE(prov[0]["cleaning_policy"].get<std::string>().find("policy = \"repair\""),
            std::string::npos);
}

TEST_F(IngestCliTest, CleaningPolicyDropsToQuarantineAndIsRecordedAsProvenance) {
  // An exact duplicate row parses fine; the default policy's `duplicate` rule drops it into the
  // quarantine with the rule as reason. --no-clean stores rows as parsed, with no policy.
  const fs::path in = dir_ / "EURUSD-2024-01.csv";
  Write(in,
        "EUR/USD,20240102 10:00:00.000,1.10411,1.10418\n"
        "EUR/USD,20240102 10:00:00.000,1.10411,1.10418\n"
        "EUR/USD,20240102 10:00:01.000,1.10412,1.10419\n");
  EXPECT_EQ(IngestAndExport("truefx", "EURUSD", in),
            "time,bid,ask,bid_volume,ask_volume\n"
            "2024-01-02T10:00:00Z,1.10411,1.10418,0,0\n"
            "2024-01-02T10:00:01Z,1.10412,1.10419,0,0\n");
  EXPECT_EQ(last_json_["quarantined_by_reason"]["duplicate"], 1);
  ASSERT_TRUE(last_json_.contains("quarantine_file"));
  const std::string q = Slurp(last_json_["quarantine_file"].get<std::string>());
  EXPECT_NE(q.find("duplicate"), std::string::npos) << q;
  const std::string hash = last_json_["cleaning"]["policy_hash"];
  EXPECT_EQ(hash.size(), 16u);

  RunResult info = RunArus("info --json --store " + Store());
  ASSERT_EQ(info.exit_code, 0) << info.err;
  nlohmann::json prov = nlohmann::json::parse(info.out)["symbols"][0]["provenance"];
  ASSERT_EQ(prov.size(), 1u);
  EXPECT_EQ(prov[0]["source"], "truefx (clock UTC)");
  EXPECT_EQ(prov[0]["policy_hash"], hash);
  EXPECT_EQ(prov[0]["first"], "2024-01-02T10:00:00Z");
  EXPECT_EQ(prov[0]["last"], "2024-01-02T10:00:01Z");
  const RunResult human = RunArus("info --store " + Store());
  EXPECT_NE(human.out.find("truefx (clock UTC), policy " + hash), std::string::npos) << human.out;

  fs::remove_all(Store());
  IngestAndExport("truefx", "EURUSD", in, "--no-clean");
  EXPECT_EQ(last_json_["stored"], 3);
  EXPECT_TRUE(last_json_["cleaning"].is_null());
  info = RunArus("info --json --store " + Store());
  prov = nlohmann::json::parse(info.out)["symbols"][0]["provenance"];
  ASSERT_EQ(prov.size(), 1u);
  EXPECT_EQ(prov[0]["policy_hash"], "");

  // A broken policy file is a one-line error before anything is read.
  const fs::path bad = dir_ / "bad.toml";
  Write(bad, "[spike]\npolicy = \"repair\"\n");
  const RunResult r = RunArus("ingest --format truefx --symbol EURUSD --input " + in.string() +
                              " --store " + Store() + " --quality-config " + bad.string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("spike"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace arus
