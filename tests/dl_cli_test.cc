// `arus train / predict` end to end with the deep-learning learners: an lstm and a cnn configured
// like any other learner, validated walk-forward on a generated market with a planted pattern,
// saved into the registry, and applied by `arus predict` (multi-step columns; history read
// before --from).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "run_arus.h"

namespace arus {
namespace {

namespace fs = std::filesystem;
using ::arus::testing::RunArus;
using ::arus::testing::RunResult;
using ::arus::testing::Slurp;

constexpr const char* kFeatureSet = R"toml(name = "dl-check"
symbol = "EURUSD"
base_timeframe = "M5"
price = "mid"
labels = ["direction(h=1, dz=0)"]
[indicators]
M5 = "roc(1),roc(3),rsi(14),zscore(20)"
)toml";

class DlCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("arus_dl_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "features.toml") << kFeatureSet;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Dataset() {
    const std::string store = (dir_ / "store").string();
    RunResult r = RunArus(
        "generate -q --symbols EURUSD --from 2024-01-01 --to 2024-02-20 --seed 11 --no-news "
        "--tick-rate-scale 0.05 --plant-signal 0.3 --store " +
        store);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    const std::string ds = (dir_ / "data.ds").string();
    r = RunArus("features -q --config " + (dir_ / "features.toml").string() + " --store " + store +
                " --output " + ds);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return ds;
  }

  fs::path dir_;
};

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

TEST_F(DlCliTest, TrainValidateSaveAndPredictWithSequenceLearners) {
  const std::string ds = Dataset();
  RunResult r = RunArus("train --list-learners");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* name : {"lstm", "gru", "transformer", "cnn", "cnn_lstm", "burn_in"}) {
    EXPECT_NE(r.out.find(name), std::string::npos) << name;
  }

  const std::string config =
      "name = \"dl\"\n"
      "dataset = \"" +
      ds +
      "\"\n"
      "label = \"direction_1_0_pips\"\n"
      "drop_flat = true\n"
      "seed = 3\n"
      "[validation]\nscheme = \"walk_forward\"\ntrain_rows = 3000\ntest_rows = 1500\n"
      "max_folds = 2\n"
      "[[learner]]\ntype = \"lstm\"\n"
      "params = { window = 16, hidden = 16, layers = 1, epochs = 8, batch_size = 32, "
      "lr = 0.01 }\n"
      "[[learner]]\ntype = \"cnn\"\n"
      "params = { window = 8, channels = 8, conv_layers = 1, hidden = 16, epochs = 8, "
      "lr = 0.005, horizons = 2 }\n"
      "[ensemble]\n";
  std::ofstream(dir_ / "exp.toml") << config;
  const std::string models = (dir_ / "models").string();
  r = RunArus("train -q --config " + (dir_ / "exp.toml").string() + " --out " +
              (dir_ / "run").string() + " --models " + models);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json m =
      nlohmann::json::parse(Slurp(dir_ / "run" / "metrics.json"), nullptr, false);
  ASSERT_TRUE(m.is_object());
  ASSERT_EQ(m["models"].size(), 3u);  // lstm, cnn, ensemble
  for (const auto& name : m["models"]) {
    const auto& pooled = m["validation"][name.get<std::string>()]["pooled"];
    SCOPED_TRACE(name.get<std::string>());
    EXPECT_EQ(pooled["n"].get<size_t>(), 3000u);
    // The planted pattern is found out of sample.
    EXPECT_LT(pooled["binomial_p"].get<double>(), 1e-4) << pooled.dump();
  }
  EXPECT_EQ(m["final_params"]["lstm"]["hidden"], 16);
  ASSERT_EQ(m["saved_models"].size(), 3u);

  // The saved cnn predicts two horizons: extra columns.
  const std::string cnn = m["saved_models"]["cnn"];
  EXPECT_TRUE(fs::exists(fs::path(models) / cnn / "weights.pt"));
  const std::string full = (dir_ / "full.csv").string();
  r = RunArus("predict -q --model " + cnn + " --models " + models + " --dataset " + ds +
              " --output " + full);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> all = Lines(Slurp(full));
  ASSERT_GT(all.size(), 1000u);
  EXPECT_EQ(all[0], "time,label,p_-1,p_1,pred,h2_p_-1,h2_p_1,h2_pred");

  // --from: the rows before it are read as history, so the windowed cnn gives the same values
  // as in the full run.
  const std::string from = all[900].substr(0, all[900].find(','));
  const std::string part = (dir_ / "part.csv").string();
  r = RunArus("predict --json --model " + cnn + " --models " + models + " --dataset " + ds +
              " --from " + from + " --output " + part);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json summary = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_EQ(summary["horizons"], 2);
  EXPECT_EQ(summary["context_rows"], 7);
  const std::vector<std::string> tail = Lines(Slurp(part));
  ASSERT_EQ(tail.size(), all.size() - 899);
  for (size_t i = 1; i < tail.size(); ++i) ASSERT_EQ(tail[i], all[899 + i]) << i;

  // The ensemble (lstm + cnn) loads and predicts too.
  const std::string ens = m["saved_models"]["ensemble"];
  r = RunArus("predict -q --model " + ens + " --models " + models + " --dataset " + ds +
              " --output " + (dir_ / "ens.csv").string());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(Lines(Slurp(dir_ / "ens.csv"))[0], "time,label,p_-1,p_1,pred,agreement");
}

TEST_F(DlCliTest, BadDlParametersAreOneLineErrors) {
  std::ofstream(dir_ / "bad.toml") << "[validation]\ntrain_rows = 10\ntest_rows = 5\n"
                                      "[[learner]]\ntype = \"transformer\"\n"
                                      "params = { d_model = 10, heads = 4, window = 1 }\n";
  RunResult r = RunArus("train --config " + (dir_ / "bad.toml").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("window"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace arus
