#include "features/labels.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "indicators/indicator.h"
#include "indicators/kernels_price.h"

namespace arus::features {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Shortest text that reads back as `v`; whole numbers without exponent ("1000000", not "1e+06").
std::string Num(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

std::string_view Trim(std::string_view s) {
  const auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view KindName(LabelKind k) {
  switch (k) {
    case LabelKind::kForwardReturn:
      return "forward_return";
    case LabelKind::kDirection:
      return "direction";
    case LabelKind::kTripleBarrier:
      return "triple_barrier";
  }
  return "?";
}

constexpr std::string_view kKnownKinds = "forward_return, direction, triple_barrier";

// Parameter names of each kind, in positional order.
std::vector<std::string_view> ParamNames(LabelKind k) {
  switch (k) {
    case LabelKind::kForwardReturn:
      return {"h"};
    case LabelKind::kDirection:
      return {"h", "dz", "unit"};
    case LabelKind::kTripleBarrier:
      return {"tp", "sl", "atr", "hold", "vertical"};
  }
  return {};
}

std::string JoinNames(const std::vector<std::string_view>& names) {
  std::string s;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) s += ", ";
    s += names[i];
  }
  return s;
}

Status SpecError(std::string_view spec, const std::string& what) {
  return InvalidArgument("label '" + std::string(spec) + "': " + what);
}

// A finite number in [lo, hi], integral if `integer`.
Result<double> ParseNumber(std::string_view spec, std::string_view key, std::string_view text,
                           double lo, double hi, bool integer) {
  double v = 0;
  const auto res = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || res.ec != std::errc() || res.ptr != text.data() + text.size() ||
      !std::isfinite(v)) {
    return SpecError(
        spec, "parameter '" + std::string(key) + "': not a number: '" + std::string(text) + "'");
  }
  if (integer && v != std::floor(v)) {
    return SpecError(
        spec, "parameter '" + std::string(key) + "' must be an integer, got " + std::string(text));
  }
  if (v < lo || v > hi) {
    return SpecError(spec, "parameter '" + std::string(key) + "' must be in [" + Num(lo) + ", " +
                               Num(hi) + "], got " + std::string(text));
  }
  return v;
}

