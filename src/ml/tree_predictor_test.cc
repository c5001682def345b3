#include "ml/tree_predictor.h"

#include <gtest/gtest.h>
#include <xgboost/c_api.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

namespace arus::ml {
namespace {

using Json = nlohmann::json;
using Params = std::vector<std::pair<std::string, std::string>>;

// ---- A thin XGBoost driver: the reference the predictor is checked against ----------------------

struct BoosterDel {
  void operator()(void* b) const { XGBoosterFree(b); }
};
struct DMatrixDel {
  void operator()(void* d) const { XGDMatrixFree(d); }
};
using Booster = std::unique_ptr<void, BoosterDel>;
using DMatrix = std::unique_ptr<void, DMatrixDel>;

std::string Interface(const void* p, size_t rows, size_t cols, const char* type) {
  return "{\"data\":[" + std::to_string(reinterpret_cast<uintptr_t>(p)) + ",true],\"shape\":[" +
         std::to_string(rows) + "," + std::to_string(cols) + "],\"typestr\":\"" + type +
         "\",\"version\":3}";
}

DMatrix MakeDMatrix(const Matrix& x) {
  DMatrixHandle h = nullptr;
  EXPECT_EQ(XGDMatrixCreateFromDense(Interface(x.data.data(), x.rows, x.cols, "<f8").c_str(),
                                     "{\"missing\":NaN,\"nthread\":1}", &h),
            0)
      << XGBGetLastError();
  return DMatrix(h);
}

struct Trained {
  Booster booster;
  std::string ubj;
};

// `labels` has label_cols values per row (> 1: multi-target).
Trained Train(const Matrix& x, const std::vector<float>& labels, size_t label_cols,
              const Params& params, int rounds, const std::vector<std::string>& types = {}) {
  XGBSetGlobalConfig("{\"verbosity\":0}");
  DMatrix d = MakeDMatrix(x);
  EXPECT_EQ(XGDMatrixSetInfoFromInterface(
                d.get(), "label", Interface(labels.data(), x.rows, label_cols, "<f4").c_str()),
            0)
      << XGBGetLastError();
  if (!types.empty()) {
    std::vector<const char*> t;
    for (const auto& s : types) t.push_back(s.c_str());
    EXPECT_EQ(XGDMatrixSetStrFeatureInfo(d.get(), "feature_type", t.data(), t.size()), 0);
  }
  DMatrixHandle dms[] = {d.get()};
  BoosterHandle b = nullptr;
  EXPECT_EQ(XGBoosterCreate(dms, 1, &b), 0);
  Trained out{Booster(b), {}};
  EXPECT_EQ(XGBoosterSetParam(b, "tree_method", "hist"), 0);
  EXPECT_EQ(XGBoosterSetParam(b, "nthread", "1"), 0);
  for (const auto& [k, v] : params) {
    EXPECT_EQ(XGBoosterSetParam(b, k.c_str(), v.c_str()), 0) << k << ": " << XGBGetLastError();
  }
  for (int i = 0; i < rounds; ++i) {
    EXPECT_EQ(XGBoosterUpdateOneIter(b, i, d.get()), 0) << XGBGetLastError();
  }
  bst_ulong len = 0;
  const char* bytes = nullptr;
  EXPECT_EQ(XGBoosterSaveModelToBuffer(b, "{\"format\":\"ubj\"}", &len, &bytes), 0);
  out.ubj.assign(bytes, len);
  return out;
}

// XGBoost's own prediction: margins (output_margin) or transformed, rows * groups.
std::vector<float> XgbPredict(void* booster, const Matrix& x, bool margin) {
  DMatrix d = MakeDMatrix(x);
  const std::string config = std::string("{\"type\":") + (margin ? "1" : "0") +
                             ",\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
                             "\"strict_shape\":false}";
  const bst_ulong* shape = nullptr;
  bst_ulong dim = 0;
  const float* result = nullptr;
  EXPECT_EQ(XGBoosterPredictFromDMatrix(booster, d.get(), config.c_str(), &shape, &dim, &result), 0)
      << XGBGetLastError();
  size_t n = 1;
  for (bst_ulong i = 0; i < dim; ++i) n *= shape[i];
  return std::vector<float>(result, result + n);
}

// Random features, a few NaN; `signal` computes a score from a row.
Matrix RandomMatrix(size_t rows, size_t cols, uint32_t seed, double nan_rate = 0.05) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> unif;
  Matrix x(rows, cols);
  for (double& v : x.data) v = unif(rng) < nan_rate ? std::nan("") : normal(rng);
  return x;
}

double Signal(const double* r) {
  auto v = [](double a) { return std::isnan(a) ? 0.3 : a; };
  return std::sin(2 * v(r[0])) + v(r[1]) * v(r[2]) - 0.5 * std::abs(v(r[3]));
}

// Our predictor against XGBoost on held-out rows: margins bit for bit, outputs to 1e-6, and the
// batch path equal to the row path.
void ExpectMatchesXgboost(const Trained& t, const Matrix& test, size_t groups) {
  auto e = TreeEnsemble::FromXgboostUbj(t.ubj, "test");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  ASSERT_EQ(e->num_groups(), groups);
  ASSERT_EQ(e->num_features(), test.cols);
  const std::vector<float> ref_margin = XgbPredict(t.booster.get(), test, true);
  const std::vector<float> ref_out = XgbPredict(t.booster.get(), test, false);
  ASSERT_EQ(ref_margin.size(), test.rows * groups);
  ASSERT_EQ(ref_out.size(), test.rows * groups);

  std::vector<float> margin(test.rows * groups);
  e->MarginBatch(test.view(), margin.data());
  std::vector<double> out(test.rows * groups);
  e->PredictBatch(test.view(), out.data());
  std::vector<float> row_margin(groups);
  std::vector<double> row_out(groups);
  for (size_t r = 0; r < test.rows; ++r) {
    e->MarginRow(test.row(r), row_margin.data());
    e->PredictRow(test.row(r), row_out.data());
    for (size_t g = 0; g < groups; ++g) {
      const size_t i = r * groups + g;
      ASSERT_EQ(margin[i], ref_margin[i]) << "row " << r << " group " << g;
      ASSERT_NEAR(out[i], ref_out[i], 1e-6) << "row " << r << " group " << g;
      ASSERT_EQ(std::memcmp(&row_margin[g], &margin[i], sizeof(float)), 0);
      ASSERT_EQ(std::memcmp(&row_out[g], &out[i], sizeof(double)), 0);
    }
  }
}

std::vector<float> BinaryLabels(const Matrix& x, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unif;
  std::vector<float> y(x.rows);
  for (size_t r = 0; r < x.rows; ++r) {
    y[r] = unif(rng) < 1 / (1 + std::exp(-2 * Signal(x.row(r)))) ? 1.0f : 0.0f;
  }
  return y;
}

TEST(TreeEnsembleTest, BinaryLogisticMatchesXgboostIncludingNaN) {
  Matrix x = RandomMatrix(600, 6, 1);
  Trained t = Train(x, BinaryLabels(x, 2), 1,
                    {{"objective", "binary:logistic"},
                     {"max_depth", "4"},
                     {"eta", "0.3"},
                     {"subsample", "0.8"},
                     {"seed", "3"}},
                    20);
  Matrix test = RandomMatrix(300, 6, 4, 0.2);
  ExpectMatchesXgboost(t, test, 1);
  auto e = TreeEnsemble::FromXgboostUbj(t.ubj, "test");
  EXPECT_EQ(e->link(), TreeEnsemble::Link::kSigmoid);
  EXPECT_EQ(e->num_trees(), 20u);
}

TEST(TreeEnsembleTest, ThreadedBatchEqualsRowByRow) {
  Matrix x = RandomMatrix(400, 6, 21);
  Trained t =
      Train(x, BinaryLabels(x, 22), 1, {{"objective", "binary:logistic"}, {"max_depth", "5"}}, 30);
  auto e = TreeEnsemble::FromXgboostUbj(t.ubj, "test");
  ASSERT_TRUE(e.ok());
  Matrix test = RandomMatrix(5003, 6, 23, 0.1);
  std::vector<float> one(test.rows), three(test.rows), all(test.rows);
  e->MarginBatch(test.view(), one.data(), 1);
  e->MarginBatch(test.view(), three.data(), 3);
  e->MarginBatch(test.view(), all.data(), 0);
  for (size_t r = 0; r < test.rows; ++r) {
    float row = 0;
    e->MarginRow(test.row(r), &row);
    ASSERT_EQ(std::memcmp(&row, &one[r], sizeof(float)), 0) << r;
    ASSERT_EQ(std::memcmp(&row, &three[r], sizeof(float)), 0) << r;
    ASSERT_EQ(std::memcmp(&row, &all[r], sizeof(float)), 0) << r;
  }
}

TEST(TreeEnsembleTest, NonDefaultBaseScoreBecomesLogitMargin) {
  Matrix x = RandomMatrix(300, 4, 5);
  Trained t =
      Train(x, BinaryLabels(x, 6), 1,
            {{"objective", "binary:logistic"}, {"max_depth", "3"}, {"base_score", "0.3"}}, 5);
  auto e = TreeEnsemble::FromXgboostUbj(t.ubj, "test");
  ASSERT_TRUE(e.ok());
  EXPECT_NEAR(e->base_margin()[0], std::log(0.3 / 0.7), 1e-6);
  ExpectMatchesXgboost(t, RandomMatrix(200, 4, 7, 0.1), 1);
}

TEST(TreeEnsembleTest, MultiClassSoftprobMatchesXgboost) {
  Matrix x = RandomMatrix(600, 5, 8);
  std::vector<float> y(x.rows);
  for (size_t r = 0; r < x.rows; ++r) {
    const double s = Signal(x.row(r));
    y[r] = s < -0.5 ? 0.0f : (s < 0.5 ? 1.0f : 2.0f);
  }
  Trained t = Train(x, y, 1,
                    {{"objective", "multi:softprob"},
                     {"num_class", "3"},
                     {"max_depth", "4"},
                     {"colsample_bytree", "0.8"},
                     {"seed", "9"}},
                    15);
  Matrix test = RandomMatrix(250, 5, 10, 0.15);
  ExpectMatchesXgboost(t, test, 3);
  auto e = TreeEnsemble::FromXgboostUbj(t.ubj, "test");
  EXPECT_EQ(e->num_trees(), 45u);
  std::vector<double> p(3);
  for (size_t r = 0; r < test.rows; ++r) {
    e->PredictRow(test.row(r), p.data());
    EXPECT_NEAR(p[0] + p[1] + p[2], 1.0, 1e-12);
  }
}

TEST(TreeEnsembleTest, RegressionAndLossguideMatchXgboost) {
  Matrix x = RandomMatrix(800, 6, 11);
  std::vector<float> y(x.rows);
  for (size_t r = 0; r < x.rows; ++r) y[r] = static_cast<float>(Signal(x.row(r)));
  Trained t = Train(x, y, 1,
                    {{"objective", "reg:squarederror"},
                     {"grow_policy", "lossguide"},
                     {"max_depth", "0"},
                     {"max_leaves", "12"},
                     {"base_score", "0.125"}},
                    25);
  ExpectMatchesXgboost(t, RandomMatrix(300, 6, 12, 0.1), 1);
}

TEST(TreeEnsembleTest, RandomForestModeSumsParallelTreesLikeXgboost) {
  // binary:logistic forest (num_parallel_tree > 1, one round) and a multi-target squared-error
  // forest (the random_forest learner's multi-class form).
  Matrix x = RandomMatrix(500, 6, 13);
  Trained logistic = Train(x, BinaryLabels(x, 14), 1,
                           {{"objective", "binary:logistic"},
                            {"num_parallel_tree", "25"},
                            {"eta", "1"},
                            {"subsample", "0.632"},
                            {"colsample_bynode", "0.5"},
                            {"max_depth", "5"},
                            {"seed", "1"}},
                           1);
  ExpectMatchesXgboost(logistic, RandomMatrix(200, 6, 15, 0.1), 1);
  // Two rounds of parallel trees too.
  Trained two_rounds = Train(x, BinaryLabels(x, 14), 1,
                             {{"objective", "binary:logistic"},
                              {"num_parallel_tree", "4"},
                              {"subsample", "0.7"},
                              {"max_depth", "3"}},
                             2);
  ExpectMatchesXgboost(two_rounds, RandomMatrix(100, 6, 16, 0.1), 1);

  std::vector<float> onehot(x.rows * 3, 0.0f);
  for (size_t r = 0; r < x.rows; ++r) {
    const double s = Signal(x.row(r));
    onehot[r * 3 + (s < -0.5 ? 0 : (s < 0.5 ? 1 : 2))] = 1;
  }
  Trained forest = Train(x, onehot, 3,
                         {{"objective", "reg:squarederror"},
                          {"num_parallel_tree", "20"},
                          {"eta", "1"},
                          {"subsample", "0.632"},
                          {"colsample_bynode", "0.4"},
                          {"lambda", "0"},
                          {"max_depth", "6"}},
                         1);
  ExpectMatchesXgboost(forest, RandomMatrix(200, 6, 17, 0.1), 3);
  auto e = TreeEnsemble::FromXgboostUbj(forest.ubj, "test");
  EXPECT_EQ(e->num_trees(), 60u);
}

TEST(TreeEnsembleTest, CategoricalSplitsMatchXgboost) {
  // Feature 0: category codes 0..11 (class depends on a subset), feature 1 numeric.
  std::mt19937 rng(18);
  auto make = [&rng](size_t rows, bool odd_values) {
    Matrix x(rows, 3);
    std::normal_distribution<double> normal;
    for (size_t r = 0; r < rows; ++r) {
      x.at(r, 0) = static_cast<double>(rng() % 12);
      x.at(r, 1) = normal(rng);
      x.at(r, 2) = static_cast<double>(rng() % 3);
      if (rng() % 10 == 0) x.at(r, 0) = std::nan("");
      if (odd_values && r % 7 == 0) {
        // Unseen, negative, fractional and huge codes: XGBoost sends invalid ones left.
        const double odd[] = {15, -1, 2.7, 3e7, 40, 11.999};
        x.at(r, 0) = odd[(r / 7) % 6];
      }
    }
    return x;
  };
  Matrix x = make(800, false);
  std::vector<float> y(x.rows);
  for (size_t r = 0; r < x.rows; ++r) {
    const double c = x.at(r, 0);
    const bool hot = !std::isnan(c) && (c == 1 || c == 4 || c == 6 || c == 9 || c == 10);
    y[r] = static_cast<float>((hot ? 1.0 : -1.0) + 0.5 * x.at(r, 1) + 0.3 * x.at(r, 2));
  }
  for (const char* onehot : {"4", "64"}) {  // partition splits and one-vs-rest splits
    Trained t = Train(
        x, y, 1,
        {{"objective", "reg:squarederror"}, {"max_depth", "4"}, {"max_cat_to_onehot", onehot}}, 10,
        {"c", "q", "c"});
    auto e = TreeEnsemble::FromXgboostUbj(t.ubj, "test");
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    ExpectMatchesXgboost(t, make(400, true), 1);
  }
}

TEST(TreeEnsembleTest, TotalGainMatchesXgboostFeatureScore) {
  Matrix x = RandomMatrix(500, 8, 19);
  Trained t =
      Train(x, BinaryLabels(x, 20), 1, {{"objective", "binary:logistic"}, {"max_depth", "3"}}, 10);
  auto e = TreeEnsemble::FromXgboostUbj(t.ubj, "test");
  ASSERT_TRUE(e.ok());
  bst_ulong n = 0, dim = 0;
  const char** names = nullptr;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  ASSERT_EQ(XGBoosterFeatureScore(t.booster.get(), "{\"importance_type\":\"total_gain\"}", &n,
                                  &names, &dim, &shape, &scores),
            0);
  std::vector<double> ref(8, 0.0);
  for (bst_ulong i = 0; i < n; ++i) ref[std::stoi(names[i] + 1)] = scores[i];
  ASSERT_EQ(e->total_gain().size(), 8u);
  for (size_t f = 0; f < 8; ++f) {
    EXPECT_NEAR(e->total_gain()[f], ref[f], 1e-5 * std::max(1.0, ref[f])) << "feature " << f;
  }
  // The four signal features carry most of the gain.
  double signal = 0, total = 0;
  for (size_t f = 0; f < 8; ++f) {
    total += ref[f];
    if (f < 4) signal += ref[f];
  }
  EXPECT_GT(signal / total, 0.8);
}

// ---- Hand-built models: exact semantics and hostile files ---------------------------------------

// A one-tree identity model: x0 < 0.5 -> (x1 < -1 ? 10 : 20), else 30; missing x0 goes left.
Json HandModel() {
  Json tree = {
      {"left_children", {1, 3, -1, -1, -1}},
      {"right_children", {2, 4, -1, -1, -1}},
      {"split_indices", {0, 1, 0, 0, 0}},
      {"split_conditions", {0.5, -1.0, 30.0, 10.0, 20.0}},
      {"default_left", {1, 0, 0, 0, 0}},
      {"split_type", {0, 0, 0, 0, 0}},
      {"loss_changes", {4.0, 1.5, 0.0, 0.0, 0.0}},
      {"categories", Json::array()},
      {"categories_nodes", Json::array()},
      {"categories_segments", Json::array()},
      {"categories_sizes", Json::array()},
  };
  return {
      {"learner",
       {{"learner_model_param",
         {{"base_score", "1E0"}, {"num_class", "0"}, {"num_feature", "2"}, {"num_target", "1"}}},
        {"objective", {{"name", "reg:squarederror"}}},
        {"gradient_booster",
         {{"name", "gbtree"}, {"model", {{"trees", {tree}}, {"tree_info", {0}}}}}}}}};
}

Result<TreeEnsemble> FromDoc(const Json& doc) {
  const std::vector<uint8_t> bytes = Json::to_ubjson(doc);
  return TreeEnsemble::FromXgboostUbj(
      std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), "hand.ubj");
}

