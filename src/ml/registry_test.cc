// The model registry: save / list / show / load round trips, the feature-set check, damaged
// entries, atomic ids.
#include "ml/registry.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace arus::ml {
namespace {

namespace fs = std::filesystem;

class RegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("arus_registry_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    // y = sign(x0) with a little noise.
    x_ = Matrix(400, 2);
    for (size_t i = 0; i < 400; ++i) {
      x_.at(i, 0) = std::sin(0.37 * i);
      x_.at(i, 1) = std::cos(1.3 * i);
      y_.push_back(x_.at(i, 0) + 0.2 * x_.at(i, 1) > 0 ? 1.0 : -1.0);
    }
    FitOptions o;
    o.feature_names = {"f_a", "f_b"};
    auto m = FitModel("logistic", TrainSet{x_.view(), y_, {}, {}}, o);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(m).value();
  }
  void TearDown() override { fs::remove_all(root_); }

  ModelManifest Manifest() const {
    ModelManifest m;
    m.name = "exp one";
    m.label = "direction_1_0_pips";
    m.symbol = "EURUSD";
    m.base_timeframe = "M5";
    m.feature_set_name = "set";
    m.feature_set_hash = "0123456789abcdef";
    m.dataset = "data.ds";
    m.data_from = UnixNanos::FromSeconds(1'704'000'000);
    m.data_to = UnixNanos::FromSeconds(1'705'000'000);
    m.train_rows = 400;
    m.seed = 9;
    m.created_at = UnixNanos::FromSeconds(1'790'000'000);
    m.validation_json = R"({"folds":[{"fold":1,"metrics":{"accuracy":0.61}}]})";
    return m;
  }

  fs::path root_;
  Matrix x_;
  std::vector<double> y_;
  std::unique_ptr<Model> model_;
};

TEST_F(RegistryTest, SaveListShowLoadRoundTrip) {
  ModelRegistry reg(root_.string());
  auto id = reg.Save(*model_, Manifest());
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(id.value().starts_with("exp-one-20260921T141320-"));
  EXPECT_TRUE(fs::exists(root_ / id.value() / "manifest.json"));
  EXPECT_TRUE(fs::exists(root_ / id.value() / "model.json"));

  auto list = reg.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list.value().size(), 1u);
  const ModelManifest& m = list.value()[0];
  EXPECT_EQ(m.id, id.value());
  EXPECT_EQ(m.learner, "logistic");
  EXPECT_EQ(m.feature_names, (std::vector<std::string>{"f_a", "f_b"}));
  EXPECT_EQ(m.classes, (std::vector<double>{-1, 1}));
  EXPECT_EQ(m.feature_set_hash, "0123456789abcdef");
  EXPECT_EQ(m.data_from, UnixNanos::FromSeconds(1'704'000'000));
  EXPECT_EQ(m.seed, 9u);
  EXPECT_FALSE(m.code_revision.empty());
  EXPECT_FALSE(m.params.empty());  // resolved learner parameters
  EXPECT_NE(m.validation_json.find("0.61"), std::string::npos);

  auto loaded = reg.Load(id.value(), "0123456789abcdef");
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  std::vector<double> a(400 * 2), b(400 * 2);
  ASSERT_TRUE(model_->Predict(x_.view(), a).ok());
  ASSERT_TRUE(loaded.value()->Predict(x_.view(), b).ok());
  EXPECT_EQ(a, b);
  // The same manifest again gets the same id: refused, the first stays intact.
  auto again = reg.Save(*model_, Manifest());
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
}

TEST_F(RegistryTest, ModelRefusesDataOfAnotherFeatureSet) {
  ModelRegistry reg(root_.string());
  auto id = reg.Save(*model_, Manifest());
  ASSERT_TRUE(id.ok());
  auto loaded = reg.Load(id.value(), "fedcba9876543210");
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(loaded.status().message().find("0123456789abcdef"), std::string::npos);
  EXPECT_NE(loaded.status().message().find("fedcba9876543210"), std::string::npos);
}

TEST_F(RegistryTest, DamagedEntriesAreReportedNotFatal) {
  ModelRegistry reg(root_.string());
  auto id = reg.Save(*model_, Manifest());
  ASSERT_TRUE(id.ok());
  fs::create_directories(root_ / "broken");
  std::ofstream(root_ / "broken" / "manifest.json") << "{\"format\": \"arus-model-manifest\"";
  fs::create_directories(root_ / "wrongtype");
  std::string text = ManifestToJson(Manifest());
  text.replace(text.find("\"seed\": 9"), 9, "\"seed\": \"nine\"");
  std::ofstream(root_ / "wrongtype" / "manifest.json") << text;
  std::vector<std::string> skipped;
  auto list = reg.List(&skipped);
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list.value().size(), 1u);
  ASSERT_EQ(skipped.size(), 2u);
  auto bad = reg.Manifest("wrongtype");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("seed"), std::string::npos);
  EXPECT_EQ(reg.Manifest("nope").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(reg.Manifest("../etc").status().code(), StatusCode::kInvalidArgument);
  // A truncated model file fails the load with an error naming it.
  std::ofstream(root_ / id.value() / "model.json") << "{";
  EXPECT_FALSE(reg.Load(id.value()).ok());
}

TEST_F(RegistryTest, LongNamesGiveUsableIds) {
  ModelRegistry reg(root_.string());
  ModelManifest m = Manifest();
  m.name = "a-rather-long-experiment-name-for-eurusd-m5-direction-random_forest";
  auto id = reg.Save(*model_, m);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(reg.Manifest(id.value()).ok());
  EXPECT_TRUE(reg.Load(id.value()).ok());
  auto list = reg.List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list.value().size(), 1u);
}

TEST_F(RegistryTest, CreationTimeComesFromTheCaller) {
  ModelRegistry reg(root_.string());
  ModelManifest m = Manifest();
  m.created_at = UnixNanos::Min();
  EXPECT_EQ(reg.Save(*model_, m).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace arus::ml
