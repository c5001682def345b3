// Data-quality configuration: which validation rules run, their thresholds, and what each does with
// the rows it catches (the cleaning policy). One TOML table per rule (see examples/quality.toml,
// which documents every key and its default, and docs/quality.md for what each rule means).
//
// Policies: `flag` counts and reports (the row is kept), `drop` removes the row and sends it to an
// ingest::Quarantine with the rule's name as reason, `repair` forward-fills missing bars
// (bar_gap only; on any other rule it would invent data and is a config error).
//
// A CleaningPolicy (all rule settings) has a canonical TOML text and an xxhash64 of that text, so a
// store can record which policy produced a dataset. Report and comparison settings are not part of
// the policy hash: they do not change which rows survive.
// Thread-safety: value types; parsing functions are reentrant.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"

namespace arus::quality {

enum class Policy : uint8_t { kFlag, kDrop, kRepair };
std::string_view PolicyName(Policy p);              // "flag", "drop", "repair"
Result<Policy> ParsePolicy(std::string_view text);  // error lists the names

// Every rule, ticks first then bars. The names are the TOML table names and the quarantine
// reasons.
enum class RuleId : uint8_t {
  kTimeOrder = 0,  // a tick earlier than the previous one
  kDuplicate,      // a tick identical to the previous one (all fields)
  kCrossed,        // bid > ask
  kLocked,         // bid == ask
  kSpread,         // spread outlier (rolling median multiple or absolute cap)
  kSpike,          // mid jump that reverts within a few ticks (a bad tick)
  kStale,          // bid and ask unchanged for too long while the market is open
  kGap,            // no tick for too long while the market is open
  kBarOhlc,        // bar: low <= open, close <= high; low <= high
  kBarVolume,      // bar: volume >= 0 (and finite), tick_count >= 0
  kBarOrder,       // bar: ts_open >= previous ts_close, ts_close > ts_open
  kBarGap,         // bar: missing bars while the market is open
};
inline constexpr int kRuleCount = 12;
inline constexpr int kTickRuleCount = 8;  // kTimeOrder .. kGap
std::string_view RuleName(RuleId id);     // "time_order", "duplicate", ..., "bar_gap"
inline constexpr bool IsTickRule(RuleId id) { return static_cast<int>(id) < kTickRuleCount; }

struct TimeOrderRule {
  bool enabled = true;
  Policy policy = Policy::kDrop;
  bool operator==(const TimeOrderRule&) const = default;
};
struct DuplicateRule {
  bool enabled = true;
  Policy policy = Policy::kDrop;
  bool operator==(const DuplicateRule&) const = default;
};
struct CrossedRule {
  bool enabled = true;
  Policy policy = Policy::kDrop;
  bool operator==(const CrossedRule&) const = default;
};
struct LockedRule {
  bool enabled = true;
  Policy policy = Policy::kFlag;
  bool operator==(const LockedRule&) const = default;
};
struct SpreadRule {
  bool enabled = true;
  Policy policy = Policy::kFlag;
  int64_t window = 1000;      // spreads in the rolling median
  int64_t min_samples = 200;  // spreads seen before the relative test starts
  // Outlier when spread > multiple × rolling median (median floored at 0.1 pip). Spreads
  // legitimately widen ~10× at the 17:00 New York rollover, hence the wide default.
  double multiple = 20;
  double max_pips = 100;  // absolute cap; 0 disables it
  bool operator==(const SpreadRule&) const = default;
};
struct SpikeRule {
  bool enabled = true;
  Policy policy = Policy::kDrop;
  int64_t window = 500;       // log mid returns in the rolling median / MAD
  int64_t min_samples = 100;  // returns seen before the test starts
  double z = 12;              // robust z-score |r - median| / (1.4826 MAD) to suspect a tick
  double min_move_pips = 5;   // and the mid must move at least this far
  int64_t revert_ticks = 5;   // a spike must revert within this many following ticks
  // "Reverted" = the mid is back within this fraction of the first spike tick's distance from
  // the pre-spike mid. Otherwise the move persists and is reported as a genuine jump.
  double revert_fraction = 0.25;
  bool operator==(const SpikeRule&) const = default;
};
struct StaleRule {
  bool enabled = true;
  Policy policy = Policy::kFlag;
  Duration max_duration = Duration(5 * kNanosPerMinute);  // open-market time
  bool operator==(const StaleRule&) const = default;
};
struct GapRule {
  bool enabled = true;
  Policy policy = Policy::kFlag;  // flag only: there is no row to drop
  Duration max_duration = Duration(10 * kNanosPerMinute);  // open-market time
  bool operator==(const GapRule&) const = default;
};
struct BarOhlcRule {
  bool enabled = true;
  Policy policy = Policy::kDrop;
  bool operator==(const BarOhlcRule&) const = default;
};
struct BarVolumeRule {
  bool enabled = true;
  Policy policy = Policy::kDrop;
  bool operator==(const BarVolumeRule&) const = default;
};
struct BarOrderRule {
  bool enabled = true;
  Policy policy = Policy::kDrop;
  bool operator==(const BarOrderRule&) const = default;
};
struct BarGapRule {
  bool enabled = true;
  Policy policy = Policy::kFlag;  // flag or repair (forward-fill flat bars)
  int64_t min_bars = 1;           // a gap is reported when at least this many bars are missing
  bool operator==(const BarGapRule&) const = default;
};

// All rule settings. Defaults are sensible for FX majors and crosses; gold (XAUUSD, pip 0.01)
// needs a higher spread.max_pips.
struct CleaningPolicy {
  TimeOrderRule time_order;
  DuplicateRule duplicate;
  CrossedRule crossed;
  LockedRule locked;
  SpreadRule spread;
  SpikeRule spike;
  StaleRule stale;
  GapRule gap;
  BarOhlcRule bar_ohlc;
  BarVolumeRule bar_volume;
  BarOrderRule bar_order;
  BarGapRule bar_gap;

