// The pipeline (model.cc): parameters, purged hold-out, FitModel validation, calibration wiring,
// model.json save / load and its hostile-input handling. Learner quality is tested in
// linear_model_test.cc and svm_model_test.cc.
#include "ml/model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "ml/learners.h"
#include "ml/pipeline_test_util.h"

namespace arus::ml {
namespace {

using test_util::CheckRowPathAndRoundTrip;
using test_util::ExpectBitIdentical;
using test_util::Names;
using test_util::PredictAll;
using test_util::Rng;
using test_util::TempDir;

constexpr int64_t kMinute = 60'000'000'000;

struct Data {
  Matrix x;
  std::vector<double> y;
  std::vector<UnixNanos> time, label_end;
  TrainSet train() const { return TrainSet{x.view(), y, time, label_end}; }
};

// Two informative features and one noise feature; classes -1 / +1 from a logistic model, or
// -1 / 0 / +1 by thresholds. Rows one minute apart; each label spans `horizon` rows.
Data MakeData(size_t n, uint64_t seed, int classes = 2, int horizon = 5) {
  Rng rng(seed);
  Data d;
  d.x = Matrix(n, 3);
  for (size_t r = 0; r < n; ++r) {
    for (size_t c = 0; c < 3; ++c) d.x.at(r, c) = rng.Normal();
    const double z = 1.5 * d.x.at(r, 0) - d.x.at(r, 1);
    if (classes == 2) {
      d.y.push_back(rng.Bernoulli(1 / (1 + std::exp(-z))) ? 1 : -1);
    } else {
      const double v = z + rng.Normal() * 0.5;
      d.y.push_back(v < -0.7 ? -1 : v > 0.7 ? 1 : 0);
    }
    d.time.push_back(UnixNanos(static_cast<int64_t>(r) * kMinute));
    d.label_end.push_back(UnixNanos(static_cast<int64_t>(r + horizon) * kMinute));
  }
  return d;
}

FitOptions Options(ParamMap params = {}, Task task = Task::kClassification) {
  FitOptions o;
  o.task = task;
  o.params = std::move(params);
  o.feature_names = Names(3);
  o.seed = 7;
  return o;
}

// ---- Parameters and catalogue ------------------------------------------------------------------

TEST(ModelParamsTest, CatalogueOrderAndCommonParameters) {
  const std::vector<LearnerSummary> all = ListLearners();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].name, "xgboost");
  EXPECT_EQ(all[1].name, "random_forest");
  EXPECT_EQ(all[2].name, "logistic");
  EXPECT_EQ(all[3].name, "svm");
  for (const LearnerSummary& s : all) {
    for (const char* common :
         {"impute", "clip", "standardize", "calibration", "calibration_fraction"}) {
      EXPECT_TRUE(std::any_of(s.params.begin(), s.params.end(),
                              [&](const ParamSpec& p) { return p.name == common; }))
          << s.name << " lacks " << common;
    }
  }
  EXPECT_EQ(FindLearnerDef("svm")->name, "svm");
  EXPECT_EQ(FindLearnerDef("nope"), nullptr);
}

TEST(ModelParamsTest, ResolveFillsDefaultsAndConvertsIntToDouble) {
  auto p = ResolveParams("logistic", {{"C", int64_t{3}}, {"impute", false}});
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ(GetDouble(*p, "C"), 3.0);
  EXPECT_TRUE(std::holds_alternative<double>(p->at("C")));
  EXPECT_FALSE(GetBool(*p, "impute"));
  EXPECT_EQ(GetString(*p, "penalty"), "l2");
  EXPECT_EQ(GetDouble(*p, "clip"), 5.0);  // logistic's default
  EXPECT_EQ(GetString(*p, "calibration"), "none");
  EXPECT_EQ(GetDouble(*p, "calibration_fraction"), 0.2);
  EXPECT_EQ(GetInt(*ResolveParams("svm", {}), "max_train_rows"), 20000);
}

