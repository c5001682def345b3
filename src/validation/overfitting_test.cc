#include "validation/overfitting.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

namespace arus::validation {
namespace {

// Independent references: the normal CDF from erfc and its inverse by bisection.
double RefCdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }
double RefQuantile(double p) {
  if (p > 0.5) return -RefQuantile(1 - p);  // the lower tail keeps the CDF's precision
  double lo = -40, hi = 40;
  for (int i = 0; i < 200; ++i) {
    double mid = (lo + hi) / 2;
    (RefCdf(mid) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

TEST(NormalTest, QuantileMatchesBisectionAcrossTails) {
  for (double p :
       {1e-12, 1e-6, 0.001, 0.02, 0.02425, 0.1, 0.3, 0.5, 0.7, 0.9, 0.975, 0.99, 0.999, 1 - 1e-9}) {
    EXPECT_NEAR(NormalQuantile(p), RefQuantile(p), 1e-9 * std::max(1.0, std::abs(RefQuantile(p))))
        << p;
  }
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963984540054, 1e-12);
  EXPECT_EQ(NormalQuantile(0.5), 0.0);
  EXPECT_TRUE(std::isinf(NormalQuantile(0)) && NormalQuantile(0) < 0);
  EXPECT_TRUE(std::isinf(NormalQuantile(1)) && NormalQuantile(1) > 0);
  EXPECT_TRUE(std::isnan(NormalQuantile(1.5)));
  EXPECT_TRUE(std::isnan(NormalQuantile(std::nan(""))));
  EXPECT_NEAR(NormalCdf(1.959963984540054), 0.975, 1e-14);
}

TEST(MomentsTest, HandWorkedValues) {
  // mean 4; deviations -3 -2 -1 0 6: m2 = 10, m3 = 36, m4 = 278.8.
  std::vector<double> r = {1, 2, 3, 4, 10};
  ReturnMoments m = ComputeMoments(r);
  EXPECT_EQ(m.n, 5u);
  EXPECT_DOUBLE_EQ(m.mean, 4);
  EXPECT_DOUBLE_EQ(m.stdev, std::sqrt(50.0 / 4));
  EXPECT_NEAR(m.skewness, 36 / std::pow(10.0, 1.5), 1e-12);
  EXPECT_NEAR(m.kurtosis, 2.788, 1e-12);
  EXPECT_NEAR(m.sharpe, 4 / std::sqrt(12.5), 1e-12);
}

TEST(MomentsTest, DegenerateSeriesAreNaNNotCrashes) {
  ReturnMoments e = ComputeMoments({});
  EXPECT_EQ(e.n, 0u);
  EXPECT_TRUE(std::isnan(e.mean));
  std::vector<double> one = {0.01};
  ReturnMoments o = ComputeMoments(one);
  EXPECT_DOUBLE_EQ(o.mean, 0.01);
  EXPECT_TRUE(std::isnan(o.stdev));
  EXPECT_TRUE(std::isnan(o.sharpe));
  std::vector<double> flat(50, 0.001);  // rounding would give a tiny nonzero variance
  ReturnMoments f = ComputeMoments(flat);
  EXPECT_EQ(f.stdev, 0.0);
  EXPECT_TRUE(std::isnan(f.sharpe));
  EXPECT_TRUE(std::isnan(f.skewness));
}

TEST(ProbabilisticSharpeTest, HandWorked) {
  // sr 0.1, n 101, normal returns: z = 0.1 * 10 / sqrt(1 + 0.5 * 0.01).
  double want = RefCdf(1.0 / std::sqrt(1.005));
  EXPECT_NEAR(ProbabilisticSharpeRatio(0.1, 0, 101, 0, 3), want, 1e-14);
  EXPECT_NEAR(want, 0.840741, 1e-6);
  // Negative skew and fat tails widen the estimate's error and lower the probability.
  EXPECT_LT(ProbabilisticSharpeRatio(0.1, 0, 101, -2, 9), want);
  // Against its own benchmark: exactly one half.
  EXPECT_DOUBLE_EQ(ProbabilisticSharpeRatio(0.2, 0.2, 50, 0, 3), 0.5);
  EXPECT_TRUE(std::isnan(ProbabilisticSharpeRatio(0.1, 0, 1, 0, 3)));
  EXPECT_TRUE(std::isnan(ProbabilisticSharpeRatio(std::nan(""), 0, 10, 0, 3)));
  // 1 - skew sr + (k - 1)/4 sr^2 <= 0 is undefined, not a bogus probability.
  EXPECT_TRUE(std::isnan(ProbabilisticSharpeRatio(1.0, 0, 100, 5, 1)));
}

TEST(ProbabilisticSharpeTest, MinimumTrackRecordLengthGivesTheConfidence) {
  double sr = 0.08, skew = -0.5, kurt = 5;
  double n = MinimumTrackRecordLength(sr, 0, skew, kurt, 0.95);
  EXPECT_NEAR(ProbabilisticSharpeRatio(sr, 0, n, skew, kurt), 0.95, 1e-12);
  EXPECT_TRUE(std::isinf(MinimumTrackRecordLength(0.05, 0.1, 0, 3)));
}

// The numerical example of Bailey & Lopez de Prado (2014), "The deflated Sharpe ratio", section
// 4: N = 100 trials, annualised variance of their Sharpe ratios 1/2, best annualised SR 2.5 over
// T = 1250 daily returns (250 a year), skewness -3, kurtosis 10. Published: E[max SR] = 0.1132
// (per day), DSR = 0.9004.
TEST(DeflatedSharpeTest, PaperExample) {
  const double var = 0.5 / 250, sr = 2.5 / std::sqrt(250.0);
  const double g = 0.5772156649015329;
  double sr0_ref = std::sqrt(var) * ((1 - g) * RefQuantile(1 - 1.0 / 100) +
                                     g * RefQuantile(1 - 1.0 / (100 * std::exp(1.0))));
  EXPECT_NEAR(ExpectedMaxSharpe(100, var), sr0_ref, 1e-12);
  EXPECT_NEAR(sr0_ref, 0.1132, 5e-5);
  double z = (sr - sr0_ref) * std::sqrt(1249.0) / std::sqrt(1 + 3 * sr + 9.0 / 4 * sr * sr);
  double dsr_ref = RefCdf(z);
  double dsr = ProbabilisticSharpeRatio(sr, ExpectedMaxSharpe(100, var), 1250, -3, 10);
  EXPECT_NEAR(dsr, dsr_ref, 1e-12);
  EXPECT_NEAR(dsr, 0.9004, 1e-3);
}

TEST(DeflatedSharpeTest, ExpectedMaxAgreesWithSimulation) {
  // E[max of N iid N(0, v)] by simulation; the paper's approximation is within a few percent.
  std::mt19937_64 rng(11);
  std::normal_distribution<double> z(0, 1);
  const int reps = 4000;
  for (int n : {10, 100}) {
    double sum = 0;
    for (int r = 0; r < reps; ++r) {
      double best = -1e300;
      for (int i = 0; i < n; ++i) best = std::max(best, 0.3 * z(rng));
      sum += best;
    }
    double sim = sum / reps;
    EXPECT_NEAR(ExpectedMaxSharpe(n, 0.09), sim, 0.04 * sim) << n;
  }
  EXPECT_LT(ExpectedMaxSharpe(10, 1), ExpectedMaxSharpe(100, 1));
  EXPECT_EQ(ExpectedMaxSharpe(1, 1), 0.0);
  EXPECT_EQ(ExpectedMaxSharpe(50, 0), 0.0);
}

std::vector<double> NoisyReturns(size_t n, double mean, double sd, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0, 1);
  std::vector<double> r(n);
  for (double& x : r) x = mean + sd * z(rng);
  return r;
}

TEST(DeflatedSharpeTest, FromSeriesAndTrials) {
  std::vector<double> r = NoisyReturns(500, 0.001, 0.01, 3);
  ReturnMoments m = ComputeMoments(r);
  std::vector<double> trials = {0.02, -0.05, 0.07, m.sharpe, 0.01, -0.02};
  auto d = DeflatedSharpeRatio(r, trials);
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->observations, 500u);
  EXPECT_EQ(d->trials, 6u);
  double mean = 0;
  for (double t : trials) mean += t;
  mean /= 6;
  double v = 0;
  for (double t : trials) v += (t - mean) * (t - mean);
  v /= 5;
  EXPECT_NEAR(d->sharpe_variance, v, 1e-15);
  EXPECT_NEAR(d->expected_max_sharpe, ExpectedMaxSharpe(6, v), 1e-15);
  EXPECT_NEAR(d->psr, ProbabilisticSharpeRatio(m.sharpe, 0, 500, m.skewness, m.kurtosis), 1e-15);
  EXPECT_NEAR(
      d->dsr,
      ProbabilisticSharpeRatio(m.sharpe, d->expected_max_sharpe, 500, m.skewness, m.kurtosis),
      1e-15);
  EXPECT_LT(d->dsr, d->psr);  // deflating for six tries lowers the confidence

  // More effective trials deflate further.
  DeflatedSharpeOptions o;
  o.effective_trials = 60;
  auto d60 = DeflatedSharpeRatio(r, trials, o);
  ASSERT_TRUE(d60.ok());
  EXPECT_EQ(d60->trials, 60u);
  EXPECT_LT(d60->dsr, d->dsr);
}

TEST(DeflatedSharpeTest, EdgeCases) {
  std::vector<double> r = NoisyReturns(200, 0.0005, 0.01, 5);
  // N = 1: no selection, DSR = PSR(0).
  auto one = DeflatedSharpeRatio(r, {});
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->trials, 1u);
  EXPECT_EQ(one->expected_max_sharpe, 0.0);
  EXPECT_DOUBLE_EQ(one->dsr, one->psr);
  // Trials with identical Sharpe ratios: zero variance, SR0 = 0.
  std::vector<double> same = {0.05, 0.05, 0.05};
  auto s = DeflatedSharpeRatio(r, same);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->sharpe_variance, 0.0);
  EXPECT_DOUBLE_EQ(s->dsr, s->psr);
  // Flat returns: the Sharpe ratio is undefined; NaN, not a crash or an error.
  std::vector<double> flat(100, 0.0);
  auto f = DeflatedSharpeRatio(flat, same);
  ASSERT_TRUE(f.ok());
  EXPECT_TRUE(std::isnan(f->sharpe));
  EXPECT_TRUE(std::isnan(f->dsr));
  nlohmann::json j;
  ToJson(j, *f);
  EXPECT_TRUE(j["dsr"].is_null());
  EXPECT_TRUE(j["sharpe"].is_null());
  EXPECT_EQ(j["trials"], 3);
  // Malformed input.
  std::vector<double> bad = {0.01, std::nan(""), 0.02};
  auto b = DeflatedSharpeRatio(bad, {});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().message().find("returns contain NaN"), std::string::npos);
  auto bt = DeflatedSharpeRatio(r, bad);
  ASSERT_FALSE(bt.ok());
  EXPECT_NE(bt.status().message().find("trial Sharpe"), std::string::npos);
}

