// Tick-level kernels on top-of-book quotes: the "order book" signals FX offers (spread, bid/ask
// volume imbalance), the time-and-sales rate (tick intensity) and a tick-level slippage estimate.
// Formulas: docs/indicators-fx.md.
//
// These kernels live in continuous time. Averages are exponential in *time* with a half-life,
// not per tick, so they mean the same thing in a quiet Asian night and a busy London open. A quote
// holds from its timestamp until the next one (previous-tick interpolation), so the value at any
// instant t >= the last tick is defined: ValueAt(t) decays the state to t without changing it.
// value() is ValueAt(last tick time).
//
// Conventions: Update() takes ticks in time order; a tick older than the last one is treated as
// simultaneous with it (elapsed time 0). WarmupPeriod() is in ticks; StableTime() is the elapsed
// time after which the value no longer depends on where the tick history started, to about 1e-9
// relative (27.6 time constants: the start's weight has decayed below 1e-12). Save/Load
// checkpoint the whole state and check the parameters. Batch functions loop over the kernels.
//
// Thread-safety: kernels are plain values, one per thread. Ownership: kernels own their state.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "indicators/indicator.h"

namespace arus::indicators {

// exp(-elapsed / tau) for a half-life; shared by the kernels below.
class TimeDecay {
 public:
  explicit TimeDecay(Duration half_life);
  // Weight that a value `elapsed` old keeps; elapsed <= 0 gives 1.
  double Keep(Duration elapsed) const;
  Duration half_life() const { return half_life_; }
  double tau_seconds() const { return tau_ns_ * 1e-9; }
  // 27.6 time constants (ln 1e12).
  Duration StableTime() const;

 private:
  Duration half_life_;
  double tau_ns_;
  double inv_tau_ns_;
};

// Time-weighted exponential average of the quoted spread, in pips:
//   s_i = (ask_i - bid_i) / pip_size
//   E(t_i) = a * E(t_{i-1}) + (1 - a) * s_{i-1},  a = exp(-(t_i - t_{i-1}) / tau)
//   ValueAt(t) = a(t - t_n) * E(t_n) + (1 - a(t - t_n)) * s_n
// E starts at the first tick's spread.
class SpreadEwma {
 public:
  SpreadEwma(double pip_size, Duration half_life);
  void Update(const QuoteTick& tick);
  bool IsReady() const { return count_ > 0; }
  int WarmupPeriod() const { return 1; }
  Duration StableTime() const { return decay_.StableTime(); }
  double ValueAt(UnixNanos t) const;
  double value() const { return ValueAt(last_t_); }
  // Spread of the last tick, in pips.
  double last() const { return count_ > 0 ? s_ : kNaN; }
  UnixNanos last_time() const { return last_t_; }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  double pip_raw_;  // pip size in Price raw units (nano), rounded
  TimeDecay decay_;
  int64_t count_ = 0;
  UnixNanos last_t_;
  double e_ = 0;  // average up to last_t_
  double s_ = 0;  // spread holding since last_t_
};

// Top-of-book volume imbalance in [-1, 1]:
//   q_i = (bid_volume_i - ask_volume_i) / (bid_volume_i + ask_volume_i)
// and its time-weighted exponential average (same form as SpreadEwma). Ticks without volume
// (both 0) keep the previous q; the value is NaN until a tick with volume arrives.
class BookImbalance {
 public:
  explicit BookImbalance(Duration half_life);
  void Update(const QuoteTick& tick);
  bool IsReady() const { return has_; }
  int WarmupPeriod() const { return 1; }
  Duration StableTime() const { return decay_.StableTime(); }
  double ValueAt(UnixNanos t) const;
  double value() const { return ValueAt(last_t_); }
  double last() const { return has_ ? q_ : kNaN; }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  TimeDecay decay_;
  bool has_ = false;
  UnixNanos last_t_;
  double e_ = 0;
  double q_ = 0;
};

// Tick intensity (time-and-sales rate) in ticks per second, an exponentially weighted count:
//   lambda(t) = sum over ticks i with t_i <= t of exp(-(t - t_i) / tau) / tau
// A Poisson stream of rate r gives E[lambda] = r once stable.
class TickIntensity {
 public:
  explicit TickIntensity(Duration half_life);
  void Update(const QuoteTick& tick) { Update(tick.ts_event); }
  void Update(UnixNanos t);
  bool IsReady() const { return count_ > 0; }
  int WarmupPeriod() const { return 1; }
  Duration StableTime() const { return decay_.StableTime(); }
  double ValueAt(UnixNanos t) const;
  double value() const { return ValueAt(last_t_); }
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  TimeDecay decay_;
  double inv_tau_s_;
  int64_t count_ = 0;
  UnixNanos last_t_;
  double lambda_ = 0;  // at last_t_, including the tick there
};

// Slippage estimate of a market order sent at t, in pips:
//   slippage(t) = SpreadEwma(t) / 2 + sqrt(V(t) * latency)
// where V is the exponentially weighted realized variance rate of the mid, in pips^2 per second:
//   V(t) = sum over mid changes dm_i at t_i <= t of exp(-(t - t_i) / tau) * dm_i^2 / tau
// (for a random walk with variance rate v per second, E[V] = v once stable), and latency is the
// time from decision to fill. The same half-life drives both parts.
class TickSlippage {
 public:
  TickSlippage(double pip_size, Duration half_life, Duration latency);
  void Update(const QuoteTick& tick);
  bool IsReady() const { return count_ >= 2; }
  int WarmupPeriod() const { return 2; }
  Duration StableTime() const { return spread_.StableTime(); }
  double ValueAt(UnixNanos t) const;
  double value() const { return ValueAt(spread_.last_time()); }
  // The two parts at t: half the average spread, and the volatility over the latency.
  double HalfSpreadAt(UnixNanos t) const;
  double VolAt(UnixNanos t) const;
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);

 private:
  double pip_raw_;
  double latency_s_;
  SpreadEwma spread_;
  TimeDecay decay_;
  double inv_tau_s_;
  int64_t count_ = 0;
  int64_t prev_mid_raw_ = 0;
  double var_rate_ = 0;  // V at the last tick
};

// Batch: value() after each tick (NaN before ready). Loops over the kernels.
std::vector<double> SpreadEwmaBatch(std::span<const QuoteTick> ticks, double pip_size,
                                    Duration half_life);
std::vector<double> BookImbalanceBatch(std::span<const QuoteTick> ticks, Duration half_life);
std::vector<double> TickIntensityBatch(std::span<const QuoteTick> ticks, Duration half_life);
std::vector<double> TickSlippageBatch(std::span<const QuoteTick> ticks, double pip_size,
                                      Duration half_life, Duration latency);

}  // namespace arus::indicators
