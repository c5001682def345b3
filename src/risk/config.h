// Risk configuration: the sizing method and its parameters, and the limits the risk manager
// enforces. Read from a TOML table (by default `[risk]` with a `[risk.sizing]` subtable) of a run
// config; written to JSON for run manifests. docs/risk.md lists every key with its default.
//
//   [risk]
//   max_open_positions = 10        # 0 = no limit
//   max_leverage = 10.0            # gross notional / equity after the order; 0 = no limit
//   max_currency_exposure = 5.0    # |net exposure of any currency| / equity; 0 = no limit
//   daily_loss_limit = 0.05        # fraction of start-of-day equity; 0 = off
//   max_drawdown = 0.25            # fraction of the equity peak; 0 = off
//   [risk.sizing]
//   method = "fixed_lots"          # fixed_lots | fixed_fractional | volatility_target | kelly
//   lots = 0.1 ...
//
// toml++ stays out of this header; risk/config_toml.h takes an already-parsed table.
// Thread-safety: value types; functions are reentrant.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "core/status.h"
#include "risk/sizing.h"

namespace arus::risk {

struct RiskLimits {
  int64_t max_open_positions = 10;
  double max_leverage = 10;
  double max_currency_exposure = 5;
  double daily_loss_limit = 0.05;
  double max_drawdown = 0.25;
  bool operator==(const RiskLimits&) const = default;
};

struct RiskConfig {
  SizingConfig sizing;
  RiskLimits limits;
  bool operator==(const RiskConfig&) const = default;
};

// Checks every value's range and the cross-field rules (min_lots <= max_lots, lot_step <=
// max_lots). InvalidArgument "risk config: [risk.sizing] key 'lot_step': ...".
Status ValidateRiskConfig(const RiskConfig& config);

// Parses table `table` (a dotted path such as "risk" or "backtest.risk") of a TOML document.
// A missing table gives the defaults; absent keys keep their defaults; other tables of the
// document are ignored. Unknown keys, wrong types and bad values are InvalidArgument
// "FILE:LINE: [risk] key 'k': what"; TOML syntax errors are ParseError with file and line.
// `file_name` is used in messages only.
Result<RiskConfig> ParseRiskConfig(std::string_view toml_text, std::string_view file_name,
                                   std::string_view table = "risk");
// Reads and parses a file (NotFound / IoError when it cannot be read).
Result<RiskConfig> LoadRiskConfig(const std::string& path, std::string_view table = "risk");

// The config as JSON for run manifests: {"sizing": {"method": "...", ...}, "max_open_positions":
// ..., ...}, every key present, the same names as in TOML.
void ToJson(nlohmann::json& j, const RiskConfig& config);

}  // namespace arus::risk
