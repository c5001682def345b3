// `arus features` end to end on generated data: a dataset with every feature family, its CSV,
// extension equal to a full build (byte-identical files), tick features, and errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "features/dataset.h"
#include "run_arus.h"

namespace arus {
namespace {

namespace fs = std::filesystem;
using ::arus::testing::RunArus;
using ::arus::testing::RunResult;
using ::arus::testing::Slurp;

class FeaturesCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("arus_features_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    const RunResult r = RunArus(
        "generate -q --symbols EURUSD,GBPUSD,EURGBP,USDJPY --from 2024-01-01 --to 2024-01-20 "
        "--seed 3 --tick-rate-scale 0.05 --store " +
        Store());
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }
  static std::string Store() { return (dir_ / "store").string(); }
  static std::string Example() { return std::string(ARUS_SOURCE_DIR) + "/examples/features.toml"; }
  static fs::path dir_;
};
fs::path FeaturesCliTest::dir_;

TEST_F(FeaturesCliTest, ExampleSetBuildsEveryFamilyWithLabels) {
  const fs::path out = dir_ / "a.ds", csv = dir_ / "a.csv";
  const RunResult r = RunArus("features --json --config " + Example() + " --store " + Store() +
                              " --output " + out.string() + " --csv " + csv.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_GT(j["rows"].get<int>(), 3000);
  EXPECT_EQ(j["base_timeframe"], "M5");
  const std::vector<std::string> names = j["features"];
  for (const char* f : {"m5_rsi_14", "h1_ema_50", "h4_adx_14", "d1_atr_14", "trend_align_20",
                        "corr_GBPUSD_100", "strength_USD_12", "tri_dev_GBP_pips",
                        "m5_session_london"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), f), names.end()) << f;
  }
  EXPECT_EQ(j["labels"].size(), 3u);
  Result<features::Dataset> ds = features::ReadDataset(out.string());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_EQ(ds->feature_set_hash, j["feature_set_hash"]);
  EXPECT_EQ(ds->rows(), j["rows"].get<size_t>());
  // Decision times are M5 closes; every label ends after its row.
  for (size_t i = 0; i < ds->rows(); ++i) {
    ASSERT_EQ(ds->time[i].ns() % (5 * kNanosPerMinute), 0);
    for (size_t l = 0; l < ds->label_names.size(); ++l) ASSERT_GT(ds->label_end[l][i], ds->time[i]);
  }
  const std::string text = Slurp(csv);
  EXPECT_EQ(text.rfind("time,m5_rsi_14,", 0), 0u) << text.substr(0, 200);
  EXPECT_NE(text.find(",forward_return_12_end,"), std::string::npos);
}

TEST_F(FeaturesCliTest, ExtendEqualsFullBuild) {
  const fs::path part = dir_ / "part.ds", full = dir_ / "full.ds";
  const std::string base = "features -q --config " + Example() + " --store " + Store();
  ASSERT_EQ(RunArus(base + " --output " + part.string() + " --to 2024-01-10T13:00").exit_code, 0);
  const RunResult ext =
      RunArus(base + " --json --extend --output " + part.string() + " --to 2024-01-17");
  ASSERT_EQ(ext.exit_code, 0) << ext.err;
  EXPECT_TRUE(nlohmann::json::parse(ext.out)["extended"].get<bool>());
  EXPECT_GT(nlohmann::json::parse(ext.out)["new_rows"].get<int>(), 1000);
  ASSERT_EQ(RunArus(base + " --output " + full.string() + " --to 2024-01-17").exit_code, 0);
  EXPECT_EQ(Slurp(part), Slurp(full));
}

