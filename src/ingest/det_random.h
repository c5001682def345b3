// Bit-reproducible random numbers and math for the synthetic market. The standard library's
// distributions (std::normal_distribution, ...) and libm's exp/log are implementation-defined or
// only accurate to an ulp, so the same seed could give different ticks on another machine. These
// use only IEEE-754 basic operations (+ - * / sqrt, floor, frexp, ldexp), which are exactly
// specified; the ingest module is compiled with -ffp-contract=off so no FMA changes a result.
// Thread-safety: generators are value types owned by one thread; the functions are pure.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string_view>

namespace arus::ingest {

// SplitMix64 (Steele, Lea, Flood 2014): seeds other generators and mixes hashes.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t s_;
};

// FNV-1a, to derive independent streams from names ("EURUSD", "news:USD:CPI m/m").
inline uint64_t HashName(std::string_view s) {
  uint64_t h = 0xCBF29CE484222325ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001B3ull;
  }
  return h;
}

// Seed of the stream called `name` under the user's seed.
inline uint64_t StreamSeed(uint64_t seed, std::string_view name) {
  SplitMix64 m(seed ^ HashName(name));
  m.Next();
  return m.Next();
}

// exp(x) to within ~1 ulp, from basic operations only. Range reduction by ln 2 (Cody-Waite split
// constants from fdlibm), then a degree-13 Taylor polynomial on |r| <= 0.35 (truncation < 1e-17).
inline double DetExp(double x) {
  if (x != x) return x;
  if (x > 709.78) return std::numeric_limits<double>::infinity();
  if (x < -745.2) return 0.0;
  constexpr double kInvLn2 = 1.44269504088896338700e+00;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double kf = x * kInvLn2 + 0.5;
  double k = static_cast<double>(static_cast<int64_t>(kf));  // floor without a libm call
  if (k > kf) k -= 1.0;
  const double r = (x - k * kLn2Hi) - k * kLn2Lo;
  double p = 1.0 / 6227020800.0;  // 1/13!
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const int ki = static_cast<int>(k);
  if (ki < -1000 || ki > 1000) return std::ldexp(p, ki);
  // 2^k built from its bits: the product is exact, as ldexp would be, without the libm call.
  const uint64_t bits = static_cast<uint64_t>(ki + 1023) << 52;
  double scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// log(x) for x > 0 to within ~1 ulp: x = m * 2^e with m in [sqrt(1/2), sqrt(2)), then
// log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.172, as an odd series to s^23.
inline double DetLog(double x) {
  if (!(x > 0))
    return x == 0 ? -std::numeric_limits<double>::infinity()
                  : std::numeric_limits<double>::quiet_NaN();
  if (x == std::numeric_limits<double>::infinity()) return x;
  int e = 0;
  double m = std::frexp(x, &e);  // m in [0.5, 1)
  if (m < 0.70710678118654752440) {
    m *= 2.0;
    e -= 1;
  }
  const double s = (m - 1.0) / (m + 1.0);
  const double s2 = s * s;
  double p = 1.0 / 23.0;
  p = p * s2 + 1.0 / 21.0;
  p = p * s2 + 1.0 / 19.0;
  p = p * s2 + 1.0 / 17.0;
  p = p * s2 + 1.0 / 15.0;
  p = p * s2 + 1.0 / 13.0;
  p = p * s2 + 1.0 / 11.0;
  p = p * s2 + 1.0 / 9.0;
  p = p * s2 + 1.0 / 7.0;
  p = p * s2 + 1.0 / 5.0;
  p = p * s2 + 1.0 / 3.0;
  const double log_m = 2.0 * s + 2.0 * s * s2 * p;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  const double de = static_cast<double>(e);
  return de * kLn2Hi + (de * kLn2Lo + log_m);
}

// xoshiro256** (Blackman, Vigna 2018) with normal, exponential and Poisson draws built on it.
class Rng {
 public:
  Rng() : Rng(0) {}
  explicit Rng(uint64_t seed) {
    SplitMix64 m(seed);
    for (uint64_t& w : s_) w = m.Next();
  }
  // Raw state, for reproducing reference outputs in tests.
  static Rng FromState(uint64_t a, uint64_t b, uint64_t c, uint64_t d) {
    Rng r;
    r.s_[0] = a;
    r.s_[1] = b;
    r.s_[2] = c;
    r.s_[3] = d;
    return r;
  }

  uint64_t Next() {
    const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Uniform in (0, 1): never 0, safe for log.
  double UniformOpen() { return (static_cast<double>(Next() >> 11) + 0.5) * 0x1.0p-53; }
  // Uniform integer in [0, n), n > 0 (Lemire's multiply-shift; bias < n / 2^64).
  uint32_t Below(uint32_t n) {
    return static_cast<uint32_t>(((Next() >> 32) * static_cast<uint64_t>(n)) >> 32);
  }

  // Standard normal by Marsaglia's polar method (two per accepted pair; the spare is cached).
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * Uniform() - 1.0;
      v = 2.0 * Uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * DetLog(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }

  // Exponential with mean 1.
  double Exponential() { return -DetLog(UniformOpen()); }

  // Poisson count given exp(-lambda) (Knuth's product of uniforms; fine for lambda up to ~50).
  int PoissonFromExpNeg(double exp_neg_lambda) {
    int k = 0;
    double p = Uniform();
    while (p > exp_neg_lambda) {
      p *= Uniform();
      ++k;
    }
    return k;
  }

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace arus::ingest
