// Feature sets: a TOML spec of what a dataset holds — the target symbol, its base timeframe (one
// row per base bar close, the decision time), indicator features per timeframe, the trend
// alignment across timeframes, cross-pair features, external point-in-time features and labels.
// Its canonical text and that text's hash identify the set: a model trained on one set refuses
// another. Format and every key: docs/features.md; example: examples/features.toml.
//
//   name = "eurusd-m5"
//   symbol = "EURUSD"
//   base_timeframe = "M5"
//   price = "mid"                      # bar side: mid, bid, ask
//   [indicators]                       # timeframe = indicator list (registry syntax)
//   M5 = "rsi(14),macd(12,26,9),atr(14)"
//   H1 = "rsi(14),ema(50)"
//   [trend]                            # sign of close - EMA(ema) per timeframe, averaged
//   timeframes = ["M5", "H1", "H4", "D1"]
//   ema = 50
//   [cross]
//   symbols = ["GBPUSD", "USDJPY", "EURGBP"]  # other pairs, read on the base timeframe
//   correlation_window = 100           # rolling correlation of base-bar log returns (0 = off)
//   strength_window = 20               # currency strength over this many base bars (0 = off)
//   triangular = true                  # deviation from the rate implied by two legs
//   [external]                         # see docs/external-data.md
//   ...
//   [ticks]                            # tick-level features of the target (half-lives)
//   spread = "5m"                      # or a list: ["1m", "15m"]
//   imbalance = "5m"
//   intensity = "1m"
//   slippage = "5m"
//   slippage_latency = "100ms"
//   labels = ["forward_return(h=12)", "triple_barrier(tp=2,sl=1,atr=14,hold=24)"]
// Thread-safety: value types; parsing is reentrant.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "bars/timeframe.h"
#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "indicators/registry.h"

namespace arus::features {

struct IndicatorGroup {
  bars::Timeframe timeframe = bars::Timeframe::kM5;
  std::vector<indicators::IndicatorSpec> indicators;
  bool operator==(const IndicatorGroup&) const = default;
};

struct TrendSpec {
  std::vector<bars::Timeframe> timeframes;  // empty = no trend feature
  int ema = 50;
  bool operator==(const TrendSpec&) const = default;
};

struct CrossSpec {
  std::vector<std::string> symbols;  // canonical symbols, target excluded
  int correlation_window = 100;
  int strength_window = 20;
  bool triangular = true;
  bool operator==(const CrossSpec&) const = default;
};

// Tick-level "order book" features of the target symbol (indicators/tick_kernels.h), one column
// per half-life of each kernel, in this order: tick_spread_<hl> (SpreadEwma, pips),
// tick_imbalance_<hl> (BookImbalance, [-1, 1]), tick_intensity_<hl> (TickIntensity, ticks per
// second), tick_slippage_<hl> (TickSlippage with slippage_latency, pips). <hl> is CanonicalDuration (core/time.h).
// Half-lives are positive, at most kMaxTickHalfLife, ascending and distinct.
struct TicksSpec {
  std::vector<Duration> spread;
  std::vector<Duration> imbalance;
  std::vector<Duration> intensity;
  std::vector<Duration> slippage;
  Duration slippage_latency = std::chrono::milliseconds(100);
  bool empty() const {
    return spread.empty() && imbalance.empty() && intensity.empty() && slippage.empty();
  }
  bool operator==(const TicksSpec&) const = default;
};
inline constexpr Duration kMaxTickHalfLife = std::chrono::hours(24 * 7);
inline constexpr Duration kMaxTickLatency = std::chrono::hours(1);


struct FeatureSetSpec {
  std::string name;
  std::string symbol;  // canonical
  bars::Timeframe base_timeframe = bars::Timeframe::kM5;
  PriceSide price = PriceSide::kMid;
  std::vector<IndicatorGroup> indicators;  // in timeframe order, one group per timeframe
  TrendSpec trend;
  CrossSpec cross;
  // External features: key = value pairs of the [external] table, canonical text form
  // (interpreted by the external feature kernel; empty = none).
  std::map<std::string, std::string> external;
  TicksSpec ticks;                  // empty = no tick features (and no ticks read)
  std::vector<std::string> labels;  // label specs, canonical form

  // Every symbol the set reads: the target first, then cross.symbols.
  std::vector<std::string> AllSymbols() const;
  // Timeframes whose bars the target needs (base, indicator groups, trend), ascending.
  std::vector<bars::Timeframe> TargetTimeframes() const;
  // Canonical TOML (fixed key order, canonical indicator and label specs): parsing it gives an
  // equal spec; equal specs give equal text whatever the input's layout or spelling. The [ticks]
  // table appears only when it asks for a feature, so specs without one keep their old text/hash.
  std::string ToCanonicalText() const;
  uint64_t Hash() const;        // xxhash64 of ToCanonicalText()
  std::string HashHex() const;  // 16 lower-case hex digits
  bool operator==(const FeatureSetSpec&) const = default;
};

// Errors name the file, line and key.
Result<FeatureSetSpec> ParseFeatureSet(std::string_view toml_text, std::string_view file_name);
Result<FeatureSetSpec> LoadFeatureSet(const std::string& path);

}  // namespace arus::features