TEST(ModelParamsTest, ResolveRejectsWithUsefulMessages) {
  auto msg = [](std::string_view learner, ParamMap given) {
    auto r = ResolveParams(learner, given);
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.ok() ? std::string() : r.status().message();
  };
  std::string m = msg("logistic", {{"depth", int64_t{3}}});
  EXPECT_NE(m.find("unknown parameter 'depth'"), std::string::npos) << m;
  EXPECT_NE(m.find("accepted: penalty, C, tol, class_weight, impute"), std::string::npos) << m;
  m = msg("logistic", {{"C", -1.0}});
  EXPECT_NE(m.find("'logistic'"), std::string::npos) << m;
  EXPECT_NE(m.find("'C' = -1"), std::string::npos) << m;
  EXPECT_NE(m.find("accepted [1e-06, 1e+06]"), std::string::npos) << m;
  m = msg("logistic", {{"C", std::nan("")}});
  EXPECT_NE(m.find("'C' = nan"), std::string::npos) << m;
  m = msg("logistic", {{"C", std::string("big")}});
  EXPECT_NE(m.find("must be a number, got 'big'"), std::string::npos) << m;
  m = msg("logistic", {{"penalty", std::string("l3")}});
  EXPECT_NE(m.find("'l3'"), std::string::npos) << m;
  EXPECT_NE(m.find("one of: l2, l1"), std::string::npos) << m;
  m = msg("logistic", {{"impute", int64_t{1}}});  // bool is strict
  EXPECT_NE(m.find("must be true or false"), std::string::npos) << m;
  m = msg("svm", {{"max_train_rows", 100.0}});  // int is strict
  EXPECT_NE(m.find("must be an integer, got the number 100"), std::string::npos) << m;
  m = msg("svm", {{"calibration_fraction", 0.9}});
  EXPECT_NE(m.find("[0.05, 0.5]"), std::string::npos) << m;
  m = msg("svm", {{"calibration", std::string("platt")}});
  EXPECT_NE(m.find("one of: none, temperature, isotonic"), std::string::npos) << m;
  m = msg("deep_net", {});
  EXPECT_NE(m.find("unknown learner 'deep_net' (known: xgboost, random_forest, logistic, svm)"),
            std::string::npos)
      << m;
}

TEST(ModelParamsTest, ParamValueText) {
  EXPECT_EQ(ParamValueText(true), "true");
  EXPECT_EQ(ParamValueText(int64_t{12}), "12");
  EXPECT_EQ(ParamValueText(0.05), "0.05");
  EXPECT_EQ(ParamValueText(std::string("hist")), "hist");
  EXPECT_EQ(TaskName(Task::kRegression), "regression");
  EXPECT_EQ(*ParseTask("classification"), Task::kClassification);
  EXPECT_FALSE(ParseTask("ranking").ok());
}

TEST(JsonUtilTest, DoublesRoundTripExactlyIncludingNaNAndInfinities) {
  const std::vector<double> v = {0.1 + 0.2,
                                 1.0 / 3,
                                 -0.0,
                                 5e-324,
                                 1.7976931348623157e308,
                                 -2.5e-17,
                                 std::nan(""),
                                 std::numeric_limits<double>::infinity(),
                                 -std::numeric_limits<double>::infinity(),
                                 42};
  const std::string text = JsonFromDoubles(v).dump();
  EXPECT_NE(text.find("null"), std::string::npos);  // NaN is stored as null
  std::vector<double> back;
  ASSERT_TRUE(DoublesFromJson(nlohmann::json::parse(text), v.size(), &back));
  ExpectBitIdentical(std::vector<double>(v.begin(), v.begin() + 6),
                     std::vector<double>(back.begin(), back.begin() + 6));
  EXPECT_TRUE(std::isnan(back[6]));
  EXPECT_EQ(back[7], std::numeric_limits<double>::infinity());
  EXPECT_EQ(back[8], -std::numeric_limits<double>::infinity());
  EXPECT_EQ(back[9], 42);
  EXPECT_FALSE(DoublesFromJson(nlohmann::json::parse(text), v.size() + 1, &back));
  EXPECT_FALSE(DoublesFromJson(nlohmann::json::parse(R"([1, "x"])"), SIZE_MAX, &back));
  EXPECT_FALSE(DoublesFromJson(nlohmann::json::parse(R"({"a": 1})"), SIZE_MAX, &back));
}

