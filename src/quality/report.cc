#include "quality/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/format.h"
#include "quality/market_time.h"

namespace arus::quality {

namespace {

using Json = nlohmann::ordered_json;

// Rounded for readability; deterministic because the inputs are.
double Round(double v, int decimals) {
  if (!std::isfinite(v)) return 0;
  const double s = std::pow(10.0, decimals);
  return std::round(v * s) / s;
}

double Seconds(Duration d) { return static_cast<double>(d.count()) / kNanosPerSecond; }

std::string Iso(UnixNanos t) { return t.ToIso(); }

std::string Fixed(double v, int decimals) {
  std::string s;
  AppendFixed(&s, v, decimals);
  return s;
}

Json ExampleJson(const Example& e, int decimals) {
  Json j;
  j["ts"] = Iso(e.ts);
  if (e.end != e.ts) j["end"] = Iso(e.end);
  if (e.has_quote) {
    j["bid"] = e.bid.ToString(decimals);
    j["ask"] = e.ask.ToString(decimals);
  }
  j["severity"] = Round(e.severity, 6);
  j["why"] = e.why;
  return j;
}

std::string Significant(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

}  // namespace

ExternalRule SummarizeExternalRule(std::string name, std::string description,
                                   std::span<const UnixNanos> time,
                                   std::span<const double> score, double threshold,
                                   size_t max_examples) {
  ExternalRule r;
  r.name = std::move(name);
  r.description = std::move(description);
  const size_t n = std::min(time.size(), score.size());
  std::vector<Example> events;
  bool in_run = false;
  size_t begin = 0, peak = 0;
  auto close = [&](size_t last) {
    Example e;
    e.ts = time[begin];
    e.end = time[last];
    e.severity = score[peak];
    e.why = "peak " + Significant(score[peak]) + " at " + Iso(time[peak]) + ", " +
            std::to_string(last - begin + 1) + (last == begin ? " row" : " rows") +
            ", threshold " + Significant(threshold);
    events.push_back(std::move(e));
    in_run = false;
  };
  for (size_t i = 0; i < n; ++i) {
    const double v = score[i];
    const bool hit = !std::isnan(v) && v > threshold;
    if (!std::isnan(v)) ++r.rows;
    if (hit) {
      ++r.hits;
      if (!in_run) {
        in_run = true;
        begin = peak = i;
      } else if (v > score[peak]) {
        peak = i;
      }
    } else if (in_run) {
      close(i - 1);
    }
  }
  if (in_run) close(n - 1);
  r.events = static_cast<int64_t>(events.size());
  std::stable_sort(events.begin(), events.end(), [](const Example& a, const Example& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    return a.ts < b.ts;
  });
  if (events.size() > max_examples) events.resize(max_examples);
  r.worst = std::move(events);
  return r;
}

const RuleStats* QualityReport::rule(RuleId id) const {
  for (const RuleStats& s : rules) {
    if (s.rule == id) return &s;
  }
  return nullptr;
}

void QualityReport::ComputeScore() {
  if (rows_in == 0) {
    row_penalty = gap_penalty = stale_penalty = 0;
    score = 0;
    return;
  }
  const double bad_fraction = static_cast<double>(rows_bad) / static_cast<double>(rows_in);
  const double open = static_cast<double>(open_time.count());
  const double gap_fraction = open > 0 ? static_cast<double>(gap_open_total.count()) / open : 0;
  const double stale_fraction =
      open > 0 ? static_cast<double>(stale_open_total.count()) / open : 0;
  row_penalty = Round(std::min(50.0, 2000.0 * bad_fraction), 2);
  gap_penalty =
      Round(std::min(40.0, 200.0 * gap_fraction + 1.0 * static_cast<double>(gap_count)), 2);
  stale_penalty = Round(std::min(10.0, 200.0 * stale_fraction), 2);
  score = Round(std::max(0.0, 100.0 - row_penalty - gap_penalty - stale_penalty), 1);
}

std::string QualityReport::ToJson() const {
  Json j;
  j["kind"] = kind;
  j["symbol"] = symbol;
  j["policy_hash"] = policy_hash;
  if (kind == "bars") j["bar_duration"] = CanonicalDuration(bar_duration);
  j["range"] = {{"from", Iso(range_from)}, {"to", Iso(range_to)}};
  j["first"] = rows_in > 0 ? Json(Iso(first)) : Json(nullptr);
  j["last"] = rows_in > 0 ? Json(Iso(last)) : Json(nullptr);
  j["open_hours"] = Round(Seconds(open_time) / 3600, 6);
  j["rows"] = {{"in", rows_in},     {"out", rows_out},           {"dropped", rows_dropped},
               {"filled", rows_filled}, {"bad", rows_bad}, {"while_closed", rows_while_closed}};
  j["score"] = {{"score", score},
                {"row_penalty", row_penalty},
                {"gap_penalty", gap_penalty},
                {"stale_penalty", stale_penalty}};
  Json rules_json = Json::array();
  for (const RuleStats& s : rules) {
    Json r;
    r["rule"] = std::string(RuleName(s.rule));
    r["enabled"] = s.enabled;
    r["policy"] = std::string(PolicyName(s.policy));
    r["hits"] = s.hits;
    r["events"] = s.events;
    r["dropped"] = s.dropped;
    r["repaired"] = s.repaired;
    Json w = Json::array();
    for (const Example& e : s.worst) w.push_back(ExampleJson(e, price_decimals));
    r["worst"] = std::move(w);
    rules_json.push_back(std::move(r));
  }
  j["rules"] = std::move(rules_json);
  if (!external_rules.empty()) {
    Json ext = Json::array();
    for (const ExternalRule& x : external_rules) {
      Json r;
      r["rule"] = x.name;
      r["description"] = x.description;
      r["policy"] = "flag";
      r["rows"] = x.rows;
      r["hits"] = x.hits;
      r["events"] = x.events;
      Json w = Json::array();
      for (const Example& e : x.worst) w.push_back(ExampleJson(e, price_decimals));
      r["worst"] = std::move(w);
      ext.push_back(std::move(r));
    }
    j["external_rules"] = std::move(ext);
  }
  Json gap_rows = Json::array();
  for (const GapRow& g : gaps) {
    Json row = {{"start", Iso(g.start)},
                {"end", Iso(g.end)},
                {"open_seconds", Round(Seconds(g.open_duration), 3)},
                {"open", FormatDuration(g.open_duration)}};
    if (kind == "bars") row["missing_bars"] = g.missing_bars;
    gap_rows.push_back(std::move(row));
  }
  j["gaps"] = {{"count", gap_count},
               {"open_seconds_total", Round(Seconds(gap_open_total), 3)},
               {"truncated", static_cast<int64_t>(gaps.size()) < gap_count},
               {"rows", std::move(gap_rows)}};
  j["stale_open_seconds"] = Round(Seconds(stale_open_total), 3);
  if (!hours.empty()) {
    Json h = Json::array();
    for (const HourProfile& p : hours) {
      h.push_back({{"ny_hour", p.hour},
                   {"ticks", p.ticks},
                   {"open_minutes", Round(Seconds(p.open_time) / 60, 3)},
                   {"ticks_per_minute", Round(p.ticks_per_minute, 4)},
                   {"spread_mean_pips", Round(p.spread_mean_pips, 4)},
                   {"spread_median_pips", Round(p.spread_median_pips, 1)},
                   {"spread_p95_pips", Round(p.spread_p95_pips, 1)}});
    }
    j["hours"] = std::move(h);
  }
  if (kind != "bars" && kind != "dataset") {
    Json jr = Json::array();
    for (const Jump& x : jumps) {
      jr.push_back({{"ts", Iso(x.ts)},
                    {"from_mid", x.from_mid.ToString(price_decimals + 1)},
                    {"to_mid", x.to_mid.ToString(price_decimals + 1)},
                    {"pips", Round(x.pips, 2)},
                    {"z", Round(x.z, 2)}});
    }
    j["jumps"] = {{"count", jump_count},
                  {"truncated", static_cast<int64_t>(jumps.size()) < jump_count},
                  {"rows", std::move(jr)}};
  }
  return j.dump(2) + "\n";
}

std::string QualityReport::ToText() const {
  std::string o;
  char buf[512];
  o += "Data quality: " + symbol + " (" + kind;
  if (kind == "bars") o += ", " + CanonicalDuration(bar_duration);
  o += ")\n";
  o += "  range      " + Iso(range_from) + " .. " + Iso(range_to) + "  (" +
       FormatDuration(open_time) + " open market)\n";
  std::snprintf(buf, sizeof buf,
                "  rows       in %lld, out %lld, dropped %lld, filled %lld, caught %lld, "
                "stamped while closed %lld\n",
                static_cast<long long>(rows_in), static_cast<long long>(rows_out),
                static_cast<long long>(rows_dropped), static_cast<long long>(rows_filled),
                static_cast<long long>(rows_bad), static_cast<long long>(rows_while_closed));
  o += buf;
  o += "  score      " + Fixed(score, 1) + " / 100  (rows -" + Fixed(row_penalty, 2) +
       ", gaps -" + Fixed(gap_penalty, 2) + ", stale -" + Fixed(stale_penalty, 2) + ")\n";
  o += "  policy     " + policy_hash + "\n\nRules\n";
  std::snprintf(buf, sizeof buf, "  %-11s %-7s %-7s %12s %10s %10s\n", "rule", "on", "policy",
                "hits", "events", "dropped");
  o += buf;
  for (const RuleStats& s : rules) {
    std::snprintf(buf, sizeof buf, "  %-11s %-7s %-7s %12lld %10lld %10lld\n",
                  std::string(RuleName(s.rule)).c_str(), s.enabled ? "yes" : "no",
                  std::string(PolicyName(s.policy)).c_str(), static_cast<long long>(s.hits),
                  static_cast<long long>(s.events),
                  static_cast<long long>(s.dropped + s.repaired));
    o += buf;
  }
  for (const ExternalRule& x : external_rules) {
    std::snprintf(buf, sizeof buf, "  %-11s %-7s %-7s %12lld %10lld %10lld\n", x.name.c_str(),
                  "yes", "flag", static_cast<long long>(x.hits),
                  static_cast<long long>(x.events), 0LL);
    o += buf;
  }
  for (const ExternalRule& x : external_rules) {
    o += "  " + x.name + ": " + x.description + " (" + std::to_string(x.rows) +
         " rows scored; not part of the score)\n";
  }
  for (const RuleStats& s : rules) {
    if (s.worst.empty()) continue;
    o += "\nWorst " + std::string(RuleName(s.rule)) + "\n";
    for (const Example& e : s.worst) {
      o += "  " + Iso(e.ts);
      if (e.end != e.ts) o += " .. " + Iso(e.end);
      if (e.has_quote) {
        o += "  " + e.bid.ToString(price_decimals) + "/" + e.ask.ToString(price_decimals);
      }
      o += "  " + e.why + "\n";
    }
  }
  for (const ExternalRule& x : external_rules) {
    if (x.worst.empty()) continue;
    o += "\nWorst " + x.name + "\n";
    for (const Example& e : x.worst) {
      o += "  " + Iso(e.ts);
      if (e.end != e.ts) o += " .. " + Iso(e.end);
      o += "  " + e.why + "\n";
    }
  }
  o += "\nGaps: " + std::to_string(gap_count) + ", " + FormatDuration(gap_open_total) +
       " of open market";
  if (stale_open_total.count() > 0) o += "; stale quotes " + FormatDuration(stale_open_total);
  o += "\n";
  for (const GapRow& g : gaps) {
    o += "  " + Iso(g.start) + " .. " + Iso(g.end) + "  " + FormatDuration(g.open_duration);
    if (kind == "bars") o += "  (" + std::to_string(g.missing_bars) + " bars)";
    o += "\n";
  }
  if (static_cast<int64_t>(gaps.size()) < gap_count) {
    o += "  ... " + std::to_string(gap_count - static_cast<int64_t>(gaps.size())) + " more\n";
  }
  if (!hours.empty()) {
    o += "\nBy New York hour        ticks  ticks/min   spread pips: mean  median    p95\n";
    for (const HourProfile& p : hours) {
      std::snprintf(buf, sizeof buf, "  %02d:00 %21lld %10.2f %19.2f %7.1f %6.1f\n", p.hour,
                    static_cast<long long>(p.ticks), p.ticks_per_minute, p.spread_mean_pips,
                    p.spread_median_pips, p.spread_p95_pips);
      o += buf;
    }
  }
  if (kind != "bars" && kind != "dataset") {
    o += "\nGenuine jumps (persisted, not errors): " + std::to_string(jump_count) + "\n";
    for (const Jump& x : jumps) {
      o += "  " + Iso(x.ts) + "  " + x.from_mid.ToString(price_decimals + 1) + " -> " +
           x.to_mid.ToString(price_decimals + 1) + "  " + Fixed(x.pips, 1) + " pips  z " +
           Fixed(x.z, 1) + "\n";
    }
    if (static_cast<int64_t>(jumps.size()) < jump_count) {
      o += "  ... " + std::to_string(jump_count - static_cast<int64_t>(jumps.size())) + " more\n";
    }
  }
  return o;
}

}  // namespace arus::quality
