// Helpers shared by the store's tests: scratch directories and tick generators.
#pragma once

#include <unistd.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/tick.h"
#include "core/time.h"

namespace arus::store::testing {

// A fresh, empty directory under $ARUS_TEST_TMP (or the system temp dir).
inline std::string TestDir(const std::string& name) {
  const char* base = std::getenv("ARUS_TEST_TMP");
  std::filesystem::path p =
      base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
  p /= "store_" + name + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

inline bool BitIdentical(std::span<const QuoteTick> a, std::span<const QuoteTick> b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(QuoteTick)) == 0);
}

inline Price P(int64_t scaled, int decimals) { return Price::FromScaled(scaled, decimals); }

// Realistic FX: a tick every 100-500 ms (whole ms), a random walk of 0-2 points per tick, spreads
// of 1-20 points and volumes from a small set of lot sizes (millions).
inline std::vector<QuoteTick> RealisticTicks(uint64_t seed, UnixNanos start, size_t n,
                                             int decimals = 5, int64_t start_price = 110000) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> gap_ms(100, 500);
  std::uniform_int_distribution<int> step(-2, 2);
  std::uniform_int_distribution<int> spread(1, 20);
  static constexpr float kVolumes[] = {0.75f, 1.0f, 1.5f, 2.25f, 3.0f, 4.5f, 0.5f, 2.0f};
  std::uniform_int_distribution<int> vol(0, 7);
  std::vector<QuoteTick> out(n);
  int64_t t = start.ns();
  int64_t bid = start_price;
  for (size_t i = 0; i < n; ++i) {
    t += gap_ms(rng) * kNanosPerMilli;
    bid += step(rng);
    out[i].ts_event = UnixNanos(t);
    out[i].bid = P(bid, decimals);
    out[i].ask = P(bid + spread(rng), decimals);
    out[i].bid_volume = kVolumes[vol(rng)];
    out[i].ask_volume = kVolumes[vol(rng)];
  }
  return out;
}

// Adversarial but valid ticks: equal timestamps, ns-granular and huge gaps (weekends), prices
// that jump across the whole int64 range at 9 decimals or stay on a `decimals` grid, odd floats.
inline std::vector<QuoteTick> WildTicks(uint64_t seed, UnixNanos start, size_t n, int decimals,
                                        bool extreme_prices) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> kind(0, 99);
  const int64_t grid = Pow10(9 - decimals);
  std::vector<QuoteTick> out(n);
  int64_t t = start.ns();
  int64_t bid = 150 * Pow10(decimals);  // 150.0 at `decimals`
  const float odd[] = {0.0f,
                       -0.0f,
                       1.5f,
                       2.25f,
                       std::numeric_limits<float>::infinity(),
                       std::numeric_limits<float>::denorm_min(),
                       3.4e38f,
                       -1.0f,
                       std::numeric_limits<float>::quiet_NaN()};
  for (size_t i = 0; i < n; ++i) {
    const uint64_t k = rng() % 10000;
    if (k < 1500) {
      // equal timestamp
    } else if (k < 7000) {
      t += static_cast<int64_t>(rng() % 500) * kNanosPerMilli;
    } else if (k < 9900) {
      t += static_cast<int64_t>(rng() % 2'000'000'000);  // ns granular
    } else if (k < 9995) {
      t += static_cast<int64_t>(rng() % (3 * kNanosPerHour));
    } else {
      t += 2 * kNanosPerDay + static_cast<int64_t>(rng() % kNanosPerDay);  // weekend-sized gap
    }
    QuoteTick& q = out[i];
    q.ts_event = UnixNanos(t);
    if (extreme_prices && kind(rng) < 10) {
      q.bid = Price::FromRaw(static_cast<int64_t>(rng()) / grid * grid);
      q.ask = Price::FromRaw(static_cast<int64_t>(rng()) / grid * grid);
    } else {
      const int m = kind(rng);
      bid += m < 80 ? static_cast<int64_t>(rng() % 5) - 2
                    : static_cast<int64_t>(rng() % 20001) - 10000;
      q.bid = P(bid, decimals);
      q.ask = P(bid + static_cast<int64_t>(rng() % 40) - 5, decimals);  // occasionally crossed
    }
    if (kind(rng) < 90) {
      q.bid_volume = static_cast<float>(1 + rng() % 8) * 0.75f;
      q.ask_volume = static_cast<float>(1 + rng() % 4) * 0.5f;
    } else {
      q.bid_volume = odd[rng() % std::size(odd)];
      q.ask_volume = std::bit_cast<float>(static_cast<uint32_t>(rng()));
    }
  }
  return out;
}

}  // namespace arus::store::testing