// ---- Purged hold-out ---------------------------------------------------------------------------

TEST(PurgedHoldoutTest, PurgesRowsWhoseLabelReachesTheHeldOutPart) {
  // 10 rows at t = 0, 10, ..., 90; labels end 25 later. Held out: the last 3 (t = 70, 80, 90).
  // Rows at t = 50 and 60 have labels ending at 75 and 85 >= 70: purged. t = 40 ends at 65: kept.
  std::vector<UnixNanos> time, end;
  for (int i = 0; i < 10; ++i) {
    time.push_back(UnixNanos(i * 10));
    end.push_back(UnixNanos(i * 10 + 25));
  }
  auto s = PurgedHoldout(10, time, end, 0.3);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->fit, (std::vector<size_t>{0, 1, 2, 3, 4}));
  EXPECT_EQ(s->held_out, (std::vector<size_t>{7, 8, 9}));
  EXPECT_EQ(s->purged, 2u);
  // A label ending exactly at the first held-out decision is purged too (>=).
  end[4] = UnixNanos(70);
  EXPECT_EQ(PurgedHoldout(10, time, end, 0.3)->purged, 3u);
  // Without times nothing is purged.
  auto plain = PurgedHoldout(10, {}, {}, 0.3);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->fit.size(), 7u);
  EXPECT_EQ(plain->purged, 0u);
}

TEST(PurgedHoldoutTest, RejectsBadArguments) {
  EXPECT_FALSE(PurgedHoldout(10, {}, {}, 0).ok());
  EXPECT_FALSE(PurgedHoldout(10, {}, {}, 1).ok());
  EXPECT_FALSE(PurgedHoldout(10, {}, {}, std::nan("")).ok());
  EXPECT_FALSE(PurgedHoldout(1, {}, {}, 0.5).ok());    // a part would be empty
  EXPECT_FALSE(PurgedHoldout(10, {}, {}, 0.01).ok());  // rounds to no held-out row
  std::vector<UnixNanos> time(9);
  EXPECT_FALSE(PurgedHoldout(10, time, time, 0.3).ok());
  std::vector<UnixNanos> t(10), e(10, UnixNanos(1000));
  for (int i = 0; i < 10; ++i) t[i] = UnixNanos(i);
  auto all_purged = PurgedHoldout(10, t, e, 0.3);
  ASSERT_FALSE(all_purged.ok());
  EXPECT_NE(all_purged.status().message().find("purged"), std::string::npos);
}

// ---- FitModel ----------------------------------------------------------------------------------

