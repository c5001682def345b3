#include "validation/metrics.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

namespace arus::validation {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kLn2Pi = 1.837877066409345483560659472811;  // ln(2 pi)

std::string Str(size_t v) { return std::to_string(v); }

// --- Binomial density (Loader's saddle-point algorithm, as in R's dbinom) -----------------------
// The naive lgamma form loses ~1e-7 relative accuracy at n ~ 10^8 (lgamma(n) ~ 2e9), which is the
// size of the tie tolerance of the two-sided test; Loader's form stays at ~1e-15.

// ln(n!) - ln(sqrt(2 pi n) (n/e)^n): the error of Stirling's approximation.
double StirlingError(double n) {
  constexpr double S0 = 1.0 / 12, S1 = 1.0 / 360, S2 = 1.0 / 1260, S3 = 1.0 / 1680, S4 = 1.0 / 1188;
  if (n <= 15) return std::lgamma(n + 1) - (n + 0.5) * std::log(n) + n - 0.5 * kLn2Pi;
  const double nn = n * n;
  if (n > 500) return (S0 - S1 / nn) / n;
  if (n > 80) return (S0 - (S1 - S2 / nn) / nn) / n;
  if (n > 35) return (S0 - (S1 - (S2 - S3 / nn) / nn) / nn) / n;
  return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n;
}

// x ln(x / np) + np - x, computed without cancellation when x ~ np.
double Bd0(double x, double np) {
  if (std::fabs(x - np) < 0.1 * (x + np)) {
    double v = (x - np) / (x + np);
    double s = (x - np) * v;
    if (std::fabs(s) < DBL_MIN) return s;
    double ej = 2 * x * v;
    v *= v;
    for (int j = 1; j < 1000; ++j) {
      ej *= v;
      const double s1 = s + ej / (2 * j + 1);
      if (s1 == s) return s1;
      s = s1;
    }
  }
  return x * std::log(x / np) + np - x;
}

// ln P(X = x) for X ~ Binomial(n, p), 0 < p < 1, 0 <= x <= n.
double LogBinomPmf(double x, double n, double p, double q) {
  if (x == 0) return p < 0.1 ? -Bd0(n, n * q) - n * p : n * std::log(q);
  if (x == n) return q < 0.1 ? -Bd0(n, n * p) - n * q : n * std::log(p);
  const double lc = StirlingError(n) - StirlingError(x) - StirlingError(n - x) - Bd0(x, n * p) -
                    Bd0(n - x, n * q);
  const double lf = kLn2Pi + std::log(x) + std::log1p(-x / n);
  return lc - 0.5 * lf;
}

// Sum of P(X = i) for i = start, start + dir, ... while in [0, n]; `start` must be on the far side
// of the mode so terms shrink in direction `dir`. Stops once the remaining tail, bounded by a
// geometric series (the binomial is log-concave), is below 1e-17 of the sum.
double TailSum(int64_t start, int dir, int64_t n, double p, double q) {
  const double dn = static_cast<double>(n);
  const double ref = LogBinomPmf(static_cast<double>(start), dn, p, q);
  double sum = 0;
  double prev = ref;
  for (int64_t i = start; i >= 0 && i <= n; i += dir) {
    const double lp = i == start ? ref : LogBinomPmf(static_cast<double>(i), dn, p, q);
    const double t = std::exp(lp - ref);
    sum += t;
    const double r = std::exp(lp - prev);
    prev = lp;
    if (i != start && r < 1 && t * r / (1 - r) < 1e-17 * sum) break;
    if (t == 0) break;
  }
  return sum * std::exp(ref);
}

// --- Ranks -------------------------------------------------------------------------------------

// 1-based ranks with ties given their average rank. Sorting (value, index) pairs directly is
// several times faster than an indirect sort at 10^6 rows.
std::vector<double> AverageRanks(std::span<const double> v) {
  std::vector<std::pair<double, size_t>> order(v.size());
  for (size_t i = 0; i < v.size(); ++i) order[i] = {v[i], i};
  std::sort(order.begin(), order.end());
  std::vector<double> rank(v.size());
  for (size_t i = 0; i < order.size();) {
    size_t j = i + 1;
    while (j < order.size() && order[j].first == order[i].first) ++j;
    const double avg = 0.5 * (static_cast<double>(i + 1) + static_cast<double>(j));
    for (size_t t = i; t < j; ++t) rank[order[t].second] = avg;
    i = j;
  }
  return rank;
}

// Tested exactly: a rounded mean leaves tiny non-zero deviations in a constant series.
bool IsConstant(std::span<const double> v) {
  return std::all_of(v.begin(), v.end(), [&](double e) { return e == v[0]; });
}

double Pearson(std::span<const double> x, std::span<const double> y) {
  const size_t n = x.size();
  if (n < 2 || y.size() != n) return kNaN;
  if (IsConstant(x) || IsConstant(y)) return kNaN;
  double mx = 0, my = 0;
  for (size_t i = 0; i < n; ++i) {
    mx += x[i];
    my += y[i];
  }
  mx /= static_cast<double>(n);
  my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < n; ++i) {
    const double dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxy / std::sqrt(sxx * syy);
}

// Mann-Whitney AUC of the scores of positive rows against negative rows, ties counting 1/2;
// NaN without both kinds. Equals (sum of positive ranks - P(P+1)/2) / (P N) with average ranks.
double RankAuc(std::vector<std::pair<double, bool>>& scored) {
  std::sort(scored.begin(), scored.end());
  double pos = 0, neg = 0, wins = 0;
  for (size_t i = 0; i < scored.size();) {
    size_t j = i;
    double group_pos = 0, group_neg = 0;
    for (; j < scored.size() && scored[j].first == scored[i].first; ++j) {
      (scored[j].second ? group_pos : group_neg) += 1;
    }
    wins += group_pos * (neg + 0.5 * group_neg);  // beats every lower negative, ties count half
    pos += group_pos;
    neg += group_neg;
    i = j;
  }
  if (pos == 0 || neg == 0) return kNaN;
  return wins / (pos * neg);
}

nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

nlohmann::json NumArray(const std::vector<double>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (double x : v) a.push_back(Num(x));
  return a;
}

}  // namespace

