#include "quality/market_time.h"

#include <algorithm>
#include <cstdio>
#include <string>

namespace arus::quality {

namespace {

int64_t FloorMod(int64_t a, int64_t b) {
  const int64_t m = a % b;
  return m < 0 ? m + b : m;
}

}  // namespace

Duration OpenDuration(const fx::FxCalendar& calendar, UnixNanos a, UnixNanos b) {
  int64_t total = 0;
  UnixNanos t = a;
  while (t < b) {
    const fx::Date d = calendar.TradingDateOf(t);
    const UnixNanos close = calendar.Bounds(d).close;
    const UnixNanos end = std::min(b, close);
    if (calendar.IsTradingDay(d)) total += (end - t).count();
    if (end <= t) break;  // cannot happen (t < close by construction); guards against a loop
    t = end;
  }
  return Duration(total);
}

std::array<Duration, 24> OpenTimeByNyHour(const fx::FxCalendar& calendar, UnixNanos a,
                                          UnixNanos b) {
  std::array<Duration, 24> out{};
  OpenCache open(calendar);
  NyHourCache hour(calendar);
  UnixNanos t = a;
  while (t < b) {
    if (!open.IsOpen(t)) {
      t = std::min(b, open.StretchEnd());
      continue;
    }
    // New York hours are UTC hours shifted by a whole number of hours.
    const UnixNanos next = t.FloorTo(Duration(kNanosPerHour)) + Duration(kNanosPerHour);
    const UnixNanos end = std::min(b, next);
    out[hour.HourOf(t)] += end - t;
    t = end;
  }
  return out;
}

void OpenCache::Refresh(UnixNanos t) {
  const fx::Date d = calendar_->TradingDateOf(t);
  const fx::TradingDayBounds bounds = calendar_->Bounds(d);
  lo_ = bounds.open.ns();
  if (calendar_->IsTradingDay(d)) {
    open_ = true;
    hi_ = calendar_->NextClose(t).ns();
  } else {
    open_ = false;
    hi_ = calendar_->NextOpen(t).ns();
  }
  if (t.ns() < lo_) lo_ = t.ns();  // never true; keeps [lo, hi) holding t
}

void NyHourCache::Refresh(UnixNanos t) {
  const int64_t local = zone_->ToLocal(t).ns();
  const int64_t into_hour = FloorMod(local, kNanosPerHour);
  lo_ = t.ns() - into_hour;
  hi_ = lo_ + kNanosPerHour;
  hour_ = static_cast<int>(FloorMod(local - into_hour, kNanosPerDay) / kNanosPerHour);
}

std::string FormatDuration(Duration d) {
  int64_t ns = d.count();
  std::string sign;
  if (ns < 0) {
    sign = "-";
    ns = -ns;
  }
  char buf[64];
  if (ns < kNanosPerSecond) {
    std::snprintf(buf, sizeof buf, "%gms", static_cast<double>(ns) / kNanosPerMilli);
  } else if (ns < kNanosPerMinute) {
    std::snprintf(buf, sizeof buf, "%gs",
                  static_cast<double>(ns / kNanosPerMilli) / 1000.0);
  } else if (ns < kNanosPerHour) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds",
                  static_cast<long long>(ns / kNanosPerMinute),
                  static_cast<long long>(ns % kNanosPerMinute / kNanosPerSecond));
  } else if (ns < kNanosPerDay) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm%02llds",
                  static_cast<long long>(ns / kNanosPerHour),
                  static_cast<long long>(ns % kNanosPerHour / kNanosPerMinute),
                  static_cast<long long>(ns % kNanosPerMinute / kNanosPerSecond));
  } else {
    std::snprintf(buf, sizeof buf, "%lldd%02lldh%02lldm",
                  static_cast<long long>(ns / kNanosPerDay),
                  static_cast<long long>(ns % kNanosPerDay / kNanosPerHour),
                  static_cast<long long>(ns % kNanosPerHour / kNanosPerMinute));
  }
  return sign + buf;
}

}  // namespace arus::quality
