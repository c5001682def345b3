// Price indicator kernels: SMA, EMA, WMA, RSI, MACD, Bollinger Bands, Stochastic, ATR, ADX, CCI,
// Williams %R, ROC, rolling standard deviation and z-score, Donchian and Keltner channels.
//
// Each kernel is a concrete, non-virtual value type with Update, IsReady, WarmupPeriod,
// StablePeriod, Save/Load and value accessors; XxxBatch loops over the same kernel, so batch and
// streaming agree bit for bit. Definitions follow TA-Lib (docs/indicators.md gives each formula,
// its seeding and where the arithmetic differs from TA-Lib's by rounding only).
//
// Scalar kernels take `double Update(double x)` (the value, NaN before warm-up); multi-output
// scalar kernels (Macd, Bbands) take `void Update(double x)`; bar kernels take
// `void Update(const BarInput&)` or the (high, low, close) overload. Accessors return NaN before
// IsReady(). Periods are range-checked by the registry; direct callers pass period >= 1.
//
// Numerics: windowed sums are kept relative to a shift (the window mean at the last re-sum) and
// recomputed exactly from the window every max(period, 64) updates (and whenever a variance has
// collapsed below the rounding left by larger values that passed through), so rounding never
// accumulates and values agree with an exact computation to ~1e-15 relative whatever the start.
// A window of identical values gives exactly that value and a standard deviation of exactly 0.
// Recursive filters (EMA, Wilder averages) are evaluated as a*prev + b*x with precomputed
// constants (one multiply-add on the loop-carried path).
//
// Thread-safety: plain values, one per thread. Ownership: each kernel owns its buffers.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "indicators/indicator.h"

namespace arus::indicators {

namespace detail {

// Writes/reads the shape of a kernel so Load rejects state saved by another configuration.
Status ExpectState(bool ok, const char* kernel, const char* what);

// The last n values of a series in a ring. Mirrored when written with set() (slot i and i + n hold
// the same value), so the window oldest-first is contiguous: with `head` the next slot to write,
// at(head) .. at(head+n-1); users that read slots [0, n) only write with set_unmirrored().
// Values are kept as bit patterns: under type-based aliasing a store into the ring cannot change
// a kernel's double (or int) state, so the compiler keeps running sums in registers across batch
// loops instead of reloading them after every store (about 2x on windowed kernels).
class Ring {
 public:
  explicit Ring(int n) : n_(std::max(n, 1)), bits_(2 * static_cast<size_t>(n_), 0) {}
  int n() const { return n_; }
  // The 2n slots (bit patterns); slots i and i + n hold the same value.
  const uint64_t* data() const { return bits_.data(); }
  [[gnu::always_inline]] double at(int i) const { return std::bit_cast<double>(bits_[i]); }
  [[gnu::always_inline]] void set(int slot, double v) {
    const uint64_t b = std::bit_cast<uint64_t>(v);
    bits_[slot] = b;
    bits_[slot + n_] = b;
  }
  // Writes slot only, leaving its mirror stale: for users that read slots [0, n) only.
  [[gnu::always_inline]] void set_unmirrored(int slot, double v) {
    bits_[slot] = std::bit_cast<uint64_t>(v);
  }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r, const char* kernel);

 private:
  int n_;
  std::vector<uint64_t> bits_;
};

// Mean (and variance if kVariance) over the last n values, see the numerics note above.
// kContiguous keeps the ring mirrored for window() and oldest(); otherwise each value is stored
// once (one store less per update).
template <bool kVariance, bool kContiguous = false>
class RollingMoments {
 public:
  explicit RollingMoments(int n)
      : ring_(n), n_(ring_.n()), inv_n_(1.0 / n_), residue_(2.5e-5 * n_) {}

  [[gnu::always_inline]] void Push(double x) {
    Add(x);
    // Once per update, however many kernels read it (IndicatorSet shares windows).
    if constexpr (kVariance) sd_ = std::sqrt(variance());
  }

  bool full() const { return count_ >= n_; }
  int n() const { return n_; }
  double last() const { return last_; }
  // The k-th oldest value of the window, k in [0, n).
  double oldest(int k) const requires kContiguous { return ring_.at(head_ + k); }
  // The window oldest first as n contiguous bit patterns: window()[k] is oldest(k).
  const uint64_t* window() const requires kContiguous { return ring_.data() + head_; }
  // Valid when full().
  double mean() const { return constant() ? last_ : shift_ + s1_ * inv_n_; }
  double variance() const {
    if (constant()) return 0.0;
    return spread_ > 0 ? spread_ * inv_n_ : 0.0;
  }
  // sqrt(variance()), kVariance only.
  double stddev() const { return sd_; }

  void Save(StateWriter& w) const;
  Status Load(StateReader& r, const char* kernel);

