// The per-symbol manifest of the tick store: the list of partition files that make up the
// symbol's committed state. A manifest is a small JSON document replaced atomically (temp file,
// fsync, rename); replacing it is the commit point of an append. Parsing is strict: anything
// unexpected is a Corruption status naming the manifest's path and the field.
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace arus::store {

inline constexpr int kManifestVersion = 1;
inline constexpr char kManifestFileName[] = "MANIFEST.json";
inline constexpr char kPartitionSuffix[] = ".atk";

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
  uint64_t generation = 0;                 // bumped by every commit
  std::vector<PartitionEntry> partitions;  // by trading date, strictly increasing, time-disjoint
};

// "2024-01-02.17.atk"
std::string PartitionFileName(int64_t trading_date, uint64_t generation);
// Inverse of PartitionFileName; false for any other name.
bool ParsePartitionFileName(std::string_view name, int64_t* trading_date, uint64_t* generation);

std::string SerializeManifest(const SymbolManifest& m);
// `path` is used in messages only; `symbol` is the expected symbol (the directory's name).
Result<SymbolManifest> ParseManifest(std::string_view text, const std::string& path,
                                     std::string_view symbol);

}  // namespace arus::store
