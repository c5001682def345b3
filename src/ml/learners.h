// How a learner plugs into FitModel / LoadModel: the plug-in interface of ml/. A learner sees
// preprocessed data (model.cc applies imputation / clipping / standardisation first and
// calibrates its probabilities afterwards) and class indices 0..K-1 instead of class values.
//
// The built-in learners each live in their own .cc and expose one `Learner...()` function
// returning their definition; model.cc lists them (AllLearnerDefs). Other modules add learners
// with RegisterLearner (dl/ registers the LibTorch sequence models this way: ml cannot depend on
// dl). Common parameters (preprocessing and calibration, see CommonParamSpecs) are added by
// model.cc; a learner only sets their defaults.
//
// Sequence learners (a RawModel with context_rows() > 0) see x as one time-ordered run: the
// output of a row may use the rows before it in the same call. model.cc then preprocesses and
// predicts a whole matrix in one call (no chunking) and prepends context rows where it predicts
// a later part of the training window (the calibration tail).
//
// Thread-safety: RawModel is immutable after fit/load; const methods may run concurrently.
// RegisterLearner must run before any lookup on another thread (at program start).
#pragma once

#include <deque>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "ml/model.h"

namespace arus::ml {

// One sequence, a preprocessed row at a time (see ModelStream); outputs are horizon 1,
// uncalibrated. Same numbers as RawModel::Predict over the same rows.
class RawStream {
 public:
  virtual ~RawStream() = default;
  virtual void Step(const double* row, double* out) = 0;
  virtual void Reset() = 0;
};

class RawModel {
 public:
  virtual ~RawModel() = default;
  // rows * outputs values into `out`: K class probabilities (uncalibrated, summing to 1) per row,
  // or the regression value. `x` is preprocessed (may hold NaN only if the learner's defaults
  // turn imputation off).
  virtual void Predict(MatrixView x, std::span<double> out) const = 0;
  // One row of x.cols values -> outputs values; no heap allocation in steady state.
  virtual void PredictRow(const double* row, double* out) const = 0;
  // Raw importance per feature (not normalised; model.cc normalises); empty when none.
  virtual std::vector<double> Importance() const = 0;
  // Writes the learner's artefact files into `dir` (exists). File names are the learner's own
  // (e.g. "xgboost.ubj", "liblinear.model").
  virtual Status Save(const std::string& dir) const = 0;

  // Sequence learners: rows of history read before a row (Model::context_rows).
  virtual size_t context_rows() const { return 0; }
  // Steps ahead predicted at once (ModelInfo::horizons).
  virtual size_t horizons() const { return 1; }
  // rows * horizons() * outputs values (row, horizon, output); the default is Predict.
  virtual void PredictHorizons(MatrixView x, std::span<double> out) const { Predict(x, out); }
  // A stream over preprocessed rows; nullptr (the default) = stateless, steps by PredictRow.
  virtual std::unique_ptr<RawStream> NewStream() const { return nullptr; }
};

struct RawFitInput {
  MatrixView x;                      // preprocessed
  std::span<const double> y;         // class index 0..num_classes-1, or regression target
  int num_classes = 0;               // 0 for regression, else >= 2
  const ParamMap* params = nullptr;  // resolved (learner and common parameters)
  uint64_t seed = 0;
  // Decision time and label end of each row, or empty: learners that hold out a validation
  // slice purge with them (rows whose label reaches the slice do not train).
  std::span<const UnixNanos> time = {};
  std::span<const UnixNanos> label_end = {};
};

struct RawLoadInput {
  std::string dir;
  const ModelInfo* info = nullptr;  // as saved in model.json (params resolved, classes)
  size_t cols = 0;                  // feature count
};

// Defaults a learner gives to the common parameters.
struct CommonDefaults {
  bool impute = true;        // NaN -> training-window median; false passes NaN to the learner
  double clip = 0;           // winsorise at median +- clip * 1.4826 * MAD (0: off)
  bool standardize = false;  // (x - mean) / sd of the training window
  std::string calibration = "none";   // none | temperature | isotonic
  double calibration_fraction = 0.2;  // tail of the training window held out to fit it
};

struct LearnerDef {
  std::string name;
  std::string help;
  bool classification = false;
  bool regression = false;
  std::vector<ParamSpec> params;  // learner-specific only
  CommonDefaults common;
  Result<std::unique_ptr<RawModel>> (*fit)(const RawFitInput& in) = nullptr;
  Result<std::unique_ptr<RawModel>> (*load)(const RawLoadInput& in) = nullptr;
};

// Common parameter specs (impute, clip, standardize, calibration, calibration_fraction) with
// `defaults` as their default values.
std::vector<ParamSpec> CommonParamSpecs(const CommonDefaults& defaults);

// The learners (one .cc each).
LearnerDef XgboostLearner();       // xgboost_model.cc
LearnerDef RandomForestLearner();  // xgboost_model.cc
LearnerDef LogisticLearner();      // linear_model.cc
LearnerDef SvmLearner();           // svm_model.cc
// The built-ins in model.cc order (xgboost, random_forest, logistic, svm), then the registered
// learners in registration order. Pointers stay valid for the life of the process.
const std::deque<LearnerDef>& AllLearnerDefs();
const LearnerDef* FindLearnerDef(std::string_view name);
// Adds a learner to the catalogue (FitModel, LoadModel, ListLearners, ResolveParams). A second
// registration of the same name is ignored, so calling a module's registration twice is
// harmless. Not thread-safe against concurrent lookups: call it at program start.
void RegisterLearner(LearnerDef def);

// Ensembles are not a RawModel (they combine whole models); LoadModel hands a model.json whose
// learner is "ensemble" to this (ensemble.cc).
Result<std::unique_ptr<Model>> LoadEnsemble(const std::string& dir);

}  // namespace arus::ml
