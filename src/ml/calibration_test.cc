#include "ml/calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "ml/pipeline_test_util.h"

namespace arus::ml {
namespace {

using test_util::ExpectBitIdentical;
using test_util::Rng;

double MeanLogLoss(const std::vector<double>& p, const std::vector<int>& y, int k) {
  double s = 0;
  for (size_t r = 0; r < y.size(); ++r) s -= std::log(p[r * k + y[r]]);
  return s / static_cast<double>(y.size());
}

std::vector<double> Softmax(const double* z, int k, double scale) {
  std::vector<double> p(k);
  double mx = -1e300, s = 0;
  for (int c = 0; c < k; ++c) mx = std::max(mx, scale * z[c]);
  for (int c = 0; c < k; ++c) s += p[c] = std::exp(scale * z[c] - mx);
  for (double& v : p) v /= s;
  return p;
}

TEST(CalibrationTest, TemperatureHandWorked) {
  // Always p = (0.9, 0.1), class 0 right 3 times out of 4. The best calibrated p0 is 0.75:
  // 1 / (1 + (1/9)^(1/T)) = 3/4  <=>  (1/9)^(1/T) = 1/3  <=>  T = 2.
  const std::vector<double> p = {0.9, 0.1, 0.9, 0.1, 0.9, 0.1, 0.9, 0.1};
  const std::vector<int> y = {0, 0, 0, 1};
  auto cal = Calibrator::Fit(CalibrationMethod::kTemperature, p, y, 2);
  ASSERT_TRUE(cal.ok()) << cal.status().ToString();
  EXPECT_NEAR(cal->temperature(), 2.0, 1e-6);
  double row[2] = {0.9, 0.1};
  cal->ApplyRow(row);
  EXPECT_NEAR(row[0], 0.75, 1e-6);
  EXPECT_NEAR(row[1], 0.25, 1e-6);
}

TEST(CalibrationTest, TemperatureRecoversKnownTemperature) {
  // Labels drawn from softmax(z); the model reports softmax(2.5 z): over-confident by T = 2.5.
  Rng rng(5);
  const int k = 3;
  const size_t n = 10000;
  std::vector<double> p(n * k);
  std::vector<int> y(n);
  for (size_t r = 0; r < n; ++r) {
    double z[3];
    for (double& v : z) v = rng.Normal() * 1.5;
    const std::vector<double> q = Softmax(z, k, 1.0);
    const double u = rng.Uniform();
    y[r] = u < q[0] ? 0 : u < q[0] + q[1] ? 1 : 2;
    const std::vector<double> over = Softmax(z, k, 2.5);
    std::copy(over.begin(), over.end(), p.begin() + r * k);
  }
  auto cal = Calibrator::Fit(CalibrationMethod::kTemperature, p, y, k);
  ASSERT_TRUE(cal.ok());
  EXPECT_NEAR(cal->temperature(), 2.5, 0.15);
  std::vector<double> calibrated = p;
  cal->Apply(calibrated.data(), n);
  EXPECT_LT(MeanLogLoss(calibrated, y, k), MeanLogLoss(p, y, k) - 0.05);
  for (size_t r = 0; r < n; ++r) {
    EXPECT_NEAR(calibrated[r * k] + calibrated[r * k + 1] + calibrated[r * k + 2], 1, 1e-12);
  }
}

TEST(CalibrationTest, IsotonicHandWorkedPav) {
  // p1 = 0.1 .. 0.6 with labels [0,1,0,0,1,1]. Class 1 (PAV of [0,1,0,0,1,1]):
  //   {0.1: 0}, {0.2,0.3,0.4: 1/3}, {0.5,0.6: 1} -> knots (0.1, 0), (0.3, 1/3), (0.55, 1).
  // Class 0 (p0 = 1 - p1 ascending 0.4 .. 0.9, labels [0,0,1,1,0,1]):
  //   {0.4,0.5: 0}, {0.6,0.7,0.8: 2/3}, {0.9: 1} -> knots (0.45, 0), (0.7, 2/3), (0.9, 1).
  std::vector<double> p;
  const std::vector<int> y = {0, 1, 0, 0, 1, 1};
  for (int i = 1; i <= 6; ++i) {
    p.push_back(1 - 0.1 * i);
    p.push_back(0.1 * i);
  }
  auto cal = Calibrator::Fit(CalibrationMethod::kIsotonic, p, y, 2);
  ASSERT_TRUE(cal.ok());
  EXPECT_NEAR(cal->IsotonicValue(1, 0.3), 1.0 / 3, 1e-12);
  EXPECT_NEAR(cal->IsotonicValue(1, 0.2), 1.0 / 6, 1e-12);  // halfway from (0.1,0) to (0.3,1/3)
  EXPECT_NEAR(cal->IsotonicValue(1, 0.55), 1.0, 1e-12);
  EXPECT_EQ(cal->IsotonicValue(1, 0.01), 0);  // constant beyond the end blocks
  EXPECT_EQ(cal->IsotonicValue(1, 0.99), 1);
  EXPECT_NEAR(cal->IsotonicValue(0, 0.7), 2.0 / 3, 1e-12);
  EXPECT_NEAR(cal->IsotonicValue(0, 0.8), 2.0 / 3 + 0.5 * (1.0 / 3), 1e-12);
  EXPECT_NEAR(cal->IsotonicValue(0, 0.45), 0, 1e-12);
  double row[2] = {0.7, 0.3};  // maps to (2/3, 1/3), already summing to 1
  cal->ApplyRow(row);
  EXPECT_NEAR(row[0], 2.0 / 3, 1e-12);
  EXPECT_NEAR(row[1], 1.0 / 3, 1e-12);
  double row2[2] = {0.8, 0.2};  // maps to (5/6, 1/6): sums to 1
  cal->ApplyRow(row2);
  EXPECT_NEAR(row2[0], 5.0 / 6, 1e-12);
  double row3[2] = {0.45, 0.55};  // maps to (0, 1)
  cal->ApplyRow(row3);
  EXPECT_NEAR(row3[0], 0, 1e-12);
  EXPECT_NEAR(row3[1], 1, 1e-12);
}

TEST(CalibrationTest, IsotonicIsMonotoneAndRowsSumToOne) {
  Rng rng(9);
  const int k = 3;
  const size_t n = 3000;
  std::vector<double> p(n * k);
  std::vector<int> y(n);
  for (size_t r = 0; r < n; ++r) {
    double z[3];
    for (double& v : z) v = rng.Normal();
    const std::vector<double> q = Softmax(z, k, 1.0);
    std::copy(q.begin(), q.end(), p.begin() + r * k);
    const double u = rng.Uniform();
    // A distorted truth so the map has something to fix.
    const double t0 = q[0] * q[0] / (q[0] * q[0] + q[1] + q[2]);
    y[r] = u < t0 ? 0 : rng.Bernoulli(0.5) ? 1 : 2;
  }
  auto cal = Calibrator::Fit(CalibrationMethod::kIsotonic, p, y, k);
  ASSERT_TRUE(cal.ok());
  for (int c = 0; c < k; ++c) {
    double prev = -1;
    for (int i = 0; i <= 1000; ++i) {
      const double v = cal->IsotonicValue(c, i / 1000.0);
      EXPECT_GE(v, prev) << "class " << c << " at " << i / 1000.0;
      EXPECT_GE(v, 0);
      EXPECT_LE(v, 1);
      prev = v;
    }
  }
  std::vector<double> block = p, rows = p;
  cal->Apply(block.data(), n);
  for (size_t r = 0; r < n; ++r) cal->ApplyRow(rows.data() + r * k);
  ExpectBitIdentical(block, rows);
  for (size_t r = 0; r < n; ++r) {
    EXPECT_NEAR(block[r * k] + block[r * k + 1] + block[r * k + 2], 1, 1e-12);
  }
}

TEST(CalibrationTest, IsotonicAllZeroRowFallsBackToUncalibrated) {
  const nlohmann::json j = nlohmann::json::parse(
      R"({"method":"isotonic","isotonic":[{"x":[0.5],"y":[0]},{"x":[0.5],"y":[0]}]})");
  auto cal = Calibrator::FromJson(j, 2, "model.json");
  ASSERT_TRUE(cal.ok()) << cal.status().ToString();
  double row[2] = {0.3, 0.7};
  cal->ApplyRow(row);
  EXPECT_EQ(row[0], 0.3);
  EXPECT_EQ(row[1], 0.7);
}

TEST(CalibrationTest, JsonRoundTripPredictsSameBits) {
  Rng rng(21);
  const int k = 2;
  const size_t n = 500;
  std::vector<double> p(n * k);
  std::vector<int> y(n);
  for (size_t r = 0; r < n; ++r) {
    p[r * k + 1] = rng.Uniform(0.01, 0.99);
    p[r * k] = 1 - p[r * k + 1];
    y[r] = rng.Bernoulli(p[r * k + 1]) ? 1 : 0;
  }
  for (CalibrationMethod m :
       {CalibrationMethod::kNone, CalibrationMethod::kTemperature, CalibrationMethod::kIsotonic}) {
    auto cal = Calibrator::Fit(m, p, y, k);
    ASSERT_TRUE(cal.ok());
    auto back = Calibrator::FromJson(nlohmann::json::parse(cal->ToJson().dump()), k, "m.json");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(back->method(), m);
    std::vector<double> a = p, b = p;
    cal->Apply(a.data(), n);
    back->Apply(b.data(), n);
    ExpectBitIdentical(a, b);
  }
}

TEST(CalibrationTest, FitRejectsBadInput) {
  const std::vector<double> p = {0.5, 0.5, 0.2, 0.8};
  EXPECT_FALSE(Calibrator::Fit(CalibrationMethod::kTemperature, p, std::vector<int>{0, 1}, 1).ok());
  EXPECT_FALSE(Calibrator::Fit(CalibrationMethod::kTemperature, p, std::vector<int>{0}, 2).ok());
  EXPECT_FALSE(Calibrator::Fit(CalibrationMethod::kIsotonic, p, std::vector<int>{0, 2}, 2).ok());
  const std::vector<double> nan_p = {0.5, 0.5, std::nan(""), 0.8};
  EXPECT_FALSE(
      Calibrator::Fit(CalibrationMethod::kIsotonic, nan_p, std::vector<int>{0, 1}, 2).ok());
  EXPECT_FALSE(ParseCalibrationMethod("platt").ok());
}

TEST(CalibrationTest, FromJsonRejectsDamagedState) {
  auto expect_error = [](const char* text, int k, const std::string& field) {
    auto r = Calibrator::FromJson(nlohmann::json::parse(text), k, "x/model.json");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kParseError);
    EXPECT_NE(r.status().message().find("x/model.json"), std::string::npos);
    EXPECT_NE(r.status().message().find(field), std::string::npos) << r.status().message();
  };
  expect_error(R"({"method":"platt"})", 2, "calibration.method");
  expect_error(R"({"method":3})", 2, "calibration.method");
  expect_error(R"({"method":"temperature","temperature":0})", 2, "calibration.temperature");
  expect_error(R"({"method":"temperature","temperature":"2"})", 2, "calibration.temperature");
  expect_error(R"({"method":"temperature","temperature":2})", 0, "calibration.method");
  expect_error(R"({"method":"isotonic","isotonic":[{"x":[0.5],"y":[0]}]})", 2,
               "calibration.isotonic");
  expect_error(
      R"({"method":"isotonic","isotonic":[{"x":[0.5,0.4],"y":[0,1]},{"x":[0.5],"y":[0]}]})", 2,
      "calibration.isotonic[0]");
  expect_error(R"({"method":"isotonic","isotonic":[{"x":[0.5],"y":[2]},{"x":[0.5],"y":[0]}]})", 2,
               "calibration.isotonic[0]");
  expect_error(R"({"method":"isotonic","isotonic":[{"x":[0.5],"y":[0]},{"x":[],"y":[]}]})", 2,
               "calibration.isotonic[1]");
  expect_error(R"([1,2])", 2, "calibration");
}

}  // namespace
}  // namespace arus::ml
