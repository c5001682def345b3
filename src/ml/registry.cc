#include "ml/registry.h"

#include <xxhash.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/json_depth.h"
#include "core/version.h"

namespace arus::ml {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr int kManifestVersion = 1;
constexpr int kMaxJsonDepth = 32;  // the manifest nests about 8 deep (validation metrics)

std::string Slug(const std::string& s) {
  std::string out;
  for (char c : s) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
    out += ok ? c : '-';
  }
  if (out.size() > 40) out.resize(40);
  return out.empty() ? "model" : out;
}

// Ids are directory names: letters, digits, '-' and '_' only (no '/', no "..").
bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 200) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
  });
}

std::string CompactStamp(UnixNanos t) {
  // "2026-11-24T10:15:00Z" -> "20261124T101500"
  std::string iso = t.ToIso();
  std::string out;
  for (char c : iso.substr(0, iso.find_first_of(".Z"))) {
    if (std::isdigit(static_cast<unsigned char>(c)) || c == 'T') out += c;
  }
  return out;
}

std::string IsoOrEmpty(UnixNanos t) {
  return t == UnixNanos::Min() || t == UnixNanos::Max() ? std::string() : t.ToIso();
}

}  // namespace

std::string ManifestToJson(const ModelManifest& m) {
  json j;
  j["format"] = "arus-model-manifest";
  j["version"] = kManifestVersion;
  j["id"] = m.id;
  j["name"] = m.name;
  j["learner"] = m.learner;
  j["params"] = ParamsToJson(m.params);
  j["task"] = std::string(TaskName(m.task));
  j["label"] = m.label;
  j["classes"] = m.classes;
  j["symbol"] = m.symbol;
  j["base_timeframe"] = m.base_timeframe;
  j["feature_set"] = {{"name", m.feature_set_name}, {"hash", m.feature_set_hash}};
  j["feature_names"] = m.feature_names;
  j["dataset"] = m.dataset;
  j["data_range"] = {{"from", IsoOrEmpty(m.data_from)},
                     {"to", IsoOrEmpty(m.data_to)},
                     {"from_ns", m.data_from.ns()},
                     {"to_ns", m.data_to.ns()}};
  j["train_rows"] = m.train_rows;
  j["seed"] = m.seed;
  j["code_revision"] = m.code_revision;
  j["created_at"] = IsoOrEmpty(m.created_at);
  j["created_at_ns"] = m.created_at.ns();
  json v = json::parse(m.validation_json, nullptr, false);
  j["validation"] = v.is_discarded() ? json() : v;
  return j.dump(2) + "\n";
}

Result<ModelManifest> ManifestFromJson(const std::string& text, const std::string& origin) {
  if (!JsonDepthOk(text, kMaxJsonDepth)) return ParseError(origin, 0, "", "JSON nested too deeply");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return ParseError(origin, 0, "", "not valid JSON");
  ModelManifest m;
  std::string field;
  try {
    field = "format";
    if (j.at("format").get<std::string>() != "arus-model-manifest") {
      return ParseError(origin, 0, "format", "not an arus model manifest");
    }
    field = "version";
    if (j.at("version").get<int>() != kManifestVersion) {
      return ParseError(origin, 0, "version",
                        "unsupported manifest version " + j.at("version").dump());
    }
    field = "id";
    m.id = j.at("id").get<std::string>();
    field = "name";
    m.name = j.at("name").get<std::string>();
    field = "learner";
    m.learner = j.at("learner").get<std::string>();
    field = "params";
    ARUS_ASSIGN_OR_RETURN(m.params, ParamsFromJson(j.at("params"), origin));
    field = "task";
    auto task = ParseTask(j.at("task").get<std::string>());
    if (!task.ok()) return ParseError(origin, 0, "task", task.status().message());
    m.task = task.value();
    field = "label";
    m.label = j.at("label").get<std::string>();
    field = "classes";
    m.classes = j.at("classes").get<std::vector<double>>();
    field = "symbol";
    m.symbol = j.at("symbol").get<std::string>();
    field = "base_timeframe";
    m.base_timeframe = j.at("base_timeframe").get<std::string>();
    field = "feature_set";
    m.feature_set_name = j.at("feature_set").at("name").get<std::string>();
    m.feature_set_hash = j.at("feature_set").at("hash").get<std::string>();
    field = "feature_names";
    m.feature_names = j.at("feature_names").get<std::vector<std::string>>();
    field = "dataset";
    m.dataset = j.at("dataset").get<std::string>();
    field = "data_range";
    m.data_from = UnixNanos(j.at("data_range").at("from_ns").get<int64_t>());
    m.data_to = UnixNanos(j.at("data_range").at("to_ns").get<int64_t>());
    field = "train_rows";
    m.train_rows = j.at("train_rows").get<size_t>();
    field = "seed";
    m.seed = j.at("seed").get<uint64_t>();
    field = "code_revision";
    m.code_revision = j.at("code_revision").get<std::string>();
    field = "created_at_ns";
    m.created_at = UnixNanos(j.at("created_at_ns").get<int64_t>());
    field = "validation";
    m.validation_json = j.contains("validation") ? j.at("validation").dump() : "null";
  } catch (const json::exception& e) {
    return ParseError(origin, 0, field,
                      std::string("missing or of the wrong type (") + e.what() + ")");
  }
  return m;
}

