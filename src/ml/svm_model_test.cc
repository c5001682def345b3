// The "svm" learner (libsvm) through FitModel and at the raw level, including agreement of our
// prediction code with libsvm's own svm_predict_probability on the saved model file.
#include <gtest/gtest.h>
#include <svm.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/file.h"
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

struct Data {
  Matrix x;
  std::vector<double> y;
};

// Points in [-1, 1]^2 plus `noise_cols` noise columns; class by radius: 2 classes (inside /
// outside r^2 = 0.5) or 3 rings.
Data MakeRings(size_t n, uint64_t seed, int classes = 2, size_t noise_cols = 0) {
  Rng rng(seed);
  Data d;
  d.x = Matrix(n, 2 + noise_cols);
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < d.x.cols; ++c) d.x.at(r, c) = rng.Uniform(-1, 1);
    const double r2 = d.x.at(r, 0) * d.x.at(r, 0) + d.x.at(r, 1) * d.x.at(r, 1);
    if (classes == 2) {
      d.y.push_back(r2 < 0.5 ? 1 : -1);
    } else {
      d.y.push_back(r2 < 0.2 ? 0 : r2 < 0.7 ? 1 : 2);
    }
  }
  return d;
}

FitOptions Opt(size_t cols, ParamMap params = {}, Task task = Task::kClassification) {
  FitOptions o;
  o.task = task;
  o.params = std::move(params);
  o.feature_names = Names(cols);
  o.seed = 11;
  return o;
}

double Accuracy(const Model& m, const Data& d) {
  const std::vector<double> p = PredictAll(m, d.x);
  const size_t k = m.info().outputs();
  size_t right = 0;
  for (size_t r = 0; r < d.x.rows; ++r) {
    const size_t best =
        std::max_element(p.begin() + r * k, p.begin() + (r + 1) * k) - (p.begin() + r * k);
    right += m.info().classes[best] == d.y[r];
  }
  return static_cast<double>(right) / d.x.rows;
}

TEST(SvmTest, LearnsACircleThatLogisticCannot) {
  const Data train = MakeRings(400, 1, 2, 1);
  const Data probe = MakeRings(400, 2, 2, 1);
  auto svm = FitModel("svm", TrainSet{train.x.view(), train.y, {}, {}}, Opt(3));
  ASSERT_TRUE(svm.ok()) << svm.status().ToString();
  auto lin = FitModel("logistic", TrainSet{train.x.view(), train.y, {}, {}}, Opt(3));
  ASSERT_TRUE(lin.ok());
  EXPECT_GT(Accuracy(**svm, probe), 0.9);
  EXPECT_LT(Accuracy(**lin, probe), 0.7);
  const std::vector<double> p = PredictAll(**svm, probe.x);
  for (size_t r = 0; r < probe.x.rows; ++r) {
    EXPECT_GE(p[2 * r], 0);
    EXPECT_LE(p[2 * r], 1);
    EXPECT_NEAR(p[2 * r] + p[2 * r + 1], 1, 1e-15);
  }
  // Permutation importance: the two radius coordinates matter, the noise column does not.
  const std::vector<double> imp = (*svm)->FeatureImportance();
  ASSERT_EQ(imp.size(), 3u);
  EXPECT_GT(imp[0], 0.3);
  EXPECT_GT(imp[1], 0.3);
  EXPECT_LT(imp[2], 0.1);
  TempDir dir;
  CheckRowPathAndRoundTrip(**svm, probe.x, dir.str());
}

TEST(SvmTest, ThreeClassProbabilitiesSumToOne) {
  const Data train = MakeRings(450, 3, 3);
  auto m = FitModel("svm", TrainSet{train.x.view(), train.y, {}, {}}, Opt(2, {{"C", 10.0}}));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->info().classes, (std::vector<double>{0, 1, 2}));
  const Data probe = MakeRings(300, 4, 3);
  EXPECT_GT(Accuracy(**m, probe), 0.85);
  const std::vector<double> p = PredictAll(**m, probe.x);
  for (size_t r = 0; r < probe.x.rows; ++r) {
    double s = 0;
    for (int c = 0; c < 3; ++c) {
      EXPECT_GE(p[3 * r + c], 0);
      EXPECT_LE(p[3 * r + c], 1);
      s += p[3 * r + c];
    }
    EXPECT_NEAR(s, 1, 1e-9);
  }
  TempDir dir;
  CheckRowPathAndRoundTrip(**m, probe.x, dir.str());
}

