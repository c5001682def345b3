// Open-market time helpers for the quality rules: how much of an interval the FX market was open
// (weekend and holiday closures do not count), a per-stream cache of the open/closed state so a
// hot loop rarely asks the calendar, and the New York hour of an instant.
// Thread-safety: OpenDuration and OpenTimeByNyHour are reentrant; the caches belong to one thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/time.h"
#include "fx/calendar.h"

namespace arus::quality {

// Open-market time inside [a, b) (zero when b <= a). Cost: one step per trading day spanned.
Duration OpenDuration(const fx::FxCalendar& calendar, UnixNanos a, UnixNanos b);

// Open-market time inside [a, b) split by the New York hour of day (0..23) it falls in.
std::array<Duration, 24> OpenTimeByNyHour(const fx::FxCalendar& calendar, UnixNanos a,
                                          UnixNanos b);

// Remembers the stretch [lo, hi) around the last lookup over which the market state is constant.
class OpenCache {
 public:
  explicit OpenCache(const fx::FxCalendar& calendar) : calendar_(&calendar) {}
  bool IsOpen(UnixNanos t) {
    if (t.ns() >= lo_ && t.ns() < hi_) return open_;
    Refresh(t);
    return open_;
  }
  // End of the constant stretch holding the last instant looked up: the next close if it was
  // open, the next open if it was closed.
  UnixNanos StretchEnd() const { return UnixNanos(hi_); }

 private:
  void Refresh(UnixNanos t);
  const fx::FxCalendar* calendar_;
  int64_t lo_ = 0;
  int64_t hi_ = 0;  // empty until the first lookup
  bool open_ = false;
};

// New York hour of day of an instant, cached per UTC hour (New York's offset is whole hours).
class NyHourCache {
 public:
  explicit NyHourCache(const fx::FxCalendar& calendar) : zone_(&calendar.zone()) {}
  int HourOf(UnixNanos t) {
    if (t.ns() >= lo_ && t.ns() < hi_) return hour_;
    Refresh(t);
    return hour_;
  }

 private:
  void Refresh(UnixNanos t);
  const fx::ZoneOffsets* zone_;
  int64_t lo_ = 0;
  int64_t hi_ = 0;
  int hour_ = 0;
};

// Human text for a duration: "1h05m", "30m00s", "2.5s", "850ms".
std::string FormatDuration(Duration d);

}  // namespace arus::quality
