// Internal to ml/: how a learner plugs into FitModel / LoadModel. A learner sees preprocessed
// data (model.cc applies imputation / clipping / standardisation first and calibrates its
// probabilities afterwards) and class indices 0..K-1 instead of class values.
//
// Each learner lives in its own .cc and exposes one `Learner...()` function returning its
// definition; model.cc lists them (AllLearnerDefs). Common parameters (preprocessing and
// calibration, see CommonParamSpecs) are added by model.cc; a learner only sets their defaults.
// Thread-safety: RawModel is immutable after fit/load; const methods may run concurrently.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "ml/model.h"

namespace arus::ml {

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
};

struct RawFitInput {
  MatrixView x;                      // preprocessed
  std::span<const double> y;         // class index 0..num_classes-1, or regression target
  int num_classes = 0;               // 0 for regression, else >= 2
  const ParamMap* params = nullptr;  // resolved (learner and common parameters)
  uint64_t seed = 0;
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
// In model.cc order: xgboost, random_forest, logistic, svm.
const std::vector<LearnerDef>& AllLearnerDefs();
const LearnerDef* FindLearnerDef(std::string_view name);

// Ensembles are not a RawModel (they combine whole models); LoadModel hands a model.json whose
// learner is "ensemble" to this (ensemble.cc).
Result<std::unique_ptr<Model>> LoadEnsemble(const std::string& dir);

}  // namespace arus::ml
