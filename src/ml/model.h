// The model interface of arus: fit a learner on a training window, predict a batch or a single
// row, save and load, report feature importance. One interface for classification (classes taken
// from the training labels, e.g. -1 / 0 / +1, with calibrated probabilities) and regression
// (e.g. a forward return). Docs: docs/ml.md.
//
// A fitted model is a pipeline: preprocessing (imputation, clipping, standardisation) fitted on the
// training window only -> the learner -> for classification an optional probability calibrator
// fitted on a purged tail of the training window. All of it is saved and loaded together, so a
// model predicts the same numbers after a round trip (tested bit for bit).
//
// Learners (ml/learners.h): "xgboost" (gradient-boosted trees, XGBoost C API, hist),
// "random_forest" (XGBoost's random-forest mode), "logistic" (liblinear L1/L2 logistic regression;
// regularised linear regression for regression tasks), "svm" (libsvm RBF SVC with probabilities /
// epsilon-SVR), and "ensemble" (ml/ensemble.h, combines fitted models).
//
// Sequence models (dl/: "lstm", "gru", "transformer", "cnn", "cnn_lstm", registered by
// arus::dl::RegisterLearners) read history: Predict(x) treats the rows of x as one time-ordered
// contiguous run, and the output of a row uses that row and the rows before it within x (up to
// the model's window). context_rows() says how many earlier rows a caller should prepend (and
// whose outputs it drops) to get warm outputs; it is 0 for row-wise models. PredictRow on a
// sequence model is a one-row sequence; the live path uses a stream (NewStream), which carries
// the history from bar to bar and gives the same numbers as Predict over the same rows.
//
// Thread-safety: a fitted Model is immutable; Predict / PredictRow may be called from several
// threads at once. A ModelStream is used by one thread and must not outlive its model.
// Ownership: models are held by std::unique_ptr; views are non-owning.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace arus::ml {

// ---- Data ------------------------------------------------------------------------------------

// Non-owning dense row-major matrix of doubles; NaN means missing.
struct MatrixView {
  const double* data = nullptr;
  size_t rows = 0;
  size_t cols = 0;
  const double* row(size_t r) const { return data + r * cols; }
};

// Owning dense row-major matrix.
struct Matrix {
  size_t rows = 0;
  size_t cols = 0;
  std::vector<double> data;

  Matrix() = default;
  Matrix(size_t r, size_t c, double fill = 0) : rows(r), cols(c), data(r * c, fill) {}
  double* row(size_t r) { return data.data() + r * cols; }
  const double* row(size_t r) const { return data.data() + r * cols; }
  double& at(size_t r, size_t c) { return data[r * cols + c]; }
  double at(size_t r, size_t c) const { return data[r * cols + c]; }
  MatrixView view() const { return MatrixView{data.data(), rows, cols}; }
};

enum class Task : uint8_t { kClassification, kRegression };
std::string_view TaskName(Task task);  // "classification", "regression"
Result<Task> ParseTask(std::string_view name);

// A training window. Rows are in time order. `y` holds class values (finite, integer-valued, e.g.
// -1 / 0 / +1) for classification or targets for regression; no NaN. `time` and `label_end` (the
// decision time of each row and the time its label's information ends) may be empty; when given,
// the calibrator's held-out tail is purged with them (rows whose label reaches into the tail are
// not used to fit the learner).
struct TrainSet {
  MatrixView x;
  std::span<const double> y;
  std::span<const UnixNanos> time;
  std::span<const UnixNanos> label_end;
};

// Rows `idx` (increasing) of a training set as a training set of their own: a view into `from`
// when the rows are contiguous (rolling and expanding windows, test windows, the fit part of a
// hold-out), else a copy. `from` must outlive a view. Not copyable or movable (the set may point
// into its own buffers).
class TrainRows {
 public:
  TrainRows(const TrainSet& from, std::span<const size_t> idx);
  TrainRows(const TrainRows&) = delete;
  TrainRows& operator=(const TrainRows&) = delete;
  const TrainSet& set() const { return set_; }

 private:
  Matrix x_;
  std::vector<double> y_;
  std::vector<UnixNanos> time_, end_;
  TrainSet set_;
};

// ---- Parameters ------------------------------------------------------------------------------

using ParamValue = std::variant<bool, int64_t, double, std::string>;
using ParamMap = std::map<std::string, ParamValue, std::less<>>;

enum class ParamType : uint8_t { kBool, kInt, kDouble, kString };

// One accepted parameter of a learner: its type, default, bounds (numbers, inclusive) or choices
// (strings), and a line of help for `arus train --list-learners` and docs/ml.md.
struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kDouble;
  ParamValue default_value;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::vector<std::string> choices;
  std::string help;
};

// Typed access to resolved parameters (ResolveParams guarantees presence and type; an int64 is
// accepted where a double is asked for).
bool GetBool(const ParamMap& p, std::string_view name);
int64_t GetInt(const ParamMap& p, std::string_view name);
double GetDouble(const ParamMap& p, std::string_view name);
const std::string& GetString(const ParamMap& p, std::string_view name);
std::string ParamValueText(const ParamValue& v);  // "true", "12", "0.05", "hist"
// Parameters as a JSON object and back (model.json, manifests, metrics.json): doubles round-trip
// exactly (non-finite ones as in docs/ml.md). ParseError naming `file` and "params.<name>" for a
// value that is not a boolean, number or string.
nlohmann::json ParamsToJson(const ParamMap& p);
Result<ParamMap> ParamsFromJson(const nlohmann::json& j, const std::string& file);