TEST(SvmTest, RegressionFitsANonLinearFunction) {
  Rng rng(5);
  auto make = [&](size_t n) {
    Data d;
    d.x = Matrix(n, 2);
    for (size_t r = 0; r < n; ++r) {
      d.x.at(r, 0) = rng.Uniform(-1, 1);
      d.x.at(r, 1) = rng.Uniform(-1, 1);
      d.y.push_back(100 + 20 * std::sin(3 * d.x.at(r, 0)) + rng.Normal());
    }
    return d;
  };
  const Data train = make(300), probe = make(200);
  auto m = FitModel("svm", TrainSet{train.x.view(), train.y, {}, {}},
                    Opt(2, {{"C", 10.0}}, Task::kRegression));
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const std::vector<double> p = PredictAll(**m, probe.x);
  double ss_res = 0, ss_tot = 0, mean = 0;
  for (double v : probe.y) mean += v / probe.y.size();
  for (size_t r = 0; r < probe.x.rows; ++r) {
    ss_res += (p[r] - probe.y[r]) * (p[r] - probe.y[r]);
    ss_tot += (probe.y[r] - mean) * (probe.y[r] - mean);
  }
  EXPECT_GT(1 - ss_res / ss_tot, 0.9);
  const std::vector<double> imp = (*m)->FeatureImportance();
  EXPECT_GT(imp[0], 0.9);
  TempDir dir;
  CheckRowPathAndRoundTrip(**m, probe.x, dir.str());
}

