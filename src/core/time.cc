#include "core/time.h"

#include <charconv>
#include <cstdio>
#include <cstdlib>

namespace arus {

void TimeOverflow(const char* op) {
  std::fprintf(stderr, "arus: fatal: time arithmetic overflow in %s\n", op);
  std::abort();
}

UnixNanos UnixNanos::FloorTo(Duration step) const {
  const int64_t s = step.count();
  int64_t q = ns_ / s;
  if (ns_ % s != 0 && ns_ < 0) --q;
  return UnixNanos(q * s);
}

Result<UnixNanos> CheckedAdd(UnixNanos t, Duration d) {
  int64_t r;
  if (__builtin_add_overflow(t.ns(), d.count(), &r)) {
    return OutOfRange("time overflow: " + std::to_string(t.ns()) + " + " +
                      std::to_string(d.count()) + " ns");
  }
  return UnixNanos(r);
}

// Howard Hinnant's days_from_civil / civil_from_days.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

std::string UnixNanos::ToIso() const {
  int64_t days = ns_ / kNanosPerDay;
  int64_t rem = ns_ % kNanosPerDay;
  if (rem < 0) {
    rem += kNanosPerDay;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  const int64_t secs = rem / kNanosPerSecond;
  const int64_t frac = rem % kNanosPerSecond;
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                        static_cast<long long>(y), m, d, static_cast<long long>(secs / 3600),
                        static_cast<long long>(secs / 60 % 60), static_cast<long long>(secs % 60));
  if (frac != 0) {
    if (frac % kNanosPerMilli == 0) {
      n += std::snprintf(buf + n, sizeof buf - n, ".%03lld",
                         static_cast<long long>(frac / kNanosPerMilli));
    } else if (frac % kNanosPerMicro == 0) {
      n += std::snprintf(buf + n, sizeof buf - n, ".%06lld",
                         static_cast<long long>(frac / kNanosPerMicro));
    } else {
      n += std::snprintf(buf + n, sizeof buf - n, ".%09lld", static_cast<long long>(frac));
    }
  }
  buf[n++] = 'Z';
  return std::string(buf, n);
}

namespace {

bool ParseFixedDigits(std::string_view s, size_t pos, size_t n, unsigned* out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  *out = v;
  return true;
}

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m - 1];
}

}  // namespace

Result<UnixNanos> ParseIsoUtc(std::string_view text) {
  auto bad = [&](const char* why) {
    return InvalidArgument("bad time '" + std::string(text) + "': " + why +
                           " (expected e.g. 2024-01-02 or 2024-01-02T17:00:00.123Z, UTC)");
  };
  std::string_view s = text;
  if (!s.empty() && (s.back() == 'Z' || s.back() == 'z')) s.remove_suffix(1);
  if (s.size() >= 6 && (s.substr(s.size() - 6) == "+00:00" || s.substr(s.size() - 6) == "-00:00")) {
    s.remove_suffix(6);
  }
  unsigned y, mo, d;
  if (s.size() < 10 || !ParseFixedDigits(s, 0, 4, &y) || s[4] != '-' ||
      !ParseFixedDigits(s, 5, 2, &mo) || s[7] != '-' || !ParseFixedDigits(s, 8, 2, &d)) {
    return bad("date must be YYYY-MM-DD");
  }
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo)) return bad("no such date");
  unsigned hh = 0, mm = 0, ss = 0;
  int64_t frac = 0;
  size_t pos = 10;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return bad("expected 'T' after the date");
    if (!ParseFixedDigits(s, pos + 1, 2, &hh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ParseFixedDigits(s, pos + 4, 2, &mm)) {
      return bad("time must be HH:MM[:SS[.fff]]");
    }
    pos += 6;
    if (pos < s.size()) {
      if (s[pos] != ':' || !ParseFixedDigits(s, pos + 1, 2, &ss)) return bad("seconds must be :SS");
      pos += 3;
      if (pos < s.size()) {
        if (s[pos] != '.') return bad("unexpected text after the seconds");
        ++pos;
        size_t ndig = 0;
        while (pos < s.size() && ndig < 9 && s[pos] >= '0' && s[pos] <= '9') {
          frac = frac * 10 + (s[pos] - '0');
          ++pos;
          ++ndig;
        }
        if (ndig == 0 || pos != s.size()) return bad("fraction must be 1 to 9 digits");
        for (size_t i = ndig; i < 9; ++i) frac *= 10;
      }
    }
    if (hh > 23 || mm > 59 || ss > 59) return bad("hour, minute or second out of range");
  }
  const int64_t days = DaysFromCivil(y, mo, d);
  return UnixNanos(days * kNanosPerDay + hh * kNanosPerHour + mm * kNanosPerMinute +
                   ss * kNanosPerSecond + frac);
}

Result<Duration> ParseDuration(std::string_view text) {
  int64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  std::string_view unit(p, text.data() + text.size() - p);
  if (ec != std::errc() || p == text.data() || v < 0) {
    return InvalidArgument("bad duration '" + std::string(text) + "' (expected e.g. 30s, 5m, 4h)");
  }
  int64_t mul = 0;
  if (unit == "ns") mul = 1;
  else if (unit == "us") mul = kNanosPerMicro;
  else if (unit == "ms") mul = kNanosPerMilli;
  else if (unit == "s") mul = kNanosPerSecond;
  else if (unit == "m" || unit == "min") mul = kNanosPerMinute;
  else if (unit == "h") mul = kNanosPerHour;
  else if (unit == "d") mul = kNanosPerDay;
  else return InvalidArgument("bad duration unit in '" + std::string(text) + "' (ns, us, ms, s, m, h, d)");
  int64_t r;
  if (__builtin_mul_overflow(v, mul, &r)) return OutOfRange("duration too large: " + std::string(text));
  return Duration(r);
}

std::string CanonicalDuration(Duration d) {
  const int64_t ns = d.count();
  struct Unit {
    int64_t n;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{kNanosPerDay, "d"},    {kNanosPerHour, "h"},
                                    {kNanosPerMinute, "m"}, {kNanosPerSecond, "s"},
                                    {kNanosPerMilli, "ms"}, {kNanosPerMicro, "us"}};
  if (ns != 0) {
    for (const Unit& u : kUnits) {
      if (ns % u.n == 0) return std::to_string(ns / u.n) + u.name;
    }
  }
  return std::to_string(ns) + "ns";
}

}  // namespace arus
