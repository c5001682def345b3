// `arus anomaly fit|score` end to end, and the external-rule section of the quality report:
//  - on a dataset written here (a smooth AR process with a planted burst of volatility and jumps
//    after the training period) the appended ae_anomaly_<L> column finds the burst, the output's
//    feature-set identity changes, the quality report's "ae_anomaly" rule counts what the column
//    says, and the same command line gives the same numbers;
//  - with --store, the rule joins the tick report of a generated market;
//  - SummarizeExternalRule and the report rendering against hand-worked values;
//  - the errors a user hits (no rows, unknown columns, window too long, wrong feature set...).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "features/dataset.h"
#include "quality/report.h"
#include "run_arus.h"

namespace arus {
namespace {

namespace fs = std::filesystem;
using ::arus::testing::RunArus;
using ::arus::testing::RunResult;
using ::arus::testing::Slurp;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kRows = 5000, kTrainRows = 3000, kBurstBegin = 4000, kBurstLen = 150;
const int64_t kT0 = 1704189600LL * kNanosPerSecond;  // 2024-01-02T10:00Z, M5 steps

UnixNanos RowTime(size_t r) { return UnixNanos(kT0 + int64_t(r) * 5 * kNanosPerMinute); }

// ret_a: AR(1) phi 0.9; ret_b: 0.8 ret_a + noise; lvl_c: independent AR(1); noise_d: white
// noise (not selected by the globs below). Rows [kBurstBegin, +kBurstLen): innovations x5 and
// jumps of +-4 in ret_a. Label `dir` = sign of the next ret_a.
features::Dataset Market(size_t rows = kRows) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> n(0, 1);
  features::Dataset ds;
  ds.symbol = "EURUSD";
  ds.base_timeframe = "M5";
  ds.feature_set_name = "ae-test";
  ds.feature_set_hash = "0123456789abcdef";
  ds.feature_set_text = "name = \"ae-test\"\n";
  ds.feature_names = {"ret_a", "ret_b", "lvl_c", "noise_d"};
  ds.features.assign(4, std::vector<double>(rows));
  double a = 0, c = 0;
  for (size_t r = 0; r < rows; ++r) {
    ds.time.push_back(RowTime(r));
    const bool burst = r >= kBurstBegin && r < kBurstBegin + kBurstLen;
    const double k = burst ? 5.0 : 1.0;
    a = 0.9 * a + 0.45 * k * n(rng);
    if (burst && (r - kBurstBegin) % 7 == 3) a += (r % 2 ? 4.0 : -4.0);
    c = 0.7 * c + 0.7 * n(rng);
    ds.features[0][r] = a;
    ds.features[1][r] = 0.8 * a + 0.3 * k * n(rng);
    ds.features[2][r] = c;
    ds.features[3][r] = n(rng);
  }
  ds.label_names = {"dir"};
  ds.labels.assign(1, std::vector<double>(rows, kNaN));
  ds.label_end.assign(1, std::vector<UnixNanos>(rows, UnixNanos::Max()));
  for (size_t r = 0; r + 1 < rows; ++r) {
    ds.labels[0][r] = ds.features[0][r + 1] > ds.features[0][r] ? 1 : -1;
    ds.label_end[0][r] = ds.time[r + 1];
  }
  ds.checkpoint = {1, 2, 3};
  return ds;
}

class AnomalyCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("arus_anomaly_cli_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string Path(const std::string& name) const { return (dir_ / name).string(); }

  std::string Write(const features::Dataset& ds, const std::string& name) {
    EXPECT_TRUE(features::WriteDataset(Path(name), ds).ok());
    return Path(name);
  }

  // Fits the test detector on the first kTrainRows rows; returns the fit JSON.
  nlohmann::json Fit(const std::string& ds, const std::string& models) {
    const RunResult r = RunArus("anomaly fit --json --dataset " + ds +
                                " --columns 'ret_*,lvl_c' --window 16 --hidden 24 --bottleneck 6 "
                                "--learning-rate 0.003 --epochs 60 --patience 8 --seed 7 --to " +
                                RowTime(kTrainRows).ToIso() + " --models " + models);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  fs::path dir_;
};

TEST_F(AnomalyCliTest, FitScoreAndReportFindThePlantedBurst) {
  const features::Dataset in = Market();
  const std::string ds = Write(in, "market.ds");
  const std::string models = Path("models");
  const nlohmann::json fit = Fit(ds, models);
  ASSERT_TRUE(fit.is_object());
  EXPECT_EQ(fit["columns"], nlohmann::json({"ret_a", "ret_b", "lvl_c"}));
  EXPECT_EQ(fit["rows"], kTrainRows);
  EXPECT_EQ(fit["window"], 16);
  const std::string id = fit["id"];
  const double threshold = fit["threshold"];
  EXPECT_GT(threshold, 0);

  // The registry lists it as an autoencoder of this feature set.
  RunResult r = RunArus("models list --json --models " + models);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json list = nlohmann::json::parse(r.out);
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["learner"], "autoencoder");
  EXPECT_EQ(list[0]["feature_set"]["hash"], "0123456789abcdef");
  EXPECT_EQ(list[0]["feature_names"], fit["columns"]);

  const std::string out = Path("scored.ds"), csv = Path("scored.csv"), rep = Path("q.json");
  r = RunArus("anomaly score --model " + id + " --models " + models + " --dataset " + ds +
              " --output " + out + " --csv " + csv + " --report " + rep + " --top 3");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("anomalies"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("worst:"), std::string::npos) << r.out;

  // The output: the input plus two columns, under a new feature-set identity.
  auto scored = features::ReadDataset(out);
  ASSERT_TRUE(scored.ok()) << scored.status().ToString();
  const features::Dataset& o = scored.value();
  ASSERT_EQ(o.feature_names.size(), 6u);
  EXPECT_EQ(o.feature_names[4], "ae_error_16");
  EXPECT_EQ(o.feature_names[5], "ae_anomaly_16");
  EXPECT_NE(o.feature_set_hash, in.feature_set_hash);
  EXPECT_EQ(o.feature_set_hash.size(), 16u);
  EXPECT_EQ(o.feature_set_name, "ae-test+ae");
  EXPECT_NE(o.feature_set_text.find(id), std::string::npos);
  EXPECT_TRUE(o.checkpoint.empty());
  EXPECT_EQ(o.time, in.time);
  for (size_t c = 0; c < 4; ++c) {
    EXPECT_EQ(std::memcmp(o.features[c].data(), in.features[c].data(), kRows * sizeof(double)),
              0);
  }
  EXPECT_EQ(o.label_end, in.label_end);
  const std::vector<double>& err = o.features[4];
  const std::vector<double>& flag = o.features[5];
  size_t tp = 0, fp = 0, fn = 0, hits = 0, events = 0;
  for (size_t r = 0; r < kRows; ++r) {
    if (r < 15) {
      EXPECT_TRUE(std::isnan(err[r]) && std::isnan(flag[r])) << r;
      continue;
    }
    ASSERT_FALSE(std::isnan(err[r])) << r;
    EXPECT_EQ(flag[r], err[r] > threshold ? 1.0 : 0.0) << r;
    hits += flag[r] == 1.0;
    events += flag[r] == 1.0 && flag[r - 1] != 1.0;
    if (r < kTrainRows) continue;
    const bool planted = r >= kBurstBegin && r < kBurstBegin + kBurstLen + 15;
    if (flag[r] == 1.0) {
      (planted ? tp : fp)++;
    } else if (planted) {
      ++fn;
    }
  }
  EXPECT_GE(double(tp) / double(tp + fn), 0.9) << tp << " " << fn;
  EXPECT_GE(double(tp) / double(tp + fp), 0.8) << tp << " " << fp;

  // CSV: the same columns.
  const std::string text = Slurp(csv);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "time,ret_a,ret_b,lvl_c,noise_d,ae_error_16,ae_anomaly_16,dir,dir_end");

