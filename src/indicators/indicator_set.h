// A fixed list of bar indicators updated together: the hot loop of the live path and of the
// feature engine (one set per timeframe).
//
// The set owns ordinary Indicator objects (from the registry), so names, warm-up, Save/Load and
// Reset are theirs, and every value is bit-identical to calling each Indicator in turn. What it
// adds is speed:
//   * it finds the concrete kernel behind each registry indicator and runs the kernels through
//     threaded code (one indirect jump per indicator, each kernel inlined) instead of one
//     virtual call per indicator and bar;
//   * kernels whose windows are the same computation share it: bbands, stddev and zscore of the
//     same period (rolling moments of the close), and stoch, willr and donchian of the same
//     period (rolling highest high and lowest low) update one window and each reads it. They
//     share only while their window states are equal (checked on Add, Load and Reset), so the
//     values are exactly those of separate kernels.
// Indicators of types the set does not know (user-defined Indicator subclasses) still work,
// through their virtual interface.
//
// Outputs of all indicators form one row, in the order they were added, each indicator's
// OutputNames() in turn (output_offset(i) is the first column of indicator i).
//
// Thread-safety: one set per thread (even const methods may bring shared state up to date).
// Ownership: the set owns its indicators; it is movable, not copyable (Clone() copies).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "indicators/indicator.h"
#include "indicators/registry.h"

namespace arus::indicators {

class IndicatorSet {
 public:
  IndicatorSet();
  IndicatorSet(IndicatorSet&&) noexcept = default;
  IndicatorSet& operator=(IndicatorSet&&) noexcept = default;
  IndicatorSet(const IndicatorSet&) = delete;
  IndicatorSet& operator=(const IndicatorSet&) = delete;

  // The registry's indicators for `specs`, in order (errors as MakeIndicator's).
  static Result<IndicatorSet> Make(std::span<const IndicatorSpec> specs);
  // Parses a list as ParseIndicatorList does ("sma(20),rsi,macd(12,26,9)").
  static Result<IndicatorSet> Parse(std::string_view list);

  // Appends one indicator (its outputs go after the current ones).
  Status Add(const IndicatorSpec& spec);
  void Add(std::unique_ptr<Indicator> ind);

  size_t size() const { return inds_.size(); }
  bool empty() const { return inds_.empty(); }
  // Indicator i, its state brought up to date (kernels sharing a window hold their own copy only
  // after this, Save or Clone).
  const Indicator& indicator(size_t i) const;
  size_t output_offset(size_t i) const { return entries_[i].offset; }
  size_t output_count() const { return names_.size(); }
  // All output columns in row order.
  const std::vector<std::string>& OutputNames() const { return names_; }
  // Largest warm-up / stable period of the indicators (0 when empty).
  int WarmupPeriod() const;
  int StablePeriod() const;
  // Indicators that read a window shared with an earlier one (for tests and diagnostics).
  size_t shared_count() const;

  // One completed bar into every indicator.
  void Update(const BarInput& bar);
  // Current values of every indicator: out[0 .. output_count()), NaN before each is ready.
  void Values(double* out) const;
  // Update then Values.
  void UpdateValues(const BarInput& bar, double* out);

  // Every indicator's state in order: the same bytes as calling each Indicator's Save in turn.
  void Save(StateWriter& w) const;
  Status Load(StateReader& r);
  void Reset();
  IndicatorSet Clone() const;

 private:
  // One indicator as the hot loop sees it. The last entry is a sentinel (kind "end").
  struct Entry {
    uint32_t kind;
    uint32_t offset;  // first output column
    void* kernel;     // the KernelIndicator's kernel, or the Indicator itself (generic)
    const void* shared = nullptr;   // a follower's window: the leader's moments or highs
    const void* shared2 = nullptr;  // the leader's lows
  };
  template <int kOps>
  void Run(const BarInput* bar, double* out) const;
  void Sync() const;  // copies each shared window into its followers' own kernels
  void Ungroup();     // every kernel on its own window (states unchanged)
  void Group();       // shares equal windows (every kernel's own state must be current)

  std::vector<std::unique_ptr<Indicator>> inds_;
  std::vector<Entry> entries_;  // inds_.size() + 1 (sentinel)
  std::vector<std::string> names_;
};

}  // namespace arus::indicators
