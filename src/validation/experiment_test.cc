// Experiments: config parsing and its errors, data preparation, and the leakage properties of a
// run: a fold's out-of-sample predictions do not move when anything at or after its test window
// changes (labels of the test rows included), the search records every trial and never sees
// the fold's test rows.
#include "validation/experiment.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

namespace arus::validation {
namespace {

constexpr const char* kConfig = R"(
name = "t"
label = "dir"
seed = 3
[validation]
scheme = "walk_forward"
train_rows = 300
test_rows = 100
[[learner]]
type = "logistic"
)";

features::Dataset MakeDataset(size_t n, uint64_t seed) {
  features::Dataset ds;
  ds.symbol = "EURUSD";
  ds.base_timeframe = "M5";
  ds.feature_set_name = "s";
  ds.feature_set_hash = "0000000000000001";
  ds.feature_names = {"m5_a", "m5_b", "h1_c"};
  ds.features.assign(3, std::vector<double>(n));
  ds.label_names = {"dir", "ret"};
  ds.labels.assign(2, std::vector<double>(n));
  ds.label_end.assign(2, std::vector<UnixNanos>(n));
  uint64_t s = seed;
  auto u = [&s] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<double>(s >> 11) * 0x1.0p-53;
  };
  for (size_t i = 0; i < n; ++i) {
    ds.time.push_back(UnixNanos::FromSeconds(1'700'000'000 + 300 * static_cast<int64_t>(i)));
    for (size_t c = 0; c < 3; ++c) ds.features[c][i] = u() * 2 - 1;
    const double p = 1 / (1 + std::exp(-4 * ds.features[0][i]));
    ds.labels[0][i] = u() < p ? 1 : (u() < 0.1 ? 0 : -1);
    ds.labels[1][i] = ds.features[0][i] * 0.001 + (u() - 0.5) * 0.001;
    // Labels read the next 3 bars.
    const UnixNanos end = i + 3 < n ? ds.time[i] + Duration(900'000'000'000) : UnixNanos::Max();
    ds.label_end[0][i] = ds.label_end[1][i] = end;
    if (end == UnixNanos::Max()) ds.labels[0][i] = ds.labels[1][i] = NAN;
  }
  ds.features[2][0] = NAN;  // warm-up
  return ds;
}

TEST(ExperimentConfigTest, ParsesAndHashesCanonically) {
  auto a = ParseExperimentConfig(kConfig, "a.toml");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a.value().learners.size(), 1u);
  EXPECT_EQ(a.value().learners[0].name, "logistic");
  EXPECT_EQ(a.value().walk_forward.train_rows, 300u);
  EXPECT_EQ(a.value().hash.size(), 16u);
  // Layout and key order do not change the hash; a value does.
  auto b = ParseExperimentConfig(
      "seed = 3\nlabel = \"dir\"\nname = \"t\"\n[[learner]]\ntype = \"logistic\"\n"
      "[validation]\ntest_rows = 100\ntrain_rows = 300\n",
      "b.toml");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(a.value().hash, b.value().hash);
  auto c = ParseExperimentConfig(std::string(kConfig) + "include = [\"m5_*\"]\n", "c.toml");
  ASSERT_FALSE(c.ok());  // include after a table belongs to the learner table: unknown key
  auto d = ParseExperimentConfig("include = [\"m5_*\"]\n" + std::string(kConfig), "d.toml");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_NE(a.value().hash, d.value().hash);
}

TEST(ExperimentConfigTest, ErrorsNameTheFileLineAndKey) {
  struct Case {
    std::string text, want;
  } cases[] = {
      {std::string(kConfig) + "colour = 1\n", "colour"},
      {"[validation]\ntrain_rows = 10\ntest_rows = 5\n[[learner]]\ntype = \"logistic\"\n"
       "params = { C = -1 }\n",
       "C"},
      {"[validation]\ntrain_rows = 10\ntest_rows = 5\n[[learner]]\ntype = \"nope\"\n", "nope"},
      {"[validation]\ntrain_rows = 10\ntest_rows = 5\nstep_rows = 2\n[[learner]]\n"
       "type = \"logistic\"\n",
       "step_rows"},
      {"[[learner]]\ntype = \"logistic\"\n", "validation"},
      {"[validation]\nscheme = \"random\"\n[[learner]]\ntype = \"logistic\"\n", "scheme"},
      {"[validation]\ntrain_rows = 10\ntest_rows = 5\n[search]\nmethod = \"grid\"\n"
       "[[learner]]\ntype = \"logistic\"\n[learner.search]\nC = { min = 0.1, max = 10 }\n",
       "grid"},
      {"[validation]\ntrain_rows = 10\ntest_rows = 5\n[[learner]]\ntype = \"logistic\"\n"
       "[[learner]]\ntype = \"logistic\"\n",
       "named"},
      {"[validation]\ntrain_rows = 10\ntest_rows = 5\n[[learner]]\ntype = \"logistic\"\n"
       "[ensemble]\nmembers = [\"logistic\", \"ghost\"]\n",
       "ghost"},
      {"[validation]\ntrain_rows = 10\ntest_rows = 5\n[[learner]]\ntype = \"logistic\"\n"
       "[learner.search]\nC = [0.1, -3]\n",
       "C"},
      {"[validation\n", "exp.toml"},
  };
  for (const Case& c : cases) {
    auto r = ParseExperimentConfig(c.text, "exp.toml");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_NE(r.status().message().find(c.want), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().ToString().find("exp.toml"), std::string::npos);
  }
}

TEST(ExperimentDataTest, SelectsColumnsAndRows) {
  const features::Dataset ds = MakeDataset(500, 1);
  auto cfg = ParseExperimentConfig(
      "include = [\"m5_*\"]\nexclude = [\"*_b\"]\ndrop_flat = true\n" + std::string(kConfig),
      "x.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto d = PrepareData(cfg.value(), ds);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d.value().feature_names, std::vector<std::string>{"m5_a"});
  EXPECT_EQ(d.value().task, ml::Task::kClassification);
  EXPECT_EQ(d.value().dropped_no_label, 3u);
  EXPECT_GT(d.value().dropped_flat, 0u);
  EXPECT_EQ(d.value().dropped_incomplete, 0u);  // h1_c (NaN in row 0) is not selected
  for (double y : d.value().y) EXPECT_NE(y, 0.0);
  EXPECT_EQ(d.value().x.rows + d.value().dropped_flat + d.value().dropped_no_label, 500u);

  auto all = ParseExperimentConfig(kConfig, "x.toml");
  auto d2 = PrepareData(all.value(), ds);
  ASSERT_TRUE(d2.ok());
  EXPECT_EQ(d2.value().dropped_incomplete, 1u);
  // A forward-return label makes a regression task.
  features::Dataset ds2 = ds;
  ds2.label_names[1] = "forward_return_3";
  auto cfg3 = ParseExperimentConfig(
      std::string(kConfig).replace(std::string(kConfig).find("\"dir\""), 5, "\"forward_return_3\""),
      "r.toml");
  auto d3 = PrepareData(cfg3.value(), ds2);
  ASSERT_TRUE(d3.ok()) << d3.status().ToString();
  EXPECT_EQ(d3.value().task, ml::Task::kRegression);
  // Unknown label: the message lists the dataset's labels.
  auto bad = ParseExperimentConfig(
      std::string(kConfig).replace(std::string(kConfig).find("\"dir\""), 5, "\"nope\""), "n.toml");
  auto d4 = PrepareData(bad.value(), ds);
  ASSERT_FALSE(d4.ok());
  EXPECT_NE(d4.status().message().find("dir, ret"), std::string::npos);
}

// Out-of-sample outputs of the run, per fold, for the first model.
std::vector<std::vector<double>> FoldOutputs(const ExperimentResult& r, size_t k) {
  std::vector<std::vector<double>> out;
  size_t pos = 0;
  for (const FoldResult& f : r.folds) {
    const size_t n = (f.fold.test_end - f.fold.test_begin) * k;
    out.emplace_back(r.oos_outputs[0].begin() + pos, r.oos_outputs[0].begin() + pos + n);
    pos += n;
  }
  return out;
}

TEST(ExperimentRunTest, FoldPredictionsIgnoreEverythingFromTheirTestWindowOn) {
  const features::Dataset ds = MakeDataset(900, 2);
  auto cfg = ParseExperimentConfig(std::string(kConfig) + "params = { C = 0.5 }\n", "x.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto d = PrepareData(cfg.value(), ds);
  ASSERT_TRUE(d.ok());
  RunOptions ro;
  ro.fit_final = false;
  auto base = RunExperiment(cfg.value(), d.value(), ro);
  ASSERT_TRUE(base.ok()) << base.status().ToString();
  ASSERT_GE(base.value().folds.size(), 5u);
  const size_t k = base.value().classes.size();
  const auto base_out = FoldOutputs(base.value(), k);
  for (const FoldResult& f : base.value().folds) {
    EXPECT_GT(f.fold.purged, 0u);  // labels reading 3 bars ahead reach the test window
    EXPECT_LT(f.train_to, f.test_from);
  }
  // Change every label from fold 3's first test row on: folds 1-3 must not move at all (their
  // models never saw those labels: training rows whose labels reach the test window are
  // purged), later folds must.
  const size_t fold = 2;
  const size_t first = d.value().dataset_row[base.value().folds[fold].fold.test_begin];
  auto rerun = [&](bool features_too) {
    features::Dataset changed = ds;
    for (size_t r = first; r < ds.rows(); ++r) {
      if (std::isfinite(changed.labels[0][r])) changed.labels[0][r] = -changed.labels[0][r];
      if (features_too) {
        for (auto& col : changed.features) col[r] = -col[r] * 3;
      }
    }
    auto d2 = PrepareData(cfg.value(), changed);
    EXPECT_TRUE(d2.ok());
    auto after = RunExperiment(cfg.value(), d2.value(), ro);
    EXPECT_TRUE(after.ok());
    return FoldOutputs(after.value(), k);
  };
  const auto labels_changed = rerun(false);
  for (size_t f = 0; f <= fold; ++f) EXPECT_EQ(base_out[f], labels_changed[f]) << "fold " << f;
  bool later_moved = false;
  for (size_t f = fold + 1; f < base_out.size(); ++f)
    later_moved |= base_out[f] != labels_changed[f];
  EXPECT_TRUE(later_moved);
  // Features too: the earlier folds still do not move.
  const auto all_changed = rerun(true);
  for (size_t f = 0; f < fold; ++f) EXPECT_EQ(base_out[f], all_changed[f]) << "fold " << f;
}

TEST(ExperimentRunTest, SearchRecordsEveryTrialAndChoosesOnePerFold) {
  const features::Dataset ds = MakeDataset(800, 3);
  auto cfg =
      ParseExperimentConfig(std::string(kConfig) +
                                "[learner.search]\nC = { min = 0.001, max = 10, log = true }\n"
                                "[search]\ntrials = 4\ninner_folds = 2\n",
                            "x.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto d = PrepareData(cfg.value(), ds);
  ASSERT_TRUE(d.ok());
  auto r = RunExperiment(cfg.value(), d.value(), RunOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const size_t folds = r.value().folds.size();
  ASSERT_EQ(r.value().trials.size(), (folds + 1) * 4);  // + the final model's search
  std::map<int, int> chosen;
  for (const TrialRecord& t : r.value().trials) {
    EXPECT_EQ(t.inner_scores.size(), 2u);
    chosen[t.fold] += t.chosen;
  }
  for (const auto& [fold, n] : chosen) EXPECT_EQ(n, 1) << "fold " << fold;
  // The first trial is the configured parameters; the others are drawn in the range.
  for (const TrialRecord& t : r.value().trials) {
    const double c = std::get<double>(t.params.at("C"));
    EXPECT_GE(c, 0.001);
    EXPECT_LE(c, 10.0);
  }
  ASSERT_EQ(r.value().final_models.size(), 1u);
  nlohmann::json j = ExperimentJson(cfg.value(), d.value(), r.value());
  EXPECT_EQ(j["search"]["trials_total"].get<size_t>(), (folds + 1) * 4);
}

TEST(ExperimentRunTest, PurgedKFoldCoversEveryRowOnceWithAnEnsemble) {
  const features::Dataset ds = MakeDataset(600, 4);
  auto cfg = ParseExperimentConfig(
      "name = \"k\"\nlabel = \"dir\"\ndrop_flat = true\n[validation]\nscheme = \"purged_kfold\"\n"
      "k = 4\nembargo_rows = 5\n[[learner]]\ntype = \"logistic\"\n[[learner]]\nname = \"l1\"\n"
      "type = \"logistic\"\nparams = { penalty = \"l1\" }\n[ensemble]\n",
      "k.toml");
  ASSERT_TRUE(cfg.ok()) << cfg.status().ToString();
  auto d = PrepareData(cfg.value(), ds);
  ASSERT_TRUE(d.ok());
  auto r = RunExperiment(cfg.value(), d.value(), RunOptions{});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r.value().oos_rows.size(), d.value().x.rows);
  EXPECT_EQ(r.value().model_names.back(), "ensemble");
  EXPECT_EQ(r.value().final_models.size(), 3u);
  for (const FoldResult& f : r.value().folds) {
    if (f.fold.index + 1 < r.value().folds.size()) {
      EXPECT_GT(f.fold.embargoed, 0u);
    }
  }
  // The informative feature is found: pooled accuracy above chance.
  EXPECT_GT(r.value().pooled[0].cls.accuracy, r.value().pooled[0].cls.chance_accuracy + 0.1);
  EXPECT_LT(r.value().pooled.back().cls.binomial_p, 1e-6);
  EXPECT_EQ(r.value().oos_agreement.size(), d.value().x.rows);
}

}  // namespace
}  // namespace arus::validation
