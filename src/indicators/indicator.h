// Streaming indicator kernels: the one code path from research to live.
//
// Every indicator is an incremental kernel: Update() consumes one completed bar (or tick) and the
// value is available at once. Batch computation is a loop over the same kernel, never a second
// implementation, so a value computed in a backtest is bit-identical to the one computed live.
//
// Two layers:
//   * Concrete kernels (Ema, Rsi, Macd, ... in kernels_*.h): non-virtual, inlineable, used by
//     benchmarks and by other kernels. Each has Update, IsReady, WarmupPeriod, StablePeriod,
//     Save/Load, and a batch function `XxxBatch(...)` that loops over the kernel.
//   * Indicator (below): the runtime interface the registry hands out ("rsi(14)" -> kernel), used by
//     `arus indicators`, feature sets and the live path. Adapters wrap the concrete kernels.
//
// Conventions (docs/indicators.md): definitions follow TA-Lib's. Values before warm-up are NaN.
//   WarmupPeriod(): number of bars consumed before the first value (IsReady() turns true after the
//     WarmupPeriod()-th Update; TA-Lib's "lookback" + 1).
//   StablePeriod(): number of bars after which the value no longer depends on where the history
//     started, to 1e-9 relative (equal to WarmupPeriod() for finite-window kernels; larger for
//     recursive ones such as EMA, RSI, ATR, ADX). Feature sets declare it as their lookback.
// Thread-safety: kernels are plain values, one per thread. Ownership: kernels own their state.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"

namespace arus::indicators {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// One completed bar as indicators see it: prices as doubles, converted once from fixed point.
struct BarInput {
  UnixNanos ts_open;
  UnixNanos ts_close;  // the decision time: the bar is complete at ts_close
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  double volume = 0;      // real or tick volume; 0 when unknown
  double tick_count = 0;  // ticks in the bar (FX "tick volume"); 0 when unknown
  double spread_mean = 0; // mean ask - bid in price units; 0 when unknown
  double spread_max = 0;
};
BarInput ToBarInput(const Bar& bar);

// Checkpoints of kernel state (incremental computation, part of stored features). The encoding is
// a flat little-endian byte string; Load must consume exactly what Save wrote.
class StateWriter {
 public:
  void PutDouble(double v) { Put(&v, sizeof v); }
  void PutInt(int64_t v) { Put(&v, sizeof v); }
  void PutDoubles(std::span<const double> v) {
    PutInt(static_cast<int64_t>(v.size()));
    Put(v.data(), v.size() * sizeof(double));
  }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  void Put(const void* p, size_t n) {
    const auto* b = static_cast<const uint8_t*>(p);
    bytes_.insert(bytes_.end(), b, b + n);
  }
  std::vector<uint8_t> bytes_;
};

class StateReader {
 public:
  explicit StateReader(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  Status GetDouble(double* v) { return Get(v, sizeof *v); }
  Status GetInt(int64_t* v) { return Get(v, sizeof *v); }
  // Reads a vector written by PutDoubles; `expected_size` >= 0 checks its length.
  Status GetDoubles(std::vector<double>* v, int64_t expected_size = -1);
  bool done() const { return pos_ == bytes_.size(); }

 private:
  Status Get(void* p, size_t n);
  std::span<const uint8_t> bytes_;
  size_t pos_ = 0;
};

// The runtime interface of a bar indicator (one or more outputs).
class Indicator {
 public:
  virtual ~Indicator() = default;
  virtual void Update(const BarInput& bar) = 0;
  virtual bool IsReady() const = 0;
  virtual int WarmupPeriod() const = 0;
  virtual int StablePeriod() const = 0;
  // Output column names, e.g. {"macd_12_26_9", "macd_signal_12_26_9", "macd_hist_12_26_9"}.
  virtual const std::vector<std::string>& OutputNames() const = 0;
  // Writes the current values (NaN before ready) to out[0 .. OutputNames().size()).
  virtual void Values(double* out) const = 0;
  // Update then Values in one call: the live path's one virtual call per indicator and bar.
  virtual void UpdateValues(const BarInput& bar, double* out) {
    Update(bar);
    Values(out);
  }
  virtual void Save(StateWriter& w) const = 0;
  virtual Status Load(StateReader& r) = 0;
  virtual void Reset() = 0;
  virtual std::unique_ptr<Indicator> Clone() const = 0;
};

// Adapter from a concrete bar kernel K to Indicator. K provides:
//   void Update(const BarInput&); bool IsReady() const; int WarmupPeriod() const;
//   int StablePeriod() const; void Values(double* out) const; void Save(StateWriter&) const;
//   Status Load(StateReader&);
// Reset() restores the kernel as constructed.
template <class K>
class KernelIndicator final : public Indicator {
 public:
  KernelIndicator(K kernel, std::vector<std::string> names)
      : initial_(kernel), kernel_(std::move(kernel)), names_(std::move(names)) {}
  void Update(const BarInput& bar) override { kernel_.Update(bar); }
  bool IsReady() const override { return kernel_.IsReady(); }
  int WarmupPeriod() const override { return kernel_.WarmupPeriod(); }
  int StablePeriod() const override { return kernel_.StablePeriod(); }
  const std::vector<std::string>& OutputNames() const override { return names_; }
  void Values(double* out) const override { kernel_.Values(out); }
  void UpdateValues(const BarInput& bar, double* out) override {
    kernel_.Update(bar);
    kernel_.Values(out);
  }
  void Save(StateWriter& w) const override { kernel_.Save(w); }
  Status Load(StateReader& r) override { return kernel_.Load(r); }
  void Reset() override { kernel_ = initial_; }
  std::unique_ptr<Indicator> Clone() const override {
    return std::make_unique<KernelIndicator<K>>(*this);
  }
  K& kernel() { return kernel_; }

 private:
  K initial_;
  K kernel_;
  std::vector<std::string> names_;
};

// Runs `ind` over `bars` from a fresh state; returns row-major values (bars.size() x outputs).
std::vector<double> RunBatch(Indicator& ind, std::span<const BarInput> bars);

// Number of updates after which a recursive filter with decay factor `keep` per step (e.g.
// 1 - 2/(n+1) for an EMA) has forgotten its start to `tolerance` relative.
int DecayPeriod(double keep, double tolerance = 1e-12);

}  // namespace arus::indicators
