#include "validation/experiment.h"

#include <xxhash.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <set>

#include "core/file.h"
#include "core/toml_util.h"

namespace arus::validation {
namespace {

using nlohmann::json;

// ---- Config parsing ----------------------------------------------------------------------------

uint64_t LineOf(const toml::node* n) { return n ? n->source().begin.line : 0; }

class ConfigParser {
 public:
  explicit ConfigParser(std::string origin) : origin_(std::move(origin)) {}

  Status Err(const toml::node* n, std::string_view key, const std::string& what) const {
    return ParseError(origin_, LineOf(n), key, what);
  }

  Result<std::string> Str(const toml::table& t, std::string_view key, std::string def) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    if (!n->is_string()) return Err(n, key, "expected a string, got " + TomlTypeName(*n));
    return n->as_string()->get();
  }
  Result<bool> Bool(const toml::table& t, std::string_view key, bool def) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    if (!n->is_boolean()) return Err(n, key, "expected true or false, got " + TomlTypeName(*n));
    return n->as_boolean()->get();
  }
  Result<int64_t> Int(const toml::table& t, std::string_view key, int64_t def, int64_t lo,
                      int64_t hi) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    if (!n->is_integer()) return Err(n, key, "expected an integer, got " + TomlTypeName(*n));
    const int64_t v = n->as_integer()->get();
    if (v < lo || v > hi) {
      return Err(n, key,
                 "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                     std::to_string(v));
    }
    return v;
  }
  Result<double> Num(const toml::table& t, std::string_view key, double def) const {
    const toml::node* n = t.get(key);
    if (!n) return def;
    if (n->is_integer()) return static_cast<double>(n->as_integer()->get());
    if (!n->is_floating_point()) return Err(n, key, "expected a number, got " + TomlTypeName(*n));
    return n->as_floating_point()->get();
  }
  Result<std::vector<std::string>> StrList(const toml::table& t, std::string_view key) const {
    std::vector<std::string> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    if (n->is_string()) return std::vector<std::string>{n->as_string()->get()};
    if (!n->is_array()) return Err(n, key, "expected a list of strings");
    for (const toml::node& e : *n->as_array()) {
      if (!e.is_string()) return Err(&e, key, "expected a list of strings");
      out.push_back(e.as_string()->get());
    }
    return out;
  }
  Result<ml::ParamValue> Value(const toml::node& n, std::string_view key) const {
    if (n.is_boolean()) return ml::ParamValue(n.as_boolean()->get());
    if (n.is_integer()) return ml::ParamValue(n.as_integer()->get());
    if (n.is_floating_point()) return ml::ParamValue(n.as_floating_point()->get());
    if (n.is_string()) return ml::ParamValue(n.as_string()->get());
    return Err(&n, key, "expected a boolean, number or string, got " + TomlTypeName(n));
  }
  // Checks keys against the accepted ones.
  Status Keys(const toml::table& t, std::string_view where,
              std::initializer_list<std::string_view> accepted) const {
    for (const auto& [k, v] : t) {
      if (std::find(accepted.begin(), accepted.end(), k.str()) == accepted.end()) {
        std::string list;
        for (std::string_view a : accepted) list += (list.empty() ? "" : ", ") + std::string(a);
        return Err(&v, k.str(),
                   "unknown key in " + std::string(where) + " (accepted: " + list + ")");
      }
    }
    return Status::Ok();
  }

  const std::string& origin() const { return origin_; }

 private:
  std::string origin_;
};

json ValueJson(const ml::ParamValue& v) {
  json j;
  std::visit([&](const auto& x) { j = x; }, v);
  return j;
}

std::string SchemeName(Scheme s) {
  return s == Scheme::kWalkForward ? "walk_forward" : "purged_kfold";
}

const std::vector<std::string> kClassMetrics = {"log_loss", "brier", "accuracy",
                                                "balanced_accuracy", "roc_auc"};
const std::vector<std::string> kRegMetrics = {"rmse", "mae", "ic"};

json CanonicalJson(const ExperimentConfig& c) {
  json j;
  j["name"] = c.name;
  j["dataset"] = c.dataset;
  j["features"] = c.feature_spec;
  j["store"] = c.store;
  j["label"] = c.label;
  j["task"] = c.task_given ? std::string(ml::TaskName(c.task)) : std::string("auto");
  j["include"] = c.include;
  j["exclude"] = c.exclude;
  j["drop_flat"] = c.drop_flat;
  j["drop_incomplete"] = c.drop_incomplete;
  j["seed"] = c.seed;
  json v;
  v["scheme"] = SchemeName(c.scheme);
  if (c.scheme == Scheme::kWalkForward) {
    v["train_rows"] = c.walk_forward.train_rows;
    v["test_rows"] = c.walk_forward.test_rows;
    v["step_rows"] = c.walk_forward.step_rows;
    v["expanding"] = c.walk_forward.expanding;
    v["gap_rows"] = c.walk_forward.gap_rows;
    v["max_folds"] = c.walk_forward.max_folds;
  } else {
    v["k"] = c.kfold.k;
    v["embargo_rows"] = c.kfold.embargo_rows;
  }
  j["validation"] = v;
  j["search"] = {{"method", c.search.method},
                 {"trials", c.search.trials},
                 {"inner_folds", c.search.inner_folds},
                 {"metric", c.search.metric}};
  json ls = json::array();
  for (const LearnerConfig& l : c.learners) {
    json lj{{"name", l.name}, {"type", l.learner}, {"params", ml::ParamsToJson(l.params)}};
    json s = json::object();
    for (const SearchDim& d : l.search) {
      if (d.range) {
        s[d.name] = {{"min", d.min}, {"max", d.max}, {"log", d.log}, {"int", d.integer}};
      } else {
        json ch = json::array();
        for (const auto& v2 : d.choices) ch.push_back(ValueJson(v2));
        s[d.name] = ch;
      }
    }
    lj["search"] = s;
    ls.push_back(lj);
  }
  j["learners"] = ls;
  if (c.ensemble.enabled) {
    j["ensemble"] = {{"members", c.ensemble.members},
                     {"method", std::string(ml::EnsembleMethodName(c.ensemble.options.method))},
                     {"halflife", c.ensemble.options.halflife},
                     {"temperature", c.ensemble.options.temperature},
                     {"stacking_fraction", c.ensemble.options.stacking_fraction}};
  }
  return j;
}