 private:
  // The update itself (Push adds the derived standard deviation).
  [[gnu::always_inline]] void Add(double x) {
    const double old = ring_.at(head_);
    if constexpr (kContiguous) {
      ring_.set(head_, x);
    } else {
      ring_.set_unmirrored(head_, x);
    }
    if (++head_ == n_) head_ = 0;
    // Branch-free: equal consecutive values are common in quiet FX markets but unpredictable.
    const int64_t same = x == last_;  // false on the first value: last_ is NaN
    run_ = (run_ & -same) + 1;
    last_ = x;
    if (--until_renorm_ == 0) {  // also every update before the window is full
      Countdown();
      return;
    }
    const double d = x - shift_;
    const double e = old - shift_;
    s1_ += d - e;
    if constexpr (kVariance) {
      const double dd = d * d;
      s2_ += dd - e * e;
      big_ = std::max(big_, dd);
      // Each update leaves an error of about eps * big_ in s2_ (the squares themselves cancel
      // exactly when they leave). Once the window's own spread has fallen far below what passed
      // through it, re-sum so the variance keeps ~1e-11 relative accuracy.
      spread_ = s2_ - s1_ * s1_ * inv_n_;                           // n * variance
      if (spread_ < residue_ * big_ && !constant()) Renormalise();  // constant: variance is 0
    }
  }
  // The window holds n identical values (the last n pushed were equal).
  bool constant() const { return run_ >= n_; }
  // f(value) for the window's values oldest first (slots head_ .. n-1, then 0 .. head_-1: no
  // mirror needed).
  template <class F>
  [[gnu::always_inline]] void ForOldestFirst(F f) const {
    for (int k = head_; k < n_; ++k) f(ring_.at(k));
    for (int k = 0; k < head_; ++k) f(ring_.at(k));
  }
  // until_renorm_ reached 0: the window is filling (until_renorm_ is kept at 1 until full; the
  // sums are not kept before), just became full, or is due for an exact re-sum.
  [[gnu::noinline]] void Countdown() {
    if (count_ < n_ && ++count_ < n_) {
      until_renorm_ = 1;
      return;
    }
    Renormalise();
  }
  // Exact sums over the window oldest first, so the result depends only on the window's values.
  [[gnu::noinline]] void Renormalise() {
    double s = 0;
    ForOldestFirst([&](double x) { s += x; });
    shift_ = s * inv_n_;
    double a = 0, b = 0, big = 0;
    ForOldestFirst([&](double x) {
      const double d = x - shift_;
      a += d;
      if constexpr (kVariance) {
        b += d * d;
        big = std::max(big, d * d);
      }
    });
    s1_ = a;
    s2_ = b;
    spread_ = b - a * a * inv_n_;
    big_ = big;
    until_renorm_ = std::max(n_, 64);
  }

  Ring ring_;
  int n_;
  double inv_n_;
  double residue_;
  int head_ = 0;
  int count_ = 0;         // saturates at n_
  int until_renorm_ = 1;  // updates left before the next exact re-sum (1 before full)
  int64_t run_ = 0;       // consecutive identical values ending at last_ (saved as min(run_, n))
  double last_ = kNaN;
  double shift_ = 0, s1_ = 0, s2_ = 0;
  double spread_ = 0;  // s2_ - s1_^2 / n: n times the variance
  double sd_ = 0;      // sqrt(variance()) after the last update (not saved: derived)
  double big_ = 0;     // largest squared deviation added since the last re-sum
};

// Highest (kMax) or lowest value of the last n, by van Herk / Gil-Werman blocks: the stream is cut
// into blocks of n (the ring's laps). The window is the tail of the previous block, whose suffix
// extremes are computed once when it completes, plus the head of the current block, whose running
// extreme is kept: two comparisons per value and no data-dependent branch. Exact.
template <bool kMax>
class RollingExtreme {
 public:
  explicit RollingExtreme(int n) : ring_(n), n_(ring_.n()), suffix_(n_, 0.0) {}

  [[gnu::always_inline]] void Push(double x) {
    ring_.set_unmirrored(head_, x);  // CompleteBlock reads slots 0 .. n-1 only
    prefix_ = head_ == 0 ? x : Pick(prefix_, x);
    if (count_ < n_) ++count_;
    if (++head_ == n_) {  // block complete: it is the whole window
      head_ = 0;
      CompleteBlock();
      best_ = prefix_;
      return;
    }
    // Before the first block completes there is no previous block: the window is the prefix.
    best_ = count_ >= n_ ? Pick(suffix_[head_], prefix_) : prefix_;
  }
  bool full() const { return count_ >= n_; }
  double value() const { return best_; }

  void Save(StateWriter& w) const;
  Status Load(StateReader& r, const char* kernel);

 private:
  static double Pick(double a, double b) { return kMax ? std::max(a, b) : std::min(a, b); }
  // suffix_[k] = extreme of the block's values k .. n-1 (slots 0 .. n-1 hold it in order).
  [[gnu::noinline]] void CompleteBlock() {
    double e = ring_.at(n_ - 1);
    suffix_[n_ - 1] = e;
    for (int k = n_ - 2; k >= 0; --k) {
      e = Pick(ring_.at(k), e);
      suffix_[k] = e;
    }
  }

