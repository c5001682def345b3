// The embedded columnar tick store: quote ticks on local disk, partitioned by symbol and FX trading
// date (17:00 New York rollover, fx::FxCalendar::Default()), split into zstd-compressed columnar
// blocks with xxhash64 checksums, listed by a per-symbol manifest that is replaced atomically.
// On-disk format and commit protocol: docs/store-format.md.
//
// Durability: partition files are immutable and written under a fresh name (temp file, fsync,
// rename); replacing the symbol's MANIFEST.json is the commit point. A crash at any moment leaves
// the previous committed state readable; leftovers are removed by the next writable open.
// Concurrency: one writer per directory (flock on LOCK; a second writer gets FailedPrecondition),
// any number of readers in other processes. A reader sees the state committed when it opened (or
// last called Refresh); superseded files are deleted only when no reader can still need them.
//
// Thread-safety: const methods may run concurrently with each other; Append and Refresh need
// exclusive access. A TickScanner belongs to one thread and must not outlive its TickStore; it
// keeps reading its snapshot even if the same store appends meanwhile.
// Ownership: Open returns the sole owner; Scan returns an owning scanner.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "fx/calendar.h"
#include "store/manifest.h"
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
};

struct AppendOptions {
  // Replace the stored ticks in [first, last] of the new ticks (per touched partition) instead of
  // failing when they differ.
  bool replace = false;
};

struct AppendStats {
  int64_t ticks_in = 0;         // input ticks
  int64_t ticks_added = 0;      // input ticks written
  int64_t ticks_duplicate = 0;  // input ticks identical to stored ones (not written again)
  int64_t ticks_replaced = 0;   // stored ticks removed because `replace` covered their span
  int partitions_written = 0;   // partition files (re)written by this append
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
  // Files in symbol directories that no manifest references (left by an interrupted write or
  // awaiting deletion); harmless, removed by the next writable open.
  int orphan_files = 0;
  // Every problem found, each naming the file (manifest or partition) it is about.
  std::vector<Status> problems;
  bool ok() const { return problems.empty(); }
};

struct SymbolState;  // a symbol's committed manifest (internal)

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
  // per call) rather than appending tick by tick.
  Result<AppendStats> Append(std::string_view symbol, std::span<const QuoteTick> ticks,
                             int price_decimals, AppendOptions options = {});

  // Ticks of `symbol` with from <= ts_event < to. NotFound for an unknown symbol.
  Result<std::unique_ptr<TickScanner>> Scan(std::string_view symbol, UnixNanos from,
                                            UnixNanos to) const;
  // Convenience: the whole range in one vector (use Scan for large ranges).
  Result<std::vector<QuoteTick>> ReadAll(std::string_view symbol, UnixNanos from,
                                         UnixNanos to) const;

  // Symbols with a committed manifest, sorted (including ones whose manifest is damaged, so
  // that Info/Verify can report them).
  std::vector<std::string> Symbols() const;
  Result<std::vector<PartitionInfo>> Partitions(std::string_view symbol) const;
  Result<SymbolInfo> Info(std::string_view symbol) const;

  // Reads every file and block of every symbol, checks every checksum, decodes every block and
  // checks order, counts and trading dates against headers and manifests. Problems are listed
  // in the report (Result is an error only if the store directory itself cannot be listed).
  Result<VerifyReport> Verify() const;

  // Reloads the manifests to see commits made by another process since Open.
  Status Refresh();

  const std::string& dir() const { return dir_; }
  OpenMode mode() const { return mode_; }

 private:
  TickStore() = default;
  Status LoadManifests();
  Status CleanOrphans();
  void CollectGarbage();
  std::string SymbolDir(std::string_view symbol) const;
  Result<std::shared_ptr<const SymbolState>> FindSymbol(std::string_view symbol) const;

  std::string dir_;
  OpenMode mode_ = OpenMode::kReadOnly;
  StoreOptions options_;
  int lock_fd_ = -1;     // LOCK, held exclusively by the writer
  int readers_fd_ = -1;  // READERS: readers hold it shared; the writer takes it to delete files
  std::map<std::string, std::shared_ptr<const SymbolState>, std::less<>> symbols_;
  struct PendingDelete {
    std::weak_ptr<const SymbolState> state;  // the snapshot that still references the files
    std::vector<std::string> paths;
  };
  std::vector<PendingDelete> pending_deletes_;
  std::unique_ptr<BlockEncoder> encoder_;  // writer only
  std::unique_ptr<BlockDecoder> decoder_;  // writer only: reads partitions it rewrites
};

}  // namespace arus::store
