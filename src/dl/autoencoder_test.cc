// The window autoencoder on generated data: a smooth AR process with a planted burst of abnormal
// volatility and jumps is flagged far above normal windows; normal data gives about the expected
// false-positive rate; threshold = the quantile of the training errors; point in time; streaming
// == batch; save / load and the registry; determinism; bad input and damaged files.
#include "dl/autoencoder.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

namespace arus::dl {
namespace {

namespace fs = std::filesystem;
constexpr size_t kCols = 3;
constexpr size_t kTrainRows = 3000;
constexpr size_t kBurstBegin = 4000, kBurstLen = 150;

// Deterministic normal variates (Box-Muller over a fixed engine).
class Normal {
 public:
  explicit Normal(uint64_t seed) : rng_(seed) {}
  double operator()() {
    const double u1 = (static_cast<double>(rng_() >> 11) + 0.5) * 0x1.0p-53;
    const double u2 = static_cast<double>(rng_() >> 11) * 0x1.0p-53;
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }

 private:
  std::mt19937_64 rng_;
};

// Column 0: AR(1) with phi 0.9; column 1: 0.8 x column 0 + noise; column 2: an independent
// AR(1) with phi 0.7. Rows [burst_begin, burst_begin + burst_len): innovations x5 and a jump of
// +-4 in column 0 every 7th row.
ml::Matrix Generate(size_t rows, uint64_t seed, size_t burst_begin = 0, size_t burst_len = 0) {
  Normal n(seed);
  ml::Matrix x(rows, kCols);
  double a = 0, c = 0;
  for (size_t r = 0; r < rows; ++r) {
    const bool burst = r >= burst_begin && r < burst_begin + burst_len;
    const double k = burst ? 5.0 : 1.0;
    a = 0.9 * a + 0.45 * k * n();
    if (burst && (r - burst_begin) % 7 == 3) a += (r % 2 ? 4.0 : -4.0);
    c = 0.7 * c + 0.7 * n();
    x.at(r, 0) = a;
    x.at(r, 1) = 0.8 * a + 0.3 * k * n();
    x.at(r, 2) = c;
  }
  return x;
}

ml::MatrixView Rows(const ml::Matrix& m, size_t begin, size_t end) {
  return ml::MatrixView{m.data.data() + begin * m.cols, end - begin, m.cols};
}

std::vector<std::string> Names() { return {"a", "b", "c"}; }

AnomalyOptions TestOptions() {
  AnomalyOptions o;
  o.window = 16;
  o.hidden = 24;
  o.bottleneck = 6;
  o.learning_rate = 3e-3;
  o.max_epochs = 80;
  o.patience = 8;
  o.seed = 7;
  return o;
}

std::vector<double> ScoreAll(const AnomalyDetector& d, ml::MatrixView x) {
  std::vector<double> e(x.rows);
  EXPECT_TRUE(d.Score(x, e).ok());
  return e;
}

bool BitEqual(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

std::string Slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void Spit(const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

uint64_t Fnv1a(const std::string& s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (char c : s) h = (h ^ static_cast<unsigned char>(c)) * 0x100000001B3ull;
  return h;
}

std::string Hex(uint64_t v) {
  char b[17];
  std::snprintf(b, sizeof b, "%016llx", static_cast<unsigned long long>(v));
  return b;
}

class AutoencoderTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    data_ = new ml::Matrix(Generate(5000, 1, kBurstBegin, kBurstLen));
    auto d = AnomalyDetector::Fit(Rows(*data_, 0, kTrainRows), Names(), TestOptions());
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    detector_ = d.value().release();
    scores_ = new std::vector<double>(ScoreAll(*detector_, data_->view()));
  }
  static void TearDownTestSuite() {
    delete detector_;
    delete data_;
    delete scores_;
  }
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("arus_ae_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static ml::Matrix* data_;
  static AnomalyDetector* detector_;
  static std::vector<double>* scores_;
  fs::path dir_;
};
ml::Matrix* AutoencoderTest::data_ = nullptr;
AnomalyDetector* AutoencoderTest::detector_ = nullptr;
std::vector<double>* AutoencoderTest::scores_ = nullptr;

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[(v.size() - 1) / 2];
}

TEST_F(AutoencoderTest, PlantedBurstIsFlaggedFarAboveNormalWindows) {
  const auto& e = *scores_;
  const size_t L = detector_->window();
  // Planted rows: those whose window overlaps the burst.
  auto planted = [&](size_t r) { return r >= kBurstBegin && r < kBurstBegin + kBurstLen + L - 1; };
  size_t tp = 0, fp = 0, fn = 0;
  std::vector<double> normal, burst;
  for (size_t r = kTrainRows; r < e.size(); ++r) {
    const bool flag = detector_->Flag(e[r]) == 1.0;
    if (planted(r)) {
      (flag ? tp : fn)++;
      if (r >= kBurstBegin + L - 1 && r < kBurstBegin + kBurstLen) burst.push_back(e[r]);
    } else {
      fp += flag;
      normal.push_back(e[r]);
    }
  }
  const double precision = double(tp) / double(tp + fp);
  const double recall = double(tp) / double(tp + fn);
  EXPECT_GE(recall, 0.9) << "tp " << tp << " fn " << fn;
  EXPECT_GE(precision, 0.8) << "tp " << tp << " fp " << fp;
  // Windows wholly inside the burst: every one flagged, errors an order of magnitude above.
  for (double v : burst) EXPECT_GT(v, detector_->threshold());
  EXPECT_GT(Median(burst), 10 * Median(normal));
  EXPECT_GT(Median(burst), 3 * detector_->threshold());
}

TEST_F(AutoencoderTest, NormalDataHasAboutTheExpectedFalsePositiveRate) {
  // Fresh normal data from the same process: about 1 - quantile = 1% flagged.
  const ml::Matrix fresh = Generate(8000, 99);
  const std::vector<double> e = ScoreAll(*detector_, fresh.view());
  size_t flagged = 0, scored = 0;
  for (double v : e) {
    if (std::isnan(v)) continue;
    ++scored;
    flagged += detector_->Flag(v) == 1.0;
  }
  EXPECT_EQ(scored, fresh.rows - detector_->window() + 1);
  const double rate = double(flagged) / double(scored);
  EXPECT_GT(rate, 0.001);
  EXPECT_LT(rate, 0.03);
}

TEST_F(AutoencoderTest, ThresholdIsTheQuantileOfTheTrainingErrors) {
  const AnomalyFitInfo& info = detector_->info();
  std::vector<double> train;
  for (size_t r = 0; r < kTrainRows; ++r) {
    if (r + 1 < detector_->window()) {
      EXPECT_TRUE(std::isnan((*scores_)[r])) << r;
      continue;
    }
    train.push_back((*scores_)[r]);
  }
  ASSERT_EQ(train.size(), info.threshold_windows);
  // Nearest rank: the threshold is one of the errors, at least 99% are <= it, fewer are < it.
  const double t = detector_->threshold();
  const double n = double(train.size());
  EXPECT_NE(std::find(train.begin(), train.end(), t), train.end());
  const auto le = std::count_if(train.begin(), train.end(), [&](double v) { return v <= t; });
  const auto lt = std::count_if(train.begin(), train.end(), [&](double v) { return v < t; });
  EXPECT_GE(double(le), 0.99 * n);
  EXPECT_LT(double(lt), 0.99 * n);
  EXPECT_EQ(info.error_max, *std::max_element(train.begin(), train.end()));
  // Window bookkeeping: every training row ends exactly one kind of window.
  EXPECT_EQ(info.windows_incomplete, detector_->window() - 1);
  EXPECT_EQ(info.windows_purged, detector_->window() - 1);
  EXPECT_EQ(info.windows_incomplete + info.windows_excluded + info.windows_fit +
                info.windows_purged + info.windows_validation,
            kTrainRows);
  EXPECT_NEAR(double(info.windows_validation), 0.2 * double(train.size()), 1.0);
}

TEST_F(AutoencoderTest, TorchAndTheScoringPassAgree) {
  const AnomalyFitInfo& info = detector_->info();
  EXPECT_NEAR(info.validation_loss, info.validation_loss_torch, 1e-12);
  // The validation slice is the last windows of the training rows: their mean error again.
  double sum = 0;
  for (size_t r = kTrainRows - info.windows_validation; r < kTrainRows; ++r) sum += (*scores_)[r];
  EXPECT_DOUBLE_EQ(sum / double(info.windows_validation), info.validation_loss);
  EXPECT_GE(info.best_epoch, 1);
  EXPECT_LE(info.best_epoch, info.epochs);
  EXPECT_LE(info.epochs, TestOptions().max_epochs);
  EXPECT_GT(info.fit_loss, 0);
  // Standardisation fitted on the training rows only.
  for (size_t c = 0; c < kCols; ++c) {
    double m = 0;
    for (size_t r = 0; r < kTrainRows; ++r) m += data_->at(r, c);
    EXPECT_NEAR(info.mean[c], m / kTrainRows, 1e-12);
  }
}

TEST_F(AutoencoderTest, StreamingEqualsBatchBitForBit) {
  ml::Matrix x = *data_;
  x.at(2500, 1) = NAN;  // a hole: the L windows holding it have no error
  const std::vector<double> batch = ScoreAll(*detector_, x.view());
  AnomalyStream s(*detector_);
  EXPECT_EQ(s.WarmupPeriod(), detector_->window());
  std::vector<double> stream;
  for (size_t r = 0; r < x.rows; ++r) {
    stream.push_back(s.Update({x.row(r), x.cols}));
    EXPECT_EQ(s.IsReady(), r + 1 >= detector_->window());
  }
  EXPECT_TRUE(BitEqual(batch, stream));
  for (size_t r = 2500; r < 2500 + detector_->window(); ++r) EXPECT_TRUE(std::isnan(batch[r]));
  EXPECT_FALSE(std::isnan(batch[2499]));
  EXPECT_FALSE(std::isnan(batch[2500 + detector_->window()]));
  EXPECT_TRUE(std::isnan(detector_->Flag(batch[2500])));
  // After Reset the stream starts over: same numbers as scoring the suffix.
  s.Reset();
  std::vector<double> again;
  for (size_t r = 3000; r < x.rows; ++r) again.push_back(s.Update({x.row(r), x.cols}));
  EXPECT_TRUE(BitEqual(again, ScoreAll(*detector_, Rows(x, 3000, x.rows))));
}

TEST_F(AutoencoderTest, ScoresArePointInTime) {
  const std::vector<double>& base = *scores_;
  for (size_t cut : {100u, 2999u, 4010u}) {
    ml::Matrix x = *data_;
    for (size_t r = cut + 1; r < x.rows; ++r) {
      x.at(r, 0) *= 50;
      x.at(r, 1) = (r % 3 == 0) ? NAN : 1e12;
    }
    const std::vector<double> e = ScoreAll(*detector_, x.view());
    EXPECT_EQ(std::memcmp(e.data(), base.data(), (cut + 1) * sizeof(double)), 0) << cut;
    EXPECT_NE(std::memcmp(e.data(), base.data(), e.size() * sizeof(double)), 0) << cut;
  }
  // The error at a row depends on its last L rows only, not on where the history starts.
  const size_t L = detector_->window();
  for (size_t r : {L + 5, size_t{2000}, size_t{4030}}) {
    const std::vector<double> e = ScoreAll(*detector_, Rows(*data_, r + 1 - L, r + 1));
    EXPECT_EQ(std::memcmp(&e.back(), &base[r], sizeof(double)), 0) << r;
  }
}

TEST_F(AutoencoderTest, SaveAndLoadGiveIdenticalScores) {
  ASSERT_TRUE(detector_->Save(dir_.string()).ok());
  auto loaded = AnomalyDetector::Load(dir_.string());
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const AnomalyDetector& d = *loaded.value();
  EXPECT_TRUE(BitEqual(ScoreAll(d, data_->view()), *scores_));
  EXPECT_EQ(d.threshold(), detector_->threshold());
  EXPECT_EQ(d.info().feature_names, Names());
  EXPECT_EQ(d.info().options.seed, 7u);
  EXPECT_EQ(d.info().windows_fit, detector_->info().windows_fit);
  EXPECT_EQ(d.info().validation_loss, detector_->info().validation_loss);
  EXPECT_EQ(d.info().sd, detector_->info().sd);
  // A second save of the loaded model writes the same bytes.
  const fs::path again = dir_ / "again";
  ASSERT_TRUE(d.Save(again.string()).ok());
  EXPECT_EQ(Slurp(again / "model.json"), Slurp(dir_ / "model.json"));
  EXPECT_EQ(Slurp(again / "autoencoder.pt"), Slurp(dir_ / "autoencoder.pt"));
}

TEST_F(AutoencoderTest, RegistryRoundTripChecksTheFeatureSet) {
  ml::ModelRegistry reg((dir_ / "models").string());
  ml::ModelManifest m;
  m.name = "ae-test";
  m.feature_set_name = "fs";
  m.feature_set_hash = "00112233aabbccdd";
  m.created_at = UnixNanos::FromSeconds(1700000000);
  auto id = SaveAnomalyDetector(*detector_, reg, m);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(fs::exists(dir_ / "models" / id.value() / "manifest.json"));
  EXPECT_TRUE(fs::exists(dir_ / "models" / id.value() / "autoencoder.pt"));
  ml::ModelManifest got;
  auto d = LoadAnomalyDetector(reg, id.value(), "00112233aabbccdd", &got);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_TRUE(BitEqual(ScoreAll(*d.value(), data_->view()), *scores_));
  EXPECT_EQ(got.learner, "autoencoder");
  EXPECT_EQ(got.feature_names, Names());
  EXPECT_EQ(std::get<int64_t>(got.params.at("window")), 16);
  auto back = AnomalyOptionsFromParams(got.params, "manifest");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back.value().bottleneck, 6);
  // Another feature set is refused, naming both hashes.
  auto wrong = LoadAnomalyDetector(reg, id.value(), "ffffffffffffffff");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(wrong.status().message().find("00112233aabbccdd"), std::string::npos);
  EXPECT_NE(wrong.status().message().find("ffffffffffffffff"), std::string::npos);
  auto missing = LoadAnomalyDetector(reg, "nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  // A manifest that is not an autoencoder's.
  const fs::path mpath = dir_ / "models" / id.value() / "manifest.json";
  std::string text = Slurp(mpath);
  text.replace(text.find("\"autoencoder\""), 13, "\"xgboost\"");
  Spit(mpath, text);
  auto other = LoadAnomalyDetector(reg, id.value());
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.status().message().find("not an anomaly detector"), std::string::npos);
}

TEST_F(AutoencoderTest, SameSeedSameModelOtherSeedOtherModel) {
  AnomalyOptions o = TestOptions();
  o.max_epochs = 6;
  const ml::Matrix x = Generate(1200, 5);
  auto a = AnomalyDetector::Fit(x.view(), Names(), o);
  auto b = AnomalyDetector::Fit(x.view(), Names(), o);
  o.seed = 8;
  auto c = AnomalyDetector::Fit(x.view(), Names(), o);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(BitEqual(ScoreAll(*a.value(), x.view()), ScoreAll(*b.value(), x.view())));
  EXPECT_EQ(a.value()->threshold(), b.value()->threshold());
  EXPECT_FALSE(BitEqual(ScoreAll(*a.value(), x.view()), ScoreAll(*c.value(), x.view())));
}

TEST_F(AutoencoderTest, ExclusionMaskKeepsFlaggedRowsOutOfTraining) {
  // A burst inside the training rows (3% of them) lifts a 99% threshold into burst territory;
  // masking its rows keeps their windows out of training and out of the threshold.
  AnomalyOptions o = TestOptions();
  o.max_epochs = 15;
  const ml::Matrix x = Generate(2000, 3, 1000, 60);
  std::vector<uint8_t> mask(x.rows, 0);
  for (size_t r = 1000; r < 1060; ++r) mask[r] = 1;
  auto plain = AnomalyDetector::Fit(x.view(), Names(), o);
  auto masked = AnomalyDetector::Fit(x.view(), Names(), o, mask);
  ASSERT_TRUE(plain.ok() && masked.ok());
  const AnomalyFitInfo& mi = masked.value()->info();
  EXPECT_EQ(mi.excluded_rows, 60u);
  EXPECT_EQ(mi.windows_excluded, 60u + 16 - 1);
  EXPECT_EQ(mi.threshold_windows, 2000u - 15 - 75);
  EXPECT_GT(plain.value()->threshold(), 2 * masked.value()->threshold());
  EXPECT_LT(masked.value()->threshold(), 2 * detector_->threshold());
  // Standardisation ignores the masked rows too.
  double m = 0;
  size_t n = 0;
  for (size_t r = 0; r < x.rows; ++r) {
    if (!mask[r]) m += x.at(r, 0), ++n;
  }
  EXPECT_NEAR(mi.mean[0], m / double(n), 1e-12);
}

TEST_F(AutoencoderTest, NaNsInTrainingRowsSkipTheirWindows) {
  AnomalyOptions o = TestOptions();
  o.max_epochs = 3;
  ml::Matrix x = Generate(1500, 4);
  x.at(700, 2) = NAN;
  x.at(701, 0) = INFINITY;
  auto d = AnomalyDetector::Fit(x.view(), Names(), o);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d.value()->info().windows_incomplete, 15u + 17u);
  const std::vector<double> e = ScoreAll(*d.value(), x.view());
  EXPECT_TRUE(std::isnan(e[700]) && std::isnan(e[716]));
  EXPECT_FALSE(std::isnan(e[699]) || std::isnan(e[717]));
}

