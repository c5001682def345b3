// Indicator registry: indicators by name with parameters, as users write them:
//   "sma(20),ema(20),rsi(14),macd(12,26,9),bbands(20,2),stoch(14,3,3),adl,ao"
// Each definition names its parameters with defaults, so "rsi" means "rsi(14)". Output columns are
// named <output>_<params joined by '_'> ("macd_signal_12_26_9", "bb_up_20_2"; "adl" has none).
// Thread-safety: the registry is immutable after static initialisation; all functions reentrant.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "indicators/indicator.h"

namespace arus::indicators {

struct IndicatorSpec {
  std::string name;            // lower case, e.g. "macd"
  std::vector<double> params;  // complete (defaults filled in) after Resolve/Parse
  // "macd(12,26,9)"; "adl" when there are no parameters. Numbers in shortest form.
  std::string Canonical() const;
  bool operator==(const IndicatorSpec&) const = default;
};

struct ParamDef {
  std::string name;     // "period"
  double default_value;
  double min_value;     // inclusive bounds; integer-ness is checked by the factory
  double max_value;
  bool integer = true;
};

struct IndicatorDef {
  std::string name;         // "bbands"
  std::string description;  // one line, for `arus indicators --list`
  std::vector<ParamDef> params;
  // Output column stems in order: {"bb_mid", "bb_up", "bb_dn"}. The full name appends the params.
  std::vector<std::string> outputs;
  // Builds the kernel from complete, range-checked parameters.
  std::function<std::unique_ptr<Indicator>(const std::vector<double>& params,
                                           std::vector<std::string> output_names)>
      make;
  // Optional check across parameters (e.g. macd: fast < slow), run after the range checks.
  std::function<Status(const std::vector<double>& params)> validate = {};
};

// Parses a comma-separated list; each item "name" or "name(p1,p2,...)". Missing trailing params
// take defaults. Errors name the item and list the known indicators / the expected parameters.
Result<std::vector<IndicatorSpec>> ParseIndicatorList(std::string_view text);
Result<IndicatorSpec> ParseIndicatorSpec(std::string_view item);
Result<std::unique_ptr<Indicator>> MakeIndicator(const IndicatorSpec& spec);
// Full output column names of a spec ("macd_12_26_9", ...).
Result<std::vector<std::string>> OutputNames(const IndicatorSpec& spec);
// Every registered definition, sorted by name.
const std::vector<IndicatorDef>& AllIndicators();
const IndicatorDef* FindIndicator(std::string_view name);

// Registration hooks, one per kernel family file (called once by AllIndicators()).
void RegisterPriceIndicators(std::vector<IndicatorDef>* defs);   // kernels_price.cc
void RegisterVolumeIndicators(std::vector<IndicatorDef>* defs);  // kernels_volume.cc

}  // namespace arus::indicators