Result<std::string> ModelRegistry::Save(const Model& model, ModelManifest m) const {
  if (m.code_revision.empty()) m.code_revision = CodeRevision();
  if (m.created_at == UnixNanos::Min()) {
    return InvalidArgument("model manifest: created_at must be set by the caller's clock");
  }
  if (m.learner.empty()) m.learner = model.info().learner;
  if (m.feature_names.empty()) m.feature_names = model.info().feature_names;
  if (m.feature_names != model.info().feature_names) {
    return InvalidArgument("model manifest: feature names differ from the model's");
  }
  m.task = model.info().task;
  m.classes = model.info().classes;
  if (m.params.empty()) m.params = model.info().params;
  if (m.id.empty()) {
    m.id = "pending";
    const std::string body = ManifestToJson(m);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(XXH64(body.data(), body.size(), 0)));
    m.id = Slug(m.name) + "-" + CompactStamp(m.created_at) + "-" + std::string(hex, 6);
  } else if (!ValidId(m.id)) {
    return InvalidArgument("model id '" + m.id + "': letters, digits, '-' and '_' only");
  }
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) return IoError("create model registry '" + root_ + "': " + ec.message());
  const std::string final_dir = Dir(m.id);
  if (fs::exists(final_dir))
    return AlreadyExists("model '" + m.id + "' already exists in " + root_);
  const std::string tmp = root_ + "/.tmp-" + m.id;
  fs::remove_all(tmp, ec);
  Status s = model.Save(tmp);
  if (s.ok()) s = WriteFileAtomic(tmp + "/manifest.json", ManifestToJson(m));
  if (s.ok()) {
    fs::rename(tmp, final_dir, ec);
    if (ec) s = IoError("rename '" + tmp + "' to '" + final_dir + "': " + ec.message());
  }
  if (!s.ok()) {
    fs::remove_all(tmp, ec);
    return s;
  }
  return m.id;
}

Result<ModelManifest> ModelRegistry::Manifest(const std::string& id) const {
  if (!ValidId(id)) {
    return InvalidArgument("bad model id '" + id + "'");
  }
  const std::string path = Dir(id) + "/manifest.json";
  auto text = ReadFile(path);
  if (!text.ok()) return NotFound("model '" + id + "' not found in registry '" + root_ + "'");
  return ManifestFromJson(text.value(), path);
}

Result<std::vector<ModelManifest>> ModelRegistry::List(std::vector<std::string>* skipped) const {
  std::vector<ModelManifest> out;
  std::error_code ec;
  if (!fs::exists(root_, ec)) return out;
  fs::directory_iterator it(root_, ec);
  if (ec) return IoError("list model registry '" + root_ + "': " + ec.message());
  for (const auto& entry : it) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_directory() || name.starts_with(".")) continue;
    auto m = Manifest(name);
    if (!m.ok()) {
      if (skipped) skipped->push_back(entry.path().string() + ": " + m.status().message());
      continue;
    }
    out.push_back(std::move(m).value());
  }
  std::sort(out.begin(), out.end(), [](const ModelManifest& a, const ModelManifest& b) {
    return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id);
  });
  return out;
}

Result<std::unique_ptr<Model>> ModelRegistry::Load(const std::string& id,
                                                   const std::string& feature_set_hash) const {
  ARUS_ASSIGN_OR_RETURN(ModelManifest m, Manifest(id));
  if (!feature_set_hash.empty() && feature_set_hash != m.feature_set_hash) {
    return FailedPrecondition("model '" + id + "' was trained on feature set '" +
                              m.feature_set_name + "' (hash " + m.feature_set_hash +
                              ") but the data supplied was made by feature set hash " +
                              feature_set_hash +
                              ": rebuild the dataset with the model's "
                              "feature set, or train a model on this one");
  }
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, LoadModel(Dir(id)));
  if (model->info().feature_names != m.feature_names) {
    return Corruption("model '" + id + "': manifest and model disagree on the feature names");
  }
  return model;
}

}  // namespace arus::ml
