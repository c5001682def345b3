#include "features/feature_set.h"

#include <xxhash.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

#include "core/file.h"
#include "core/toml_util.h"
#include "features/labels.h"
#include "fx/instrument.h"

namespace arus::features {

namespace {

int64_t Line(const toml::node& n) { return static_cast<int64_t>(n.source().begin.line); }

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class SpecParser {
 public:
  explicit SpecParser(std::string file) : file_(std::move(file)) {}

  Status Err(const toml::node* n, std::string_view key, const std::string& what) const {
    return ParseError(file_, n ? static_cast<uint64_t>(Line(*n)) : 0, key, what);
  }

  Result<std::string> String(const toml::table& t, std::string_view key, bool required,
                             std::string def = "") const {
    const toml::node* n = t.get(key);
    if (n == nullptr) {
      if (required) return ParseError(file_, 0, key, "missing (required)");
      return def;
    }
    if (!n->is_string()) return Err(n, key, "expected a string");
    return n->as_string()->get();
  }

  Result<int> Int(const toml::table& t, std::string_view key, int def, int lo, int hi) const {
    const toml::node* n = t.get(key);
    if (n == nullptr) return def;
    if (!n->is_integer()) return Err(n, key, "expected an integer");
    const int64_t v = n->as_integer()->get();
    if (v < lo || v > hi) {
      return Err(n, key,
                 "must be in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                     std::to_string(v));
    }
    return static_cast<int>(v);
  }

  Result<std::vector<std::string>> Strings(const toml::table& t, std::string_view key) const {
    std::vector<std::string> out;
    const toml::node* n = t.get(key);
    if (n == nullptr) return out;
    if (!n->is_array()) return Err(n, key, "expected an array of strings");
    for (const toml::node& e : *n->as_array()) {
      if (!e.is_string()) return Err(&e, key, "expected an array of strings");
      out.push_back(e.as_string()->get());
    }
    return out;
  }

  Status UnknownKeys(const toml::table& t, std::initializer_list<std::string_view> known,
                     std::string_view where) const {
    for (const auto& [k, v] : t) {
      if (std::find(known.begin(), known.end(), k.str()) == known.end()) {
        std::string list;
        for (std::string_view s : known) list += (list.empty() ? "" : ", ") + std::string(s);
        return Err(&v, k.str(),
                   "unknown key in " + std::string(where) + " (known: " + list + ")");
      }
    }
    return Status::Ok();
  }

  // A duration string, or (when `list`) one or an array of them. Each in [lo, hi].
  Result<std::vector<Duration>> Durations(const toml::table& t, std::string_view key,
                                          std::string_view qualified, bool list, Duration lo,
                                          Duration hi) const {
    std::vector<Duration> out;
    const toml::node* n = t.get(key);
    if (n == nullptr) return out;
    const std::string expect = list ? "expected a duration like \"5m\" or an array of them"
                                    : "expected a duration like \"100ms\"";
    std::vector<const toml::node*> items;
    if (n->is_array() && list) {
      for (const toml::node& e : *n->as_array()) items.push_back(&e);
    } else {
      items.push_back(n);
    }
    for (const toml::node* e : items) {
      if (!e->is_string()) return Err(e, qualified, expect);
      const std::string text = e->as_string()->get();
      Result<Duration> d = ParseDuration(text);
      if (!d.ok()) return Err(e, qualified, d.status().message());
      if (*d < lo || *d > hi) {
        return Err(e, qualified,
                   "'" + text + "' out of range: must be " +
                       (lo.count() > 0 ? "positive" : "non-negative") + " and at most " +
                       CanonicalDuration(hi));
      }
      out.push_back(*d);
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }

  Result<std::string> Symbol(const std::string& text, const toml::node* n,
                             std::string_view key) const {
    Result<const fx::Instrument*> i = fx::InstrumentTable::Builtin().Find(text);
    if (!i.ok()) return Err(n, key, i.status().message());
    return (*i)->symbol;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

}  // namespace

std::vector<std::string> FeatureSetSpec::AllSymbols() const {
  std::vector<std::string> out = {symbol};
  out.insert(out.end(), cross.symbols.begin(), cross.symbols.end());
  return out;
}

std::vector<bars::Timeframe> FeatureSetSpec::TargetTimeframes() const {
  std::set<bars::Timeframe> tfs = {base_timeframe};
  for (const IndicatorGroup& g : indicators) tfs.insert(g.timeframe);
  for (bars::Timeframe tf : trend.timeframes) tfs.insert(tf);
  return {tfs.begin(), tfs.end()};
}

std::string FeatureSetSpec::ToCanonicalText() const {
  std::string s;
  s += "name = " + Quote(name) + "\n";
  s += "symbol = " + Quote(symbol) + "\n";
  s += "base_timeframe = " + Quote(bars::TimeframeName(base_timeframe)) + "\n";
  s += "price = " + Quote(PriceSideName(price)) + "\n";
  s += "labels = [";
  for (size_t i = 0; i < labels.size(); ++i) s += (i ? ", " : "") + Quote(labels[i]);
  s += "]\n";
  s += "\n[indicators]\n";
  for (const IndicatorGroup& g : indicators) {
    std::string list;
    for (const indicators::IndicatorSpec& i : g.indicators) {
      list += (list.empty() ? "" : ",") + i.Canonical();
    }
    s += std::string(bars::TimeframeName(g.timeframe)) + " = " + Quote(list) + "\n";
  }
  s += "\n[trend]\ntimeframes = [";
  for (size_t i = 0; i < trend.timeframes.size(); ++i) {
    s += (i ? ", " : "") + Quote(bars::TimeframeName(trend.timeframes[i]));
  }
  s += "]\nema = " + std::to_string(trend.ema) + "\n";
  s += "\n[cross]\nsymbols = [";
  for (size_t i = 0; i < cross.symbols.size(); ++i) {
    s += (i ? ", " : "") + Quote(cross.symbols[i]);
  }
  s += "]\ncorrelation_window = " + std::to_string(cross.correlation_window) + "\n";
  s += "strength_window = " + std::to_string(cross.strength_window) + "\n";
  s += std::string("triangular = ") + (cross.triangular ? "true" : "false") + "\n";
  s += "\n[external]\n";
  for (const auto& [k, v] : external) s += k + " = " + v + "\n";
  if (!ticks.empty()) {
    auto list = [](const std::vector<Duration>& ds) {
      std::string out = "[";
      for (size_t i = 0; i < ds.size(); ++i) out += (i ? ", " : "") + Quote(CanonicalDuration(ds[i]));
      return out + "]\n";
    };
    s += "\n[ticks]\n";
    s += "spread = " + list(ticks.spread);
    s += "imbalance = " + list(ticks.imbalance);
    s += "intensity = " + list(ticks.intensity);
    s += "slippage = " + list(ticks.slippage);
    if (!ticks.slippage.empty()) {
      s += "slippage_latency = " + Quote(CanonicalDuration(ticks.slippage_latency)) + "\n";
    }
  }
  return s;
}

uint64_t FeatureSetSpec::Hash() const {
  const std::string text = ToCanonicalText();
  return XXH64(text.data(), text.size(), 0);
}

std::string FeatureSetSpec::HashHex() const {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(Hash()));
  return buf;
}

Result<FeatureSetSpec> ParseFeatureSet(std::string_view toml_text, std::string_view file_name) {
  const std::string file(file_name);
  ARUS_ASSIGN_OR_RETURN(toml::table root, ParseTomlText(toml_text, file));
  SpecParser p(file);
  ARUS_RETURN_IF_ERROR(p.UnknownKeys(root,
                                     {"name", "symbol", "base_timeframe", "price", "labels",
                                      "indicators", "trend", "cross", "external", "ticks"},
                                     "the top level"));
  FeatureSetSpec spec;
  ARUS_ASSIGN_OR_RETURN(spec.name, p.String(root, "name", false, "unnamed"));
  ARUS_ASSIGN_OR_RETURN(std::string sym, p.String(root, "symbol", true));
  ARUS_ASSIGN_OR_RETURN(spec.symbol, p.Symbol(sym, root.get("symbol"), "symbol"));
  ARUS_ASSIGN_OR_RETURN(std::string base, p.String(root, "base_timeframe", false, "M5"));
  {
    Result<bars::Timeframe> tf = bars::ParseTimeframe(base);
    if (!tf.ok()) return p.Err(root.get("base_timeframe"), "base_timeframe", tf.status().message());
    spec.base_timeframe = *tf;
  }
  ARUS_ASSIGN_OR_RETURN(std::string price, p.String(root, "price", false, "mid"));
  {
    Result<PriceSide> side = ParsePriceSide(price);
    if (!side.ok()) return p.Err(root.get("price"), "price", side.status().message());
    spec.price = *side;
  }
  ARUS_ASSIGN_OR_RETURN(std::vector<std::string> labels, p.Strings(root, "labels"));
  for (const std::string& l : labels) {
    Result<LabelSpec> ls = ParseLabelSpec(l);
    if (!ls.ok()) return p.Err(root.get("labels"), "labels", ls.status().message());
    spec.labels.push_back(ls->Canonical());
  }

  if (const toml::node* n = root.get("indicators")) {
    if (!n->is_table()) return p.Err(n, "indicators", "expected a table: TIMEFRAME = \"list\"");
    std::map<bars::Timeframe, IndicatorGroup> groups;
    for (const auto& [k, v] : *n->as_table()) {
      const std::string key = "indicators." + std::string(k.str());
      Result<bars::Timeframe> tf = bars::ParseTimeframe(k.str());
      if (!tf.ok()) return p.Err(&v, key, tf.status().message());
      if (*tf < spec.base_timeframe) {
        return p.Err(&v, key,
                     "timeframe below the base timeframe " +
                         std::string(bars::TimeframeName(spec.base_timeframe)) +
                         ": rows are emitted at base bar closes only");
      }
      if (!v.is_string()) return p.Err(&v, key, "expected a string like \"rsi(14),ema(20)\"");
      Result<std::vector<indicators::IndicatorSpec>> list =
          indicators::ParseIndicatorList(v.as_string()->get());
      if (!list.ok()) return p.Err(&v, key, list.status().message());
      IndicatorGroup& g = groups[*tf];
      g.timeframe = *tf;
      g.indicators.insert(g.indicators.end(), list->begin(), list->end());
    }
    for (auto& [tf, g] : groups) spec.indicators.push_back(std::move(g));
  }
  if (const toml::node* n = root.get("trend")) {
    if (!n->is_table()) return p.Err(n, "trend", "expected a table");
    const toml::table& t = *n->as_table();
    ARUS_RETURN_IF_ERROR(p.UnknownKeys(t, {"timeframes", "ema"}, "[trend]"));
    ARUS_ASSIGN_OR_RETURN(std::vector<std::string> tfs, p.Strings(t, "timeframes"));
    std::set<bars::Timeframe> seen;
    for (const std::string& s : tfs) {
      Result<bars::Timeframe> tf = bars::ParseTimeframe(s);
      if (!tf.ok()) return p.Err(t.get("timeframes"), "trend.timeframes", tf.status().message());
      if (*tf < spec.base_timeframe) {
        return p.Err(t.get("timeframes"), "trend.timeframes",
                     std::string(bars::TimeframeName(*tf)) + " is below the base timeframe");
      }
      seen.insert(*tf);
    }
    spec.trend.timeframes.assign(seen.begin(), seen.end());
    ARUS_ASSIGN_OR_RETURN(spec.trend.ema, p.Int(t, "ema", 50, 2, 10000));
  }
  if (const toml::node* n = root.get("cross")) {
    if (!n->is_table()) return p.Err(n, "cross", "expected a table");
    const toml::table& t = *n->as_table();
    ARUS_RETURN_IF_ERROR(p.UnknownKeys(
        t, {"symbols", "correlation_window", "strength_window", "triangular"}, "[cross]"));
    ARUS_ASSIGN_OR_RETURN(std::vector<std::string> syms, p.Strings(t, "symbols"));
    std::set<std::string> seen = {spec.symbol};
    for (const std::string& s : syms) {
      ARUS_ASSIGN_OR_RETURN(std::string c, p.Symbol(s, t.get("symbols"), "cross.symbols"));
      if (seen.insert(c).second) spec.cross.symbols.push_back(c);
    }
    std::sort(spec.cross.symbols.begin(), spec.cross.symbols.end());
    ARUS_ASSIGN_OR_RETURN(spec.cross.correlation_window,
                          p.Int(t, "correlation_window", 100, 0, 100000));
    if (spec.cross.correlation_window == 1) {
      return p.Err(t.get("correlation_window"), "cross.correlation_window",
                   "must be 0 (off) or at least 2");
    }
    ARUS_ASSIGN_OR_RETURN(spec.cross.strength_window, p.Int(t, "strength_window", 20, 0, 100000));
    if (const toml::node* tri = t.get("triangular")) {
      if (!tri->is_boolean()) return p.Err(tri, "cross.triangular", "expected true or false");
      spec.cross.triangular = tri->as_boolean()->get();
    }
  }
  if (const toml::node* n = root.get("external")) {
    if (!n->is_table()) return p.Err(n, "external", "expected a table");
    for (const auto& [k, v] : *n->as_table()) {
      std::ostringstream os;
      v.visit([&](const auto& x) { os << x; });
      spec.external[std::string(k.str())] = os.str();
    }
  }
  if (const toml::node* n = root.get("ticks")) {
    if (!n->is_table()) return p.Err(n, "ticks", "expected a table");
    const toml::table& t = *n->as_table();
    ARUS_RETURN_IF_ERROR(p.UnknownKeys(
        t, {"spread", "imbalance", "intensity", "slippage", "slippage_latency"}, "[ticks]"));
    const Duration one(1);
    ARUS_ASSIGN_OR_RETURN(spec.ticks.spread,
                          p.Durations(t, "spread", "ticks.spread", true, one, kMaxTickHalfLife));
    ARUS_ASSIGN_OR_RETURN(spec.ticks.imbalance, p.Durations(t, "imbalance", "ticks.imbalance", true,
                                                            one, kMaxTickHalfLife));
    ARUS_ASSIGN_OR_RETURN(spec.ticks.intensity, p.Durations(t, "intensity", "ticks.intensity", true,
                                                            one, kMaxTickHalfLife));
    ARUS_ASSIGN_OR_RETURN(spec.ticks.slippage, p.Durations(t, "slippage", "ticks.slippage", true,
                                                           one, kMaxTickHalfLife));
    ARUS_ASSIGN_OR_RETURN(std::vector<Duration> latency,
                          p.Durations(t, "slippage_latency", "ticks.slippage_latency", false,
                                      Duration(0), kMaxTickLatency));
    if (!latency.empty()) {
      if (spec.ticks.slippage.empty()) {
        return p.Err(t.get("slippage_latency"), "ticks.slippage_latency",
                     "given without a slippage half-life (ticks.slippage)");
      }
      spec.ticks.slippage_latency = latency[0];
    }
  }
  return spec;
}

Result<FeatureSetSpec> LoadFeatureSet(const std::string& path) {
  ARUS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParseFeatureSet(text, path);
}

}  // namespace arus::features