double BinomialTestTwoSided(size_t k, size_t n, double p) {
  if (!(p >= 0 && p <= 1) || k > n) return kNaN;
  if (p == 0) return k == 0 ? 1 : 0;
  if (p == 1) return k == n ? 1 : 0;
  const double q = 1 - p;
  const double dn = static_cast<double>(n);
  const double dk = static_cast<double>(k);
  const double m = dn * p;
  if (dk == m) return 1;
  // Outcomes whose density is within R's relative tolerance of density(k) count as "as extreme".
  const double threshold = LogBinomPmf(dk, dn, p, q) + std::log1p(1e-7);
  const auto ld = [&](int64_t i) { return LogBinomPmf(static_cast<double>(i), dn, p, q); };
  const int64_t ni = static_cast<int64_t>(n);
  const int64_t ki = static_cast<int64_t>(k);
  double pval;
  if (dk < m) {
    // The density does not increase on [ceil(m), n]: find the first i there at or below it.
    int64_t lo = static_cast<int64_t>(std::ceil(m)), hi = ni + 1;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo) / 2;
      if (ld(mid) <= threshold) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    pval = TailSum(ki, -1, ni, p, q) + (lo <= ni ? TailSum(lo, +1, ni, p, q) : 0.0);
  } else {
    // The density does not decrease on [0, floor(m)]: find the last i there at or below it.
    int64_t lo = -1, hi = static_cast<int64_t>(std::floor(m));
    while (lo < hi) {
      const int64_t mid = hi - (hi - lo) / 2;
      if (ld(mid) <= threshold) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    pval = (lo >= 0 ? TailSum(lo, -1, ni, p, q) : 0.0) + TailSum(ki, +1, ni, p, q);
  }
  return std::min(1.0, pval);
}