Status SetParam(std::string_view spec, LabelSpec* s, std::string_view key, std::string_view val) {
  constexpr double kMaxBars = 1'000'000;
  if (key == "h") {
    ARUS_ASSIGN_OR_RETURN(double v, ParseNumber(spec, key, val, 1, kMaxBars, true));
    s->horizon = static_cast<int>(v);
  } else if (key == "dz") {
    ARUS_ASSIGN_OR_RETURN(s->dead_zone, ParseNumber(spec, key, val, 0, 1e6, false));
  } else if (key == "unit") {
    const std::string u = Lower(val);
    if (u == "pips" || u == "pip") {
      s->dead_zone_unit = DeadZoneUnit::kPips;
    } else if (u == "spread" || u == "spreads") {
      s->dead_zone_unit = DeadZoneUnit::kSpread;
    } else {
      return SpecError(spec,
                       "parameter 'unit' must be pips or spread, got '" + std::string(val) + "'");
    }
  } else if (key == "tp" || key == "sl") {
    ARUS_ASSIGN_OR_RETURN(double v, ParseNumber(spec, key, val, 0, 1e6, false));
    if (v <= 0) return SpecError(spec, "parameter '" + std::string(key) + "' must be > 0");
    (key == "tp" ? s->tp_atr : s->sl_atr) = v;
  } else if (key == "atr") {
    ARUS_ASSIGN_OR_RETURN(double v, ParseNumber(spec, key, val, 1, 100'000, true));
    s->atr_period = static_cast<int>(v);
  } else if (key == "hold") {
    ARUS_ASSIGN_OR_RETURN(double v, ParseNumber(spec, key, val, 1, kMaxBars, true));
    s->max_hold = static_cast<int>(v);
  } else if (key == "vertical") {
    const std::string u = Lower(val);
    if (u == "zero") {
      s->vertical = VerticalRule::kZero;
    } else if (u == "sign") {
      s->vertical = VerticalRule::kSign;
    } else {
      return SpecError(spec,
                       "parameter 'vertical' must be zero or sign, got '" + std::string(val) + "'");
    }
  }
  return Status::Ok();
}

Status ValidateBars(std::span<const Bar> bars) {
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    if (b.open.raw() <= 0 || b.high.raw() <= 0 || b.low.raw() <= 0 || b.close.raw() <= 0) {
      return InvalidArgument("labels: bar " + std::to_string(i) + " at " + b.ts_close.ToIso() +
                             ": prices must be positive");
    }
    if (b.low > b.high) {
      return InvalidArgument("labels: bar " + std::to_string(i) + " at " + b.ts_close.ToIso() +
                             ": low above high");
    }
    if (i > 0 && b.ts_close <= bars[i - 1].ts_close) {
      return InvalidArgument("labels: bar " + std::to_string(i) + " at " + b.ts_close.ToIso() +
                             ": ts_close not after the previous bar's " +
                             bars[i - 1].ts_close.ToIso());
    }
  }
  return Status::Ok();
}

// Dead zone in Price raw units, rounded to the nearest nano-unit so edges compare exactly.
int64_t ThresholdRaw(double price_units) {
  return std::llround(price_units * static_cast<double>(kPriceScale));
}

void ForwardReturn(const LabelSpec& s, std::span<const Bar> bars, LabelColumn* out) {
  const size_t n = bars.size(), h = static_cast<size_t>(s.horizon);
  for (size_t i = 0; i + h < n; ++i) {
    out->value[i] = std::log(bars[i + h].close.ToDouble() / bars[i].close.ToDouble());
    out->end[i] = bars[i + h].ts_close;
  }
}

Status Direction(const LabelSpec& s, std::span<const Bar> bars, const fx::Instrument& inst,
                 LabelColumn* out) {
  const size_t n = bars.size(), h = static_cast<size_t>(s.horizon);
  const int64_t pip_threshold = ThresholdRaw(s.dead_zone * inst.pip_size);
  for (size_t i = 0; i + h < n; ++i) {
    int64_t threshold = pip_threshold;
    if (s.dead_zone_unit == DeadZoneUnit::kSpread) {
      const double spread = bars[i].spread_mean;
      if (!(spread > 0) || !std::isfinite(spread)) {
        return InvalidArgument("label '" + s.Canonical() + "': bar " + std::to_string(i) + " at " +
                               bars[i].ts_close.ToIso() +
                               " has no spread (spread_mean must be > 0 for unit=spread)");
      }
      threshold = ThresholdRaw(s.dead_zone * spread);
    }
    const int64_t move = bars[i + h].close.raw() - bars[i].close.raw();
    out->value[i] = move > threshold ? 1.0 : (move < -threshold ? -1.0 : 0.0);
    out->end[i] = bars[i + h].ts_close;
  }
  return Status::Ok();
}

void TripleBarrier(const LabelSpec& s, std::span<const Bar> bars, LabelColumn* out) {
  const size_t n = bars.size(), hold = static_cast<size_t>(s.max_hold);
  indicators::Atr atr(s.atr_period);
  for (size_t i = 0; i < n; ++i) {
    atr.Update(indicators::ToBarInput(bars[i]));  // bars 0..i only: known at the decision
    if (!atr.IsReady()) continue;
    const double a = atr.value();
    const double c = bars[i].close.ToDouble();
    const double upper = c + s.tp_atr * a, lower = c - s.sl_atr * a;
    const size_t last = std::min(i + hold, n - 1);
    std::optional<double> label;
    size_t j = i + 1;
    for (; j <= last; ++j) {
      const Bar& b = bars[j];
      const double op = b.open.ToDouble();
      // A gap through a barrier at the open is hit before anything else in the bar.
      if (op <= lower) {
        label = -1.0;
      } else if (op >= upper) {
        label = 1.0;
      } else if (b.low.ToDouble() <= lower) {
        label = -1.0;  // also when the high reached the take profit: stop first (conservative)
      } else if (b.high.ToDouble() >= upper) {
        label = 1.0;
      }
      if (label) break;
    }
    if (label) {
      out->value[i] = *label;
      out->end[i] = bars[j].ts_close;
    } else if (i + hold < n) {
      double v = 0.0;
      if (s.vertical == VerticalRule::kSign) {
        const int64_t move = bars[i + hold].close.raw() - bars[i].close.raw();
        v = move > 0 ? 1.0 : (move < 0 ? -1.0 : 0.0);
      }
      out->value[i] = v;
      out->end[i] = bars[i + hold].ts_close;
    }
  }
}

}  // namespace

std::string LabelSpec::ColumnName() const {
  switch (kind) {
    case LabelKind::kForwardReturn:
      return "forward_return_" + std::to_string(horizon);
    case LabelKind::kDirection:
      return "direction_" + std::to_string(horizon) + "_" + Num(dead_zone) +
             (dead_zone_unit == DeadZoneUnit::kPips ? "_pips" : "_spread");
    case LabelKind::kTripleBarrier:
      return "triple_barrier_" + Num(tp_atr) + "_" + Num(sl_atr) + "_" +
             std::to_string(atr_period) + "_" + std::to_string(max_hold) +
             (vertical == VerticalRule::kSign ? "_sign" : "");
  }
  return "";
}

std::string LabelSpec::Canonical() const {
  switch (kind) {
    case LabelKind::kForwardReturn:
      return "forward_return(h=" + std::to_string(horizon) + ")";
    case LabelKind::kDirection:
      return "direction(h=" + std::to_string(horizon) + ",dz=" + Num(dead_zone) +
             ",unit=" + (dead_zone_unit == DeadZoneUnit::kPips ? "pips" : "spread") + ")";
    case LabelKind::kTripleBarrier:
      return "triple_barrier(tp=" + Num(tp_atr) + ",sl=" + Num(sl_atr) +
             ",atr=" + std::to_string(atr_period) + ",hold=" + std::to_string(max_hold) +
             ",vertical=" + (vertical == VerticalRule::kSign ? "sign" : "zero") + ")";
  }
  return "";
}

