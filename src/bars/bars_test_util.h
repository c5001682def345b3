// Helpers shared by the bars tests (not part of the library).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <random>
#include <string_view>
#include <vector>

#include "core/price.h"
#include "core/tick.h"
#include "core/time.h"

namespace arus::bars::testing {

inline UnixNanos T(std::string_view iso) {
  Result<UnixNanos> r = ParseIsoUtc(iso);
  if (!r.ok()) std::abort();
  return *r;
}

inline Price P(std::string_view text) {
  Result<Price> r = Price::Parse(text);
  if (!r.ok()) std::abort();
  return *r;
}

inline QuoteTick Q(std::string_view iso, std::string_view bid, std::string_view ask, float bv = 0,
                   float av = 0) {
  return QuoteTick{T(iso), P(bid), P(ask), bv, av};
}

// Random but ordered ticks from `start`: mostly sub-minute gaps, some repeated timestamps, some
// gaps of minutes to hours, rare gaps of a day or more; ticks land on weekends and holidays too.
inline std::vector<QuoteTick> RandomTicks(uint64_t seed, UnixNanos start, size_t n,
                                          int64_t mean_gap_ms = 20'000) {
  std::mt19937_64 rng(seed);
  std::vector<QuoteTick> out;
  out.reserve(n);
  int64_t t = start.ns();
  int64_t bid = 110'000;  // 1.10000 at 5 decimals
  std::exponential_distribution<double> gap(1.0 / static_cast<double>(mean_gap_ms));
  for (size_t i = 0; i < n; ++i) {
    const uint64_t r = rng() % 1000;
    if (r < 50) {
      // same timestamp as the previous tick
    } else if (r < 990) {
      t += static_cast<int64_t>(gap(rng) * kNanosPerMilli) + static_cast<int64_t>(rng() % 1000);
    } else if (r < 998) {
      t += static_cast<int64_t>(rng() % (3 * kNanosPerHour));
    } else {
      t += static_cast<int64_t>(rng() % (2 * kNanosPerDay));
    }
    bid += static_cast<int64_t>(rng() % 7) - 3;
    const int64_t spread = 1 + static_cast<int64_t>(rng() % 30);
    const float bv = static_cast<float>(rng() % 100) * 0.1f;
    const float av = static_cast<float>(rng() % 100) * 0.37f;
    out.push_back(
        {UnixNanos(t), Price::FromScaled(bid, 5), Price::FromScaled(bid + spread, 5), bv, av});
  }
  return out;
}

}  // namespace arus::bars::testing
