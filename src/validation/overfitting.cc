// Probabilistic and deflated Sharpe ratios, and CSCV's probability of backtest overfitting.
#include "validation/overfitting.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

namespace arus::validation {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kEulerGamma = 0.57721566490153286061;

bool AllFinite(std::span<const double> v) {
  for (double x : v) {
    if (!std::isfinite(x)) return false;
  }
  return true;
}

nlohmann::json Num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

// The metric of one trial over a set of rows from its sums.
double Metric(PboMetric metric, double n, double sum, double sum_sq) {
  double mean = sum / n;
  if (metric == PboMetric::kMeanReturn) return mean;
  double var = (sum_sq - sum * mean) / (n - 1);
  // A variance at the rounding level of sum_sq is a constant series.
  if (!(var > 1e-12 * (sum_sq / n)) || !(var > 0)) {
    if (mean == 0) return 0;
    return mean > 0 ? kInf : -kInf;
  }
  return mean / std::sqrt(var);
}

}  // namespace

double NormalCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double NormalQuantile(double p) {
  if (std::isnan(p) || p < 0 || p > 1) return kNaN;
  if (p == 0) return -kInf;
  if (p == 1) return kInf;
  // Acklam's rational approximation (relative error 1.15e-9), then one Halley step.
  static constexpr double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                 -2.759285104469687e+02, 1.383577518672690e+02,
                                 -3.066479806614716e+01, 2.506628277459239e+00};
  static constexpr double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                 -1.556989798598866e+02, 6.680131188771972e+01,
                                 -1.328068155288572e+01};
  static constexpr double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                 -2.400758277161838e+00, -2.549732539343734e+00,
                                 4.374664141464968e+00,  2.938163982698783e+00};
  static constexpr double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
                                 2.445134137142996e+00, 3.754408661907416e+00};
  constexpr double kLow = 0.02425;
  double x;
  if (p < kLow) {
    double q = std::sqrt(-2 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - kLow) {
    double q = p - 0.5;
    double r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    double q = std::sqrt(-2 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  // Halley refinement against erfc; for the upper tail work with the complement so that
  // p close to 1 keeps its precision.
  double e = p < 0.5 ? 0.5 * std::erfc(-x / std::sqrt(2.0)) - p
                     : (1 - p) - 0.5 * std::erfc(x / std::sqrt(2.0));
  double u = e * std::sqrt(2 * M_PI) * std::exp(x * x / 2);
  x = x - u / (1 + x * u / 2);
  return x;
}

ReturnMoments ComputeMoments(std::span<const double> r) {
  ReturnMoments m;
  m.n = r.size();
  if (r.empty()) {
    m.mean = m.stdev = m.skewness = m.kurtosis = m.sharpe = kNaN;
    return m;
  }
  double sum = 0;
  for (double x : r) sum += x;
  m.mean = sum / r.size();
  double m2 = 0, m3 = 0, m4 = 0;
  for (double x : r) {
    double dv = x - m.mean;
    double d2 = dv * dv;
    m2 += d2;
    m3 += d2 * dv;
    m4 += d2 * d2;
  }
  double n = static_cast<double>(r.size());
  m.stdev = r.size() >= 2 ? std::sqrt(m2 / (n - 1)) : kNaN;
  m2 /= n;
  m3 /= n;
  m4 /= n;
  // Relative to the mean's scale, a variance this small is rounding noise: treat as constant.
  double scale = std::max(std::abs(m.mean), 1e-300);
  bool constant = !(std::sqrt(m2) > 1e-14 * scale);
  if (constant) {
    m.stdev = r.size() >= 2 ? 0.0 : kNaN;
    m.skewness = m.kurtosis = m.sharpe = kNaN;
    return m;
  }
  m.skewness = m3 / std::pow(m2, 1.5);
  m.kurtosis = m4 / (m2 * m2);
  m.sharpe = r.size() >= 2 ? m.mean / m.stdev : kNaN;
  return m;
}

double ProbabilisticSharpeRatio(double sr, double sr_benchmark, double n, double skewness,
                                double kurtosis) {
  if (!(n >= 2) || std::isnan(sr) || std::isnan(sr_benchmark) || std::isnan(skewness) ||
      std::isnan(kurtosis)) {
    return kNaN;
  }
  double v = 1 - skewness * sr + (kurtosis - 1) / 4 * sr * sr;
  if (!(v > 0) || !std::isfinite(v)) return kNaN;
  return NormalCdf((sr - sr_benchmark) * std::sqrt(n - 1) / std::sqrt(v));
}

double MinimumTrackRecordLength(double sr, double sr_benchmark, double skewness, double kurtosis,
                                double confidence) {
  if (std::isnan(sr) || std::isnan(sr_benchmark) || std::isnan(skewness) || std::isnan(kurtosis) ||
      !(confidence > 0 && confidence < 1)) {
    return kNaN;
  }
  double v = 1 - skewness * sr + (kurtosis - 1) / 4 * sr * sr;
  if (!(v > 0)) return kNaN;
  if (sr <= sr_benchmark) return kInf;
  double z = NormalQuantile(confidence) / (sr - sr_benchmark);
  return 1 + v * z * z;
}

double ExpectedMaxSharpe(double trials, double sharpe_variance) {
  if (!(trials > 1) || !(sharpe_variance > 0)) return 0;
  return std::sqrt(sharpe_variance) * ((1 - kEulerGamma) * NormalQuantile(1 - 1 / trials) +
                                       kEulerGamma * NormalQuantile(1 - 1 / (trials * M_E)));
}

Result<DeflatedSharpe> DeflatedSharpeRatio(std::span<const double> returns,
                                           std::span<const double> trial_sharpes,
                                           const DeflatedSharpeOptions& options) {
  if (!AllFinite(returns)) {
    return InvalidArgument("deflated Sharpe ratio: returns contain NaN or infinite values");
  }
  if (!AllFinite(trial_sharpes)) {
    return InvalidArgument(
        "deflated Sharpe ratio: trial Sharpe ratios contain NaN or infinite values");
  }
  if (options.effective_trials < 0 || std::isnan(options.effective_trials)) {
    return InvalidArgument("deflated Sharpe ratio: effective_trials must be >= 0");
  }
  DeflatedSharpe d;
  ReturnMoments m = ComputeMoments(returns);
  d.observations = m.n;
  d.sharpe = m.sharpe;
  d.skewness = m.skewness;
  d.kurtosis = m.kurtosis;
  double n_trials = options.effective_trials > 0 ? options.effective_trials
                                                 : static_cast<double>(trial_sharpes.size());
  d.trials = std::max<size_t>(1, static_cast<size_t>(std::llround(n_trials)));
  auto [lo, hi] = std::minmax_element(trial_sharpes.begin(), trial_sharpes.end());
  if (trial_sharpes.size() >= 2 && *lo != *hi) {  // equal values: exactly 0, not rounding noise
    double mean = 0;
    for (double s : trial_sharpes) mean += s;
    mean /= trial_sharpes.size();
    double ss = 0;
    for (double s : trial_sharpes) ss += (s - mean) * (s - mean);
    d.sharpe_variance = ss / (trial_sharpes.size() - 1);
  }
  d.expected_max_sharpe = ExpectedMaxSharpe(std::max(1.0, n_trials), d.sharpe_variance);
  d.psr = ProbabilisticSharpeRatio(d.sharpe, 0, static_cast<double>(m.n), m.skewness, m.kurtosis);
  d.dsr = ProbabilisticSharpeRatio(d.sharpe, d.expected_max_sharpe, static_cast<double>(m.n),
                                   m.skewness, m.kurtosis);
  return d;
}

Result<PboResult> ProbabilityOfBacktestOverfitting(std::span<const double> returns, size_t periods,
                                                   size_t trials, const PboOptions& options) {
  const size_t s = options.partitions;
  if (trials < 2) {
    return InvalidArgument("probability of backtest overfitting: needs at least 2 trials, got " +
                           std::to_string(trials));
  }
  if (s < 2 || s > 20 || s % 2 != 0) {
    return InvalidArgument(
        "probability of backtest overfitting: partitions must be even and in 2..20, got " +
        std::to_string(s));
  }
  if (periods < 2 * s) {
    return InvalidArgument("probability of backtest overfitting: " + std::to_string(periods) +
                           " periods is fewer than 2 per partition (" + std::to_string(s) +
                           " partitions)");
  }
  if (returns.size() != periods * trials) {
    return InvalidArgument("probability of backtest overfitting: matrix has " +
                           std::to_string(returns.size()) + " values, expected " +
                           std::to_string(periods) + " x " + std::to_string(trials));
  }
  if (!AllFinite(returns)) {
    return InvalidArgument(
        "probability of backtest overfitting: returns contain NaN or "
        "infinite values");
  }

  // Per block and trial: row count, sum and sum of squares, so each combination costs O(S N).
  std::vector<double> bsum(s * trials, 0), bsq(s * trials, 0);
  std::vector<double> brows(s, 0);
  const size_t base = periods / s, extra = periods % s;
  size_t row = 0;
  for (size_t b = 0; b < s; ++b) {
    size_t len = base + (b < extra ? 1 : 0);
    brows[b] = static_cast<double>(len);
    for (size_t k = 0; k < len; ++k, ++row) {
      const double* r = &returns[row * trials];
      for (size_t n = 0; n < trials; ++n) {
        bsum[b * trials + n] += r[n];
        bsq[b * trials + n] += r[n] * r[n];
      }
    }
  }

  PboResult res;
  res.periods = periods;
  res.trials = trials;
  res.partitions = s;
  std::vector<double> is_sum(trials), is_sq(trials), os_sum(trials), os_sq(trials);
  std::vector<double> is_metric(trials), os_metric(trials);
  // Lexicographic combinations of S/2 block indices out of S.
  std::vector<size_t> comb(s / 2);
  for (size_t i = 0; i < comb.size(); ++i) comb[i] = i;
  size_t below = 0, loss = 0;
  while (true) {
    std::vector<bool> in(s, false);
    for (size_t i : comb) in[i] = true;
    std::fill(is_sum.begin(), is_sum.end(), 0);
    std::fill(is_sq.begin(), is_sq.end(), 0);
    std::fill(os_sum.begin(), os_sum.end(), 0);
    std::fill(os_sq.begin(), os_sq.end(), 0);
    double is_rows = 0, os_rows = 0;
    for (size_t b = 0; b < s; ++b) {
      double* sum = in[b] ? is_sum.data() : os_sum.data();
      double* sq = in[b] ? is_sq.data() : os_sq.data();
      (in[b] ? is_rows : os_rows) += brows[b];
      for (size_t n = 0; n < trials; ++n) {
        sum[n] += bsum[b * trials + n];
        sq[n] += bsq[b * trials + n];
      }
    }
    size_t best = 0;
    for (size_t n = 0; n < trials; ++n) {
      is_metric[n] = Metric(options.metric, is_rows, is_sum[n], is_sq[n]);
      os_metric[n] = Metric(options.metric, os_rows, os_sum[n], os_sq[n]);
      if (is_metric[n] > is_metric[best]) best = n;
    }
    // Rank 1 = worst out of sample; ties share the average rank.
    double lower = 0, equal = 0;
    for (size_t n = 0; n < trials; ++n) {
      if (n == best) continue;
      if (os_metric[n] < os_metric[best]) {
        lower += 1;
      } else if (os_metric[n] == os_metric[best]) {
        equal += 1;
      }
    }
    double rank = 1 + lower + equal / 2;
    double w = rank / (trials + 1.0);
    double logit = std::log(w / (1 - w));
    res.logits.push_back(logit);
    res.is_best.push_back(is_metric[best]);
    res.oos_best.push_back(os_metric[best]);
    below += logit <= 0;
    loss += os_metric[best] < 0;

    // Next combination.
    size_t k = comb.size();
    while (k > 0 && comb[k - 1] == s - comb.size() + (k - 1)) --k;
    if (k == 0) break;
    ++comb[k - 1];
    for (size_t i = k; i < comb.size(); ++i) comb[i] = comb[i - 1] + 1;
  }
  res.combinations = res.logits.size();
  res.pbo = static_cast<double>(below) / res.combinations;
  res.prob_oos_loss = static_cast<double>(loss) / res.combinations;

  // Degradation: least squares of oos on is over the finite pairs.
  double n = 0, sx = 0, sy = 0;
  for (size_t i = 0; i < res.combinations; ++i) {
    if (!std::isfinite(res.is_best[i]) || !std::isfinite(res.oos_best[i])) continue;
    n += 1;
    sx += res.is_best[i];
    sy += res.oos_best[i];
  }
  res.degradation_slope = res.degradation_intercept = res.degradation_r2 = kNaN;
  if (n >= 2) {
    double mx = sx / n, my = sy / n, sxx = 0, sxy = 0, syy = 0;
    for (size_t i = 0; i < res.combinations; ++i) {
      if (!std::isfinite(res.is_best[i]) || !std::isfinite(res.oos_best[i])) continue;
      double dx = res.is_best[i] - mx, dy = res.oos_best[i] - my;
      sxx += dx * dx;
      sxy += dx * dy;
      syy += dy * dy;
    }
    if (sxx > 0) {
      res.degradation_slope = sxy / sxx;
      res.degradation_intercept = my - res.degradation_slope * mx;
      res.degradation_r2 = syy > 0 ? sxy * sxy / (sxx * syy) : kNaN;
    }
  }
  return res;
}

void ToJson(nlohmann::json& j, const DeflatedSharpe& d) {
  j = nlohmann::json::object();
  j["observations"] = d.observations;
  j["sharpe"] = Num(d.sharpe);
  j["skewness"] = Num(d.skewness);
  j["kurtosis"] = Num(d.kurtosis);
  j["trials"] = d.trials;
  j["sharpe_variance"] = Num(d.sharpe_variance);
  j["expected_max_sharpe"] = Num(d.expected_max_sharpe);
  j["psr"] = Num(d.psr);
  j["dsr"] = Num(d.dsr);
}

void ToJson(nlohmann::json& j, const PboResult& p) {
  j = nlohmann::json::object();
  j["periods"] = p.periods;
  j["trials"] = p.trials;
  j["partitions"] = p.partitions;
  j["combinations"] = p.combinations;
  j["pbo"] = Num(p.pbo);
  j["prob_oos_loss"] = Num(p.prob_oos_loss);
  j["degradation"] = {{"slope", Num(p.degradation_slope)},
                      {"intercept", Num(p.degradation_intercept)},
                      {"r2", Num(p.degradation_r2)}};
  // Logit histogram: 20 equal bins over [min, max] (one bin when all logits are equal).
  nlohmann::json hist = nlohmann::json::object();
  if (!p.logits.empty()) {
    auto [lo_it, hi_it] = std::minmax_element(p.logits.begin(), p.logits.end());
    double lo = *lo_it, hi = *hi_it;
    size_t bins = hi > lo ? 20 : 1;
    std::vector<size_t> counts(bins, 0);
    for (double l : p.logits) {
      size_t b = hi > lo ? static_cast<size_t>((l - lo) / (hi - lo) * bins) : 0;
      counts[std::min(b, bins - 1)]++;
    }
    std::vector<double> edges(bins + 1);
    for (size_t i = 0; i <= bins; ++i) edges[i] = lo + (hi - lo) * i / bins;
    hist["edges"] = edges;
    hist["counts"] = counts;
  }
  j["logit_histogram"] = hist;
}

}  // namespace arus::validation