// ---- PBO ------------------------------------------------------------------------------------

TEST(PboTest, HandWorkedTwoPartitions) {
  // Blocks: rows 0-1 and rows 2-3. Trial A: block means 0.03, -0.02; B: 0.01, 0.01.
  // IS block 0 picks A, which is last OOS (rank 1 of 2, w = 1/3); IS block 1 picks B, last OOS.
  std::vector<double> m = {0.02,  0.01,  //
                           0.04,  0.01,  //
                           -0.01, 0.00,  //
                           -0.03, 0.02};
  PboOptions o;
  o.partitions = 2;
  o.metric = PboMetric::kMeanReturn;
  auto r = ProbabilityOfBacktestOverfitting(m, 4, 2, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->combinations, 2u);
  ASSERT_EQ(r->logits.size(), 2u);
  EXPECT_NEAR(r->logits[0], std::log(0.5), 1e-12);
  EXPECT_NEAR(r->logits[1], std::log(0.5), 1e-12);
  EXPECT_EQ(r->pbo, 1.0);
  EXPECT_EQ(r->prob_oos_loss, 0.5);  // A loses out of sample, B does not
  EXPECT_NEAR(r->is_best[0], 0.03, 1e-15);
  EXPECT_NEAR(r->oos_best[0], -0.02, 1e-15);
  EXPECT_NEAR(r->is_best[1], 0.01, 1e-15);
  EXPECT_NEAR(r->oos_best[1], 0.01, 1e-15);
  // Through (0.03, -0.02) and (0.01, 0.01): slope -1.5, intercept 0.025, a perfect fit.
  EXPECT_NEAR(r->degradation_slope, -1.5, 1e-9);
  EXPECT_NEAR(r->degradation_intercept, 0.025, 1e-9);
  EXPECT_NEAR(r->degradation_r2, 1.0, 1e-9);
}

