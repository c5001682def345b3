// Volume and FX-specific bar kernels: MFI, Accumulation/Distribution line, OBV, Awesome
// Oscillator (TA-Lib definitions), tick-volume and spread statistics, rolling correlation of two
// series, session flags and a bar-level slippage estimate. Formulas: docs/indicators-fx.md.
//
// Same conventions as kernels_price.h (see indicator.h): Update() consumes one completed bar,
// IsReady() turns true after WarmupPeriod() updates, values are NaN before, StablePeriod() bounds
// the dependence on where history started, Save/Load checkpoint the whole state, and each
// XxxBatch() is a loop over the kernel.
//
// Windowed means and deviations reuse kernels_price.h's Sma and StdDev (O(1) per update, re-summed
// exactly at every wrap of the window, so rounding never builds up over long runs). The rolling
// correlation below uses the same scheme for its cross moments.
//
// Thread-safety: kernels are plain values, one per thread. Ownership: each kernel owns its state;
// SessionFlags holds a non-owning pointer to a SessionClock that must outlive it (the default
// clock is a process-wide static).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "core/status.h"
#include "fx/calendar.h"
#include "indicators/indicator.h"
#include "indicators/kernels_price.h"

namespace arus::indicators {

// StablePeriod() of cumulative indicators (ADL, OBV): their level depends on where the history
// started however long it runs (differences between two bars do not). A feature set that uses
// them must compute from the start of its data. INT_MAX / 4 like DecayPeriod()'s "never", so sums
// of periods cannot overflow.
inline constexpr int kNeverStable = std::numeric_limits<int>::max() / 4;

// ---- Two-series kernel --------------------------------------------------------------------------

// Rolling Pearson correlation of two series over the last `period` pairs, e.g. the log returns
// of two currency pairs. When either series is constant over the window (variance at rounding
// level) the correlation is undefined and 0 is returned (TA-Lib CORREL's convention).
class RollingCorrelation {
 public:
  explicit RollingCorrelation(int period);
  void Update(double x, double y);
  bool IsReady() const { return count_ >= period_; }
  int WarmupPeriod() const { return period_; }
  int StablePeriod() const { return period_; }
  // Correlation in [-1, 1]; NaN before ready.
  double value() const;
  // Population covariance and variances over the window; NaN before ready.
  double covariance() const;
  double variance_x() const;
  double variance_y() const;
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  void Rebase();
  double n() const;
  int period_;
  std::vector<double> xs_, ys_;
  int head_ = 0;
  int64_t count_ = 0;
  double rx_ = 0, ry_ = 0;  // references
  double sx_ = 0, sy_ = 0, sxx_ = 0, syy_ = 0, sxy_ = 0;
  double ex_ = 0, ey_ = 0;  // rounding scales of sxx_, syy_
};

// ---- Bar kernels --------------------------------------------------------------------------------

// Money Flow Index (TA-Lib MFI). Typical price tp = (H+L+C)/3, money flow tp*volume, positive when
// tp rose from the previous bar, negative when it fell, neither when equal.
// MFI = 100 * pos / (pos + neg) over the last `period` flows; 0 when pos + neg < 1 (TA-Lib).
class Mfi {
 public:
  explicit Mfi(int period = 14);
  [[gnu::always_inline]] void Update(const BarInput& bar) {
    // TA-Lib's order of operations: (H + L + C) / 3.
    const double tp = (bar.high + bar.low + bar.close) / 3.0;
    if (has_prev_) {
      const double mf = tp * bar.volume;
      // Selects rather than branches: up and down bars alternate unpredictably.
      pos_.Update(tp > prev_tp_ ? mf : 0.0);
      neg_.Update(tp < prev_tp_ ? mf : 0.0);
    }
    prev_tp_ = tp;
    has_prev_ = true;
  }
  bool IsReady() const { return pos_.IsReady(); }
  int WarmupPeriod() const { return period_ + 1; }
  int StablePeriod() const { return period_ + 1; }
  double value() const {
    if (!IsReady()) return kNaN;
    // Window means instead of TA-Lib's sums: the same ratio; the "< 1" test is on the sum.
    const double pos = std::max(pos_.value(), 0.0), neg = std::max(neg_.value(), 0.0);
    const double total = pos + neg;
    if (total * period_ < 1.0) return 0.0;
    return 100.0 * (pos / total);
  }
  void Values(double* out) const { out[0] = value(); }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  int period_;
  Sma pos_, neg_;  // mean positive / negative money flow of the window
  bool has_prev_ = false;
  double prev_tp_ = 0;
};

// Chaikin Accumulation/Distribution line (TA-Lib AD): ad += ((C-L) - (H-C)) / (H-L) * volume,
// nothing added when H == L. Cumulative: ready from the first bar, never history-independent.
class Adl {
 public:
  [[gnu::always_inline]] void Update(const BarInput& bar) {
    const double range = bar.high - bar.low;
    if (range > 0.0) {
      ad_ += (((bar.close - bar.low) - (bar.high - bar.close)) / range) * bar.volume;
    }
    ++count_;
  }
  bool IsReady() const { return count_ > 0; }
  int WarmupPeriod() const { return 1; }
  int StablePeriod() const { return kNeverStable; }
  double value() const { return count_ > 0 ? ad_ : kNaN; }
  void Values(double* out) const { out[0] = value(); }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  int64_t count_ = 0;
  double ad_ = 0;
};

// On-Balance Volume (TA-Lib OBV): starts at the first bar's volume; then adds the volume when the
// close rose, subtracts it when it fell, unchanged when equal.
class Obv {
 public:
  [[gnu::always_inline]] void Update(const BarInput& bar) {
    if (count_ == 0) {
      obv_ = bar.volume;
    } else {
      // Selects: up and down closes alternate unpredictably (a branch would miss half the time).
      const double up = obv_ + bar.volume, dn = obv_ - bar.volume;
      const double moved = detail::SelectGreater(prev_close_, bar.close, dn, obv_);
      obv_ = detail::SelectGreater(bar.close, prev_close_, up, moved);
    }
    prev_close_ = bar.close;
    ++count_;
  }
  bool IsReady() const { return count_ > 0; }
  int WarmupPeriod() const { return 1; }
  int StablePeriod() const { return kNeverStable; }
  double value() const { return count_ > 0 ? obv_ : kNaN; }
  void Values(double* out) const { out[0] = value(); }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  int64_t count_ = 0;
  double obv_ = 0;
  double prev_close_ = 0;
};

// Awesome Oscillator (Bill Williams): SMA(5) - SMA(34) of the median price (H+L)/2.
class AwesomeOscillator {
 public:
  AwesomeOscillator(int fast = 5, int slow = 34);
  [[gnu::always_inline]] void Update(const BarInput& bar) {
    const double median = (bar.high + bar.low) / 2.0;
    fast_.Update(median);
    slow_.Update(median);
  }
  bool IsReady() const { return fast_.IsReady() && slow_.IsReady(); }
  int WarmupPeriod() const;
  int StablePeriod() const;
  double value() const { return IsReady() ? fast_.value() - slow_.value() : kNaN; }
  void Values(double* out) const { out[0] = value(); }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  Sma fast_, slow_;
};

// Tick-volume statistics over the last `period` bars (current bar included). The activity measure
// is the bar's tick_count (FX "tick volume"), or its volume when tick_count is 0 (unknown).
//   rel = x / mean(x)          (NaN when the mean is 0)
//   z   = (x - mean) / stddev  (population; 0 when the window is constant)
class TickVolumeStats {
 public:
  explicit TickVolumeStats(int period = 20);
  void Update(const BarInput& bar);
  bool IsReady() const { return m_.IsReady(); }
  int WarmupPeriod() const { return m_.WarmupPeriod(); }
  int StablePeriod() const { return m_.StablePeriod(); }
  double rel() const;
  double z() const;
  void Values(double* out) const {
    out[0] = rel();
    out[1] = z();
  }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  StdDev m_;
  double last_ = 0;
};

// Bar spread (spread_mean, price units) relative to its recent level, over the last `period` bars
// (current bar included):
//   rel = spread / median(spread)      (NaN when the median is 0, i.e. spreads unknown)
//   z   = (spread - mean) / stddev     (population; 0 when the window is constant)
class SpreadStats {
 public:
  explicit SpreadStats(int period = 20);
  void Update(const BarInput& bar);
  bool IsReady() const { return m_.IsReady(); }
  int WarmupPeriod() const { return m_.WarmupPeriod(); }
  int StablePeriod() const { return m_.StablePeriod(); }
  double rel() const;
  double z() const;
  double median() const;
  void Values(double* out) const {
    out[0] = rel();
    out[1] = z();
  }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  StdDev m_;
  std::vector<double> ring_;    // last `period` spreads in arrival order
  std::vector<double> sorted_;  // the same, sorted (for the median)
  int head_ = 0;
  int64_t filled_ = 0;  // values in ring_, saturates at period
  double last_ = 0;
};

// FX session flags at the bar's decision time ts_close (the session the next decision trades
// into), from fx::SessionClock: all 0 while the market is closed.
// Outputs (0 or 1): sydney, tokyo, london, newyork, overlap (two or more sessions), and the three
// classic overlaps london_newyork, tokyo_london, sydney_tokyo.
class SessionFlags {
 public:
  static constexpr int kOutputs = 8;
  explicit SessionFlags(const fx::SessionClock* clock = &fx::SessionClock::Default())
      : clock_(clock) {}
  void Update(const BarInput& bar);
  bool IsReady() const { return ready_; }
  int WarmupPeriod() const { return 1; }
  int StablePeriod() const { return 1; }
  uint8_t mask() const { return mask_; }
  void Values(double* out) const;
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  const fx::SessionClock* clock_;
  uint8_t mask_ = 0;
  bool ready_ = false;
  // Every session edge and the market's open and close fall on a whole UTC hour (the four cities
  // and New York's 17:00 have whole-hour UTC offsets), so the mask is constant within a UTC hour
  // and is looked up once per hour. Not part of the state.
  bool cache_valid_ = false;
  int64_t cached_hour_ = 0;
  uint8_t cached_mask_ = 0;
};

// Bar-level slippage estimate for a market order at the bar's close, in price units:
//   half_spread = mean(spread_mean over the last `period` bars) / 2
//   sigma_bar   = sqrt(mean((C_t - C_{t-1})^2 over the last `period` bar changes))
//   vol         = sigma_bar * sqrt(latency / bar_length)   (random-walk scaling to the order's
//                                                            execution latency)
//   slippage    = half_spread + vol
// bar_length = ts_close - ts_open of the current bar (vol = 0 if not positive).
class SlippageEstimate {
 public:
  explicit SlippageEstimate(int period = 20, double latency_ms = 250);
  void Update(const BarInput& bar);
  bool IsReady() const { return sq_.IsReady(); }
  int WarmupPeriod() const { return period_ + 1; }
  int StablePeriod() const { return period_ + 1; }
  double value() const;
  double half_spread() const;
  double vol() const;
  void Values(double* out) const {
    out[0] = value();
    out[1] = half_spread();
    out[2] = vol();
  }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  int period_;
  double latency_ns_;
  Sma spread_;  // spread_mean of the last `period` bars
  Sma sq_;      // squared close changes of the last `period` bars
  bool has_prev_ = false;
  double prev_close_ = 0;
  double scale_ = 0;  // sqrt(latency / bar_length) of the last bar
};

// ---- Batch functions: loops over the kernels, NaN before ready ----------------------------------
// Outputs have the input's length (only the common length of all spans is processed).
void MfiBatch(std::span<const BarInput> bars, int period, std::span<double> out);
void AdlBatch(std::span<const BarInput> bars, std::span<double> out);
void ObvBatch(std::span<const BarInput> bars, std::span<double> out);
void AwesomeOscillatorBatch(std::span<const BarInput> bars, int fast, int slow,
                            std::span<double> out);
void TickVolumeStatsBatch(std::span<const BarInput> bars, int period, std::span<double> rel,
                          std::span<double> z);
void SpreadStatsBatch(std::span<const BarInput> bars, int period, std::span<double> rel,
                      std::span<double> z);
void SlippageEstimateBatch(std::span<const BarInput> bars, int period, double latency_ms,
                           std::span<double> slippage, std::span<double> half_spread,
                           std::span<double> vol);
// Session masks (SessionBit per active session) at each bar's ts_close.
void SessionFlagsBatch(std::span<const BarInput> bars, std::span<uint8_t> masks);
void RollingCorrelationBatch(std::span<const double> x, std::span<const double> y, int period,
                             std::span<double> out);

}  // namespace arus::indicators
