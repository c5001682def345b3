// External data, point in time: the economic calendar, CFTC Commitments of Traders (COT) reports,
// news and social sentiment, and daily market indices and commodities (DXY, VIX, gold, oil...).
//
// Importers read each source's own file format (docs/external-data.md) and put two instants on
// every record: `ts_event`, when the thing happened, and `ts_avail`, when it became known. Feature
// code may use a record at decision time t iff ts_avail <= t (external_features.h). The rules:
//   calendar   ts_event = scheduled release; ts_avail = the release (when `actual` is known);
//              ts_schedule = when the event, its time and impact were known (ts_event - lead, the
//              calendar's publication; default lead 7 days).
//   cot        ts_event = the as-of date (a Tuesday) at 17:00 New York (CME's FX futures close);
//              ts_avail = the next Friday after it at 15:30 New York (configurable).
//   sentiment  ts_event = the item's time; ts_avail = ts_event + latency (default 0).
//   index      ts_event = the bar's close (its date at the series' close time, default 17:00 New
//              York); ts_avail = ts_event + delay (default 0): never earlier than the bar's end.
//
// Storage: STORE/external/<kind>/<name>.csv, one file per currency (calendar, cot), per target
// (sentiment) or per series (index), in a canonical CSV with a checksum footer, written atomically.
// Imports merge: a record identical to a stored one adds nothing; one that only fills empty fields
// of the stored one (e.g. `actual` of an event imported before its release) updates it in place;
// one that contradicts it is a revision: a new record with the next revision number whose ts_avail
// is max(its own rule, the revision time), so what was known before the revision never changes.
// Rows that cannot be read are quarantined (ingest/quarantine.h) with file, line, field and
// reason and counted; files that are not the format at all are errors.
//
// Thread-safety: value types and free functions; ExternalStore holds only its directory name, but
// concurrent imports into the same store directory must be serialised by the caller.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "fx/calendar.h"
#include "ingest/economic_calendar.h"
#include "ingest/quarantine.h"