// Brute force written differently: subsets as bitmasks, Sharpe ratios from the raw rows with
// a two-pass variance.
struct RefPbo {
  double pbo;
  std::vector<double> logits;
};
RefPbo ReferencePbo(const std::vector<double>& m, size_t t, size_t n, size_t s) {
  std::vector<size_t> block_of(t);
  size_t base = t / s, extra = t % s, row = 0;
  for (size_t b = 0; b < s; ++b) {
    for (size_t k = 0; k < base + (b < extra); ++k) block_of[row++] = b;
  }
  auto sharpe = [&](uint32_t mask, size_t trial) {
    std::vector<double> x;
    for (size_t i = 0; i < t; ++i) {
      if (mask >> block_of[i] & 1) x.push_back(m[i * n + trial]);
    }
    double mean = 0;
    for (double v : x) mean += v;
    mean /= x.size();
    double ss = 0;
    for (double v : x) ss += (v - mean) * (v - mean);
    return mean / std::sqrt(ss / (x.size() - 1));
  };
  RefPbo ref{0, {}};
  for (uint32_t mask = 0; mask < (1u << s); ++mask) {
    if (static_cast<size_t>(__builtin_popcount(mask)) != s / 2) continue;
    uint32_t oos = ~mask & ((1u << s) - 1);
    std::vector<double> is(n), os(n);
    for (size_t j = 0; j < n; ++j) is[j] = sharpe(mask, j), os[j] = sharpe(oos, j);
    size_t best = std::max_element(is.begin(), is.end()) - is.begin();
    double rank = 1;
    for (size_t j = 0; j < n; ++j) {
      if (j != best && os[j] < os[best]) rank += 1;
      if (j != best && os[j] == os[best]) rank += 0.5;
    }
    double w = rank / (n + 1);
    ref.logits.push_back(std::log(w / (1 - w)));
  }
  size_t below =
      std::count_if(ref.logits.begin(), ref.logits.end(), [](double l) { return l <= 0; });
  ref.pbo = static_cast<double>(below) / ref.logits.size();
  return ref;
}

