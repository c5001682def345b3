#include "validation/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

namespace arus::validation {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// --- Classification -----------------------------------------------------------------------------

// Six rows over classes (-1, 0, +1); worked by hand in the comments.
struct Example {
  std::vector<double> classes{-1, 0, 1};
  std::vector<double> y{1, 1, -1, 0, -1, 1};
  std::vector<double> proba{
      0.1, 0.2, 0.7,  // pred +1, correct
      0.5, 0.1, 0.4,  // pred -1, wrong
      0.6, 0.3, 0.1,  // pred -1, correct
      0.2, 0.5, 0.3,  // pred 0, correct
      0.3, 0.3, 0.4,  // pred +1, wrong
      0.2, 0.2, 0.6,  // pred +1, correct
  };
};

TEST(Classification, HandWorkedExample) {
  const Example e;
  auto m = EvaluateClassification(e.y, e.proba, e.classes);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->n, 6u);
  EXPECT_EQ(m->classes, e.classes);
  EXPECT_DOUBLE_EQ(m->accuracy, 4.0 / 6);
  using Row = std::vector<size_t>;
  EXPECT_EQ(m->confusion, (std::vector<Row>{Row{1, 0, 1}, Row{0, 1, 0}, Row{1, 0, 2}}));
  // Recall: 1/2, 1/1, 2/3. Precision (predicted 2, 1, 3 times): 1/2, 1/1, 2/3.
  ASSERT_EQ(m->recall.size(), 3u);
  EXPECT_DOUBLE_EQ(m->recall[0], 0.5);
  EXPECT_DOUBLE_EQ(m->recall[1], 1.0);
  EXPECT_DOUBLE_EQ(m->recall[2], 2.0 / 3);
  EXPECT_DOUBLE_EQ(m->precision[0], 0.5);
  EXPECT_DOUBLE_EQ(m->precision[1], 1.0);
  EXPECT_DOUBLE_EQ(m->precision[2], 2.0 / 3);
  EXPECT_DOUBLE_EQ(m->balanced_accuracy, (0.5 + 1.0 + 2.0 / 3) / 3);
  // p(true): 0.7, 0.4, 0.6, 0.5, 0.3, 0.6.
  EXPECT_NEAR(m->log_loss,
              -(std::log(0.7) + std::log(0.4) + std::log(0.6) + std::log(0.5) + std::log(0.3) +
                std::log(0.6)) /
                  6,
              1e-15);
  // Per-row squared errors: 0.14, 0.62, 0.26, 0.38, 0.74, 0.24.
  EXPECT_NEAR(m->brier, 2.38 / 6, 1e-15);
  // One-vs-rest AUC by pair counting: -1: 7/8; 0: 5/5; +1: (3 + 2.5 + 3)/9.
  EXPECT_NEAR(m->roc_auc, (7.0 / 8 + 1.0 + 8.5 / 9) / 3, 1e-15);
  // Marginals: true (2, 1, 3)/6, predicted (2, 1, 3)/6.
  EXPECT_NEAR(m->chance_accuracy, (4.0 + 1 + 9) / 36, 1e-15);
  EXPECT_DOUBLE_EQ(m->binomial_p, BinomialTestTwoSided(4, 6, m->chance_accuracy));
}

TEST(Classification, ArgmaxTakesTheFirstClassOnTiesAndLogLossClips) {
  const std::vector<double> classes{-1, 1};
  const std::vector<double> y{1, -1};
  const std::vector<double> proba{0.5, 0.5, 0.0, 1.0};  // tie -> -1 (wrong); p(true)=0 clipped
  auto m = EvaluateClassification(y, proba, classes);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->confusion[1][0], 1u);
  EXPECT_EQ(m->confusion[0][1], 1u);
  EXPECT_DOUBLE_EQ(m->accuracy, 0);
  EXPECT_NEAR(m->log_loss, (-std::log(0.5) - std::log(1e-15)) / 2, 1e-12);
  EXPECT_DOUBLE_EQ(m->brier, (0.25 + 0.25 + 1 + 1) / 2);
  // AUC of +1: positive row 0 scores 0.5, negative row 1 scores 1.0.
  EXPECT_DOUBLE_EQ(m->roc_auc, 0);
}

