#include <gtest/gtest.h>
#include <unistd.h>
#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "core/file.h"
#include "ml/learners.h"
#include "ml/model.h"

namespace arus::ml {
namespace {

namespace fs = std::filesystem;

// ---- Helpers ------------------------------------------------------------------------------------

ParamMap Resolved(std::string_view learner, const ParamMap& given) {
  auto r = ResolveParams(learner, given);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : ParamMap{};
}

struct Data {
  Matrix x;
  std::vector<double> y;
};

// Class index 1 iff x0 * x1 > 0 (XOR of signs: no single feature predicts it), 5 % label noise,
// plus `noise_cols` pure-noise features.
Data Xor(size_t rows, size_t noise_cols, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif;
  Data d{Matrix(rows, 2 + noise_cols), std::vector<double>(rows)};
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < d.x.cols; ++c) d.x.at(r, c) = normal(rng);
    const bool up = d.x.at(r, 0) * d.x.at(r, 1) > 0;
    d.y[r] = (unif(rng) < 0.05) != up ? 1.0 : 0.0;
  }
  return d;
}

// Three classes by the value of a smooth score, as class values -1 / 0 / +1.
Data ThreeClass(size_t rows, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  Data d{Matrix(rows, 4), std::vector<double>(rows)};
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < 4; ++c) d.x.at(r, c) = normal(rng);
    const double s = std::sin(2 * d.x.at(r, 0)) + d.x.at(r, 1) * std::abs(d.x.at(r, 2));
    d.y[r] = s < -0.4 ? -1.0 : (s < 0.4 ? 0.0 : 1.0);
  }
  return d;
}

double Truth(const double* r) { return std::sin(1.5 * r[0]) + 0.5 * r[1] * r[1] - 0.3 * r[2]; }

Data Regression(size_t rows, uint32_t seed, double noise) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif(-2, 2);
  Data d{Matrix(rows, 5), std::vector<double>(rows)};
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < 5; ++c) d.x.at(r, c) = unif(rng);
    d.y[r] = Truth(d.x.row(r)) + noise * normal(rng);
  }
  return d;
}

std::vector<std::string> Names(size_t n) {
  std::vector<std::string> v;
  for (size_t i = 0; i < n; ++i) v.push_back("f" + std::to_string(i));
  return v;
}

std::unique_ptr<Model> Fit(std::string_view learner, const Data& d, Task task, ParamMap params,
                           uint64_t seed = 7) {
  params.emplace("nthread", int64_t{1});
  FitOptions o{task, params, Names(d.x.cols), seed};
  auto m = FitModel(learner, TrainSet{d.x.view(), d.y, {}, {}}, o);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return m.ok() ? std::move(*m) : nullptr;
}

std::vector<double> PredictAll(const Model& m, const Matrix& x) {
  std::vector<double> out(x.rows * m.info().outputs());
  EXPECT_TRUE(m.Predict(x.view(), out).ok());
  return out;
}

// Share of rows whose most probable class is the true one.
double Accuracy(const Model& m, const Data& d) {
  const std::vector<double> p = PredictAll(m, d.x);
  const size_t k = m.info().outputs();
  size_t hit = 0;
  for (size_t r = 0; r < d.x.rows; ++r) {
    const size_t best =
        std::max_element(p.begin() + r * k, p.begin() + (r + 1) * k) - (p.begin() + r * k);
    hit += m.info().classes[best] == d.y[r];
  }
  return static_cast<double>(hit) / d.x.rows;
}

