#include "fx/calendar.h"

#include <date/date.h>
#include <date/tz.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <unordered_map>

namespace arus::fx {

namespace {

// Transitions are precomputed over this span; outside it the nearest known offset is used.
constexpr int kFirstYear = 1970;
constexpr int kLastYear = 2100;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

}  // namespace

// ---- Date ----------------------------------------------------------------------------------------

Date Date::FromYmd(int64_t y, unsigned m, unsigned d) { return Date{DaysFromCivil(y, m, d)}; }

Result<Date> Date::Parse(std::string_view text) {
  if (text.size() != 10) {
    return InvalidArgument("bad date '" + std::string(text) + "' (expected YYYY-MM-DD)");
  }
  ARUS_ASSIGN_OR_RETURN(UnixNanos t, ParseIsoUtc(text));
  return Date{FloorDiv(t.ns(), kNanosPerDay)};
}

int64_t Date::year() const {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  return y;
}

unsigned Date::month() const {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  return m;
}

unsigned Date::day() const {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  return d;
}

unsigned Date::weekday() const {
  // 1970-01-01 was a Thursday (4).
  return static_cast<unsigned>(((days % 7) + 7 + 4) % 7);
}

std::string Date::ToString() const {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

// ---- ZoneOffsets ---------------------------------------------------------------------------------

Result<std::shared_ptr<const ZoneOffsets>> ZoneOffsets::Load(const std::string& zone_name) {
  // Loading walks the tz database; cache per zone since every calendar and session clock asks.
  static std::mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const ZoneOffsets>> cache;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = cache.find(zone_name); it != cache.end()) return it->second;

  const date::time_zone* tz = nullptr;
  try {
    tz = date::locate_zone(zone_name);
  } catch (const std::exception& e) {
    return NotFound("unknown time zone '" + zone_name + "' (" + e.what() +
                    "); is the tzdata package installed?");
  }
  std::shared_ptr<ZoneOffsets> z(new ZoneOffsets());
  z->name_ = zone_name;
  using namespace std::chrono;
  sys_seconds t = date::sys_days(date::year(kFirstYear) / 1 / 1);
  const sys_seconds end = date::sys_days(date::year(kLastYear) / 1 / 1);
  try {
    while (t < end) {
      const date::sys_info info = tz->get_info(t);
      const int64_t off = info.offset.count();
      if (z->offsets_.empty() || z->offsets_.back() != off) {
        z->begins_.push_back(t.time_since_epoch().count());
        z->offsets_.push_back(off);
      }
      if (info.end <= t) break;
      t = info.end;
    }
  } catch (const std::exception& e) {
    return Internal("time zone '" + zone_name + "': " + e.what());
  }
  if (z->offsets_.empty()) return Internal("time zone '" + zone_name + "' has no rules");
  cache.emplace(zone_name, z);
  return std::shared_ptr<const ZoneOffsets>(z);
}

Duration ZoneOffsets::OffsetAt(UnixNanos t) const {
  const int64_t s = FloorDiv(t.ns(), kNanosPerSecond);
  auto it = std::upper_bound(begins_.begin(), begins_.end(), s);
  const size_t i = it == begins_.begin() ? 0 : static_cast<size_t>(it - begins_.begin()) - 1;
  return Duration(offsets_[i] * kNanosPerSecond);
}

void ZoneOffsets::SpanAt(UnixNanos t, UnixNanos* begin, UnixNanos* end) const {
  const int64_t s = FloorDiv(t.ns(), kNanosPerSecond);
  auto it = std::upper_bound(begins_.begin(), begins_.end(), s);
  const size_t i = it == begins_.begin() ? 0 : static_cast<size_t>(it - begins_.begin()) - 1;
  *begin = i == 0 ? UnixNanos::Min() : UnixNanos(begins_[i] * kNanosPerSecond);
  *end = i + 1 >= begins_.size() ? UnixNanos::Max() : UnixNanos(begins_[i + 1] * kNanosPerSecond);
}

UnixNanos ZoneOffsets::FromLocal(UnixNanos local) const {
  // Try the offset in force just before and just after; pick the earliest consistent instant.
  const Duration o1 = OffsetAt(local - Duration(kNanosPerDay));
  const Duration o2 = OffsetAt(local + Duration(kNanosPerDay));
  const UnixNanos u1 = local - o1;
  const UnixNanos u2 = local - o2;
  const bool ok1 = OffsetAt(u1) == o1;
  const bool ok2 = OffsetAt(u2) == o2;
  if (ok1 && ok2) return std::min(u1, u2);
  if (ok1) return u1;
  if (ok2) return u2;
  return u1;  // in a gap: read with the offset before it
}

UnixNanos ZoneOffsets::At(Date date, int hour, int minute) const {
  return FromLocal(UnixNanos(date.days * kNanosPerDay + hour * kNanosPerHour +
                             minute * kNanosPerMinute));
}

// ---- FxCalendar ----------------------------------------------------------------------------------

Result<std::unique_ptr<FxCalendar>> FxCalendar::Create(Options options) {
  if (options.rollover_hour < 0 || options.rollover_hour > 23) {
    return InvalidArgument("rollover hour must be 0..23, got " +
                           std::to_string(options.rollover_hour));
  }
  ARUS_ASSIGN_OR_RETURN(auto zone, ZoneOffsets::Load(options.zone));
  std::unique_ptr<FxCalendar> cal(new FxCalendar());
  cal->options_ = std::move(options);
  std::sort(cal->options_.extra_holidays.begin(), cal->options_.extra_holidays.end());
  cal->zone_ = std::move(zone);
  return cal;
}

const FxCalendar& FxCalendar::Default() {
  static const FxCalendar* cal = [] {
    Result<std::unique_ptr<FxCalendar>> r = Create(Options());
    if (!r.ok()) {
      std::fprintf(stderr, "arus: fatal: cannot build the FX calendar: %s\n",
                   r.status().ToString().c_str());
      std::abort();
    }
    return std::move(r).value().release();
  }();
  return *cal;
}

Date FxCalendar::TradingDateOf(UnixNanos t) const {
  // Local New York time shifted so the rollover lands on midnight: the date is the trading date.
  const int64_t shifted = zone_->ToLocal(t).ns() + (24 - options_.rollover_hour) * kNanosPerHour;
  return Date{FloorDiv(shifted, kNanosPerDay)};
}

TradingDayBounds FxCalendar::Bounds(Date d) const {
  return TradingDayBounds{d, zone_->At(d - 1, options_.rollover_hour, 0),
                          zone_->At(d, options_.rollover_hour, 0)};
}

bool FxCalendar::IsHoliday(Date d) const {
  const unsigned m = d.month();
  const unsigned day = d.day();
  for (const auto& [hm, hd] : options_.annual_holidays) {
    if (hm == m && hd == day) return true;
  }
  return std::binary_search(options_.extra_holidays.begin(), options_.extra_holidays.end(), d);
}

bool FxCalendar::IsTradingDay(Date d) const {
  const unsigned wd = d.weekday();
  if (wd == 0 || wd == 6) return false;
  return !IsHoliday(d);
}

Date FxCalendar::NextTradingDay(Date d) const {
  Date n = d + 1;
  while (!IsTradingDay(n)) n = n + 1;  // at most a long weekend plus a holiday
  return n;
}

UnixNanos FxCalendar::NextOpen(UnixNanos t) const {
  const Date d = TradingDateOf(t);
  if (IsTradingDay(d)) return t;
  return Bounds(NextTradingDay(d)).open;
}

UnixNanos FxCalendar::NextClose(UnixNanos t) const {
  Date d = TradingDateOf(t);
  if (!IsTradingDay(d)) d = NextTradingDay(d);
  while (IsTradingDay(d + 1)) d = d + 1;
  return Bounds(d).close;
}

std::vector<Date> FxCalendar::TradingDays(Date from, Date to) const {
  std::vector<Date> out;
  for (Date d = from; d < to; d = d + 1) {
    if (IsTradingDay(d)) out.push_back(d);
  }
  return out;
}

// ---- Sessions ------------------------------------------------------------------------------------

std::string_view SessionName(Session s) {
  switch (s) {
    case Session::kSydney: return "sydney";
    case Session::kTokyo: return "tokyo";
    case Session::kLondon: return "london";
    case Session::kNewYork: return "newyork";
  }
  return "?";
}

SessionClock::SessionClock(const FxCalendar& calendar) : calendar_(calendar) {
  struct Def {
    const char* zone;
    int open_h, close_h;
  };
  static constexpr Def kDefs[kSessionCount] = {{"Australia/Sydney", 7, 16},
                                               {"Asia/Tokyo", 9, 18},
                                               {"Europe/London", 8, 17},
                                               {"America/New_York", 8, 17}};
  for (int i = 0; i < kSessionCount; ++i) {
    Result<std::shared_ptr<const ZoneOffsets>> z = ZoneOffsets::Load(kDefs[i].zone);
    if (!z.ok()) {
      std::fprintf(stderr, "arus: fatal: %s\n", z.status().ToString().c_str());
      std::abort();
    }
    specs_[i] = Spec{*z, kDefs[i].open_h * 60, kDefs[i].close_h * 60};
  }
}

const SessionClock& SessionClock::Default() {
  static const SessionClock clock(FxCalendar::Default());
  return clock;
}

uint8_t SessionClock::ActiveMask(UnixNanos t) const {
  if (!calendar_.IsOpen(t)) return 0;
  uint8_t mask = 0;
  for (int i = 0; i < kSessionCount; ++i) {
    const Spec& s = specs_[i];
    const int64_t local = s.zone->ToLocal(t).ns();
    const int64_t day = FloorDiv(local, kNanosPerDay);
    const unsigned wd = Date{day}.weekday();
    if (wd == 0 || wd == 6) continue;  // sessions run on local weekdays
    const int64_t minute = (local - day * kNanosPerDay) / kNanosPerMinute;
    if (minute >= s.open_minute && minute < s.close_minute) mask |= SessionBit(Session(i));
  }
  return mask;
}

bool SessionClock::IsOverlap(UnixNanos t) const {
  const uint8_t m = ActiveMask(t);
  return (m & (m - 1)) != 0;
}

}  // namespace arus::fx