  Ring ring_;
  int n_;
  std::vector<double> suffix_;
  int head_ = 0;
  int count_ = 0;  // saturates at n_
  double prefix_ = 0, best_ = 0;
};

// a > b ? x : y, never a branch: a compare mask and and/andnot/or on 128-bit vectors (GCC vector
// extensions; plain SSE2 on x86-64). GCC turns scalar ternaries on comparisons into branches when
// it guesses them predictable, and a coin-toss branch (up or down bar) mispredicts half the time.
[[gnu::always_inline]] inline double SelectGreater(double a, double b, double x, double y) {
  using V2 = double __attribute__((vector_size(16)));
  using I2 = int64_t __attribute__((vector_size(16)));
  const I2 m = V2{a, 0} > V2{b, 0};  // all ones when a > b (false if either is NaN)
  const I2 r = (std::bit_cast<I2>(V2{x, 0}) & m) | (std::bit_cast<I2>(V2{y, 0}) & ~m);
  return std::bit_cast<V2>(r)[0];
}
// std::max(a, b) (a < b ? b : a, NaN handling included) without a branch.
[[gnu::always_inline]] inline double MaxNoBranch(double a, double b) {
  return SelectGreater(b, a, b, a);
}

// Sum of |w[k] - mean| over the n values w[0 .. n) (bit patterns of doubles), into four partial
// sums by position k mod 4 (the n mod 4 tail into the first), combined as (a0 + a1) + (a2 + a3):
// the result depends only on the values, and the four chains run in parallel, two per 128-bit
// vector (GCC vector extensions: plain SSE2 on x86-64, the same rounding as the scalar form).
[[gnu::always_inline]] inline double SumAbsDev(const uint64_t* w, int n, double mean) {
  using V2 = double __attribute__((vector_size(16)));
  using U2 = uint64_t __attribute__((vector_size(16)));
  constexpr uint64_t kAbs = ~(uint64_t{1} << 63);
  const U2 abs_mask = {kAbs, kAbs};
  const V2 m = {mean, mean};
  V2 a01 = {0, 0}, a23 = {0, 0};
  int k = 0;
  for (; k + 4 <= n; k += 4) {
    U2 x01, x23;
    __builtin_memcpy(&x01, w + k, sizeof x01);
    __builtin_memcpy(&x23, w + k + 2, sizeof x23);
    a01 += std::bit_cast<V2>(std::bit_cast<U2>(std::bit_cast<V2>(x01) - m) & abs_mask);
    a23 += std::bit_cast<V2>(std::bit_cast<U2>(std::bit_cast<V2>(x23) - m) & abs_mask);
  }
  double a0 = a01[0];
  for (; k < n; ++k) a0 += std::fabs(std::bit_cast<double>(w[k]) - mean);
  return (a0 + a01[1]) + (a23[0] + a23[1]);
}

extern template class RollingMoments<false>;
extern template class RollingMoments<true>;
extern template class RollingMoments<false, true>;
extern template class RollingExtreme<false>;
extern template class RollingExtreme<true>;

}  // namespace detail

// ---------------------------------------------------------------------------------------------
// Simple moving average of the last `period` values. Warm-up: period.
class Sma {
 public:
  explicit Sma(int period) : m_(period) {}
  [[gnu::always_inline]] double Update(double x) {
    m_.Push(x);
    return value();
  }
  bool IsReady() const { return m_.full(); }
  double value() const { return m_.full() ? m_.mean() : kNaN; }
  int period() const { return m_.n(); }
  int WarmupPeriod() const { return m_.n(); }
  int StablePeriod() const { return m_.n(); }
  void Values(double* out) const { out[0] = value(); }
  void Save(StateWriter& w) const { m_.Save(w); }
  Status Load(StateReader& r) { return m_.Load(r, "sma"); }

 private:
  detail::RollingMoments<false> m_;
};

// Exponential moving average, k = 2/(period+1), seeded with the SMA of the first `period` values
// (TA-Lib). Warm-up: period.
class Ema {
 public:
  explicit Ema(int period) : n_(std::max(period, 1)), k_(2.0 / (n_ + 1)), a_(1.0 - k_) {}
  [[gnu::always_inline]] double Update(double x) {
    if (count_ >= n_) {
      v_ = a_ * v_ + k_ * x;
      return v_;
    }
    seed_ += x;
    if (++count_ < n_) return kNaN;
    v_ = seed_ / n_;
    return v_;
  }
  bool IsReady() const { return count_ >= n_; }
  double value() const { return IsReady() ? v_ : kNaN; }
  int period() const { return n_; }
  int WarmupPeriod() const { return n_; }
  int StablePeriod() const { return n_ + DecayPeriod(a_); }
  void Values(double* out) const { out[0] = value(); }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  int n_;
  double k_, a_;
  int64_t count_ = 0;  // saturates at n_
  double seed_ = 0, v_ = 0;
};

// Linearly weighted moving average: weights 1 (oldest) .. period (newest), divided by
// period*(period+1)/2. Warm-up: period.
class Wma {
 public:
  explicit Wma(int period);
  [[gnu::always_inline]] double Update(double x) {
    const double old = ring_.at(head_);
    ring_.set(head_, x);
    if (++head_ == n_) head_ = 0;
    if (count_ < n_) {
      if (++count_ < n_) return kNaN;
      Renormalise();
      return value();
    }
    if (head_ == 0) {
      Renormalise();
    } else {
      const double d = x - shift_;
      ws_ += n_ * d - s_;  // every older weight drops by one
      s_ += d - (old - shift_);
    }
    return value();
  }
  bool IsReady() const { return count_ >= n_; }
  double value() const { return IsReady() ? shift_ + ws_ * inv_div_ : kNaN; }
  int period() const { return n_; }
  int WarmupPeriod() const { return n_; }
  int StablePeriod() const { return n_; }
  void Values(double* out) const { out[0] = value(); }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  [[gnu::noinline]] void Renormalise();
  detail::Ring ring_;
  int n_;
  double inv_div_;
  int head_ = 0;
  int count_ = 0;
  double shift_ = 0, s_ = 0, ws_ = 0;  // s_ = sum(x - shift), ws_ = sum(w * (x - shift))
};

