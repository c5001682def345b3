#include "indicators/registry.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>

#include "core/format.h"

namespace arus::indicators {

namespace {

// Integral values print without exponent ("100000", not "1e+05"); others in shortest form.
void AppendParam(std::string* out, double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    *out += std::to_string(static_cast<int64_t>(v));
  } else {
    AppendShortest(out, v);
  }
}

std::string ParamText(double v) {
  std::string s;
  AppendParam(&s, v);
  return s;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string KnownList() {
  std::string s;
  for (const IndicatorDef& d : AllIndicators()) {
    if (!s.empty()) s += ", ";
    s += d.name;
  }
  return s;
}

// "macd(fast=12, slow=26, signal=9)"; "adl" when there are no parameters.
std::string Signature(const IndicatorDef& d) {
  std::string s = d.name;
  if (d.params.empty()) return s;
  s += '(';
  for (size_t i = 0; i < d.params.size(); ++i) {
    if (i > 0) s += ", ";
    s += d.params[i].name;
    s += '=';
    AppendParam(&s, d.params[i].default_value);
  }
  s += ')';
  return s;
}

// Fills defaults and checks count, finiteness, integer-ness, ranges and the cross check.
// `what` names the item in messages.
Status Resolve(const IndicatorDef& d, std::vector<double>* params, std::string_view what) {
  const std::string where = "'" + std::string(what) + "': ";
  const std::string expected = "; expected " + Signature(d);
  if (params->size() > d.params.size()) {
    return InvalidArgument(where + d.name + " takes " +
                           (d.params.empty()
                                ? std::string("no parameters")
                                : "at most " + std::to_string(d.params.size()) + " parameter(s)") +
                           ", got " + std::to_string(params->size()) + expected);
  }
  for (size_t i = params->size(); i < d.params.size(); ++i) {
    params->push_back(d.params[i].default_value);
  }
  for (size_t i = 0; i < d.params.size(); ++i) {
    const ParamDef& p = d.params[i];
    const double v = (*params)[i];
    if (!std::isfinite(v)) {
      return InvalidArgument(where + "parameter '" + p.name + "' is not a finite number" +
                             expected);
    }
    if (p.integer && v != std::floor(v)) {
      return InvalidArgument(where + "parameter '" + p.name + "' must be an integer, got " +
                             ParamText(v) + expected);
    }
    if (v < p.min_value || v > p.max_value) {
      return InvalidArgument(where + "parameter '" + p.name + "' must be in [" +
                             ParamText(p.min_value) + ", " + ParamText(p.max_value) + "], got " +
                             ParamText(v) + expected);
    }
  }
  if (d.validate) {
    Status s = d.validate(*params);
    if (!s.ok()) return InvalidArgument(where + s.message() + expected);
  }
  return Status::Ok();
}

Result<const IndicatorDef*> Find(std::string_view name, std::string_view what) {
  const IndicatorDef* d = FindIndicator(name);
  if (d == nullptr) {
    return InvalidArgument("unknown indicator '" + std::string(name) + "' in '" +
                           std::string(what) + "'; known: " + KnownList());
  }
  return d;
}

}  // namespace

std::string IndicatorSpec::Canonical() const {
  std::string s = name;
  if (params.empty()) return s;
  s += '(';
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) s += ',';
    AppendParam(&s, params[i]);
  }
  s += ')';
  return s;
}

const std::vector<IndicatorDef>& AllIndicators() {
  static const std::vector<IndicatorDef>* defs = [] {
    auto* v = new std::vector<IndicatorDef>;
    RegisterPriceIndicators(v);
    RegisterVolumeIndicators(v);
    std::sort(v->begin(), v->end(),
              [](const IndicatorDef& a, const IndicatorDef& b) { return a.name < b.name; });
    return v;
  }();
  return *defs;
}

const IndicatorDef* FindIndicator(std::string_view name) {
  const auto& defs = AllIndicators();
  auto it = std::lower_bound(defs.begin(), defs.end(), name,
                             [](const IndicatorDef& d, std::string_view n) { return d.name < n; });
  return it != defs.end() && it->name == name ? &*it : nullptr;
}