TEST(FitModelTest, RejectsBadInputWithUsefulMessages) {
  const Data d = MakeData(200, 1);
  auto msg = [](std::string_view learner, const TrainSet& t, const FitOptions& o) {
    auto r = FitModel(learner, t, o);
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.status().message();
  };
  std::string m = msg("deep_net", d.train(), Options());
  EXPECT_NE(m.find("known: xgboost, random_forest, logistic, svm"), std::string::npos) << m;
  m = msg("logistic", d.train(), Options({{"C", 0.0}}));
  EXPECT_NE(m.find("'C' = 0"), std::string::npos) << m;
  m = msg("logistic", d.train(), Options({{"alpha", 1.0}}));
  EXPECT_NE(m.find("accepted: penalty, C"), std::string::npos) << m;

  std::vector<double> one(200, 1.0);
  m = msg("logistic", TrainSet{d.x.view(), one, {}, {}}, Options());
  EXPECT_NE(m.find("training window has only one class"), std::string::npos) << m;
  std::vector<double> y = d.y;
  y[17] = std::nan("");
  m = msg("logistic", TrainSet{d.x.view(), y, {}, {}}, Options());
  EXPECT_NE(m.find("row 17 is not a finite integer"), std::string::npos) << m;
  y[17] = 0.5;
  m = msg("svm", TrainSet{d.x.view(), y, {}, {}}, Options());
  EXPECT_NE(m.find("class value 0.5"), std::string::npos) << m;
  y[17] = std::nan("");
  m = msg("logistic", TrainSet{d.x.view(), y, {}, {}}, Options({}, Task::kRegression));
  EXPECT_NE(m.find("target at row 17"), std::string::npos) << m;

  m = msg("logistic", TrainSet{d.x.view(), std::span(d.y).first(199), {}, {}}, Options());
  EXPECT_NE(m.find("labels"), std::string::npos) << m;
  FitOptions two_names = Options();
  two_names.feature_names.pop_back();
  m = msg("logistic", d.train(), two_names);
  EXPECT_NE(m.find("feature names"), std::string::npos) << m;
  FitOptions dup = Options();
  dup.feature_names[2] = "f0";
  m = msg("logistic", d.train(), dup);
  EXPECT_NE(m.find("duplicate feature name 'f0'"), std::string::npos) << m;
  m = msg("logistic", TrainSet{d.x.view(), d.y, std::span(d.time).first(10), {}}, Options());
  EXPECT_NE(m.find("time"), std::string::npos) << m;
  std::vector<UnixNanos> shuffled = d.time;
  std::swap(shuffled[3], shuffled[4]);
  m = msg("logistic", TrainSet{d.x.view(), d.y, shuffled, {}}, Options());
  EXPECT_NE(m.find("time order"), std::string::npos) << m;
  m = msg("logistic", TrainSet{MatrixView{d.x.data.data(), 0, 3}, {}, {}, {}}, Options());
  EXPECT_NE(m.find("empty"), std::string::npos) << m;
  // logistic refuses missing values when imputation is off.
  Data nan_data = MakeData(100, 2);
  nan_data.x.at(5, 1) = std::nan("");
  m = msg("logistic", nan_data.train(), Options({{"impute", false}}));
  EXPECT_NE(m.find("impute"), std::string::npos) << m;
}

TEST(FitModelTest, CalibratedPipelineRecordsItsWindowAndRoundTrips) {
  const Data d = MakeData(600, 3, 3, /*horizon=*/8);
  for (const char* method : {"isotonic", "temperature"}) {
    auto m =
        FitModel("logistic", d.train(),
                 Options({{"calibration", std::string(method)}, {"calibration_fraction", 0.25}}));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    const ModelInfo& info = (*m)->info();
    EXPECT_EQ(info.classes, (std::vector<double>{-1, 0, 1}));
    // The learner saw the fit part: 450 rows minus the 8 whose labels reach the held-out part.
    const auto split = PurgedHoldout(600, d.time, d.label_end, 0.25);
    EXPECT_EQ(split->purged, 8u);
    EXPECT_EQ(info.train_rows, 442u);
    EXPECT_EQ(info.train_from, d.time.front());
    EXPECT_EQ(info.train_to, d.time.back());
    EXPECT_EQ(info.seed, 7u);
    const std::vector<double> p = PredictAll(**m, d.x);
    for (size_t r = 0; r < d.x.rows; ++r) {
      EXPECT_NEAR(p[r * 3] + p[r * 3 + 1] + p[r * 3 + 2], 1, 1e-12);
      for (int c = 0; c < 3; ++c) {
        EXPECT_GE(p[r * 3 + c], 0);
        EXPECT_LE(p[r * 3 + c], 1);
      }
    }
    TempDir dir;
    CheckRowPathAndRoundTrip(**m, d.x, dir.str());
  }
}

