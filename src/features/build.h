// Materialising a feature set into a dataset from a store: reads the M1 source bars of every
// symbol of the set (and, when the set has [ticks], streams the target's quote ticks over the same
// range), runs the FeatureEngine over them merged in time order (a loop over the streaming path),
// keeps the rows in [from, to), and adds the labels computed on the target's base bars.
// Extending a dataset continues from its checkpoint: only the new rows are computed (labels,
// which read the future, are recomputed from the bars), and the result equals a full build.
// Thread-safety: reentrant; the store is read-only here.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "features/dataset.h"
#include "features/engine.h"
#include "features/feature_set.h"
#include "store/tick_store.h"

namespace arus::features {

// M1 bars of `symbol` on `side` in [from, to): aggregated from the stored ticks when the symbol
// has ticks, else the stored bar series SYMBOL/M1.<side>. NotFound when there is neither.
Result<std::vector<Bar>> LoadSourceBars(const store::TickStore& store, const std::string& symbol,
                                        PriceSide side, UnixNanos from, UnixNanos to);

struct BuildOptions {
  UnixNanos from = UnixNanos::Min();  // first decision time kept
  UnixNanos to = UnixNanos::Max();    // decision times < to; data after `to` is never read
  // Borrowed; for [external] features. Null: the store's own external data (STORE/external,
  // `arus external import`) when the spec has an [external] table.
  ExternalFeatureProvider* external = nullptr;
  // Progress: called with (bars done, bars total).
  std::function<void(int64_t, int64_t)> progress;
};

// FailedPrecondition when the spec has [ticks] and the store holds no ticks of its symbol.
Result<Dataset> BuildDataset(const store::TickStore& store, const FeatureSetSpec& spec,
                             const BuildOptions& options);
// Appends the rows after `existing`'s last one up to options.to (options.from is ignored).
// FailedPrecondition when `existing` was made by another feature set or has no checkpoint.
Result<Dataset> ExtendDataset(const store::TickStore& store, const FeatureSetSpec& spec,
                              const Dataset& existing, const BuildOptions& options);

}  // namespace arus::features
