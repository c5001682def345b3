// LoadRunConfig: the run TOML (docs/run.md).
#include <filesystem>
#include <nlohmann/json.hpp>
#include <sstream>
#include <xxhash.h>

#include "core/file.h"
#include "core/toml_util.h"
#include "pipeline/run.h"

namespace arus::pipeline {

namespace {

Status Unknown(const RunConfig& c, const toml::table& t, const std::string& where,
               std::initializer_list<std::string_view> known) {
  for (const auto& [key, node] : t) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || key.str() == k;
    if (!ok) {
      std::string list;
      for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
      return ParseError(c.origin, node.source().begin.line, where + std::string(key.str()),
                        "unknown key (known: " + list + ")");
    }
  }
  return Status::Ok();
}

Status GetString(const RunConfig& c, const toml::table& t, const std::string& where,
                 std::string_view key, std::string* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::Ok();
  if (!n->is_string()) {
    return ParseError(c.origin, n->source().begin.line, where + std::string(key),
                      "expected a string, got " + TomlTypeName(*n));
  }
  *out = n->as_string()->get();
  return Status::Ok();
}

Status GetNumber(const RunConfig& c, const toml::table& t, const std::string& where,
                 std::string_view key, double* out) {
  const toml::node* n = t.get(key);
  if (n == nullptr) return Status::Ok();
  const std::optional<double> v = TomlNumber(*n);
  if (!v) {
    return ParseError(c.origin, n->source().begin.line, where + std::string(key),
                      "expected a number, got " + TomlTypeName(*n));
  }
  *out = *v;
  return Status::Ok();
}

Result<const toml::table*> Table(const RunConfig& c, const toml::table& root,
                                 std::string_view key) {
  const toml::node* n = root.get(key);
  if (n == nullptr) return static_cast<const toml::table*>(nullptr);
  if (!n->is_table()) {
    return ParseError(c.origin, n->source().begin.line, std::string(key),
                      "expected a table, got " + TomlTypeName(*n));
  }
  return n->as_table();
}

std::string Resolve(const RunConfig& c, const std::string& path) {
  if (path.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(c.base_dir) / path).lexically_normal().string();
}

std::string FileHash(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return "";
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(XXH64(text->data(), text->size(), 0)));
  return buf;
}

}  // namespace

