// Fixed-point prices. A Price is an int64 count of nano-units (1e-9): every FX quote (5 decimals,
// 3 for JPY, 2 for gold) is exact, and so is the mid of two quotes. Prices are parsed from decimal
// text digit by digit, never through a double, so "1.10411" is exactly 1'104'110'000 raw.
// Indicators, features and models work in double: ToDouble() is a correctly rounded division, so it
// returns the same double as strtod on the original text.
// The store keeps prices at the instrument's own precision (see store/); this type is the in-memory
// form. Thread-safety: value type.
#pragma once

#include <cmath>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace arus {

inline constexpr int kPriceDecimals = 9;
inline constexpr int64_t kPriceScale = 1'000'000'000;

// 10^n for n in [0, 18].
int64_t Pow10(int n);

class Price {
 public:
  constexpr Price() = default;
  static constexpr Price FromRaw(int64_t raw) { return Price(raw); }
  // An integer at `decimals` decimals, e.g. Dukascopy's 110411 at 5 -> 1.10411. decimals in [0, 9].
  static Price FromScaled(int64_t value, int decimals) {
    return Price(value * Pow10(kPriceDecimals - decimals));
  }
  // Rounds to the nearest nano-unit (never truncates).
  static Price FromDouble(double x) { return Price(std::llround(x * kPriceScale)); }

  // Exact decimal parse of "[-+]digits[.digits]". Digits beyond the 9th decimal are rounded half
  // away from zero. Returns InvalidArgument for anything else (empty, exponents, junk, overflow).
  static Result<Price> Parse(std::string_view text);
  // Fast variant for hot loops: false on malformed text, no message built.
  static bool TryParse(std::string_view text, Price* out);

  constexpr int64_t raw() const { return raw_; }
  double ToDouble() const { return static_cast<double>(raw_) / static_cast<double>(kPriceScale); }
  // Value as an integer at `decimals` decimals, rounded to nearest (half away from zero).
  int64_t ToScaled(int decimals) const;
  // True when the price is exactly representable at `decimals` decimals.
  bool IsExactAt(int decimals) const { return raw_ % Pow10(kPriceDecimals - decimals) == 0; }
  // Decimal text with exactly `decimals` decimals (rounded), e.g. ToString(5) == "1.10411".
  std::string ToString(int decimals) const;
  // Appends the same text to `out` without allocating a temporary.
  void AppendTo(std::string* out, int decimals) const;

  constexpr auto operator<=>(const Price&) const = default;
  constexpr Price operator+(Price o) const { return Price(raw_ + o.raw_); }
  constexpr Price operator-(Price o) const { return Price(raw_ - o.raw_); }

 private:
  constexpr explicit Price(int64_t raw) : raw_(raw) {}
  int64_t raw_ = 0;
};

// Midpoint of bid and ask, exact at nano-unit resolution for quotes of up to 8 decimals.
constexpr Price Mid(Price bid, Price ask) { return Price::FromRaw((bid.raw() + ask.raw()) / 2); }

}  // namespace arus