TEST(FitModelTest, CalibrationNeedsEnoughHeldOutRows) {
  const Data d = MakeData(100, 4);  // 20 held-out rows < 30
  auto m = FitModel("logistic", d.train(), Options({{"calibration", std::string("isotonic")}}));
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("calibration = \"none\""), std::string::npos)
      << m.status().message();
  // One class in the held-out tail.
  Data e = MakeData(400, 5);
  for (size_t r = 300; r < 400; ++r) e.y[r] = 1;
  m = FitModel(
      "logistic", e.train(),
      Options({{"calibration", std::string("temperature")}, {"calibration_fraction", 0.25}}));
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("1 classes"), std::string::npos) << m.status().message();
}

TEST(FitModelTest, RowsAfterTheTrainingWindowDoNotMatter) {
  Data d = MakeData(500, 6);
  const TrainSet window{MatrixView{d.x.data.data(), 300, 3}, std::span(d.y).first(300),
                        std::span(d.time).first(300), std::span(d.label_end).first(300)};
  const FitOptions o = Options({{"calibration", std::string("isotonic")}});
  auto before = FitModel("logistic", window, o);
  ASSERT_TRUE(before.ok()) << before.status().ToString();
  const Data probe = MakeData(50, 99);
  const std::vector<double> p1 = PredictAll(**before, probe.x);
  for (size_t r = 300; r < 500; ++r) {
    for (size_t c = 0; c < 3; ++c) d.x.at(r, c) = 100 + 10 * d.x.at(r, c);
    d.y[r] = -d.y[r];
  }
  auto after = FitModel("logistic", window, o);
  ASSERT_TRUE(after.ok());
  ExpectBitIdentical(p1, PredictAll(**after, probe.x));
}

TEST(FitModelTest, PredictChecksShapes) {
  const Data d = MakeData(200, 8);
  auto m = FitModel("logistic", d.train(), Options());
  ASSERT_TRUE(m.ok());
  std::vector<double> out(2 * 200);
  EXPECT_TRUE((*m)->Predict(d.x.view(), out).ok());
  std::vector<double> short_out(2 * 199);
  EXPECT_FALSE((*m)->Predict(d.x.view(), short_out).ok());
  Matrix wide(5, 4);
  std::vector<double> o5(10);
  EXPECT_FALSE((*m)->Predict(wide.view(), o5).ok());
  double row[3] = {0, 0, 0}, o2[2], o3[3];
  EXPECT_TRUE((*m)->PredictRow(row, o2).ok());
  EXPECT_FALSE((*m)->PredictRow(row, o3).ok());
  EXPECT_FALSE((*m)->PredictRow(std::span<const double>(row, 2), o2).ok());
  std::vector<double> none;
  EXPECT_TRUE((*m)->Predict(MatrixView{nullptr, 0, 3}, none).ok());
}

TEST(FitModelTest, PredictChunksLargeBatchesLikeSingleRows) {
  // More rows than one preprocessing chunk (4096).
  const Data d = MakeData(600, 10);
  auto m = FitModel("logistic", d.train(), Options());
  ASSERT_TRUE(m.ok());
  const Data big = MakeData(9000, 11);
  const std::vector<double> batch = PredictAll(**m, big.x);
  for (size_t r : {size_t{0}, size_t{4095}, size_t{4096}, size_t{8191}, size_t{8999}}) {
    double o[2];
    ASSERT_TRUE((*m)->PredictRow(std::span<const double>(big.x.row(r), 3), o).ok());
    EXPECT_EQ(o[0], batch[2 * r]);
    EXPECT_EQ(o[1], batch[2 * r + 1]);
  }
}

