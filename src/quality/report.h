// The data-quality report of one symbol's tick (or bar) stream: per-rule counts with the worst
// examples, the gap table, the spread and tick-rate profiles by New York hour, the genuine jumps,
// and an overall score 0-100 (formula in docs/quality.md). Produced by TickValidator /
// BarValidator; deterministic (same input and config, byte-identical ToJson/ToText).
// Thread-safety: value type.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/price.h"
#include "core/time.h"
#include "quality/config.h"

namespace arus::quality {

// One caught row or event.
struct Example {
  UnixNanos ts;   // the tick (bar open) or the start of an event
  UnixNanos end;  // end of an event (gap, stale run, multi-tick spike); == ts for single rows
  bool has_quote = false;
  Price bid;  // the tick's quote when has_quote
  Price ask;
  double severity = 0;  // how bad, for ranking (rule-specific units, see docs/quality.md)
  std::string why;
  bool operator==(const Example&) const = default;
};

struct RuleStats {
  RuleId rule = RuleId::kTimeOrder;
  bool enabled = false;
  Policy policy = Policy::kFlag;
  int64_t hits = 0;      // rows caught (ticks or bars; for gaps: missing bars, 0 for tick gaps)
  int64_t events = 0;    // episodes: a multi-tick spike, a stale run, a gap count once
  int64_t dropped = 0;   // rows removed and quarantined
  int64_t repaired = 0;  // bars filled (bar_gap with policy repair)
  std::vector<Example> worst;  // most severe first, ties by time
};

struct GapRow {
  UnixNanos start;  // last row before the gap (bars: close of the last bar)
  UnixNanos end;    // first row after it (bars: open of the next bar)
  Duration open_duration{0};  // open-market time in between
  int64_t missing_bars = 0;   // bars only
};

// Ticks of one New York hour of day (0 = 00:00-01:00 New York), over the whole range.
struct HourProfile {
  int hour = 0;
  int64_t ticks = 0;
  Duration open_time{0};          // open-market time of this hour inside the range
  double ticks_per_minute = 0;    // ticks / open minutes (0 without open time)
  double spread_mean_pips = 0;    // over the hour's ticks (0 without ticks)
  double spread_median_pips = 0;  // nearest rank, 0.1-pip resolution
  double spread_p95_pips = 0;
};

// A large move that persisted: real market information, not an error.
struct Jump {
  UnixNanos ts;    // first tick at the new level
  Price from_mid;  // mid before
  Price to_mid;    // mid of the first tick after
  double pips = 0;
  double z = 0;    // robust z-score of the return
};

// A rule evaluated outside the validators over rows its caller scored, e.g. "ae_anomaly", the
// autoencoder of dl/autoencoder.h (docs/anomaly.md). It flags unusual market states, not data
// errors: it does not count in rows_bad or the score, and only flags (drops nothing).
struct ExternalRule {
  std::string name;         // e.g. "ae_anomaly"
  std::string description;  // one line for people: what was scored and the threshold
  int64_t rows = 0;         // rows with a score
  int64_t hits = 0;         // rows above the threshold
  int64_t events = 0;       // runs of consecutive hit rows
  std::vector<Example> worst;  // one per event, highest peak first, ties by time
  bool operator==(const ExternalRule&) const = default;
};

// Counts the hits (score > threshold) and events of per-row scores (NaN = not scored, ends a
// run) and keeps the `max_examples` worst events: ts / end = first / last row of the run,
// severity = its peak score, why = "peak <score> at <time>, <n> rows, threshold <t>".
// `time` and `score` have the same length.
ExternalRule SummarizeExternalRule(std::string name, std::string description,
                                   std::span<const UnixNanos> time,
                                   std::span<const double> score, double threshold,
                                   size_t max_examples);

struct QualityReport {
  std::string kind;    // "ticks", "bars", or "dataset" (only external rules over dataset rows)
  std::string symbol;
  std::string policy_hash;  // CleaningPolicy::HashHex()
  int price_decimals = 5;
  double pip_size = 0.0001;
  Duration bar_duration{0};  // bars only

  UnixNanos range_from;  // range measured: expected bounds if given, else first..last row
  UnixNanos range_to;
  UnixNanos first;  // first and last row seen (UnixNanos() when none)
  UnixNanos last;
  Duration open_time{0};  // open-market time in [range_from, range_to)

  int64_t rows_in = 0;
  int64_t rows_out = 0;      // rows handed on (kept + filled)
  int64_t rows_dropped = 0;
  int64_t rows_filled = 0;   // bars created by bar_gap repair
  int64_t rows_bad = 0;      // rows caught by at least one error rule (stale and gaps excluded)
  int64_t rows_while_closed = 0;  // rows stamped while the market was closed (not a rule)

  std::vector<RuleStats> rules;  // the rules of this kind, in RuleId order
  // Rules evaluated outside the validator (not in the score); rendered after `rules`, and not at
  // all when empty (so reports without them are byte-identical to before).
  std::vector<ExternalRule> external_rules;

  std::vector<GapRow> gaps;  // in time order, at most ReportOptions::max_gaps
  int64_t gap_count = 0;
  Duration gap_open_total{0};
  Duration stale_open_total{0};  // open-market time covered by stale runs

  std::vector<HourProfile> hours;  // 24 entries for ticks, empty for bars
  std::vector<Jump> jumps;         // in time order, at most ReportOptions::max_jumps
  int64_t jump_count = 0;

  // Score = 100 - row_penalty - gap_penalty - stale_penalty, at least 0 (docs/quality.md).
  double score = 0;
  double row_penalty = 0;
  double gap_penalty = 0;
  double stale_penalty = 0;

  // nullptr if `id` is not part of this report's kind.
  const RuleStats* rule(RuleId id) const;
  // Fills score and penalties from the counts above.
  void ComputeScore();

  std::string ToJson() const;  // pretty-printed, fixed key order
  std::string ToText() const;  // for people
};

}  // namespace arus::quality
