// Economic calendar events (scheduled macro releases: NFP, CPI, rate decisions...) and their CSV
// form, documented in docs/economic-calendar.md:
//   time,currency,event,impact,actual,forecast,previous
//   2024-01-05T13:30:00Z,USD,Non-Farm Payrolls,high,216,170,173
// `time` is the scheduled release instant in UTC; it is also the instant `actual` becomes known.
// `previous` is the prior release's value as known at this release (it may be revised).
// The synthetic market writes this file; importers read it as an external point-in-time source.
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"

namespace arus::ingest {

enum class EventImpact : uint8_t { kLow, kMedium, kHigh };
std::string_view EventImpactName(EventImpact impact);  // "low", "medium", "high"
Result<EventImpact> ParseEventImpact(std::string_view text);

struct EconomicEvent {
  UnixNanos time;        // scheduled release, UTC
  std::string currency;  // "USD"
  std::string event;     // "Non-Farm Payrolls"
  EventImpact impact = EventImpact::kMedium;
  std::optional<double> actual;  // empty when unknown (written as an empty field)
  std::optional<double> forecast;
  std::optional<double> previous;
  bool operator==(const EconomicEvent&) const = default;
};

// The CSV text (header + one line per event, '\n' line ends). Numbers are written in their
// shortest exact round-trip form ("0.3", "216", "-0.1"); fields holding ',' or '"' are quoted.
std::string FormatEconomicCalendarCsv(std::span<const EconomicEvent> events);
// Writes FormatEconomicCalendarCsv(events) to `path` atomically (temp file, fsync, rename).
Status WriteEconomicCalendarCsv(const std::string& path, std::span<const EconomicEvent> events);

}  // namespace arus::ingest