std::vector<double> Matrix(size_t t, size_t n, const std::vector<double>& drift, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0, 0.01);
  std::vector<double> m(t * n);
  for (size_t i = 0; i < t; ++i) {
    for (size_t j = 0; j < n; ++j) m[i * n + j] = drift[j] + z(rng);
  }
  return m;
}

TEST(PboTest, MatchesBruteForceReference) {
  const size_t t = 203, n = 7, s = 8;  // 203 = 8 * 25 + 3: uneven blocks
  std::vector<double> drift(n, 0.0);
  drift[2] = 0.0004;
  std::vector<double> m = Matrix(t, n, drift, 21);
  PboOptions o;
  o.partitions = s;
  auto r = ProbabilityOfBacktestOverfitting(m, t, n, o);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  RefPbo ref = ReferencePbo(m, t, n, s);
  EXPECT_EQ(r->combinations, 70u);  // C(8, 4)
  ASSERT_EQ(r->logits.size(), ref.logits.size());
  std::vector<double> a = r->logits, b = ref.logits;
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-12) << i;
  EXPECT_DOUBLE_EQ(r->pbo, ref.pbo);
}

TEST(PboTest, SkillVersusNoise) {
  const size_t t = 1000, n = 20;
  PboOptions o;
  o.partitions = 10;
  // One trial with a real edge (Sharpe 0.2 per period): the IS winner stays on top OOS.
  std::vector<double> drift(n, 0.0);
  drift[5] = 0.002;
  auto skill = ProbabilityOfBacktestOverfitting(Matrix(t, n, drift, 1), t, n, o);
  ASSERT_TRUE(skill.ok());
  EXPECT_LT(skill->pbo, 0.05);
  EXPECT_LT(skill->prob_oos_loss, 0.05);
  // Pure noise: the IS winner is a coin flip OOS.
  std::vector<double> none(n, 0.0);
  auto noise = ProbabilityOfBacktestOverfitting(Matrix(t, n, none, 2), t, n, o);
  ASSERT_TRUE(noise.ok());
  EXPECT_GT(noise->pbo, 0.25);
  EXPECT_LT(noise->pbo, 0.75);
  // Overfit by construction: trials good in one half are bad in the other.
  std::vector<double> m(t * n);
  std::mt19937_64 rng(3);
  std::normal_distribution<double> z(0, 0.01);
  for (size_t i = 0; i < t; ++i) {
    for (size_t j = 0; j < n; ++j) {
      double phase = std::sin(6.283185307 * (static_cast<double>(i) / t * 5 + j / double(n)));
      m[i * n + j] = 0.003 * phase + z(rng) * 0.1;
    }
  }
  auto over = ProbabilityOfBacktestOverfitting(m, t, n, o);
  ASSERT_TRUE(over.ok());
  EXPECT_GT(over->pbo, noise->pbo);
  EXPECT_LT(over->degradation_slope, 0);
}

