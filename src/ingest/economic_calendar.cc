#include "ingest/economic_calendar.h"

#include <charconv>

#include "core/file.h"

namespace arus::ingest {

namespace {

void AppendField(std::string* out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendNumber(std::string* out, const std::optional<double>& v) {
  if (!v) return;
  char buf[64];
  const double x = *v == 0 ? 0.0 : *v;               // never "-0"
  auto r = std::to_chars(buf, buf + sizeof buf, x);  // shortest round-trip form
  out->append(buf, r.ptr);
}

}  // namespace

std::string_view EventImpactName(EventImpact impact) {
  switch (impact) {
    case EventImpact::kLow:
      return "low";
    case EventImpact::kMedium:
      return "medium";
    case EventImpact::kHigh:
      return "high";
  }
  return "?";
}

Result<EventImpact> ParseEventImpact(std::string_view text) {
  if (text == "low") return EventImpact::kLow;
  if (text == "medium") return EventImpact::kMedium;
  if (text == "high") return EventImpact::kHigh;
  return InvalidArgument("bad impact '" + std::string(text) + "' (expected low, medium or high)");
}

std::string FormatEconomicCalendarCsv(std::span<const EconomicEvent> events) {
  std::string out = "time,currency,event,impact,actual,forecast,previous\n";
  out.reserve(out.size() + events.size() * 64);
  for (const EconomicEvent& e : events) {
    out += e.time.ToIso();
    out += ',';
    AppendField(&out, e.currency);
    out += ',';
    AppendField(&out, e.event);
    out += ',';
    out += EventImpactName(e.impact);
    out += ',';
    AppendNumber(&out, e.actual);
    out += ',';
    AppendNumber(&out, e.forecast);
    out += ',';
    AppendNumber(&out, e.previous);
    out += '\n';
  }
  return out;
}

Status WriteEconomicCalendarCsv(const std::string& path, std::span<const EconomicEvent> events) {
  return WriteFileAtomic(path, FormatEconomicCalendarCsv(events));
}

}  // namespace arus::ingest
