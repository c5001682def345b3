// Statistics that ask whether a backtest's Sharpe ratio is real or the luck of the best of many
// tries (formulas and conventions: docs/backtest-metrics.md):
// - the probabilistic Sharpe ratio (Bailey & Lopez de Prado 2012): the probability that the true
//   Sharpe ratio exceeds a benchmark, given the track length, skewness and kurtosis of returns;
// - the deflated Sharpe ratio (Bailey & Lopez de Prado 2014): the PSR against the Sharpe ratio
//   the best of N unskilled trials would reach by chance;
// - the probability of backtest overfitting by combinatorially symmetric cross-validation
//   (CSCV, Bailey, Borwein, Lopez de Prado & Zhu 2015).
// Sharpe ratios here are per period (not annualised): mean / sample standard deviation of the
// per-period returns, the same frequency for the strategy and the trials.
// Undefined statistics (zero variance, fewer than 2 observations) are NaN, never an error;
// malformed input (NaN returns, shape mismatch) is InvalidArgument.
// Thread-safety: free functions; reentrant.
#pragma once

#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <vector>

#include "core/status.h"

namespace arus::validation {

// Standard normal distribution function and its inverse (|error| < 1e-15 relative in the
// quantile after one Halley step). NormalQuantile(0) = -inf, (1) = +inf, NaN outside [0, 1].
double NormalCdf(double x);
double NormalQuantile(double p);

// Sample moments of a return series. `stdev` divides by n - 1; skewness m3 / m2^1.5 and
// kurtosis m4 / m2^2 use the central moments m_k = mean((r - mean)^k) (kurtosis is not excess:
// 3 for a normal distribution). sharpe = mean / stdev. NaN where undefined (n < 2, stdev 0).
struct ReturnMoments {
  size_t n = 0;
  double mean = 0;
  double stdev = 0;
  double skewness = 0;
  double kurtosis = 0;
  double sharpe = 0;
};
ReturnMoments ComputeMoments(std::span<const double> returns);

// P[true SR > sr_benchmark] = Phi((sr - sr_benchmark) sqrt(n - 1) /
//                                 sqrt(1 - skewness sr + (kurtosis - 1) / 4 sr^2)).
// NaN when n < 2, an input is NaN or the variance term is not positive.
double ProbabilisticSharpeRatio(double sr, double sr_benchmark, double n, double skewness,
                                double kurtosis);

// The track length (observations) needed for PSR(sr_benchmark) >= confidence:
// 1 + (1 - skewness sr + (kurtosis - 1) / 4 sr^2) (z_confidence / (sr - sr_benchmark))^2.
// +inf when sr <= sr_benchmark; NaN when undefined.
double MinimumTrackRecordLength(double sr, double sr_benchmark, double skewness, double kurtosis,
                                double confidence = 0.95);

// E[max SR] of `trials` independent unskilled trials (true SR 0) whose Sharpe ratios have
// variance `sharpe_variance`: sqrt(V) ((1 - g) Phi^-1(1 - 1/N) + g Phi^-1(1 - 1/(N e))),
// g = Euler-Mascheroni constant. 0 when trials <= 1 or V <= 0 (one trial is not a selection).
double ExpectedMaxSharpe(double trials, double sharpe_variance);

struct DeflatedSharpe {
  size_t observations = 0;  // T
  double sharpe = 0;        // per period, of the selected strategy's returns
  double skewness = 0;
  double kurtosis = 0;
  size_t trials = 0;               // N (at least 1)
  double sharpe_variance = 0;      // sample variance of the trials' Sharpe ratios (0 for N < 2)
  double expected_max_sharpe = 0;  // SR0 = ExpectedMaxSharpe(N, variance)
  double psr = 0;                  // PSR(0): P[true SR > 0]
  double dsr = 0;                  // PSR(SR0): the deflated Sharpe ratio, a probability
};

struct DeflatedSharpeOptions {
  // The number of independent trials N when it differs from the number of Sharpe ratios given
  // (e.g. correlated trials clustered into fewer effective ones); 0 = trial_sharpes.size().
  double effective_trials = 0;
};

// `returns`: the selected strategy's per-period returns (T >= 1); `trial_sharpes`: the per-period
// Sharpe ratios of all N trials tried (including the selected one); empty means N = 1.
// InvalidArgument for NaN or infinite values.
Result<DeflatedSharpe> DeflatedSharpeRatio(std::span<const double> returns,
                                           std::span<const double> trial_sharpes,
                                           const DeflatedSharpeOptions& options = {});

// ---- CSCV: probability of backtest overfitting ---------------------------------------------

enum class PboMetric : uint8_t {
  kSharpe,      // mean / sample stdev of the rows (0 when stdev and mean are 0, +-inf when only
                // the stdev is 0)
  kMeanReturn,  // mean of the rows
};

struct PboOptions {
  size_t partitions = 16;  // S: even, 2..20 (C(20, 10) = 184,756 combinations)
  PboMetric metric = PboMetric::kSharpe;
};

struct PboResult {
  size_t periods = 0;       // T
  size_t trials = 0;        // N
  size_t partitions = 0;    // S
  size_t combinations = 0;  // C(S, S/2)
  // P[the in-sample best trial ranks at or below the median out of sample] = share of
  // combinations with logit <= 0.
  double pbo = 0;
  // Share of combinations where the in-sample best trial's out-of-sample metric is < 0.
  double prob_oos_loss = 0;
  // Least-squares fit oos = intercept + slope * is over the combinations (finite pairs only;
  // NaN with fewer than 2 or no spread in is): a negative slope is performance degradation.
  double degradation_slope = 0;
  double degradation_intercept = 0;
  double degradation_r2 = 0;
  // Per combination, in enumeration order (lexicographic training-block sets):
  std::vector<double> logits;    // ln(w / (1 - w)), w = OOS rank of the IS best / (N + 1)
  std::vector<double> is_best;   // the IS best trial's in-sample metric
  std::vector<double> oos_best;  // its out-of-sample metric
};

// `returns` is a T x N row-major matrix: row t holds the period-t return of each of the N
// trials. Rows are cut into S contiguous blocks of floor(T/S) or floor(T/S)+1 rows (the first
// T mod S blocks take one more). Every choice of S/2 blocks is an in-sample set, the other S/2
// the out-of-sample set. InvalidArgument for N < 2, odd or out-of-range S, T < 2 S, a size that
// is not T x N, or non-finite values.
Result<PboResult> ProbabilityOfBacktestOverfitting(std::span<const double> returns, size_t periods,
                                                   size_t trials, const PboOptions& options = {});

// JSON for metrics.json (NaN and infinities as null). The PBO JSON leaves out the per-combination
// vectors but keeps a 20-bin histogram of the logits.
void ToJson(nlohmann::json& j, const DeflatedSharpe& d);
void ToJson(nlohmann::json& j, const PboResult& p);

}  // namespace arus::validation