// External data imported with `arus external import` reaches the dataset through [external],
// point in time: the minutes since the last high-impact event restart at each release.
TEST_F(FeaturesCliTest, ExternalFeaturesFromTheStore) {
  const std::string ex = std::string(ARUS_SOURCE_DIR) + "/examples/external/";
  ASSERT_EQ(RunArus("external import -q --kind calendar --input " + ex +
                    "calendar_eurusd_2024.csv --store " + Store()).exit_code, 0);
  ASSERT_EQ(RunArus("external import -q --kind index --name DXY --input " + ex +
                    "dxy_daily_2024.csv --store " + Store()).exit_code, 0);
  const fs::path spec = dir_ / "ext.toml", out = dir_ / "ext.ds";
  std::ofstream(spec) << "symbol = \"EURUSD\"\nbase_timeframe = \"M15\"\n"
                         "[indicators]\nM15 = \"rsi(14)\"\n"
                         "[external]\ncot = false\nsentiment = false\nindices = [\"DXY\"]\n";
  const RunResult r = RunArus("features --json --config " + spec.string() + " --store " + Store() +
                              " --output " + out.string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Result<features::Dataset> ds = features::ReadDataset(out.string());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  const int since = ds->FeatureIndex("evt_mins_since_last_high");
  const int dxy = ds->FeatureIndex("idx_DXY_close");
  ASSERT_GE(since, 0);
  ASSERT_GE(dxy, 0);
  // NFP on 2024-01-05 13:30 UTC: at 13:30 it is 0 minutes old (released at the decision time),
  // at 13:15 the last high-impact event is older.
  const auto row = [&](std::string_view iso) {
    const UnixNanos t = *ParseIsoUtc(iso);
    for (size_t i = 0; i < ds->rows(); ++i) {
      if (ds->time[i] == t) return i;
    }
    return ds->rows();
  };
  const size_t at = row("2024-01-05T13:30:00Z"), before = row("2024-01-05T13:15:00Z");
  ASSERT_LT(at, ds->rows());
  ASSERT_LT(before, ds->rows());
  EXPECT_EQ(ds->features[static_cast<size_t>(since)][at], 0.0);
  EXPECT_GT(ds->features[static_cast<size_t>(since)][before], 15.0);
  size_t known = 0;
  for (double v : ds->features[static_cast<size_t>(dxy)]) known += !std::isnan(v);
  EXPECT_GT(known, ds->rows() / 2);
}

// examples/features-ticks.toml: the [ticks] family from the store's EURUSD ticks, every row
// filled (ticks precede every M5 close), and extension byte-identical to a full build.
TEST_F(FeaturesCliTest, TickFeaturesFromTheStoreAndExtension) {
  const std::string spec = std::string(ARUS_SOURCE_DIR) + "/examples/features-ticks.toml";
  const fs::path out = dir_ / "ticks.ds", part = dir_ / "ticks_part.ds";
  const std::string base = "features --config " + spec + " --store " + Store();
  const RunResult r = RunArus(base + " --json --output " + out.string() + " --to 2024-01-12");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  const std::vector<std::string> names = j["features"];
  const std::vector<std::string> ticks = {"tick_spread_30s",    "tick_spread_5m",
                                          "tick_imbalance_5m",  "tick_intensity_1m",
                                          "tick_intensity_15m", "tick_slippage_5m"};
  ASSERT_GE(names.size(), ticks.size());
  // The tick columns come last, in spec order.
  EXPECT_TRUE(std::equal(ticks.begin(), ticks.end(), names.end() - 6)) << j["features"].dump();
  Result<features::Dataset> ds = features::ReadDataset(out.string());
  ASSERT_TRUE(ds.ok()) << ds.status().ToString();
  EXPECT_NE(ds->feature_set_text.find("[ticks]"), std::string::npos);
  ASSERT_GT(ds->rows(), 1500u);
  for (const std::string& name : ticks) {
    const auto& col = ds->features[static_cast<size_t>(ds->FeatureIndex(name))];
    for (size_t i = 0; i < ds->rows(); ++i) ASSERT_TRUE(std::isfinite(col[i])) << name << " " << i;
  }
  // Spread averages in pips, slippage at least half of it.
  const auto& spread = ds->features[static_cast<size_t>(ds->FeatureIndex("tick_spread_5m"))];
  const auto& slip = ds->features[static_cast<size_t>(ds->FeatureIndex("tick_slippage_5m"))];
  for (size_t i = 0; i < ds->rows(); ++i) {
    ASSERT_GT(spread[i], 0.01);
    ASSERT_LT(spread[i], 20.0);
    ASSERT_GE(slip[i], 0.5 * spread[i]);
  }
  ASSERT_EQ(RunArus(base + " -q --output " + part.string() + " --to 2024-01-08T10:07").exit_code,
            0);
  const RunResult ext =
      RunArus(base + " -q --extend --output " + part.string() + " --to 2024-01-12");
  ASSERT_EQ(ext.exit_code, 0) << ext.err;
  EXPECT_EQ(Slurp(part), Slurp(out));
}

TEST_F(FeaturesCliTest, ErrorsAreOneLineWithFileAndKey) {
  const fs::path bad = dir_ / "bad.toml";
  std::ofstream(bad) << "symbol = \"EURUSD\"\n[indicators]\nM5 = \"rsi(0)\"\n";
  RunResult r = RunArus("features --config " + bad.string() + " --store " + Store() +
                        " --output " + (dir_ / "x.ds").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.toml:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("rsi"), std::string::npos) << r.err;
  // A bad half-life in [ticks].
  std::ofstream(bad) << "symbol = \"EURUSD\"\n[ticks]\nspread = \"5q\"\n";
  r = RunArus("features --config " + bad.string() + " --store " + Store() + " --output " +
              (dir_ / "x.ds").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("bad.toml:3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ticks.spread"), std::string::npos) << r.err;
  // A symbol the store does not hold.
  std::ofstream(bad) << "symbol = \"AUDNZD\"\n";
  r = RunArus("features --config " + bad.string() + " --store " + Store() + " --output " +
              (dir_ / "x.ds").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("AUDNZD"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir_ / "x.ds"));
}

}  // namespace
}  // namespace arus