// Relative strength index with Wilder smoothing (TA-Lib): the first average gain/loss is the mean
// of the first `period` changes, then avg = avg*(period-1)/period + change/period.
// RSI = 100 * gain / (gain + loss); 0 when gain + loss == 0 (TA-Lib). Warm-up: period + 1.
class Rsi {
 public:
  explicit Rsi(int period) : n_(std::max(period, 1)), a_((n_ - 1.0) / n_), b_(1.0 / n_) {}
  [[gnu::always_inline]] double Update(double x) {
    if (count_ == 0) {
      prev_ = x;
      count_ = 1;
      return kNaN;
    }
    const double d = x - prev_;
    prev_ = x;
    const double gain = d > 0 ? d : 0.0;
    const double loss = d < 0 ? -d : 0.0;
    if (count_ > n_) {
      gain_ = a_ * gain_ + b_ * gain;
      loss_ = a_ * loss_ + b_ * loss;
    } else {
      gain_ += gain;
      loss_ += loss;
      if (++count_ <= n_) return kNaN;
      gain_ /= n_;
      loss_ /= n_;
    }
    const double s = gain_ + loss_;
    v_ = s != 0 ? 100.0 * (gain_ / s) : 0.0;
    return v_;
  }
  bool IsReady() const { return count_ > n_; }
  double value() const { return IsReady() ? v_ : kNaN; }
  double avg_gain() const { return IsReady() ? gain_ : kNaN; }
  double avg_loss() const { return IsReady() ? loss_ : kNaN; }
  int period() const { return n_; }
  int WarmupPeriod() const { return n_ + 1; }
  int StablePeriod() const { return n_ + 1 + DecayPeriod(a_); }
  void Values(double* out) const { out[0] = value(); }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  int n_;
  double a_, b_;
  int64_t count_ = 0;  // values seen, saturates at n_ + 1
  double prev_ = 0, gain_ = 0, loss_ = 0, v_ = 0;
};

// MACD (TA-Lib): line = EMA(fast) - EMA(slow), signal = EMA(signal) of the line, histogram =
// line - signal. As in TA-Lib the fast EMA starts slow-fast values late, so both EMAs are seeded
// on the window that ends at value slow-1. All three outputs appear together after
// slow + signal - 1 values. Requires fast < slow.
class Macd {
 public:
  Macd(int fast, int slow, int signal);
  [[gnu::always_inline]] void Update(double x) {
    slow_.Update(x);
    if (seen_ >= skip_) {
      fast_.Update(x);
    } else {
      ++seen_;
    }
    if (!slow_.IsReady()) return;
    line_ = fast_.value() - slow_.value();
    signal_.Update(line_);
  }
  bool IsReady() const { return signal_.IsReady(); }
  double line() const { return IsReady() ? line_ : kNaN; }
  double signal() const { return signal_.value(); }
  double hist() const { return IsReady() ? line_ - signal_.value() : kNaN; }
  int WarmupPeriod() const { return slow_.period() + signal_.period() - 1; }
  int StablePeriod() const;
  [[gnu::always_inline]] void Values(double* out) const {  // line, signal, hist
    // All reads before the stores: `out` may alias the state, so reads after a store repeat.
    const double l = line(), s = signal(), h = hist();
    out[0] = l;
    out[1] = s;
    out[2] = h;
  }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  Ema fast_, slow_, signal_;
  int skip_;
  int seen_ = 0;  // saturates at skip_
  double line_ = 0;
};

// Bollinger Bands (TA-Lib with SMA): mid = SMA(period), up/dn = mid +/- k * population standard
// deviation over the same window. Warm-up: period.
class Bbands {
 public:
  Bbands(int period, double k) : m_(period), k_(k) {}
  [[gnu::always_inline]] void Update(double x) { m_.Push(x); }
  bool IsReady() const { return m_.full(); }
  double mid() const { return IsReady() ? m_.mean() : kNaN; }
  double stddev() const { return IsReady() ? m_.stddev() : kNaN; }
  double up() const { return mid() + k_ * stddev(); }
  double dn() const { return mid() - k_ * stddev(); }
  int WarmupPeriod() const { return m_.n(); }
  int StablePeriod() const { return m_.n(); }
  [[gnu::always_inline]] void Values(double* out) const { ValuesWith(m_, out); }  // mid, up, dn
  // Values over the window `m` (IndicatorSet: kernels over the same window share one).
  [[gnu::always_inline]] void ValuesWith(const detail::RollingMoments<true>& m, double* out) const {
    if (!m.full()) {
      out[0] = out[1] = out[2] = kNaN;
      return;
    }
    const double mean = m.mean();
    const double sd = m.stddev();
    out[0] = mean;
    out[1] = mean + k_ * sd;
    out[2] = mean - k_ * sd;
  }
  const detail::RollingMoments<true>& moments() const { return m_; }
  detail::RollingMoments<true>& moments() { return m_; }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  detail::RollingMoments<true> m_;
  double k_;
};