Result<std::vector<SearchDim>> ParseSearch(const ConfigParser& p, const toml::table& t,
                                           const std::string& learner_name) {
  std::vector<SearchDim> dims;
  for (const auto& [k, v] : t) {
    SearchDim d;
    d.name = std::string(k.str());
    const std::string key = "search." + d.name;
    if (v.is_array()) {
      for (const toml::node& e : *v.as_array()) {
        ARUS_ASSIGN_OR_RETURN(ml::ParamValue pv, p.Value(e, key));
        d.choices.push_back(std::move(pv));
      }
      if (d.choices.empty()) return p.Err(&v, key, "empty list of choices");
    } else if (v.is_table()) {
      const toml::table& r = *v.as_table();
      ARUS_RETURN_IF_ERROR(p.Keys(r, key, {"min", "max", "log", "int"}));
      if (!r.get("min") || !r.get("max")) return p.Err(&v, key, "a range needs min and max");
      d.range = true;
      ARUS_ASSIGN_OR_RETURN(d.min, p.Num(r, "min", 0));
      ARUS_ASSIGN_OR_RETURN(d.max, p.Num(r, "max", 0));
      ARUS_ASSIGN_OR_RETURN(d.log, p.Bool(r, "log", false));
      ARUS_ASSIGN_OR_RETURN(d.integer, p.Bool(r, "int", false));
      if (!(d.min <= d.max) || (d.log && d.min <= 0)) {
        return p.Err(&v, key, "needs min <= max (and min > 0 for log)");
      }
    } else {
      return p.Err(&v, key,
                   "expected a list of choices or a {min, max, log, int} range for learner '" +
                       learner_name + "'");
    }
    dims.push_back(std::move(d));
  }
  return dims;
}

}  // namespace

