// The embedded columnar store: quote ticks and bar series on local disk. Ticks are partitioned by
// symbol and FX trading date (17:00 New York rollover, fx::FxCalendar::Default()); a bar series
// (symbol, timeframe label, price side) is partitioned by calendar month or year of the trading
// date of each bar's ts_open. Partitions are split into zstd-compressed columnar blocks with
// xxhash64 checksums and listed by a manifest per symbol / series that is replaced atomically.
// Each append may carry a Provenance (source, cleaning policy) that the manifest records with the
// data. On-disk format and commit protocol: docs/store-format.md.
//
// Durability: partition files are immutable and written under a fresh name (temp file, fsync,
// rename); replacing the symbol's (series') MANIFEST.json is the commit point. A crash at any
// moment leaves the previous committed state readable; leftovers are removed by the next writable
// open.
// Concurrency: one writer per directory (flock on LOCK; a second writer gets FailedPrecondition),
// any number of readers in other processes. A reader sees the state committed when it opened (or
// last called Refresh); superseded files are deleted only when no reader can still need them.
//
// Thread-safety: const methods may run concurrently with each other; Append and Refresh need
// exclusive access. A TickScanner or BarScanner belongs to one thread and must not outlive its
// TickStore; it keeps reading its snapshot even if the same store appends meanwhile.
// Ownership: Open returns the sole owner; Scan returns an owning scanner.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "fx/calendar.h"
#include "store/bar_codec.h"
#include "store/manifest.h"
#include "store/provenance.h"
#include "store/tick_codec.h"

namespace arus::store {

enum class OpenMode : uint8_t {
  kReadOnly,   // the directory must hold a store
  kReadWrite,  // creates the store if the directory is missing or empty; takes the writer lock
};

struct StoreOptions {
  int zstd_level = 1;  // 1..19; on tick columns 1 is both the smallest and the fastest to decode
  uint32_t block_ticks = kDefaultBlockTicks;  // max ticks per block, in [1, kMaxBlockTicks]
  AskEncoding ask_encoding = AskEncoding::kAuto;
  uint32_t block_bars = kDefaultBlockBars;  // max bars per block, in [1, kMaxBlockBars]
  // Source of the commit times of provenance records; nullptr = the system clock (LiveClock).
  // Not owned; must outlive the store.
  const Clock* clock = nullptr;
};

struct AppendOptions {
  // Replace the stored ticks (bars) in [first, last] of the new ones (per touched partition)
  // instead of failing when they differ.
  bool replace = false;
  // Recorded with the data when the append commits (see provenance.h). An append that changes
  // nothing commits nothing, so it records nothing either.
  std::optional<Provenance> provenance;
};

// For AppendBars the counts are of bars.
struct AppendStats {
  int64_t ticks_in = 0;         // input ticks
  int64_t ticks_added = 0;      // input ticks written
  int64_t ticks_duplicate = 0;  // input ticks identical to stored ones (not written again)
  int64_t ticks_replaced = 0;   // stored ticks removed because `replace` covered their span
  int partitions_written = 0;   // partition files (re)written by this append
};

// A bar series: symbol (as for ticks), timeframe label (1-12 of [A-Za-z0-9], case-sensitive,
// e.g. "M1", "H4", "D1"; the store does not interpret it beyond choosing the partition period)
// and price side ("bid", "ask" or "mid").
struct BarSeriesKey {
  std::string symbol;
  std::string timeframe;
  std::string side;
  std::string ToString() const;  // "EURUSD/M1.bid"
  auto operator<=>(const BarSeriesKey&) const = default;
};
// InvalidArgument naming the bad part.
Status ValidateBarSeriesKey(const BarSeriesKey& key);
// Inverse of BarSeriesKey::ToString.
Result<BarSeriesKey> ParseBarSeriesKey(std::string_view text);
// Partition period of a new series, from its label read as S<n>, M<n> (minutes), H<n>, D<n>,
// W<n> or MN<n> (months): kMonth under an hour (M1: ~31-33K bars a month), kYear from an hour up
// (H1: ~6.2K bars a year, D1: ~260); kMonth for labels of another form.
BarPeriod DefaultBarPeriod(std::string_view timeframe);

struct BarPartitionInfo {
  BarSeriesKey key;
  fx::Date period_start;  // first calendar day of the month / year
  std::string path;
  int64_t bar_count = 0;
  int64_t filled_count = 0;
  UnixNanos first_ts;  // ts_open of the first and last bar
  UnixNanos last_ts;
  uint64_t bytes = 0;
  uint64_t checksum = 0;
  int price_decimals = 0;
};

struct BarSeriesInfo {
  BarSeriesKey key;
  BarPeriod period = BarPeriod::kMonth;
  int partitions = 0;
  UnixNanos first_ts;  // ts_open of the first and last bar
  UnixNanos last_ts;
  int64_t bar_count = 0;
  int64_t filled_count = 0;    // bars flagged kBarFilled
  uint64_t bytes_on_disk = 0;  // partition files (the manifest is not counted)
  uint64_t raw_bytes = 0;      // bar_count * sizeof(Bar)
  int price_decimals = 0;      // largest over the partitions
  double compression_ratio() const {
    return bytes_on_disk == 0 ? 0.0 : static_cast<double>(raw_bytes) / bytes_on_disk;
  }
  double bytes_per_bar() const {
    return bar_count == 0 ? 0.0 : static_cast<double>(bytes_on_disk) / bar_count;
  }
};

// A run of bars and their flags (same length), valid until the scanner's next call.
struct BarBatch {
  std::span<const Bar> bars;
  std::span<const uint8_t> flags;
  bool empty() const { return bars.empty(); }
  size_t size() const { return bars.size(); }
};

struct BarData {
  std::vector<Bar> bars;
  std::vector<uint8_t> flags;
};

struct PartitionInfo {
  std::string symbol;
  fx::Date trading_date;
  std::string path;  // absolute or relative to the working directory, as the store dir was given
  int64_t tick_count = 0;
  UnixNanos first_ts;
  UnixNanos last_ts;
  uint64_t bytes = 0;
  uint64_t checksum = 0;  // xxh64 of the whole file
  int price_decimals = 0;
};

struct SymbolInfo {
  std::string symbol;
  int partitions = 0;
  fx::Date first_date;
  fx::Date last_date;
  UnixNanos first_ts;
  UnixNanos last_ts;
  int64_t tick_count = 0;
  uint64_t bytes_on_disk = 0;  // partition files (the manifest is not counted)
  uint64_t raw_bytes = 0;      // tick_count * sizeof(QuoteTick)
  int price_decimals = 0;      // largest over the partitions
  double compression_ratio() const {
    return bytes_on_disk == 0 ? 0.0 : static_cast<double>(raw_bytes) / bytes_on_disk;
  }
  double bytes_per_tick() const {
    return tick_count == 0 ? 0.0 : static_cast<double>(bytes_on_disk) / tick_count;
  }
};

struct VerifyReport {
  int symbols = 0;
  int partitions = 0;
  int64_t blocks = 0;
  int64_t ticks = 0;
  uint64_t bytes = 0;
  int bar_series = 0;
  int bar_partitions = 0;
  int64_t bar_blocks = 0;
  int64_t bars = 0;
  uint64_t bar_bytes = 0;
  // Files in symbol or series directories that no manifest references (left by an interrupted
  // write or awaiting deletion); harmless, removed by the next writable open.
  int orphan_files = 0;
  // Every problem found, each naming the file (manifest or partition) it is about.
  std::vector<Status> problems;
  bool ok() const { return problems.empty(); }
};

struct SymbolState;     // a symbol's committed manifest (internal)
struct BarSeriesState;  // a bar series' committed manifest (internal)

// Streams the ticks of one symbol in [from, to), one block at a time.
class TickScanner {
 public:
  ~TickScanner();
  TickScanner(const TickScanner&) = delete;
  TickScanner& operator=(const TickScanner&) = delete;