  // The quality report's rule says what the column says.
  const nlohmann::json q = nlohmann::json::parse(Slurp(rep), nullptr, false);
  ASSERT_TRUE(q.is_object());
  EXPECT_EQ(q["kind"], "dataset");
  EXPECT_EQ(q["symbol"], "EURUSD");
  EXPECT_EQ(q["rows"]["in"], kRows);
  EXPECT_FALSE(q.contains("jumps"));
  ASSERT_EQ(q["external_rules"].size(), 1u);
  const nlohmann::json& rule = q["external_rules"][0];
  EXPECT_EQ(rule["rule"], "ae_anomaly");
  EXPECT_EQ(rule["policy"], "flag");
  EXPECT_EQ(rule["rows"], kRows - 15);
  EXPECT_EQ(rule["hits"], hits);
  EXPECT_EQ(rule["events"], events);
  ASSERT_EQ(rule["worst"].size(), 3u);
  // The worst event is the burst, with its peak error.
  const nlohmann::json& w0 = rule["worst"][0];
  EXPECT_GE(w0["ts"].get<std::string>(), RowTime(kBurstBegin).ToIso());
  EXPECT_LE(w0["ts"].get<std::string>(), RowTime(kBurstBegin + kBurstLen).ToIso());
  double peak = 0;
  for (size_t r = kBurstBegin; r < kBurstBegin + kBurstLen + 15; ++r) peak = std::max(peak, err[r]);
  EXPECT_NEAR(w0["severity"].get<double>(), peak, 1e-6);
  EXPECT_GE(w0["severity"].get<double>(), rule["worst"][1]["severity"].get<double>());
  EXPECT_NE(w0["why"].get<std::string>().find("threshold"), std::string::npos);