TEST(Classification, AbsentClassesGiveNaN) {
  const std::vector<double> classes{-1, 0, 1};
  const std::vector<double> y{1, -1, 1, -1};  // class 0 never true, never predicted
  const std::vector<double> proba{0.1, 0.2, 0.7, 0.8, 0.1, 0.1, 0.6, 0.1, 0.3, 0.2, 0.1, 0.7};
  auto m = EvaluateClassification(y, proba, classes);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(std::isnan(m->recall[1]));
  EXPECT_TRUE(std::isnan(m->precision[1]));
  EXPECT_TRUE(std::isnan(m->roc_auc));  // no positives for class 0
  // Recall -1: 1/2 (row 2 predicted -1 but true +1), +1: 1/2 -> balanced over present classes.
  EXPECT_DOUBLE_EQ(m->recall[0], 0.5);
  EXPECT_DOUBLE_EQ(m->recall[2], 0.5);
  EXPECT_DOUBLE_EQ(m->balanced_accuracy, 0.5);

  nlohmann::json j;
  ToJson(j, *m);
  EXPECT_TRUE(j["recall"][1].is_null());
  EXPECT_TRUE(j["precision"][1].is_null());
  EXPECT_TRUE(j["roc_auc"].is_null());
  EXPECT_DOUBLE_EQ(j["recall"][0].get<double>(), 0.5);
  EXPECT_EQ(j["n"].get<size_t>(), 4u);
  EXPECT_EQ(j["confusion"][0][2].get<size_t>(), 1u);
  EXPECT_DOUBLE_EQ(j["accuracy"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(j["binomial_p"].get<double>(), m->binomial_p);
  EXPECT_EQ(j["classes"], (nlohmann::json{-1.0, 0.0, 1.0}));
  for (const char* key : {"balanced_accuracy", "log_loss", "brier", "chance_accuracy"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j.dump().find("NaN"), std::string::npos);
}

// Reference AUC: fraction of (positive, negative) pairs ranked correctly, ties counting 1/2.
double PairAuc(const std::vector<double>& score, const std::vector<bool>& pos) {
  double good = 0, pairs = 0;
  for (size_t i = 0; i < score.size(); ++i) {
    for (size_t j = 0; j < score.size(); ++j) {
      if (!pos[i] || pos[j]) continue;
      pairs += 1;
      good += score[i] > score[j] ? 1.0 : score[i] == score[j] ? 0.5 : 0.0;
    }
  }
  return good / pairs;
}

TEST(Classification, AucMatchesPairCountingWithTies) {
  std::mt19937_64 rng(3);
  for (int trial = 0; trial < 50; ++trial) {
    const size_t n = 40 + static_cast<size_t>(trial) * 3;
    const size_t c = trial % 2 ? 2 : 3;
    // Class values deliberately not sorted: the binary AUC is that of the larger value.
    const std::vector<double> classes =
        c == 2 ? std::vector<double>{2, -3} : std::vector<double>{5, -1, 0};
    std::vector<double> y(n), proba(n * c);
    std::vector<size_t> truth(n);
    for (size_t i = 0; i < n; ++i) {
      truth[i] = rng() % c;
      if (i < c) truth[i] = i;  // every class present
      y[i] = classes[truth[i]];
      double sum = 0;
      for (size_t k = 0; k < c; ++k) {
        // Coarse scores (tenths) so that ties are common; shifted towards the true class.
        proba[i * c + k] = std::round((rng() % 10 + (k == truth[i] ? 3.0 : 0.0))) / 10;
        sum += proba[i * c + k];
      }
      for (size_t k = 0; k < c; ++k) proba[i * c + k] /= sum;  // sum > 0: the true class >= 0.3
    }
    auto m = EvaluateClassification(y, proba, classes);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    const auto auc_of = [&](size_t k) {
      std::vector<double> s(n);
      std::vector<bool> pos(n);
      for (size_t i = 0; i < n; ++i) {
        s[i] = proba[i * c + k];
        pos[i] = truth[i] == k;
      }
      return PairAuc(s, pos);
    };
    double expected;
    if (c == 2) {
      expected = auc_of(0);  // class 2 > -3
    } else {
      expected = (auc_of(0) + auc_of(1) + auc_of(2)) / 3;
    }
    EXPECT_NEAR(m->roc_auc, expected, 1e-12) << "trial " << trial;

    // chance_accuracy from the marginals, counted independently.
    std::vector<double> tc(c, 0), pc(c, 0);
    for (size_t i = 0; i < n; ++i) {
      size_t best = 0;
      for (size_t k = 1; k < c; ++k) {
        if (proba[i * c + k] > proba[i * c + best]) best = k;
      }
      tc[truth[i]] += 1;
      pc[best] += 1;
    }
    double chance = 0;
    for (size_t k = 0; k < c; ++k) chance += tc[k] * pc[k] / double(n) / double(n);
    EXPECT_NEAR(m->chance_accuracy, chance, 1e-12);
  }
}

void ExpectError(const Status& s, const std::string& needle) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s.ToString();
  EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
}

TEST(Classification, RejectsBadInput) {
  const std::vector<double> classes{-1, 1};
  const std::vector<double> y{1, -1};
  const std::vector<double> proba{0.3, 0.7, 0.6, 0.4};
  ExpectError(EvaluateClassification({}, {}, classes).status(), "no rows");
  ExpectError(EvaluateClassification(y, std::vector<double>{1, 0}, std::vector<double>{1}).status(),
              "need >= 2 classes");
  ExpectError(EvaluateClassification(y, std::vector<double>{0.3, 0.7, 0.6}, classes).status(),
              "proba has 3 values, expected rows 2 x classes 2");
  ExpectError(EvaluateClassification(std::vector<double>{1, 0}, proba, classes).status(),
              "row 1: true value 0.000000 is not one of the classes");
  ExpectError(EvaluateClassification(std::vector<double>{kNaN, 1}, proba, classes).status(),
              "row 0: true value");
  ExpectError(EvaluateClassification(y, std::vector<double>{0.3, 0.7, kNaN, 0.4}, classes).status(),
              "row 1: probability of class 0");
  ExpectError(EvaluateClassification(y, std::vector<double>{0.3, -0.1, 0.6, 0.4}, classes).status(),
              "row 0: probability of class 1");
  ExpectError(EvaluateClassification(y, proba, std::vector<double>{1, 1}).status(),
              "duplicate class");
  ExpectError(EvaluateClassification(y, proba, std::vector<double>{1, kNaN}).status(),
              "not finite");
}

// --- Regression ---------------------------------------------------------------------------------

TEST(Regression, HandWorkedExample) {
  const std::vector<double> y{1, -2, 3, 0};
  const std::vector<double> p{2, -1, 1, 1};
  auto m = EvaluateRegression(y, p);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->n, 4u);
  // Errors 1, 1, -2, 1: SSE 7, SAE 5. mean(y) = 0.5, SST = 13.
  EXPECT_DOUBLE_EQ(m->rmse, std::sqrt(7.0 / 4));
  EXPECT_DOUBLE_EQ(m->mae, 5.0 / 4);
  EXPECT_DOUBLE_EQ(m->r2, 1 - 7.0 / 13);
  // Deviations y (.5, -2.5, 2.5, -.5), p (1.25, -1.75, .25, .25): Sxy 5.5, Sxx 13, Syy 4.75.
  EXPECT_NEAR(m->pearson, 5.5 / std::sqrt(13 * 4.75), 1e-15);
  // Ranks y (3, 1, 4, 2), p (4, 1, 2.5, 2.5): Sxy 3, Sxx 5, Syy 4.5.
  EXPECT_NEAR(m->ic, 3 / std::sqrt(5 * 4.5), 1e-15);
  EXPECT_DOUBLE_EQ(m->hit_rate, 1.0);  // row 3 (y = 0) excluded, the other 3 agree in sign

  nlohmann::json j;
  ToJson(j, *m);
  EXPECT_DOUBLE_EQ(j["rmse"].get<double>(), m->rmse);
  EXPECT_DOUBLE_EQ(j["ic"].get<double>(), m->ic);
  EXPECT_EQ(j["n"].get<size_t>(), 4u);
  for (const char* key : {"mae", "r2", "pearson", "hit_rate"}) EXPECT_TRUE(j.contains(key)) << key;
}

TEST(Regression, ConstantSidesAndNoSignsGiveNaN) {
  const std::vector<double> y{0.1, 0.1, 0.1};
  const std::vector<double> p{0, 0, 0.5};
  auto m = EvaluateRegression(y, p);
  ASSERT_TRUE(m.ok());
  EXPECT_TRUE(std::isnan(m->r2));
  EXPECT_TRUE(std::isnan(m->ic));
  EXPECT_TRUE(std::isnan(m->pearson));
  EXPECT_DOUBLE_EQ(m->hit_rate, 1.0);
  auto z = EvaluateRegression(std::vector<double>{0, 1}, std::vector<double>{1, 0});
  ASSERT_TRUE(z.ok());
  EXPECT_TRUE(std::isnan(z->hit_rate));
  nlohmann::json j;
  ToJson(j, *m);
  EXPECT_TRUE(j["r2"].is_null());
  EXPECT_TRUE(j["ic"].is_null());
}

TEST(Regression, RejectsBadInput) {
  ExpectError(EvaluateRegression(std::vector<double>{1, 2}, std::vector<double>{1}).status(),
              "y_true has 2 rows but y_pred has 1");
  ExpectError(EvaluateRegression(std::vector<double>{1}, std::vector<double>{1}).status(),
              "need >= 2 rows");
  ExpectError(EvaluateRegression(std::vector<double>{1, kNaN}, std::vector<double>{1, 2}).status(),
              "row 1 has a non-finite value");
  ExpectError(EvaluateRegression(std::vector<double>{1, 2},
                                 std::vector<double>{std::numeric_limits<double>::infinity(), 2})
                  .status(),
              "row 0");
}

// --- Spearman -----------------------------------------------------------------------------------

// Reference: rank = (number smaller) + (number equal + 1) / 2, then the textbook Pearson formula.
double RefSpearman(const std::vector<double>& x, const std::vector<double>& y) {
  const size_t n = x.size();
  const auto ranks = [n](const std::vector<double>& v) {
    std::vector<double> r(n);
    for (size_t i = 0; i < n; ++i) {
      double less = 0, equal = 0;
      for (size_t j = 0; j < n; ++j) {
        less += v[j] < v[i];
        equal += v[j] == v[i];
      }
      r[i] = less + (equal + 1) / 2;
    }
    return r;
  };
  const std::vector<double> a = ranks(x), b = ranks(y);
  long double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (size_t i = 0; i < n; ++i) {
    sa += a[i];
    sb += b[i];
    saa += a[i] * a[i];
    sbb += b[i] * b[i];
    sab += a[i] * b[i];
  }
  const long double dn = n;
  return static_cast<double>((dn * sab - sa * sb) /
                             std::sqrt((dn * saa - sa * sa) * (dn * sbb - sb * sb)));
}

TEST(Spearman, HandWorkedAndReferenceWithTies) {
  EXPECT_NEAR(SpearmanCorrelation(std::vector<double>{1, 2, 2, 3}, std::vector<double>{1, 3, 2, 4}),
              4.5 / std::sqrt(4.5 * 5), 1e-15);
  EXPECT_DOUBLE_EQ(
      SpearmanCorrelation(std::vector<double>{1, 2, 3}, std::vector<double>{10, 200, 3000}), 1.0);
  EXPECT_DOUBLE_EQ(
      SpearmanCorrelation(std::vector<double>{1, 2, 3}, std::vector<double>{3, 2, -50}), -1.0);
  std::mt19937_64 rng(5);
  for (int trial = 0; trial < 40; ++trial) {
    const size_t n = 5 + static_cast<size_t>(trial) * 7;
    std::vector<double> x(n), y(n);
    for (size_t i = 0; i < n; ++i) {
      x[i] = static_cast<double>(rng() % 8);  // many ties
      y[i] = x[i] * 0.5 + static_cast<double>(rng() % 5);
    }
    EXPECT_NEAR(SpearmanCorrelation(x, y), RefSpearman(x, y), 1e-12) << "trial " << trial;
  }
}

TEST(Spearman, DegenerateInputsGiveNaN) {
  EXPECT_TRUE(
      std::isnan(SpearmanCorrelation(std::vector<double>{1, 1, 1}, std::vector<double>{1, 2, 3})));
  EXPECT_TRUE(std::isnan(SpearmanCorrelation(std::vector<double>{1}, std::vector<double>{1})));
  EXPECT_TRUE(
      std::isnan(SpearmanCorrelation(std::vector<double>{1, 2}, std::vector<double>{1, 2, 3})));
  EXPECT_TRUE(std::isnan(
      SpearmanCorrelation(std::vector<double>{1, kNaN, 3}, std::vector<double>{1, 2, 3})));
}

// --- Binomial test ------------------------------------------------------------------------------

TEST(BinomialTest, MatchesRBinomTest) {
  // Published R output: binom.test(7, 20, 0.5) p = 0.2632; binom.test(60, 100, 0.5) p = 0.05689.
  EXPECT_NEAR(BinomialTestTwoSided(7, 20, 0.5), 0.2632, 5e-5);
  EXPECT_NEAR(BinomialTestTwoSided(60, 100, 0.5), 0.05689, 5e-6);
  // R's algorithm evaluated exactly in rational arithmetic (Python Fraction and math.comb).
  struct Case {
    size_t k, n;
    double p, expected;
  };
  const Case cases[] = {
      {7, 20, 0.5, 0.26317596435546875},
      {4, 6, 14.0 / 36, 0.21628362202953852},  // the HandWorkedExample classifier
      {60, 100, 0.5, 0.056887933640980792},
      {10150, 20000, 0.5, 0.034491372609841061},
      {7, 10, 0.3, 0.010592078399999998},
      {0, 10, 0.3, 0.038839603300000002},
      {10, 10, 0.3, 5.9048999999999978e-6},
      {0, 30, 0.3, 2.9817175665934298e-5},
      {2, 50, 0.9, 9.9675999999998942e-46},
      {47, 50, 0.9, 0.48006706414968475},
      {400, 1000, 0.33, 3.9213954868807221e-6},
      {11, 12, 0.25, 2.2053718566894531e-6},
      {3, 10, 0.3, 1.0},
      {1, 3, 1.0 / 3, 1.0},
      {30, 90, 1.0 / 3, 1.0},
  };
  for (const Case& c : cases) {
    EXPECT_NEAR(BinomialTestTwoSided(c.k, c.n, c.p) / c.expected, 1.0, 1e-11)
        << c.k << "/" << c.n << " p=" << c.p;
  }
}

TEST(BinomialTest, LargeNMatchesHighPrecisionSums) {
  // 40-digit mpmath sums of the densities beyond the same boundaries.
  struct Case {
    size_t k, n;
    double p, expected;
  };
  const Case cases[] = {
      {500800, 1000000, 0.5, 0.10982055650614941},
      {499000, 1000000, 0.5, 0.045608299865382086},
      {300900, 1000000, 0.3, 0.049661214177924118},
      {299000, 1000000, 0.3, 0.029096319030430348},
      {334000, 1000000, 1.0 / 3, 0.15740302429669887},
      {50010000, 100000000, 0.5, 0.045511062629615713},
      {33340000, 100000000, 1.0 / 3, 0.15730958514131177},
  };
  for (const Case& c : cases) {
    EXPECT_NEAR(BinomialTestTwoSided(c.k, c.n, c.p) / c.expected, 1.0, 1e-9)
        << c.k << "/" << c.n << " p=" << c.p;
  }
  // 6.5e-2680: underflows to zero rather than anything positive.
  EXPECT_EQ(BinomialTestTwoSided(250000, 1000000, 0.3), 0.0);
}

TEST(BinomialTest, SymmetryAndExtremes) {
  for (size_t n : {1u, 2u, 9u, 20u, 101u, 5000u}) {
    for (size_t k = 0; k <= n; k += std::max<size_t>(1, n / 17)) {
      EXPECT_DOUBLE_EQ(BinomialTestTwoSided(k, n, 0.5), BinomialTestTwoSided(n - k, n, 0.5))
          << k << "/" << n;
    }
    // k = 0 and k = n at p = 0.5: both tails, 2 * 0.5^n (1 for n = 1).
    EXPECT_NEAR(BinomialTestTwoSided(0, n, 0.5), std::min(1.0, 2 * std::pow(0.5, n)),
                1e-12 * std::pow(0.5, n));
    EXPECT_NEAR(BinomialTestTwoSided(n, n, 0.5), std::min(1.0, 2 * std::pow(0.5, n)),
                1e-12 * std::pow(0.5, n));
  }
  // Asymmetric p: swapping successes and failures mirrors the test.
  EXPECT_NEAR(BinomialTestTwoSided(3, 40, 0.2), BinomialTestTwoSided(37, 40, 0.8), 1e-13);
  EXPECT_DOUBLE_EQ(BinomialTestTwoSided(10, 20, 0.5), 1.0);  // k equals the mean
  EXPECT_DOUBLE_EQ(BinomialTestTwoSided(0, 0, 0.5), 1.0);
  EXPECT_DOUBLE_EQ(BinomialTestTwoSided(0, 10, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(BinomialTestTwoSided(1, 10, 0.0), 0.0);
  EXPECT_DOUBLE_EQ(BinomialTestTwoSided(10, 10, 1.0), 1.0);
  EXPECT_DOUBLE_EQ(BinomialTestTwoSided(9, 10, 1.0), 0.0);
  EXPECT_TRUE(std::isnan(BinomialTestTwoSided(11, 10, 0.5)));
  EXPECT_TRUE(std::isnan(BinomialTestTwoSided(1, 10, 1.5)));
  EXPECT_TRUE(std::isnan(BinomialTestTwoSided(1, 10, kNaN)));
}

// Reference: R's binom.test loop verbatim, densities from long-double lgamma over every outcome.
double RefBinomTest(size_t k, size_t n, double p) {
  const auto d = [&](size_t i) {
    const long double ln = std::lgamma((long double)n + 1) - std::lgamma((long double)i + 1) -
                           std::lgamma((long double)(n - i) + 1) + i * std::log((long double)p) +
                           (n - i) * std::log1p(-(long double)p);
    return std::exp(ln);
  };
  const long double dk = d(k) * (1 + 1e-7L);
  long double sum = 0;
  if (k == n * p) return 1;
  for (size_t i = 0; i <= n; ++i) {
    const bool same_side = (i < n * p) == (k < n * p);
    if (same_side ? (k < n * p ? i <= k : i >= k) : d(i) <= dk) sum += d(i);
  }
  return std::min(1.0, static_cast<double>(sum));
}

TEST(BinomialTest, MatchesBruteForceReference) {
  std::mt19937_64 rng(9);
  for (int trial = 0; trial < 400; ++trial) {
    const size_t n = 1 + rng() % 300;
    const size_t k = rng() % (n + 1);
    const double p = 0.02 + 0.96 * static_cast<double>(rng() % 1000) / 1000;
    const double ref = RefBinomTest(k, n, p);
    const double got = BinomialTestTwoSided(k, n, p);
    if (ref < 1e-300) {
      EXPECT_LT(got, 1e-290);
    } else {
      EXPECT_NEAR(got / ref, 1.0, 1e-9) << k << "/" << n << " p=" << p;
    }
  }
}

}  // namespace
}  // namespace arus::validation
