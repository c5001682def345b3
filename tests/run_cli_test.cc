// `arus run` end to end: the golden regression run (tests/golden/run_small), reproducibility,
// the run directory's files and the errors a user hits.
//
// The golden statistics live in tests/golden/run_small/expected.json. A change that moves them
// (generator, features, learners, engine, costs, risk, analytics) fails here; regenerate on
// purpose with `ARUS_UPDATE_GOLDEN=1 build/tests/run_cli_test` and say why in the commit.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "run_arus.h"

namespace arus {
namespace {

namespace fs = std::filesystem;
using ::arus::testing::RunArus;
using ::arus::testing::RunResult;
using ::arus::testing::Slurp;
using nlohmann::json;

const fs::path kGolden = fs::path(ARUS_SOURCE_DIR) / "tests/golden/run_small";

// The figures the golden run pins: counts exactly, money and ratios to rounding.
json GoldenFigures(const json& m) {
  const json& p = m["performance"];
  json g;
  g["trades"] = p["trades"]["count"];
  g["long"] = p["trades"]["long"];
  g["short"] = p["trades"]["short"];
  g["wins"] = p["trades"]["wins"];
  g["net_pnl"] = p["returns"]["net_pnl"];
  g["final_equity"] = p["returns"]["final_equity"];
  g["gross_pnl"] = p["trades"]["gross_pnl"];
  g["sharpe"] = p["returns"]["sharpe"];
  g["sortino"] = p["returns"]["sortino"];
  g["max_drawdown_pct"] = p["drawdown"]["max_pct"];
  g["profit_factor"] = p["trades"]["profit_factor"];
  for (const char* k : {"spread", "commission", "slippage", "swap", "total"}) {
    g["costs"][k] = p["costs"][k];
  }
  g["deflated_sharpe"] = m["overfitting"]["deflated_sharpe"]["dsr"];
  g["pbo"] = m["overfitting"]["pbo"].value("pbo", json());
  g["orders"] = m["strategy"]["orders"];
  g["fills"] = m["broker"]["fills"];
  g["rollovers"] = m["broker"]["rollovers"];
  g["risk_rejections"] = m["risk"]["checks"].get<int64_t>() - m["risk"]["accepted"].get<int64_t>();
  for (const json& b : m["model_backtests"]) {
    g["models"][b["model"].get<std::string>()] = {{"trades", b["trades"]},
                                                  {"net_pnl", b["net_pnl"]}};
  }
  for (const auto& [model, v] : m["validation_pooled"].items()) {
    g["models"][model]["oos_accuracy"] = v["accuracy"];
  }
  return g;
}

// Numbers agree to 1e-9 relative (1e-6 absolute near zero); everything else exactly.
void ExpectSame(const json& want, const json& got, const std::string& path) {
  if (want.is_number() && got.is_number()) {
    if (want.is_number_integer() && got.is_number_integer()) {
      EXPECT_EQ(want.get<int64_t>(), got.get<int64_t>()) << path;
      return;
    }
    const double a = want.get<double>(), b = got.get<double>();
    EXPECT_LE(std::fabs(a - b), std::max(1e-6, 1e-9 * std::fabs(a)))
        << path << ": expected " << a << ", got " << b;
    return;
  }
  if (want.is_object() && got.is_object()) {
    for (const auto& [k, v] : want.items()) {
      ASSERT_TRUE(got.contains(k)) << path << "." << k << " is missing";
      ExpectSame(v, got[k], path + "." + k);
    }
    EXPECT_EQ(want.size(), got.size()) << path << ": " << got.dump();
    return;
  }
  EXPECT_EQ(want, got) << path;
}

json WithoutTimings(json j) {
  if (j.is_object()) {
    j.erase("fit_seconds");
    for (auto& [k, v] : j.items()) v = WithoutTimings(v);
  } else if (j.is_array()) {
    for (auto& v : j) v = WithoutTimings(v);
  }
  return j;
}

class RunCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("arus_run_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  RunResult Run(const std::string& config, const std::string& name, const std::string& extra = "") {
    return RunArus("run --config " + config + " --runs " + (dir_ / "runs").string() +
                   " --name " + name + " " + extra);
  }
  fs::path RunDir(const std::string& name) const { return dir_ / "runs" / name; }

  // A copy of the golden config with `replace` applied (first occurrence of each key), in dir_.
  std::string Variant(const std::string& from, const std::string& to) {
    std::string text = Slurp(kGolden / "run.toml");
    if (!from.empty()) {
      const size_t at = text.find(from);
      EXPECT_NE(at, std::string::npos) << from;
      if (at != std::string::npos) text.replace(at, from.size(), to);
    }
    for (const char* f : {"features.toml", "train.toml"}) {
      fs::copy_file(kGolden / f, dir_ / f, fs::copy_options::overwrite_existing);
    }
    const fs::path p = dir_ / "variant.toml";
    std::ofstream(p) << text;
    return p.string();
  }

