// The FX trading calendar. The market trades 24/5: the week opens Sunday 17:00 America/New_York
// and closes Friday 17:00 New York. A trading day runs 17:00 -> 17:00 New York and is labelled with
// the New York date at its close (the "trading date"): the session that opens Sunday 17:00 is
// Monday's. Trading dates that fall on a Saturday or Sunday, and the holidays (25 Dec and 1 Jan by
// default), are closed. New York observes DST, so in UTC the daily close is 21:00 (summer) or
// 22:00 (winter); the time zone rules come from the IANA database via libhowardhinnant-date.
// DST switches happen at 02:00 on a Sunday in New York, inside the weekend closure, so every open
// trading day is exactly 24 hours long.
// Lookups are fast (a binary search over precomputed UTC-offset transitions, no tz library call),
// so they are fine per bar; per-tick users should cache the day bounds (see TradingDayBounds).
// Thread-safety: a FxCalendar is immutable after construction and safe to share.
#pragma once

#include <compare>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace arus::fx {

// A calendar date as days since 1970-01-01. For trading dates, the New York date at the close.
struct Date {
  int64_t days = 0;

  static Date FromYmd(int64_t y, unsigned m, unsigned d);
  // "2024-01-02"; InvalidArgument otherwise.
  static Result<Date> Parse(std::string_view text);
  int64_t year() const;
  unsigned month() const;
  unsigned day() const;
  // 0 = Sunday ... 6 = Saturday.
  unsigned weekday() const;
  std::string ToString() const;  // "2024-01-02"

  Date operator+(int64_t n) const { return Date{days + n}; }
  Date operator-(int64_t n) const { return Date{days - n}; }
  auto operator<=>(const Date&) const = default;
};

// UTC offsets of one IANA zone, precomputed for 1970-2100 so lookups never call the tz library.
class ZoneOffsets {
 public:
  // NotFound if the zone is not in the system's tz database.
  static Result<std::shared_ptr<const ZoneOffsets>> Load(const std::string& zone_name);

  const std::string& name() const { return name_; }
  // Offset of local time from UTC at the UTC instant `t` (e.g. -5h for New York in winter).
  Duration OffsetAt(UnixNanos t) const;
  UnixNanos ToLocal(UnixNanos utc) const { return utc + OffsetAt(utc); }
  // The UTC instant of a local wall-clock time (nanoseconds since the local epoch). In a DST gap
  // the time is read with the offset before the gap; in an overlap, the earlier instant is taken.
  UnixNanos FromLocal(UnixNanos local) const;
  // UTC instant of `hour:minute` local time on local calendar date `date`.
  UnixNanos At(Date date, int hour, int minute) const;
  // The UTC interval [*begin, *end) around `t` over which OffsetAt(t) holds (unbounded ends are
  // UnixNanos::Min()/Max()).
  void SpanAt(UnixNanos t, UnixNanos* begin, UnixNanos* end) const;

 private:
  ZoneOffsets() = default;
  std::string name_;
  std::vector<int64_t> begins_;   // UTC seconds at which each offset starts, ascending
  std::vector<int64_t> offsets_;  // offset in seconds
};

struct TradingDayBounds {
  Date date;
  UnixNanos open;   // 17:00 New York on the previous calendar day
  UnixNanos close;  // 17:00 New York on `date`
};

class FxCalendar {
 public:
  struct Options {
    std::string zone = "America/New_York";
    int rollover_hour = 17;
    // Closed every year on these (month, day) trading dates.
    std::vector<std::pair<unsigned, unsigned>> annual_holidays = {{12, 25}, {1, 1}};
    // Extra one-off closed trading dates.
    std::vector<Date> extra_holidays;
  };

  static Result<std::unique_ptr<FxCalendar>> Create(Options options);
  // The standard calendar (New York 17:00, 25 Dec and 1 Jan). Aborts if the system has no tz
  // database, which setup-deps.sh installs (tzdata).
  static const FxCalendar& Default();

  const ZoneOffsets& zone() const { return *zone_; }

  // The trading date that instant `t` belongs to (17:00 New York starts the next date).
  Date TradingDateOf(UnixNanos t) const;
  TradingDayBounds Bounds(Date trading_date) const;
  TradingDayBounds BoundsAt(UnixNanos t) const { return Bounds(TradingDateOf(t)); }
  // Monday to Friday and not a holiday.
  bool IsTradingDay(Date trading_date) const;
  bool IsHoliday(Date trading_date) const;
  bool IsOpen(UnixNanos t) const { return IsTradingDay(TradingDateOf(t)); }
  // `t` itself if the market is open at `t`, else the next opening instant.
  UnixNanos NextOpen(UnixNanos t) const;
  // The first instant after `t` at which the market closes (end of the open stretch holding `t`,
  // or of the next one if closed at `t`).
  UnixNanos NextClose(UnixNanos t) const;
  // The next trading day strictly after `d`.
  Date NextTradingDay(Date d) const;
  // Trading dates in [from, to) that are open, in order.
  std::vector<Date> TradingDays(Date from, Date to) const;

 private:
  FxCalendar() = default;
  Options options_;
  std::shared_ptr<const ZoneOffsets> zone_;
};

// The four main FX sessions, each in its own city's local time and DST rules:
// Sydney 07:00-16:00 Australia/Sydney, Tokyo 09:00-18:00 Asia/Tokyo, London 08:00-17:00
// Europe/London, New York 08:00-17:00 America/New_York. A session is active only while the FX
// market is open.
enum class Session : uint8_t { kSydney = 0, kTokyo = 1, kLondon = 2, kNewYork = 3 };
inline constexpr int kSessionCount = 4;
std::string_view SessionName(Session s);
inline constexpr uint8_t SessionBit(Session s) { return static_cast<uint8_t>(1u << static_cast<int>(s)); }

class SessionClock {
 public:
  // Uses the default FX calendar. Aborts without a tz database (see FxCalendar::Default()).
  static const SessionClock& Default();
  explicit SessionClock(const FxCalendar& calendar);

  // Bit i set when Session(i) is active at `t`.
  uint8_t ActiveMask(UnixNanos t) const;
  bool IsActive(Session s, UnixNanos t) const { return (ActiveMask(t) & SessionBit(s)) != 0; }
  // True when two or more sessions overlap (e.g. London/New York 08:00-12:00 New York).
  bool IsOverlap(UnixNanos t) const;

 private:
  struct Spec {
    std::shared_ptr<const ZoneOffsets> zone;
    int open_minute;   // minutes after local midnight
    int close_minute;
  };
  const FxCalendar& calendar_;
  Spec specs_[kSessionCount];
};

}  // namespace arus::fx