double HandPredict(const TreeEnsemble& e, double x0, double x1) {
  const double row[2] = {x0, x1};
  double out = 0;
  e.PredictRow(row, &out);
  return out;
}

TEST(TreeEnsembleTest, HandBuiltModelFollowsXgboostRules) {
  auto e = FromDoc(HandModel());
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(HandPredict(*e, 0.0, -2.0), 11.0);  // base 1 + leaf 10
  EXPECT_EQ(HandPredict(*e, 0.0, 0.0), 21.0);
  EXPECT_EQ(HandPredict(*e, 0.5, 0.0), 31.0);            // not < 0.5: right
  EXPECT_EQ(HandPredict(*e, std::nan(""), -1.0), 21.0);  // missing x0 left; x1 = -1 not < -1
  EXPECT_EQ(HandPredict(*e, 0.0, std::nan("")), 21.0);   // missing x1: default right
  // The value is cast to float first: 0.49999999999 rounds to 0.5f, so it goes right.
  EXPECT_EQ(HandPredict(*e, 0.49999999999, 0.0), 31.0);
  EXPECT_EQ(HandPredict(*e, 0.4999999, 0.0), 21.0);
  EXPECT_EQ(HandPredict(*e, 1e300, 0.0), 31.0);  // +inf after the cast
  EXPECT_EQ(HandPredict(*e, -1e300, -1e300), 11.0);
  EXPECT_EQ(e->total_gain(), (std::vector<double>{4.0, 1.5}));
  EXPECT_EQ(e->num_nodes(), 5u);
}

