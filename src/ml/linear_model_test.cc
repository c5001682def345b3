// The "logistic" learner (liblinear) through FitModel, against generated data with known truth.
#include <gtest/gtest.h>

#include <cmath>

#include "ml/learners.h"
#include "ml/model.h"
#include "ml/pipeline_test_util.h"

namespace arus::ml {
namespace {

using test_util::CheckRowPathAndRoundTrip;
using test_util::ExpectBitIdentical;
using test_util::Names;
using test_util::PredictAll;
using test_util::Rng;
using test_util::TempDir;

double Sigmoid(double z) { return 1 / (1 + std::exp(-z)); }

struct Logit {
  Matrix x;
  std::vector<double> y, p;  // labels (0 / 1) and true P(y = 1)
};

// P(y = 1) = sigmoid(1.2 x0 - 0.8 x1 + 0.3); x2.. are noise.
Logit MakeLogit(size_t n, size_t cols, uint64_t seed) {
  Rng rng(seed);
  Logit d;
  d.x = Matrix(n, cols);
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < cols; ++c) d.x.at(r, c) = rng.Normal();
    d.p.push_back(Sigmoid(1.2 * d.x.at(r, 0) - 0.8 * d.x.at(r, 1) + 0.3));
    d.y.push_back(rng.Bernoulli(d.p.back()) ? 1 : 0);
  }
  return d;
}

FitOptions Opt(size_t cols, ParamMap params = {}, Task task = Task::kClassification) {
  FitOptions o;
  o.task = task;
  o.params = std::move(params);
  o.feature_names = Names(cols);
  o.seed = 3;
  return o;
}

TEST(LogisticTest, RecoversKnownProbabilities) {
  const Logit train = MakeLogit(4000, 3, 1);
  auto m = FitModel("logistic", TrainSet{train.x.view(), train.y, {}, {}}, Opt(3));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->info().classes, (std::vector<double>{0, 1}));
  const Logit probe = MakeLogit(500, 3, 2);
  const std::vector<double> p = PredictAll(**m, probe.x);
  double err = 0;
  for (size_t r = 0; r < probe.x.rows; ++r) {
    EXPECT_EQ(p[2 * r] + p[2 * r + 1], 1.0);
    err += std::fabs(p[2 * r + 1] - probe.p[r]);
  }
  EXPECT_LT(err / probe.x.rows, 0.03);
}

TEST(LogisticTest, L1ZeroesIrrelevantFeatures) {
  const Logit d = MakeLogit(1000, 8, 4);
  const TrainSet t{d.x.view(), d.y, {}, {}};
  auto l1 = FitModel("logistic", t, Opt(8, {{"penalty", std::string("l1")}, {"C", 0.05}}));
  ASSERT_TRUE(l1.ok()) << l1.status().ToString();
  const std::vector<double> imp = (*l1)->FeatureImportance();
  ASSERT_EQ(imp.size(), 8u);
  for (size_t c = 2; c < 8; ++c) EXPECT_LT(imp[c], 0.01) << "noise feature " << c;
  EXPECT_GT(imp[0] + imp[1], 0.95);
  EXPECT_GT(imp[0], imp[1]);
  // L2 keeps every weight non-zero.
  auto l2 = FitModel("logistic", t, Opt(8, {{"C", 0.05}}));
  ASSERT_TRUE(l2.ok());
  for (double v : (*l2)->FeatureImportance()) EXPECT_GT(v, 0);
  // Reproducible: the L1 solver's coordinate order comes from the seed.
  auto again = FitModel("logistic", t, Opt(8, {{"penalty", std::string("l1")}, {"C", 0.05}}));
  ExpectBitIdentical(PredictAll(**l1, d.x), PredictAll(**again, d.x));
}

TEST(LogisticTest, MultiClassProbabilitiesSumToOne) {
  Rng rng(5);
  const size_t n = 1500;
  Matrix x(n, 2);
  std::vector<double> y;
  for (size_t r = 0; r < n; ++r) {
    x.at(r, 0) = rng.Normal();
    x.at(r, 1) = rng.Normal();
    const double v = x.at(r, 0) + 0.3 * rng.Normal();
    y.push_back(v < -0.5 ? -1 : v > 0.5 ? 1 : 0);
  }
  auto m = FitModel("logistic", TrainSet{x.view(), y, {}, {}}, Opt(2));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->info().classes, (std::vector<double>{-1, 0, 1}));
  const std::vector<double> p = PredictAll(**m, x);
  size_t right = 0;
  for (size_t r = 0; r < n; ++r) {
    EXPECT_NEAR(p[3 * r] + p[3 * r + 1] + p[3 * r + 2], 1, 1e-12);
    const int best = static_cast<int>(std::max_element(p.begin() + 3 * r, p.begin() + 3 * r + 3) -
                                      (p.begin() + 3 * r));
    right += (best - 1) == y[r];
  }
  EXPECT_GT(right, n * 0.75);
  TempDir dir;
  CheckRowPathAndRoundTrip(**m, x, dir.str());
}

