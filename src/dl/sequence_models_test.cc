// The dl learners through the ml interface: learning a planted pattern that needs memory, chance
// on a random walk, streams == batch prediction, save / load, determinism, multi-step output,
// hostile files, and the plain C++ inference against the torch modules.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>

#include "core/file.h"
#include "dl/learners.h"
#include "dl/sequence_models.h"
#include "dl/sequence_net.h"
#include "ml/ensemble.h"
#include "ml/learners.h"
#include "ml/model.h"
#include "validation/experiment.h"

namespace arus::dl {
namespace {

using ml::Matrix;
using ml::MatrixView;
using ml::ParamMap;

// Per process: ctest runs the tests of this file in parallel processes, and tests of one fixture
// use the same name.
std::string TmpDir(const std::string& name) {
  const char* base = std::getenv("ARUS_TEST_TMP");
  std::string dir = std::string(base ? base : "/tmp") + "/dl_seq_" + name + "_" +
                    std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

class Registered : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { RegisterLearners(); }
};

// A run of rows whose label depends on the past only. Features: x0, x1, x2 iid N(0, 1).
// Classification: y[i] = sign(x0[i - 3]), flipped with probability `flip` (the first 3 rows
// random): only a model that remembers 3 rows back can beat chance. Regression: y[i] = 0.5 +
// 0.01 * (x0[i - 2] + 0.3 e).
struct Data {
  Matrix x;
  std::vector<double> y;
  std::vector<UnixNanos> time, end;
  std::vector<std::string> names{"x0", "x1", "x2"};
};

Data Planted(size_t n, uint64_t seed, bool regression = false, double flip = 0.1) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> norm(0, 1);
  std::uniform_real_distribution<double> uni(0, 1);
  Data d;
  d.x = Matrix(n, 3);
  for (size_t i = 0; i < n; ++i) {
    for (size_t c = 0; c < 3; ++c) d.x.at(i, c) = norm(rng);
  }
  for (size_t i = 0; i < n; ++i) {
    if (regression) {
      const double base = i >= 2 ? d.x.at(i - 2, 0) : 0.0;
      d.y.push_back(0.5 + 0.01 * (base + 0.3 * norm(rng)));
    } else {
      double v = i >= 3 ? (d.x.at(i - 3, 0) > 0 ? 1 : -1) : (uni(rng) < 0.5 ? 1 : -1);
      if (uni(rng) < flip) v = -v;
      d.y.push_back(v);
    }
    d.time.push_back(UnixNanos(static_cast<int64_t>(i) * 60'000'000'000));
    d.end.push_back(UnixNanos(static_cast<int64_t>(i + 1) * 60'000'000'000));
  }
  return d;
}

// Features: the last three returns of a random walk; label: the sign of the next return.
Data RandomWalk(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> norm(0, 1);
  std::vector<double> r(n + 3);
  for (double& v : r) v = norm(rng);
  Data d;
  d.x = Matrix(n, 3);
  for (size_t i = 0; i < n; ++i) {
    for (size_t c = 0; c < 3; ++c) d.x.at(i, c) = r[i + 2 - c];
    d.y.push_back(r[i + 3] > 0 ? 1 : -1);
    d.time.push_back(UnixNanos(static_cast<int64_t>(i) * 60'000'000'000));
    d.end.push_back(UnixNanos(static_cast<int64_t>(i + 1) * 60'000'000'000));
  }
  return d;
}

ml::TrainSet Rows(const Data& d, size_t begin, size_t end) {
  return ml::TrainSet{MatrixView{d.x.row(begin), end - begin, d.x.cols},
                      std::span<const double>(d.y).subspan(begin, end - begin),
                      std::span<const UnixNanos>(d.time).subspan(begin, end - begin),
                      std::span<const UnixNanos>(d.end).subspan(begin, end - begin)};
}

// Small, fast settings per architecture (CI runs every learner on a few thousand rows).
ParamMap SmallParams(const std::string& learner) {
  ParamMap p{{"epochs", int64_t{12}}, {"batch_size", int64_t{32}}, {"lr", 0.01},
             {"dropout", 0.0},        {"patience", int64_t{4}}};
  if (learner == "lstm" || learner == "gru") {
    p["window"] = int64_t{12};
    p["hidden"] = int64_t{16};
    p["layers"] = int64_t{1};
    p["epochs"] = int64_t{40};
    p["batch_size"] = int64_t{16};
  } else if (learner == "transformer") {
    p["window"] = int64_t{6};
    p["d_model"] = int64_t{16};
    p["heads"] = int64_t{2};
    p["ff"] = int64_t{32};
    p["layers"] = int64_t{1};
    p["lr"] = 0.005;
    p["batch_size"] = int64_t{64};
  } else {
    p["window"] = int64_t{6};
    p["channels"] = int64_t{8};
    p["conv_layers"] = int64_t{1};
    p["hidden"] = int64_t{16};
    p["batch_size"] = int64_t{64};
  }
  return p;
}

Result<std::unique_ptr<ml::Model>> Fit(const std::string& learner, const ml::TrainSet& t,
                                       ParamMap params, bool regression = false,
                                       uint64_t seed = 7) {
  ml::FitOptions o;
  o.task = regression ? ml::Task::kRegression : ml::Task::kClassification;
  o.params = std::move(params);
  o.feature_names = {"x0", "x1", "x2"};
  o.seed = seed;
  return ml::FitModel(learner, t, o);
}

// Outputs for rows [begin, end) of d with the model's context prepended (dropped).
std::vector<double> PredictWarm(const ml::Model& m, const Data& d, size_t begin, size_t end) {
  const size_t ctx = std::min(begin, m.context_rows());
  const size_t k = m.info().outputs();
  std::vector<double> out((end - begin + ctx) * k);
  EXPECT_TRUE(m.Predict(MatrixView{d.x.row(begin - ctx), end - begin + ctx, 3}, out).ok());
  out.erase(out.begin(), out.begin() + ctx * k);
  return out;
}

struct Score {
  size_t hits = 0, n = 0;
  double accuracy() const { return static_cast<double>(hits) / n; }
  // Two-sided binomial p-value against 1/2 (normal approximation with continuity correction).
  double p_value() const {
    const double z = (std::fabs(hits - n / 2.0) - 0.5) / std::sqrt(n / 4.0);
    return std::erfc(std::max(z, 0.0) / std::sqrt(2.0));
  }
};

Score Accuracy(const std::vector<double>& probs, const Data& d, size_t begin) {
  Score s;
  for (size_t i = 0; i * 2 < probs.size(); ++i) {
    const double pred = probs[i * 2 + 1] > probs[i * 2] ? 1 : -1;
    s.hits += pred == d.y[begin + i];
    ++s.n;
  }
  return s;
}

const std::vector<std::string> kLearners = {"lstm", "gru", "transformer", "cnn", "cnn_lstm"};

// ---- Learning ----------------------------------------------------------------------------------

class LearnTest : public Registered, public ::testing::WithParamInterface<std::string> {};

TEST_P(LearnTest, PlantedLagPatternOutOfSampleAndChanceOnRandomWalk) {
  const std::string learner = GetParam();
  const size_t n_train = 1500, n_all = 2000;
  {
    const Data d = Planted(n_all, 11);
    auto m = Fit(learner, Rows(d, 0, n_train), SmallParams(learner));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    const Score s = Accuracy(PredictWarm(**m, d, n_train, n_all), d, n_train);
    // The label is right 90% of the time; chance is 50%.
    EXPECT_GT(s.accuracy(), 0.75) << learner;
    EXPECT_LT(s.p_value(), 1e-20) << learner;
  }
  {
    const Data d = RandomWalk(n_all, 12);
    auto m = Fit(learner, Rows(d, 0, n_train), SmallParams(learner));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    const Score s = Accuracy(PredictWarm(**m, d, n_train, n_all), d, n_train);
    EXPECT_GT(s.p_value(), 0.01) << learner << " accuracy " << s.accuracy();
  }
}

INSTANTIATE_TEST_SUITE_P(Dl, LearnTest, ::testing::ValuesIn(kLearners),
                         [](const auto& info) { return info.param; });

TEST_F(Registered, RegressionHeadLearnsAndReturnsTargetUnits) {
  const Data d = Planted(1600, 21, /*regression=*/true);
  ParamMap p = SmallParams("gru");
  auto m = Fit("gru", Rows(d, 0, 1200), p, /*regression=*/true);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const std::vector<double> pred = PredictWarm(**m, d, 1200, 1600);
  double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  const double n = static_cast<double>(pred.size());
  for (size_t i = 0; i < pred.size(); ++i) {
    const double a = pred[i], b = d.y[1200 + i];
    sx += a, sy += b, sxx += a * a, syy += b * b, sxy += a * b;
  }
  const double corr = (sxy - sx * sy / n) / std::sqrt((sxx - sx * sx / n) * (syy - sy * sy / n));
  EXPECT_GT(corr, 0.8);
  EXPECT_NEAR(sx / n, 0.5, 0.005);  // de-standardised: the target's units and level
}

TEST_F(Registered, MultiStepPredictsTheNextHorizonsItCanKnow) {
  // Horizon h of row i targets y[i + h - 1] = sign(x0[i + h - 4]): known at row i for h <= 4,
  // unknowable for h = 5.
  const Data d = Planted(2000, 31, false, 0.05);
  ParamMap p = SmallParams("cnn");
  p["horizons"] = int64_t{5};
  auto m = Fit("cnn", Rows(d, 0, 1500), p);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ((*m)->info().horizons, 5u);
  const size_t ctx = (*m)->context_rows(), begin = 1500 - ctx, rows = 500 + ctx - 4;
  std::vector<double> all(rows * 5 * 2);
  ASSERT_TRUE((*m)->PredictHorizons(MatrixView{d.x.row(begin), rows, 3}, all).ok());
  std::vector<double> h1(rows * 2);
  ASSERT_TRUE((*m)->Predict(MatrixView{d.x.row(begin), rows, 3}, h1).ok());
  for (size_t h = 0; h < 5; ++h) {
    Score s;
    for (size_t r = ctx; r < rows; ++r) {
      const double* p2 = all.data() + (r * 5 + h) * 2;
      if (h == 0) {
        ASSERT_EQ(p2[0], h1[r * 2]);  // Predict is horizon 1
        ASSERT_EQ(p2[1], h1[r * 2 + 1]);
      }
      s.hits += (p2[1] > p2[0] ? 1.0 : -1.0) == d.y[begin + r + h];
      ++s.n;
    }
    if (h < 4) {
      EXPECT_GT(s.accuracy(), 0.8) << "horizon " << h + 1;
    } else {
      EXPECT_GT(s.p_value(), 0.01) << "horizon 5 accuracy " << s.accuracy();
    }
  }
}

// ---- Streams, save / load, determinism -------------------------------------------------------

ParamMap QuickParams(const std::string& learner) {
  ParamMap p = SmallParams(learner);
  p["epochs"] = int64_t{1};
  p["horizons"] = int64_t{2};
  return p;
}

bool SameBits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

std::vector<double> StepAll(const ml::Model& m, const Data& d, size_t begin, size_t end) {
  auto s = m.NewStream();
  const size_t k = m.info().outputs();
  std::vector<double> out((end - begin) * k);
  for (size_t r = begin; r < end; ++r) {
    EXPECT_TRUE(s->Step(std::span<const double>(d.x.row(r), 3),
                        std::span<double>(out).subspan((r - begin) * k, k))
                    .ok());
  }
  return out;
}

class StreamTest : public Registered, public ::testing::WithParamInterface<std::string> {};

TEST_P(StreamTest, StepwiseEqualsFullWindowSaveLoadIdentical) {
  const std::string learner = GetParam();
  const Data d = Planted(400, 41);
  ParamMap p = QuickParams(learner);
  p["calibration"] = std::string("temperature");  // the stream applies it per step too
  auto m = Fit(learner, Rows(d, 0, 300), p);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const ml::Model& model = **m;
  EXPECT_EQ(model.context_rows(), learner == "lstm" || learner == "gru" ? 12u : 5u);

  // Stepwise over rows 250..399 == Predict over the same rows, bit for bit.
  std::vector<double> batch(150 * 2);
  ASSERT_TRUE(model.Predict(MatrixView{d.x.row(250), 150, 3}, batch).ok());
  const std::vector<double> steps = StepAll(model, d, 250, 400);
  EXPECT_TRUE(SameBits(batch, steps)) << learner;
  // Reset starts a new sequence.
  auto s = model.NewStream();
  std::vector<double> o(2), first(2);
  ASSERT_TRUE(s->Step(std::span<const double>(d.x.row(250), 3), first).ok());
  ASSERT_TRUE(s->Step(std::span<const double>(d.x.row(251), 3), o).ok());
  s->Reset();
  ASSERT_TRUE(s->Step(std::span<const double>(d.x.row(250), 3), o).ok());
  EXPECT_EQ(o, first);
  // PredictRow is a one-row sequence.
  std::vector<double> row(2), one(2);
  ASSERT_TRUE(model.PredictRow(std::span<const double>(d.x.row(300), 3), row).ok());
  ASSERT_TRUE(model.Predict(MatrixView{d.x.row(300), 1, 3}, one).ok());
  EXPECT_EQ(row, one);
  // Errors: shapes.
  EXPECT_FALSE(s->Step(std::span<const double>(d.x.row(0), 2), o).ok());

  // Save -> load: the same bits from Predict, PredictHorizons and the stream.
  const std::string dir = TmpDir("saveload_" + learner);
  ASSERT_TRUE(model.Save(dir).ok());
  EXPECT_TRUE(std::filesystem::exists(dir + "/weights.pt"));
  EXPECT_TRUE(std::filesystem::exists(dir + "/training.json"));
  auto loaded = ml::LoadModel(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->info().horizons, 2u);
  EXPECT_EQ((*loaded)->context_rows(), model.context_rows());
  std::vector<double> again(150 * 2);
  ASSERT_TRUE((*loaded)->Predict(MatrixView{d.x.row(250), 150, 3}, again).ok());
  EXPECT_TRUE(SameBits(batch, again)) << learner;
  std::vector<double> hz_a(150 * 4), hz_b(150 * 4);
  ASSERT_TRUE(model.PredictHorizons(MatrixView{d.x.row(250), 150, 3}, hz_a).ok());
  ASSERT_TRUE((*loaded)->PredictHorizons(MatrixView{d.x.row(250), 150, 3}, hz_b).ok());
  EXPECT_TRUE(SameBits(hz_a, hz_b));
  EXPECT_TRUE(SameBits(StepAll(**loaded, d, 250, 400), steps));
  std::vector<double> wrong(150 * 2);
  EXPECT_FALSE(model.PredictHorizons(MatrixView{d.x.row(250), 150, 3}, wrong).ok());
}

INSTANTIATE_TEST_SUITE_P(Dl, StreamTest, ::testing::ValuesIn(kLearners),
                         [](const auto& info) { return info.param; });

TEST_F(Registered, TreeModelAndEnsembleStreamsEqualPredict) {
  const Data d = Planted(400, 43);
  auto tree = Fit("xgboost", Rows(d, 0, 300), {{"n_estimators", int64_t{5}}});
  ASSERT_TRUE(tree.ok()) << tree.status().ToString();
  std::vector<double> batch(100 * 2);
  ASSERT_TRUE((*tree)->Predict(MatrixView{d.x.row(300), 100, 3}, batch).ok());
  EXPECT_TRUE(SameBits(batch, StepAll(**tree, d, 300, 400)));
  EXPECT_EQ((*tree)->context_rows(), 0u);

  auto lstm = Fit("lstm", Rows(d, 0, 300), QuickParams("lstm"));
  ASSERT_TRUE(lstm.ok()) << lstm.status().ToString();
  std::vector<std::unique_ptr<ml::Model>> members;
  members.push_back(std::move(tree).value());
  members.push_back(std::move(lstm).value());
  auto e = ml::Ensemble::Create(std::move(members), {"xgb", "lstm"}, ml::EnsembleOptions{});
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ((*e)->context_rows(), 12u);
  ASSERT_TRUE((*e)->Predict(MatrixView{d.x.row(300), 100, 3}, batch).ok());
  EXPECT_TRUE(SameBits(batch, StepAll(**e, d, 300, 400)));
  // Online prediction with context == the tail of a longer batch run.
  std::vector<double> longer(112 * 2), online(100 * 2), agree(100);
  ASSERT_TRUE((*e)->Predict(MatrixView{d.x.row(288), 112, 3}, longer).ok());
  ASSERT_TRUE((*e)->PredictOnline(Rows(d, 300, 400), online, agree,
                                  MatrixView{d.x.row(288), 12, 3})
                  .ok());
  // Row 0 is predicted before any outcome is observed (equal weights, as Predict): the members
  // saw the 12 context rows as history.
  EXPECT_EQ(online[0], longer[24]);
  EXPECT_EQ(online[1], longer[25]);
  std::vector<double> cold(100 * 2);
  ASSERT_TRUE((*e)->PredictOnline(Rows(d, 300, 400), cold, agree).ok());
  EXPECT_NE(cold[0], online[0]);
}

TEST_F(Registered, SameSeedSameModelOtherSeedOther) {
  const Data d = Planted(300, 51);
  std::vector<double> a(100 * 2), b(100 * 2), c(100 * 2);
  for (const std::string& learner : {std::string("lstm"), std::string("transformer")}) {
    auto m1 = Fit(learner, Rows(d, 0, 200), QuickParams(learner), false, 5);
    auto m2 = Fit(learner, Rows(d, 0, 200), QuickParams(learner), false, 5);
    auto m3 = Fit(learner, Rows(d, 0, 200), QuickParams(learner), false, 6);
    ASSERT_TRUE(m1.ok() && m2.ok() && m3.ok());
    ASSERT_TRUE((*m1)->Predict(MatrixView{d.x.row(200), 100, 3}, a).ok());
    ASSERT_TRUE((*m2)->Predict(MatrixView{d.x.row(200), 100, 3}, b).ok());
    ASSERT_TRUE((*m3)->Predict(MatrixView{d.x.row(200), 100, 3}, c).ok());
    EXPECT_TRUE(SameBits(a, b)) << learner;
    EXPECT_FALSE(SameBits(a, c)) << learner;
    // Same weights on disk.
    const std::string d1 = TmpDir("seed1_" + learner), d2 = TmpDir("seed2_" + learner);
    ASSERT_TRUE((*m1)->Save(d1).ok());
    ASSERT_TRUE((*m2)->Save(d2).ok());
    EXPECT_EQ(*ReadFile(d1 + "/weights.pt"), *ReadFile(d2 + "/weights.pt")) << learner;
  }
}

// ---- The plain C++ inference computes the torch modules' function -----------------------------

TEST(TorchVersusNetTest, EveryArchitectureMatchesTorch) {
  Matrix x(40, 3);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> norm(0, 1);
  for (double& v : x.data) v = norm(rng);
  for (Arch a : {Arch::kLstm, Arch::kGru, Arch::kTransformer, Arch::kCnn, Arch::kCnnLstm}) {
    for (bool cls : {true, false}) {
      NetSpec s;
      s.arch = a;
      s.inputs = 3;
      s.classification = cls;
      s.outputs = cls ? 3 : 1;
      s.horizons = 2;
      s.window = 8;
      s.hidden = 12;
      s.layers = 2;
      s.conv_layers = 2;
      s.channels = 6;
      s.kernel = 3;
      s.d_model = 16;
      s.heads = 4;
      s.ff = 24;
      auto diff = internal::TorchVersusNet(s, 99, x.view());
      ASSERT_TRUE(diff.ok()) << diff.status().ToString();
      EXPECT_LT(*diff, 1e-5) << ArchName(a) << (cls ? " classification" : " regression");
    }
  }
}

// ---- Parameters and errors ---------------------------------------------------------------------

// The shipped example experiment configures DL learners the way `arus train` reads them.
TEST_F(Registered, ExampleExperimentParses) {
  auto c = validation::LoadExperimentConfig(std::string(ARUS_SOURCE_DIR) +
                                            "/examples/train-dl.toml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  std::vector<std::string> types;
  for (const auto& l : c->learners) types.push_back(l.learner);
  EXPECT_EQ(types, (std::vector<std::string>{"lstm", "transformer", "xgboost"}));
  EXPECT_EQ(std::get<int64_t>(c->learners[0].params.at("window")), 64);
}

TEST_F(Registered, CatalogueAndParameterErrors) {
  for (const std::string& l : kLearners) {
    const ml::LearnerDef* def = ml::FindLearnerDef(l);
    ASSERT_NE(def, nullptr) << l;
    EXPECT_TRUE(def->classification && def->regression);
  }
  RegisterLearners();  // idempotent
  size_t count = 0;
  for (const auto& s : ml::ListLearners()) count += s.name == "lstm";
  EXPECT_EQ(count, 1u);
  auto p = ml::ResolveParams("lstm", {});
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(ml::GetBool(*p, "standardize"));
  EXPECT_EQ(ml::GetInt(*p, "horizons"), 1);
  EXPECT_EQ(ml::GetString(*p, "optimizer"), "adamw");

  const Data d = Planted(200, 61);
  ParamMap bad = SmallParams("transformer");
  bad["heads"] = int64_t{3};
  auto m = Fit("transformer", Rows(d, 0, 200), bad);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("divisible"), std::string::npos);
  ParamMap burn = SmallParams("lstm");
  burn["burn_in"] = int64_t{12};
  m = Fit("lstm", Rows(d, 0, 200), burn);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("burn_in"), std::string::npos);
  ParamMap range = SmallParams("gru");
  range["window"] = int64_t{1};
  m = Fit("gru", Rows(d, 0, 200), range);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("window"), std::string::npos);
  // Missing values reach the network only with impute off: refused, naming the row.
  Data holes = Planted(200, 62);
  holes.x.at(17, 1) = NAN;
  ParamMap no_impute = SmallParams("cnn");
  no_impute["impute"] = false;
  m = Fit("cnn", Rows(holes, 0, 200), no_impute);
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("row 17"), std::string::npos) << m.status().ToString();
}

TEST_F(Registered, EarlyStoppingAndProgress) {
  const Data d = RandomWalk(600, 71);
  ParamMap p = SmallParams("gru");
  p["epochs"] = int64_t{40};
  p["patience"] = int64_t{2};
  p["lr"] = 0.03;
  size_t epochs_reported = 0, batches = 0;
  SetTrainProgress([&](const TrainProgress& pr) {
    EXPECT_EQ(pr.learner, "gru");
    EXPECT_EQ(pr.epochs, 40u);
    if (pr.epoch_done) {
      ++epochs_reported;
      EXPECT_GE(pr.val_loss, 0.0);
    } else {
      ++batches;
    }
  });
  auto m = Fit("gru", Rows(d, 0, 600), p);
  SetTrainProgress(nullptr);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  // Noise: the validation loss stops improving long before 40 epochs.
  EXPECT_LT(epochs_reported, 40u);
  EXPECT_GT(batches, epochs_reported);
  const std::string dir = TmpDir("early");
  ASSERT_TRUE((*m)->Save(dir).ok());
  auto text = ReadFile(dir + "/training.json");
  ASSERT_TRUE(text.ok());
  EXPECT_NE(text->find("\"best_epoch\""), std::string::npos);
  EXPECT_NE(text->find("\"epochs_run\": " + std::to_string(epochs_reported)), std::string::npos)
      << *text;
}

// ---- Hostile files -----------------------------------------------------------------------------

class HostileTest : public Registered {
 protected:
  void SetUp() override {
    const Data d = Planted(200, 81);
    auto m = Fit("lstm", Rows(d, 0, 200), QuickParams("lstm"));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    dir_ = TmpDir("hostile");
    ASSERT_TRUE((*m)->Save(dir_).ok());
    weights_ = *ReadFile(dir_ + "/weights.pt");
    json_ = *ReadFile(dir_ + "/model.json");
  }
  std::string LoadError() {
    auto m = ml::LoadModel(dir_);
    return m.ok() ? "" : m.status().ToString();
  }
  void Write(const std::string& file, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomic(dir_ + "/" + file, text).ok());
  }
  std::string dir_, weights_, json_;
};

TEST_F(HostileTest, DamagedWeightsNameTheFile) {
  ASSERT_EQ(LoadError(), "");
  Write("weights.pt", weights_.substr(0, weights_.size() / 2));
  EXPECT_NE(LoadError().find("weights.pt"), std::string::npos);
  Write("weights.pt", "");
  EXPECT_NE(LoadError().find("weights.pt"), std::string::npos);
  std::string junk(weights_.size(), 'x');
  Write("weights.pt", junk);
  const std::string e = LoadError();
  EXPECT_NE(e.find("weights.pt"), std::string::npos);
  EXPECT_NE(e.find("not a readable weights file"), std::string::npos) << e;
  // Flip bytes in the middle (the tensor data): still loads or fails cleanly, never crashes.
  std::string flipped = weights_;
  for (size_t i = flipped.size() / 3; i < flipped.size() / 3 + 64; ++i) flipped[i] ^= 0x5a;
  Write("weights.pt", flipped);
  (void)LoadError();
  std::filesystem::remove(dir_ + "/weights.pt");
  EXPECT_NE(LoadError().find("weights.pt"), std::string::npos);
}

TEST_F(HostileTest, ModelJsonThatDisagreesWithTheWeights) {
  Write("weights.pt", weights_);
  // A bigger network than the file holds: refused before building it.
  std::string big = json_;
  const size_t at = big.find("\"hidden\": 16");
  ASSERT_NE(at, std::string::npos) << json_;
  big.replace(at, 12, "\"hidden\": 1024");
  Write("model.json", big);
  std::string e = LoadError();
  EXPECT_NE(e.find("too small"), std::string::npos) << e;
  // A smaller one: the tensors' shapes disagree.
  std::string small = json_;
  small.replace(small.find("\"hidden\": 16"), 12, "\"hidden\": 8");
  Write("model.json", small);
  e = LoadError();
  EXPECT_NE(e.find("weights.pt"), std::string::npos) << e;
  EXPECT_NE(e.find("shape"), std::string::npos) << e;
  // Horizons that disagree with the learner's.
  std::string hz = json_;
  const size_t h = hz.find("\"horizons\": 2,\n \"learner\"");
  ASSERT_NE(h, std::string::npos) << json_;
  hz.replace(h, 14, "\"horizons\": 3,");
  Write("model.json", hz);
  e = LoadError();
  EXPECT_NE(e.find("horizons"), std::string::npos) << e;
  Write("model.json", json_);
  EXPECT_EQ(LoadError(), "");
}

}  // namespace
}  // namespace arus::dl
