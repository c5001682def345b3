// The feature engine: one streaming code path from bars to feature rows, used for datasets (batch
// is a loop over it) and live. Point in time by construction: a row at decision time t (the close
// of a target base bar) reads only bars that closed at or before t, on every timeframe and every
// symbol; higher-timeframe bars are resampled from the source bars (bars::BarResampler) and
// reach their kernels only once complete.
//
// Feeding: Push(symbol, bar) source bars (M1) of each symbol in time order, each before the clock
// reaches its close; AdvanceTo(now) moves the clock. Batch merges the symbols' bars by ts_open and
// calls AdvanceTo(bar.ts_open) before each Push; live pushes the M1 bars that just closed, then
// calls AdvanceTo(now). AdvanceTo completes every bar that ends at or before `now` and emits the rows of
// target base bars that closed. State is checkpointed with SaveState/LoadState so a dataset can be
// extended with new bars without recomputing history: a restored engine continues bit for bit.
//
// Tick features ([ticks]): PushTick(0, tick) feeds the target's quote ticks in time order. It
// first moves the clock to tick.ts_event (exactly AdvanceTo(tick.ts_event)), so every row at a
// decision time t <= ts_event is emitted before the tick is applied: a row at t reads the tick
// kernels' ValueAt(t) over the ticks with ts_event < t (a tick at exactly t belongs to the bar
// opening at t, as bars are [open, close)). A tick older than the clock is refused. Source bars
// that close at or before ts_event must therefore be pushed before the tick (batch: merge by
// ts_open / ts_event; live: push the M1 bar a tick completes, then the tick). Ticks at instants
// when the FX market is closed are ignored, as bar aggregation ignores them.
//
// Feature families and column names (docs/features.md):
//   <tf>_<indicator output>          e.g. m5_rsi_14, h1_macd_signal_12_26_9
//   trend_align_<ema>                mean over timeframes of sign(close - EMA(ema)), in [-1, 1]
//   corr_<SYMBOL>_<w>                rolling correlation of base-bar log returns with the target
//   strength_<CCY>_<w>               currency strength: mean log move of the pairs holding CCY
//                                    (inverted where it is the quote) over w base bars
//   tri_dev_<CCY>_pips               target close minus the rate implied through CCY, in pips
//   external features                see features/external_features.h
//   tick_spread_<hl>, tick_imbalance_<hl>, tick_intensity_<hl>, tick_slippage_<hl>
//                                    tick kernels of the target at t (feature_set.h, TicksSpec)
// Thread-safety: one engine per thread. Ownership: owns its kernels.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "features/feature_set.h"

namespace arus::features {

class ExternalFeatureProvider;

class FeatureEngine {
 public:
  // `external` (optional, borrowed) provides the [external] features; required when the spec
  // has an [external] table.
  static Result<std::unique_ptr<FeatureEngine>> Create(const FeatureSetSpec& spec,
                                                       ExternalFeatureProvider* external = nullptr);
  ~FeatureEngine();
  FeatureEngine(const FeatureEngine&) = delete;
  FeatureEngine& operator=(const FeatureEngine&) = delete;

  const FeatureSetSpec& spec() const;
  const std::vector<std::string>& symbols() const;        // [0] is the target
  const std::vector<std::string>& feature_names() const;  // row layout

  // Source bars must be M1 bars of symbols()[symbol].
  Status Push(size_t symbol, const Bar& source_bar);
  Status AdvanceTo(UnixNanos now);
  // A quote tick of symbols()[symbol] (see the header comment). Ticks of symbols the spec reads
  // no tick features of (all but the target, or every one without [ticks]) are ignored.
  Status PushTick(size_t symbol, const QuoteTick& tick);
  // True when the spec has tick features, i.e. PushTick matters.
  bool needs_ticks() const;

  // Rows emitted and not yet taken: times and row-major values (rows x features).
  const std::vector<UnixNanos>& row_times() const;
  const std::vector<double>& row_values() const;
  void ClearRows();

  // History needed before a row for every feature to be stable (no dependence on where the
  // history started): the largest StablePeriod over the kernels, in time on their timeframe,
  // with room for weekends; for tick kernels their StableTime plus one base bar of open market
  // (the quote before a weekend holds through it), with the same room, in whole minutes.
  // Cumulative kernels (OBV, ADL: StablePeriod kNeverStable) are left out: their levels always
  // depend on the start.
  Duration Lookback() const;

  // Checkpoint of every kernel, resampler and cross-pair state, and the clock (tick kernels at
  // the end, only when the spec has [ticks]: other specs' checkpoints are unchanged).
  std::vector<uint8_t> SaveState() const;
  // The engine must have been created from the same spec. Corruption on a damaged checkpoint.
  Status LoadState(std::span<const uint8_t> bytes);
  // The clock of the last AdvanceTo (UnixNanos::Min() before any).
  UnixNanos now() const;

 private:
  struct Impl;
  explicit FeatureEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The interface the external point-in-time features implement (features/external_features.h).
class ExternalFeatureProvider {
 public:
  virtual ~ExternalFeatureProvider() = default;
  virtual const std::vector<std::string>& names() const = 0;
  // Values at decision time t (non-decreasing across calls), reading only records with
  // ts_avail <= t.
  virtual void ValuesAt(UnixNanos t, double* out) = 0;
  virtual std::vector<uint8_t> SaveState() const = 0;
  virtual Status LoadState(std::span<const uint8_t> bytes) = 0;
};

}  // namespace arus::features