  bool enabled(RuleId id) const;
  Policy policy(RuleId id) const;

  // Checks every value (ranges, allowed policies: `repair` only on bar_gap, no `drop` on gap or
  // bar_gap). InvalidArgument naming the rule and key.
  Status Validate() const;
  // Canonical TOML: every rule table in RuleId order, every key in a fixed order, numbers in
  // shortest round-trip form, durations in their largest exact unit ("10m"). Parsing it gives
  // back an equal policy.
  std::string ToCanonicalText() const;
  // xxhash64 (seed 0) of ToCanonicalText().
  uint64_t Hash() const;
  std::string HashHex() const;  // 16 lower-case hex digits

  bool operator==(const CleaningPolicy&) const = default;
};

// Report settings (not hashed).
struct ReportOptions {
  int64_t examples = 10;    // worst examples kept per rule
  int64_t max_gaps = 1000;  // rows kept in the gap table (all gaps are counted)
  int64_t max_jumps = 1000; // rows kept in the genuine-jump list (all are counted)
  bool operator==(const ReportOptions&) const = default;
};

// Cross-source comparison settings (not hashed).
struct CompareSettings {
  Duration grid = Duration(100 * kNanosPerMilli);      // as-of sampling step
  Duration max_lag = Duration(5 * kNanosPerSecond);    // clock-offset search range: ±max_lag
  Duration max_quote_age = Duration(60 * kNanosPerSecond);  // older quote = not quoting
  double arb_tolerance_pips = 0.5;  // A.bid - B.ask (or B.bid - A.ask) must exceed this
  int64_t examples = 10;            // worst discrepancies kept
  bool operator==(const CompareSettings&) const = default;
};

struct QualityConfig {
  CleaningPolicy policy;
  ReportOptions report;
  CompareSettings compare;
  bool operator==(const QualityConfig&) const = default;
};

// Validate() of the policy plus the report and compare settings.
Status ValidateQualityConfig(const QualityConfig& config);

// Parses a quality config. Tables absent from the text keep their defaults; within a table,
// absent keys keep their defaults. Unknown tables or keys, wrong types and bad values are
// InvalidArgument "FILE:LINE: [table] key 'k': what"; TOML syntax errors are ParseError with
// file and line. `file_name` is used in messages only.
Result<QualityConfig> ParseQualityConfig(std::string_view toml_text, std::string_view file_name);
// Reads and parses a file (NotFound / IoError if it cannot be read).
Result<QualityConfig> LoadQualityConfig(const std::string& path);

// Durations in canonical text use CanonicalDuration (core/time.h).

}  // namespace arus::quality