TEST_F(AutoencoderTest, BadInputIsRefusedWithAMessage) {
  const ml::Matrix x = Generate(200, 6);
  const AnomalyOptions o = TestOptions();
  auto expect_error = [](const Result<std::unique_ptr<AnomalyDetector>>& r,
                         const std::string& what) {
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
    EXPECT_NE(r.status().message().find(what), std::string::npos) << r.status().ToString();
  };
  expect_error(AnomalyDetector::Fit(ml::MatrixView{x.data.data(), 0, 3}, Names(), o),
               "no training rows");
  expect_error(AnomalyDetector::Fit(ml::MatrixView{x.data.data(), 10, 0}, {}, o),
               "no feature columns");
  expect_error(AnomalyDetector::Fit(x.view(), {"a", "b"}, o), "2 feature names for 3 columns");
  expect_error(AnomalyDetector::Fit(Rows(x, 0, 10), Names(), o),
               "window 16 is longer than the 10 training rows");
  expect_error(AnomalyDetector::Fit(Rows(x, 0, 18), Names(), o), "too few normal windows");
  std::vector<uint8_t> short_mask(5, 0);
  expect_error(AnomalyDetector::Fit(x.view(), Names(), o, short_mask), "exclusion mask");
  AnomalyOptions bad = o;
  bad.quantile = 1.0;
  expect_error(AnomalyDetector::Fit(x.view(), Names(), bad), "quantile");
  bad = o;
  bad.window = 1;
  bad.bottleneck = 3;
  expect_error(AnomalyDetector::Fit(x.view(), Names(), bad), "must be smaller than window");
  bad = o;
  bad.learning_rate = NAN;
  expect_error(AnomalyDetector::Fit(x.view(), Names(), bad), "learning_rate");
  ml::Matrix holes = x;
  for (size_t r = 0; r < holes.rows; ++r) holes.at(r, 1) = NAN;
  expect_error(AnomalyDetector::Fit(holes.view(), Names(), o), "column 'b' has no finite value");
  // Scoring with the wrong shape.
  std::vector<double> out(x.rows);
  Status s = detector_->Score(ml::MatrixView{x.data.data(), 100, 2}, out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("2 columns given, the model needs 3"), std::string::npos);
  s = detector_->Score(x.view(), std::span<double>(out.data(), 10));
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  // Fewer rows than a window: every error is NaN, not an error.
  std::vector<double> few(5);
  ASSERT_TRUE(detector_->Score(Rows(x, 0, 5), few).ok());
  for (double v : few) EXPECT_TRUE(std::isnan(v));
  // Parameters from a manifest.
  ml::ParamMap p = AnomalyParams(o);
  p["window"] = 2.5;
  EXPECT_NE(AnomalyOptionsFromParams(p, "m.json").status().message().find("'window'"),
            std::string::npos);
  p = AnomalyParams(o);
  p["extra"] = int64_t{1};
  EXPECT_NE(AnomalyOptionsFromParams(p, "m.json").status().message().find("unknown parameter"),
            std::string::npos);
}