Result<IndicatorSpec> ParseIndicatorSpec(std::string_view item) {
  const std::string_view text = Trim(item);
  const std::string quoted = "'" + std::string(text) + "'";
  if (text.empty()) return InvalidArgument("empty indicator; known: " + KnownList());
  const size_t open = text.find('(');
  const std::string_view raw_name = Trim(text.substr(0, open));
  if (raw_name.empty()) return InvalidArgument(quoted + ": missing indicator name");
  IndicatorSpec spec;
  for (char c : raw_name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') {
      return InvalidArgument(quoted + ": bad character '" + std::string(1, c) +
                             "' in indicator name; known: " + KnownList());
    }
    spec.name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  ARUS_ASSIGN_OR_RETURN(const IndicatorDef* def, Find(spec.name, text));
  if (open != std::string_view::npos) {
    if (text.back() != ')') {
      return InvalidArgument(quoted + (text.find(')') == std::string_view::npos
                                           ? ": missing ')'"
                                           : ": unexpected text after ')'"));
    }
    const std::string_view inner = text.substr(open + 1, text.size() - open - 2);
    if (inner.find_first_of("()") != std::string_view::npos) {
      return InvalidArgument(quoted + ": unbalanced parentheses");
    }
    if (!Trim(inner).empty()) {
      size_t start = 0;
      while (true) {
        const size_t comma = inner.find(',', start);
        const std::string_view piece =
            Trim(inner.substr(start, comma == std::string_view::npos ? inner.npos : comma - start));
        const size_t index = spec.params.size();
        const std::string label =
            "parameter " + std::to_string(index + 1) +
            (index < def->params.size() ? " ('" + def->params[index].name + "')" : std::string());
        if (piece.empty()) {
          return InvalidArgument(quoted + ": " + label + " is empty; expected " + Signature(*def));
        }
        double v = 0;
        const auto r = std::from_chars(piece.data(), piece.data() + piece.size(), v);
        if (r.ec != std::errc() || r.ptr != piece.data() + piece.size()) {
          return InvalidArgument(quoted + ": " + label + " is not a number: '" +
                                 std::string(piece) + "'; expected " + Signature(*def));
        }
        spec.params.push_back(v);
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
    }
  }
  ARUS_RETURN_IF_ERROR(Resolve(*def, &spec.params, text));
  return spec;
}

Result<std::vector<IndicatorSpec>> ParseIndicatorList(std::string_view text) {
  std::vector<IndicatorSpec> specs;
  std::set<std::string> seen;
  if (Trim(text).empty()) {
    return InvalidArgument("no indicators given; known: " + KnownList());
  }
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : ',';
    if (c == '(') ++depth;
    if (c == ')' && --depth < 0) {
      return InvalidArgument("unbalanced ')' in indicator list '" + std::string(text) + "'");
    }
    if (c != ',' || (depth > 0 && i < text.size())) continue;
    const std::string_view item = Trim(text.substr(start, i - start));
    if (item.empty()) {
      return InvalidArgument("empty item in indicator list '" + std::string(text) + "'");
    }
    ARUS_ASSIGN_OR_RETURN(IndicatorSpec spec, ParseIndicatorSpec(item));
    if (!seen.insert(spec.Canonical()).second) {
      return InvalidArgument("indicator " + spec.Canonical() + " is listed twice");
    }
    specs.push_back(std::move(spec));
    start = i + 1;
  }
  return specs;
}

Result<std::vector<std::string>> OutputNames(const IndicatorSpec& spec) {
  const std::string what = spec.Canonical();
  ARUS_ASSIGN_OR_RETURN(const IndicatorDef* def, Find(spec.name, what));
  std::vector<double> params = spec.params;
  ARUS_RETURN_IF_ERROR(Resolve(*def, &params, what));
  std::string suffix;
  for (double p : params) {
    suffix += '_';
    AppendParam(&suffix, p);
  }
  std::vector<std::string> names;
  names.reserve(def->outputs.size());
  for (const std::string& stem : def->outputs) names.push_back(stem + suffix);
  return names;
}

Result<std::unique_ptr<Indicator>> MakeIndicator(const IndicatorSpec& spec) {
  const std::string what = spec.Canonical();
  ARUS_ASSIGN_OR_RETURN(const IndicatorDef* def, Find(spec.name, what));
  std::vector<double> params = spec.params;
  ARUS_RETURN_IF_ERROR(Resolve(*def, &params, what));
  ARUS_ASSIGN_OR_RETURN(std::vector<std::string> names, OutputNames(spec));
  std::unique_ptr<Indicator> ind = def->make(params, std::move(names));
  if (ind == nullptr) return Internal("indicator " + what + ": factory returned nothing");
  return ind;
}

}  // namespace arus::indicators