  fs::path dir_;
};

TEST_F(RunCliTest, GoldenRunMatchesItsStatisticsAndIsReproducible) {
  const std::string config = (kGolden / "run.toml").string();
  RunResult r = Run(config, "a");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The human summary names every stage and where the report is.
  for (const char* s : {"data: generated", "quality: EURUSD 100.0", "features: ", "train: ",
                        "backtest: ensemble", "analytics: Sharpe", "report: ", "trades, net P&L",
                        "deflated Sharpe probability"}) {
    EXPECT_NE(r.out.find(s), std::string::npos) << s << "\n" << r.out;
  }
  const fs::path a = RunDir("a");
  for (const char* f : {"manifest.json", "dataset.ds", "validation.json", "metrics.json",
                        "trades.csv", "equity.csv", "report.html", "quality/EURUSD.json",
                        "quality/USDJPY.json"}) {
    EXPECT_TRUE(fs::exists(a / f)) << f;
  }
  EXPECT_TRUE(fs::exists(a / "models") && !fs::is_empty(a / "models"));

  const json metrics = json::parse(Slurp(a / "metrics.json"));
  const json got = GoldenFigures(metrics);
  const fs::path expected_path = kGolden / "expected.json";
  if (const char* u = std::getenv("ARUS_UPDATE_GOLDEN"); u != nullptr && std::string(u) == "1") {
    std::ofstream(expected_path) << got.dump(2) << "\n";
    GTEST_SKIP() << "wrote " << expected_path;
  }
  const std::string expected_text = Slurp(expected_path);
  ASSERT_FALSE(expected_text.empty()) << expected_path << " missing: run with ARUS_UPDATE_GOLDEN=1";
  ExpectSame(json::parse(expected_text), got, "expected");

  // trades.csv has one row per trade, equity.csv starts at the initial balance.
  const std::string trades = Slurp(a / "trades.csv");
  EXPECT_EQ(static_cast<int64_t>(std::count(trades.begin(), trades.end(), '\n')) - 1,
            got["trades"].get<int64_t>());
  EXPECT_NE(Slurp(a / "equity.csv").find("50000"), std::string::npos);

  // The manifest ties the run to its config, data and code.
  const json man = json::parse(Slurp(a / "manifest.json"));
  EXPECT_EQ(man["config_hash"].get<std::string>().size(), 16u);
  EXPECT_EQ(man["seed"], 11);
  EXPECT_EQ(man["traded_model"], "ensemble");
  EXPECT_FALSE(man["code_revision"].get<std::string>().empty());
  EXPECT_EQ(man["data"]["symbols"], json({"EURUSD", "USDJPY"}));

  // The report is one self-contained file with its sections.
  const std::string html = Slurp(a / "report.html");
  for (const char* s : {"Equity and drawdown", "Monthly returns", "Trades on the price", "Costs",
                        "Overfitting statistics", "Model validation", "golden"}) {
    EXPECT_NE(html.find(s), std::string::npos) << s;
  }
  EXPECT_EQ(html.find("http://"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);

  // The same config again: the same bytes in every result file (only the manifest's creation
  // time and the directory differ).
  r = Run(config, "b", "-q");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  for (const char* f : {"metrics.json", "trades.csv", "equity.csv", "report.html",
                        "quality/EURUSD.json"}) {
    EXPECT_EQ(Slurp(a / f), Slurp(RunDir("b") / f)) << f << " differs between identical runs";
  }
  // validation.json also records how long each fit took.
  EXPECT_EQ(WithoutTimings(json::parse(Slurp(a / "validation.json"))),
            WithoutTimings(json::parse(Slurp(RunDir("b") / "validation.json"))));
}

TEST_F(RunCliTest, JsonPrintsTheMetrics) {
  RunResult r = Run(Variant("to = \"2024-03-30\"", "to = \"2024-03-23\""), "j", "--json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json m = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(m.is_discarded()) << r.out.substr(0, 400);
  EXPECT_EQ(m["run"]["traded_model"], "ensemble");
  EXPECT_EQ(m["performance"]["format"], "arus-backtest-metrics");
  EXPECT_EQ(m, json::parse(Slurp(RunDir("j") / "metrics.json")));
}

TEST_F(RunCliTest, ErrorsNameTheFileLineAndKey) {
  struct Case {
    std::string from, to, message;
  };
  const Case cases[] = {
      {"seed = 11", "seed = 11\ncolour = \"red\"", "variant.toml:7: field 'colour': unknown key"},
      {"tick_rate_scale = 0.25", "tick_rate_scale = \"fast\"",
       "field 'data.tick_rate_scale': expected a number"},
      {"model = \"ensemble\"", "model = \"lstm9\"", "train.model \"lstm9\" is not a model"},
      {"symbols = [\"EURUSD\", \"USDJPY\"]", "symbols = [\"EURXXX\"]", "EURXXX"},
      {"mode = \"plant_signal\"", "mode = \"chaos\"", "unknown market mode \"chaos\""},
      {"spec = \"features.toml\"", "spec = \"nowhere.toml\"", "nowhere.toml"},
      {"max_drawdown = 0.2", "max_drawdown = -3", "max_drawdown"},
      {"account_currency = \"EUR\"", "account_currency = \"EURO\"", "account_currency"},
  };
  for (const Case& c : cases) {
    const std::string config = Variant(c.from, c.to);
    RunResult r = Run(config, "e");
    EXPECT_NE(r.exit_code, 0) << c.to;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << c.to << "\nstderr: " << r.err;
    fs::remove_all(dir_ / "runs");
  }
  RunResult r = Run((dir_ / "missing.toml").string(), "m");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("missing.toml"), std::string::npos) << r.err;

  // An existing run directory is never overwritten.
  fs::create_directories(RunDir("taken"));
  r = Run(Variant("", ""), "taken");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("exists"), std::string::npos) << r.err;

  r = RunArus("run --help");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("--config"), std::string::npos);
}

}  // namespace
}  // namespace arus