double SpearmanCorrelation(std::span<const double> x, std::span<const double> y) {
  if (x.size() != y.size() || x.size() < 2) return kNaN;
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) || std::isnan(y[i])) return kNaN;
  }
  const std::vector<double> rx = AverageRanks(x), ry = AverageRanks(y);
  return Pearson(rx, ry);
}

Result<ClassificationMetrics> EvaluateClassification(std::span<const double> y_true,
                                                     std::span<const double> proba,
                                                     std::span<const double> classes) {
  const size_t n = y_true.size();
  const size_t c = classes.size();
  if (n == 0) return InvalidArgument("classification metrics: no rows");
  if (c < 2) return InvalidArgument("classification metrics: need >= 2 classes, got " + Str(c));
  for (size_t a = 0; a < c; ++a) {
    if (!std::isfinite(classes[a])) {
      return InvalidArgument("classification metrics: class " + Str(a) + " is not finite");
    }
    for (size_t b = 0; b < a; ++b) {
      if (classes[a] == classes[b]) {
        return InvalidArgument("classification metrics: duplicate class " +
                               std::to_string(classes[a]));
      }
    }
  }
  if (proba.size() != n * c) {
    return InvalidArgument("classification metrics: proba has " + Str(proba.size()) +
                           " values, expected rows " + Str(n) + " x classes " + Str(c));
  }

  ClassificationMetrics m;
  m.n = n;
  m.classes.assign(classes.begin(), classes.end());
  m.confusion.assign(c, std::vector<size_t>(c, 0));
  std::vector<size_t> truth(n), pred(n);
  double log_loss = 0, brier = 0;
  for (size_t i = 0; i < n; ++i) {
    const auto it = std::find(classes.begin(), classes.end(), y_true[i]);
    if (it == classes.end()) {
      return InvalidArgument("classification metrics: row " + Str(i) + ": true value " +
                             std::to_string(y_true[i]) + " is not one of the classes");
    }
    truth[i] = static_cast<size_t>(it - classes.begin());
    const double* row = proba.data() + i * c;
    size_t best = 0;
    for (size_t j = 0; j < c; ++j) {
      if (!(row[j] >= 0) || !std::isfinite(row[j])) {
        return InvalidArgument("classification metrics: row " + Str(i) + ": probability of class " +
                               Str(j) + " is " + std::to_string(row[j]));
      }
      if (row[j] > row[best]) best = j;
      const double target = j == truth[i] ? 1.0 : 0.0;
      brier += (row[j] - target) * (row[j] - target);
    }
    pred[i] = best;
    log_loss -= std::log(std::clamp(row[truth[i]], 1e-15, 1.0));
    ++m.confusion[truth[i]][best];
  }
  const double dn = static_cast<double>(n);
  m.log_loss = log_loss / dn;
  m.brier = brier / dn;

  size_t correct = 0;
  std::vector<size_t> true_count(c, 0), pred_count(c, 0);
  for (size_t a = 0; a < c; ++a) {
    correct += m.confusion[a][a];
    for (size_t b = 0; b < c; ++b) {
      true_count[a] += m.confusion[a][b];
      pred_count[b] += m.confusion[a][b];
    }
  }
  m.accuracy = static_cast<double>(correct) / dn;
  m.precision.assign(c, kNaN);
  m.recall.assign(c, kNaN);
  double recall_sum = 0;
  size_t present = 0;
  m.chance_accuracy = 0;
  for (size_t a = 0; a < c; ++a) {
    const double hit = static_cast<double>(m.confusion[a][a]);
    if (pred_count[a] > 0) m.precision[a] = hit / static_cast<double>(pred_count[a]);
    if (true_count[a] > 0) {
      m.recall[a] = hit / static_cast<double>(true_count[a]);
      recall_sum += m.recall[a];
      ++present;
    }
    m.chance_accuracy +=
        (static_cast<double>(true_count[a]) / dn) * (static_cast<double>(pred_count[a]) / dn);
  }
  m.balanced_accuracy = recall_sum / static_cast<double>(present);  // present >= 1 as n > 0
  m.binomial_p = BinomialTestTwoSided(correct, n, std::clamp(m.chance_accuracy, 0.0, 1.0));

  // One-vs-rest AUC; for two classes only the larger class value's (the "up" side for -1/+1).
  std::vector<std::pair<double, bool>> scored(n);
  const auto auc_of = [&](size_t cls) {
    for (size_t i = 0; i < n; ++i) scored[i] = {proba[i * c + cls], truth[i] == cls};
    return RankAuc(scored);
  };
  if (c == 2) {
    m.roc_auc = auc_of(classes[1] > classes[0] ? 1 : 0);
  } else {
    double sum = 0;
    for (size_t a = 0; a < c; ++a) sum += auc_of(a);  // NaN propagates
    m.roc_auc = sum / static_cast<double>(c);
  }
  return m;
}

