// Fixed-point money: an int64 count of micro-units (1e-6) of one currency. Account ledgers book
// every amount (realised P&L, commission, swap) as Money, rounded to the nearest micro-unit when
// it is booked, so balances add up exactly and the same run gives the same cents on any machine.
// Marks (unrealised P&L, equity between bookings) are computed in double and rounded the same way.
// +-9.2e12 units of a currency fit. Thread-safety: value type.
#pragma once

#include <cmath>
#include <compare>
#include <cstdint>

namespace arus {

inline constexpr int64_t kMoneyScale = 1'000'000;

class Money {
 public:
  constexpr Money() = default;
  static constexpr Money FromMicros(int64_t micros) { return Money(micros); }
  // Rounds to the nearest micro-unit, half away from zero (never truncates).
  static Money FromDouble(double amount) { return Money(std::llround(amount * kMoneyScale)); }

  constexpr int64_t micros() const { return micros_; }
  double ToDouble() const { return static_cast<double>(micros_) / kMoneyScale; }

  constexpr auto operator<=>(const Money&) const = default;
  constexpr Money operator+(Money o) const { return Money(micros_ + o.micros_); }
  constexpr Money operator-(Money o) const { return Money(micros_ - o.micros_); }
  constexpr Money operator-() const { return Money(-micros_); }
  constexpr Money& operator+=(Money o) { micros_ += o.micros_; return *this; }
  constexpr Money& operator-=(Money o) { micros_ -= o.micros_; return *this; }

 private:
  constexpr explicit Money(int64_t micros) : micros_(micros) {}
  int64_t micros_ = 0;
};

}  // namespace arus