TEST(PboTest, ZeroVarianceTrialsGiveFiniteResults) {
  const size_t t = 40, n = 3;
  std::vector<double> m(t * n);
  std::vector<double> noise = NoisyReturns(t, 0, 0.01, 9);
  for (size_t i = 0; i < t; ++i) {
    m[i * n + 0] = 0;      // never trades: Sharpe 0
    m[i * n + 1] = 0.001;  // constant gain: Sharpe +inf
    m[i * n + 2] = noise[i];
  }
  PboOptions o;
  o.partitions = 4;
  auto r = ProbabilityOfBacktestOverfitting(m, t, n, o);
  ASSERT_TRUE(r.ok());
  // The constant gainer wins in and out of sample every time: top rank, w = 3/4.
  for (double l : r->logits) EXPECT_NEAR(l, std::log(3.0), 1e-12);
  EXPECT_EQ(r->pbo, 0.0);
  EXPECT_TRUE(std::isnan(r->degradation_slope));  // no finite pairs
  nlohmann::json j;
  ToJson(j, *r);
  EXPECT_EQ(j["pbo"], 0.0);
  EXPECT_TRUE(j["degradation"]["slope"].is_null());
  EXPECT_EQ(j["logit_histogram"]["counts"].size(), 1u);
  EXPECT_EQ(j["logit_histogram"]["counts"][0], 6);
}

TEST(PboTest, RejectsMalformedInput) {
  std::vector<double> m(40 * 2, 0.001);
  auto msg = [](const Result<PboResult>& r) {
    return r.ok() ? std::string() : r.status().message();
  };
  PboOptions o;
  o.partitions = 4;
  std::vector<double> one(40, 0.001);
  EXPECT_NE(msg(ProbabilityOfBacktestOverfitting(one, 40, 1, o)).find("at least 2 trials"),
            std::string::npos);
  o.partitions = 5;
  EXPECT_NE(msg(ProbabilityOfBacktestOverfitting(m, 40, 2, o)).find("partitions must be even"),
            std::string::npos);
  o.partitions = 22;
  EXPECT_NE(msg(ProbabilityOfBacktestOverfitting(m, 40, 2, o)).find("2..20"), std::string::npos);
  o.partitions = 16;
  std::vector<double> short_m(30 * 2, 0.001);
  EXPECT_NE(
      msg(ProbabilityOfBacktestOverfitting(short_m, 30, 2, o)).find("fewer than 2 per partition"),
      std::string::npos);
  o.partitions = 4;
  EXPECT_NE(msg(ProbabilityOfBacktestOverfitting(m, 39, 2, o)).find("expected 39 x 2"),
            std::string::npos);
  m[7] = std::nan("");
  EXPECT_NE(msg(ProbabilityOfBacktestOverfitting(m, 40, 2, o)).find("NaN"), std::string::npos);
}

}  // namespace
}  // namespace arus::validation