  // The next run of ticks in time order; an empty span at the end of the range. The span stays
  // valid until the next call. After an error every later call returns the same error.
  Result<std::span<const QuoteTick>> Next();

 private:
  friend class TickStore;
  TickScanner(std::shared_ptr<const SymbolState> state, UnixNanos from, UnixNanos to);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Streams the bars of one series with from <= ts_open < to, one block at a time.
class BarScanner {
 public:
  ~BarScanner();
  BarScanner(const BarScanner&) = delete;
  BarScanner& operator=(const BarScanner&) = delete;

  // The next run of bars in time order; an empty batch at the end of the range. The spans stay
  // valid until the next call. After an error every later call returns the same error.
  Result<BarBatch> Next();

 private:
  friend class TickStore;
  BarScanner(std::shared_ptr<const BarSeriesState> state, UnixNanos from, UnixNanos to);
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class TickStore {
 public:
  static Result<std::unique_ptr<TickStore>> Open(const std::string& dir, OpenMode mode,
                                                 StoreOptions options = {});
  ~TickStore();
  TickStore(const TickStore&) = delete;
  TickStore& operator=(const TickStore&) = delete;

  // Stores `ticks` (time-ordered; equal timestamps allowed) for `symbol` ([A-Za-z0-9_.-], at
  // most 32 characters, case-sensitive). `price_decimals` (0..9) is the instrument's precision:
  // a partition uses the smallest decimals >= the hint (and >= what it already uses) at which
  // every price is exact. Per touched partition: ticks identical to stored ones are counted as
  // duplicates; ticks after the stored data are appended; ticks in a stretch with no stored tick
  // are inserted; any other difference is FailedPrecondition unless options.replace, which
  // replaces the stored ticks in [first, last] of the new ticks. All touched partitions of one
  // call commit atomically. Timestamps must lie in [1900-01-01, 2200-01-01).
  // Each call is a transaction that rewrites the touched partitions: batch ticks (a day or more
  // per call) rather than appending tick by tick. options.provenance, if set, is recorded in the
  // same commit with the range [first, last] of `ticks` (InvalidArgument if it is not valid).
  Result<AppendStats> Append(std::string_view symbol, std::span<const QuoteTick> ticks,
                             int price_decimals, AppendOptions options = {});

  // Stores `bars` (strictly increasing ts_open, ts_close >= ts_open) with `flags` (one byte per
  // bar, kBarFilled etc.; empty = all 0) in the bar series `key`. Same semantics as Append, keyed
  // by ts_open: identical bars (every field and the flags, bit for bit) are duplicates, bars after
  // the stored ones are appended, bars in a stretch without stored bars are inserted, any other
  // difference is FailedPrecondition unless options.replace; decimals escalate the same way over
  // open, high, low, close and spread_max. A new series gets DefaultBarPeriod(key.timeframe).
  Result<AppendStats> AppendBars(const BarSeriesKey& key, std::span<const Bar> bars,
                                 std::span<const uint8_t> flags, int price_decimals,
                                 AppendOptions options = {});

  // Ticks of `symbol` with from <= ts_event < to. NotFound for an unknown symbol.
  Result<std::unique_ptr<TickScanner>> Scan(std::string_view symbol, UnixNanos from,
                                            UnixNanos to) const;
  // Convenience: the whole range in one vector (use Scan for large ranges).
  Result<std::vector<QuoteTick>> ReadAll(std::string_view symbol, UnixNanos from,
                                         UnixNanos to) const;

  // Bars of series `key` with from <= ts_open < to. NotFound for an unknown series.
  Result<std::unique_ptr<BarScanner>> ScanBars(const BarSeriesKey& key, UnixNanos from,
                                               UnixNanos to) const;
  // Convenience: the whole range in memory.
  Result<BarData> ReadAllBars(const BarSeriesKey& key, UnixNanos from, UnixNanos to) const;

  // Symbols with committed tick data, sorted (including ones whose manifest is damaged, so
  // that Info/Verify can report them). Bar series are listed by BarSeries().
  std::vector<std::string> Symbols() const;
  Result<std::vector<PartitionInfo>> Partitions(std::string_view symbol) const;
  Result<SymbolInfo> Info(std::string_view symbol) const;

  // Bar series with a committed manifest (damaged ones included), sorted by symbol, timeframe
  // and side; only those of `symbol` unless it is empty.
  std::vector<BarSeriesKey> BarSeries(std::string_view symbol = {}) const;
  Result<std::vector<BarPartitionInfo>> BarPartitions(const BarSeriesKey& key) const;
  Result<BarSeriesInfo> BarInfo(const BarSeriesKey& key) const;

  // Provenance records of a tick symbol / a bar series in commit order (empty when no append
  // carried one, or the manifest predates provenance). NotFound for unknown ones.
  Result<std::vector<ProvenanceRecord>> Provenance(std::string_view symbol) const;
  Result<std::vector<ProvenanceRecord>> Provenance(const BarSeriesKey& key) const;

  // Reads every file and block of every symbol and bar series, checks every checksum, decodes
  // every block and checks order, counts and trading dates (periods) against headers and
  // manifests. Problems are listed in the report (Result is an error only if the store directory
  // itself cannot be listed).
  Result<VerifyReport> Verify() const;

  // Reloads the manifests to see commits made by another process since Open.
  Status Refresh();

  const std::string& dir() const { return dir_; }
  OpenMode mode() const { return mode_; }

 private:
  TickStore() = default;
  Status LoadManifests();
  Status LoadBarManifests();
  Status CleanOrphans();
  void CleanBarOrphans();
  void CollectGarbage();
  std::string SymbolDir(std::string_view symbol) const;
  std::string BarSeriesDir(const BarSeriesKey& key) const;
  Result<std::shared_ptr<const SymbolState>> FindSymbol(std::string_view symbol) const;
  Result<std::shared_ptr<const BarSeriesState>> FindBarSeries(const BarSeriesKey& key) const;
  void VerifyBars(VerifyReport* report) const;
  UnixNanos CommitTime() const;

  std::string dir_;
  OpenMode mode_ = OpenMode::kReadOnly;
  StoreOptions options_;
  int lock_fd_ = -1;     // LOCK, held exclusively by the writer
  int readers_fd_ = -1;  // READERS: readers hold it shared; the writer takes it to delete files
  std::map<std::string, std::shared_ptr<const SymbolState>, std::less<>> symbols_;
  std::map<BarSeriesKey, std::shared_ptr<const BarSeriesState>> bar_series_;
  struct PendingDelete {
    std::weak_ptr<const void> state;  // the snapshot that still references the files
    std::vector<std::string> paths;
  };
  std::vector<PendingDelete> pending_deletes_;
  std::unique_ptr<BlockEncoder> encoder_;         // writer only
  std::unique_ptr<BlockDecoder> decoder_;         // writer only: reads partitions it rewrites
  std::unique_ptr<BarBlockEncoder> bar_encoder_;  // writer only
  std::unique_ptr<BarBlockDecoder> bar_decoder_;  // writer only
};

}  // namespace arus::store
