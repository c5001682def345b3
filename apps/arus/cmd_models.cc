// `arus models list|show ID`: what the model registry holds (docs/ml.md#registry).
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "cli.h"
#include "ml/model.h"
#include "ml/registry.h"

namespace arus::cli {

namespace {

struct ModelsArgs {
  std::string models = "models";
  std::string id;
  bool json = false;
  int top = 15;
};

std::string Range(const ml::ModelManifest& m) {
  return (m.data_from == UnixNanos::Min() ? std::string("?") : m.data_from.ToIso()) + " .. " +
         (m.data_to == UnixNanos::Min() ? std::string("?") : m.data_to.ToIso());
}

// The pooled out-of-sample headline of a manifest's validation block ("acc 0.5312 logloss
// 0.6871" or "ic 0.041"), empty when there is none.
std::string Headline(const ml::ModelManifest& m) {
  nlohmann::json v = nlohmann::json::parse(m.validation_json, nullptr, false);
  if (v.is_discarded() || !v.is_object() || !v.contains("pooled")) return "";
  const nlohmann::json& p = v["pooled"];
  char buf[96];
  auto num = [&](const char* k) {
    return p.contains(k) && p[k].is_number() ? p[k].get<double>() : NAN;
  };
  if (p.contains("accuracy")) {
    std::snprintf(buf, sizeof buf, "oos acc %.4f logloss %.4f", num("accuracy"), num("log_loss"));
  } else if (p.contains("ic")) {
    std::snprintf(buf, sizeof buf, "oos ic %.4f", num("ic"));
  } else {
    return "";
  }
  return buf;
}

Status RunList(const ModelsArgs& a, const GlobalFlags& g) {
  ml::ModelRegistry reg(a.models);
  std::vector<std::string> skipped;
  ARUS_ASSIGN_OR_RETURN(std::vector<ml::ModelManifest> list, reg.List(&skipped));
  if (a.json) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& m : list) j.push_back(nlohmann::json::parse(ml::ManifestToJson(m)));
    std::printf("%s\n", j.dump(2).c_str());
    return Status::Ok();
  }
  if (g.quiet) return Status::Ok();
  if (list.empty()) std::printf("no models in %s\n", a.models.c_str());
  for (const auto& m : list) {
    std::printf("%s\n    %s %s, %s %s, label %s, feature set %s (%s), %zu rows %s  %s\n",
                m.id.c_str(), m.learner.c_str(), std::string(ml::TaskName(m.task)).c_str(),
                m.symbol.c_str(), m.base_timeframe.c_str(), m.label.c_str(),
                m.feature_set_name.c_str(), m.feature_set_hash.c_str(), m.train_rows,
                Range(m).c_str(), Headline(m).c_str());
  }
  for (const std::string& s : skipped) std::fprintf(stderr, "arus: skipped %s\n", s.c_str());
  return Status::Ok();
}

Status RunShow(const ModelsArgs& a, const GlobalFlags& g) {
  ml::ModelRegistry reg(a.models);
  ARUS_ASSIGN_OR_RETURN(ml::ModelManifest m, reg.Manifest(a.id));
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<ml::Model> model, reg.Load(a.id));
  const std::vector<double> imp = model->FeatureImportance();
  nlohmann::json j = nlohmann::json::parse(ml::ManifestToJson(m));
  nlohmann::json ij = nlohmann::json::object();
  for (size_t i = 0; i < imp.size(); ++i) ij[m.feature_names[i]] = imp[i];
  j["feature_importance"] = ij;
  if (a.json) {
    std::printf("%s\n", j.dump(2).c_str());
    return Status::Ok();
  }
  if (g.quiet) return Status::Ok();
  std::printf("model %s\n", m.id.c_str());
  std::printf("  learner     %s (%s)\n", m.learner.c_str(),
              std::string(ml::TaskName(m.task)).c_str());
  std::string params;
  for (const auto& [k, v] : m.params) params += " " + k + "=" + ml::ParamValueText(v);
  std::printf("  params     %s\n", params.c_str());
  std::printf("  label       %s", m.label.c_str());
  if (!m.classes.empty()) {
    std::printf(", classes");
    for (double c : m.classes) std::printf(" %g", c);
  }
  std::printf("\n  data        %s %s, %s, %zu rows\n", m.symbol.c_str(), m.base_timeframe.c_str(),
              Range(m).c_str(), m.train_rows);
  std::printf("  feature set %s (%s), %zu features\n", m.feature_set_name.c_str(),
              m.feature_set_hash.c_str(), m.feature_names.size());
  std::printf("  seed %llu, code %s, created %s\n", static_cast<unsigned long long>(m.seed),
              m.code_revision.c_str(), m.created_at.ToIso().c_str());
  nlohmann::json v = nlohmann::json::parse(m.validation_json, nullptr, false);
  if (v.is_object() && v.contains("folds")) {
    std::printf("  validation (%zu folds)", v["folds"].size());
    const std::string h = Headline(m);
    std::printf("%s%s\n", h.empty() ? "" : ": ", h.c_str());
    for (const auto& f : v["folds"]) {
      const auto& mt = f["metrics"];
      if (mt.contains("accuracy")) {
        std::printf("    fold %-3d test %s .. %s  acc %.4f  logloss %.4f  auc %s\n",
                    f["fold"].get<int>(), f["test"]["from"].get<std::string>().c_str(),
                    f["test"]["to"].get<std::string>().c_str(), mt["accuracy"].get<double>(),
                    mt["log_loss"].get<double>(), mt["roc_auc"].dump().c_str());
      } else if (mt.contains("ic")) {
        std::printf("    fold %-3d test %s .. %s  ic %s  rmse %s\n", f["fold"].get<int>(),
                    f["test"]["from"].get<std::string>().c_str(),
                    f["test"]["to"].get<std::string>().c_str(), mt["ic"].dump().c_str(),
                    mt["rmse"].dump().c_str());
      }
    }
  }
  if (!imp.empty()) {
    std::vector<size_t> order(imp.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t x, size_t y) { return imp[x] > imp[y]; });
    std::printf("  feature importance (top %d):\n", a.top);
    for (size_t i = 0; i < order.size() && static_cast<int>(i) < a.top; ++i) {
      const int bar = static_cast<int>(std::lround(imp[order[i]] * 40));
      std::printf("    %-28s %6.3f %s\n", m.feature_names[order[i]].c_str(), imp[order[i]],
                  std::string(bar, '#').c_str());
    }
  }
  return Status::Ok();
}

}  // namespace

Command AddModelsCommand(CLI::App& root, const GlobalFlags& g) {
  auto args = std::make_shared<ModelsArgs>();
  CLI::App* app = root.add_subcommand("models", "List and inspect the model registry");
  app->require_subcommand(1);
  CLI::App* list = app->add_subcommand("list",
                                       "Every model: learner, data, feature set, "
                                       "out-of-sample headline");
  list->add_option("--models", args->models, "Model registry directory")->capture_default_str();
  list->add_flag("--json", args->json, "Print the manifests as JSON");
  CLI::App* show = app->add_subcommand("show",
                                       "One model: manifest, validation per fold, "
                                       "feature importance");
  show->add_option("id", args->id, "Model id (from `arus models list`)")->required();
  show->add_option("--models", args->models, "Model registry directory")->capture_default_str();
  show->add_option("--top", args->top, "Features shown by importance")->capture_default_str();
  show->add_flag("--json", args->json, "Print the manifest and importances as JSON");
  return Command{
      app, [args, &g, list] { return list->parsed() ? RunList(*args, g) : RunShow(*args, g); }};
}

}  // namespace arus::cli