Result<ExperimentConfig> ParseExperimentConfig(std::string_view text, const std::string& origin) {
  ARUS_ASSIGN_OR_RETURN(toml::table root, ParseTomlText(text, origin));
  ConfigParser p(origin);
  ExperimentConfig c;
  c.origin = origin;
  ARUS_RETURN_IF_ERROR(p.Keys(
      root, "the experiment",
      {"name", "dataset", "features", "store", "models", "label", "task", "include", "exclude",
       "drop_flat", "drop_incomplete", "seed", "validation", "search", "learner", "ensemble"}));
  ARUS_ASSIGN_OR_RETURN(c.name, p.Str(root, "name", "experiment"));
  ARUS_ASSIGN_OR_RETURN(c.dataset, p.Str(root, "dataset", ""));
  ARUS_ASSIGN_OR_RETURN(c.feature_spec, p.Str(root, "features", ""));
  ARUS_ASSIGN_OR_RETURN(c.store, p.Str(root, "store", ""));
  ARUS_ASSIGN_OR_RETURN(c.models, p.Str(root, "models", "models"));
  ARUS_ASSIGN_OR_RETURN(c.label, p.Str(root, "label", ""));
  if (!c.feature_spec.empty() && !c.dataset.empty()) {
    return p.Err(root.get("features"), "features", "give either dataset or features, not both");
  }
  if (!c.feature_spec.empty() && c.store.empty()) {
    return p.Err(root.get("features"), "store", "features needs a store to build from");
  }
  if (const toml::node* n = root.get("task")) {
    ARUS_ASSIGN_OR_RETURN(std::string t, p.Str(root, "task", ""));
    auto task = ml::ParseTask(t);
    if (!task.ok()) return p.Err(n, "task", task.status().message());
    c.task = task.value();
    c.task_given = true;
  }
  ARUS_ASSIGN_OR_RETURN(c.include, p.StrList(root, "include"));
  ARUS_ASSIGN_OR_RETURN(c.exclude, p.StrList(root, "exclude"));
  ARUS_ASSIGN_OR_RETURN(c.drop_flat, p.Bool(root, "drop_flat", false));
  ARUS_ASSIGN_OR_RETURN(c.drop_incomplete, p.Bool(root, "drop_incomplete", true));
  ARUS_ASSIGN_OR_RETURN(int64_t seed, p.Int(root, "seed", 42, 0, INT64_MAX));
  c.seed = static_cast<uint64_t>(seed);

  // [validation]
  const toml::node* vn = root.get("validation");
  if (!vn || !vn->is_table()) {
    return p.Err(vn, "validation", "missing [validation] table (scheme and window sizes)");
  }
  const toml::table& v = *vn->as_table();
  ARUS_RETURN_IF_ERROR(p.Keys(v, "[validation]",
                              {"scheme", "train_rows", "test_rows", "step_rows", "expanding",
                               "gap_rows", "max_folds", "k", "embargo_rows"}));
  ARUS_ASSIGN_OR_RETURN(std::string scheme, p.Str(v, "scheme", "walk_forward"));
  constexpr int64_t kMaxRows = int64_t{1} << 40;
  if (scheme == "walk_forward") {
    c.scheme = Scheme::kWalkForward;
    if (!v.get("train_rows") || !v.get("test_rows")) {
      return p.Err(vn, "validation", "walk_forward needs train_rows and test_rows");
    }
    ARUS_ASSIGN_OR_RETURN(int64_t tr, p.Int(v, "train_rows", 0, 1, kMaxRows));
    ARUS_ASSIGN_OR_RETURN(int64_t te, p.Int(v, "test_rows", 0, 1, kMaxRows));
    ARUS_ASSIGN_OR_RETURN(int64_t st, p.Int(v, "step_rows", 0, 0, kMaxRows));
    ARUS_ASSIGN_OR_RETURN(int64_t gap, p.Int(v, "gap_rows", 0, 0, kMaxRows));
    ARUS_ASSIGN_OR_RETURN(int64_t mf, p.Int(v, "max_folds", 0, 0, 100000));
    ARUS_ASSIGN_OR_RETURN(c.walk_forward.expanding, p.Bool(v, "expanding", false));
    if (st != 0 && st < te) {
      return p.Err(v.get("step_rows"), "step_rows",
                   "must be >= test_rows: overlapping test windows would count rows twice");
    }
    c.walk_forward.train_rows = tr;
    c.walk_forward.test_rows = te;
    c.walk_forward.step_rows = st;
    c.walk_forward.gap_rows = gap;
    c.walk_forward.max_folds = mf;
  } else if (scheme == "purged_kfold") {
    c.scheme = Scheme::kPurgedKFold;
    ARUS_ASSIGN_OR_RETURN(int64_t k, p.Int(v, "k", 5, 2, 1000));
    ARUS_ASSIGN_OR_RETURN(int64_t emb, p.Int(v, "embargo_rows", 0, 0, kMaxRows));
    c.kfold.k = k;
    c.kfold.embargo_rows = emb;
  } else {
    return p.Err(v.get("scheme"), "scheme",
                 "unknown scheme '" + scheme + "' (known: walk_forward, purged_kfold)");
  }

  // [search]
  if (const toml::node* sn = root.get("search")) {
    if (!sn->is_table()) return p.Err(sn, "search", "expected a table");
    const toml::table& s = *sn->as_table();
    ARUS_RETURN_IF_ERROR(p.Keys(s, "[search]", {"method", "trials", "inner_folds", "metric"}));
    ARUS_ASSIGN_OR_RETURN(c.search.method, p.Str(s, "method", "random"));
    if (c.search.method != "random" && c.search.method != "grid") {
      return p.Err(s.get("method"), "method",
                   "unknown search method '" + c.search.method + "' (known: random, grid)");
    }
    ARUS_ASSIGN_OR_RETURN(int64_t trials, p.Int(s, "trials", 10, 1, 100000));
    ARUS_ASSIGN_OR_RETURN(int64_t inner, p.Int(s, "inner_folds", 3, 1, 50));
    c.search.trials = trials;
    c.search.inner_folds = inner;
    ARUS_ASSIGN_OR_RETURN(c.search.metric, p.Str(s, "metric", ""));
    if (!c.search.metric.empty() &&
        std::find(kClassMetrics.begin(), kClassMetrics.end(), c.search.metric) ==
            kClassMetrics.end() &&
        std::find(kRegMetrics.begin(), kRegMetrics.end(), c.search.metric) == kRegMetrics.end()) {
      return p.Err(s.get("metric"), "metric",
                   "unknown metric '" + c.search.metric +
                       "' (classification: log_loss, brier, accuracy, balanced_accuracy, "
                       "roc_auc; regression: rmse, mae, ic)");
    }
  }

  // [[learner]]
  const toml::node* ln = root.get("learner");
  if (!ln || !ln->is_array_of_tables() || ln->as_array()->empty()) {
    return p.Err(ln, "learner", "needs at least one [[learner]] table with a type");
  }
  for (const toml::node& e : *ln->as_array()) {
    const toml::table& t = *e.as_table();
    ARUS_RETURN_IF_ERROR(p.Keys(t, "[[learner]]", {"type", "name", "params", "search"}));
    LearnerConfig l;
    ARUS_ASSIGN_OR_RETURN(l.learner, p.Str(t, "type", ""));
    if (l.learner.empty()) return p.Err(&e, "type", "missing learner type");
    ARUS_ASSIGN_OR_RETURN(l.name, p.Str(t, "name", l.learner));
    for (const LearnerConfig& o : c.learners) {
      if (o.name == l.name) {
        return p.Err(&e, "name", "two learners are named '" + l.name + "': give each a name");
      }
    }
    if (l.name == "ensemble") return p.Err(&e, "name", "'ensemble' is reserved");
    if (const toml::node* pn = t.get("params")) {
      if (!pn->is_table()) return p.Err(pn, "params", "expected a table");
      for (const auto& [k, val] : *pn->as_table()) {
        ARUS_ASSIGN_OR_RETURN(ml::ParamValue pv, p.Value(val, "params." + std::string(k.str())));
        l.params[std::string(k.str())] = std::move(pv);
      }
    }
    // Each parameter alone first, so an error points at its own line.
    if (const toml::node* pn = t.get("params")) {
      for (const auto& [k, val] : *pn->as_table()) {
        ml::ParamMap one{{std::string(k.str()), l.params.at(std::string(k.str()))}};
        auto r = ml::ResolveParams(l.learner, one);
        if (!r.ok()) return p.Err(&val, "params." + std::string(k.str()), r.status().message());
      }
    }
    auto resolved = ml::ResolveParams(l.learner, l.params);
    if (!resolved.ok()) return p.Err(&e, "learner", resolved.status().message());
    if (const toml::node* sn = t.get("search")) {
      if (!sn->is_table()) return p.Err(sn, "search", "expected a table");
      ARUS_ASSIGN_OR_RETURN(l.search, ParseSearch(p, *sn->as_table(), l.name));
      // Every choice must be a valid value of its parameter.
      for (const SearchDim& d : l.search) {
        std::vector<ml::ParamValue> probe = d.choices;
        if (d.range) {
          probe = {d.integer ? ml::ParamValue(static_cast<int64_t>(std::llround(d.min)))
                             : ml::ParamValue(d.min),
                   d.integer ? ml::ParamValue(static_cast<int64_t>(std::llround(d.max)))
                             : ml::ParamValue(d.max)};
        }
        for (const ml::ParamValue& pv : probe) {
          ml::ParamMap trial = l.params;
          trial[d.name] = pv;
          auto r = ml::ResolveParams(l.learner, trial);
          if (!r.ok()) return p.Err(sn, "search." + d.name, r.status().message());
        }
      }
      if (c.search.method == "grid") {
        for (const SearchDim& d : l.search) {
          if (d.range) {
            return p.Err(sn, "search." + d.name,
                         "grid search needs lists of choices, not ranges (or use method = "
                         "\"random\")");
          }
        }
      }
    }
    c.learners.push_back(std::move(l));
  }

  // [ensemble]
  if (const toml::node* en = root.get("ensemble")) {
    if (!en->is_table()) return p.Err(en, "ensemble", "expected a table");
    const toml::table& t = *en->as_table();
    ARUS_RETURN_IF_ERROR(p.Keys(
        t, "[ensemble]", {"members", "method", "halflife", "temperature", "stacking_fraction"}));
    c.ensemble.enabled = true;
    ARUS_ASSIGN_OR_RETURN(c.ensemble.members, p.StrList(t, "members"));
    if (c.ensemble.members.empty()) {
      for (const LearnerConfig& l : c.learners) c.ensemble.members.push_back(l.name);
    }
    for (const std::string& m : c.ensemble.members) {
      if (std::none_of(c.learners.begin(), c.learners.end(),
                       [&](const LearnerConfig& l) { return l.name == m; })) {
        return p.Err(t.get("members"), "members", "'" + m + "' is not a learner of this file");
      }
    }
    if (c.ensemble.members.size() < 2) {
      return p.Err(en, "members", "an ensemble needs at least two members");
    }
    ARUS_ASSIGN_OR_RETURN(std::string method, p.Str(t, "method", "weighted"));
    auto m = ml::ParseEnsembleMethod(method);
    if (!m.ok()) return p.Err(t.get("method"), "method", m.status().message());
    c.ensemble.options.method = m.value();
    ARUS_ASSIGN_OR_RETURN(c.ensemble.options.halflife, p.Num(t, "halflife", 500));
    ARUS_ASSIGN_OR_RETURN(c.ensemble.options.temperature, p.Num(t, "temperature", 0.01));
    ARUS_ASSIGN_OR_RETURN(c.ensemble.options.stacking_fraction, p.Num(t, "stacking_fraction", 0.3));
    if (!(c.ensemble.options.halflife > 0) || !(c.ensemble.options.temperature > 0) ||
        !(c.ensemble.options.stacking_fraction > 0 && c.ensemble.options.stacking_fraction < 1)) {
      return p.Err(en, "ensemble",
                   "halflife and temperature must be > 0, stacking_fraction in (0, 1)");
    }
  }

  c.canonical_text = CanonicalJson(c).dump();
  char hex[17];
  std::snprintf(
      hex, sizeof hex, "%016llx",
      static_cast<unsigned long long>(XXH64(c.canonical_text.data(), c.canonical_text.size(), 0)));
  c.hash = hex;
  return c;
}

