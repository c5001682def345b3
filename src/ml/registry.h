// The model registry: fitted models on disk under ROOT/<id>/, each with the model's own files
// (Model::Save: model.json and the learner's artefact) and manifest.json, which says what the
// model is and where it came from: learner and parameters, the feature set it needs (name, hash,
// column names), the label and task, the data range and rows it was fitted on, the validation
// metrics per fold, the seed, the code revision and the creation time. Format: docs/ml.md.
//
// Loading a model for a dataset checks that the dataset was made by the same feature set (hash)
// and has every feature the model needs; a mismatch is a FailedPrecondition that names both.
// Saving is atomic: the model is written to ROOT/.tmp-<id>/ and renamed into place.
//
// Thread-safety: a ModelRegistry holds only its root path; concurrent saves of different ids are
// safe, of the same id the second fails with AlreadyExists.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "ml/model.h"

namespace arus::ml {

struct ModelManifest {
  std::string id;    // "<name>-<yyyymmddThhmmss>-<6 hex of the manifest>"; assigned by Save
  std::string name;  // what it is, e.g. "<experiment>-<learner display name>"
  std::string learner;
  ParamMap params;
  Task task = Task::kClassification;
  std::string label;  // label column the model predicts
  std::vector<double> classes;
  std::string symbol;
  std::string base_timeframe;
  std::string feature_set_name;
  std::string feature_set_hash;
  std::vector<std::string> feature_names;
  std::string dataset;                     // path of the dataset it was fitted on (informational)
  UnixNanos data_from = UnixNanos::Min();  // first and last decision time fitted on
  UnixNanos data_to = UnixNanos::Min();
  size_t train_rows = 0;
  uint64_t seed = 0;
  std::string code_revision;  // CodeRevision() at save time
  UnixNanos created_at = UnixNanos::Min();
  std::string validation_json = "null";  // validation metrics per fold (a JSON value, verbatim)
};

class ModelRegistry {
 public:
  explicit ModelRegistry(std::string root) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }

  // Saves `model` with `manifest` (id, code_revision and created_at are filled in when empty;
  // `created_at` is the caller's clock: engines never read the wall clock). Returns the id.
  Result<std::string> Save(const Model& model, ModelManifest manifest) const;
  // NotFound naming the id and the registry; ParseError for a damaged manifest.
  Result<ModelManifest> Manifest(const std::string& id) const;
  // Every model, oldest first (by created_at, then id). Damaged entries are skipped and
  // reported in `skipped` (path: reason) when given.
  Result<std::vector<ModelManifest>> List(std::vector<std::string>* skipped = nullptr) const;
  // Loads a model. When `feature_set_hash` is non-empty it must equal the manifest's.
  Result<std::unique_ptr<Model>> Load(const std::string& id,
                                      const std::string& feature_set_hash = "") const;
  std::string Dir(const std::string& id) const { return root_ + "/" + id; }

 private:
  std::string root_;
};

// The manifest as JSON text and back (ParseError naming `origin` and the field).
std::string ManifestToJson(const ModelManifest& m);
Result<ModelManifest> ManifestFromJson(const std::string& text, const std::string& origin);

}  // namespace arus::ml
