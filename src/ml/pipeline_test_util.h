// Test helpers for the ml pipeline tests: a seeded RNG, a temporary directory, and the
// save -> load -> bit-identical and Predict == PredictRow checks every learner must pass.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "ml/json_util.h"
#include "ml/model.h"

namespace arus::ml::test_util {

class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  double Uniform() { return static_cast<double>(g_.Next() >> 11) * 0x1.0p-53; }  // [0, 1)
  double Uniform(double a, double b) { return a + (b - a) * Uniform(); }
  double Normal() {
    const double u = 1.0 - Uniform();  // (0, 1]
    return std::sqrt(-2 * std::log(u)) * std::cos(6.283185307179586 * Uniform());
  }
  bool Bernoulli(double p) { return Uniform() < p; }

 private:
  SplitMix64 g_;
};

class TempDir {
 public:
  TempDir() {
    namespace fs = std::filesystem;
    static int n = 0;
    const char* base = std::getenv("ARUS_TEST_TMP");
    path_ = fs::path(base != nullptr ? base : fs::temp_directory_path().string()) /
            ("ml_test_" + std::to_string(::getpid()) + "_" + std::to_string(n++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string str() const { return path_.string(); }
  std::string sub(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline std::vector<std::string> Names(size_t n) {
  std::vector<std::string> v;
  for (size_t i = 0; i < n; ++i) v.push_back("f" + std::to_string(i));
  return v;
}

inline std::vector<double> PredictAll(const Model& m, const Matrix& x) {
  std::vector<double> out(x.rows * m.info().outputs());
  Status st = m.Predict(x.view(), out);
  EXPECT_TRUE(st.ok()) << st.ToString();
  return out;
}

inline void ExpectBitIdentical(const std::vector<double>& a, const std::vector<double>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(std::bit_cast<uint64_t>(a[i]), std::bit_cast<uint64_t>(b[i]))
        << "value " << i << ": " << a[i] << " vs " << b[i];
  }
}

// Predict == PredictRow bit for bit, and save -> load predicts the same bits with the same info.
inline void CheckRowPathAndRoundTrip(const Model& m, const Matrix& x, const std::string& dir) {
  const std::vector<double> batch = PredictAll(m, x);
  const size_t k = m.info().outputs();
  std::vector<double> rows(batch.size());
  for (size_t r = 0; r < x.rows; ++r) {
    Status st = m.PredictRow(std::span<const double>(x.row(r), x.cols),
                             std::span<double>(rows.data() + r * k, k));
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
  ExpectBitIdentical(batch, rows);

  ASSERT_TRUE(m.Save(dir).ok());
  auto loaded = LoadModel(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  const ModelInfo& a = m.info();
  const ModelInfo& b = (*loaded)->info();
  EXPECT_EQ(a.learner, b.learner);
  EXPECT_EQ(a.task, b.task);
  EXPECT_EQ(a.params, b.params);
  EXPECT_EQ(a.feature_names, b.feature_names);
  EXPECT_EQ(a.classes, b.classes);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.train_rows, b.train_rows);
  EXPECT_EQ(a.train_from, b.train_from);
  EXPECT_EQ(a.train_to, b.train_to);
  ExpectBitIdentical(batch, PredictAll(**loaded, x));
  ExpectBitIdentical(m.FeatureImportance(), (*loaded)->FeatureImportance());
}

}  // namespace arus::ml::test_util