// Rolling population standard deviation over `period` values. Warm-up: period.
class StdDev {
 public:
  explicit StdDev(int period) : m_(period) {}
  [[gnu::always_inline]] double Update(double x) {
    m_.Push(x);
    return value();
  }
  bool IsReady() const { return m_.full(); }
  double value() const { return ValueWith(m_); }
  double mean() const { return IsReady() ? m_.mean() : kNaN; }
  int WarmupPeriod() const { return m_.n(); }
  int StablePeriod() const { return m_.n(); }
  void Values(double* out) const { out[0] = value(); }
  // The value over the window `m` (IndicatorSet: kernels over the same window share one).
  static double ValueWith(const detail::RollingMoments<true>& m) {
    return m.full() ? m.stddev() : kNaN;
  }
  const detail::RollingMoments<true>& moments() const { return m_; }
  detail::RollingMoments<true>& moments() { return m_; }
  void Save(StateWriter& w) const { m_.Save(w); }
  Status Load(StateReader& r) { return m_.Load(r, "stddev"); }

 private:
  detail::RollingMoments<true> m_;
};

// Z-score of the newest value against the window that contains it:
// (x - mean) / population standard deviation; 0 when the deviation is 0. Warm-up: period.
class ZScore {
 public:
  explicit ZScore(int period) : m_(period) {}
  [[gnu::always_inline]] double Update(double x) {
    m_.Push(x);
    return value();
  }
  bool IsReady() const { return m_.full(); }
  double value() const { return ValueWith(m_); }
  int WarmupPeriod() const { return m_.n(); }
  int StablePeriod() const { return m_.n(); }
  void Values(double* out) const { out[0] = value(); }
  // The value over the window `m` (IndicatorSet: kernels over the same window share one).
  static double ValueWith(const detail::RollingMoments<true>& m) {
    if (!m.full()) return kNaN;
    const double sd = m.stddev();
    return sd > 0 ? (m.last() - m.mean()) / sd : 0.0;
  }
  const detail::RollingMoments<true>& moments() const { return m_; }
  detail::RollingMoments<true>& moments() { return m_; }
  void Save(StateWriter& w) const { m_.Save(w); }
  Status Load(StateReader& r) { return m_.Load(r, "zscore"); }

 private:
  detail::RollingMoments<true> m_;
};