TEST(TreeEnsembleTest, HandBuiltCategoricalSplit) {
  Json doc = HandModel();
  Json& tree = doc["learner"]["gradient_booster"]["model"]["trees"][0];
  tree["split_type"] = {1, 0, 0, 0, 0};
  tree["split_conditions"][0] = std::nan("");
  tree["categories"] = {2, 5, 40};
  tree["categories_nodes"] = {0};
  tree["categories_segments"] = {0};
  tree["categories_sizes"] = {3};
  auto e = FromDoc(doc);
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  // In the set -> right (31); otherwise, or invalid, -> left (x1 = 0: 21).
  EXPECT_EQ(HandPredict(*e, 2, 0), 31.0);
  EXPECT_EQ(HandPredict(*e, 5.9, 0), 31.0);  // truncated to 5
  EXPECT_EQ(HandPredict(*e, 40, 0), 31.0);
  EXPECT_EQ(HandPredict(*e, 3, 0), 21.0);
  EXPECT_EQ(HandPredict(*e, 41, 0), 21.0);
  EXPECT_EQ(HandPredict(*e, 1000, 0), 21.0);  // beyond the bitset
  EXPECT_EQ(HandPredict(*e, -2, 0), 21.0);
  EXPECT_EQ(HandPredict(*e, 2e7, 0), 21.0);
  EXPECT_EQ(HandPredict(*e, std::nan(""), 0), 21.0);  // default_left
}

