// End-to-end tests through the `arus` binary: generate -> store -> info -> ticks -> bars, the
// idempotence of re-generating, and the error paths a user hits.
#include <gtest/gtest.h>

#include "run_arus.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bars/bar_aggregator.h"
#include "core/price.h"
#include "fx/calendar.h"
#include "store/tick_store.h"

namespace arus {
namespace {

namespace fs = std::filesystem;

using ::arus::testing::RunArus;
using ::arus::testing::RunResult;

std::vector<std::string> ReadLines(const fs::path& p) {
  std::ifstream f(p);
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(f, line)) lines.push_back(line);
  return lines;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

class CliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new fs::path(fs::temp_directory_path() / ("arus_cli_test_" + std::to_string(::getpid())));
    fs::remove_all(*dir_);
    fs::create_directories(*dir_);
    // One week and a bit, crossing a weekend, at a tenth of the normal tick rate.
    const RunResult r = RunArus("generate --symbols EURUSD,USDJPY,EURGBP,GBPUSD --from 2024-03-06 "
                            "--to 2024-03-13 --seed 11 --tick-rate-scale 0.1 --store " +
                            Store() + " --json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    generate_json_ = new nlohmann::json(nlohmann::json::parse(r.out));
  }
  static void TearDownTestSuite() {
    fs::remove_all(*dir_);
    delete dir_;
    delete generate_json_;
  }
  static std::string Store() { return (*dir_ / "store").string(); }
  static fs::path* dir_;
  static nlohmann::json* generate_json_;
};

fs::path* CliTest::dir_ = nullptr;
nlohmann::json* CliTest::generate_json_ = nullptr;

TEST_F(CliTest, EveryCommandHasHelp) {
  for (const char* cmd : {"", "generate", "ingest", "info", "bars", "ticks", "quality", "compare",
                          "indicators", "features", "dataset", "dataset info", "dataset export",
                          "external", "external import", "external list", "external show"}) {
    const RunResult r = RunArus(std::string(cmd) + " --help");
    EXPECT_EQ(r.exit_code, 0) << cmd;
    EXPECT_NE(r.out.find("--"), std::string::npos) << cmd;
  }
  const RunResult none = RunArus("");
  EXPECT_NE(none.exit_code, 0);
}

TEST_F(CliTest, GenerateStoresEveryTickAndWritesTheCalendar) {
  const nlohmann::json& g = *generate_json_;
  EXPECT_GT(g["ticks"].get<int64_t>(), 100000);
  EXPECT_EQ(g["ticks"], g["added"]);
  EXPECT_EQ(g["symbols"].size(), 4u);
  EXPECT_TRUE(fs::exists(*dir_ / "store" / "economic_calendar.csv"));
  const RunResult info = RunArus("info --json --verify --store " + Store());
  ASSERT_EQ(info.exit_code, 0) << info.err;
  const nlohmann::json j = nlohmann::json::parse(info.out);
  EXPECT_EQ(j["total"]["ticks"], g["ticks"]);
  EXPECT_TRUE(j["verify"]["ok"].get<bool>());
  EXPECT_GT(j["total"]["compression_ratio"].get<double>(), 3.0);
  for (const auto& s : j["symbols"]) {
    // 2024-03-06 (Wed) .. 03-13 00:00 UTC: trading dates 6, 7, 8, 11, 12 and the start of 13.
    EXPECT_EQ(s["trading_days"].get<int>(), 6) << s;
  }
}

TEST_F(CliTest, RegenerateAddsNothing) {
  const RunResult r = RunArus("generate --symbols EURUSD --from 2024-03-06 --to 2024-03-13 --seed 11 "
                          "--tick-rate-scale 0.1 --json --store " + Store());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["added"].get<int64_t>(), 0);
  EXPECT_EQ(j["symbols"][0]["duplicate"], j["symbols"][0]["ticks"]);
  // A different seed over the same range conflicts with what is stored: a clear error.
  const RunResult conflict = RunArus("generate --symbols EURUSD --from 2024-03-06 --to 2024-03-07 "
                                 "--seed 12 --tick-rate-scale 0.1 --store " + Store() +
                                 " --calendar " + (*dir_ / "cal2.csv").string());
  EXPECT_EQ(conflict.exit_code, 1);
  EXPECT_NE(conflict.err.find("replace"), std::string::npos) << conflict.err;
}