namespace arus::features {

enum class ExternalKind : uint8_t { kCalendar, kCot, kSentiment, kIndex };
inline constexpr ExternalKind kAllExternalKinds[] = {
    ExternalKind::kCalendar, ExternalKind::kCot, ExternalKind::kSentiment, ExternalKind::kIndex};
std::string_view ExternalKindName(ExternalKind kind);  // "calendar", "cot", "sentiment", "index"
Result<ExternalKind> ParseExternalKind(std::string_view text);

// One economic calendar event as known from ts_avail (revision 0 is the first version stored).
struct CalendarRecord {
  UnixNanos ts_event;     // scheduled release, UTC
  UnixNanos ts_avail;     // the values (actual...) are known from here
  UnixNanos ts_schedule;  // the event's time and impact are known from here (<= ts_avail)
  int32_t revision = 0;
  std::string currency;  // "USD"
  std::string event;     // "Non-Farm Payrolls"
  ingest::EventImpact impact = ingest::EventImpact::kMedium;
  std::optional<double> actual;
  std::optional<double> forecast;
  std::optional<double> previous;
  std::optional<double> revised_previous;  // the prior release's revised value, known at this one
  uint64_t line = 0;  // line in the file it was read from (diagnostics only, not a value)
};

// Legacy COT positions of one currency future on one as-of date.
struct CotRecord {
  UnixNanos ts_event;  // as-of date 17:00 New York
  UnixNanos ts_avail;  // publication (Friday 15:30 New York by default)
  int32_t revision = 0;
  std::string currency;  // "EUR"
  std::string market;    // "EURO FX - CHICAGO MERCANTILE EXCHANGE"
  fx::Date as_of;
  int64_t noncomm_long = 0;   // "Noncommercial Positions-Long (All)"
  int64_t noncomm_short = 0;  // "Noncommercial Positions-Short (All)"
  std::optional<int64_t> open_interest;
  std::optional<int64_t> comm_long;
  std::optional<int64_t> comm_short;
  uint64_t line = 0;
  // Net speculative positioning (non-commercial long - short), in contracts.
  int64_t net() const { return noncomm_long - noncomm_short; }
};

// One news or social item. Items are immutable: there are no revisions, only distinct items.
struct SentimentRecord {
  UnixNanos ts_event;  // published
  UnixNanos ts_avail;  // received (ts_event + latency)
  std::string source;  // "reuters", "twitter"...
  std::string target;  // a symbol ("EURUSD") or a currency ("EUR")
  double score = 0;    // [-1, 1], positive = bullish for the target
  double weight = 1;   // > 0
  uint64_t line = 0;
};

// One daily OHLC bar of a named series.
struct IndexRecord {
  UnixNanos ts_event;  // the close: `date` at the series' close time
  UnixNanos ts_avail;
  int32_t revision = 0;
  std::string series;  // "DXY"
  fx::Date date;
  double open = 0;
  double high = 0;
  double low = 0;
  double close = 0;
  std::optional<double> volume;
  uint64_t line = 0;
};

struct ExternalRecords {
  std::vector<CalendarRecord> calendar;
  std::vector<CotRecord> cot;
  std::vector<SentimentRecord> sentiment;
  std::vector<IndexRecord> index;
  size_t size() const { return calendar.size() + cot.size() + sentiment.size() + index.size(); }
};

// The availability rules and parsing switches of the importers.
struct ExternalImportOptions {
  bool strict = false;  // the first bad row is an error instead of being quarantined
  // calendar: the schedule is known this long before each event.
  Duration schedule_lead = std::chrono::hours(24 * 7);
  // cot and index: local zone of the release and close times below.
  std::string zone = "America/New_York";
  // cot: published on the first such weekday (0 = Sunday .. 6) after the as-of date, at this time.
  int cot_release_weekday = 5;
  int cot_release_minute = 15 * 60 + 30;
  // cot: extra market -> currency mappings ("EURO FX - CHICAGO MERCANTILE EXCHANGE" -> "EUR"),
  // on top of the built-in CME currency futures and ICE's U.S. Dollar Index.
  std::map<std::string, std::string> cot_markets;
  // index: the series name (required) and its close time in minutes after local midnight
  // (default: IndexDefaultCloseMinute(name)).
  std::string index_name;
  std::optional<int> index_close_minute;
  // index: ts_avail = close + delay; sentiment: ts_avail = item time + delay. Must be >= 0.
  Duration avail_delay{0};
};

// The default close time of a series, minutes after midnight New York: SPX/NDX/DJI 16:00,
// VIX 16:15, WTI/BRENT 14:30, everything else (DXY, XAU, XAG...) 17:00.
int IndexDefaultCloseMinute(std::string_view series);

// The currency of a COT market name ("EURO FX - CHICAGO MERCANTILE EXCHANGE" -> "EUR"), from the
// built-in table and `extra`; nullopt for markets that are not currencies.
std::optional<std::string> CotMarketCurrency(std::string_view market,
                                             const std::map<std::string, std::string>& extra = {});

// "EUR/usd" -> "EUR/USD" -> checked name for files: 1-32 of [A-Z0-9_-] after upper-casing and
// dropping '/'; InvalidArgument otherwise.
Result<std::string> NormalizeExternalName(std::string_view name);

struct ExternalParseStats {
  int64_t rows = 0;         // data rows read (header excluded)
  int64_t accepted = 0;     // records produced
  int64_t skipped = 0;      // valid rows not wanted (COT markets that are not currencies)
  int64_t quarantined = 0;  // malformed rows
};

// Parsers of the input formats. `file` names the input in messages; `content` is its bytes.
// Malformed rows go to `quarantine` (may be null: then they are only counted) unless
// options.strict; an empty file, a missing or unknown header column, binary data, or a file whose
// every row is malformed is a ParseError naming file, line and field. Records come out in input
// order with revision 0 and their ts_avail rule applied.
//   calendar:  time,currency,event,impact,actual,forecast,previous[,revised_previous]
//   cot:       the CFTC Legacy report, comma-delimited with its header (annual.txt, deacot*.txt)
//   sentiment: time,source,target,score[,weight] (target may be named symbol, currency or
//              symbol_or_currency)
//   index:     date,open,high,low,close[,volume]
Result<std::vector<CalendarRecord>> ParseCalendarCsv(std::string_view file,
                                                     std::string_view content,
                                                     const ExternalImportOptions& options,
                                                     ingest::Quarantine* quarantine,
                                                     ExternalParseStats* stats);
Result<std::vector<CotRecord>> ParseCotCsv(std::string_view file, std::string_view content,
                                           const ExternalImportOptions& options,
                                           ingest::Quarantine* quarantine,
                                           ExternalParseStats* stats);
Result<std::vector<SentimentRecord>> ParseSentimentCsv(std::string_view file,
                                                       std::string_view content,
                                                       const ExternalImportOptions& options,
                                                       ingest::Quarantine* quarantine,
                                                       ExternalParseStats* stats);
Result<std::vector<IndexRecord>> ParseIndexCsv(std::string_view file, std::string_view content,
                                               const ExternalImportOptions& options,
                                               ingest::Quarantine* quarantine,
                                               ExternalParseStats* stats);

// The canonical store format of one kind (header, records, checksum footer); and its reader,
// which returns Corruption naming file and line for anything that does not read back exactly.
std::string FormatExternalCanonical(ExternalKind kind, const ExternalRecords& records);
Result<ExternalRecords> ParseExternalCanonical(ExternalKind kind, std::string_view file,
                                               std::string_view content);

struct ExternalMergeOptions {
  // When a record contradicts a stored one: the instant the new version became known. Without
  // it, contradicting records are quarantined ("conflicts with stored record").
  std::optional<UnixNanos> revision_time;
  bool strict = false;  // a contradiction without revision_time is an error
};

struct ExternalMergeStats {
  int64_t incoming = 0;
  int64_t stored = 0;          // new records, revisions included
  int64_t already_stored = 0;  // identical to a stored record (or to an earlier input row)
  int64_t filled = 0;          // stored records whose empty fields were filled
  int64_t revisions = 0;       // of `stored`, how many are revisions of a stored record
  int64_t rejected = 0;        // quarantined contradictions
  std::vector<std::string> files_written;
};

struct ExternalDatasetInfo {
  ExternalKind kind;
  std::string name;
  std::string path;
  int64_t records = 0;
  int64_t revisions = 0;  // records with revision > 0
  UnixNanos first_event;
  UnixNanos last_event;
  UnixNanos last_avail;
};

// The external part of a store directory. Files are read whole (external series are small).
class ExternalStore {
 public:
  explicit ExternalStore(std::string store_dir) : dir_(std::move(store_dir)) {}