void ExpectCorrupt(const Json& doc, const std::string& needle) {
  auto e = FromDoc(doc);
  ASSERT_FALSE(e.ok()) << "accepted a model that should fail with: " << needle;
  EXPECT_EQ(e.status().code(), StatusCode::kCorruption);
  EXPECT_NE(e.status().message().find(needle), std::string::npos) << e.status().message();
  EXPECT_NE(e.status().message().find("hand.ubj"), std::string::npos) << e.status().message();
}

TEST(TreeEnsembleTest, RejectsInconsistentModels) {
  auto tree = [](Json& d) -> Json& {
    return d["learner"]["gradient_booster"]["model"]["trees"][0];
  };
  {
    Json d = HandModel();
    tree(d)["left_children"][1] = 1;  // a cycle
    ExpectCorrupt(d, "out of range or reused");
  }
  {
    Json d = HandModel();
    tree(d)["right_children"][0] = 7;
    ExpectCorrupt(d, "out of range or reused");
  }
  {
    Json d = HandModel();
    tree(d)["left_children"][1] = 2;  // node 2 reached twice
    ExpectCorrupt(d, "out of range or reused");
  }
  {
    Json d = HandModel();
    tree(d)["split_indices"][1] = 2;
    ExpectCorrupt(d, "split feature 2 out of range");
  }
  {
    Json d = HandModel();
    tree(d)["split_conditions"][3] = std::numeric_limits<double>::infinity();
    ExpectCorrupt(d, "leaf value is not finite");
  }
  {
    Json d = HandModel();
    tree(d)["default_left"] = {1, 0};
    ExpectCorrupt(d, "different lengths");
  }
  {
    Json d = HandModel();
    tree(d)["split_indices"][0] = "zero";
    ExpectCorrupt(d, "not an integer");
  }
  {
    Json d = HandModel();
    tree(d)["split_type"][0] = 1;  // categorical without categories
    ExpectCorrupt(d, "without categories");
  }
  auto categorical = [&](Json& d, std::vector<int> cats, int node) {
    tree(d)["split_type"] = {1, 0, 0, 0, 0};
    tree(d)["split_conditions"][0] = std::nan("");
    tree(d)["categories"] = cats;
    tree(d)["categories_nodes"] = {node};
    tree(d)["categories_segments"] = {0};
    tree(d)["categories_sizes"] = {static_cast<int>(cats.size())};
  };
  {
    Json d = HandModel();
    categorical(d, {2}, 9);
    ExpectCorrupt(d, "categories_nodes holds node 9 out of range");
  }
  {
    Json d = HandModel();
    categorical(d, {2, -1}, 0);
    ExpectCorrupt(d, "category -1 out of range");
  }
  {
    Json d = HandModel();
    categorical(d, {2}, 0);
    tree(d)["categories_sizes"] = {5};
    ExpectCorrupt(d, "category segment out of range");
  }
  {
    // Many splits on the largest category: 2 MiB of bitset each, refused past 128 MiB in all.
    Json d = HandModel();
    categorical(d, {(1 << 24) - 1}, 0);
    Json& model = d["learner"]["gradient_booster"]["model"];
    const Json one = model["trees"][0];
    for (int i = 1; i < 70; ++i) {
      model["trees"].push_back(one);
      model["tree_info"].push_back(0);
    }
    ExpectCorrupt(d, "category sets too large");
  }
  {
    Json d = HandModel();
    d["learner"]["objective"]["name"] = "rank:pairwise";
    ExpectCorrupt(d, "unsupported objective");
  }
  {
    Json d = HandModel();
    d["learner"]["gradient_booster"]["name"] = "dart";
    ExpectCorrupt(d, "unsupported booster");
  }
  {
    Json d = HandModel();
    d["learner"]["gradient_booster"]["model"]["tree_info"] = {1};
    ExpectCorrupt(d, "output group 1 out of range");
  }
  {
    Json d = HandModel();
    d["learner"]["learner_model_param"]["num_feature"] = "-3";
    ExpectCorrupt(d, "num_feature");
  }
  {
    Json d = HandModel();
    d["learner"]["learner_model_param"].erase("base_score");
    ExpectCorrupt(d, "'base_score' is missing");
  }
  {
    Json d = HandModel();
    d["learner"]["gradient_booster"]["model"].erase("trees");
    ExpectCorrupt(d, "'trees' is missing");
  }
}

