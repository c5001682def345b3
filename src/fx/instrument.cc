#include "fx/instrument.h"

#include <cmath>
#include <exception>
#include <set>
#include <utility>

#include "core/file.h"
#include "core/toml_util.h"

namespace arus::fx {

namespace {

constexpr double kNegPow10[10] = {1, 1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9};

// Per-currency facts behind the built-in table: value of one unit in USD (early 2024) and the
// overnight rate in percent a broker's swap is based on.
struct CurrencyFacts {
  const char* code;
  double usd_value;
  double rate_pct;
};
// In market naming order: a pair's base is the currency that comes first.
constexpr CurrencyFacts kCurrencies[] = {
    {"EUR", 1.09, 3.90},       {"GBP", 1.27, 5.20},         {"AUD", 0.66, 4.35},
    {"NZD", 0.61, 5.50},       {"USD", 1.0, 5.30},          {"CAD", 1.0 / 1.35, 5.00},
    {"CHF", 1.0 / 0.88, 1.70}, {"JPY", 1.0 / 148.0, -0.05},
};
constexpr CurrencyFacts kGold = {"XAU", 2030.0, 0.0};
constexpr double kSwapMarkupPct = 0.75;
constexpr double kCommissionPerMillion = 35.0;

bool IsEsmaMajorCurrency(std::string_view c) {
  return c == "USD" || c == "EUR" || c == "JPY" || c == "GBP" || c == "CAD" || c == "CHF";
}

double Round2(double x) { return std::round(x * 100.0) / 100.0; }

Instrument MakePair(const CurrencyFacts& b, const CurrencyFacts& q) {
  Instrument in;
  in.base = b.code;
  in.quote = q.code;
  in.symbol = in.base + in.quote;
  const bool gold = in.base == "XAU";
  const bool jpy = in.quote == "JPY";
  in.price_precision = gold ? 2 : (jpy ? 3 : 5);
  in.pip_size = gold ? 0.01 : (jpy ? 0.01 : 0.0001);
  in.contract_size = gold ? 100 : 100000;
  in.margin_rate =
      (!gold && IsEsmaMajorCurrency(in.base) && IsEsmaMajorCurrency(in.quote)) ? 0.0333 : 0.05;
  const double price = b.usd_value / q.usd_value;
  const double per_night = price / 360.0 / 100.0 / in.point();  // points per 1% per year
  in.swap_long = Round2((b.rate_pct - q.rate_pct - kSwapMarkupPct) * per_night);
  in.swap_short = Round2((q.rate_pct - b.rate_pct - kSwapMarkupPct) * per_night);
  in.commission_per_million = kCommissionPerMillion;
  return in;
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

constexpr const char* kKeys[] = {
    "base",        "quote",     "pip_size",   "price_precision",       "contract_size",
    "margin_rate", "swap_long", "swap_short", "commission_per_million"};

std::string KnownKeys() {
  std::string out;
  for (const char* k : kKeys) {
    if (!out.empty()) out += ", ";
    out += k;
  }
  return out;
}

// Builds errors of the form "file:line: [SYMBOL] key 'k': what".
class Ctx {
 public:
  Ctx(const std::string& file, std::string table) : file_(file), table_(std::move(table)) {}
  Status Error(const toml::node& node, std::string_view key, std::string_view what) const {
    std::string m = file_;
    const auto line = node.source().begin.line;
    if (line > 0) m += ":" + std::to_string(line);
    m += ": [" + table_ + "]";
    if (!key.empty()) m += " key '" + std::string(key) + "'";
    m += ": ";
    m += what;
    return InvalidArgument(std::move(m));
  }

 private:
  const std::string& file_;
  std::string table_;
};

Result<double> GetNumber(const Ctx& ctx, const toml::node& n, std::string_view key) {
  if (!n.is_number()) return ctx.Error(n, key, "expected a number, got " + TomlTypeName(n));
  const double v = *n.value<double>();
  if (!std::isfinite(v)) return ctx.Error(n, key, "must be finite");
  return v;
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.10g", v);
  return buf;
}

Result<std::string> GetCurrency(const Ctx& ctx, const toml::node& n, std::string_view key) {
  if (!n.is_string()) return ctx.Error(n, key, "expected a string, got " + TomlTypeName(n));
  std::string s = *n.value<std::string>();
  bool ok = s.size() == 3;
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c < 'A' || c > 'Z') ok = false;
  }
  if (!ok) return ctx.Error(n, key, "expected a 3-letter currency code, got '" + s + "'");
  return s;
}

// Applies the keys of one TOML table onto `in`. `seen` records which keys were present.
Status ApplyTable(const Ctx& ctx, const toml::table& t, Instrument* in,
                  std::set<std::string>* seen) {
  for (const auto& [k, node] : t) {
    const std::string key(k.str());
    seen->insert(key);
    if (key == "base" || key == "quote") {
      ARUS_ASSIGN_OR_RETURN(std::string c, GetCurrency(ctx, node, key));
      (key == "base" ? in->base : in->quote) = std::move(c);
    } else if (key == "price_precision") {
      if (!node.is_integer()) {
        return ctx.Error(node, key, "expected an integer, got " + TomlTypeName(node));
      }
      const int64_t p = *node.value<int64_t>();
      if (p < 0 || p > 9) {
        return ctx.Error(node, key, "must be in 0..9, got " + std::to_string(p));
      }
      in->price_precision = static_cast<int>(p);
    } else if (key == "pip_size" || key == "contract_size") {
      ARUS_ASSIGN_OR_RETURN(double v, GetNumber(ctx, node, key));
      if (!(v > 0)) return ctx.Error(node, key, "must be > 0, got " + Num(v));
      (key == "pip_size" ? in->pip_size : in->contract_size) = v;
    } else if (key == "margin_rate") {
      ARUS_ASSIGN_OR_RETURN(double v, GetNumber(ctx, node, key));
      if (!(v > 0 && v <= 1)) return ctx.Error(node, key, "must be in (0, 1], got " + Num(v));
      in->margin_rate = v;
    } else if (key == "swap_long" || key == "swap_short") {
      ARUS_ASSIGN_OR_RETURN(double v, GetNumber(ctx, node, key));
      (key == "swap_long" ? in->swap_long : in->swap_short) = v;
    } else if (key == "commission_per_million") {
      ARUS_ASSIGN_OR_RETURN(double v, GetNumber(ctx, node, key));
      if (v < 0) return ctx.Error(node, key, "must be >= 0, got " + Num(v));
      in->commission_per_million = v;
    } else {
      return ctx.Error(node, key, "unknown key (known keys: " + KnownKeys() + ")");
    }
  }
  return Status::Ok();
}

bool ValidSymbol(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

}  // namespace

double Instrument::point() const {
  if (price_precision >= 0 && price_precision <= 9) return kNegPow10[price_precision];
  return std::pow(10.0, -price_precision);
}

std::string InstrumentTable::NormalizeSymbol(std::string_view symbol) {
  std::string out;
  out.reserve(symbol.size());
  for (char c : symbol) {
    if (c == '/' || c == '_') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    out += c;
  }
  return out;
}

const InstrumentTable& InstrumentTable::Builtin() {
  static const InstrumentTable* table = [] {
    auto* t = new InstrumentTable();
    constexpr size_t n = sizeof(kCurrencies) / sizeof(kCurrencies[0]);
    for (size_t i = 0; i < n; ++i) {
      for (size_t j = i + 1; j < n; ++j) {
        Instrument in = MakePair(kCurrencies[i], kCurrencies[j]);
        t->by_symbol_.emplace(in.symbol, in);
      }
    }
    Instrument gold = MakePair(kGold, kCurrencies[4]);  // XAUUSD
    t->by_symbol_.emplace(gold.symbol, gold);
    return t;
  }();
  return *table;
}

Result<InstrumentTable> InstrumentTable::LoadWithOverrides(const std::string& toml_path) {
  ARUS_ASSIGN_OR_RETURN(std::string text, ReadFile(toml_path));
  ARUS_ASSIGN_OR_RETURN(toml::table root, ParseTomlText(text, toml_path));

  InstrumentTable out = Builtin();
  std::set<std::string> done;
  for (const auto& [k, node] : root) {
    const std::string raw(k.str());
    const std::string symbol = NormalizeSymbol(raw);
    const Ctx ctx(toml_path, raw);
    if (!node.is_table()) {
      return ctx.Error(
          node, "",
          "expected a table of instrument fields ([" + raw + "]), got " + TomlTypeName(node));
    }
    if (!ValidSymbol(symbol)) {
      return ctx.Error(node, "", "bad symbol name '" + raw + "' (letters and digits only)");
    }
    if (!done.insert(symbol).second) {
      return ctx.Error(node, "", "symbol " + symbol + " is defined twice");
    }
    auto it = out.by_symbol_.find(symbol);
    const bool is_new = it == out.by_symbol_.end();
    Instrument in;
    if (!is_new) {
      in = it->second;
    } else {
      in.symbol = symbol;
      in.commission_per_million = kCommissionPerMillion;
    }
    std::set<std::string> seen;
    ARUS_RETURN_IF_ERROR(ApplyTable(ctx, *node.as_table(), &in, &seen));
    if (is_new) {
      for (const char* req : {"base", "quote", "pip_size", "price_precision"}) {
        if (!seen.count(req)) {
          return ctx.Error(node, req,
                           "missing; a new instrument needs base, quote, pip_size "
                           "and price_precision");
        }
      }
    }
    if (in.base + in.quote != symbol) {
      return ctx.Error(node, seen.count("base") ? "base" : "quote",
                       "base + quote (" + in.base + in.quote + ") must equal the symbol " + symbol);
    }
    if (in.pip_size < in.point() * (1 - 1e-9)) {
      return ctx.Error(node, "pip_size",
                       "pip " + Num(in.pip_size) + " is finer than a point at precision " +
                           std::to_string(in.price_precision));
    }
    out.by_symbol_[symbol] = std::move(in);
  }
  return out;
}

Result<const Instrument*> InstrumentTable::Find(std::string_view symbol) const {
  auto it = by_symbol_.find(NormalizeSymbol(symbol));
  if (it == by_symbol_.end()) {
    return NotFound("unknown instrument '" + std::string(symbol) + "' (known: " + Join(Symbols()) +
                    ")");
  }
  return &it->second;
}

std::vector<std::string> InstrumentTable::Symbols() const {
  std::vector<std::string> out;
  out.reserve(by_symbol_.size());
  for (const auto& [s, in] : by_symbol_) out.push_back(s);
  return out;
}

}  // namespace arus::fx
