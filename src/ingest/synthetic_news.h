// The synthetic market's deterministic schedule of scheduled macro releases (internal to ingest;
// the public form is EconomicEvent). Rules and value models are listed in
// docs/economic-calendar.md. Each release carries what the price model needs: the surprise and
// the log move it causes in its currency's factor.
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "fx/calendar.h"
#include "ingest/economic_calendar.h"

namespace arus::ingest {

struct NewsRelease {
  EconomicEvent event;
  int direction = 1;      // +1 when a higher actual strengthens the currency, -1 otherwise
  double surprise_z = 0;  // (actual - forecast) / typical surprise, clipped to [-4, 4]
  double jump = 0;        // log move of the currency's factor at release: direction * z * size
};

// Releases scheduled in [from, to) on open market time, sorted by (time, currency, event). The
// series are simulated from 400 days before `from`, so `previous` is meaningful from the start;
// values depend only on seed, from and the calendar.
Result<std::vector<NewsRelease>> BuildNewsSchedule(UnixNanos from, UnixNanos to, uint64_t seed,
                                                   const fx::FxCalendar& calendar);

}  // namespace arus::ingest
