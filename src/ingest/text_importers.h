// Text importers: TrueFX, HistData.com (ticks and M1 bars), MetaTrader 5 exports (ticks and bars)
// and generic CSV, read exactly as the sources publish them (layouts in docs/import-formats.md).
// Files are read in large chunks (kTextChunkBytes) with the partial last line carried over, parsed
// by hand (no allocation per row or field), converted to UTC with the options' SourceZone and
// handed to the sink in chunks of kSinkChunkRows. A UTF-8 byte-order mark is skipped, UTF-16LE
// (MT5's default encoding, BOM FF FE) is transcoded, CRLF and LF line ends are both accepted.
// Malformed rows go to the Quarantine (or, with `strict`, the first one is the error); a file that
// is not the format at all (binary, compressed, or its first kSniffRows rows all malformed, or
// every row malformed) is an error naming the file and, where it can tell, the format it looks
// like. Most callers use ImportTicks/ImportBars (importer.h), which dispatch here.
// Thread-safety: all functions are reentrant (each call keeps its own copy of the zone); calls run
// on the calling thread only (`options.threads` is not used by text formats).
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "ingest/importer.h"
#include "ingest/quarantine.h"

namespace arus::ingest {

// Longest accepted line (without its line end); longer lines are quarantined as "line too long"
// and skipped to the next newline without being buffered.
inline constexpr size_t kMaxLineBytes = 4096;
// Bytes read per read(2) call.
inline constexpr size_t kTextChunkBytes = size_t{8} << 20;
// Rows per sink call.
inline constexpr size_t kSinkChunkRows = size_t{1} << 16;
// A file whose first kSniffRows data rows are all malformed is "not this format".
inline constexpr int kSniffRows = 8;

// truefx, histdata-tick, mt5-ticks, csv (tick formats) and histdata-m1, mt5-bars (bar formats).
bool IsTextTickFormat(SourceFormat f);
bool IsTextBarFormat(SourceFormat f);

// Imports text files of a tick format, in the given order. Rows must be in time order across all
// inputs: a row earlier than the previous accepted one is quarantined ("non-monotonic time").
// Valid rows outside [options.from, options.to) are dropped (neither accepted nor quarantined).
Result<ImportStats> ImportTextTicks(SourceFormat format, std::span<const std::string> inputs,
                                    const ImportOptions& options, Quarantine* quarantine,
                                    const TickSink& sink);
// Same for the bar formats; a bar at the same ts_open as the previous one is a "duplicate bar".
Result<ImportStats> ImportTextBars(SourceFormat format, std::span<const std::string> inputs,
                                   const ImportOptions& options, Quarantine* quarantine,
                                   const BarSink& sink);

// The same imports from memory: `content` is parsed as if it were the file `name`, handed to the
// reader `read_bytes` at a time (tests use small values to exercise chunk boundaries; >= 16).
// Entry points for tests and fuzzing.
Result<ImportStats> ImportTicksFromText(SourceFormat format, std::string_view name,
                                        std::string_view content, const ImportOptions& options,
                                        Quarantine* quarantine, const TickSink& sink,
                                        size_t read_bytes = kTextChunkBytes);
Result<ImportStats> ImportBarsFromText(SourceFormat format, std::string_view name,
                                       std::string_view content, const ImportOptions& options,
                                       Quarantine* quarantine, const BarSink& sink,
                                       size_t read_bytes = kTextChunkBytes);

// The text format one line is shaped like (TrueFX, HistData tick/M1, MT5 ticks/bars rows or
// headers), or nullopt. Used for "it looks like ..." hints; cheap, shape only.
std::optional<SourceFormat> GuessTextFormat(std::string_view line);

}  // namespace arus::ingest
