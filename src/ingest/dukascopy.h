// Dukascopy bi5 importer: reads the tick archive exactly as Dukascopy publishes it — one LZMA
// "alone" (.lzma) file per symbol and UTC hour at SYMBOL/YYYY/MM/DD/HHh_ticks.bi5 (MM 0-based,
// 00 = January), each record 20 bytes big-endian: uint32 ms since the hour, uint32 ask, uint32 bid
// (price x 10^d), float32 ask volume, float32 bid volume (millions). Note: ASK before BID.
// Bad records go to the Quarantine ("truncated record", "time outside the hour", "bad price",
// "crossed quote", "bad volume", "non-monotonic time"); a file that does not decode ("bad file":
// not LZMA, truncated stream, over kMaxBi5DecodedBytes) is an error with `strict`, otherwise it is
// quarantined whole (line 0) and the import goes on. See docs/import-dukascopy.md.
// Thread-safety: all functions are reentrant; ImportDukascopy may run `options.threads` workers
// internally and calls `sink` from the calling thread only, in time order.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "ingest/importer.h"
#include "ingest/quarantine.h"

namespace arus::ingest {

// Bytes per bi5 record and the cap on one hour's decoded size (a real busy hour is ~1-2 MB;
// anything above the cap is treated as a decompression bomb).
inline constexpr size_t kBi5RecordBytes = 20;
inline constexpr size_t kMaxBi5DecodedBytes = size_t{64} << 20;

// Decodes one bi5 file's bytes (`compressed`, may be empty = an hour without ticks) for the hour
// starting at `hour_start` (UTC) and appends its valid ticks to `out` in file order. Prices are
// scaled by 10^-price_decimals (0..9). Bad records are quarantined to `q` (may be null: counted
// nowhere) with line = 1-based record index, or with `strict` returned as a ParseError. A
// whole-file failure appends nothing: with `strict` it is an error naming the file, otherwise one
// "bad file" row (line 0) and OK. Reuses a per-thread LZMA decoder and buffer across calls.
Status DecodeBi5(std::string_view compressed, UnixNanos hour_start, int price_decimals,
                 const std::string& file_for_messages, Quarantine* q, bool strict,
                 std::vector<QuoteTick>* out);

// The UTC hour a bi5 file holds, from its path ".../YYYY/MM/DD/HHh_ticks.bi5" (MM 0-based).
// InvalidArgument naming the path for anything else (bad month, day, hour or file name).
Result<UnixNanos> Bi5HourFromPath(std::string_view path);

// Imports bi5 files. Each input is a .bi5 file, a symbol's folder (holding YYYY/), or a root
// holding SYMBOL/ folders (the one matching options.instrument.symbol, case-insensitive, is read).
// Only hours intersecting [options.from, options.to) are read and ticks outside it are dropped
// (not quarantined). All files are sorted by hour (two files for one hour are an error) and
// decoded by options.threads workers (1 = on the calling thread) with a bounded window of files in
// flight; ticks and quarantine rows come out in file order, identical for any thread count.
// `sink` gets chunks of whole hours, handed over once they hold kBi5ChunkTicks ticks (so a chunk
// can exceed it by up to one hour) and at the end; its error stops the import.
inline constexpr size_t kBi5ChunkTicks = size_t{1} << 20;
Result<ImportStats> ImportDukascopy(std::span<const std::string> inputs,
                                    const ImportOptions& options, Quarantine* quarantine,
                                    const TickSink& sink);

}  // namespace arus::ingest
