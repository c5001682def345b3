#include "validation/model_export.h"

#include <nlohmann/json.hpp>

#include "ml/registry.h"

namespace arus::validation {

Result<std::vector<std::pair<std::string, std::string>>> SaveFinalModels(
    const ExperimentConfig& c, const ExperimentData& d, const ExperimentResult& r,
    const features::Dataset& ds, const std::string& dataset_origin,
    const std::string& models_dir, UnixNanos created_at) {
  std::vector<std::pair<std::string, std::string>> saved;
  ml::ModelRegistry reg(models_dir);
  for (size_t m = 0; m < r.final_models.size(); ++m) {
    ml::ModelManifest man;
    man.name = c.name + "-" + r.model_names[m];
    man.label = d.label;
    man.symbol = ds.symbol;
    man.base_timeframe = ds.base_timeframe;
    man.feature_set_name = ds.feature_set_name;
    man.feature_set_hash = ds.feature_set_hash;
    man.dataset = dataset_origin;
    if (!d.time.empty()) {
      man.data_from = d.time.front();
      man.data_to = d.time.back();
    }
    man.train_rows = d.x.rows;
    man.seed = c.seed;
    man.created_at = created_at;
    nlohmann::json v = ModelValidationJson(r, m);
    v["experiment"] = c.name;
    v["config_hash"] = c.hash;
    man.validation_json = v.dump();
    ARUS_ASSIGN_OR_RETURN(std::string id, reg.Save(*r.final_models[m], man));
    saved.emplace_back(r.model_names[m], std::move(id));
  }
  return saved;
}

}  // namespace arus::validation
