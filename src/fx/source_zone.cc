#include "fx/source_zone.h"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace arus::fx {

namespace {

std::string Upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

// Parses "+2", "-5", "+05:30", "+0530" into a signed offset; false if malformed or > 14 h.
bool ParseSignedOffset(std::string_view s, bool allow_minutes, Duration* out) {
  if (s.size() < 2 || (s[0] != '+' && s[0] != '-')) return false;
  const int sign = s[0] == '-' ? -1 : 1;
  s.remove_prefix(1);
  std::string_view hh = s, mm;
  if (const size_t colon = s.find(':'); colon != std::string_view::npos) {
    hh = s.substr(0, colon);
    mm = s.substr(colon + 1);
  } else if (s.size() == 4) {
    hh = s.substr(0, 2);
    mm = s.substr(2);
  }
  if (!mm.empty() && !allow_minutes) return false;
  int h = 0, m = 0;
  auto r1 = std::from_chars(hh.data(), hh.data() + hh.size(), h);
  if (r1.ec != std::errc() || r1.ptr != hh.data() + hh.size() || hh.empty() || hh.size() > 2) {
    return false;
  }
  if (!mm.empty()) {
    auto r2 = std::from_chars(mm.data(), mm.data() + mm.size(), m);
    if (r2.ec != std::errc() || r2.ptr != mm.data() + mm.size() || mm.size() != 2 || m > 59) {
      return false;
    }
  }
  if (h > 14) return false;
  *out = Duration(sign * (h * kNanosPerHour + m * kNanosPerMinute));
  return true;
}

}  // namespace

Result<SourceZone> SourceZone::Parse(std::string_view spec) {
  auto bad = [&](std::string why) {
    return InvalidArgument("bad time zone '" + std::string(spec) + "': " + why +
                           " (use UTC, UTC+2, UTC-05:30, EST, an IANA name such as "
                           "Europe/Athens, or a shifted zone such as NY+7)");
  };
  SourceZone z;
  z.spec_ = std::string(spec);
  const std::string up = Upper(spec);
  if (up == "UTC" || up == "Z" || up == "GMT") return z;
  if (up == "EST") {
    z.fixed_ = Duration(-5 * kNanosPerHour);
    return z;
  }
  if (up.rfind("UTC", 0) == 0 || up.rfind("GMT", 0) == 0) {
    if (!ParseSignedOffset(std::string_view(spec).substr(3), true, &z.fixed_)) {
      return bad("offset must be +H, -H or +HH:MM, at most 14 hours");
    }
    return z;
  }
  // IANA zone, optionally shifted by whole hours: "America/New_York+7", "NY+7".
  std::string name(spec);
  Duration shift(0);
  if (const size_t pos = name.find_last_of("+-"); pos != std::string::npos && pos > 0) {
    const std::string_view tail = std::string_view(name).substr(pos);
    // IANA names contain '-' (e.g. America/Port-au-Prince): only a numeric tail is a shift.
    if (std::all_of(tail.begin() + 1, tail.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      if (!ParseSignedOffset(tail, false, &shift)) return bad("shift must be whole hours, at most 14");
      name.resize(pos);
    }
  }
  if (Upper(name) == "NY") name = "America/New_York";
  Result<std::shared_ptr<const ZoneOffsets>> zone = ZoneOffsets::Load(name);
  if (!zone.ok()) return bad("unknown zone '" + name + "'");
  z.zone_ = *zone;
  z.shift_ = shift;
  return z;
}

UnixNanos SourceZone::ToUtcSlow(UnixNanos local) const {
  const UnixNanos utc = zone_->FromLocal(local - shift_);
  const Duration offset = local - utc;  // zone offset plus shift
  UnixNanos begin, end;
  zone_->SpanAt(utc, &begin, &end);
  // Cache a window of local times a day inside the span, where the conversion is unambiguous.
  const int64_t day = kNanosPerDay;
  cache_lo_ = begin == UnixNanos::Min() ? INT64_MIN : begin.ns() + offset.count() + day;
  cache_hi_ = end == UnixNanos::Max() ? INT64_MAX : end.ns() + offset.count() - day;
  cache_offset_ = offset;
  return utc;
}

}  // namespace arus::fx
