// Internals shared by tick_store.cc and bar_store.cc: the committed-state snapshots, directory
// names, name validation and small helpers. Not part of the store's API.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "store/manifest.h"
#include "store/tick_store.h"

namespace arus::store {

// One symbol's committed state: an immutable snapshot shared by the store and its scanners.
struct SymbolState {
  std::string symbol;
  std::string dir;  // <store>/ticks/<symbol>
  Status status;    // why the manifest cannot be used; OK otherwise
  SymbolManifest manifest;

  std::string PathOf(const PartitionEntry& p) const { return dir + "/" + p.file; }
  std::string ManifestPath() const { return dir + "/" + kManifestFileName; }
};

// One bar series' committed state, likewise immutable and shared.
struct BarSeriesState {
  BarSeriesKey key;
  std::string dir;  // <store>/bars/<symbol>/<timeframe>.<side>
  Status status;
  BarManifest manifest;

  std::string PathOf(const BarPartitionEntry& p) const { return dir + "/" + p.file; }
  std::string ManifestPath() const { return dir + "/" + kManifestFileName; }
};

namespace internal {

inline constexpr char kTicksDir[] = "ticks";
inline constexpr char kBarsDir[] = "bars";

inline int64_t MinTs() { return DaysFromCivil(1900, 1, 1) * kNanosPerDay; }
inline int64_t MaxTs() { return DaysFromCivil(2200, 1, 1) * kNanosPerDay; }

inline std::string Iso(int64_t ns) { return UnixNanos(ns).ToIso(); }

bool ValidSymbol(std::string_view s);
bool ValidTimeframe(std::string_view s);
// Names the store may delete when unreferenced in a symbol or series directory: partition files
// (".atk", or ".abr" of either period) and AtomicFile temporaries ("<target>.tmp.<pid>").
bool IsStoreFileName(std::string_view name);
int FlockRetry(int fd, int op);
// Creates `dir` (and missing parents below `root`, which exists), fsyncing the parent of every
// directory it creates so that files in it can be referenced durably.
Status CreateDirDurably(const std::string& root, const std::string& dir);

}  // namespace internal
}  // namespace arus::store
