// From an experiment's out-of-sample predictions to the model strategy's signals, and the
// [strategy] table of a run config. Each signal is a row of a walk-forward test window, predicted
// by the model fitted before that window: trading them is an out-of-sample backtest.
// Thread-safety: pure functions.
#pragma once

#include <limits>
#include <string>
#include <vector>

#include "core/status.h"
#include "features/dataset.h"
#include "pipeline/model_strategy.h"
#include "validation/experiment.h"

namespace arus::pipeline {

struct StrategyConfig {
  ModelStrategyOptions options;
  // Regime filter: trade only while dataset column `regime_column` is in [regime_min,
  // regime_max] at the decision time (empty column = no filter).
  std::string regime_column;
  double regime_min = -std::numeric_limits<double>::infinity();
  double regime_max = std::numeric_limits<double>::infinity();
};

// Parses the [strategy] table of a run config's text (`origin` names the file in messages; a
// missing table gives the defaults). Defaults: horizon and hold from the label (e.g. direction_12_... on M5
// gives 12 decisions and 60 minutes), symbol from the dataset.
Result<StrategyConfig> ParseStrategyConfig(const std::string& toml_text, const std::string& origin,
                                           const features::Dataset& dataset,
                                           const std::string& label);

// Signals of model `model` (index into result.model_names) at every out-of-sample row, in time
// order. Classification needs classes above and below zero (up and down); regression signals
// carry the predicted return.
Result<std::vector<Signal>> OutOfSampleSignals(const validation::ExperimentData& data,
                                               const validation::ExperimentResult& result,
                                               size_t model, const features::Dataset& dataset,
                                               const StrategyConfig& config);

}  // namespace arus::pipeline
