// Reading a RiskConfig from an already-parsed toml++ table, for run-config parsers that own the
// whole document (the pipeline). Kept apart from risk/config.h so that header does not pull in
// toml++; a target including this one must link tomlplusplus itself.
// Thread-safety: reentrant.
#pragma once

#include <toml++/toml.h>

#include <string_view>

#include "risk/config.h"

namespace arus::risk {

// `risk` is the `[risk]` table itself; `table_name` ("risk") and `file_name` appear in messages.
// Same rules and messages as ParseRiskConfig.
Result<RiskConfig> RiskConfigFromToml(const toml::table& risk, std::string_view file_name,
                                      std::string_view table_name = "risk");

}  // namespace arus::risk
