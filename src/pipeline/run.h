// `arus run`: the whole job from one config (docs/run.md, examples/demo.toml):
//   data (generate the synthetic market, or read a tick store) -> quality report per symbol ->
//   features (a feature set materialised into a dataset; bars are built from the ticks) ->
//   walk-forward training of the learners and their ensemble (an experiment config) ->
//   out-of-sample backtest of the model-driven strategy with FX costs and the risk module ->
//   analytics, overfitting statistics and the HTML report.
// Everything lands in one run directory `<runs>/<YYYYmmddTHHMMSS>-<name>/`: manifest.json,
// quality/, dataset.ds, validation.json, models/, trades.csv, equity.csv, metrics.json,
// report.html. The same config gives the same metrics (only the directory name and the
// manifest's creation time differ).
// Thread-safety: RunPipeline is reentrant (it owns everything it touches).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace arus::pipeline {

struct RunConfig {
  std::string origin;  // the config file
  std::string base_dir;  // relative paths in the config are resolved against this
  std::string name = "run";
  uint64_t seed = 7;

  // [data]
  std::string source = "generate";  // generate | store
  std::string store;                // source = "store": an existing tick store
  std::vector<std::string> symbols;
  UnixNanos from, to;
  double tick_rate_scale = 1.0;
  std::string market_mode = "normal";  // normal | random_walk | plant_signal
  double signal_strength = 0.1;           // plant_signal only

  // [quality], [features], [train]
  std::string quality_config;  // optional quality TOML
  std::string feature_spec;    // feature-set TOML
  std::string train_config;    // experiment TOML (its dataset key is ignored)
  std::string trade_model = "ensemble";  // whose out-of-sample predictions are traded

  // The file's text: [strategy], [backtest] and [risk] are parsed from it by their modules
  // (so their messages name the right lines).
  std::string text;
  std::string canonical_text;  // canonical JSON of the whole config
  std::string hash;            // xxhash64 of canonical_text, 16 hex digits
};

// Errors name the file, line and key.
Result<RunConfig> LoadRunConfig(const std::string& path);

struct RunOptions {
  std::string runs_dir = "runs";
  bool progress = true;  // draw the stage progress display on a TTY
  // Fixed run directory name instead of <time>-<name> (tests, reproducible paths).
  std::string run_name;
};

struct RunSummary {
  std::string run_dir;
  std::string report_path;
  size_t trades = 0;
  double net_pnl = 0;  // account currency
  double total_return = 0;
  double sharpe = 0;
  double max_drawdown = 0;
  double deflated_sharpe_probability = 0;
  std::string account_currency;
  std::vector<std::string> stage_lines;  // one human line per stage, in order
};

Result<RunSummary> RunPipeline(const RunConfig& config, const RunOptions& options);

}  // namespace arus::pipeline