TEST_F(CliTest, TicksCsvEqualsTheStore) {
  const fs::path out = *dir_ / "ticks.csv";
  const RunResult r = RunArus("ticks --store " + Store() + " --symbol usdjpy --from 2024-03-07 --to "
                          "2024-03-08 --output " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = ReadLines(out);
  ASSERT_GT(lines.size(), 1000u);
  EXPECT_EQ(lines[0], "time,bid,ask,bid_volume,ask_volume");
  auto store = store::TickStore::Open(Store(), store::OpenMode::kReadOnly);
  ASSERT_TRUE(store.ok());
  auto ticks = (*store)->ReadAll("USDJPY", *ParseIsoUtc("2024-03-07"), *ParseIsoUtc("2024-03-08"));
  ASSERT_TRUE(ticks.ok());
  ASSERT_EQ(lines.size(), ticks->size() + 1);
  for (size_t i = 0; i < ticks->size(); ++i) {
    const std::vector<std::string> f = Split(lines[i + 1], ',');
    ASSERT_EQ(f.size(), 5u) << lines[i + 1];
    const QuoteTick& t = (*ticks)[i];
    ASSERT_EQ(*ParseIsoUtc(f[0]), t.ts_event);
    ASSERT_EQ(Price::Parse(f[1])->raw(), t.bid.raw());
    ASSERT_EQ(Price::Parse(f[2])->raw(), t.ask.raw());
    ASSERT_EQ(f[1].size() - f[1].find('.') - 1, 3u);  // JPY quotes: 3 decimals
    ASSERT_EQ(std::stof(f[3]), t.bid_volume);
    ASSERT_EQ(std::stof(f[4]), t.ask_volume);
  }
}

TEST_F(CliTest, BarsCsvMatchesTheAggregatorAndTheCalendar) {
  const fs::path out = *dir_ / "d1.csv";
  const RunResult r = RunArus("bars --store " + Store() + " --symbol EURUSD --timeframe D1 --output " +
                          out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = ReadLines(out);
  ASSERT_EQ(lines[0], "time,open,high,low,close,tick_count,volume,spread_mean");
  ASSERT_EQ(lines.size(), 7u);
  // D1 bars open at 17:00 New York: 22:00 UTC before the US DST switch (10 Mar), 21:00 after.
  EXPECT_EQ(Split(lines[1], ',')[0], "2024-03-05T22:00:00Z");  // partial first day
  EXPECT_EQ(Split(lines[3], ',')[0], "2024-03-07T22:00:00Z");
  EXPECT_EQ(Split(lines[4], ',')[0], "2024-03-10T21:00:00Z");
  EXPECT_EQ(Split(lines[5], ',')[0], "2024-03-11T21:00:00Z");

  auto store = store::TickStore::Open(Store(), store::OpenMode::kReadOnly);
  ASSERT_TRUE(store.ok());
  auto ticks = (*store)->ReadAll("EURUSD", UnixNanos::Min(), UnixNanos::Max());
  ASSERT_TRUE(ticks.ok());
  for (const char* tf_name : {"M5", "H1", "H4", "D1"}) {
    const fs::path p = *dir_ / (std::string(tf_name) + "_bid.csv");
    const RunResult rb = RunArus("bars --store " + Store() + " --symbol EURUSD --price bid "
                             "--timeframe " + tf_name + " --output " + p.string());
    ASSERT_EQ(rb.exit_code, 0) << rb.err;
    auto expected = bars::AggregateTicks(*ticks, *bars::ParseTimeframe(tf_name), PriceSide::kBid,
                                         fx::FxCalendar::Default());
    ASSERT_TRUE(expected.ok());
    const std::vector<std::string> got = ReadLines(p);
    ASSERT_EQ(got.size(), expected->size() + 1) << tf_name;
    int64_t tick_sum = 0;
    for (size_t i = 0; i < expected->size(); ++i) {
      const std::vector<std::string> f = Split(got[i + 1], ',');
      const Bar& b = (*expected)[i];
      ASSERT_EQ(*ParseIsoUtc(f[0]), b.ts_open);
      ASSERT_EQ(Price::Parse(f[1])->raw(), b.open.raw());
      ASSERT_EQ(Price::Parse(f[2])->raw(), b.high.raw());
      ASSERT_EQ(Price::Parse(f[3])->raw(), b.low.raw());
      ASSERT_EQ(Price::Parse(f[4])->raw(), b.close.raw());
      ASSERT_EQ(std::stoll(f[5]), b.tick_count);
      tick_sum += b.tick_count;
    }
    EXPECT_EQ(tick_sum, static_cast<int64_t>(ticks->size())) << tf_name;
  }
}

TEST_F(CliTest, BarsWithBoundsAreWhollyInside) {
  const fs::path out = *dir_ / "h1_cut.csv";
  const RunResult r = RunArus("bars --store " + Store() + " --symbol EURUSD --timeframe H1 "
                              "--from 2024-03-07T10:30 --to 2024-03-07T15:59 --output " +
                              out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = ReadLines(out);
  ASSERT_EQ(lines.size(), 5u);  // 11:00, 12:00, 13:00, 14:00; 10:00 and 15:00 are cut
  EXPECT_EQ(Split(lines[1], ',')[0], "2024-03-07T11:00:00Z");
  EXPECT_EQ(Split(lines[4], ',')[0], "2024-03-07T14:00:00Z");
  EXPECT_NE(r.err.find("left out 2 bar(s)"), std::string::npos) << r.err;
}

TEST_F(CliTest, QualityReportAndSelfComparison) {
  const RunResult q = RunArus("quality --store " + Store() + " --symbol EURUSD --json -");
  ASSERT_EQ(q.exit_code, 0) << q.err;
  const nlohmann::json r = nlohmann::json::parse(q.out);
  // Clean generated data across a weekend and the US DST switch: nothing flagged.
  EXPECT_EQ(r["score"]["score"].get<double>(), 100.0) << q.out.substr(0, 2000);
  EXPECT_EQ(r["rows"]["in"], r["rows"]["out"]);
  EXPECT_GT(r["rows"]["in"].get<int64_t>(), 10000);
  const RunResult text = RunArus("quality --store " + Store() + " --symbol eurusd");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("By New York hour"), std::string::npos);

  const RunResult c = RunArus("compare --store " + Store() + " --store " + Store() +
                              " --symbol EURUSD --json -");
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const nlohmann::json cj = nlohmann::json::parse(c.out);
  EXPECT_EQ(cj["mid_diff_pips"]["max_abs"].get<double>(), 0.0);
  EXPECT_EQ(cj["ticks"]["a"], cj["ticks"]["b"]);
  EXPECT_EQ(RunArus("compare --store " + Store() + " --symbol EURUSD").exit_code, 2);
}

TEST_F(CliTest, ErrorsAreOneClearLine) {
  struct Case {
    std::string args;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {"bars --store " + Store() + " --symbol EURUSD --timeframe H2 --output /tmp/x.csv", "H2"},
      {"bars --store " + Store() + " --symbol EURUSD --timeframe H1 --price last --output /tmp/x",
       "last"},
      {"bars --store " + Store() + " --symbol AUDCAD --timeframe H1 --output /tmp/x.csv", "AUDCAD"},
      {"ticks --store /nonexistent/arus --symbol EURUSD --output /tmp/x.csv", "/nonexistent/arus"},
      {"ticks --store " + Store() + " --symbol EURUSD --from 2024-03-09 --to 2024-03-08 "
       "--output /tmp/x.csv", "--to"},
      {"generate --symbols EURXYZ --from 2024-01-01 --to 2024-01-02 --store " + Store(), "EURXYZ"},
      {"generate --symbols EURUSD --from 2024-01-05 --to 2024-01-02 --store " + Store(), "range"},
      {"generate --symbols EURUSD --from 2024-13-01 --to 2024-01-02 --store " + Store(),
       "2024-13-01"},
  };
  for (const Case& c : cases) {
    const RunResult r = RunArus(c.args);
    EXPECT_EQ(r.exit_code, 1) << c.args << "\n" << r.err;
    EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  // Usage errors (missing required options) exit 2.
  EXPECT_EQ(RunArus("bars --store " + Store()).exit_code, 2);
}

TEST_F(CliTest, QuietSilencesSummaries) {
  const fs::path out = *dir_ / "q.csv";
  const RunResult r = RunArus("-q bars --store " + Store() + " --symbol GBPUSD --timeframe H1 "
                          "--output " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_EQ(r.out, "");
  EXPECT_TRUE(fs::exists(out));
}

}  // namespace
}  // namespace arus