TEST_F(AutoencoderTest, DamagedFilesAreErrorsNamingTheFile) {
  ASSERT_TRUE(detector_->Save(dir_.string()).ok());
  const fs::path mj = dir_ / "model.json", pt = dir_ / "autoencoder.pt";
  const std::string good_json = Slurp(mj), good_pt = Slurp(pt);
  auto load_error = [&](const std::string& expect_in_message) {
    auto r = AnomalyDetector::Load(dir_.string());
    ASSERT_FALSE(r.ok()) << expect_in_message;
    EXPECT_NE(r.status().message().find(expect_in_message), std::string::npos)
        << r.status().ToString();
    Spit(mj, good_json);
    Spit(pt, good_pt);
  };
  auto with_json = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = nlohmann::json::parse(good_json);
    edit(j);
    Spit(mj, j.dump());
  };

  Spit(mj, good_json.substr(0, good_json.size() / 2));
  load_error("model.json");
  Spit(mj, std::string(100000, '['));
  load_error("nested too deeply");
  with_json([](nlohmann::json& j) { j["version"] = 9; });
  load_error("unsupported version 9");
  with_json([](nlohmann::json& j) { j["threshold"] = "high"; });
  load_error("threshold");
  with_json([](nlohmann::json& j) { j["threshold"] = -1; });
  load_error("threshold");
  with_json([](nlohmann::json& j) { j["standardize"]["sd"][0] = 0; });
  load_error("standardize");
  with_json([](nlohmann::json& j) { j["params"]["bottleneck"] = 1000; });
  load_error("bottleneck");
  with_json([](nlohmann::json& j) { j["weights"]["file"] = "../../etc/passwd"; });
  load_error("weights");
  with_json([](nlohmann::json& j) { j.erase("training"); });
  load_error("training");

  // The weights: damaged bytes are caught by the checksum...
  std::string damaged = good_pt;
  damaged[damaged.size() / 2] ^= 0x5a;
  Spit(pt, damaged);
  load_error("autoencoder.pt: checksum mismatch");
  // ... garbage with a matching checksum by torch, caught and reported ...
  const std::string garbage = "PK\x03\x04 this is not a torch archive";
  Spit(pt, garbage);
  with_json([&](nlohmann::json& j) { j["weights"]["fnv1a64"] = Hex(Fnv1a(garbage)); });
  load_error("autoencoder.pt: not a readable weights archive");
  // ... and a real archive of another shape by the shape check.
  AnomalyOptions o = TestOptions();
  o.hidden = 8;
  o.bottleneck = 2;
  o.max_epochs = 1;
  auto small = AnomalyDetector::Fit(Rows(*data_, 0, 400), Names(), o);
  ASSERT_TRUE(small.ok());
  ASSERT_TRUE(small.value()->Save((dir_ / "small").string()).ok());
  const std::string other = Slurp(dir_ / "small" / "autoencoder.pt");
  Spit(pt, other);
  with_json([&](nlohmann::json& j) { j["weights"]["fnv1a64"] = Hex(Fnv1a(other)); });
  load_error("has shape [8,48], expected [24,48]");

  fs::remove(pt);
  load_error("autoencoder.pt");
  auto none = AnomalyDetector::Load((dir_ / "missing").string());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  // The intact files still load.
  EXPECT_TRUE(AnomalyDetector::Load(dir_.string()).ok());
}

}  // namespace
}  // namespace arus::dl