TEST(SvmTest, MaxTrainRowsUsesTheMostRecentRows) {
  const Data d = MakeRings(300, 6);
  std::vector<double> idx(d.y.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = d.y[i] > 0 ? 1 : 0;
  const ParamMap capped = *ResolveParams("svm", {{"max_train_rows", int64_t{100}}});
  const ParamMap plain = *ResolveParams("svm", {});
  auto a = SvmLearner().fit(RawFitInput{d.x.view(), idx, 2, &capped, 4});
  auto b = SvmLearner().fit(RawFitInput{MatrixView{d.x.row(200), 100, 2},
                                        std::span<const double>(idx).subspan(200), 2, &plain, 4});
  ASSERT_TRUE(a.ok() && b.ok());
  std::vector<double> pa(600), pb(600);
  (*a)->Predict(d.x.view(), pa);
  (*b)->Predict(d.x.view(), pb);
  ExpectBitIdentical(pa, pb);
  ExpectBitIdentical((*a)->Importance(), (*b)->Importance());
  // And differs from a model on all 300 rows.
  auto c = SvmLearner().fit(RawFitInput{d.x.view(), idx, 2, &plain, 4});
  std::vector<double> pc(600);
  (*c)->Predict(d.x.view(), pc);
  EXPECT_NE(pa, pc);
}

TEST(SvmTest, SameSeedSameModel) {
  const Data d = MakeRings(200, 7);
  auto a = FitModel("svm", TrainSet{d.x.view(), d.y, {}, {}}, Opt(2));
  auto b = FitModel("svm", TrainSet{d.x.view(), d.y, {}, {}}, Opt(2));
  ASSERT_TRUE(a.ok() && b.ok());
  ExpectBitIdentical(PredictAll(**a, d.x), PredictAll(**b, d.x));
}

// Our prediction code against libsvm's, on the model file we wrote.
void ExpectAgreesWithLibsvm(const RawModel& raw, const MatrixView x, int k, double y_mean,
                            double y_sd, const std::string& dir) {
  ASSERT_TRUE(raw.Save(dir).ok());
  svm_model* m = svm_load_model((dir + "/libsvm.model").c_str());
  ASSERT_NE(m, nullptr);
  const size_t outs = k > 0 ? k : 1;
  std::vector<double> ours(x.rows * outs);
  raw.Predict(x, ours);
  std::vector<svm_node> nodes(x.cols + 1);
  std::vector<double> prob(k > 0 ? k : 1);
  double max_diff = 0;
  for (size_t r = 0; r < x.rows; ++r) {
    for (size_t c = 0; c < x.cols; ++c) nodes[c] = {static_cast<int>(c + 1), x.row(r)[c]};
    nodes[x.cols] = {-1, 0};
    if (k == 0) {
      const double v = svm_predict(m, nodes.data()) * y_sd + y_mean;
      max_diff = std::max(max_diff, std::fabs(v - ours[r]));
      continue;
    }
    svm_predict_probability(m, nodes.data(), prob.data());
    for (int i = 0; i < m->nr_class; ++i) {
      max_diff = std::max(max_diff, std::fabs(prob[i] - ours[r * k + m->label[i]]));
    }
  }
  svm_free_and_destroy_model(&m);
  EXPECT_LT(max_diff, 1e-12);
}

TEST(SvmTest, PredictionsMatchLibsvm) {
  for (int classes : {2, 3}) {
    const Data d = MakeRings(240, 8 + classes, classes);
    std::vector<double> idx(d.y.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = classes == 2 ? (d.y[i] > 0) : d.y[i];
    const ParamMap p = *ResolveParams("svm", {});
    auto raw = SvmLearner().fit(RawFitInput{d.x.view(), idx, classes, &p, 1});
    ASSERT_TRUE(raw.ok()) << raw.status().ToString();
    TempDir dir;
    ExpectAgreesWithLibsvm(**raw, d.x.view(), classes, 0, 1, dir.str());
  }
  Rng rng(12);
  Matrix x(150, 2);
  std::vector<double> y;
  for (size_t r = 0; r < 150; ++r) {
    x.at(r, 0) = rng.Normal();
    x.at(r, 1) = rng.Normal();
    y.push_back(5 + 3 * std::cos(x.at(r, 0)) + rng.Normal() * 0.1);
  }
  const ParamMap p = *ResolveParams("svm", {});
  auto raw = SvmLearner().fit(RawFitInput{x.view(), y, 0, &p, 1});
  ASSERT_TRUE(raw.ok());
  TempDir dir;
  ASSERT_TRUE((*raw)->Save(dir.str()).ok());
  const nlohmann::json extras = nlohmann::json::parse(*ReadFile(dir.str() + "/svm.json"));
  ExpectAgreesWithLibsvm(**raw, x.view(), 0, extras["y_mean"].get<double>(),
                         extras["y_sd"].get<double>(), dir.str());
}

TEST(SvmTest, DamagedArtefactsGiveErrors) {
  const Data d = MakeRings(150, 13, 3);
  auto m = FitModel("svm", TrainSet{d.x.view(), d.y, {}, {}}, Opt(2));
  ASSERT_TRUE(m.ok());
  TempDir dir;
  ASSERT_TRUE((*m)->Save(dir.str()).ok());
  const std::string model = dir.str() + "/libsvm.model";
  const std::string extras = dir.str() + "/svm.json";
  const std::string good = *ReadFile(model), good_extras = *ReadFile(extras);
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string s = good;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
  };
  const size_t sv = good.find("SV\n");
  for (const std::string& bad :
       {good.substr(0, good.size() / 2), good.substr(0, sv), std::string("garbage"), std::string(),
        replace("kernel_type rbf", "kernel_type linear"),
        replace("svm_type c_svc", "svm_type epsilon_svr"), replace("nr_class 3", "nr_class 4"),
        replace("nr_class 3", "nr_class 99999999"), replace("total_sv ", "total_sv 9999999"),
        replace("label ", "label 7 "), replace("1:", "9:"), replace("2:", "x:"),
        replace("gamma ", "gamma -"), good + "1 1 1:0 2:0\n"}) {
    ASSERT_TRUE(WriteFileAtomic(model, bad).ok());
    auto l = LoadModel(dir.str());
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.status().code(), StatusCode::kCorruption) << l.status().ToString();
    EXPECT_NE(l.status().message().find("libsvm.model"), std::string::npos);
  }
  ASSERT_TRUE(WriteFileAtomic(model, good).ok());
  ASSERT_TRUE(LoadModel(dir.str()).ok());
  for (const std::string& bad :
       {std::string("{"), std::string("{\"format\":\"arus-svm\"}"), std::string("[]")}) {
    ASSERT_TRUE(WriteFileAtomic(extras, bad).ok());
    auto l = LoadModel(dir.str());
    ASSERT_FALSE(l.ok());
    EXPECT_NE(l.status().message().find("svm.json"), std::string::npos) << l.status().ToString();
  }
  nlohmann::json j = nlohmann::json::parse(good_extras);
  j["importance"].push_back(0.5);
  ASSERT_TRUE(WriteFileAtomic(extras, j.dump()).ok());
  auto l = LoadModel(dir.str());
  ASSERT_FALSE(l.ok());
  EXPECT_NE(l.status().message().find("importance"), std::string::npos);
}

TEST(SvmTest, RefusesMissingValuesAndOneClassTails) {
  Data d = MakeRings(100, 14);
  d.x.at(3, 0) = std::nan("");
  auto m = FitModel("svm", TrainSet{d.x.view(), d.y, {}, {}}, Opt(2, {{"impute", false}}));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("impute"), std::string::npos);
  Data e = MakeRings(100, 15);
  for (size_t r = 50; r < 100; ++r) e.y[r] = 1;
  m = FitModel("svm", TrainSet{e.x.view(), e.y, {}, {}}, Opt(2, {{"max_train_rows", int64_t{40}}}));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("max_train_rows"), std::string::npos);
}

}  // namespace
}  // namespace arus::ml
