// End-to-end tests of `arus external` on the shipped example files (examples/external/): import,
// list, show, idempotent re-import, revisions, and the errors a user hits.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "run_arus.h"

namespace arus {
namespace {

namespace fs = std::filesystem;
using ::arus::testing::RunArus;
using ::arus::testing::Slurp;
using ::arus::testing::RunResult;

std::string Example(const char* name) {
  return std::string(ARUS_SOURCE_DIR) + "/examples/external/" + name;
}

void Write(const fs::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
}

int CountLines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

class ExternalCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static int n = 0;
    dir_ = fs::temp_directory_path() /
           ("arus_external_cli_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Store() const { return (dir_ / "store").string(); }

  nlohmann::json Import(const std::string& args) {
    const RunResult r = RunArus("external import " + args + " --store " + Store() + " --json");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    if (r.exit_code != 0) return nlohmann::json::object();
    return nlohmann::json::parse(r.out);
  }

  void ImportExamples() {
    nlohmann::json j = Import("--kind calendar --input " + Example("calendar_eurusd_2024.csv"));
    EXPECT_EQ(j["rows"], 16);
    EXPECT_EQ(j["stored"], 16);
    EXPECT_EQ(j["errors"], 0);
    j = Import("--kind cot --input " + Example("cot_legacy_2024.txt"));
    EXPECT_EQ(j["rows"], 30);
    EXPECT_EQ(j["stored"], 20);   // EUR and JPY, ten weeks each
    EXPECT_EQ(j["skipped"], 10);  // wheat
    j = Import("--kind sentiment --input " + Example("sentiment_eurusd_2024.csv"));
    EXPECT_EQ(j["stored"], 13);
    j = Import("--kind index --name DXY --input " + Example("dxy_daily_2024.csv"));
    EXPECT_EQ(j["stored"], 13);
    EXPECT_EQ(j["name"], "DXY");
  }

  fs::path dir_;
};

TEST_F(ExternalCliTest, ImportListShowAndReimportAddsNothing) {
  ImportExamples();
  const fs::path ext = fs::path(Store()) / "external";
  for (const char* f : {"calendar/EUR.csv", "calendar/USD.csv", "cot/EUR.csv", "cot/JPY.csv",
                        "sentiment/EURUSD.csv", "index/DXY.csv"}) {
    EXPECT_TRUE(fs::exists(ext / f)) << f;
  }
  std::vector<std::string> before;
  for (const auto& e : fs::recursive_directory_iterator(ext)) {
    if (e.is_regular_file()) before.push_back(Slurp(e.path()));
  }

  // The same files again: nothing stored, nothing rewritten.
  nlohmann::json j = Import("--kind calendar --input " + Example("calendar_eurusd_2024.csv"));
  EXPECT_EQ(j["stored"], 0);
  EXPECT_EQ(j["already_stored"], 16);
  EXPECT_TRUE(j["files_written"].empty());
  j = Import("--kind cot --input " + Example("cot_legacy_2024.txt"));
  EXPECT_EQ(j["stored"], 0);
  EXPECT_EQ(j["already_stored"], 20);
  j = Import("--kind sentiment --input " + Example("sentiment_eurusd_2024.csv"));
  EXPECT_EQ(j["already_stored"], 13);
  j = Import("--kind index --name dxy --input " + Example("dxy_daily_2024.csv"));
  EXPECT_EQ(j["already_stored"], 13);
  std::vector<std::string> after;
  for (const auto& e : fs::recursive_directory_iterator(ext)) {
    if (e.is_regular_file()) after.push_back(Slurp(e.path()));
  }
  EXPECT_EQ(before, after);

  RunResult r = RunArus("external list --store " + Store() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json list = nlohmann::json::parse(r.out);
  ASSERT_EQ(list.size(), 8u);
  EXPECT_EQ(list[2]["kind"], "cot");
  EXPECT_EQ(list[2]["name"], "EUR");
  EXPECT_EQ(list[2]["records"], 10);
  EXPECT_EQ(list[2]["first_event"], "2024-01-02T22:00:00Z");  // Tuesday 17:00 New York
  EXPECT_EQ(list[2]["last_avail"], "2024-03-08T20:30:00Z");   // Friday 15:30 New York
  r = RunArus("external list --store " + Store());
  ASSERT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("sentiment  EURUSD"), std::string::npos) << r.out;

  // show: canonical CSV (no checksum footer), filtered on ts_event.
  r = RunArus("external show --store " + Store() +
              " --kind calendar --name USD --from 2024-02-01 --to 2024-03-01");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("ts_event,ts_avail,ts_schedule,revision,currency,event,impact,", 0), 0u);
  EXPECT_EQ(CountLines(r.out), 1 + 3);  // NFP, unemployment, CPI in February
  EXPECT_NE(r.out.find("2024-02-02T13:30:00Z,2024-02-02T13:30:00Z,2024-01-26T13:30:00Z,0,USD,"
                       "Non-Farm Payrolls,high,353000,185000,216000,333000"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.find("#xxh64"), std::string::npos);
  r = RunArus("external show --store " + Store() + " --kind cot --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json cot = nlohmann::json::parse(r.out);
  ASSERT_EQ(cot.size(), 20u);
  EXPECT_EQ(cot[0]["currency"], "EUR");
  EXPECT_EQ(cot[0]["as_of"], "2024-01-02");
  EXPECT_EQ(cot[0]["net"],
            cot[0]["noncomm_long"].get<int64_t>() - cot[0]["noncomm_short"].get<int64_t>());
  EXPECT_EQ(cot[0]["market"], "EURO FX - CHICAGO MERCANTILE EXCHANGE");
}

TEST_F(ExternalCliTest, RevisionsAreKeptWithTheirOwnAvailability) {
  ImportExamples();
  // The 3 January close revised; the correction was published on 1 February.
  const fs::path revised = dir_ / "dxy_revised.csv";
  Write(revised, "date,open,high,low,close\n2024-01-03,102.20,102.73,102.10,102.50\n");
  nlohmann::json j = Import("--kind index --name DXY --input " + revised.string() +
                            " --revised-at 2024-02-01T00:00:00Z");
  EXPECT_EQ(j["stored"], 1);
  EXPECT_EQ(j["revisions"], 1);
  const RunResult r = RunArus("external show --store " + Store() +
                              " --kind index --name DXY --from 2024-01-03 --to 2024-01-04 --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  nlohmann::json recs = nlohmann::json::parse(r.out);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0]["revision"], 0);
  EXPECT_EQ(recs[0]["close"], 102.47);
  EXPECT_EQ(recs[0]["ts_avail"], "2024-01-03T22:00:00Z");
  EXPECT_EQ(recs[1]["revision"], 1);
  EXPECT_EQ(recs[1]["close"], 102.5);
  EXPECT_EQ(recs[1]["ts_avail"], "2024-02-01T00:00:00Z");
}

TEST_F(ExternalCliTest, BadRowsAreQuarantinedAndCounted) {
  const fs::path bad = dir_ / "cal.csv";
  Write(bad,
        "time,currency,event,impact,actual,forecast,previous\n"
        "2024-01-05T13:30:00Z,USD,Non-Farm Payrolls,high,216K,170K,199K\n"
        "2024-01-05T25:30:00Z,USD,Unemployment Rate,high,3.7,3.8,3.7\n"
        "2024-01-11T13:30:00Z,USD,CPI m/m,severe,0.3,0.2,0.1\n");
  RunResult r =
      RunArus("external import --kind calendar --input " + bad.string() + " --store " + Store());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("3 row(s) read, 1 stored, 0 already stored, 2 error(s); bad impact: 1; "
                       "bad time: 1"),
            std::string::npos)
      << r.out;
  const size_t at = r.out.find("quarantine file: ");
  ASSERT_NE(at, std::string::npos);
  std::string qfile = r.out.substr(at + 17);
  qfile = qfile.substr(0, qfile.find('\n'));
  const std::string q = Slurp(qfile);
  EXPECT_NE(q.find(bad.string() + ",3,time,bad time,"), std::string::npos) << q;
  EXPECT_NE(q.find(bad.string() + ",4,impact,bad impact,"), std::string::npos) << q;

  // Strict: the first bad row is the error, naming file, line and field; nothing more stored.
  r = RunArus("external import --strict --kind calendar --input " + bad.string() + " --store " +
              Store());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("arus external: error: parse error: " + bad.string() +
                       ":3: field 'time': bad time"),
            std::string::npos)
      << r.err;
}

TEST_F(ExternalCliTest, Errors) {
  struct Case {
    std::string args;
    int exit_code;
    std::string want;
  };
  const fs::path empty = dir_ / "empty.csv";
  Write(empty, "");
  const fs::path binary = dir_ / "bin.csv";
  Write(binary, std::string("date,open\0\0\0", 12));
  const std::string store = " --store " + Store();
  const std::vector<Case> cases = {
      {"external import --kind calendar --input " + empty.string() + store, 1, "empty file"},
      {"external import --kind index --name DXY --input " + binary.string() + store, 1,
       "binary data"},
      {"external import --kind cot --input " + (dir_ / "missing.txt").string() + store, 1,
       "missing.txt"},
      {"external import --kind bars --input " + empty.string() + store, 1,
       "unknown external data kind 'bars'"},
      {"external import --kind index --input " + empty.string() + store, 1, "needs --name"},
      {"external import --kind index --name ../x --input " + empty.string() + store, 1, "bad name"},
      {"external import --kind cot --name EUR --input " + empty.string() + store, 1,
       "--name is only for --kind index"},
      {"external import --kind cot --release-time 25:00 --input " + empty.string() + store, 1,
       "--release-time must be HH:MM"},
      {"external import --kind cot --release-weekday someday --input " + empty.string() + store, 1,
       "--release-weekday"},
      {"external import --kind calendar --revised-at yesterday --input " + empty.string() + store,
       1, "bad time 'yesterday'"},
      {"external import --kind calendar --input " + empty.string(), 2, "--store"},
      {"external" + store, 2, ""},
      {"external show --kind index --name VIX" + store, 1, "no index data named 'VIX'"},
      {"external show --kind index" + store + " --from 2024-02-01 --to 2024-01-01", 1,
       "must be after"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args);
    const RunResult r = RunArus(c.args);
    EXPECT_EQ(r.exit_code, c.exit_code) << r.err;
    EXPECT_NE(r.err.find(c.want), std::string::npos) << r.err;
  }
  // An empty store lists nothing, without error.
  const RunResult r = RunArus("external list" + store);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("no external data"), std::string::npos);
  for (const char* sub : {"external", "external import", "external list", "external show"}) {
    EXPECT_EQ(RunArus(std::string(sub) + " --help").exit_code, 0) << sub;
  }
}

}  // namespace
}  // namespace arus
