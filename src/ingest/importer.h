// Importers: read market data exactly as each source publishes it, convert its clock to UTC, and
// hand time-ordered ticks (or bars) to a sink — normally the tick store. Bad rows never stop an
// import and never vanish: they go to the Quarantine with file, line, field and reason, unless
// `strict`, where the first bad row is the import's error.
// Formats (docs/import-formats.md):
//   dukascopy      SYMBOL/YYYY/MM/DD/HHh_ticks.bi5, LZMA "alone", 20-byte big-endian records (UTC)
//   truefx         EUR/USD,20240102 00:00:00.123,1.10411,1.10418                  (UTC)
//   histdata-tick  20240102 170000123,1.10411,1.10418,0                            (EST, no DST)
//   histdata-m1    20240102 170000;1.1041;1.1043;1.1040;1.1042;0                   (EST, no DST)
//   mt5-ticks      <DATE>\t<TIME>\t<BID>\t<ASK>\t<LAST>\t<VOLUME>\t<FLAGS>         (server time)
//   mt5-bars       <DATE>\t<TIME>\t<OPEN>\t<HIGH>\t<LOW>\t<CLOSE>\t<TICKVOL>\t<VOL>\t<SPREAD>
//   csv            generic, with a column mapping
// Thread-safety: the functions are reentrant; a Quarantine may be shared between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "fx/instrument.h"
#include "fx/source_zone.h"
#include "ingest/quarantine.h"

namespace arus::ingest {

enum class SourceFormat : uint8_t {
  kDukascopy,
  kTrueFx,
  kHistDataTick,
  kHistDataM1,
  kMt5Ticks,
  kMt5Bars,
  kCsv,
};

// "dukascopy", "truefx", "histdata-tick", "histdata-m1", "mt5-ticks", "mt5-bars", "csv".
std::string_view SourceFormatName(SourceFormat f);
Result<SourceFormat> ParseSourceFormat(std::string_view name);  // error lists the names
bool IsBarFormat(SourceFormat f);  // histdata-m1, mt5-bars (generic csv holds ticks)
// The source's own clock: UTC (dukascopy, truefx, csv), EST (histdata), NY+7 (mt5).
std::string_view DefaultZoneSpec(SourceFormat f);

// Generic CSV layout: which 0-based column holds what, and how time is written.
struct CsvLayout {
  char delimiter = ',';
  bool header = true;  // skip the first line
  int time_col = 0;
  int date_col = -1;   // when date and time are separate columns, time_col holds the time
  int bid_col = 1;
  int ask_col = 2;
  int bid_volume_col = -1;
  int ask_volume_col = -1;
  // strftime-like: %Y %m %d %H %M %S, %f (1-9 fractional digits), %s (epoch seconds),
  // %ms (epoch milliseconds), or "iso" (ISO-8601).
  std::string time_format = "iso";
};
// Parses "time=0,bid=1,ask=2[,bid_volume=3,ask_volume=4,date=5]" into `layout`.
Status ParseCsvColumns(std::string_view spec, CsvLayout* layout);

struct ImportOptions {
  fx::Instrument instrument;  // precision and scale (bi5: 1e5, 1e3 for JPY pairs)
  fx::SourceZone zone;        // the source's clock
  bool strict = false;        // first bad row is an error instead of quarantined
  CsvLayout csv;              // for SourceFormat::kCsv
  int threads = 1;            // parallel decoding across files (dukascopy)
  // Bar formats: the bars' length (ts_close = ts_open + bar_duration); M1 for histdata-m1.
  Duration bar_duration = Duration(kNanosPerMinute);
  // Only data in [from, to) is imported; other valid rows are dropped, not quarantined
  // (dukascopy skips whole files whose hour lies outside; text formats still read every row).
  UnixNanos from = UnixNanos::Min();
  UnixNanos to = UnixNanos::Max();
};

struct ImportStats {
  int64_t files = 0;
  int64_t rows = 0;         // records or lines read (header excluded)
  int64_t accepted = 0;     // ticks or bars handed to the sink
  int64_t quarantined = 0;  // rows rejected
  uint64_t bytes = 0;       // input bytes read (compressed bytes for bi5)
  UnixNanos first = UnixNanos::Max();
  UnixNanos last = UnixNanos::Min();
};

// Receives parsed data in time order (chunks of up to ~1 M rows). A sink error stops the import.
using TickSink = std::function<Status(std::span<const QuoteTick>)>;
using BarSink = std::function<Status(std::span<const Bar>)>;

// Imports tick data from `inputs` (files; for dukascopy also directories: a root holding SYMBOL/
// folders or one symbol's folder). Inputs are processed in the given order, files of a directory
// in time order. Whole-file problems (unreadable, empty where content is required, wrong format,
// truncated LZMA stream) are an error naming the file.
Result<ImportStats> ImportTicks(SourceFormat format, std::span<const std::string> inputs,
                                const ImportOptions& options, Quarantine* quarantine,
                                const TickSink& sink);
// Imports bar data (histdata-m1, mt5-bars).
Result<ImportStats> ImportBars(SourceFormat format, std::span<const std::string> inputs,
                               const ImportOptions& options, Quarantine* quarantine,
                               const BarSink& sink);

}  // namespace arus::ingest