TEST(FitModelTest, ImportanceIsNormalised) {
  const Data d = MakeData(800, 12);
  auto m = FitModel("logistic", d.train(), Options());
  ASSERT_TRUE(m.ok());
  const std::vector<double> imp = (*m)->FeatureImportance();
  ASSERT_EQ(imp.size(), 3u);
  EXPECT_NEAR(imp[0] + imp[1] + imp[2], 1, 1e-12);
  EXPECT_GT(imp[0], imp[1]);  // |1.5| > |-1|
  EXPECT_GT(imp[1], imp[2]);  // noise last
}

TEST(FitModelTest, ParamDoublesSurviveSaveAndLoadExactly) {
  const Data d = MakeData(200, 13);
  auto m = FitModel("logistic", d.train(), Options({{"C", 0.1 + 0.2}, {"clip", 1.0 / 3}}));
  ASSERT_TRUE(m.ok());
  TempDir dir;
  ASSERT_TRUE((*m)->Save(dir.str()).ok());
  auto l = LoadModel(dir.str());
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(GetDouble((*l)->info().params, "C"), 0.1 + 0.2);
  EXPECT_EQ(GetDouble((*l)->info().params, "clip"), 1.0 / 3);
}

// ---- LoadModel on damaged input
// ------------------------------------------------------------------

class LoadModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const Data d = MakeData(400, 14, 3);
    auto m = FitModel("logistic", d.train(), Options({{"calibration", std::string("isotonic")}}));
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    ASSERT_TRUE((*m)->Save(dir_.str()).ok());
    text_ = *ReadFile(path());
    json_ = nlohmann::json::parse(text_);
  }
  std::string path() const { return dir_.str() + "/model.json"; }
  void Write(const std::string& text) { ASSERT_TRUE(WriteFileAtomic(path(), text).ok()); }
  // Writes `j`, loads, and expects an error of `code` naming model.json and `field`.
  void ExpectError(const nlohmann::json& j, const std::string& field,
                   StatusCode code = StatusCode::kParseError) {
    Write(j.dump());
    ExpectLoadError(field, code);
  }
  void ExpectLoadError(const std::string& field, StatusCode code = StatusCode::kParseError) {
    auto r = LoadModel(dir_.str());
    ASSERT_FALSE(r.ok()) << "loaded despite damage in " << field;
    EXPECT_EQ(r.status().code(), code) << r.status().ToString();
    EXPECT_NE(r.status().message().find("model.json"), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().message();
  }

  TempDir dir_;
  std::string text_;
  nlohmann::json json_;
};

TEST_F(LoadModelTest, IntactLoads) { EXPECT_TRUE(LoadModel(dir_.str()).ok()); }