Result<ExperimentConfig> LoadExperimentConfig(const std::string& path) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status().WithContext("experiment config");
  return ParseExperimentConfig(text.value(), path);
}

// ---- Data --------------------------------------------------------------------------------------

namespace {

bool Glob(std::string_view pattern, std::string_view s) {
  // '*' matches any run of characters; everything else literally.
  size_t p = 0, i = 0, star = std::string_view::npos, mark = 0;
  while (i < s.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = i;
    } else if (p < pattern.size() && pattern[p] == s[i]) {
      ++p;
      ++i;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      i = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace

Result<ExperimentData> PrepareData(const ExperimentConfig& c, const features::Dataset& ds) {
  ExperimentData d;
  d.dataset_rows = ds.rows();
  if (ds.label_names.empty()) return InvalidArgument("the dataset has no label columns");
  d.label = c.label.empty() ? ds.label_names[0] : c.label;
  const int li = ds.LabelIndex(d.label);
  if (li < 0) {
    std::string known;
    for (const std::string& n : ds.label_names) known += (known.empty() ? "" : ", ") + n;
    return InvalidArgument("label '" + d.label + "' is not in the dataset (labels: " + known + ")");
  }
  d.task = c.task_given ? c.task
                        : (d.label.starts_with("forward_return") ? ml::Task::kRegression
                                                                 : ml::Task::kClassification);
  std::vector<size_t> cols;
  for (size_t i = 0; i < ds.feature_names.size(); ++i) {
    const std::string& n = ds.feature_names[i];
    bool in = c.include.empty();
    for (const std::string& pat : c.include) in = in || Glob(pat, n);
    for (const std::string& pat : c.exclude) in = in && !Glob(pat, n);
    if (in) {
      cols.push_back(i);
      d.feature_names.push_back(n);
    }
  }
  if (cols.empty()) return InvalidArgument("no feature column matches include/exclude");
  const std::vector<double>& label = ds.labels[li];
  const std::vector<UnixNanos>& end = ds.label_end[li];
  std::vector<size_t> rows;
  for (size_t r = 0; r < ds.rows(); ++r) {
    if (!std::isfinite(label[r]) || end[r] == UnixNanos::Max()) {
      ++d.dropped_no_label;
      continue;
    }
    if (c.drop_flat && label[r] == 0) {
      ++d.dropped_flat;
      continue;
    }
    if (c.drop_incomplete && std::any_of(cols.begin(), cols.end(), [&](size_t col) {
          return std::isnan(ds.features[col][r]);
        })) {
      ++d.dropped_incomplete;
      continue;
    }
    rows.push_back(r);
  }
  if (rows.empty()) return InvalidArgument("no usable rows (every row lacks a label or a feature)");
  d.x = ml::Matrix(rows.size(), cols.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    double* out = d.x.row(i);
    for (size_t j = 0; j < cols.size(); ++j) out[j] = ds.features[cols[j]][rows[i]];
    d.y.push_back(label[rows[i]]);
    d.time.push_back(ds.time[rows[i]]);
    d.label_end.push_back(end[rows[i]]);
  }
  d.dataset_row = std::move(rows);
  return d;
}

// ---- Metrics -----------------------------------------------------------------------------------

double Metrics::Score(const std::string& metric) const {
  if (task == ml::Task::kClassification) {
    if (metric == "brier") return cls.brier;
    if (metric == "accuracy") return -cls.accuracy;
    if (metric == "balanced_accuracy") return -cls.balanced_accuracy;
    if (metric == "roc_auc") return std::isnan(cls.roc_auc) ? 0 : -cls.roc_auc;
    return cls.log_loss;
  }
  if (metric == "mae") return reg.mae;
  if (metric == "ic") return std::isnan(reg.ic) ? 0 : -reg.ic;
  return reg.rmse;
}

void ToJson(nlohmann::json& j, const Metrics& m) {
  if (m.task == ml::Task::kClassification) {
    ToJson(j, m.cls);
  } else {
    ToJson(j, m.reg);
  }
}

// ---- Running -----------------------------------------------------------------------------------

namespace {

using Clock = std::chrono::steady_clock;

std::vector<size_t> Range(size_t begin, size_t end) {
  std::vector<size_t> v(end - begin);
  for (size_t i = 0; i < v.size(); ++i) v[i] = begin + i;
  return v;
}

// Class probabilities in a model's class order (rows * model_classes.size()) -> the experiment's
// classes (a class the model never saw gets probability 0). Regression outputs pass through.
std::vector<double> ExpandToClasses(std::vector<double> raw, const ml::ModelInfo& info,
                                    const std::vector<double>& classes) {
  if (info.task == ml::Task::kRegression) return raw;
  const size_t k = info.outputs(), kk = classes.size(), rows = raw.size() / k;
  std::vector<double> out(rows * kk, 0.0);
  for (size_t c = 0; c < k; ++c) {
    const size_t g =
        std::lower_bound(classes.begin(), classes.end(), info.classes[c]) - classes.begin();
    for (size_t r = 0; r < rows; ++r) out[r * kk + g] = raw[r * k + c];
  }
  return out;
}

// Outputs of a model over some rows, in the experiment's classes.
Status PredictExpanded(const ml::Model& m, const ml::TrainSet& rows,
                       const std::vector<double>& classes, std::vector<double>* out) {
  std::vector<double> raw(rows.x.rows * m.info().outputs());
  ARUS_RETURN_IF_ERROR(m.Predict(rows.x, raw));
  *out = ExpandToClasses(std::move(raw), m.info(), classes);
  return Status::Ok();
}

// Outputs of a model for the usable rows [begin, end) of `x`, in the experiment's classes. A
// sequence model (context_rows() > 0) also gets up to context_rows() earlier rows as history:
// their features only (they are in the past of every predicted row, so nothing leaks); their
// outputs are dropped.
Status PredictRange(const ml::Model& m, const ml::Matrix& x, size_t begin, size_t end,
                    const std::vector<double>& classes, std::vector<double>* out) {
  const size_t ctx = std::min(begin, m.context_rows());
  const size_t k = m.info().outputs();
  std::vector<double> raw((end - begin + ctx) * k);
  ARUS_RETURN_IF_ERROR(m.Predict(ml::MatrixView{x.row(begin - ctx), end - begin + ctx, x.cols}, raw));
  raw.erase(raw.begin(), raw.begin() + ctx * k);
  *out = ExpandToClasses(std::move(raw), m.info(), classes);
  return Status::Ok();
}

Result<Metrics> Evaluate(ml::Task task, std::span<const double> y, std::span<const double> out,
                         const std::vector<double>& classes) {
  Metrics m;
  m.task = task;
  if (task == ml::Task::kClassification) {
    ARUS_ASSIGN_OR_RETURN(m.cls, EvaluateClassification(y, out, classes));
  } else {
    ARUS_ASSIGN_OR_RETURN(m.reg, EvaluateRegression(y, out));
  }
  return m;
}

uint64_t SplitMix(uint64_t& s) {
  uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// The candidate parameter sets of a learner's search (the configured params first for random
// search), the same in every fold.
std::vector<ml::ParamMap> Candidates(const ExperimentConfig& c, const LearnerConfig& l) {
  std::vector<ml::ParamMap> out;
  if (l.search.empty()) return {l.params};
  if (c.search.method == "grid") {
    std::vector<size_t> idx(l.search.size(), 0);
    while (out.size() < c.search.trials) {
      ml::ParamMap p = l.params;
      for (size_t i = 0; i < l.search.size(); ++i)
        p[l.search[i].name] = l.search[i].choices[idx[i]];
      out.push_back(std::move(p));
      size_t i = 0;
      while (i < idx.size() && ++idx[i] == l.search[i].choices.size()) idx[i++] = 0;
      if (i == idx.size()) break;
    }
    return out;
  }
  uint64_t state = c.seed ^ XXH64(l.name.data(), l.name.size(), 17);
  out.push_back(l.params);
  while (out.size() < c.search.trials) {
    ml::ParamMap p = l.params;
    for (const SearchDim& d : l.search) {
      const double u = static_cast<double>(SplitMix(state) >> 11) * 0x1.0p-53;
      if (!d.range) {
        p[d.name] = d.choices[std::min<size_t>(d.choices.size() - 1, u * d.choices.size())];
        continue;
      }
      double v = d.log ? std::exp(std::log(d.min) + u * (std::log(d.max) - std::log(d.min)))
                       : d.min + u * (d.max - d.min);
      v = std::clamp(v, d.min, d.max);
      if (d.integer) {
        p[d.name] = static_cast<int64_t>(std::llround(v));
      } else {
        p[d.name] = v;
      }
    }
    out.push_back(std::move(p));
  }
  return out;
}

class Runner {
 public:
  Runner(const ExperimentConfig& c, const ExperimentData& d, const RunOptions& o)
      : c_(c), d_(d), o_(o), all_{d.x.view(), d.y, d.time, d.label_end} {
    std::set<double> cls;
    if (d.task == ml::Task::kClassification) cls.insert(d.y.begin(), d.y.end());
    classes_.assign(cls.begin(), cls.end());
  }

  Result<std::unique_ptr<ml::Model>> Fit(const std::string& learner, const ml::ParamMap& params,
                                         const ml::TrainSet& rows) const {
    ml::FitOptions fo;
    fo.task = d_.task;
    fo.params = params;
    fo.feature_names = d_.feature_names;
    fo.seed = c_.seed;
    return ml::FitModel(learner, rows, fo);
  }

  const std::string& Metric() const {
    static const std::string kLogLoss = "log_loss", kRmse = "rmse";
    if (!c_.search.metric.empty()) return c_.search.metric;
    return d_.task == ml::Task::kClassification ? kLogLoss : kRmse;
  }

  // Nested search inside the training rows `train` (indices into the data): returns the chosen
  // parameters and appends the trials.
  Result<ml::ParamMap> Search(const LearnerConfig& l, const std::vector<size_t>& train, int fold,
                              std::vector<TrialRecord>* trials) const {
    std::vector<ml::ParamMap> cands = Candidates(c_, l);
    if (cands.size() == 1) return cands[0];
    std::vector<UnixNanos> t, e;
    for (size_t i : train) {
      t.push_back(d_.time[i]);
      e.push_back(d_.label_end[i]);
    }
    WalkForwardOptions inner;
    inner.expanding = true;
    inner.train_rows = train.size() / (c_.search.inner_folds + 1);
    inner.test_rows = inner.train_rows;
    auto folds = WalkForwardFolds(t, e, inner);
    if (!folds.ok()) {
      return folds.status().WithContext("search for '" + l.name + "': inner validation of " +
                                        std::to_string(train.size()) + " training rows");
    }
    // The inner folds' rows, gathered once for every candidate.
    std::vector<std::unique_ptr<ml::TrainRows>> inner_fit, inner_test;
    std::vector<size_t> inner_first;  // first test row when the test rows are contiguous
    for (const Fold& f : folds.value()) {
      std::vector<size_t> fit_idx, test_idx;
      for (size_t i : f.train) fit_idx.push_back(train[i]);
      for (size_t i = f.test_begin; i < f.test_end; ++i) test_idx.push_back(train[i]);
      const bool contiguous = test_idx.back() - test_idx.front() + 1 == test_idx.size();
      inner_first.push_back(contiguous ? test_idx.front() : SIZE_MAX);
      inner_fit.push_back(std::make_unique<ml::TrainRows>(all_, fit_idx));
      inner_test.push_back(std::make_unique<ml::TrainRows>(all_, test_idx));
    }
    size_t best = 0;
    double best_score = INFINITY;
    const size_t first = trials->size();
    for (size_t ci = 0; ci < cands.size(); ++ci) {
      TrialRecord tr;
      tr.fold = fold;
      tr.model = l.name;
      tr.trial = ci;
      // Recorded with every parameter (defaults filled in), so trials compare on all of them.
      auto resolved = ml::ResolveParams(l.learner, cands[ci]);
      tr.params = resolved.ok() ? resolved.value() : cands[ci];
      double sum = 0;
      for (size_t fi = 0; fi < inner_fit.size(); ++fi) {
        const ml::TrainSet& test = inner_test[fi]->set();
        auto m = Fit(l.learner, cands[ci], inner_fit[fi]->set());
        if (!m.ok())
          return m.status().WithContext("search for '" + l.name + "', trial " + std::to_string(ci));
        std::vector<double> out;
        if (const size_t first = inner_first[fi]; first != SIZE_MAX) {
          // Contiguous inner test rows (always, unless a k-fold test block splits the outer
          // training rows): sequence models get their history.
          ARUS_RETURN_IF_ERROR(
              PredictRange(*m.value(), d_.x, first, first + test.x.rows, classes_, &out));
        } else {
          ARUS_RETURN_IF_ERROR(PredictExpanded(*m.value(), test, classes_, &out));
        }
        ARUS_ASSIGN_OR_RETURN(Metrics mt, Evaluate(d_.task, test.y, out, classes_));
        tr.inner_scores.push_back(mt.Score(Metric()));
        sum += tr.inner_scores.back();
      }
      tr.score = sum / folds.value().size();
      if (tr.score < best_score) {
        best_score = tr.score;
        best = ci;
      }
      trials->push_back(std::move(tr));
    }
    (*trials)[first + best].chosen = true;
    return cands[best];
  }

  Result<ExperimentResult> Run() {
    ExperimentResult res;
    res.classes = classes_;
    for (const LearnerConfig& l : c_.learners) res.model_names.push_back(l.name);
    const bool ens = c_.ensemble.enabled;
    if (ens) res.model_names.push_back("ensemble");
    const size_t nm = res.model_names.size();
    const size_t k = d_.task == ml::Task::kClassification ? classes_.size() : 1;

    Result<std::vector<Fold>> folds = c_.scheme == Scheme::kWalkForward
                                          ? WalkForwardFolds(d_.time, d_.label_end, c_.walk_forward)
                                          : PurgedKFoldFolds(d_.time, d_.label_end, c_.kfold);
    if (!folds.ok()) {
      return folds.status().WithContext("validation over " + std::to_string(d_.x.rows) +
                                        " usable rows");
    }
    const size_t steps = folds.value().size() * nm + (o_.fit_final ? nm : 0);
    size_t done = 0;
    auto tick = [&] {
      ++done;
      if (o_.progress) o_.progress(done, steps);
    };
    res.oos_outputs.assign(nm, {});
    ml::EnsemblePerformance perf;

    for (const Fold& f : folds.value()) {
      FoldResult fr;
      fr.fold = f;
      fr.train_from = d_.time[f.train.front()];
      fr.train_to = d_.time[f.train.back()];
      fr.test_from = d_.time[f.test_begin];
      fr.test_to = d_.time[f.test_end - 1];
      const ml::TrainRows train_rows(all_, f.train);
      const ml::TrainRows test_rows(all_, Range(f.test_begin, f.test_end));
      const ml::TrainSet& train = train_rows.set();
      const ml::TrainSet& test = test_rows.set();
      for (size_t r = f.test_begin; r < f.test_end; ++r) res.oos_rows.push_back(r);

      std::vector<std::unique_ptr<ml::Model>> fitted;
      std::vector<ml::ParamMap> chosen;
      for (size_t li = 0; li < c_.learners.size(); ++li) {
        const LearnerConfig& l = c_.learners[li];
        const auto t0 = Clock::now();
        ARUS_ASSIGN_OR_RETURN(ml::ParamMap params,
                              Search(l, f.train, static_cast<int>(f.index), &res.trials));
        auto m = Fit(l.learner, params, train);
        if (!m.ok()) {
          return m.status().WithContext("fold " + std::to_string(f.index + 1) + ", learner '" +
                                        l.name + "'");
        }
        std::vector<double> out;
        ARUS_RETURN_IF_ERROR(
            PredictRange(*m.value(), d_.x, f.test_begin, f.test_end, classes_, &out));
        FoldModelResult mr;
        mr.model = l.name;
        ARUS_ASSIGN_OR_RETURN(mr.metrics, Evaluate(d_.task, test.y, out, classes_));
        mr.params = m.value()->info().params;
        mr.fit_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        res.oos_outputs[li].insert(res.oos_outputs[li].end(), out.begin(), out.end());
        fr.models.push_back(std::move(mr));
        fitted.push_back(std::move(m).value());
        chosen.push_back(params);
        tick();
      }
      if (ens) {
        const auto t0 = Clock::now();
        std::vector<double> out(test.x.rows * k), agree(test.x.rows);
        ARUS_RETURN_IF_ERROR(
            EnsembleFold(train, test, f.test_begin, &fitted, chosen, &perf, &out, &agree));
        FoldModelResult mr;
        mr.model = "ensemble";
        ARUS_ASSIGN_OR_RETURN(mr.metrics, Evaluate(d_.task, test.y, out, classes_));
        mr.fit_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
        double sum = 0;
        for (double a : agree) sum += a;
        mr.mean_agreement = agree.empty() ? 0 : sum / agree.size();
        res.oos_outputs[nm - 1].insert(res.oos_outputs[nm - 1].end(), out.begin(), out.end());
        res.oos_agreement.insert(res.oos_agreement.end(), agree.begin(), agree.end());
        fr.models.push_back(std::move(mr));
        tick();
      }
      if (o_.on_fold) o_.on_fold(fr);
      res.folds.push_back(std::move(fr));
    }

    // Pooled out-of-sample metrics.
    std::vector<double> y;
    for (size_t r : res.oos_rows) y.push_back(d_.y[r]);
    for (size_t m = 0; m < nm; ++m) {
      ARUS_ASSIGN_OR_RETURN(Metrics pm, Evaluate(d_.task, y, res.oos_outputs[m], classes_));
      res.pooled.push_back(pm);
    }

    if (o_.fit_final) {
      const std::vector<size_t> all_idx = Range(0, d_.x.rows);
      for (const LearnerConfig& l : c_.learners) {
        ARUS_ASSIGN_OR_RETURN(ml::ParamMap params, Search(l, all_idx, -1, &res.trials));
        auto m = Fit(l.learner, params, all_);
        if (!m.ok()) return m.status().WithContext("final model '" + l.name + "'");
        res.final_params.push_back(m.value()->info().params);
        res.final_models.push_back(std::move(m).value());
        tick();
      }
      if (ens) {
        std::vector<ml::MemberSpec> specs = MemberSpecs(res.final_params);
        ml::FitOptions fo;
        fo.task = d_.task;
        fo.feature_names = d_.feature_names;
        fo.seed = c_.seed;
        auto e = ml::Ensemble::Fit(specs, all_, fo, c_.ensemble.options);
        if (!e.ok()) return e.status().WithContext("final ensemble");
        if (c_.scheme == Scheme::kWalkForward && !perf.members.empty()) {
          ARUS_RETURN_IF_ERROR(e.value()->SetPerformance(perf));
        }
        res.final_params.push_back(e.value()->info().params);
        res.final_models.push_back(std::move(e).value());
        tick();
      }
    }
    return res;
  }

 private:
  std::vector<ml::MemberSpec> MemberSpecs(const std::vector<ml::ParamMap>& params) const {
    std::vector<ml::MemberSpec> specs;
    for (const std::string& name : c_.ensemble.members) {
      for (size_t li = 0; li < c_.learners.size(); ++li) {
        if (c_.learners[li].name == name) {
          specs.push_back({name, c_.learners[li].learner, params[li]});
        }
      }
    }
    return specs;
  }

  // The ensemble of one fold. Weighted: the fold's fitted members, evaluated point in time with
  // the performance record carried over from earlier folds (walk-forward only: k-fold blocks are
  // not in time order). Stacking: members and meta-model fitted on the fold's training rows.
  Status EnsembleFold(const ml::TrainSet& train, const ml::TrainSet& test, size_t test_begin,
                      std::vector<std::unique_ptr<ml::Model>>* fitted,
                      const std::vector<ml::ParamMap>& chosen, ml::EnsemblePerformance* perf,
                      std::vector<double>* out, std::vector<double>* agree) const {
    std::unique_ptr<ml::Ensemble> e;
    if (c_.ensemble.options.method == ml::EnsembleMethod::kWeighted) {
      std::vector<std::unique_ptr<ml::Model>> members;
      std::vector<std::string> names;
      for (const std::string& name : c_.ensemble.members) {
        for (size_t li = 0; li < c_.learners.size(); ++li) {
          if (c_.learners[li].name == name) {
            members.push_back(std::move((*fitted)[li]));
            names.push_back(name);
          }
        }
      }
      auto created = ml::Ensemble::Create(std::move(members), names, c_.ensemble.options);
      if (!created.ok()) return created.status();
      e = std::move(created).value();
      if (c_.scheme == Scheme::kWalkForward && !perf->members.empty()) {
        ARUS_RETURN_IF_ERROR(e->SetPerformance(*perf));
      }
    } else {
      ml::FitOptions fo;
      fo.task = d_.task;
      fo.feature_names = d_.feature_names;
      fo.seed = c_.seed;
      auto fit = ml::Ensemble::Fit(MemberSpecs(chosen), train, fo, c_.ensemble.options);
      if (!fit.ok()) return fit.status();
      e = std::move(fit).value();
    }
    const size_t k = e->info().outputs();
    std::vector<double> raw(test.x.rows * k);
    // Sequence members read the usable rows before the test window as history.
    const size_t ctx = std::min(test_begin, e->context_rows());
    const ml::MatrixView context{d_.x.row(test_begin - ctx), ctx, d_.x.cols};
    ARUS_RETURN_IF_ERROR(e->PredictOnline(test, raw, *agree, context));
    *perf = e->performance();
    *out = ExpandToClasses(std::move(raw), e->info(), classes_);
    return Status::Ok();
  }

  const ExperimentConfig& c_;
  const ExperimentData& d_;
  const RunOptions& o_;
  const ml::TrainSet all_;  // every usable row
  std::vector<double> classes_;
};

json TimeJson(UnixNanos t) { return t.ToIso(); }

}  // namespace

Result<ExperimentResult> RunExperiment(const ExperimentConfig& config, const ExperimentData& data,
                                       const RunOptions& options) {
  if (data.x.rows == 0) return InvalidArgument("experiment: no usable rows");
  if (data.task == ml::Task::kClassification) {
    std::set<double> cls(data.y.begin(), data.y.end());
    if (cls.size() < 2) {
      return InvalidArgument("experiment: the label '" + data.label +
                             "' has a single class over the usable rows");
    }
  }
  Runner r(config, data, options);
  return r.Run();
}

nlohmann::json ModelValidationJson(const ExperimentResult& res, size_t model) {
  json j;
  j["model"] = res.model_names[model];
  json folds = json::array();
  for (const FoldResult& f : res.folds) {
    const FoldModelResult& m = f.models[model];
    json fj;
    fj["fold"] = f.fold.index + 1;
    fj["train"] = {{"rows", f.fold.train.size()},
                   {"from", TimeJson(f.train_from)},
                   {"to", TimeJson(f.train_to)},
                   {"purged", f.fold.purged},
                   {"embargoed", f.fold.embargoed}};
    fj["test"] = {{"rows", f.fold.test_end - f.fold.test_begin},
                  {"from", TimeJson(f.test_from)},
                  {"to", TimeJson(f.test_to)}};
    json mj;
    ToJson(mj, m.metrics);
    fj["metrics"] = mj;
    fj["params"] = ml::ParamsToJson(m.params);
    fj["fit_seconds"] = m.fit_seconds;
    if (m.mean_agreement >= 0) fj["mean_agreement"] = m.mean_agreement;
    folds.push_back(fj);
  }
  j["folds"] = folds;
  json pooled;
  if (model < res.pooled.size()) ToJson(pooled, res.pooled[model]);
  j["pooled"] = pooled;
  size_t trials = 0;
  for (const TrialRecord& t : res.trials) trials += t.model == res.model_names[model];
  j["search_trials"] = trials;
  return j;
}

nlohmann::json ExperimentJson(const ExperimentConfig& c, const ExperimentData& d,
                              const ExperimentResult& res) {
  json j;
  j["format"] = "arus-train-metrics";
  j["version"] = 1;
  j["name"] = c.name;
  j["config_hash"] = c.hash;
  j["config"] = json::parse(c.canonical_text, nullptr, false);
  j["data"] = {{"label", d.label},
               {"task", std::string(ml::TaskName(d.task))},
               {"features", d.feature_names},
               {"dataset_rows", d.dataset_rows},
               {"usable_rows", d.x.rows},
               {"dropped_no_label", d.dropped_no_label},
               {"dropped_flat", d.dropped_flat},
               {"dropped_incomplete", d.dropped_incomplete},
               {"from", d.time.empty() ? json() : TimeJson(d.time.front())},
               {"to", d.time.empty() ? json() : TimeJson(d.time.back())},
               {"classes", res.classes}};
  j["scheme"] = SchemeName(c.scheme);
  j["models"] = res.model_names;
  json models = json::object();
  for (size_t m = 0; m < res.model_names.size(); ++m) {
    models[res.model_names[m]] = ModelValidationJson(res, m);
  }
  j["validation"] = models;
  j["oos_rows"] = res.oos_rows.size();
  json trials = json::array();
  for (const TrialRecord& t : res.trials) {
    trials.push_back({{"fold", t.fold < 0 ? json("final") : json(t.fold + 1)},
                      {"model", t.model},
                      {"trial", t.trial},
                      {"params", ml::ParamsToJson(t.params)},
                      {"inner_scores", t.inner_scores},
                      {"score", t.score},
                      {"chosen", t.chosen}});
  }
  j["search"] = {{"method", c.search.method},
                 {"metric", c.search.metric},
                 {"trials_total", res.trials.size()},
                 {"trials", trials}};
  json fp = json::object();
  for (size_t m = 0; m < res.final_params.size(); ++m) {
    fp[res.model_names[m]] = ml::ParamsToJson(res.final_params[m]);
  }
  j["final_params"] = fp;
  return j;
}

}  // namespace arus::validation
