// Shared plumbing of the `arus` command line: each command registers a CLI11 subcommand and a
// function that runs it. Commands return a Status; main prints a failed Status as one line
// ("arus: error: ...") and exits 1. Usage errors exit 2 (CLI11's parse errors).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>

#include "core/status.h"
#include "core/time.h"

namespace arus::cli {

struct GlobalFlags {
  bool quiet = false;  // no progress bars, no human summary (errors still go to stderr)
};

// A registered command: its subcommand and what runs it.
struct Command {
  CLI::App* app = nullptr;
  std::function<Status()> run;
};

Command AddGenerateCommand(CLI::App& root, const GlobalFlags& g);
Command AddInfoCommand(CLI::App& root, const GlobalFlags& g);
Command AddBarsCommand(CLI::App& root, const GlobalFlags& g);
Command AddTicksCommand(CLI::App& root, const GlobalFlags& g);
Command AddIngestCommand(CLI::App& root, const GlobalFlags& g);
Command AddQualityCommand(CLI::App& root, const GlobalFlags& g);
Command AddCompareCommand(CLI::App& root, const GlobalFlags& g);
Command AddIndicatorsCommand(CLI::App& root, const GlobalFlags& g);
Command AddFeaturesCommand(CLI::App& root, const GlobalFlags& g);
Command AddExternalCommand(CLI::App& root, const GlobalFlags& g);
Command AddDatasetCommand(CLI::App& root, const GlobalFlags& g);
Command AddTrainCommand(CLI::App& root, const GlobalFlags& g);
Command AddModelsCommand(CLI::App& root, const GlobalFlags& g);
Command AddPredictCommand(CLI::App& root, const GlobalFlags& g);
Command AddAnomalyCommand(CLI::App& root, const GlobalFlags& g);
Command AddRunCommand(CLI::App& root, const GlobalFlags& g);

// The instrument table's spelling of a known symbol ("eur/usd" -> "EURUSD"); others unchanged.
std::string CanonicalSymbol(const std::string& symbol);

// Parses an optional [from, to) pair of ISO-8601 UTC times; empty strings mean unbounded.
Status ParseTimeRange(const std::string& from, const std::string& to, UnixNanos* from_ns,
                      UnixNanos* to_ns);

}  // namespace arus::cli