class TempDir {
 public:
  TempDir() {
    path_ = (fs::temp_directory_path() /
             ("arus_xgb_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++)))
                .string();
    fs::remove_all(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

// ---- Catalogue ----------------------------------------------------------------------------------

TEST(XgboostLearnerTest, CatalogueDefaults) {
  const ParamMap xgb = Resolved("xgboost", {});
  EXPECT_EQ(GetInt(xgb, "n_estimators"), 100);
  EXPECT_EQ(GetInt(xgb, "max_depth"), 6);
  EXPECT_EQ(GetDouble(xgb, "eta"), 0.1);
  EXPECT_EQ(GetString(xgb, "grow_policy"), "depthwise");
  EXPECT_EQ(GetString(xgb, "categorical"), "");
  EXPECT_FALSE(GetBool(xgb, "impute"));
  EXPECT_FALSE(GetBool(xgb, "standardize"));
  EXPECT_EQ(GetString(xgb, "calibration"), "none");
  const ParamMap rf = Resolved("random_forest", {});
  EXPECT_EQ(GetInt(rf, "n_estimators"), 200);
  EXPECT_EQ(GetDouble(rf, "subsample"), 0.632);
  EXPECT_EQ(GetString(rf, "colsample_bynode"), "sqrt");
  EXPECT_EQ(GetString(rf, "calibration"), "temperature");
  EXPECT_FALSE(GetBool(rf, "impute"));
  auto bad = ResolveParams("xgboost", {{"grow_policy", std::string("leafwise")}});
  EXPECT_FALSE(bad.ok());
  EXPECT_FALSE(ResolveParams("random_forest", {{"subsample", 0.0}}).ok());
}

// ---- Boosting -----------------------------------------------------------------------------------

TEST(XgboostLearnerTest, LearnsPlantedNonLinearPattern) {
  const Data train = Xor(3000, 3, 1), test = Xor(2000, 3, 2);
  auto m = Fit("xgboost", train, Task::kClassification,
               {{"n_estimators", int64_t{60}}, {"max_depth", int64_t{4}}, {"eta", 0.2}});
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->info().classes, (std::vector<double>{0, 1}));
  // The Bayes rate is 95 %; chance is 50 %.
  EXPECT_GT(Accuracy(*m, test), 0.88);
  // Importance: the two XOR features carry the gain.
  const std::vector<double> imp = m->FeatureImportance();
  ASSERT_EQ(imp.size(), 5u);
  EXPECT_GT(imp[0] + imp[1], 0.8);
  double sum = 0;
  for (double v : imp) sum += v;
  EXPECT_NEAR(sum, 1.0, 1e-12);
}

TEST(XgboostLearnerTest, MultiClassProbabilitiesSumToOne) {
  const Data train = ThreeClass(2000, 3), test = ThreeClass(1000, 4);
  for (const char* learner : {"xgboost", "random_forest"}) {
    SCOPED_TRACE(learner);
    ParamMap p = {{"n_estimators", int64_t{40}}, {"calibration", std::string("none")}};
    auto m = Fit(learner, train, Task::kClassification, p);
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->info().classes, (std::vector<double>{-1, 0, 1}));
    const std::vector<double> prob = PredictAll(*m, test.x);
    for (size_t r = 0; r < test.x.rows; ++r) {
      double s = 0;
      for (size_t c = 0; c < 3; ++c) {
        EXPECT_GE(prob[r * 3 + c], 0.0);
        s += prob[r * 3 + c];
      }
      EXPECT_NEAR(s, 1.0, 1e-12);
    }
    EXPECT_GT(Accuracy(*m, test), 0.75);  // chance: about 0.4
  }
}

TEST(XgboostLearnerTest, RegressionRecoversKnownFunction) {
  const Data train = Regression(3000, 5, 0.1), test = Regression(1000, 6, 0.0);
  double var = 0, mean = 0;
  for (double v : test.y) mean += v / test.y.size();
  for (double v : test.y) var += (v - mean) * (v - mean) / test.y.size();
  for (const char* learner : {"xgboost", "random_forest"}) {
    SCOPED_TRACE(learner);
    const bool boost = std::string_view(learner) == "xgboost";
    const ParamMap p = boost ? ParamMap{{"n_estimators", int64_t{200}}, {"max_depth", int64_t{4}}}
                             : ParamMap{{"n_estimators", int64_t{60}},
                                        {"colsample_bynode", std::string("all")},
                                        {"min_child_weight", 3.0}};
    auto m = Fit(learner, train, Task::kRegression, p);
    ASSERT_NE(m, nullptr);
    const std::vector<double> pred = PredictAll(*m, test.x);
    double mse = 0;
    for (size_t r = 0; r < test.x.rows; ++r) {
      mse += (pred[r] - test.y[r]) * (pred[r] - test.y[r]) / test.x.rows;
    }
    // R^2 of the noise-free truth.
    EXPECT_GT(1 - mse / var, boost ? 0.97 : 0.90) << "mse " << mse << " var " << var;
  }
}

TEST(XgboostLearnerTest, SmallTargetsKeepPrecision) {
  // Returns of order 1e-4: the model starts from the mean target, not XGBoost 1.7's 0.5.
  Data d = Regression(1500, 7, 0.0);
  for (double& v : d.y) v = 1e-4 * v + 3e-4;
  auto m = Fit("xgboost", d, Task::kRegression, {{"n_estimators", int64_t{150}}});
  ASSERT_NE(m, nullptr);
  const std::vector<double> pred = PredictAll(*m, d.x);
  double err = 0;
  for (size_t r = 0; r < d.x.rows; ++r) err = std::max(err, std::abs(pred[r] - d.y[r]));
  EXPECT_LT(err, 0.3e-4);  // the target spans about 5e-4
}

TEST(XgboostLearnerTest, MissingValuesAreLearnedNatively) {
  // y = 1 when x0 is missing or x0 > 1: a missing value carries information imputation destroys.
  std::mt19937_64 rng(8);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif;
  Data d{Matrix(2000, 3), std::vector<double>(2000)};
  for (size_t r = 0; r < 2000; ++r) {
    for (size_t c = 0; c < 3; ++c) d.x.at(r, c) = unif(rng) < 0.15 ? std::nan("") : normal(rng);
    d.y[r] = (std::isnan(d.x.at(r, 0)) || d.x.at(r, 0) > 1) ? 1 : 0;
  }
  for (const char* learner : {"xgboost", "random_forest"}) {
    SCOPED_TRACE(learner);
    auto m = Fit(learner, d, Task::kClassification,
                 {{"n_estimators", int64_t{30}}, {"calibration", std::string("none")}});
    ASSERT_NE(m, nullptr);
    const double nan_row[3] = {std::nan(""), 0.0, std::nan("")};
    const double low_row[3] = {0.0, std::nan(""), 0.5};
    const double high_row[3] = {2.0, 0.5, 0.5};
    double p[2];
    ASSERT_TRUE(m->PredictRow(nan_row, p).ok());
    EXPECT_GT(p[1], 0.9);
    ASSERT_TRUE(m->PredictRow(low_row, p).ok());
    EXPECT_LT(p[1], 0.1);
    ASSERT_TRUE(m->PredictRow(high_row, p).ok());
    EXPECT_GT(p[1], 0.9);
  }
}

TEST(XgboostLearnerTest, DeterministicForSeedWithOneThread) {
  const Data d = Xor(1000, 3, 9);
  for (const char* learner : {"xgboost", "random_forest"}) {
    SCOPED_TRACE(learner);
    ParamMap p = {{"n_estimators", int64_t{20}}, {"calibration", std::string("none")}};
    auto a = Fit(learner, d, Task::kClassification, p, 11);
    auto b = Fit(learner, d, Task::kClassification, p, 11);
    auto c = Fit(learner, d, Task::kClassification, p, 12);
    ASSERT_TRUE(a && b && c);
    TempDir da, db;
    ASSERT_TRUE(a->Save(da.path()).ok());
    ASSERT_TRUE(b->Save(db.path()).ok());
    EXPECT_EQ(*ReadFile(da.path() + "/xgboost.ubj"), *ReadFile(db.path() + "/xgboost.ubj"));
    EXPECT_EQ(PredictAll(*a, d.x), PredictAll(*b, d.x));
    EXPECT_NE(PredictAll(*a, d.x), PredictAll(*c, d.x));  // the seed drives the subsampling
  }
}

TEST(XgboostLearnerTest, RowAndBatchPredictionsAreBitIdentical) {
  Data d = Xor(500, 2, 10);
  for (size_t r = 0; r < 500; r += 9) d.x.at(r, r % 4) = std::nan("");
  for (const char* learner : {"xgboost", "random_forest"}) {
    auto m = Fit(learner, d, Task::kClassification, {{"n_estimators", int64_t{15}}});
    ASSERT_NE(m, nullptr);
    const std::vector<double> batch = PredictAll(*m, d.x);
    double row[2];
    for (size_t r = 0; r < d.x.rows; ++r) {
      ASSERT_TRUE(m->PredictRow(std::span<const double>(d.x.row(r), 4), row).ok());
      ASSERT_EQ(row[0], batch[r * 2]);
      ASSERT_EQ(row[1], batch[r * 2 + 1]);
    }
  }
}

TEST(XgboostLearnerTest, CategoricalFeatureSplitsBySet) {
  // The class is a set of category codes {1, 4, 6, 9} of feature 0: one categorical split
  // separates it, threshold splits on the codes cannot in one step.
  std::mt19937_64 rng(12);
  std::normal_distribution<double> normal;
  Data d{Matrix(1500, 2), std::vector<double>(1500)};
  for (size_t r = 0; r < 1500; ++r) {
    const int code = static_cast<int>(rng() % 10);
    d.x.at(r, 0) = code;
    d.x.at(r, 1) = normal(rng);
    d.y[r] = (code == 1 || code == 4 || code == 6 || code == 9) ? 1 : 0;
  }
  ParamMap p = {{"n_estimators", int64_t{3}}, {"max_depth", int64_t{1}}, {"eta", 1.0}};
  auto numeric = Fit("xgboost", d, Task::kClassification, p);
  p["categorical"] = std::string("0");
  auto categorical = Fit("xgboost", d, Task::kClassification, p);
  ASSERT_TRUE(numeric && categorical);
  EXPECT_EQ(Accuracy(*categorical, d), 1.0);
  EXPECT_LT(Accuracy(*numeric, d), 0.8);

  // Round trip keeps the categorical splits; the saved booster says which features are
  // categorical (for Python's xgboost).
  TempDir dir;
  ASSERT_TRUE(categorical->Save(dir.path()).ok());
  auto loaded = LoadModel(dir.path());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(PredictAll(**loaded, d.x), PredictAll(*categorical, d.x));
  const std::string ubj = *ReadFile(dir.path() + "/xgboost.ubj");
  const nlohmann::json doc = nlohmann::json::from_ubjson(ubj);
  EXPECT_EQ(doc["learner"]["feature_types"], nlohmann::json({"c", "q"}));
}

TEST(XgboostLearnerTest, RejectsBadInputAndParameters) {
  Data d = Xor(200, 1, 13);
  auto fit = [&](const ParamMap& p, const Data& data) {
    ParamMap q = p;
    q.emplace("nthread", int64_t{1});
    return FitModel("xgboost", TrainSet{data.x.view(), data.y, {}, {}},
                    FitOptions{Task::kClassification, q, Names(data.x.cols), 1});
  };
  auto expect_error = [](const Result<std::unique_ptr<Model>>& r, const std::string& needle) {
    ASSERT_FALSE(r.ok()) << "expected an error with: " << needle;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
  };
  Data inf = d;
  inf.x.at(17, 2) = std::numeric_limits<double>::infinity();
  expect_error(fit({}, inf), "feature 2 at row 17 is inf, infinite in float");
  inf.x.at(17, 2) = -1e39;
  expect_error(fit({}, inf), "feature 2 at row 17 is -1e+39, infinite in float");
  expect_error(fit({{"categorical", std::string("0,7")}}, d), "feature index 7 out of range");
  expect_error(fit({{"categorical", std::string("0,x")}}, d), "'x' is not a feature index");
  expect_error(fit({{"categorical", std::string("1,1")}}, d), "listed twice");
  expect_error(fit({{"categorical", std::string("1,")}}, d), "trailing comma");
  expect_error(fit({{"categorical", std::string("0")}}, d), "not a category code");
  Data codes = d;
  for (size_t r = 0; r < codes.x.rows; ++r) codes.x.at(r, 0) = static_cast<double>(r % 5);
  expect_error(fit({{"categorical", std::string("0")}, {"standardize", true}}, codes),
               "standardize=false");
  EXPECT_TRUE(fit({{"categorical", std::string(" 0 ")}}, codes).ok());
  expect_error(fit({{"max_depth", int64_t{0}}}, d), "needs grow_policy=lossguide");
  EXPECT_TRUE(fit({{"max_depth", int64_t{0}},
                   {"grow_policy", std::string("lossguide")},
                   {"max_leaves", int64_t{8}},
                   {"n_estimators", int64_t{5}}},
                  d)
                  .ok());
  auto rf = FitModel(
      "random_forest", TrainSet{d.x.view(), d.y, {}, {}},
      FitOptions{Task::kClassification,
                 {{"colsample_bynode", std::string("half")}, {"calibration", std::string("none")}},
                 Names(d.x.cols),
                 1});
  expect_error(rf, "'half' is not sqrt, log2, all or a fraction");

  // Direct learner calls: labels outside 0..K-1.
  ParamMap params = Resolved("xgboost", {{"nthread", int64_t{1}}});
  std::vector<double> y = d.y;
  y[3] = 2;
  auto raw = XgboostLearner().fit(RawFitInput{d.x.view(), y, 2, &params, 1});
  ASSERT_FALSE(raw.ok());
  EXPECT_NE(raw.status().message().find("label at row 3"), std::string::npos);
}

// ---- Save / load --------------------------------------------------------------------------------

TEST(XgboostLearnerTest, SaveLoadRoundTripIsBitIdentical) {
  Data d = Xor(800, 3, 14);
  for (size_t r = 0; r < 800; r += 5) d.x.at(r, 2) = std::nan("");
  const Data test = Xor(300, 3, 15);
  for (const char* learner : {"xgboost", "random_forest"}) {
    SCOPED_TRACE(learner);
    auto m = Fit(learner, d, Task::kClassification, {{"n_estimators", int64_t{25}}});
    ASSERT_NE(m, nullptr);
    TempDir dir;
    ASSERT_TRUE(m->Save(dir.path()).ok());
    ASSERT_TRUE(fs::exists(dir.path() + "/xgboost.ubj"));
    auto loaded = LoadModel(dir.path());
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_EQ(PredictAll(**loaded, test.x), PredictAll(*m, test.x));
    EXPECT_EQ((*loaded)->FeatureImportance(), m->FeatureImportance());
  }
}

TEST(XgboostLearnerTest, SavedBoosterLoadsInXgboostAndPredictsTheSame) {
  const Data d = Xor(600, 2, 16);
  ParamMap params = Resolved("xgboost", {{"nthread", int64_t{1}}, {"n_estimators", int64_t{30}}});
  auto raw = XgboostLearner().fit(RawFitInput{d.x.view(), d.y, 2, &params, 3});
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  TempDir dir;
  fs::create_directories(dir.path());
  ASSERT_TRUE((*raw)->Save(dir.path()).ok());

  BoosterHandle b = nullptr;
  ASSERT_EQ(XGBoosterCreate(nullptr, 0, &b), 0);
  ASSERT_EQ(XGBoosterLoadModel(b, (dir.path() + "/xgboost.ubj").c_str()), 0) << XGBGetLastError();
  std::vector<float> xf(d.x.data.begin(), d.x.data.end());
  DMatrixHandle dm = nullptr;
  ASSERT_EQ(XGDMatrixCreateFromMat(xf.data(), d.x.rows, d.x.cols, std::nanf(""), &dm), 0);
  bst_ulong len = 0;
  const float* pred = nullptr;
  ASSERT_EQ(XGBoosterPredict(b, dm, 0, 0, 0, &len, &pred), 0);
  ASSERT_EQ(len, d.x.rows);
  double out[2];
  for (size_t r = 0; r < d.x.rows; ++r) {
    (*raw)->PredictRow(d.x.row(r), out);
    ASSERT_NEAR(out[1], pred[r], 1e-6);
    ASSERT_EQ(out[0], 1.0 - out[1]);
  }
  XGDMatrixFree(dm);
  XGBoosterFree(b);
}

TEST(XgboostLearnerTest, RegressionBoosterPredictsTheStandardisedTarget) {
  Data d = Regression(500, 21, 0.1);
  for (double& v : d.y) v = 2e-4 * v - 1e-4;
  ParamMap params = Resolved("xgboost", {{"nthread", int64_t{1}}, {"n_estimators", int64_t{20}}});
  auto raw = XgboostLearner().fit(RawFitInput{d.x.view(), d.y, 0, &params, 3});
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  TempDir dir;
  fs::create_directories(dir.path());
  ASSERT_TRUE((*raw)->Save(dir.path()).ok());
  const std::string ubj = *ReadFile(dir.path() + "/xgboost.ubj");

  // XGBoost's own prediction, un-standardised with the stored attributes, is ours.
  nlohmann::json doc = nlohmann::json::from_ubjson(ubj);
  const double offset =
      std::stod(doc["learner"]["attributes"]["arus_target_offset"].get<std::string>());
  const double scale =
      std::stod(doc["learner"]["attributes"]["arus_target_scale"].get<std::string>());
  double mean = 0, ss = 0;
  for (double v : d.y) mean += v / d.y.size();
  for (double v : d.y) ss += (v - mean) * (v - mean);
  EXPECT_NEAR(offset, mean, 1e-15);
  EXPECT_NEAR(scale, std::sqrt(ss / d.y.size()), 1e-15);  // population sd of the target
  BoosterHandle b = nullptr;
  ASSERT_EQ(XGBoosterCreate(nullptr, 0, &b), 0);
  ASSERT_EQ(XGBoosterLoadModelFromBuffer(b, ubj.data(), ubj.size()), 0);
  std::vector<float> xf(d.x.data.begin(), d.x.data.end());
  DMatrixHandle dm = nullptr;
  ASSERT_EQ(XGDMatrixCreateFromMat(xf.data(), d.x.rows, d.x.cols, std::nanf(""), &dm), 0);
  bst_ulong len = 0;
  const float* pred = nullptr;
  ASSERT_EQ(XGBoosterPredict(b, dm, 0, 0, 0, &len, &pred), 0);
  for (size_t r = 0; r < d.x.rows; ++r) {
    double out = 0;
    (*raw)->PredictRow(d.x.row(r), &out);
    ASSERT_NEAR(out, offset + scale * pred[r], 1e-12);
  }
  XGDMatrixFree(dm);
  XGBoosterFree(b);

  // Without the attributes the artefact is refused.
  doc["learner"]["attributes"].erase("arus_target_scale");
  const std::vector<uint8_t> stripped = nlohmann::json::to_ubjson(doc);
  ASSERT_TRUE(
      WriteFileAtomic(dir.path() + "/xgboost.ubj", std::string(stripped.begin(), stripped.end()))
          .ok());
  ModelInfo info;
  info.learner = "xgboost";
  info.task = Task::kRegression;
  auto loaded = XgboostLearner().load(RawLoadInput{dir.path(), &info, d.x.cols});
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find("arus_target_scale"), std::string::npos)
      << loaded.status().message();
}

TEST(XgboostLearnerTest, DamagedOrMismatchedArtefactIsAnError) {
  const Data d = Xor(400, 2, 17);
  auto m = Fit("xgboost", d, Task::kClassification, {{"n_estimators", int64_t{10}}});
  ASSERT_NE(m, nullptr);
  TempDir dir;
  ASSERT_TRUE(m->Save(dir.path()).ok());
  const std::string file = dir.path() + "/xgboost.ubj";
  const std::string good = *ReadFile(file);

  ASSERT_TRUE(WriteFileAtomic(file, good.substr(0, good.size() / 2)).ok());
  auto r = LoadModel(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("xgboost.ubj"), std::string::npos) << r.status().message();

  ASSERT_TRUE(WriteFileAtomic(file, "").ok());
  EXPECT_FALSE(LoadModel(dir.path()).ok());

  fs::remove(file);
  r = LoadModel(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("xgboost.ubj"), std::string::npos) << r.status().message();

  // A regression booster in a classification model's place.
  Data reg = Regression(300, 18, 0.1);
  reg.x = Matrix(300, 4);
  auto other = Fit("xgboost", reg, Task::kRegression, {{"n_estimators", int64_t{5}}});
  ASSERT_NE(other, nullptr);
  TempDir other_dir;
  ASSERT_TRUE(other->Save(other_dir.path()).ok());
  ASSERT_TRUE(WriteFileAtomic(file, *ReadFile(other_dir.path() + "/xgboost.ubj")).ok());
  r = LoadModel(dir.path());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("does not match"), std::string::npos) << r.status().message();

  ASSERT_TRUE(WriteFileAtomic(file, good).ok());
  EXPECT_TRUE(LoadModel(dir.path()).ok());
}

// ---- Random forest against known references -----------------------------------------------------

TEST(RandomForestTest, ProbabilitiesApproachKnownConditionalProbability) {
  // One feature: P(up | x > 0) = 0.8, P(up | x <= 0) = 0.3.
  std::mt19937_64 rng(19);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif;
  const size_t n = 6000;
  Matrix x(n, 1);
  std::vector<double> y(n);
  for (size_t r = 0; r < n; ++r) {
    x.at(r, 0) = normal(rng);
    y[r] = unif(rng) < (x.at(r, 0) > 0 ? 0.8 : 0.3) ? 1 : 0;
  }
  ParamMap params = Resolved(
      "random_forest",
      {{"nthread", int64_t{1}}, {"n_estimators", int64_t{100}}, {"min_child_weight", 200.0}});
  auto raw = RandomForestLearner().fit(RawFitInput{x.view(), y, 2, &params, 5});
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  double worst = 0, mean_hi = 0, mean_lo = 0;
  int n_hi = 0, n_lo = 0;
  for (double v = -2.5; v <= 2.5; v += 0.05) {
    if (std::abs(v) < 0.25) continue;  // the forest smooths the step over a few leaves
    double out[2];
    (*raw)->PredictRow(&v, out);
    const double truth = v > 0 ? 0.8 : 0.3;
    worst = std::max(worst, std::abs(out[1] - truth));
    (v > 0 ? mean_hi : mean_lo) += out[1];
    ++(v > 0 ? n_hi : n_lo);
  }
  EXPECT_NEAR(mean_hi / n_hi, 0.8, 0.03);
  EXPECT_NEAR(mean_lo / n_lo, 0.3, 0.03);
  EXPECT_LT(worst, 0.08);
}

TEST(RandomForestTest, StumpPicksTheBruteForceGiniSplit) {
  // A one-tree, depth-1 forest without sampling must split where an exhaustive Gini search does,
  // and its leaves must hold the class frequencies of the two sides.
  std::mt19937_64 rng(20);
  std::uniform_int_distribution<int> grid(0, 99);
  std::uniform_real_distribution<double> unif;
  const size_t n = 400, p = 3;
  Matrix x(n, p);
  std::vector<double> y(n);
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < p; ++c) x.at(r, c) = grid(rng) / 10.0;  // 100 distinct values
    const double score = 0.6 * (x.at(r, 1) > 6.3) + 0.25 * (x.at(r, 2) > 3.1) + 0.1;
    y[r] = unif(rng) < score ? 1 : 0;
  }

  // Reference: every feature, every cut between consecutive distinct values; Gini decrease.
  auto gini = [](double pos, double cnt) {
    const double q = pos / cnt;
    return 2 * q * (1 - q);
  };
  double total_pos = 0;
  for (double v : y) total_pos += v;
  struct Split {
    double gain = -1;
    size_t feature = 0;
    double cut = 0;  // left: x < cut
  } best, second;
  for (size_t c = 0; c < p; ++c) {
    std::vector<double> values;
    for (size_t r = 0; r < n; ++r) values.push_back(x.at(r, c));
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (size_t i = 1; i < values.size(); ++i) {
      double ln = 0, lp = 0;
      for (size_t r = 0; r < n; ++r) {
        if (x.at(r, c) < values[i]) {
          ++ln;
          lp += y[r];
        }
      }
      const double rn = n - ln, rp = total_pos - lp;
      const double gain = n * gini(total_pos, n) - ln * gini(lp, ln) - rn * gini(rp, rn);
      Split s{gain, c, values[i]};
      if (gain > best.gain) {
        second = best;
        best = s;
      } else if (gain > second.gain) {
        second = s;
      }
    }
  }
  ASSERT_EQ(best.feature, 1u);
  ASSERT_GT(best.gain - second.gain, 1e-3);  // a clear winner, so the comparison is meaningful

  ParamMap params = Resolved("random_forest", {{"nthread", int64_t{1}},
                                               {"n_estimators", int64_t{1}},
                                               {"max_depth", int64_t{1}},
                                               {"subsample", 1.0},
                                               {"colsample_bynode", std::string("all")}});
  auto raw = RandomForestLearner().fit(RawFitInput{x.view(), y, 2, &params, 5});
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();

  // The split in the saved booster.
  TempDir dir;
  fs::create_directories(dir.path());
  ASSERT_TRUE((*raw)->Save(dir.path()).ok());
  const nlohmann::json doc = nlohmann::json::from_ubjson(*ReadFile(dir.path() + "/xgboost.ubj"));
  const nlohmann::json& tree = doc["learner"]["gradient_booster"]["model"]["trees"][0];
  ASSERT_EQ(tree["left_children"].size(), 3u);
  EXPECT_EQ(tree["split_indices"][0].get<int>(), static_cast<int>(best.feature));
  const float threshold = tree["split_conditions"][0].get<float>();

  // Same partition of the training rows, and leaf probabilities = side frequencies.
  double ln = 0, lp = 0;
  for (size_t r = 0; r < n; ++r) {
    const double v = x.at(r, best.feature);
    ASSERT_EQ(static_cast<float>(v) < threshold, v < best.cut) << "row " << r;
    if (v < best.cut) {
      ++ln;
      lp += y[r];
    }
  }
  const double left_freq = lp / ln, right_freq = (total_pos - lp) / (n - ln);
  for (size_t r = 0; r < n; ++r) {
    double out[2];
    (*raw)->PredictRow(x.row(r), out);
    EXPECT_NEAR(out[1], x.at(r, best.feature) < best.cut ? left_freq : right_freq, 1e-6);
  }
}

}  // namespace
}  // namespace arus::ml