  // Same command line, same model numbers.
  const nlohmann::json again = Fit(ds, Path("models2"));
  ASSERT_TRUE(again.is_object());
  EXPECT_EQ(again["threshold"].get<double>(), threshold);
  r = RunArus("anomaly score -q --model " + again["id"].get<std::string>() + " --models " +
              Path("models2") + " --dataset " + ds + " --output " + Path("again.ds"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto twice = features::ReadDataset(Path("again.ds"));
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(std::memcmp(twice.value().features[4].data(), err.data(), kRows * sizeof(double)), 0);

  // The output was made by another feature set: the model refuses it, naming both hashes.
  r = RunArus("anomaly score --model " + id + " --models " + models + " --dataset " + out +
              " --json");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("0123456789abcdef"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(o.feature_set_hash), std::string::npos) << r.err;
}

TEST_F(AnomalyCliTest, TheRuleJoinsTheTickReportOfAStore) {
  const std::string store = Path("store");
  RunResult r = RunArus(
      "generate -q --symbols EURUSD --from 2024-01-01 --to 2024-01-13 --seed 3 --no-news "
      "--tick-rate-scale 0.05 --store " + store);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ofstream(Path("fs.toml")) << "name = \"ae-store\"\nsymbol = \"EURUSD\"\n"
                                    "base_timeframe = \"M5\"\nlabels = [\"direction(h=1)\"]\n"
                                    "[indicators]\nM5 = \"roc(1),zscore(20),atr(14)\"\n";
  const std::string ds = Path("d.ds");
  r = RunArus("features -q --config " + Path("fs.toml") + " --store " + store + " --output " + ds);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = RunArus("anomaly fit --json --dataset " + ds +
              " --window 8 --hidden 16 --bottleneck 3 --epochs 5 --models " + Path("models"));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string id = nlohmann::json::parse(r.out)["id"];
  r = RunArus("anomaly score --model " + id + " --models " + Path("models") + " --dataset " + ds +
              " --store " + store + " --report -");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json q = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_TRUE(q.is_object()) << r.out;
  EXPECT_EQ(q["kind"], "ticks");
  EXPECT_GT(q["rows"]["in"].get<int64_t>(), 1000);
  EXPECT_FALSE(q["rules"].empty());
  EXPECT_TRUE(q.contains("jumps"));
  ASSERT_EQ(q["external_rules"].size(), 1u);
  EXPECT_EQ(q["external_rules"][0]["rule"], "ae_anomaly");
  EXPECT_GT(q["external_rules"][0]["rows"].get<int64_t>(), 100);
  // Fitted with quantile 0.99 on every row: about 1% of them are above the threshold.
  EXPECT_LE(q["external_rules"][0]["hits"].get<double>(),
            0.011 * q["external_rules"][0]["rows"].get<double>() + 1);
}

TEST_F(AnomalyCliTest, ErrorsAUserHits) {
  const features::Dataset in = Market(600);
  const std::string ds = Write(in, "m.ds");
  const std::string models = " --models " + Path("models");
  auto fails = [](const RunResult& r, const std::string& what) {
    EXPECT_EQ(r.exit_code, 1) << r.out;
    EXPECT_NE(r.err.find(what), std::string::npos) << r.err;
  };
  features::Dataset empty = in.Slice(0, 0);
  fails(RunArus("anomaly fit --dataset " + Write(empty, "empty.ds") + models), "no rows");
  fails(RunArus("anomaly fit --dataset " + ds + " --columns 'ret_a,vol*'" + models),
        "'vol*' matches no feature column");
  fails(RunArus("anomaly fit --dataset " + ds + " --window 5000" + models),
        "window 5000 out of range");
  fails(RunArus("anomaly fit --dataset " + ds + " --window 64 --to " + RowTime(50).ToIso() +
                models),
        "window 64 is longer than the 50 training rows");
  fails(RunArus("anomaly fit --dataset " + ds + " --exclude-column nope" + models),
        "--exclude-column: no feature or label 'nope'");
  features::Dataset holes = in;
  for (double& v : holes.features[2]) v = kNaN;
  fails(RunArus("anomaly fit --dataset " + Write(holes, "holes.ds") + models),
        "column 'lvl_c' has no finite value");

  // A good model for the scoring errors, fitted without rows 100-149 (a label marks them).
  features::Dataset marked = in;
  marked.label_names.push_back("bad");
  marked.labels.push_back(std::vector<double>(in.rows(), 0.0));
  marked.label_end.push_back(in.time);
  for (size_t r = 100; r < 150; ++r) marked.labels[1][r] = 1;
  RunResult r = RunArus("anomaly fit --json --dataset " + Write(marked, "marked.ds") +
                        " --columns ret_a,ret_b --window 8 --epochs 3 --exclude-column bad" +
                        models);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const nlohmann::json fit = nlohmann::json::parse(r.out);
  EXPECT_EQ(fit["excluded_rows"], 50);
  EXPECT_EQ(fit["windows"]["excluded"], 50 + 8 - 1);
  const std::string id = fit["id"];
  fails(RunArus("anomaly score --model nope --dataset " + ds + " --json" + models), "not found");
  fails(RunArus("anomaly score --model " + id + " --dataset " + ds + models), "nothing to write");
  features::Dataset fewer = in;
  fewer.feature_names.erase(fewer.feature_names.begin() + 1);
  fewer.features.erase(fewer.features.begin() + 1);
  fails(RunArus("anomaly score --model " + id + " --dataset " + Write(fewer, "fewer.ds") +
                " --json" + models),
        "lacks feature column(s) ret_b");
  features::Dataset clash = in;
  clash.feature_names.push_back("ae_error_8");
  clash.features.push_back(std::vector<double>(in.rows(), 0.0));
  fails(RunArus("anomaly score --model " + id + " --dataset " + Write(clash, "clash.ds") +
                " --output " + Path("o.ds") + models),
        "already has a column 'ae_error_8'");
  EXPECT_FALSE(fs::exists(Path("o.ds")));
  // A damaged model directory names the file.
  std::ofstream(Path("models") + "/" + id + "/model.json") << "{\"format\": 1";
  fails(RunArus("anomaly score --model " + id + " --dataset " + ds + " --json" + models),
        "model.json");
}

// ---- The report's external-rule section ---------------------------------------------------

TEST(ExternalRuleTest, SummaryCountsHitsEventsAndWorstByHand) {
  std::vector<UnixNanos> t;
  for (int i = 0; i < 10; ++i) t.push_back(RowTime(size_t(i)));
  // Above 4: rows 2-3 (peak 6 at 3), 5 (7), 7-8 (peak 9 at 8); the NaN at 6 ends a run.
  const std::vector<double> s = {kNaN, 1, 5, 6, 1, 7, kNaN, 8, 9, 1};
  const quality::ExternalRule r =
      quality::SummarizeExternalRule("ae_anomaly", "test", t, s, 4.0, 2);
  EXPECT_EQ(r.rows, 8);
  EXPECT_EQ(r.hits, 5);
  EXPECT_EQ(r.events, 3);
  ASSERT_EQ(r.worst.size(), 2u);
  EXPECT_EQ(r.worst[0].ts, t[7]);
  EXPECT_EQ(r.worst[0].end, t[8]);
  EXPECT_EQ(r.worst[0].severity, 9);
  EXPECT_EQ(r.worst[0].why, "peak 9 at " + t[8].ToIso() + ", 2 rows, threshold 4");
  EXPECT_EQ(r.worst[1].ts, t[5]);
  EXPECT_EQ(r.worst[1].end, t[5]);
  EXPECT_EQ(r.worst[1].why, "peak 7 at " + t[5].ToIso() + ", 1 row, threshold 4");
  // A run reaching the last row is closed; nothing above the threshold gives no events.
  const std::vector<double> tail = {1, 1, 1, 1, 1, 1, 1, 1, 5, 6};
  EXPECT_EQ(quality::SummarizeExternalRule("x", "", t, tail, 4.0, 5).events, 1);
  const quality::ExternalRule none = quality::SummarizeExternalRule("x", "", t, tail, 10, 5);
  EXPECT_EQ(none.hits, 0);
  EXPECT_TRUE(none.worst.empty());
}

TEST(ExternalRuleTest, RenderedOnlyWhenPresent) {
  quality::QualityReport rep;
  rep.kind = "bars";
  rep.symbol = "EURUSD";
  const std::string json_before = rep.ToJson(), text_before = rep.ToText();
  EXPECT_EQ(json_before.find("external_rules"), std::string::npos);
  EXPECT_EQ(text_before.find("ae_anomaly"), std::string::npos);

  std::vector<UnixNanos> t = {RowTime(0), RowTime(1), RowTime(2)};
  const std::vector<double> s = {0.1, 2.5, 0.2};
  rep.external_rules.push_back(
      quality::SummarizeExternalRule("ae_anomaly", "error above 1", t, s, 1.0, 10));
  const nlohmann::json j = nlohmann::json::parse(rep.ToJson());
  ASSERT_EQ(j["external_rules"].size(), 1u);
  const nlohmann::json& x = j["external_rules"][0];
  EXPECT_EQ(x["rule"], "ae_anomaly");
  EXPECT_EQ(x["description"], "error above 1");
  EXPECT_EQ(x["rows"], 3);
  EXPECT_EQ(x["hits"], 1);
  EXPECT_EQ(x["events"], 1);
  EXPECT_EQ(x["worst"][0]["ts"], RowTime(1).ToIso());
  EXPECT_EQ(x["worst"][0]["severity"], 2.5);
  // The section sits after the built-in rules; everything else is unchanged.
  nlohmann::json without = j;
  without.erase("external_rules");
  EXPECT_EQ(without, nlohmann::json::parse(json_before));
  const std::string text = rep.ToText();
  EXPECT_NE(text.find("  ae_anomaly  yes     flag               1          1          0\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  ae_anomaly: error above 1 (3 rows scored; not part of the score)\n"),
            std::string::npos);
  EXPECT_NE(text.find("\nWorst ae_anomaly\n  " + RowTime(1).ToIso() + "  peak 2.5 at "),
            std::string::npos)
      << text;
  // A "dataset" report has no tick-only sections.
  rep.kind = "dataset";
  EXPECT_FALSE(nlohmann::json::parse(rep.ToJson()).contains("jumps"));
  EXPECT_EQ(rep.ToText().find("Genuine jumps"), std::string::npos);
}

}  // namespace
}  // namespace arus
