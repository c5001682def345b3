// Ensembles with real learners: weights follow out-of-sample performance, online evaluation is
// point in time, agreement, stacking, save/load.
#include "ml/ensemble.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>

namespace arus::ml {
namespace {

namespace fs = std::filesystem;

uint64_t Mix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
double Uniform(uint64_t& s) { return static_cast<double>(Mix(s) >> 11) * 0x1.0p-53; }

// y = +1 with probability sigmoid(3 * x0), else -1; x1, x2 noise. Times one minute apart, labels
// end three minutes later.
struct Data {
  Matrix x;
  std::vector<double> y;
  std::vector<UnixNanos> time, end;
  TrainSet view() const { return TrainSet{x.view(), y, time, end}; }
};

Data Make(size_t n, uint64_t seed) {
  Data d;
  d.x = Matrix(n, 3);
  uint64_t s = seed;
  for (size_t i = 0; i < n; ++i) {
    for (size_t c = 0; c < 3; ++c) d.x.at(i, c) = Uniform(s) * 2 - 1;
    const double p = 1 / (1 + std::exp(-3 * d.x.at(i, 0)));
    d.y.push_back(Uniform(s) < p ? 1.0 : -1.0);
    d.time.push_back(UnixNanos::FromSeconds(1'700'000'000 + 60 * static_cast<int64_t>(i)));
    d.end.push_back(d.time.back() + Duration(180'000'000'000));
  }
  return d;
}

FitOptions Options() {
  FitOptions o;
  o.feature_names = {"x0", "x1", "x2"};
  o.seed = 3;
  return o;
}

std::unique_ptr<Model> FitLogistic(const Data& d, bool flip_labels) {
  std::vector<double> y = d.y;
  if (flip_labels) {
    for (double& v : y) v = -v;
  }
  TrainSet t{d.x.view(), y, d.time, d.end};
  auto m = FitModel("logistic", t, Options());
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(m).value();
}

TEST(EnsembleTest, WeightsMoveToTheMemberThatPredictsBetter) {
  const Data train = Make(2000, 1), live = Make(600, 2);
  std::vector<std::unique_ptr<Model>> members;
  members.push_back(FitLogistic(train, false));
  members.push_back(FitLogistic(train, true));  // systematically wrong
  auto e = Ensemble::Create(std::move(members), {"good", "bad"}, EnsembleOptions{});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::vector<double> w = e.value()->weights();
  EXPECT_DOUBLE_EQ(w[0], 0.5);  // no record yet
  for (size_t r = 0; r < 300; ++r) {
    ASSERT_TRUE(e.value()->Observe(std::span(live.x.row(r), 3), live.y[r]).ok());
  }
  w = e.value()->weights();
  EXPECT_GT(w[0], 0.99);
  EXPECT_NEAR(w[0] + w[1], 1.0, 1e-12);
  // The combined prediction now follows the good member.
  std::vector<double> pe(2), pg(2);
  ASSERT_TRUE(e.value()->PredictRow(std::span(live.x.row(400), 3), pe).ok());
  ASSERT_TRUE(e.value()->member(0).PredictRow(std::span(live.x.row(400), 3), pg).ok());
  EXPECT_NEAR(pe[1], pg[1], 0.01);
  // An outcome that is not a class is refused.
  EXPECT_FALSE(e.value()->Observe(std::span(live.x.row(0), 3), 7.0).ok());
}

TEST(EnsembleTest, OnlinePredictionsUseOnlyOutcomesKnownAtDecisionTime) {
  const Data train = Make(1500, 3), test = Make(400, 4);
  auto build = [&] {
    std::vector<std::unique_ptr<Model>> members;
    members.push_back(FitLogistic(train, false));
    members.push_back(FitLogistic(train, true));
    return std::move(Ensemble::Create(std::move(members), {"a", "b"}, EnsembleOptions{})).value();
  };
  auto e1 = build();
  std::vector<double> p1(400 * 2), a1(400);
  ASSERT_TRUE(e1->PredictOnline(test.view(), p1, a1).ok());
  // Change every outcome from row 200 on: rows whose labels had not ended by row 202's decision
  // time include rows 200 and 201 (labels end 3 minutes later), so predictions up to row 202
  // must not move; later ones may.
  Data changed = test;
  for (size_t r = 200; r < 400; ++r) changed.y[r] = -changed.y[r];
  auto e2 = build();
  std::vector<double> p2(400 * 2), a2(400);
  ASSERT_TRUE(e2->PredictOnline(changed.view(), p2, a2).ok());
  for (size_t r = 0; r <= 202; ++r) {
    ASSERT_EQ(p1[2 * r], p2[2 * r]) << "row " << r;
    ASSERT_EQ(a1[r], a2[r]) << "row " << r;
  }
  bool moved = false;
  for (size_t r = 203; r < 400; ++r) moved = moved || p1[2 * r] != p2[2 * r];
  EXPECT_TRUE(moved);
  for (double a : a1) {
    EXPECT_GE(a, 0.0);
    EXPECT_LE(a, 1.0);
  }
}

TEST(EnsembleTest, AgreementIsOneWhenMembersAgreeAndSplitOtherwise) {
  const Data train = Make(1500, 5);
  std::vector<std::unique_ptr<Model>> same;
  same.push_back(FitLogistic(train, false));
  same.push_back(FitLogistic(train, false));
  auto e = std::move(Ensemble::Create(std::move(same), {"a", "b"}, EnsembleOptions{})).value();
  std::vector<double> agree(10);
  ASSERT_TRUE(e->Agreement(MatrixView{train.x.data.data(), 10, 3}, agree).ok());
  for (double a : agree) EXPECT_DOUBLE_EQ(a, 1.0);

  std::vector<std::unique_ptr<Model>> opposed;
  opposed.push_back(FitLogistic(train, false));
  opposed.push_back(FitLogistic(train, true));
  auto o = std::move(Ensemble::Create(std::move(opposed), {"a", "b"}, EnsembleOptions{})).value();
  ASSERT_TRUE(o->Agreement(MatrixView{train.x.data.data(), 10, 3}, agree).ok());
  for (double a : agree) EXPECT_DOUBLE_EQ(a, 0.5);  // equal weights, opposite calls
}

TEST(EnsembleTest, StackingLearnsFromMembersAndRoundTrips) {
  const Data train = Make(3000, 6), test = Make(1000, 7);
  EnsembleOptions opt;
  opt.method = EnsembleMethod::kStacking;
  std::vector<MemberSpec> specs = {{"lin", "logistic", {}},
                                   {"l1", "logistic", {{"penalty", std::string("l1")}}}};
  auto e = Ensemble::Fit(specs, train.view(), Options(), opt);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  std::vector<double> p(1000 * 2);
  ASSERT_TRUE(e.value()->Predict(test.x.view(), p).ok());
  size_t correct = 0;
  for (size_t r = 0; r < 1000; ++r) {
    EXPECT_NEAR(p[2 * r] + p[2 * r + 1], 1.0, 1e-9);
    correct += (p[2 * r + 1] > 0.5) == (test.y[r] > 0);
  }
  EXPECT_GT(correct, 650u);  // Bayes accuracy here is about 0.73

  const fs::path dir = fs::temp_directory_path() / ("arus_ens_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  ASSERT_TRUE(e.value()->Save(dir.string()).ok());
  auto loaded = LoadModel(dir.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded.value()->info().learner, "ensemble");
  std::vector<double> q(1000 * 2);
  ASSERT_TRUE(loaded.value()->Predict(test.x.view(), q).ok());
  EXPECT_EQ(p, q);
  fs::remove_all(dir);
}

TEST(EnsembleTest, WeightedRoundTripKeepsThePerformanceRecord) {
  const Data train = Make(1500, 8), live = Make(300, 9);
  std::vector<std::unique_ptr<Model>> members;
  members.push_back(FitLogistic(train, false));
  members.push_back(FitLogistic(train, true));
  auto e = std::move(Ensemble::Create(std::move(members), {"good", "bad"}, {})).value();
  for (size_t r = 0; r < 100; ++r)
    ASSERT_TRUE(e->Observe(std::span(live.x.row(r), 3), live.y[r]).ok());
  const fs::path dir = fs::temp_directory_path() / ("arus_ensw_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  ASSERT_TRUE(e->Save(dir.string()).ok());
  auto loaded = Ensemble::Load(dir.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded.value()->weights(), e->weights());
  EXPECT_EQ(loaded.value()->performance().observations, 100u);
  std::vector<double> p(2), q(2);
  ASSERT_TRUE(e->PredictRow(std::span(live.x.row(200), 3), p).ok());
  ASSERT_TRUE(loaded.value()->PredictRow(std::span(live.x.row(200), 3), q).ok());
  EXPECT_EQ(p, q);
  // A damaged ensemble file is an error, not a crash.
  std::ofstream(dir / "model.json") << "{\"learner\": \"ensemble\", \"members\": 3}";
  EXPECT_FALSE(LoadModel(dir.string()).ok());
  fs::remove_all(dir);
}

TEST(EnsembleTest, MembersMustMatch) {
  const Data train = Make(500, 10);
  std::vector<std::unique_ptr<Model>> members;
  members.push_back(FitLogistic(train, false));
  FitOptions other = Options();
  other.feature_names = {"a", "b", "c"};
  members.push_back(std::move(FitModel("logistic", train.view(), other)).value());
  auto e = Ensemble::Create(std::move(members), {"x", "y"}, {});
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("feature names"), std::string::npos);
}

}  // namespace
}  // namespace arus::ml
