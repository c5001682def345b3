// Out-of-sample metrics for classifiers and regressors, and the statistics used to judge them
// (binomial test against chance, Spearman rank correlation). Definitions: docs/validation.md.
//
// Classification inputs are the true class values (e.g. -1 / 0 / +1), the predicted probabilities
// (row-major, one column per class in `classes` order) and the class list. The predicted class is
// the arg-max probability (the first class on ties). Classes absent from the true values still
// have a column; their recall is NaN.
//
// Thread-safety: free functions; reentrant.
#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace arus::validation {

struct ClassificationMetrics {
  size_t n = 0;
  std::vector<double> classes;
  double accuracy = 0;
  double balanced_accuracy = 0;  // mean recall over classes present in the true values
  double log_loss = 0;           // mean -ln p(true class), p clipped to [1e-15, 1]
  double brier = 0;              // mean over rows of sum_c (p_c - [y == c])^2
  double roc_auc = 0;  // binary: AUC of the larger class; multiclass: macro one-vs-rest (NaN if
                       // a class has no positives or no negatives)
  std::vector<double> precision;               // per class; NaN when never predicted
  std::vector<double> recall;                  // per class; NaN when never true
  std::vector<std::vector<size_t>> confusion;  // [true class][predicted class]
  // Accuracy expected if predictions were independent of the outcomes:
  // sum_c freq(true == c) * freq(predicted == c).
  double chance_accuracy = 0;
  // Two-sided exact binomial p-value of the number of correct predictions against
  // chance_accuracy: small means "better (or worse) than chance".
  double binomial_p = 1;
};

// InvalidArgument for shape mismatches, n == 0, fewer than 2 classes, true values that are not in
// `classes`, or probabilities that are NaN / negative.
Result<ClassificationMetrics> EvaluateClassification(std::span<const double> y_true,
                                                     std::span<const double> proba,
                                                     std::span<const double> classes);

struct RegressionMetrics {
  size_t n = 0;
  double rmse = 0;
  double mae = 0;
  double r2 = 0;  // 1 - SSE / SST (SST about the mean of y_true)
  double ic = 0;  // information coefficient: Spearman rank correlation (ties averaged)
  double pearson = 0;
  double hit_rate = 0;  // fraction of rows with sign(pred) == sign(y_true), zeros excluded
};

// InvalidArgument for shape mismatches, n < 2 or NaN values.
Result<RegressionMetrics> EvaluateRegression(std::span<const double> y_true,
                                             std::span<const double> y_pred);

// Spearman rank correlation with average ranks for ties; NaN when either side is constant.
double SpearmanCorrelation(std::span<const double> x, std::span<const double> y);
// Two-sided exact binomial test: the probability, under Binomial(n, p), of an outcome no more
// likely than k (the method of R's binom.test). Accurate for n up to 10^8 (log-space sums).
double BinomialTestTwoSided(size_t k, size_t n, double p);

// JSON renderings for metrics.json (field names as in the structs; NaN as null).
void ToJson(nlohmann::json& j, const ClassificationMetrics& m);
void ToJson(nlohmann::json& j, const RegressionMetrics& m);

}  // namespace arus::validation
