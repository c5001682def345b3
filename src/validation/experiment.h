// Experiments: what `arus train --config EXP.toml` runs. An experiment takes a dataset (or a
// feature set to build one from a store), a label, one or more learners (optionally with a
// hyperparameter search space), an optional ensemble and a validation scheme; it produces
// out-of-sample metrics per fold and pooled over folds, every search trial, out-of-sample
// predictions, and final models fitted on all usable rows. Config format: docs/train.md.
//
// Leakage rules, all enforced here:
//  - each fold's training rows come from validation::WalkForwardFolds / PurgedKFoldFolds (purged
//    with the label end times, embargoed);
//  - preprocessing and calibration are fitted inside each training window (ml::FitModel);
//  - the hyperparameter search runs an inner purged walk-forward inside the training window of
//    each fold, never touching the fold's test rows (nested validation);
//  - the ensemble's weights use only outcomes whose label had ended by each decision time.
//
// Thread-safety: RunExperiment is reentrant; it does not touch the file system.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "features/dataset.h"
#include "ml/ensemble.h"
#include "ml/model.h"
#include "validation/metrics.h"
#include "validation/splits.h"

namespace arus::validation {

// One dimension of a search space: a list of choices (grid or random) or a numeric range
// (random only), optionally log-uniform and/or integer.
struct SearchDim {
  std::string name;
  std::vector<ml::ParamValue> choices;
  bool range = false;
  double min = 0, max = 0;
  bool log = false;
  bool integer = false;
};

struct LearnerConfig {
  std::string name;     // display name, unique ("xgboost" by default)
  std::string learner;  // ml learner ("xgboost", "random_forest", "logistic", "svm")
  ml::ParamMap params;
  std::vector<SearchDim> search;  // empty: no search
};

enum class Scheme : uint8_t { kWalkForward, kPurgedKFold };

struct SearchConfig {
  std::string method = "random";  // random | grid
  size_t trials = 10;             // budget per learner (grid: at most this many points)
  size_t inner_folds = 3;         // inner walk-forward folds inside each training window
  std::string metric;             // log_loss | brier | accuracy | balanced_accuracy | roc_auc |
                                  // rmse | mae | ic; default log_loss / rmse
};

struct EnsembleConfig {
  bool enabled = false;
  std::vector<std::string> members;  // learner display names; default all
  ml::EnsembleOptions options;
};

struct ExperimentConfig {
  std::string origin;  // file it came from, for messages
  std::string name;
  std::string dataset;       // dataset file, or
  std::string feature_spec;  // a feature set to build from `store`
  std::string store;
  std::string models = "models";  // registry root
  std::string label;              // label column; default: the dataset's first label
  ml::Task task = ml::Task::kClassification;
  bool task_given = false;           // otherwise: regression for forward_return labels, else
                                     // classification
  std::vector<std::string> include;  // feature name patterns ('*' wildcard); empty = all
  std::vector<std::string> exclude;
  bool drop_flat = false;       // drop rows whose label is 0 (up / down classification)
  bool drop_incomplete = true;  // drop rows with any NaN feature (warm-up)
  uint64_t seed = 42;
  Scheme scheme = Scheme::kWalkForward;
  WalkForwardOptions walk_forward;
  PurgedKFoldOptions kfold;
  std::vector<LearnerConfig> learners;
  SearchConfig search;
  EnsembleConfig ensemble;
  std::string canonical_text;  // canonical JSON of the whole config
  std::string hash;            // xxhash64 of canonical_text, 16 hex digits
};

// Errors name the file, line and key.
Result<ExperimentConfig> ParseExperimentConfig(std::string_view toml_text,
                                               const std::string& origin);
Result<ExperimentConfig> LoadExperimentConfig(const std::string& path);

// The usable rows of a dataset for an experiment, row-major.
struct ExperimentData {
  std::string label;
  ml::Task task = ml::Task::kClassification;
  std::vector<std::string> feature_names;
  ml::Matrix x;
  std::vector<double> y;
  std::vector<UnixNanos> time, label_end;
  std::vector<size_t> dataset_row;  // row in the dataset of each usable row
  size_t dataset_rows = 0;
  size_t dropped_no_label = 0, dropped_flat = 0, dropped_incomplete = 0;
};
Result<ExperimentData> PrepareData(const ExperimentConfig& config,
                                   const features::Dataset& dataset);

// Metrics of one model on some rows; `task` says which half is filled.
struct Metrics {
  ml::Task task = ml::Task::kClassification;
  ClassificationMetrics cls;
  RegressionMetrics reg;
  double Score(const std::string& metric) const;  // lower is better (accuracy-like negated)
};
void ToJson(nlohmann::json& j, const Metrics& m);

struct FoldModelResult {
  std::string model;  // learner display name or "ensemble"
  Metrics metrics;
  ml::ParamMap params;  // chosen by the search, or as configured
  double fit_seconds = 0;
  double mean_agreement = -1;  // ensemble only
};

struct FoldResult {
  Fold fold;
  UnixNanos train_from, train_to, test_from, test_to;
  std::vector<FoldModelResult> models;
};

struct TrialRecord {
  int fold = -1;  // -1: the search for the final model
  std::string model;
  size_t trial = 0;
  ml::ParamMap params;
  std::vector<double> inner_scores;
  double score = 0;
  bool chosen = false;
};

struct ExperimentResult {
  std::vector<std::string> model_names;  // learners in config order, then "ensemble"
  std::vector<FoldResult> folds;
  std::vector<Metrics> pooled;  // per model, over every out-of-sample row
  std::vector<TrialRecord> trials;
  // Out-of-sample predictions: usable-row index, then per model its outputs (row-major).
  std::vector<size_t> oos_rows;
  std::vector<std::vector<double>> oos_outputs;  // [model][i * outputs + c]
  std::vector<double> oos_agreement;             // ensemble only
  std::vector<double> classes;                   // classification
  // Final models fitted on every usable row (when RunOptions::fit_final), [model].
  std::vector<std::unique_ptr<ml::Model>> final_models;
  std::vector<ml::ParamMap> final_params;
};

struct RunOptions {
  bool fit_final = true;
  // Called after every model of a fold (done, total) and after each whole fold.
  std::function<void(size_t done, size_t total)> progress;
  std::function<void(const FoldResult&)> on_fold;
};

Result<ExperimentResult> RunExperiment(const ExperimentConfig& config, const ExperimentData& data,
                                       const RunOptions& options);

// metrics.json: config (canonical) and hash, data summary, folds with per-model metrics,
// pooled metrics, every trial, final model parameters.
nlohmann::json ExperimentJson(const ExperimentConfig& config, const ExperimentData& data,
                              const ExperimentResult& result);
// The validation block stored in a model's manifest: per-fold and pooled metrics of `model`.
nlohmann::json ModelValidationJson(const ExperimentResult& result, size_t model);

}  // namespace arus::validation
