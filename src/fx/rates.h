// RateBook: the latest bid/ask of every loaded currency pair, and currency conversion at those
// rates. The backtest converts P&L, margin, commission and swaps into the account currency with
// it at every fill and mark, so the hot calls (Update, Rate of a resolved Route) are inline, touch
// one or two cache lines and never allocate.
//
// Conversion uses the mid ((bid + ask) / 2) of the pairs on the route, never one side: the
// conversion is an accounting step, not a trade (and A->B->A returns the amount, to rounding).
// Routes, in order of preference:
//   1. same currency: rate 1;
//   2. a loaded pair FROMTO (rate = mid) or TOFROM (rate = 1 / mid);
//   3. through USD: FROM<->USD and USD<->TO, each leg direct or inverse;
//   4. through any other currency C that both legs share, C taken in alphabetical order
//      (so the choice is deterministic).
// A currency pair that no loaded pair connects is NotFound naming both currencies; a route whose
// pair has no quote yet is NotFound naming the pair. Nothing is ever guessed.
//
// Thread-safety: not thread-safe (Convert caches routes); one RateBook per event loop.
// Ownership: owns copies of the pair names; no references to the instruments are kept.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/price.h"
#include "core/status.h"
#include "fx/instrument.h"

namespace arus::fx {

class RateBook {
 public:
  // One conversion path: up to two legs, each the mid of a loaded pair or its inverse.
  struct Route {
    int legs = 0;  // 0 = same currency
    std::array<uint32_t, 2> pair{0, 0};
    std::array<bool, 2> invert{false, false};
  };

  // The pairs, in order: pair index i is pairs[i] (the backtest's InstrumentIndex).
  explicit RateBook(std::span<const Instrument> pairs);

  size_t size() const { return sums_.size(); }
  const std::string& symbol(size_t pair) const { return pairs_[pair].symbol; }

  // Sets the latest quote of pair `pair` (index < size(); bid, ask > 0). Stores the exact sum
  // bid + ask; the mid is computed when a conversion asks for it (the per-tick path is one add).
  void Update(size_t pair, Price bid, Price ask) { sums_[pair] = bid.raw() + ask.raw(); }
  bool HasRate(size_t pair) const { return sums_[pair] != 0; }
  // The mid (bid + ask) / 2 (within an ulp: a multiplication, not a division); NaN until the
  // first Update.
  double mid(size_t pair) const {
    return sums_[pair] == 0 ? std::numeric_limits<double>::quiet_NaN()
                            : static_cast<double>(sums_[pair]) * (0.5 / kPriceScale);
  }

  // The route converting `from` into `to` through the loaded pairs (whether or not they have
  // quotes yet). NotFound naming both currencies when none exists.
  Result<Route> FindRoute(std::string_view from, std::string_view to) const;

  // Rate of a route at the latest quotes (1 unit of `from` = rate units of `to`); NaN when a
  // pair on the route has no quote yet. Inline: the per-fill / per-mark path.
  double RateOrNaN(const Route& r) const {
    if (r.legs == 0) return 1.0;
    double rate = r.invert[0] ? 1.0 / mid(r.pair[0]) : mid(r.pair[0]);
    if (r.legs == 2) rate *= r.invert[1] ? 1.0 / mid(r.pair[1]) : mid(r.pair[1]);
    return rate;
  }
  // As RateOrNaN, with NotFound naming the pair that has no quote yet.
  Result<double> Rate(const Route& r, std::string_view from, std::string_view to) const;

  // `amount` of `from` in `to` at the latest mids. Routes are cached per currency pair.
  Result<double> Convert(double amount, std::string_view from, std::string_view to) const;

 private:
  struct Pair {
    std::string symbol;
    uint32_t base = 0;  // currency codes packed as 3 bytes (see Code)
    uint32_t quote = 0;
  };
  // "EUR" -> 0x455552; 0 for anything that is not 3 letters.
  static uint32_t Code(std::string_view ccy);
  // Direct (invert = false) or inverse leg converting a into b, or -1.
  int FindLeg(uint32_t a, uint32_t b, bool* invert) const;

  std::vector<Pair> pairs_;
  std::vector<int64_t> sums_;  // bid.raw() + ask.raw() of the latest quote; 0 = none yet
  mutable std::vector<std::pair<uint64_t, Route>> cache_;  // (from << 24 | to) -> route
};

}  // namespace arus::fx
