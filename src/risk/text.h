// Internal to risk/: number formatting for rejection reasons and config messages. Reasons are
// read by people and kept in the run's rejection list, so amounts carry thousands separators and
// a fixed number of decimals. Only used when a message is built (off the hot path).
// Thread-safety: pure functions.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>

#include "core/format.h"

namespace arus::risk::internal {

// "1,234,567.89" (two decimals, '-' for negatives).
inline std::string Amount(double v) {
  if (!std::isfinite(v)) return std::to_string(v);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", std::fabs(v));
  std::string digits(buf);
  const size_t dot = digits.find('.');
  std::string out = v < 0 && std::fabs(v) >= 0.005 ? "-" : "";
  for (size_t i = 0; i < dot; ++i) {
    if (i > 0 && (dot - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  out += digits.substr(dot);
  return out;
}

// Fixed decimals: Fixed(2.3456, 2) == "2.35".
inline std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

// 0.0213 -> "2.13%".
inline std::string Percent(double fraction) { return Fixed(fraction * 100.0, 2) + "%"; }

}  // namespace arus::risk::internal