  // STORE/external/<kind>/<name>.csv
  std::string PathOf(ExternalKind kind, std::string_view name) const;
  // Merges `incoming` (any kinds) into the stored files, each rewritten atomically.
  // `input_file` names the source in quarantine rows.
  Result<ExternalMergeStats> Merge(ExternalRecords incoming, const ExternalMergeOptions& options,
                                   ingest::Quarantine* quarantine, std::string_view input_file);
  // Stored names of one kind, sorted (none: empty).
  Result<std::vector<std::string>> Names(ExternalKind kind) const;
  // Records of `names` (all names when empty; unknown names are NotFound), in canonical order.
  Result<ExternalRecords> Load(ExternalKind kind, std::span<const std::string> names = {}) const;
  // Like Load, but names without a file are skipped (a pair's currency with no COT data).
  Result<ExternalRecords> LoadIfPresent(ExternalKind kind,
                                        std::span<const std::string> names) const;
  Result<std::vector<ExternalDatasetInfo>> List() const;

 private:
  std::string dir_;
};

struct ExternalImportSummary {
  ExternalParseStats parse;
  ExternalMergeStats merge;
};

// Parse + merge of one input. ImportExternalFile reads `path`; ImportExternalText parses
// `content` as if it were the file `file` (tests, fuzzing).
Result<ExternalImportSummary> ImportExternalText(const std::string& store_dir, ExternalKind kind,
                                                 std::string_view file, std::string_view content,
                                                 const ExternalImportOptions& options,
                                                 const ExternalMergeOptions& merge,
                                                 ingest::Quarantine* quarantine);
Result<ExternalImportSummary> ImportExternalFile(const std::string& store_dir, ExternalKind kind,
                                                 const std::string& path,
                                                 const ExternalImportOptions& options,
                                                 const ExternalMergeOptions& merge,
                                                 ingest::Quarantine* quarantine);

}  // namespace arus::features
