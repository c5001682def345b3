#include "risk/config.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <variant>
#include <vector>

#include "core/file.h"
#include "core/toml_util.h"
#include "risk/config_toml.h"
#include "risk/text.h"

namespace arus::risk {

namespace {


// One configurable value: where it lives and its allowed range.
struct Field {
  std::string_view key;
  std::variant<int64_t*, double*, SizingMethod*> ptr;
  double min = 0;
  double max = 0;
  bool min_exclusive = false;
  bool max_exclusive = false;
};

// The schema over one config: parsing, validation and JSON all walk it, so every key written can
// be read back.
std::vector<Field> LimitFields(RiskLimits* l) {
  return {{"max_open_positions", &l->max_open_positions, 0, 1e6},
          {"max_leverage", &l->max_leverage, 0, 1000},
          {"max_currency_exposure", &l->max_currency_exposure, 0, 1000},
          {"daily_loss_limit", &l->daily_loss_limit, 0, 1, false, true},
          {"max_drawdown", &l->max_drawdown, 0, 1, false, true}};
}

std::vector<Field> SizingFields(SizingConfig* s) {
  return {{"method", &s->method},
          {"lots", &s->lots, 0, 1e4, true},
          {"risk_fraction", &s->risk_fraction, 0, 1, true},
          {"target_volatility", &s->target_volatility, 0, 10, true},
          {"kelly_fraction", &s->kelly_fraction, 0, 1, true},
          {"kelly_cap", &s->kelly_cap, 0, 1, true},
          {"lot_step", &s->lot_step, 0, 1e4, true},
          {"min_lots", &s->min_lots, 0, 1e6},
          {"max_lots", &s->max_lots, 0, 1e6, true}};
}

// Whole numbers in plain digits ("1000000", not "1e+06"), others in shortest form.
std::string Plain(double v) {
  if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e15) {
    return std::to_string(static_cast<long long>(v));
  }
  return ShortestText(v);
}

// "" when `v` is within the field's range.
std::string RangeProblem(const Field& f, double v) {
  if (!std::isfinite(v)) return "must be a finite number";
  const bool low = f.min_exclusive ? !(v > f.min) : !(v >= f.min);
  const bool high = f.max_exclusive ? !(v < f.max) : !(v <= f.max);
  if (low || high) {
    return "out of range: " + Plain(v) + " (allowed " + (f.min_exclusive ? "(" : "[") +
           Plain(f.min) + ", " + Plain(f.max) + (f.max_exclusive ? ")" : "]") + ")";
  }
  return "";
}

std::string ValueProblem(const Field& f) {
  return std::visit(
      [&](auto* ptr) -> std::string {
        using T = std::remove_pointer_t<decltype(ptr)>;
        if constexpr (std::is_same_v<T, SizingMethod>) {
          return "";
        } else {
          return RangeProblem(f, static_cast<double>(*ptr));
        }
      },
      f.ptr);
}

// Cross-field rules once every value is in range; sets *key to the offending key.
std::string CrossProblem(const SizingConfig& s, std::string_view* key) {
  if (s.min_lots > s.max_lots) {
    *key = "min_lots";
    return "must not exceed max_lots (" + ShortestText(s.max_lots) + ")";
  }
  if (s.lot_step > s.max_lots) {
    *key = "lot_step";
    return "must not exceed max_lots (" + ShortestText(s.max_lots) + ")";
  }
  return "";
}

std::string KnownKeys(const std::vector<Field>& fields, bool with_sizing) {
  std::string s;
  for (const Field& f : fields) {
    if (!s.empty()) s += ", ";
    s += f.key;
  }
  if (with_sizing) s += ", sizing (table)";
  return s;
}

Status KeyError(std::string_view file, const toml::node& node, std::string_view table,
                std::string_view key, std::string_view what) {
  std::string m(file);
  const auto line = node.source().begin.line;
  if (line > 0) m += ":" + std::to_string(line);
  m += ": [" + std::string(table) + "]";
  if (!key.empty()) m += " key '" + std::string(key) + "'";
  m += ": ";
  m += what;
  return InvalidArgument(std::move(m));
}

// Reads one value into its field; the problem (without location) or "".
std::string ApplyValue(const Field& f, const toml::node& n) {
  return std::visit(
      [&](auto* ptr) -> std::string {
        using T = std::remove_pointer_t<decltype(ptr)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          if (!n.is_integer()) return "expected an integer, got " + TomlTypeName(n);
          const int64_t v = n.as_integer()->get();
          std::string bad = RangeProblem(f, static_cast<double>(v));
          if (!bad.empty()) return bad;
          *ptr = v;
        } else if constexpr (std::is_same_v<T, double>) {
          const std::optional<double> v = TomlNumber(n);
          if (!v) return "expected a number, got " + TomlTypeName(n);
          std::string bad = RangeProblem(f, *v);
          if (!bad.empty()) return bad;
          *ptr = *v;
        } else {
          if (!n.is_string()) return "expected a method name string, got " + TomlTypeName(n);
          Result<SizingMethod> m = ParseSizingMethod(n.as_string()->get());
          if (!m.ok()) return m.status().message();
          *ptr = *m;
        }
        return "";
      },
      f.ptr);
}

