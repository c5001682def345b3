#include "ml/preprocess.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "ml/pipeline_test_util.h"

namespace arus::ml {
namespace {

using test_util::ExpectBitIdentical;
using test_util::Rng;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

// Columns: A (an outlier and a NaN), B (MAD 0), C (all NaN), D (even count of finite values).
Matrix HandMatrix() {
  const double v[6][4] = {{1, 5, kNaN, 4}, {2, 5, kNaN, 1},      {3, 5, kNaN, 3},
                          {4, 5, kNaN, 2}, {100, 7, kNaN, kNaN}, {kNaN, kNaN, kNaN, kNaN}};
  Matrix m(6, 4);
  for (size_t r = 0; r < 6; ++r) {
    for (size_t c = 0; c < 4; ++c) m.at(r, c) = v[r][c];
  }
  return m;
}

double PopSd(const std::vector<double>& v, double mean) {
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / v.size());
}

TEST(PreprocessTest, HandWorkedMedianMadClipAndStandardize) {
  const Matrix m = HandMatrix();
  const Preprocessor p = Preprocessor::Fit(m.view(), {true, 2.0, true});
  // A: finite [1,2,3,4,100]: median 3, |dev| [2,1,0,1,97] -> MAD 1; bounds 3 +- 2 * 1.4826.
  EXPECT_EQ(p.median()[0], 3);
  EXPECT_EQ(p.mad()[0], 1);
  EXPECT_DOUBLE_EQ(p.lo()[0], 3 - 2.9652);
  EXPECT_DOUBLE_EQ(p.hi()[0], 3 + 2.9652);
  // After imputing NaN -> 3 and clipping 100 -> 5.9652: [1,2,3,4,5.9652,3].
  const std::vector<double> a = {1, 2, 3, 4, 5.9652, 3};
  EXPECT_NEAR(p.mean()[0], 18.9652 / 6, 1e-12);
  EXPECT_NEAR(p.sd()[0], PopSd(a, 18.9652 / 6), 1e-12);
  // B: MAD 0 -> no clipping; values [5,5,5,5,7,5].
  EXPECT_EQ(p.median()[1], 5);
  EXPECT_EQ(p.mad()[1], 0);
  EXPECT_EQ(p.lo()[1], -kInf);
  EXPECT_EQ(p.hi()[1], kInf);
  EXPECT_NEAR(p.mean()[1], 32.0 / 6, 1e-12);
  EXPECT_NEAR(p.sd()[1], PopSd({5, 5, 5, 5, 7, 5}, 32.0 / 6), 1e-12);
  // C: no finite value -> median 0; all imputed to 0 -> sd 0 -> 1.
  EXPECT_EQ(p.median()[2], 0);
  EXPECT_EQ(p.mean()[2], 0);
  EXPECT_EQ(p.sd()[2], 1);
  // D: finite [4,1,3,2]: median 2.5, |dev| [1.5,1.5,0.5,0.5] -> MAD 1.
  EXPECT_EQ(p.median()[3], 2.5);
  EXPECT_EQ(p.mad()[3], 1);

  double out[4];
  const double in[4] = {100, 6, kNaN, -50};
  p.TransformRow(in, out);
  EXPECT_NEAR(out[0], (5.9652 - p.mean()[0]) / p.sd()[0], 1e-12);        // clipped high
  EXPECT_NEAR(out[1], (6 - 32.0 / 6) / p.sd()[1], 1e-12);                // never clipped
  EXPECT_EQ(out[2], 0);                                                  // imputed 0, standardised
  EXPECT_NEAR(out[3], (2.5 - 2.9652 - p.mean()[3]) / p.sd()[3], 1e-12);  // clipped low
}

TEST(PreprocessTest, ImputeReplacesInfinitiesToo) {
  const Matrix m = HandMatrix();
  const Preprocessor p = Preprocessor::Fit(m.view(), {true, 0.0, false});
  double out[4];
  const double in[4] = {kInf, -kInf, kNaN, 7};
  p.TransformRow(in, out);
  EXPECT_EQ(out[0], 3);
  EXPECT_EQ(out[1], 5);
  EXPECT_EQ(out[2], 0);
  EXPECT_EQ(out[3], 7);  // no clipping, no scaling: untouched
}

TEST(PreprocessTest, WithoutImputeNaNPassesThroughClipAndStandardize) {
  const Matrix m = HandMatrix();
  const Preprocessor p = Preprocessor::Fit(m.view(), {false, 2.0, true});
  // Statistics come from the finite values only: A after clipping is [1,2,3,4,5.9652].
  EXPECT_NEAR(p.mean()[0], 15.9652 / 5, 1e-12);
  EXPECT_NEAR(p.sd()[0], PopSd({1, 2, 3, 4, 5.9652}, 15.9652 / 5), 1e-12);
  double out[4];
  const double in[4] = {kNaN, kNaN, kNaN, 3};
  p.TransformRow(in, out);
  EXPECT_TRUE(std::isnan(out[0]));
  EXPECT_TRUE(std::isnan(out[1]));
  EXPECT_TRUE(std::isnan(out[2]));
  EXPECT_NEAR(out[3], (3 - p.mean()[3]) / p.sd()[3], 1e-12);
}

TEST(PreprocessTest, FittedOnTheTrainingRowsOnly) {
  Rng rng(7);
  Matrix m(200, 3);
  for (double& v : m.data) v = rng.Normal();
  const MatrixView train{m.data.data(), 120, 3};
  const Preprocessor before = Preprocessor::Fit(train, {true, 3.0, true});
  // Rewrite every row after the training window with very different values.
  for (size_t r = 120; r < 200; ++r) {
    for (size_t c = 0; c < 3; ++c) m.at(r, c) = 1000 + rng.Normal() * 50;
  }
  const Preprocessor after = Preprocessor::Fit(train, {true, 3.0, true});
  ExpectBitIdentical(before.median(), after.median());
  ExpectBitIdentical(before.mad(), after.mad());
  ExpectBitIdentical(before.mean(), after.mean());
  ExpectBitIdentical(before.sd(), after.sd());
  // Sanity: the full matrix would have given other statistics.
  const Preprocessor all = Preprocessor::Fit(m.view(), {true, 3.0, true});
  EXPECT_NE(all.median()[0], before.median()[0]);
  EXPECT_NE(all.mean()[0], before.mean()[0]);
}

TEST(PreprocessTest, BlockEqualsRowBitForBit) {
  Rng rng(11);
  Matrix m(300, 5);
  for (double& v : m.data) v = rng.Bernoulli(0.1) ? kNaN : rng.Normal() * 3 + 1;
  m.at(10, 2) = 1e6;
  const Preprocessor p = Preprocessor::Fit(m.view(), {true, 2.5, true});
  std::vector<double> block(300 * 5), rows(300 * 5);
  p.Transform(m.view(), 0, 300, block.data());
  for (size_t r = 0; r < 300; ++r) p.TransformRow(m.row(r), rows.data() + r * 5);
  ExpectBitIdentical(block, rows);
  std::vector<double> tail(100 * 5);
  p.Transform(m.view(), 200, 300, tail.data());
  ExpectBitIdentical(tail, std::vector<double>(rows.begin() + 200 * 5, rows.end()));
}

TEST(PreprocessTest, JsonRoundTripIsExact) {
  Rng rng(3);
  Matrix m(50, 4);
  for (double& v : m.data) v = rng.Normal() / 3;  // values with long decimal expansions
  m.at(0, 3) = kNaN;
  for (const PreprocessOptions& o :
       {PreprocessOptions{true, 0.1 + 0.2, true}, PreprocessOptions{false, 0, false}}) {
    const Preprocessor p = Preprocessor::Fit(m.view(), o);
    const nlohmann::json j = nlohmann::json::parse(p.ToJson().dump());
    auto q = Preprocessor::FromJson(j, 4, "model.json");
    ASSERT_TRUE(q.ok()) << q.status().ToString();
    EXPECT_EQ(q->options().clip, o.clip);
    ExpectBitIdentical(p.median(), q->median());
    ExpectBitIdentical(p.lo(), q->lo());
    ExpectBitIdentical(p.hi(), q->hi());
    ExpectBitIdentical(p.mean(), q->mean());
    ExpectBitIdentical(p.sd(), q->sd());
  }
}

TEST(PreprocessTest, FromJsonRejectsDamagedState) {
  Matrix m(10, 2);
  for (size_t i = 0; i < m.data.size(); ++i) m.data[i] = static_cast<double>(i % 7);
  const nlohmann::json good = Preprocessor::Fit(m.view(), {true, 2, true}).ToJson();
  auto expect_error = [](const nlohmann::json& j, size_t cols, const std::string& field) {
    auto r = Preprocessor::FromJson(j, cols, "dir/model.json");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.status().message().find("dir/model.json"), std::string::npos);
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().message();
  };
  expect_error(good, 3, "preprocess.median");  // column count mismatch
  nlohmann::json j = good;
  j["sd"][1] = 0;
  expect_error(j, 2, "preprocess");
  j = good;
  j["mean"] = "x";
  expect_error(j, 2, "preprocess.mean");
  j = good;
  j["clip"] = -1;
  expect_error(j, 2, "preprocess.clip");
  j = good;
  j.erase("impute");
  expect_error(j, 2, "preprocess.impute");
  expect_error(nlohmann::json::array(), 2, "preprocess");
}

}  // namespace
}  // namespace arus::ml