Result<RegressionMetrics> EvaluateRegression(std::span<const double> y_true,
                                             std::span<const double> y_pred) {
  const size_t n = y_true.size();
  if (y_pred.size() != n) {
    return InvalidArgument("regression metrics: y_true has " + Str(n) + " rows but y_pred has " +
                           Str(y_pred.size()));
  }
  if (n < 2) return InvalidArgument("regression metrics: need >= 2 rows, got " + Str(n));
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(y_true[i]) || !std::isfinite(y_pred[i])) {
      return InvalidArgument("regression metrics: row " + Str(i) + " has a non-finite value (" +
                             std::to_string(y_true[i]) + ", " + std::to_string(y_pred[i]) + ")");
    }
  }
  RegressionMetrics m;
  m.n = n;
  const double dn = static_cast<double>(n);
  double mean = 0;
  for (double v : y_true) mean += v;
  mean /= dn;
  double sse = 0, sae = 0, sst = 0;
  size_t hits = 0, signed_rows = 0;
  for (size_t i = 0; i < n; ++i) {
    const double e = y_pred[i] - y_true[i];
    sse += e * e;
    sae += std::fabs(e);
    sst += (y_true[i] - mean) * (y_true[i] - mean);
    if (y_true[i] != 0 && y_pred[i] != 0) {
      ++signed_rows;
      if ((y_true[i] > 0) == (y_pred[i] > 0)) ++hits;
    }
  }
  m.rmse = std::sqrt(sse / dn);
  m.mae = sae / dn;
  m.r2 = IsConstant(y_true) ? kNaN : 1 - sse / sst;
  m.ic = SpearmanCorrelation(y_true, y_pred);
  m.pearson = Pearson(y_true, y_pred);
  m.hit_rate =
      signed_rows > 0 ? static_cast<double>(hits) / static_cast<double>(signed_rows) : kNaN;
  return m;
}

void ToJson(nlohmann::json& j, const ClassificationMetrics& m) {
  j = nlohmann::json::object();
  j["n"] = m.n;
  j["classes"] = NumArray(m.classes);
  j["accuracy"] = Num(m.accuracy);
  j["balanced_accuracy"] = Num(m.balanced_accuracy);
  j["log_loss"] = Num(m.log_loss);
  j["brier"] = Num(m.brier);
  j["roc_auc"] = Num(m.roc_auc);
  j["precision"] = NumArray(m.precision);
  j["recall"] = NumArray(m.recall);
  j["confusion"] = m.confusion;
  j["chance_accuracy"] = Num(m.chance_accuracy);
  j["binomial_p"] = Num(m.binomial_p);
}

void ToJson(nlohmann::json& j, const RegressionMetrics& m) {
  j = nlohmann::json::object();
  j["n"] = m.n;
  j["rmse"] = Num(m.rmse);
  j["mae"] = Num(m.mae);
  j["r2"] = Num(m.r2);
  j["ic"] = Num(m.ic);
  j["pearson"] = Num(m.pearson);
  j["hit_rate"] = Num(m.hit_rate);
}

}  // namespace arus::validation