Status ApplyTable(const toml::table& t, std::string_view file, std::string_view name,
                  const std::vector<Field>& fields, const toml::table** sizing) {
  for (const auto& [k, node] : t) {
    const std::string_view key = k.str();
    if (sizing != nullptr && key == "sizing") {
      if (!node.is_table()) {
        return KeyError(file, node, name, key, "expected a table, got " + TomlTypeName(node));
      }
      *sizing = node.as_table();
      continue;
    }
    const Field* field = nullptr;
    for (const Field& f : fields) {
      if (f.key == key) field = &f;
    }
    if (field == nullptr) {
      return KeyError(file, node, name, key,
                      "unknown key (known: " + KnownKeys(fields, sizing != nullptr) + ")");
    }
    std::string bad = ApplyValue(*field, node);
    if (!bad.empty()) return KeyError(file, node, name, key, bad);
  }
  return Status::Ok();
}

}  // namespace

Status ValidateRiskConfig(const RiskConfig& config) {
  RiskConfig c = config;
  for (const Field& f : LimitFields(&c.limits)) {
    std::string bad = ValueProblem(f);
    if (!bad.empty()) {
      return InvalidArgument("risk config: [risk] key '" + std::string(f.key) + "': " + bad);
    }
  }
  for (const Field& f : SizingFields(&c.sizing)) {
    std::string bad = ValueProblem(f);
    if (!bad.empty()) {
      return InvalidArgument("risk config: [risk.sizing] key '" + std::string(f.key) + "': " + bad);
    }
  }
  std::string_view key;
  std::string bad = CrossProblem(c.sizing, &key);
  if (!bad.empty()) {
    return InvalidArgument("risk config: [risk.sizing] key '" + std::string(key) + "': " + bad);
  }
  return Status::Ok();
}

Result<RiskConfig> RiskConfigFromToml(const toml::table& risk, std::string_view file_name,
                                      std::string_view table_name) {
  RiskConfig c;
  const toml::table* sizing = nullptr;
  ARUS_RETURN_IF_ERROR(ApplyTable(risk, file_name, table_name, LimitFields(&c.limits), &sizing));
  const std::string sizing_name = std::string(table_name) + ".sizing";
  if (sizing != nullptr) {
    ARUS_RETURN_IF_ERROR(
        ApplyTable(*sizing, file_name, sizing_name, SizingFields(&c.sizing), nullptr));
    std::string_view key;
    std::string bad = CrossProblem(c.sizing, &key);
    if (!bad.empty()) {
      const toml::node* n = sizing->get(key);
      return KeyError(file_name, n != nullptr ? *n : static_cast<const toml::node&>(*sizing),
                      sizing_name, key, bad);
    }
  } else {
    std::string_view key;
    std::string bad = CrossProblem(c.sizing, &key);
    if (!bad.empty()) return KeyError(file_name, risk, sizing_name, key, bad);
  }
  return c;
}

Result<RiskConfig> ParseRiskConfig(std::string_view toml_text, std::string_view file_name,
                                   std::string_view table) {
  const std::string file(file_name);
  ARUS_ASSIGN_OR_RETURN(toml::table doc, ParseTomlText(toml_text, file));
  // Walk the dotted path ("backtest.risk") one table at a time.
  const toml::table* t = &doc;
  std::string_view rest = table;
  while (!rest.empty()) {
    const size_t dot = rest.find('.');
    const std::string_view part = rest.substr(0, dot);
    rest = dot == std::string_view::npos ? std::string_view() : rest.substr(dot + 1);
    const toml::node* n = t->get(part);
    if (n == nullptr) return RiskConfig{};  // absent: defaults
    if (!n->is_table()) {
      std::string m = file;
      if (n->source().begin.line > 0) m += ":" + std::to_string(n->source().begin.line);
      return InvalidArgument(m + ": '" + std::string(table) + "' must be a table, got " +
                             TomlTypeName(*n));
    }
    t = n->as_table();
  }
  return RiskConfigFromToml(*t, file_name, table);
}

Result<RiskConfig> LoadRiskConfig(const std::string& path, std::string_view table) {
  ARUS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseRiskConfig(text, path, table);
}

void ToJson(nlohmann::json& j, const RiskConfig& config) {
  RiskConfig c = config;
  auto put = [](nlohmann::json& obj, const Field& f) {
    std::visit(
        [&](auto* ptr) {
          using T = std::remove_pointer_t<decltype(ptr)>;
          if constexpr (std::is_same_v<T, SizingMethod>) {
            obj[std::string(f.key)] = std::string(SizingMethodName(*ptr));
          } else {
            obj[std::string(f.key)] = *ptr;
          }
        },
        f.ptr);
  };
  j = nlohmann::json::object();
  nlohmann::json s = nlohmann::json::object();
  for (const Field& f : SizingFields(&c.sizing)) put(s, f);
  j["sizing"] = std::move(s);
  for (const Field& f : LimitFields(&c.limits)) put(j, f);
}

}  // namespace arus::risk
