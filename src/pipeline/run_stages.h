// Internal to pipeline/: the state `arus run` carries from stage to stage, the stage display,
// and the stages after training (backtest, analytics, report) in run_backtest.cc.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "core/progress.h"
#include "features/dataset.h"
#include "pipeline/run.h"
#include "store/tick_store.h"
#include "validation/experiment.h"

namespace arus::pipeline {

inline constexpr int kRunStages = 7;

// One progress bar per stage ("[3/7] features"), and one summary line per stage.
class StageDisplay {
 public:
  StageDisplay(bool enabled, RunSummary* summary) : enabled_(enabled), summary_(summary) {}
  std::unique_ptr<ProgressBar> Begin(int k, const std::string& name, uint64_t total,
                                     const std::string& unit = "") {
    return std::make_unique<ProgressBar>(
        "[" + std::to_string(k) + "/" + std::to_string(kRunStages) + "] " + name, total,
        enabled_, unit);
  }
  void Line(std::string line) { summary_->stage_lines.push_back(std::move(line)); }

 private:
  bool enabled_;
  RunSummary* summary_;
};

struct QualitySummary {
  std::string symbol;
  double score = 0;
  std::string text;
  std::string json;
};

struct RunState {
  const RunConfig* config = nullptr;
  std::string run_dir;
  std::string store_dir;
  std::unique_ptr<store::TickStore> store;
  std::vector<std::string> symbols;
  std::vector<QualitySummary> quality;
  features::Dataset dataset;
  validation::ExperimentConfig experiment;
  validation::ExperimentData data;
  validation::ExperimentResult result;
  nlohmann::json validation_json;
  std::vector<std::pair<std::string, std::string>> saved_models;  // (model name, id)
};

// Stages 5-7: backtests of every model's out-of-sample predictions (the traded model's is the
// run's result; the others are the trials for the overfitting statistics), analytics, report.
Status RunBacktestStages(RunState& st, StageDisplay& display, RunSummary* summary);

}  // namespace arus::pipeline