TEST(LogisticTest, RegressionRecoversLinearRelation) {
  Rng rng(6);
  const size_t n = 500;
  Matrix x(n, 3);
  std::vector<double> y;
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < 3; ++c) x.at(r, c) = rng.Normal() * 2 + 1;
    y.push_back(2 * x.at(r, 0) - 3 * x.at(r, 1) + 10 + 0.01 * rng.Normal());
  }
  auto m = FitModel("logistic", TrainSet{x.view(), y, {}, {}}, Opt(3, {}, Task::kRegression));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_TRUE((*m)->info().classes.empty());
  EXPECT_EQ((*m)->info().outputs(), 1u);
  const double probe[3][3] = {{0, 0, 0}, {1, 2, 3}, {-1, 0.5, 4}};
  for (const auto& row : probe) {
    double out;
    ASSERT_TRUE((*m)->PredictRow(row, std::span<double>(&out, 1)).ok());
    EXPECT_NEAR(out, 2 * row[0] - 3 * row[1] + 10, 0.05);
  }
  const std::vector<double> imp = (*m)->FeatureImportance();
  EXPECT_GT(imp[1], imp[0]);
  EXPECT_LT(imp[2], 0.01);
  TempDir dir;
  CheckRowPathAndRoundTrip(**m, x, dir.str());
  auto l1 = FitModel("logistic", TrainSet{x.view(), y, {}, {}},
                     Opt(3, {{"penalty", std::string("l1")}}, Task::kRegression));
  ASSERT_FALSE(l1.ok());
  EXPECT_NE(l1.status().message().find("classification only"), std::string::npos);
}

TEST(LogisticTest, BalancedClassWeightRaisesTheRareClass) {
  Rng rng(7);
  const size_t n = 2000;
  Matrix x(n, 2);
  std::vector<double> y;
  for (size_t r = 0; r < n; ++r) {
    x.at(r, 0) = rng.Normal();
    x.at(r, 1) = rng.Normal();
    y.push_back(rng.Bernoulli(Sigmoid(x.at(r, 0) - 2.5)) ? 1 : 0);
  }
  const TrainSet t{x.view(), y, {}, {}};
  auto plain = FitModel("logistic", t, Opt(2));
  auto balanced = FitModel("logistic", t, Opt(2, {{"class_weight", std::string("balanced")}}));
  ASSERT_TRUE(plain.ok() && balanced.ok());
  const std::vector<double> a = PredictAll(**plain, x), b = PredictAll(**balanced, x);
  double ma = 0, mb = 0;
  for (size_t r = 0; r < n; ++r) {
    ma += a[2 * r + 1];
    mb += b[2 * r + 1];
  }
  EXPECT_LT(ma / n, 0.2);  // near the base rate
  EXPECT_GT(mb / n, 0.4);  // balanced weighting pushes towards one half
}

TEST(LogisticTest, SaveLoadBitIdenticalForEveryVariant) {
  const Logit d = MakeLogit(600, 4, 8);
  for (const ParamMap& p :
       {ParamMap{}, ParamMap{{"penalty", std::string("l1")}},
        ParamMap{{"calibration", std::string("temperature")}, {"standardize", false}},
        ParamMap{{"clip", 0.0}, {"C", 1e3}, {"tol", 1e-8}}}) {
    auto m = FitModel("logistic", TrainSet{d.x.view(), d.y, {}, {}}, Opt(4, p));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    TempDir dir;
    CheckRowPathAndRoundTrip(**m, d.x, dir.str());
  }
}

TEST(LogisticTest, ClassAbsentFromTheFitRowsGetsZeroProbability) {
  // The raw learner sees class indices; a class missing from its rows must map to 0.
  const Logit d = MakeLogit(300, 2, 9);
  std::vector<double> y = d.y;
  for (double& v : y) v *= 2;  // indices 0 and 2 of 3
  const ParamMap params = *ResolveParams("logistic", {});
  auto raw = LogisticLearner().fit(RawFitInput{d.x.view(), y, 3, &params, 1});
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  std::vector<double> out(300 * 3);
  (*raw)->Predict(d.x.view(), out);
  for (size_t r = 0; r < 300; ++r) {
    EXPECT_EQ(out[3 * r + 1], 0);
    EXPECT_NEAR(out[3 * r] + out[3 * r + 2], 1, 1e-15);
  }
}

}  // namespace
}  // namespace arus::ml