TEST(TreeEnsembleTest, DamagedBytesAreErrorsNotCrashes) {
  const std::vector<uint8_t> good = Json::to_ubjson(HandModel());
  auto parse = [](const std::string& s) { return TreeEnsemble::FromXgboostUbj(s, "x.ubj"); };
  const std::string whole(good.begin(), good.end());
  ASSERT_TRUE(parse(whole).ok());
  for (size_t cut = 0; cut < whole.size(); cut += 7) {
    auto e = parse(whole.substr(0, cut));
    EXPECT_FALSE(e.ok()) << "cut at " << cut;
    EXPECT_EQ(e.status().code(), StatusCode::kCorruption);
  }
  // Every single-byte corruption is either rejected or still a well-formed tree model.
  for (size_t i = 0; i < whole.size(); ++i) {
    std::string bad = whole;
    bad[i] = static_cast<char>(bad[i] ^ 0x5a);
    auto e = parse(bad);
    if (e.ok()) {
      const double row[2] = {0.1, 0.2};
      double out = 0;
      e->PredictRow(row, &out);  // must not crash
    }
  }
  // Deep nesting and payload-free typed containers are refused without recursing / allocating.
  EXPECT_NE(parse(std::string(100000, '[')).status().message().find("nested deeper"),
            std::string::npos);
  std::string zs = "[$Z#L";  // 2^40 nulls announced in 13 bytes
  for (int i = 0; i < 8; ++i) zs += static_cast<char>(i == 3 ? 1 : 0);
  EXPECT_NE(parse(zs).status().message().find("more values than"), std::string::npos);
  EXPECT_FALSE(parse("").ok());
  EXPECT_FALSE(parse("{}").ok());
}

}  // namespace
}  // namespace arus::ml
