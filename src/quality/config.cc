#include "quality/config.h"

#include <xxhash.h>

#include <cmath>
#include <cstdio>
#include <exception>
#include <map>
#include <set>
#include <variant>
#include <vector>

#include "core/file.h"
#include "core/format.h"
#include "core/toml_util.h"

namespace arus::quality {

namespace {

constexpr std::string_view kRuleNames[kRuleCount] = {
    "time_order", "duplicate", "crossed",  "locked",     "spread",    "spike",
    "stale",      "gap",       "bar_ohlc", "bar_volume", "bar_order", "bar_gap"};

// Which policies a rule accepts, and why not the others.
std::string PolicyProblem(RuleId id, Policy p) {
  if (p == Policy::kRepair && id != RuleId::kBarGap) {
    if (IsTickRule(id)) {
      return "policy 'repair' is not allowed for tick rules: repairing a tick would invent a "
             "price; use 'flag' or 'drop'";
    }
    return "policy 'repair' is only meaningful for bar_gap (forward-filled bars); use 'flag' or "
           "'drop'";
  }
  if (p == Policy::kDrop && (id == RuleId::kGap || id == RuleId::kBarGap)) {
    return "policy 'drop' is not allowed for " + std::string(RuleName(id)) +
           ": a gap has no row to drop; use 'flag'" + (id == RuleId::kBarGap ? " or 'repair'" : "");
  }
  return "";
}

// One configurable value: where it lives and its allowed range.
struct Field {
  std::string_view key;
  std::variant<bool*, int64_t*, double*, Duration*, Policy*> ptr;
  double min = 0;  // inclusive; for durations in nanoseconds
  double max = 0;
  bool min_exclusive = false;
};

struct Table {
  std::string_view name;
  int rule = -1;  // RuleId or -1 for report / compare
  bool hashed = true;
  std::vector<Field> fields;
};

constexpr double kNsMinute = static_cast<double>(kNanosPerMinute);
constexpr double kNsDay = static_cast<double>(kNanosPerDay);

template <typename R>
Table RuleTable(RuleId id, R* r, std::vector<Field> extra) {
  Table t{RuleName(id), static_cast<int>(id), true, {}};
  t.fields.push_back(Field{"enabled", &r->enabled});
  t.fields.push_back(Field{"policy", &r->policy});
  for (Field& f : extra) t.fields.push_back(f);
  return t;
}

// The whole schema over one config: parsing, validation and the canonical text all walk it, so
// every key that is printed can be parsed.
std::vector<Table> Describe(QualityConfig* c) {
  CleaningPolicy& p = c->policy;
  std::vector<Table> t;
  t.push_back(RuleTable(RuleId::kTimeOrder, &p.time_order, {}));
  t.push_back(RuleTable(RuleId::kDuplicate, &p.duplicate, {}));
  t.push_back(RuleTable(RuleId::kCrossed, &p.crossed, {}));
  t.push_back(RuleTable(RuleId::kLocked, &p.locked, {}));
  t.push_back(RuleTable(RuleId::kSpread, &p.spread,
                        {{"window", &p.spread.window, 1, 10'000'000},
                         {"min_samples", &p.spread.min_samples, 1, 10'000'000},
                         {"multiple", &p.spread.multiple, 1, 1e6},
                         {"max_pips", &p.spread.max_pips, 0, 1e9}}));
  t.push_back(RuleTable(RuleId::kSpike, &p.spike,
                        {{"window", &p.spike.window, 10, 10'000'000},
                         {"min_samples", &p.spike.min_samples, 1, 10'000'000},
                         {"z", &p.spike.z, 0, 1e6, true},
                         {"min_move_pips", &p.spike.min_move_pips, 0, 1e9},
                         {"revert_ticks", &p.spike.revert_ticks, 1, 10'000},
                         {"revert_fraction", &p.spike.revert_fraction, 0, 0.999999}}));
  t.push_back(RuleTable(RuleId::kStale, &p.stale,
                        {{"max_duration", &p.stale.max_duration, 0, 366 * kNsDay, true}}));
  t.push_back(RuleTable(RuleId::kGap, &p.gap,
                        {{"max_duration", &p.gap.max_duration, 0, 366 * kNsDay, true}}));
  t.push_back(RuleTable(RuleId::kBarOhlc, &p.bar_ohlc, {}));
  t.push_back(RuleTable(RuleId::kBarVolume, &p.bar_volume, {}));
  t.push_back(RuleTable(RuleId::kBarOrder, &p.bar_order, {}));
  t.push_back(RuleTable(RuleId::kBarGap, &p.bar_gap, {{"min_bars", &p.bar_gap.min_bars, 1, 1e12}}));
  t.push_back(Table{"report",
                    -1,
                    false,
                    {{"examples", &c->report.examples, 0, 100'000},
                     {"max_gaps", &c->report.max_gaps, 0, 1e9},
                     {"max_jumps", &c->report.max_jumps, 0, 1e9}}});
  t.push_back(Table{"compare",
                    -1,
                    false,
                    {{"grid", &c->compare.grid, 1e6, kNsMinute},  // 1 ms .. 1 min
                     {"max_lag", &c->compare.max_lag, 0, 10 * kNsMinute},
                     {"max_quote_age", &c->compare.max_quote_age, 0, kNsDay, true},
                     {"arb_tolerance_pips", &c->compare.arb_tolerance_pips, 0, 1e9},
                     {"examples", &c->compare.examples, 0, 100'000}}});
  return t;
}

// Range check of a numeric value; "" when fine.
std::string RangeProblem(const Field& f, double v) {
  if (!std::isfinite(v)) return "must be a finite number";
  const bool low = f.min_exclusive ? !(v > f.min) : !(v >= f.min);
  if (low || v > f.max) {
    return "out of range: " + ShortestText(v) + " (allowed " + (f.min_exclusive ? "(" : "[") + ShortestText(f.min) +
           ", " + ShortestText(f.max) + "])";
  }
  return "";
}

std::string DurationRangeProblem(const Field& f, Duration d) {
  const double v = static_cast<double>(d.count());
  const bool low = f.min_exclusive ? !(v > f.min) : !(v >= f.min);
  if (low || v > f.max) {
    return "out of range: " + CanonicalDuration(d) + " (allowed " +
           (f.min_exclusive ? "more than " : "at least ") +
           CanonicalDuration(Duration(static_cast<int64_t>(f.min))) + " and at most " +
           CanonicalDuration(Duration(static_cast<int64_t>(f.max))) + ")";
  }
  return "";
}

// Cross-field checks after every single value is known to be in range.
std::string CrossProblem(const QualityConfig& c, std::string_view* table, std::string_view* key) {
  const CleaningPolicy& p = c.policy;
  if (p.spread.min_samples > p.spread.window) {
    *table = "spread";
    *key = "min_samples";
    return "must not exceed window (" + std::to_string(p.spread.window) + ")";
  }
  if (p.spike.min_samples > p.spike.window) {
    *table = "spike";
    *key = "min_samples";
    return "must not exceed window (" + std::to_string(p.spike.window) + ")";
  }
  if (c.compare.max_lag.count() / c.compare.grid.count() > 5000) {
    *table = "compare";
    *key = "max_lag";
    return "at most 5000 grid steps (max_lag / grid); use a coarser grid or a shorter max_lag";
  }
  return "";
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

std::string KnownKeys(const Table& t) {
  std::string s;
  for (const Field& f : t.fields) {
    if (!s.empty()) s += ", ";
    s += f.key;
  }
  return s;
}

// Reads one value into its field; error message (without location) or "".
std::string ApplyValue(const Table& t, const Field& f, const toml::node& n) {
  return std::visit(
      [&](auto* ptr) -> std::string {
        using T = std::remove_pointer_t<decltype(ptr)>;
        if constexpr (std::is_same_v<T, bool>) {
          if (!n.is_boolean()) return "expected true or false, got " + TomlTypeName(n);
          *ptr = n.as_boolean()->get();
        } else if constexpr (std::is_same_v<T, int64_t>) {
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
        } else if constexpr (std::is_same_v<T, Duration>) {
          if (!n.is_string()) {
            return "expected a duration string such as \"30s\", \"5m\", \"100ms\", got " +
                   TomlTypeName(n);
          }
          Result<Duration> d = ParseDuration(n.as_string()->get());
          if (!d.ok()) return d.status().message();
          std::string bad = DurationRangeProblem(f, *d);
          if (!bad.empty()) return bad;
          *ptr = *d;
        } else {
          static_assert(std::is_same_v<T, Policy>);
          if (!n.is_string())
            return "expected \"flag\", \"drop\" or \"repair\", got " + TomlTypeName(n);
          Result<Policy> p = ParsePolicy(n.as_string()->get());
          if (!p.ok()) return p.status().message();
          std::string bad = PolicyProblem(static_cast<RuleId>(t.rule), *p);
          if (!bad.empty()) return bad;
          *ptr = *p;
        }
        return "";
      },
      f.ptr);
}

void AppendValue(std::string* out, const Field& f) {
  std::visit(
      [&](auto* ptr) {
        using T = std::remove_pointer_t<decltype(ptr)>;
        if constexpr (std::is_same_v<T, bool>) {
          *out += *ptr ? "true" : "false";
        } else if constexpr (std::is_same_v<T, int64_t>) {
          *out += std::to_string(*ptr);
        } else if constexpr (std::is_same_v<T, double>) {
          AppendShortest(out, *ptr);
        } else if constexpr (std::is_same_v<T, Duration>) {
          *out += "\"" + CanonicalDuration(*ptr) + "\"";
        } else {
          *out += "\"" + std::string(PolicyName(*ptr)) + "\"";
        }
      },
      f.ptr);
}

// Full validation of a config built in code (no source locations).
Status ValidateAll(const QualityConfig& config, bool policy_only) {
  QualityConfig copy = config;
  for (const Table& t : Describe(&copy)) {
    if (policy_only && !t.hashed) continue;
    for (const Field& f : t.fields) {
      std::string bad = std::visit(
          [&](auto* ptr) -> std::string {
            using T = std::remove_pointer_t<decltype(ptr)>;
            if constexpr (std::is_same_v<T, bool>) {
              return "";
            } else if constexpr (std::is_same_v<T, Duration>) {
              return DurationRangeProblem(f, *ptr);
            } else if constexpr (std::is_same_v<T, Policy>) {
              return PolicyProblem(static_cast<RuleId>(t.rule), *ptr);
            } else {
              return RangeProblem(f, static_cast<double>(*ptr));
            }
          },
          f.ptr);
      if (!bad.empty()) {
        return InvalidArgument("quality config: [" + std::string(t.name) + "] key '" +
                               std::string(f.key) + "': " + bad);
      }
    }
  }
  std::string_view table, key;
  std::string bad = CrossProblem(copy, &table, &key);
  if (!bad.empty() && (!policy_only || table != "compare")) {
    return InvalidArgument("quality config: [" + std::string(table) + "] key '" + std::string(key) +
                           "': " + bad);
  }
  return Status::Ok();
}

}  // namespace

std::string_view PolicyName(Policy p) {
  switch (p) {
    case Policy::kFlag:
      return "flag";
    case Policy::kDrop:
      return "drop";
    case Policy::kRepair:
      return "repair";
  }
  return "?";
}

Result<Policy> ParsePolicy(std::string_view text) {
  if (text == "flag") return Policy::kFlag;
  if (text == "drop") return Policy::kDrop;
  if (text == "repair") return Policy::kRepair;
  return InvalidArgument("unknown policy '" + std::string(text) +
                         "' (expected flag, drop or repair)");
}

std::string_view RuleName(RuleId id) {
  const int i = static_cast<int>(id);
  return i >= 0 && i < kRuleCount ? kRuleNames[i] : "?";
}

bool CleaningPolicy::enabled(RuleId id) const {
  switch (id) {
    case RuleId::kTimeOrder:
      return time_order.enabled;
    case RuleId::kDuplicate:
      return duplicate.enabled;
    case RuleId::kCrossed:
      return crossed.enabled;
    case RuleId::kLocked:
      return locked.enabled;
    case RuleId::kSpread:
      return spread.enabled;
    case RuleId::kSpike:
      return spike.enabled;
    case RuleId::kStale:
      return stale.enabled;
    case RuleId::kGap:
      return gap.enabled;
    case RuleId::kBarOhlc:
      return bar_ohlc.enabled;
    case RuleId::kBarVolume:
      return bar_volume.enabled;
    case RuleId::kBarOrder:
      return bar_order.enabled;
    case RuleId::kBarGap:
      return bar_gap.enabled;
  }
  return false;
}

Policy CleaningPolicy::policy(RuleId id) const {
  switch (id) {
    case RuleId::kTimeOrder:
      return time_order.policy;
    case RuleId::kDuplicate:
      return duplicate.policy;
    case RuleId::kCrossed:
      return crossed.policy;
    case RuleId::kLocked:
      return locked.policy;
    case RuleId::kSpread:
      return spread.policy;
    case RuleId::kSpike:
      return spike.policy;
    case RuleId::kStale:
      return stale.policy;
    case RuleId::kGap:
      return gap.policy;
    case RuleId::kBarOhlc:
      return bar_ohlc.policy;
    case RuleId::kBarVolume:
      return bar_volume.policy;
    case RuleId::kBarOrder:
      return bar_order.policy;
    case RuleId::kBarGap:
      return bar_gap.policy;
  }
  return Policy::kFlag;
}

Status ValidateQualityConfig(const QualityConfig& config) {
  return ValidateAll(config, /*policy_only=*/false);
}

Status CleaningPolicy::Validate() const {
  QualityConfig c;
  c.policy = *this;
  return ValidateAll(c, /*policy_only=*/true);
}

std::string CleaningPolicy::ToCanonicalText() const {
  QualityConfig c;
  c.policy = *this;
  std::string out = "# arus quality cleaning policy (canonical form)\n";
  for (const Table& t : Describe(&c)) {
    if (!t.hashed) continue;
    out += "\n[";
    out += t.name;
    out += "]\n";
    for (const Field& f : t.fields) {
      out += f.key;
      out += " = ";
      AppendValue(&out, f);
      out += '\n';
    }
  }
  return out;
}

uint64_t CleaningPolicy::Hash() const {
  const std::string text = ToCanonicalText();
  return XXH64(text.data(), text.size(), 0);
}

std::string CleaningPolicy::HashHex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(Hash()));
  return buf;
}

Result<QualityConfig> ParseQualityConfig(std::string_view toml_text, std::string_view file_name) {
  const std::string file(file_name);
  ARUS_ASSIGN_OR_RETURN(toml::table root, ParseTomlText(toml_text, file));

  QualityConfig config;
  std::vector<Table> tables = Describe(&config);
  // Location of each key seen, for cross-field errors.
  std::map<std::string, const toml::node*> where;
  for (const auto& [k, node] : root) {
    const std::string name(k.str());
    const Table* table = nullptr;
    for (const Table& t : tables) {
      if (t.name == name) table = &t;
    }
    if (table == nullptr) {
      std::string known;
      for (const Table& t : tables) known += (known.empty() ? "" : ", ") + std::string(t.name);
      return KeyError(file, node, name, "", "unknown table (known: " + known + ")");
    }
    if (!node.is_table()) {
      return KeyError(file, node, name, "",
                      "expected a table [" + name + "], got " + TomlTypeName(node));
    }
    for (const auto& [kk, value] : *node.as_table()) {
      const std::string key(kk.str());
      const Field* field = nullptr;
      for (const Field& f : table->fields) {
        if (f.key == key) field = &f;
      }
      if (field == nullptr) {
        return KeyError(file, value, name, key, "unknown key (known: " + KnownKeys(*table) + ")");
      }
      std::string bad = ApplyValue(*table, *field, value);
      if (!bad.empty()) return KeyError(file, value, name, key, bad);
      where[name + "." + key] = &value;
    }
  }
  std::string_view table, key;
  std::string bad = CrossProblem(config, &table, &key);
  if (!bad.empty()) {
    const std::string full = std::string(table) + "." + std::string(key);
    auto it = where.find(full);
    if (it == where.end()) {
      // The offending value is a default; point at the other key of the pair if it was set.
      for (const char* other : {"window", "grid"}) {
        auto jt = where.find(std::string(table) + "." + other);
        if (jt != where.end()) it = jt;
      }
    }
    std::string m = file;
    if (it != where.end() && it->second->source().begin.line > 0) {
      m += ":" + std::to_string(it->second->source().begin.line);
    }
    return InvalidArgument(m + ": [" + std::string(table) + "] key '" + std::string(key) +
                           "': " + bad);
  }
  return config;
}

Result<QualityConfig> LoadQualityConfig(const std::string& path) {
  ARUS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseQualityConfig(text, path);
}

}  // namespace arus::quality