// ---- Models ----------------------------------------------------------------------------------

// What a fitted model is and what it was fitted on.
struct ModelInfo {
  std::string learner;  // "xgboost", ...
  Task task = Task::kClassification;
  ParamMap params;  // resolved: every parameter of the learner, defaults filled in
  std::vector<std::string> feature_names;
  std::vector<double> classes;  // sorted class values (classification); empty for regression
  uint64_t seed = 0;
  size_t train_rows = 0;  // rows the learner was fitted on (after the calibration split)
  UnixNanos train_from = UnixNanos::Min();  // first / last training decision time (when known)
  UnixNanos train_to = UnixNanos::Min();

  // Steps ahead the model predicts at once (multi-step sequence models): horizon h of row i
  // targets the label of row i + h - 1. Predict returns horizon 1; PredictHorizons all of them.
  size_t horizons = 1;

  // Values per prediction row: one probability per class, or 1 for regression.
  size_t outputs() const { return task == Task::kClassification ? classes.size() : 1; }
};

// The live path of a model: one row (bar) at a time, carrying whatever history the model keeps
// (a recurrent state, a ring of recent rows). Step over rows r0, r1, ... gives the same outputs
// as Predict over the matrix of those rows; Reset starts a new sequence. Stateless models step by
// PredictRow. Not thread-safe; must not outlive the model that made it.
class ModelStream {
 public:
  virtual ~ModelStream() = default;
  // `row`: feature values (NaN allowed); `out`: outputs() values (horizon 1).
  virtual Status Step(std::span<const double> row, std::span<double> out) = 0;
  virtual void Reset() = 0;
};

class Model {
 public:
  virtual ~Model() = default;
  virtual const ModelInfo& info() const = 0;

  // Predictions for every row of `x` (cols == feature count, NaN allowed), row-major into `out`
  // (rows * outputs values): class probabilities in info().classes order summing to 1, or the
  // regression value. InvalidArgument on a shape mismatch.
  virtual Status Predict(MatrixView x, std::span<double> out) const = 0;
  // One row, the live path: no heap allocation for up to 256 features.
  virtual Status PredictRow(std::span<const double> row, std::span<double> out) const = 0;
  // Importance per feature (info().feature_names order), non-negative, summing to 1; what it
  // measures depends on the learner (docs/ml.md). Empty when the learner has none.
  virtual std::vector<double> FeatureImportance() const = 0;
  // Writes `model.json` and the learner's artefact files into `dir` (created if missing).
  virtual Status Save(const std::string& dir) const = 0;

  // Rows of history a sequence model reads before a row (0: row-wise). See the file comment.
  virtual size_t context_rows() const { return 0; }
  // A stream for the live path (see ModelStream). The default steps by PredictRow.
  virtual std::unique_ptr<ModelStream> NewStream() const;
  // Every horizon: rows * info().horizons * outputs values, row-major (row, horizon, output).
  // The default serves models with one horizon (it is Predict).
  virtual Status PredictHorizons(MatrixView x, std::span<double> out) const;
};

struct FitOptions {
  Task task = Task::kClassification;
  ParamMap params;  // learner parameters; missing ones take the learner's defaults
  std::vector<std::string> feature_names;  // size == x.cols
  uint64_t seed = 42;
};

// Fits `learner` on `train`. InvalidArgument for an unknown learner (listing the known ones), an
// unknown or out-of-range parameter (listing the accepted ones), NaN or non-integer class values,
// fewer than two classes, a task the learner does not support, or shape mismatches.
Result<std::unique_ptr<Model>> FitModel(std::string_view learner, const TrainSet& train,
                                        const FitOptions& options);
// Loads what Model::Save wrote. Corruption / ParseError naming the file for damaged files.
Result<std::unique_ptr<Model>> LoadModel(const std::string& dir);

// A training window split into a fit part and a later held-out part (the last `fraction` of the
// rows), for calibration, stacking and inner validation. Fit rows whose label reaches the first
// held-out decision (label_end >= time[first held-out row]) are purged. `time` and `label_end` may
// be empty (no purging). InvalidArgument when fraction is not in (0, 1) or a part would be empty.
struct HoldoutSplit {
  std::vector<size_t> fit;       // row indices, increasing
  std::vector<size_t> held_out;  // row indices, increasing, all after the fit rows
  size_t purged = 0;
};
Result<HoldoutSplit> PurgedHoldout(size_t rows, std::span<const UnixNanos> time,
                                   std::span<const UnixNanos> label_end, double fraction);

// ---- Learner catalogue -----------------------------------------------------------------------

struct LearnerSummary {
  std::string name;
  std::string help;
  bool classification = false;
  bool regression = false;
  std::vector<ParamSpec> params;  // learner-specific and common (preprocessing, calibration)
};
// Every learner FitModel knows, in a stable order.
std::vector<LearnerSummary> ListLearners();
// Fills defaults and checks names, types and ranges: the resolved map has every parameter.
Result<ParamMap> ResolveParams(std::string_view learner, const ParamMap& given);

}  // namespace arus::ml