// Rate of change (TA-Lib ROC): 100 * (x / x[-period] - 1); 0 when x[-period] == 0.
// Warm-up: period + 1.
class Roc {
 public:
  explicit Roc(int period) : ring_(period), n_(ring_.n()) {}
  [[gnu::always_inline]] double Update(double x) {
    const double old = ring_.at(head_);
    ring_.set(head_, x);
    if (++head_ == n_) head_ = 0;
    if (count_ <= n_) {
      if (++count_ <= n_) return kNaN;
    }
    v_ = old != 0 ? (x / old - 1.0) * 100.0 : 0.0;
    return v_;
  }
  bool IsReady() const { return count_ > n_; }
  double value() const { return IsReady() ? v_ : kNaN; }
  int WarmupPeriod() const { return n_ + 1; }
  int StablePeriod() const { return n_ + 1; }
  void Values(double* out) const { out[0] = value(); }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  detail::Ring ring_;
  int n_;
  int head_ = 0;
  int count_ = 0;  // saturates at n_ + 1
  double v_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Bar kernels.

// Average true range (TA-Lib): TR = max(high, prev close) - min(low, prev close) from the second
// bar on; the first ATR is the mean of the first `period` TRs, then Wilder smoothing
// atr = atr*(period-1)/period + tr/period. Warm-up: period + 1.
class Atr {
 public:
  explicit Atr(int period) : n_(std::max(period, 1)), a_((n_ - 1.0) / n_), b_(1.0 / n_) {}
  [[gnu::always_inline]] void Update(const BarInput& b) { Update(b.high, b.low, b.close); }
  [[gnu::always_inline]] void Update(double high, double low, double close) {
    if (count_ == 0) {
      prev_close_ = close;
      count_ = 1;
      return;
    }
    tr_ = std::max(high, prev_close_) - std::min(low, prev_close_);
    prev_close_ = close;
    if (count_ > n_) {
      atr_ = a_ * atr_ + b_ * tr_;
      return;
    }
    atr_ += tr_;
    if (++count_ > n_) atr_ /= n_;
  }
  bool IsReady() const { return count_ > n_; }
  double value() const { return IsReady() ? atr_ : kNaN; }
  // The latest true range (NaN on the first bar).
  double true_range() const { return count_ >= 2 ? tr_ : kNaN; }
  int period() const { return n_; }
  int WarmupPeriod() const { return n_ + 1; }
  int StablePeriod() const { return n_ + 1 + DecayPeriod(a_); }
  void Values(double* out) const { out[0] = value(); }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  int n_;
  double a_, b_;
  int64_t count_ = 0;  // bars seen, saturates at n_ + 1
  double prev_close_ = 0, tr_ = 0, atr_ = 0;
};

// Average directional index (TA-Lib ADX, Wilder): +DM/-DM and TR summed over the first period-1
// changes, then Wilder-smoothed as sums (s = s - s/period + x); DI = 100 * DM / TR;
// DX = 100 * |+DI - -DI| / (+DI + -DI); the first ADX is the mean of `period` DX values, then
// adx = adx*(period-1)/period + dx/period. Warm-up: 2 * period.
class Adx {
 public:
  explicit Adx(int period);
  [[gnu::always_inline]] void Update(const BarInput& b) { Update(b.high, b.low, b.close); }
  [[gnu::always_inline]] void Update(double high, double low, double close) {
    if (count_ == 0) {
      prev_high_ = high;
      prev_low_ = low;
      prev_close_ = close;
      count_ = 1;
      return;
    }
    const double diff_p = high - prev_high_;
    const double diff_m = prev_low_ - low;
    const double tr = std::max(high, prev_close_) - std::min(low, prev_close_);
    prev_high_ = high;
    prev_low_ = low;
    prev_close_ = close;
    // TA-Lib's cases: -DM = diff_m if diff_m > 0 and diff_m > diff_p; else +DM = diff_p if
    // diff_p > 0 and diff_p > diff_m. Written as selects (the branches are coin tosses):
    // x * (x > max(y, 0) ? 1 : 0).
    using detail::MaxNoBranch, detail::SelectGreater;
    const double minus_dm = diff_m * SelectGreater(diff_m, MaxNoBranch(diff_p, 0.0), 1.0, 0.0);
    const double plus_dm = diff_p * SelectGreater(diff_p, MaxNoBranch(diff_m, 0.0), 1.0, 0.0);
    if (count_ < n_) {  // changes 1 .. period-1: plain sums
      pdm_ += plus_dm;
      mdm_ += minus_dm;
      tr_ += tr;
      ++count_;
      return;
    }
    // Wilder's smoothing of the sums (TA-Lib: s - s/period + x, here s*(period-1)/period + x).
    pdm_ = a_ * pdm_ + plus_dm;
    mdm_ = a_ * mdm_ + minus_dm;
    tr_ = a_ * tr_ + tr;
    // DX = 100 |-DI - +DI| / (-DI + +DI); the TR in both DIs cancels, leaving one division.
    double dx = 0;
    const double dm = pdm_ + mdm_;
    const bool have_dx = tr_ != 0 && dm != 0;
    if (have_dx) dx = 100.0 * (std::fabs(mdm_ - pdm_) / dm);
    if (count_ < 2 * n_) {  // changes period .. 2*period-1: the first ADX averages their DX
      sum_dx_ += dx;
      if (++count_ == 2 * n_) adx_ = sum_dx_ / n_;
      return;
    }
    if (have_dx) adx_ = a_ * adx_ + b_ * dx;  // TA-Lib keeps the ADX when DX is undefined
  }
  bool IsReady() const { return count_ >= 2 * n_; }
  double value() const { return IsReady() ? adx_ : kNaN; }
  // +DI and -DI, available from bar `period` + 1 on.
  double plus_di() const;
  double minus_di() const;
  int WarmupPeriod() const { return 2 * n_; }
  int StablePeriod() const { return 2 * n_ + 2 * DecayPeriod(a_); }
  void Values(double* out) const { out[0] = value(); }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  int n_;
  double a_, b_;
  int64_t count_ = 0;  // bars seen, saturates at 2 * n_
  double prev_high_ = 0, prev_low_ = 0, prev_close_ = 0;
  double pdm_ = 0, mdm_ = 0, tr_ = 0, sum_dx_ = 0, adx_ = 0;
};

// Commodity channel index (TA-Lib): tp = (high + low + close) / 3;
// CCI = (tp - mean(tp)) / (0.015 * mean |tp_i - mean(tp)|) over `period` bars; 0 when either the
// numerator or the mean deviation is 0. Warm-up: period.
class Cci {
 public:
  explicit Cci(int period) : m_(period), scale_(m_.n() / 0.015) {}
  [[gnu::always_inline]] void Update(const BarInput& b) { Update(b.high, b.low, b.close); }
  [[gnu::always_inline]] void Update(double high, double low, double close) {
    const double tp = (high + low + close) / 3.0;
    m_.Push(tp);
    if (!m_.full()) return;
    // Mean deviation: one pass over the window (the sum depends only on the window).
    const double mean = m_.mean();
    const double dev = detail::SumAbsDev(m_.window(), m_.n(), mean);
    const double num = tp - mean;
    // num / (0.015 * dev / n) with the constant folded: one division on the critical path.
    v_ = (num != 0 && dev != 0) ? num * scale_ / dev : 0.0;
  }
  bool IsReady() const { return m_.full(); }
  double value() const { return IsReady() ? v_ : kNaN; }
  int WarmupPeriod() const { return m_.n(); }
  int StablePeriod() const { return m_.n(); }
  void Values(double* out) const { out[0] = value(); }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  detail::RollingMoments<false, true> m_;  // typical prices and their mean (contiguous window)
  double scale_;
  double v_ = 0;
};

// Williams %R (TA-Lib WILLR): -100 * (highest high - close) / (highest high - lowest low) over
// `period` bars, in [-100, 0]; 0 when the range is 0. Warm-up: period.
class WilliamsR {
 public:
  explicit WilliamsR(int period) : hi_(period), lo_(period), n_(std::max(period, 1)) {}
  [[gnu::always_inline]] void Update(const BarInput& b) { Update(b.high, b.low, b.close); }
  [[gnu::always_inline]] void Update(double high, double low, double close) {
    hi_.Push(high);
    lo_.Push(low);
    close_ = close;
  }
  bool IsReady() const { return hi_.full(); }
  double value() const { return ValueWith(hi_, lo_); }
  int WarmupPeriod() const { return n_; }
  int StablePeriod() const { return n_; }
  void Values(double* out) const { out[0] = value(); }
  // IndicatorSet: kernels over the same high/low window share one pair of extremes. Update then
  // takes only the close, and the value is computed from the shared (already updated) extremes.
  [[gnu::always_inline]] void UpdateClose(double close) { close_ = close; }
  double ValueWith(const detail::RollingExtreme<true>& hi,
                   const detail::RollingExtreme<false>& lo) const {
    if (!hi.full()) return kNaN;
    const double range = hi.value() - lo.value();
    // + 0.0 turns -0 (close at the high) into 0.
    return range != 0 ? -100.0 * (hi.value() - close_) / range + 0.0 : 0.0;
  }
  const detail::RollingExtreme<true>& highs() const { return hi_; }
  const detail::RollingExtreme<false>& lows() const { return lo_; }
  detail::RollingExtreme<true>& highs() { return hi_; }
  detail::RollingExtreme<false>& lows() { return lo_; }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  detail::RollingExtreme<true> hi_;
  detail::RollingExtreme<false> lo_;
  int n_;
  double close_ = 0;
};

// Stochastic oscillator (TA-Lib STOCH with SMA smoothing): fast %K = 100 * (close - lowest low) /
// (highest high - lowest low) over fast_k bars (0 when the range is 0); slow %K = SMA(slow_k) of
// fast %K; %D = SMA(slow_d) of slow %K. Warm-up: fast_k + slow_k + slow_d - 2.
class Stoch {
 public:
  Stoch(int fast_k, int slow_k, int slow_d)
      : hi_(fast_k), lo_(fast_k), k_(slow_k), d_(slow_d), fast_k_period_(std::max(fast_k, 1)) {}
  [[gnu::always_inline]] void Update(const BarInput& b) { Update(b.high, b.low, b.close); }
  [[gnu::always_inline]] void Update(double high, double low, double close) {
    hi_.Push(high);
    lo_.Push(low);
    UpdateWith(hi_, lo_, close);
  }
  // IndicatorSet: Update after the extremes `hi`, `lo` over the fast_k window (shared with other
  // kernels over the same window) have taken this bar.
  [[gnu::always_inline]] void UpdateWith(const detail::RollingExtreme<true>& hi,
                                         const detail::RollingExtreme<false>& lo, double close) {
    if (!hi.full()) return;
    const double range = hi.value() - lo.value();
    fast_ = range != 0 ? 100.0 * (close - lo.value()) / range : 0.0;
    k_.Update(fast_);
    if (k_.IsReady()) d_.Update(k_.value());
  }
  const detail::RollingExtreme<true>& highs() const { return hi_; }
  const detail::RollingExtreme<false>& lows() const { return lo_; }
  detail::RollingExtreme<true>& highs() { return hi_; }
  detail::RollingExtreme<false>& lows() { return lo_; }
  bool IsReady() const { return d_.IsReady(); }
  double fast_k() const { return hi_.full() ? fast_ : kNaN; }
  double k() const { return IsReady() ? k_.value() : kNaN; }  // slow %K
  double d() const { return d_.value(); }
  int WarmupPeriod() const { return fast_k_period_ + k_.period() + d_.period() - 2; }
  int StablePeriod() const { return WarmupPeriod(); }
  [[gnu::always_inline]] void Values(double* out) const {  // slow %K, %D
    // Reads before stores (see Macd::Values).
    const double k = this->k(), d = this->d();
    out[0] = k;
    out[1] = d;
  }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  detail::RollingExtreme<true> hi_;
  detail::RollingExtreme<false> lo_;
  Sma k_, d_;
  int fast_k_period_;
  double fast_ = 0;
};

// Donchian channel: up = highest high, dn = lowest low over `period` bars including the current
// one, mid = (up + dn) / 2. Warm-up: period.
class Donchian {
 public:
  explicit Donchian(int period) : hi_(period), lo_(period), n_(std::max(period, 1)) {}
  [[gnu::always_inline]] void Update(const BarInput& b) { Update(b.high, b.low); }
  [[gnu::always_inline]] void Update(double high, double low) {
    hi_.Push(high);
    lo_.Push(low);
  }
  bool IsReady() const { return hi_.full(); }
  double up() const { return IsReady() ? hi_.value() : kNaN; }
  double dn() const { return IsReady() ? lo_.value() : kNaN; }
  double mid() const { return IsReady() ? (hi_.value() + lo_.value()) * 0.5 : kNaN; }
  int WarmupPeriod() const { return n_; }
  int StablePeriod() const { return n_; }
  [[gnu::always_inline]] void Values(double* out) const { ValuesWith(hi_, lo_, out); }
  // mid, up, dn of the extremes `hi`, `lo` (IndicatorSet: shared by kernels over the same window).
  [[gnu::always_inline]] static void ValuesWith(const detail::RollingExtreme<true>& hi,
                                                const detail::RollingExtreme<false>& lo,
                                                double* out) {
    if (!hi.full()) {
      out[0] = out[1] = out[2] = kNaN;
      return;
    }
    const double up = hi.value(), dn = lo.value();  // reads before stores, see Macd::Values
    out[0] = (up + dn) * 0.5;
    out[1] = up;
    out[2] = dn;
  }
  const detail::RollingExtreme<true>& highs() const { return hi_; }
  const detail::RollingExtreme<false>& lows() const { return lo_; }
  detail::RollingExtreme<true>& highs() { return hi_; }
  detail::RollingExtreme<false>& lows() { return lo_; }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  detail::RollingExtreme<true> hi_;
  detail::RollingExtreme<false> lo_;
  int n_;
};

// Keltner channel (the modern Raschke form): mid = EMA(period) of the typical price
// (high + low + close) / 3, up/dn = mid +/- k * ATR(atr_period) (Wilder ATR as above).
// Warm-up: max(period, atr_period + 1).
class Keltner {
 public:
  Keltner(int period, double k, int atr_period) : ema_(period), atr_(atr_period), k_(k) {}
  [[gnu::always_inline]] void Update(const BarInput& b) { Update(b.high, b.low, b.close); }
  [[gnu::always_inline]] void Update(double high, double low, double close) {
    ema_.Update((high + low + close) / 3.0);
    atr_.Update(high, low, close);
  }
  bool IsReady() const { return ema_.IsReady() && atr_.IsReady(); }
  double mid() const { return IsReady() ? ema_.value() : kNaN; }
  double up() const { return IsReady() ? ema_.value() + k_ * atr_.value() : kNaN; }
  double dn() const { return IsReady() ? ema_.value() - k_ * atr_.value() : kNaN; }
  int WarmupPeriod() const { return std::max(ema_.WarmupPeriod(), atr_.WarmupPeriod()); }
  int StablePeriod() const { return std::max(ema_.StablePeriod(), atr_.StablePeriod()); }
  [[gnu::always_inline]] void Values(double* out) const {  // mid, up, dn
    // Reads before stores (see Macd::Values).
    const double mid = this->mid(), up = this->up(), dn = this->dn();
    out[0] = mid;
    out[1] = up;
    out[2] = dn;
  }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  Ema ema_;
  Atr atr_;
  double k_;
};

// Adapter: a scalar kernel fed with the bar's close, for the registry
// (KernelIndicator<OnClose<K>>).
template <class K>
class OnClose {
 public:
  explicit OnClose(K k) : k_(std::move(k)) {}
  [[gnu::always_inline]] void Update(const BarInput& b) { k_.Update(b.close); }
  const K& kernel() const { return k_; }
  bool IsReady() const { return k_.IsReady(); }
  int WarmupPeriod() const { return k_.WarmupPeriod(); }
  int StablePeriod() const { return k_.StablePeriod(); }
  void Values(double* out) const { k_.Values(out); }
  void Save(StateWriter& w) const { k_.Save(w); }
  Status Load(StateReader& r) { return k_.Load(r); }
  K& kernel() { return k_; }

