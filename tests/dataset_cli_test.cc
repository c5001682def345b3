// End-to-end tests of `arus dataset info|export` on dataset files written here with WriteDataset:
// statistics against values worked out by hand, CSV selections, and the errors a user hits.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "features/dataset.h"
#include "run_arus.h"

namespace arus {
namespace {

namespace fs = std::filesystem;
using ::arus::testing::RunArus;
using ::arus::testing::Slurp;
using ::arus::testing::RunResult;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

// 2024-01-02T10:00Z + 5 min steps. Feature `a` = {1, NaN, 3, -2}, `b` = {0.5, 0.25, NaN, NaN},
// label `y` = {1, -1, 0, NaN} ending one step later (unknown for the last row).
features::Dataset Demo() {
  features::Dataset ds;
  ds.symbol = "EURUSD";
  ds.base_timeframe = "M5";
  ds.feature_set_name = "demo";
  ds.feature_set_hash = "0123456789abcdef";
  ds.feature_set_text = "symbol = \"EURUSD\"\n";
  const int64_t t0 = 1704189600LL * kNanosPerSecond;
  for (int i = 0; i < 4; ++i) ds.time.push_back(UnixNanos(t0 + i * 5 * kNanosPerMinute));
  ds.feature_names = {"a", "b"};
  ds.features = {{1, kNaN, 3, -2}, {0.5, 0.25, kNaN, kNaN}};
  ds.label_names = {"y"};
  ds.labels = {{1, -1, 0, kNaN}};
  ds.label_end = {{ds.time[1], ds.time[2], ds.time[3], UnixNanos::Max()}};
  ds.checkpoint = {9, 9, 9};
  return ds;
}

class DatasetCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("arus_dataset_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ASSERT_TRUE(features::WriteDataset(File(), Demo()).ok());
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string File() const { return (dir_ / "demo.ads").string(); }
  std::string Out(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(DatasetCliTest, Help) {
  for (const char* cmd : {"dataset", "dataset info", "dataset export"}) {
    const RunResult r = RunArus(std::string(cmd) + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << cmd << r.out;
  }
  const RunResult root = RunArus("--help");
  EXPECT_NE(root.out.find("dataset"), std::string::npos);
  EXPECT_EQ(RunArus("dataset").exit_code, 2);                   // no subcommand
  EXPECT_EQ(RunArus("dataset info").exit_code, 2);              // no path
  EXPECT_EQ(RunArus("dataset export " + File()).exit_code, 2);  // no --csv
}

TEST_F(DatasetCliTest, InfoJsonStatistics) {
  const RunResult r = RunArus("dataset info " + File() + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["symbol"], "EURUSD");
  EXPECT_EQ(j["base_timeframe"], "M5");
  EXPECT_EQ(j["feature_set"]["name"], "demo");
  EXPECT_EQ(j["feature_set"]["hash"], "0123456789abcdef");
  EXPECT_EQ(j["feature_set"]["text"], "symbol = \"EURUSD\"\n");
  EXPECT_EQ(j["rows"], 4);
  EXPECT_EQ(j["first"], "2024-01-02T10:00:00Z");
  EXPECT_EQ(j["last"], "2024-01-02T10:15:00Z");
  EXPECT_EQ(j["checkpoint_bytes"], 3);
  EXPECT_EQ(j["file_bytes"], fs::file_size(File()));
  const auto& c = j["columns"];
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0]["name"], "a");
  EXPECT_EQ(c[0]["kind"], "feature");
  EXPECT_EQ(c[0]["nan"], 1);
  EXPECT_EQ(c[0]["min"], -2.0);
  EXPECT_EQ(c[0]["max"], 3.0);
  EXPECT_DOUBLE_EQ(c[0]["mean"].get<double>(), 2.0 / 3.0);
  EXPECT_EQ(c[1]["name"], "b");
  EXPECT_EQ(c[1]["nan"], 2);
  EXPECT_EQ(c[1]["min"], 0.25);
  EXPECT_EQ(c[1]["max"], 0.5);
  EXPECT_EQ(c[1]["mean"], 0.375);
  EXPECT_EQ(c[2]["name"], "y");
  EXPECT_EQ(c[2]["kind"], "label");
  EXPECT_EQ(c[2]["nan"], 1);
  EXPECT_EQ(c[2]["min"], -1.0);
  EXPECT_EQ(c[2]["max"], 1.0);
  EXPECT_EQ(c[2]["mean"], 0.0);
  EXPECT_EQ(c[3]["name"], "y_end");
  EXPECT_EQ(c[3]["kind"], "label_end");
  EXPECT_EQ(c[3]["unknown"], 1);
  EXPECT_EQ(c[3]["min"], "2024-01-02T10:05:00Z");
  EXPECT_EQ(c[3]["max"], "2024-01-02T10:15:00Z");
}

TEST_F(DatasetCliTest, InfoTableAndEmptyDataset) {
  RunResult r = RunArus("dataset info " + File());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("symbol EURUSD, base timeframe M5, feature set 'demo' (hash "
                       "0123456789abcdef)"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("4 rows, 2024-01-02T10:00:00Z .. 2024-01-02T10:15:00Z"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("2 feature(s), 1 label(s), checkpoint 3 bytes"), std::string::npos) << r.out;
  bool saw_a = false, saw_end = false;
  for (const std::string& line : Lines(r.out)) {
    if (line.rfind("a ", 0) == 0) {
      saw_a = true;
      EXPECT_NE(line.find("feature"), std::string::npos) << line;
      EXPECT_NE(line.find(" 1 "), std::string::npos) << line;  // one NaN
      EXPECT_NE(line.find("-2"), std::string::npos) << line;
      EXPECT_NE(line.find("0.6666666666666666"), std::string::npos) << line;
    }
    if (line.rfind("y_end ", 0) == 0) {
      saw_end = true;
      EXPECT_NE(line.find("1 (unknown)  2024-01-02T10:05:00Z .. 2024-01-02T10:15:00Z"),
                std::string::npos)
          << line;
    }
  }
  EXPECT_TRUE(saw_a && saw_end) << r.out;
  EXPECT_EQ(RunArus("-q dataset info " + File()).out, "");

  features::Dataset empty;
  empty.feature_names = {"x"};
  empty.features = {{}};
  ASSERT_TRUE(features::WriteDataset(Out("empty.ads"), empty).ok());
  r = RunArus("dataset info " + Out("empty.ads") + " --json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["rows"], 0);
  EXPECT_TRUE(j["first"].is_null());
  EXPECT_TRUE(j["columns"][0]["min"].is_null());
  EXPECT_TRUE(j["columns"][0]["mean"].is_null());
  r = RunArus("dataset info " + Out("empty.ads"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("0 rows"), std::string::npos) << r.out;
}

TEST_F(DatasetCliTest, ExportAllRangeAndColumns) {
  RunResult r = RunArus("dataset export " + File() + " --csv " + Out("all.csv"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote 4 rows"), std::string::npos) << r.out;
  EXPECT_EQ(Slurp(Out("all.csv")),
            "time,a,b,y,y_end\n"
            "2024-01-02T10:00:00Z,1,0.5,1,2024-01-02T10:05:00Z\n"
            "2024-01-02T10:05:00Z,,0.25,-1,2024-01-02T10:10:00Z\n"
            "2024-01-02T10:10:00Z,3,,0,2024-01-02T10:15:00Z\n"
            "2024-01-02T10:15:00Z,-2,,,\n");

  // [from, to): 10:05 inclusive, 10:15 exclusive.
  r = RunArus("dataset export " + File() + " --csv " + Out("range.csv") +
              " --from 2024-01-02T10:05 --to 2024-01-02T10:15");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("wrote 2 rows"), std::string::npos) << r.out;
  EXPECT_EQ(Slurp(Out("range.csv")),
            "time,a,b,y,y_end\n"
            "2024-01-02T10:05:00Z,,0.25,-1,2024-01-02T10:10:00Z\n"
            "2024-01-02T10:10:00Z,3,,0,2024-01-02T10:15:00Z\n");

  r = RunArus("dataset export " + File() + " --csv " + Out("cols.csv") +
              " --columns y,b --from 2024-01-02T10:10");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Slurp(Out("cols.csv")),
            "time,b,y,y_end\n"
            "2024-01-02T10:10:00Z,,0,2024-01-02T10:15:00Z\n"
            "2024-01-02T10:15:00Z,,,\n");

  r = RunArus("-q dataset export " + File() + " --csv " + Out("none.csv") + " --from 2025-01-01");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(Slurp(Out("none.csv")), "time,a,b,y,y_end\n");
}

TEST_F(DatasetCliTest, Errors) {
  RunResult r = RunArus("dataset export " + File() + " --csv " + Out("x.csv") + " --columns a,zz");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no column 'zz'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(features and labels: a, b, y)"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(Out("x.csv")));

  r = RunArus("dataset export " + File() + " --csv " + Out("x.csv") + " --from yesterday");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("yesterday"), std::string::npos) << r.err;
  r = RunArus("dataset export " + File() + " --csv " + Out("x.csv") +
              " --from 2024-02-01 --to 2024-01-01");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("must be after --from"), std::string::npos) << r.err;

  r = RunArus("dataset info " + Out("missing.ads"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no such dataset"), std::string::npos) << r.err;

  // A flipped byte in the last column: the error names the file and the column.
  std::string bytes = Slurp(File());
  bytes[bytes.size() - 4] ^= 0x20;  // inside the checkpoint (3 bytes) or y's end times
  {
    std::ofstream f(Out("bad.ads"), std::ios::binary);
    f << bytes;
  }
  r = RunArus("dataset info " + Out("bad.ads"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.ads"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("label_end 'y': checksum mismatch"), std::string::npos) << r.err;
  r = RunArus("dataset export " + Out("bad.ads") + " --csv " + Out("x.csv"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("checksum mismatch"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(Out("x.csv")));
  // Not a dataset at all.
  {
    std::ofstream f(Out("text.ads"));
    f << "time,a\n2024-01-01,1\n this is a csv file, not a dataset\n";
  }
  r = RunArus("dataset info " + Out("text.ads"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not an arus dataset"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace arus
