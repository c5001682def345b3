// Bar timeframes and the bucketing rules that map an instant to the bar interval holding it.
//   M1, M5, M15, M30, H1: UTC multiples of their length. New York's UTC offset is a whole number
//     of hours, so these also align with New York minutes and hours and never straddle the
//     17:00 New York open/close.
//   H4: four-hour buckets anchored at the 17:00 New York rollover: 17, 21, 01, 05, 09, 13 New York
//     time (in UTC they move by an hour when New York changes DST; Europe's switches do not
//     matter).
//   D1: one trading day, 17:00 -> 17:00 New York (fx::FxCalendar::Bounds); labelled with its
//   trading
//     date, the New York date at its close.
//   W1: Sunday 17:00 New York open -> Friday 17:00 New York close, labelled with its first trading
//     date (normally the Monday).
// Intervals are half-open [open, close); Bar::ts_close is `close`, the instant the bar is complete.
// See docs/bars.md. Thread-safety: free functions on immutable data; safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/status.h"
#include "core/tick.h"
#include "core/time.h"
#include "fx/calendar.h"

namespace arus::bars {

enum class Timeframe : uint8_t { kM1 = 0, kM5, kM15, kM30, kH1, kH4, kD1, kW1 };
inline constexpr int kTimeframeCount = 8;
inline constexpr std::array<Timeframe, kTimeframeCount> kAllTimeframes = {
    Timeframe::kM1, Timeframe::kM5, Timeframe::kM15, Timeframe::kM30,
    Timeframe::kH1, Timeframe::kH4, Timeframe::kD1,  Timeframe::kW1};

// "M1", "M5", "M15", "M30", "H1", "H4", "D1", "W1".
std::string_view TimeframeName(Timeframe tf);
// Case-insensitive ("h1" works). InvalidArgument listing the valid names otherwise.
Result<Timeframe> ParseTimeframe(std::string_view text);
// Length of a full bar: M1 = 1 min ... H4 = 4 h, D1 = 24 h, W1 = 5 days (Sun 17:00 -> Fri 17:00).
Duration NominalDuration(Timeframe tf);
// True for M1..H1, whose buckets are plain UTC multiples (no calendar needed).
inline constexpr bool IsFixedLength(Timeframe tf) { return tf <= Timeframe::kH1; }

struct BarInterval {
  UnixNanos open;   // inclusive
  UnixNanos close;  // exclusive; becomes Bar::ts_close
  bool operator==(const BarInterval&) const = default;
};

// The bucket a tick at `t` falls into. Meaningful for instants at which the market is open (the
// only ones that make bars). For closed instants the result is still well defined, but for W1 on a
// weekend it is the following week's interval, which does not contain `t`.
BarInterval BucketOf(Timeframe tf, UnixNanos t, const fx::FxCalendar& calendar);

// The trading date a bar is labelled with: the trading date of its interval for M1..D1 (for D1 the
// New York date at its close), the first open trading date of the week for W1.
fx::Date TradingDateLabel(Timeframe tf, const Bar& bar, const fx::FxCalendar& calendar);

}  // namespace arus::bars
