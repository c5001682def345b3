#include "store/bar_codec.h"

#include <gtest/gtest.h>

#include <random>

#include "store/column_format.h"
#include "store/store_test_util.h"

namespace arus::store {
namespace {

using testing::BarRows;
using testing::BitIdentical;

const UnixNanos kStart = UnixNanos::FromSeconds(1709510400);  // 2024-03-04T00:00:00Z

BarRows RoundTrip(const BarRows& in, int decimals) {
  BarBlockEncoder enc;
  BarBlockDecoder dec;
  std::string stored;
  EncodedBlock meta;
  const Status s = enc.Encode(in.bars, in.flags, decimals, &stored, &meta);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(meta.tick_count, in.size());
  EXPECT_EQ(meta.first_ts, in.bars.front().ts_open.ns());
  EXPECT_EQ(meta.last_ts, in.bars.back().ts_open.ns());
  EXPECT_EQ(meta.checksum, Checksum(stored));
  BarRows out;
  const Status d = dec.Decode(stored, meta.checksum, meta.raw_size, meta.tick_count, decimals,
                              &out.bars, &out.flags);
  EXPECT_TRUE(d.ok()) << d.ToString();
  return out;
}

TEST(BarCodecTest, RealisticBarsRoundTripBitForBit) {
  for (int decimals : {5, 3, 2}) {
    const BarRows in =
        testing::RealisticBars(decimals, kStart, 5000, Duration(kNanosPerMinute), decimals);
    const BarRows out = RoundTrip(in, decimals);
    EXPECT_TRUE(BitIdentical(out.bars, in.bars)) << decimals;
    EXPECT_EQ(out.flags, in.flags);
  }
  // One bar, and a block whose flags were given as "none" (all zero).
  const BarRows one = testing::RealisticBars(1, kStart, 1, Duration(kNanosPerHour));
  EXPECT_TRUE(BitIdentical(RoundTrip(one, 5).bars, one.bars));
  BarRows no_flags = testing::RealisticBars(2, kStart, 100, Duration(kNanosPerMinute));
  no_flags.flags.clear();
  BarBlockEncoder enc;
  BarBlockDecoder dec;
  std::string stored;
  EncodedBlock meta;
  ASSERT_TRUE(enc.Encode(no_flags.bars, {}, 5, &stored, &meta).ok());
  BarRows out;
  ASSERT_TRUE(
      dec.Decode(stored, meta.checksum, meta.raw_size, meta.tick_count, 5, &out.bars, &out.flags)
          .ok());
  EXPECT_TRUE(BitIdentical(out.bars, no_flags.bars));
  EXPECT_EQ(out.flags, std::vector<uint8_t>(100, 0));
}

TEST(BarCodecTest, WildBarsRoundTripBitForBit) {
  for (uint64_t seed = 0; seed < 40; ++seed) {
    const int decimals = static_cast<int>(seed % 10);
    const BarRows in = testing::WildBars(seed, kStart, 1 + seed * 97 % 3000, decimals, seed % 2);
    const BarRows out = RoundTrip(in, decimals);
    ASSERT_TRUE(BitIdentical(out.bars, in.bars)) << "seed " << seed;
    ASSERT_EQ(out.flags, in.flags) << "seed " << seed;
  }
}

TEST(BarCodecTest, RealisticM1BarsAreSmall) {
  const BarRows in = testing::RealisticBars(7, kStart, 8192, Duration(kNanosPerMinute));
  std::string payload;
  size_t ends[kBarColumnCount];
  EncodeBarPayload(in.bars, in.flags, 5, &payload, ends);
  // Times are regular: one byte per bar (60 s in units of seconds, left to zstd), and the
  // durations do not change: a width 0 column (header only).
  EXPECT_EQ(ends[0], colfmt::kIntColumnHeader + 8192);
  EXPECT_EQ(ends[1] - ends[0], colfmt::kIntColumnHeader);
  // Prices pack to one byte per bar.
  for (int k = 2; k <= 5; ++k) EXPECT_LE(ends[k] - ends[k - 1], 16 + 8192 + 8 * 10u) << k;
  BarBlockEncoder enc;
  std::string stored;
  EncodedBlock meta;
  ASSERT_TRUE(enc.Encode(in.bars, in.flags, 5, &stored, &meta).ok());
  EXPECT_LT(static_cast<double>(stored.size()) / in.size(), 12.0);  // vs 81 bytes in memory
}

// Transform byte of column k of a payload.
uint8_t TransformOf(const std::string& payload, const size_t* ends, int k) {
  return static_cast<uint8_t>(payload[(k == 0 ? 0 : ends[k - 1]) + 1]);
}

TEST(BarCodecTest, VolumeAndSpreadMeanTakeTheirIntegerFormsOnlyWhenExact) {
  constexpr int kVolume = 8, kSpreadMean = 9;
  const BarRows base = testing::RealisticBars(12, kStart, 2000, Duration(kNanosPerMinute));
  auto check = [&](const BarRows& in, uint8_t want_volume, uint8_t want_spread, const char* what) {
    std::string payload;
    size_t ends[kBarColumnCount];
    EncodeBarPayload(in.bars, in.flags, 5, &payload, ends);
    EXPECT_EQ(TransformOf(payload, ends, kVolume), want_volume) << what;
    EXPECT_EQ(TransformOf(payload, ends, kSpreadMean), want_spread) << what;
    const BarRows out = RoundTrip(in, 5);
    EXPECT_TRUE(BitIdentical(out.bars, in.bars)) << what;
    return ends[kSpreadMean] - ends[kSpreadMean - 1];
  };
  // Aggregator output: lot sums are dyadic, means come from integer spread sums.
  const size_t compact = check(base, 1, 1, "aggregator-like");
  EXPECT_LT(compact, 16 + 2 * base.size() + 8 * 20);
  // Float volumes as a Dukascopy feed sums them (double of float + double of float).
  BarRows floats = base;
  std::mt19937 rng(1);
  for (Bar& b : floats.bars) {
    b.volume = 0;
    for (int k = 0; k < 5; ++k) {
      b.volume += static_cast<double>(static_cast<float>(rng() % 1000) * 0.01f) +
                  static_cast<double>(static_cast<float>(rng() % 500) * 0.0137f);
    }
  }
  check(floats, 1, 1, "float sums");
  // One bar that breaks each form: the whole block's column falls back to raw bits.
  BarRows odd = base;
  odd.bars[700].spread_mean = std::nextafter(odd.bars[700].spread_mean, 1.0);
  odd.bars[900].volume = -0.0;
  const size_t raw = check(odd, 0, 0, "one odd bar");
  EXPECT_GT(raw, compact);
  for (double v : {std::numeric_limits<double>::quiet_NaN(), 1e-300, 1e300,
                   std::numeric_limits<double>::infinity()}) {
    BarRows bad = base;
    bad.bars[5].volume = v;
    check(bad, 0, 1, "odd volume");
  }
  // A filled bar must carry a +0 mean; a mean without ticks is kept as raw bits.
  BarRows no_ticks = base;
  no_ticks.bars[3].tick_count = 0;
  no_ticks.bars[3].spread_mean = 1e-5;
  check(no_ticks, 1, 0, "mean without ticks");
}

TEST(BarCodecTest, RequiredDecimals) {
  BarRows in = testing::RealisticBars(3, kStart, 10, Duration(kNanosPerMinute), 3);
  EXPECT_EQ(RequiredBarDecimals(in.bars, 0), 3);
  EXPECT_EQ(RequiredBarDecimals(in.bars, 5), 5);
  in.bars[4].spread_max = Price::FromRaw(in.bars[4].spread_max.raw() + 10);  // 8 decimals
  EXPECT_EQ(RequiredBarDecimals(in.bars, 3), 8);
  in.bars[7].low = Price::FromRaw(in.bars[7].low.raw() + 1);
  EXPECT_EQ(RequiredBarDecimals(in.bars, 0), 9);
  EXPECT_EQ(RequiredBarDecimals(in.bars, 42), 9);
}

TEST(BarCodecTest, DecoderRejectsBadPayloadsWithoutCrashing) {
  const BarRows in = testing::WildBars(11, kStart, 700, 5, true);
  std::string good;
  EncodeBarPayload(in.bars, in.flags, 5, &good);
  std::vector<Bar> bars(in.size());
  std::vector<uint8_t> flags(in.size());
  const uint32_t n = static_cast<uint32_t>(in.size());
  ASSERT_TRUE(DecodeBarPayload(good, 5, n, bars.data(), flags.data()).ok());
  EXPECT_FALSE(DecodeBarPayload(good + "x", 5, n, bars.data(), flags.data()).ok());
  EXPECT_FALSE(
      DecodeBarPayload(good.substr(0, good.size() - 1), 5, n, bars.data(), flags.data()).ok());
  EXPECT_FALSE(DecodeBarPayload(good, 5, 0, bars.data(), flags.data()).ok());
  EXPECT_FALSE(DecodeBarPayload(good, 10, n, bars.data(), flags.data()).ok());
  std::mt19937_64 rng(5);
  int rejected = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string p = good;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
      p[rng() % p.size()] ^= static_cast<char>(1 + rng() % 255);
    }
    if (iter % 3 == 0) p.resize(rng() % p.size());
    const Status s = DecodeBarPayload(p, 5, n, bars.data(), flags.data());
    if (!s.ok()) {
      EXPECT_EQ(s.code(), StatusCode::kCorruption);
      ++rejected;
    }
  }
  // Flipped value bytes decode to other (valid) bars; headers, sizes and escapes do not.
  EXPECT_GT(rejected, 1000);
}

TEST(BarCodecTest, BlockDecoderChecksChecksumAndSizes) {
  const BarRows in = testing::RealisticBars(4, kStart, 300, Duration(kNanosPerMinute));
  BarBlockEncoder enc;
  BarBlockDecoder dec;
  std::string stored;
  EncodedBlock meta;
  ASSERT_TRUE(enc.Encode(in.bars, in.flags, 5, &stored, &meta).ok());
  BarRows out;
  std::string bad = stored;
  bad[bad.size() / 2] ^= 1;
  Status s = dec.Decode(bad, meta.checksum, meta.raw_size, 300, 5, &out.bars, &out.flags);
  EXPECT_NE(s.message().find("checksum mismatch"), std::string::npos) << s.ToString();
  s = dec.Decode(stored, meta.checksum, meta.raw_size + 1, 300, 5, &out.bars, &out.flags);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  s = dec.Decode(stored, meta.checksum, meta.raw_size, 299, 5, &out.bars, &out.flags);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_FALSE(enc.Encode({}, {}, 5, &stored, &meta).ok());
  EXPECT_FALSE(
      enc.Encode(in.bars, std::span<const uint8_t>(in.flags).subspan(1), 5, &stored, &meta).ok());
}

}  // namespace
}  // namespace arus::store
