// Time inside arus: int64 nanoseconds since the Unix epoch, UTC. Local time exists only in fx/.
// UnixNanos is a strong type so an instant is never confused with a duration or a price; its
// arithmetic is checked (overflow aborts in operators; CheckedAdd returns an error instead).
// Thread-safety: value types.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "core/status.h"

namespace arus {

using Duration = std::chrono::nanoseconds;

inline constexpr int64_t kNanosPerMicro = 1'000;
inline constexpr int64_t kNanosPerMilli = 1'000'000;
inline constexpr int64_t kNanosPerSecond = 1'000'000'000;
inline constexpr int64_t kNanosPerMinute = 60 * kNanosPerSecond;
inline constexpr int64_t kNanosPerHour = 60 * kNanosPerMinute;
inline constexpr int64_t kNanosPerDay = 24 * kNanosPerHour;

[[noreturn]] void TimeOverflow(const char* op);

class UnixNanos {
 public:
  constexpr UnixNanos() = default;
  constexpr explicit UnixNanos(int64_t ns) : ns_(ns) {}

  static constexpr UnixNanos Min() { return UnixNanos(std::numeric_limits<int64_t>::min()); }
  static constexpr UnixNanos Max() { return UnixNanos(std::numeric_limits<int64_t>::max()); }
  static constexpr UnixNanos FromSeconds(int64_t s) { return UnixNanos(s * kNanosPerSecond); }
  static constexpr UnixNanos FromMillis(int64_t ms) { return UnixNanos(ms * kNanosPerMilli); }

  constexpr int64_t ns() const { return ns_; }
  constexpr auto operator<=>(const UnixNanos&) const = default;

  UnixNanos operator+(Duration d) const {
    int64_t r;
    if (__builtin_add_overflow(ns_, d.count(), &r)) TimeOverflow("UnixNanos + Duration");
    return UnixNanos(r);
  }
  UnixNanos operator-(Duration d) const {
    int64_t r;
    if (__builtin_sub_overflow(ns_, d.count(), &r)) TimeOverflow("UnixNanos - Duration");
    return UnixNanos(r);
  }
  Duration operator-(UnixNanos o) const {
    int64_t r;
    if (__builtin_sub_overflow(ns_, o.ns_, &r)) TimeOverflow("UnixNanos - UnixNanos");
    return Duration(r);
  }
  UnixNanos& operator+=(Duration d) { return *this = *this + d; }
  UnixNanos& operator-=(Duration d) { return *this = *this - d; }

  // Largest multiple of `step` that is <= this instant (floor, also for negative instants).
  UnixNanos FloorTo(Duration step) const;

  // "2024-01-02T17:00:00.123Z": as many fractional digits as needed (0, 3, 6 or 9).
  std::string ToIso() const;

 private:
  int64_t ns_ = 0;
};

// Returns OutOfRange instead of aborting.
Result<UnixNanos> CheckedAdd(UnixNanos t, Duration d);

// Days since 1970-01-01 (proleptic Gregorian) <-> civil date; exact for every int64 instant.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);

// Parses UTC instants: "2024-01-02", "2024-01-02T17:00", "2024-01-02T17:00:00",
// "2024-01-02 17:00:00.123456789", with an optional trailing "Z" or "+00:00". Anything else
// (including offsets other than zero) is an InvalidArgument naming the text.
Result<UnixNanos> ParseIsoUtc(std::string_view text);

// Parses a duration such as "500ms", "30s", "5m", "4h", "2d", "250us", "10ns".
Result<Duration> ParseDuration(std::string_view text);
// Duration text in the largest unit that divides it exactly ("10m", "90m", "1d", "1500ms",
// "7ns"); ParseDuration reads it back. Canonical configs and column names use it.
std::string CanonicalDuration(Duration d);

}  // namespace arus