Result<RunConfig> LoadRunConfig(const std::string& path) {
  RunConfig c;
  c.origin = path;
  c.base_dir = std::filesystem::path(path).parent_path().string();
  if (c.base_dir.empty()) c.base_dir = ".";
  ARUS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  ARUS_ASSIGN_OR_RETURN(toml::table root, ParseTomlText(text, path));
  ARUS_RETURN_IF_ERROR(Unknown(c, root, "",
                               {"name", "seed", "data", "quality", "features", "train",
                                "strategy", "backtest", "risk"}));
  ARUS_RETURN_IF_ERROR(GetString(c, root, "", "name", &c.name));
  if (c.name.empty() || c.name.find_first_of("/\\ ") != std::string::npos) {
    return ParseError(path, 0, "name", "must be a non-empty word without '/', '\\' or spaces");
  }
  if (const toml::node* n = root.get("seed")) {
    auto v = n->as_integer();
    if (v == nullptr || v->get() < 0) {
      return ParseError(path, n->source().begin.line, "seed", "expected an integer >= 0");
    }
    c.seed = static_cast<uint64_t>(v->get());
  }

  // [data]
  ARUS_ASSIGN_OR_RETURN(const toml::table* data, Table(c, root, "data"));
  if (data == nullptr) return ParseError(path, 0, "data", "missing [data] table");
  ARUS_RETURN_IF_ERROR(Unknown(c, *data, "data.",
                               {"source", "store", "symbols", "from", "to", "tick_rate_scale",
                                "mode", "signal_strength"}));
  ARUS_RETURN_IF_ERROR(GetString(c, *data, "data.", "source", &c.source));
  if (c.source != "generate" && c.source != "store") {
    return ParseError(path, 0, "data.source", "expected \"generate\" or \"store\", got \"" +
                                                  c.source + "\"");
  }
  ARUS_RETURN_IF_ERROR(GetString(c, *data, "data.", "store", &c.store));
  c.store = Resolve(c, c.store);
  if (c.source == "store" && c.store.empty()) {
    return ParseError(path, 0, "data.store", "source = \"store\" needs the store directory");
  }
  if (const toml::node* n = data->get("symbols")) {
    const toml::array* arr = n->as_array();
    if (arr == nullptr) {
      return ParseError(path, n->source().begin.line, "data.symbols", "expected an array");
    }
    for (const toml::node& e : *arr) {
      if (!e.is_string()) {
        return ParseError(path, e.source().begin.line, "data.symbols", "expected strings");
      }
      c.symbols.push_back(e.as_string()->get());
    }
  }
  std::string from, to;
  ARUS_RETURN_IF_ERROR(GetString(c, *data, "data.", "from", &from));
  ARUS_RETURN_IF_ERROR(GetString(c, *data, "data.", "to", &to));
  if (from.empty() || to.empty()) {
    return ParseError(path, data->source().begin.line, "data.from",
                      "data.from and data.to are required (ISO dates)");
  }
  auto f = ParseIsoUtc(from);
  if (!f.ok()) return ParseError(path, 0, "data.from", f.status().message());
  auto t = ParseIsoUtc(to);
  if (!t.ok()) return ParseError(path, 0, "data.to", t.status().message());
  c.from = *f;
  c.to = *t;
  if (!(c.from < c.to)) return ParseError(path, 0, "data.to", "must be after data.from");
  ARUS_RETURN_IF_ERROR(GetNumber(c, *data, "data.", "tick_rate_scale", &c.tick_rate_scale));
  ARUS_RETURN_IF_ERROR(GetString(c, *data, "data.", "mode", &c.market_mode));
  ARUS_RETURN_IF_ERROR(GetNumber(c, *data, "data.", "signal_strength", &c.signal_strength));
  if (c.source == "generate" && c.symbols.empty()) {
    return ParseError(path, 0, "data.symbols", "source = \"generate\" needs the symbols");
  }

  // [quality], [features], [train]
  ARUS_ASSIGN_OR_RETURN(const toml::table* quality, Table(c, root, "quality"));
  if (quality != nullptr) {
    ARUS_RETURN_IF_ERROR(Unknown(c, *quality, "quality.", {"config"}));
    ARUS_RETURN_IF_ERROR(GetString(c, *quality, "quality.", "config", &c.quality_config));
    c.quality_config = Resolve(c, c.quality_config);
  }
  ARUS_ASSIGN_OR_RETURN(const toml::table* features, Table(c, root, "features"));
  if (features == nullptr) return ParseError(path, 0, "features", "missing [features] table");
  ARUS_RETURN_IF_ERROR(Unknown(c, *features, "features.", {"spec"}));
  ARUS_RETURN_IF_ERROR(GetString(c, *features, "features.", "spec", &c.feature_spec));
  if (c.feature_spec.empty()) return ParseError(path, 0, "features.spec", "required");
  c.feature_spec = Resolve(c, c.feature_spec);
  ARUS_ASSIGN_OR_RETURN(const toml::table* train, Table(c, root, "train"));
  if (train == nullptr) return ParseError(path, 0, "train", "missing [train] table");
  ARUS_RETURN_IF_ERROR(Unknown(c, *train, "train.", {"config", "model"}));
  ARUS_RETURN_IF_ERROR(GetString(c, *train, "train.", "config", &c.train_config));
  if (c.train_config.empty()) return ParseError(path, 0, "train.config", "required");
  c.train_config = Resolve(c, c.train_config);
  ARUS_RETURN_IF_ERROR(GetString(c, *train, "train.", "model", &c.trade_model));

  // [strategy], [backtest], [risk]: parsed from the text by their modules.
  for (std::string_view key : {"strategy", "backtest", "risk"}) {
    ARUS_ASSIGN_OR_RETURN(const toml::table* t, Table(c, root, key));
    (void)t;
  }
  c.text = text;

  // Identity: the run table plus the content hashes of the files it names.
  std::ostringstream os;
  os << toml::json_formatter(root);
  nlohmann::json canonical;
  canonical["run"] = nlohmann::json::parse(os.str(), nullptr, false);
  canonical["feature_spec_hash"] = FileHash(c.feature_spec);
  canonical["train_config_hash"] = FileHash(c.train_config);
  if (!c.quality_config.empty()) canonical["quality_config_hash"] = FileHash(c.quality_config);
  c.canonical_text = canonical.dump();
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx",
                static_cast<unsigned long long>(
                    XXH64(c.canonical_text.data(), c.canonical_text.size(), 0)));
  c.hash = buf;
  return c;
}

}  // namespace arus::pipeline
