#include "bars/timeframe.h"

#include <algorithm>
#include <string>

namespace arus::bars {

namespace {

constexpr std::array<std::string_view, kTimeframeCount> kNames = {"M1", "M5", "M15", "M30",
                                                                  "H1", "H4", "D1",  "W1"};

constexpr int64_t kFourHours = 4 * kNanosPerHour;

}  // namespace

std::string_view TimeframeName(Timeframe tf) {
  const auto i = static_cast<size_t>(tf);
  return i < kNames.size() ? kNames[i] : "?";
}

Result<Timeframe> ParseTimeframe(std::string_view text) {
  for (int i = 0; i < kTimeframeCount; ++i) {
    const std::string_view name = kNames[i];
    if (text.size() == name.size() &&
        std::equal(text.begin(), text.end(), name.begin(), [](char a, char b) {
          return (a >= 'a' && a <= 'z' ? static_cast<char>(a - 'a' + 'A') : a) == b;
        })) {
      return kAllTimeframes[i];
    }
  }
  std::string valid;
  for (std::string_view n : kNames) {
    if (!valid.empty()) valid += ", ";
    valid += n;
  }
  return InvalidArgument("unknown timeframe '" + std::string(text) + "' (valid: " + valid + ")");
}

Duration NominalDuration(Timeframe tf) {
  switch (tf) {
    case Timeframe::kM1:
      return Duration(kNanosPerMinute);
    case Timeframe::kM5:
      return Duration(5 * kNanosPerMinute);
    case Timeframe::kM15:
      return Duration(15 * kNanosPerMinute);
    case Timeframe::kM30:
      return Duration(30 * kNanosPerMinute);
    case Timeframe::kH1:
      return Duration(kNanosPerHour);
    case Timeframe::kH4:
      return Duration(kFourHours);
    case Timeframe::kD1:
      return Duration(kNanosPerDay);
    case Timeframe::kW1:
      return Duration(5 * kNanosPerDay);
  }
  return Duration(0);
}

BarInterval BucketOf(Timeframe tf, UnixNanos t, const fx::FxCalendar& calendar) {
  if (IsFixedLength(tf)) {
    const Duration len = NominalDuration(tf);
    const UnixNanos open = t.FloorTo(len);
    return {open, open + len};
  }
  const fx::TradingDayBounds day = calendar.BoundsAt(t);
  switch (tf) {
    case Timeframe::kH4: {
      // Open trading days are exactly 24 h (DST switches fall in the weekend closure), so counting
      // 4 h steps from the 17:00 open lands on 17, 21, 01, 05, 09, 13 New York. The clamp only
      // matters on the 23 h / 25 h closed Sundays of a DST switch.
      const int64_t k = (t - day.open).count() / kFourHours;
      const UnixNanos open = day.open + Duration(k * kFourHours);
      return {open, std::min(open + Duration(kFourHours), day.close)};
    }
    case Timeframe::kD1:
      return {day.open, day.close};
    case Timeframe::kW1: {
      // Monday's trading day opens Sunday 17:00; Friday's closes Friday 17:00. Saturday and Sunday
      // trading dates (weekend closure) map to the next week.
      const unsigned wd = day.date.weekday();  // 0 = Sunday
      const fx::Date monday = wd == 0 ? day.date + 1 : wd == 6 ? day.date + 2 : day.date - (wd - 1);
      return {calendar.Bounds(monday).open, calendar.Bounds(monday + 4).close};
    }
    default:
      break;
  }
  return {t, t};  // unreachable
}

fx::Date TradingDateLabel(Timeframe tf, const Bar& bar, const fx::FxCalendar& calendar) {
  const fx::Date d = calendar.TradingDateOf(bar.ts_open);
  if (tf != Timeframe::kW1 || calendar.IsTradingDay(d)) return d;
  return calendar.NextTradingDay(d);
}

}  // namespace arus::bars