int LabelSpec::Lookahead() const { return kind == LabelKind::kTripleBarrier ? max_hold : horizon; }

Result<LabelSpec> ParseLabelSpec(std::string_view text) {
  const std::string_view spec = Trim(text);
  if (spec.empty())
    return InvalidArgument("empty label spec; known labels: " + std::string(kKnownKinds));
  const size_t open = spec.find('(');
  const std::string name = Lower(Trim(spec.substr(0, open)));
  LabelSpec s;
  if (name == "forward_return" || name == "fwd_return") {
    s.kind = LabelKind::kForwardReturn;
  } else if (name == "direction") {
    s.kind = LabelKind::kDirection;
  } else if (name == "triple_barrier") {
    s.kind = LabelKind::kTripleBarrier;
  } else {
    return SpecError(spec,
                     "unknown label '" + name + "'; known labels: " + std::string(kKnownKinds));
  }
  if (open == std::string_view::npos) return s;
  if (spec.back() != ')') return SpecError(spec, "expected ')' at the end");
  const std::string_view body = spec.substr(open + 1, spec.size() - open - 2);
  if (body.find_first_of("()") != std::string_view::npos) {
    return SpecError(spec, "unexpected parenthesis inside the parameters");
  }
  if (Trim(body).empty()) return s;

  const std::vector<std::string_view> names = ParamNames(s.kind);
  std::vector<bool> seen(names.size(), false);
  bool named_seen = false;
  size_t position = 0;
  size_t start = 0;
  while (start <= body.size()) {
    size_t comma = body.find(',', start);
    if (comma == std::string_view::npos) comma = body.size();
    const std::string_view arg = Trim(body.substr(start, comma - start));
    start = comma + 1;
    if (arg.empty()) return SpecError(spec, "empty parameter");
    std::string key;
    std::string_view value;
    const size_t eq = arg.find('=');
    if (eq == std::string_view::npos) {
      if (named_seen) {
        return SpecError(spec, "positional parameter '" + std::string(arg) + "' after a named one");
      }
      if (position >= names.size()) {
        return SpecError(spec, "too many parameters; " + std::string(KindName(s.kind)) + " takes " +
                                   JoinNames(names));
      }
      key = std::string(names[position++]);
      value = arg;
    } else {
      named_seen = true;
      key = Lower(Trim(arg.substr(0, eq)));
      value = Trim(arg.substr(eq + 1));
    }
    const auto it = std::find(names.begin(), names.end(), key);
    if (it == names.end()) {
      return SpecError(spec, "unknown parameter '" + key + "'; " + std::string(KindName(s.kind)) +
                                 " takes " + JoinNames(names));
    }
    const size_t idx = static_cast<size_t>(it - names.begin());
    if (seen[idx]) return SpecError(spec, "parameter '" + key + "' given twice");
    seen[idx] = true;
    ARUS_RETURN_IF_ERROR(SetParam(spec, &s, key, value));
  }
  return s;
}

Result<std::vector<LabelSpec>> ParseLabelList(std::string_view text) {
  std::vector<LabelSpec> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    const char c = i < text.size() ? text[i] : ',';
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (depth < 0)
      return InvalidArgument("label list: unbalanced ')' in '" + std::string(text) + "'");
    if (c == ',' && depth == 0) {
      const std::string_view item = Trim(text.substr(start, i - start));
      if (item.empty()) {
        return InvalidArgument("label list: empty item in '" + std::string(text) + "'");
      }
      ARUS_ASSIGN_OR_RETURN(LabelSpec s, ParseLabelSpec(item));
      out.push_back(s);
      start = i + 1;
    }
  }
  if (depth != 0)
    return InvalidArgument("label list: unbalanced '(' in '" + std::string(text) + "'");
  return out;
}

Result<LabelColumn> ComputeLabels(const LabelSpec& spec, std::span<const Bar> bars,
                                  const fx::Instrument& instrument) {
  ARUS_RETURN_IF_ERROR(ValidateBars(bars));
  if (!(instrument.pip_size > 0)) {
    return InvalidArgument("labels: instrument '" + instrument.symbol + "' has no pip size");
  }
  LabelColumn out;
  out.name = spec.ColumnName();
  out.value.assign(bars.size(), kNaN);
  out.end.assign(bars.size(), kNoLabelEnd);
  switch (spec.kind) {
    case LabelKind::kForwardReturn:
      ForwardReturn(spec, bars, &out);
      break;
    case LabelKind::kDirection:
      ARUS_RETURN_IF_ERROR(Direction(spec, bars, instrument, &out));
      break;
    case LabelKind::kTripleBarrier:
      TripleBarrier(spec, bars, &out);
      break;
  }
  return out;
}

Result<std::vector<LabelColumn>> ComputeLabels(std::span<const LabelSpec> specs,
                                               std::span<const Bar> bars,
                                               const fx::Instrument& instrument) {
  std::vector<LabelColumn> out;
  out.reserve(specs.size());
  for (const LabelSpec& s : specs) {
    ARUS_ASSIGN_OR_RETURN(LabelColumn c, ComputeLabels(s, bars, instrument));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace arus::features
