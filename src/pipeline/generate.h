// The synthetic market (the built-in example data) written into a tick store: what
// `arus generate` and the generate stage of `arus run` do. Days are generated in order and
// appended a few at a time (one store transaction per batch), so memory stays bounded.
// Thread-safety: reentrant; needs exclusive access to the store.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "fx/instrument.h"
#include "ingest/synthetic_market.h"
#include "store/tick_store.h"

namespace arus::pipeline {

struct GenerateResult {
  std::vector<fx::Instrument> instruments;   // in request order
  std::vector<store::AppendStats> stats;     // per instrument
  std::vector<ingest::EconomicEvent> events;  // the scheduled news (empty when news is off)
  int trading_days = 0;
  int64_t ticks() const;
  int64_t added() const;
};

// Generates every remaining day of `market` into `store`. `progress` gets the generated
// fraction of the range in [0, 1].
Result<GenerateResult> GenerateIntoStore(ingest::SyntheticMarket& market, store::TickStore& store,
                                         bool replace,
                                         const std::function<void(double)>& progress = {});

}  // namespace arus::pipeline