 private:
  K k_;
};

// ---------------------------------------------------------------------------------------------
// Batch functions: a loop over the kernel above. Outputs have the input's length (only the
// common length of all spans is processed) and hold NaN before warm-up.
void SmaBatch(std::span<const double> x, int period, std::span<double> out);
void EmaBatch(std::span<const double> x, int period, std::span<double> out);
void WmaBatch(std::span<const double> x, int period, std::span<double> out);
void RsiBatch(std::span<const double> x, int period, std::span<double> out);
void RocBatch(std::span<const double> x, int period, std::span<double> out);
void StdDevBatch(std::span<const double> x, int period, std::span<double> out);
void ZScoreBatch(std::span<const double> x, int period, std::span<double> out);
void MacdBatch(std::span<const double> x, int fast, int slow, int signal, std::span<double> line,
               std::span<double> signal_out, std::span<double> hist);
void BbandsBatch(std::span<const double> x, int period, double k, std::span<double> mid,
                 std::span<double> up, std::span<double> dn);
void AtrBatch(std::span<const double> high, std::span<const double> low,
              std::span<const double> close, int period, std::span<double> out);
void AdxBatch(std::span<const double> high, std::span<const double> low,
              std::span<const double> close, int period, std::span<double> out);
void CciBatch(std::span<const double> high, std::span<const double> low,
              std::span<const double> close, int period, std::span<double> out);
void WilliamsRBatch(std::span<const double> high, std::span<const double> low,
                    std::span<const double> close, int period, std::span<double> out);
void StochBatch(std::span<const double> high, std::span<const double> low,
                std::span<const double> close, int fast_k, int slow_k, int slow_d,
                std::span<double> k, std::span<double> d);
void DonchianBatch(std::span<const double> high, std::span<const double> low, int period,
                   std::span<double> mid, std::span<double> up, std::span<double> dn);
void KeltnerBatch(std::span<const double> high, std::span<const double> low,
                  std::span<const double> close, int period, double k, int atr_period,
                  std::span<double> mid, std::span<double> up, std::span<double> dn);

}  // namespace arus::indicators
