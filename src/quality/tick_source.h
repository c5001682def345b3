// Pull-style tick streams for the quality module: a TickSource returns the next run of ticks on
// each call and an empty span at the end, like store::TickScanner::Next, so months of ticks flow
// through validation and comparison one block at a time.
// Ownership: the sources below borrow the scanner / span, which must outlive them.
// Thread-safety: a source belongs to one thread.
#pragma once

#include <functional>
#include <span>

#include "core/status.h"
#include "core/tick.h"
#include "store/tick_store.h"

namespace arus::quality {

// The span stays valid until the next call. After an error the caller stops.
using TickSource = std::function<Result<std::span<const QuoteTick>>()>;

// Reads a store scanner (TickStore::Scan).
TickSource ScannerSource(store::TickScanner* scanner);
// Serves `ticks` in runs of `chunk` (>= 1).
TickSource SpanSource(std::span<const QuoteTick> ticks, size_t chunk = 65536);

}  // namespace arus::quality