TEST_F(LoadModelTest, MissingDirectoryOrFile) {
  auto r = LoadModel(dir_.sub("nope"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  std::filesystem::remove(path());
  r = LoadModel(dir_.str());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST_F(LoadModelTest, TruncatedOrNotJson) {
  for (size_t cut : {size_t{0}, size_t{1}, text_.size() / 3, text_.size() / 2, text_.size() - 3}) {
    Write(text_.substr(0, cut));
    ExpectLoadError("model.json");
  }
  Write("[1, 2]");
  ExpectLoadError("not a JSON object");
  Write(std::string(100000, '[') + std::string(100000, ']'));
  ExpectLoadError("nested too deeply");
}

TEST_F(LoadModelTest, HeaderFields) {
  nlohmann::json j = json_;
  j["format"] = "arus-dataset";
  ExpectError(j, "field 'format'");
  j = json_;
  j["version"] = 2;
  ExpectError(j, "unsupported version 2");
  j["version"] = "1";
  ExpectError(j, "field 'version'");
  j = json_;
  j["learner"] = "deep_net";
  ExpectError(j, "unknown learner 'deep_net'");
  j["learner"] = 5;
  ExpectError(j, "field 'learner'");
  j = json_;
  j.erase("learner");
  ExpectError(j, "field 'learner'");
  j = json_;
  j["task"] = "clustering";
  ExpectError(j, "field 'task'");
}

TEST_F(LoadModelTest, WrongTypesAndValues) {
  nlohmann::json j = json_;
  j["params"]["C"] = "x";
  ExpectError(j, "field 'params'");
  j = json_;
  j["params"]["C"] = -3.0;
  ExpectError(j, "field 'params'");
  j = json_;
  j["params"]["mystery"] = 1;
  ExpectError(j, "unknown parameter 'mystery'");
  j = json_;
  j["params"]["C"] = nlohmann::json::array();
  ExpectError(j, "field 'params.C'");
  j = json_;
  j["params"] = 3;
  ExpectError(j, "field 'params'");
  j = json_;
  j["feature_names"][1] = 7;
  ExpectError(j, "field 'feature_names'");
  j = json_;
  j["feature_names"][1] = "f0";
  ExpectError(j, "duplicate name 'f0'");
  j = json_;
  j["seed"] = -1;
  ExpectError(j, "field 'seed'");
  j = json_;
  j["train_rows"] = 1.5;
  ExpectError(j, "field 'train_rows'");
  j = json_;
  j["train_from"] = "2024-01-01";
  ExpectError(j, "field 'train_from'");
  j = json_;
  j.erase("preprocess");
  ExpectError(j, "field 'preprocess'");
  j = json_;
  j["preprocess"]["median"] = "x";
  ExpectError(j, "field 'preprocess.median'");
  j = json_;
  j.erase("calibration");
  ExpectError(j, "field 'calibration'");
  j = json_;
  j["calibration"]["method"] = "temperature";  // no temperature stored
  ExpectError(j, "field 'calibration.temperature'");
  j = json_;
  j["calibration"] = nlohmann::json{{"method", "none"}};  // disagrees with params
  ExpectError(j, "field 'calibration'", StatusCode::kCorruption);
  j = json_;
  j["params"]["standardize"] = false;  // disagrees with the preprocessing state
  ExpectError(j, "field 'preprocess'", StatusCode::kCorruption);
}

TEST_F(LoadModelTest, ClassAndFeatureCountMismatches) {
  nlohmann::json j = json_;
  j["classes"] = {-1, 1};  // the isotonic maps are for 3 classes
  ExpectError(j, "field 'calibration.isotonic'");
  j["classes"] = {1, 0, -1};
  ExpectError(j, "field 'classes'");
  j["classes"] = {-1, 0.5, 1};
  ExpectError(j, "field 'classes'");
  j["classes"] = {1};
  ExpectError(j, "field 'classes'");
  j["classes"] = {"a", "b", "c"};
  ExpectError(j, "field 'classes'");
  j = json_;
  j["feature_names"].push_back("f3");  // preprocessing state is for 3 features
  ExpectError(j, "field 'preprocess.median'");
  j = json_;
  j["task"] = "regression";  // a classifier's classes and calibration
  ExpectError(j, "field 'classes'");
}

TEST_F(LoadModelTest, DamagedLearnerArtefact) {
  const std::string model = dir_.str() + "/liblinear.model";
  const std::string good = *ReadFile(model);
  std::filesystem::remove(model);
  auto r = LoadModel(dir_.str());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  for (const std::string& bad :
       {good.substr(0, good.size() / 2), std::string("garbage\n"), std::string(),
        std::string("nr_feature 999999999999\nnr_class 3\nw\n")}) {
    ASSERT_TRUE(WriteFileAtomic(model, bad).ok());
    auto l = LoadModel(dir_.str());
    ASSERT_FALSE(l.ok());
    EXPECT_EQ(l.status().code(), StatusCode::kCorruption) << l.status().ToString();
    EXPECT_NE(l.status().message().find("liblinear.model"), std::string::npos);
  }
}

}  // namespace
}  // namespace arus::ml
