// The manifests of the store: per tick symbol and per bar series, the list of partition files that
// make up its committed state, and the provenance records of the appends that produced it. A
// manifest is a small JSON document replaced atomically (temp file, fsync, rename); replacing it
// is the commit point of an append. Parsing is strict: anything unexpected is a Corruption status
// naming the manifest's path and the field.
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "store/bar_codec.h"
#include "store/provenance.h"

namespace arus::store {

// Tick manifests: version 1 has no provenance; version 2 adds "provenance". The writer writes
// version 1 while a symbol has no provenance record (so older builds still read it), else 2.
inline constexpr int kManifestVersion = 2;
inline constexpr int kManifestVersionWithoutProvenance = 1;
inline constexpr int kBarManifestVersion = 1;
inline constexpr char kManifestFileName[] = "MANIFEST.json";
inline constexpr char kPartitionSuffix[] = ".atk";
inline constexpr char kBarPartitionSuffix[] = ".abr";

struct PartitionEntry {
  int64_t trading_date = 0;  // days since 1970-01-01
  std::string file;          // "2024-01-02.17.atk", relative to the symbol's directory
  uint64_t generation = 0;   // the commit that wrote the file (part of its name)
  int64_t tick_count = 0;
  int64_t first_ts = 0;
  int64_t last_ts = 0;
  uint64_t bytes = 0;     // file size
  uint64_t checksum = 0;  // xxh64 of the whole file
  int price_decimals = 0;
};

struct SymbolManifest {
  std::string symbol;
  uint64_t generation = 0;                   // bumped by every commit
  std::vector<PartitionEntry> partitions;    // by trading date, strictly increasing, time-disjoint
  std::vector<ProvenanceRecord> provenance;  // commit order, generations strictly increasing
};

struct BarPartitionEntry {
  int64_t period_start = 0;  // days since 1970-01-01 of the period's first calendar day
  std::string file;          // "2024-03.5.abr" (month) or "2024.5.abr" (year)
  uint64_t generation = 0;
  int64_t bar_count = 0;
  int64_t filled_count = 0;  // bars flagged kBarFilled
  int64_t first_ts = 0;      // ts_open of the first and last bar
  int64_t last_ts = 0;
  uint64_t bytes = 0;
  uint64_t checksum = 0;
  int price_decimals = 0;
};

struct BarManifest {
  std::string symbol;
  std::string timeframe;
  std::string side;  // "bid", "ask" or "mid"
  BarPeriod period = BarPeriod::kMonth;
  uint64_t generation = 0;
  std::vector<BarPartitionEntry> partitions;  // by period, strictly increasing, time-disjoint
  std::vector<ProvenanceRecord> provenance;
};

// "2024-01-02.17.atk"
std::string PartitionFileName(int64_t trading_date, uint64_t generation);
// Inverse of PartitionFileName; false for any other name.
bool ParsePartitionFileName(std::string_view name, int64_t* trading_date, uint64_t* generation);

std::string SerializeManifest(const SymbolManifest& m);
// `path` is used in messages only; `symbol` is the expected symbol (the directory's name).
// Reads versions 1 and 2.
Result<SymbolManifest> ParseManifest(std::string_view text, const std::string& path,
                                     std::string_view symbol);

// "month" / "year", and back (false for anything else).
std::string_view BarPeriodName(BarPeriod p);
bool ParseBarPeriod(std::string_view text, BarPeriod* p);
// The first calendar day of the period holding calendar day `days`, and of the next period.
int64_t PeriodStart(BarPeriod p, int64_t days);
int64_t NextPeriodStart(BarPeriod p, int64_t period_start);
// "2024-03" (month) or "2024" (year).
std::string PeriodText(BarPeriod p, int64_t period_start);
// "2024-03.5.abr" / "2024.5.abr"; the inverse is false for any other name (or another period's).
std::string BarPartitionFileName(BarPeriod p, int64_t period_start, uint64_t generation);
bool ParseBarPartitionFileName(std::string_view name, BarPeriod p, int64_t* period_start,
                               uint64_t* generation);

std::string SerializeBarManifest(const BarManifest& m);
// Checks symbol, timeframe and side against the expected ones (the directory names).
Result<BarManifest> ParseBarManifest(std::string_view text, const std::string& path,
                                     std::string_view symbol, std::string_view timeframe,
                                     std::string_view side);

}  // namespace arus::store
