#include "store/tick_codec.h"

#include <gtest/gtest.h>

#include <bit>
#include <cstring>
#include <random>

#include "store/partition_file.h"
#include "store/store_test_util.h"

namespace arus::store {
namespace {

using testing::BitIdentical;
using testing::P;

const UnixNanos kStart = UnixNanos::FromSeconds(1704146400);  // 2024-01-01T22:00:00Z

std::vector<QuoteTick> RoundTrip(std::span<const QuoteTick> ticks, int decimals,
                                 AskEncoding enc = AskEncoding::kAuto, int level = 1) {
  BlockEncoder encoder(level, enc);
  std::string stored;
  EncodedBlock meta;
  EXPECT_TRUE(encoder.Encode(ticks, decimals, &stored, &meta).ok());
  EXPECT_EQ(meta.tick_count, ticks.size());
  EXPECT_EQ(meta.first_ts, ticks.front().ts_event.ns());
  EXPECT_EQ(meta.last_ts, ticks.back().ts_event.ns());
  EXPECT_EQ(meta.checksum, Checksum(stored));
  BlockDecoder decoder;
  std::vector<QuoteTick> out;
  const Status s = decoder.Decode(stored, meta.checksum, meta.raw_size,
                                  static_cast<uint32_t>(ticks.size()), decimals, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(TickCodecTest, RealisticRoundTripIsBitIdentical) {
  for (int decimals : {5, 3}) {
    for (AskEncoding enc : {AskEncoding::kAuto, AskEncoding::kSpread, AskEncoding::kDelta}) {
      const auto ticks = testing::RealisticTicks(7 + decimals, kStart, 50000, decimals);
      EXPECT_TRUE(BitIdentical(RoundTrip(ticks, decimals, enc), ticks));
    }
  }
}

TEST(TickCodecTest, WildRoundTripIsBitIdentical) {
  for (uint64_t seed = 0; seed < 40; ++seed) {
    const int decimals = static_cast<int>(seed % 10);
    const bool extreme = seed % 2 == 0;
    const size_t n = 1 + (seed * 7919) % 5000;
    const auto ticks = testing::WildTicks(seed, kStart, n, decimals, extreme);
    for (AskEncoding enc : {AskEncoding::kAuto, AskEncoding::kSpread, AskEncoding::kDelta}) {
      EXPECT_TRUE(BitIdentical(RoundTrip(ticks, decimals, enc), ticks)) << "seed " << seed;
    }
  }
}

TEST(TickCodecTest, Int64ExtremesRoundTrip) {
  const int64_t kMax = std::numeric_limits<int64_t>::max();
  const int64_t kMin = std::numeric_limits<int64_t>::min();
  std::vector<QuoteTick> ticks = {
      {UnixNanos(kMin), Price::FromRaw(kMin), Price::FromRaw(kMax), 0, 0},
      {UnixNanos(kMin), Price::FromRaw(kMax), Price::FromRaw(kMin), -0.0f, 1e-45f},
      {UnixNanos(0), Price::FromRaw(0), Price::FromRaw(-1), 3.4e38f, -3.4e38f},
      {UnixNanos(kMax), Price::FromRaw(kMin + 1), Price::FromRaw(kMax - 1), 1.5f, 2.25f},
  };
  EXPECT_TRUE(BitIdentical(RoundTrip(ticks, 9), ticks));
  EXPECT_TRUE(BitIdentical(RoundTrip(ticks, 9, AskEncoding::kDelta), ticks));
}

TEST(TickCodecTest, SingleTickAndConstantColumns) {
  std::vector<QuoteTick> one = {{kStart, P(110000, 5), P(110002, 5), 1.5f, 1.5f}};
  EXPECT_TRUE(BitIdentical(RoundTrip(one, 5), one));
  // All deltas zero and all volumes equal: width-0 columns, no per-tick bytes.
  std::vector<QuoteTick> flat(1000, one[0]);
  std::string payload;
  EncodePayload(flat, 5, AskEncoding::kAuto, &payload);
  EXPECT_LT(payload.size(), 100u);
  std::vector<QuoteTick> out(flat.size());
  ASSERT_TRUE(DecodePayload(payload, 5, 1000, out.data()).ok());
  EXPECT_TRUE(BitIdentical(out, flat));
}

TEST(TickCodecTest, ManyDistinctVolumesFallBackToRawAndRoundTrip) {
  auto ticks = testing::RealisticTicks(3, kStart, 20000);
  std::mt19937 rng(1);
  for (auto& t : ticks) {
    t.bid_volume = std::bit_cast<float>(static_cast<uint32_t>(rng()) & 0x7f7fffffu);
    t.ask_volume = static_cast<float>(rng() % 3000) * 0.01f;  // dictionary of <= 3000 values
  }
  EXPECT_TRUE(BitIdentical(RoundTrip(ticks, 5), ticks));
}

TEST(TickCodecTest, OutliersBecomeExceptionsNotWiderColumns) {
  // Mostly 1-byte deltas with a few huge jumps: the column stays 1 byte wide.
  auto ticks = testing::RealisticTicks(5, kStart, 10000);
  for (size_t i = 1000; i < ticks.size(); i += 1000) {
    for (size_t j = i; j < ticks.size(); ++j) {
      ticks[j].ts_event += Duration(3 * kNanosPerHour);
    }
  }
  std::string payload;
  EncodePayload(ticks, 5, AskEncoding::kAuto, &payload);
  // ts column header: width byte then transform (log10 unit) byte.
  EXPECT_EQ(static_cast<uint8_t>(payload[0]), 2);  // 100-500 ms fits in 2 bytes at unit 1 ms
  EXPECT_EQ(static_cast<uint8_t>(payload[1]), 6);
  uint32_t exceptions;
  std::memcpy(&exceptions, payload.data() + 4, 4);
  EXPECT_EQ(exceptions, 9u);
  EXPECT_TRUE(BitIdentical(RoundTrip(ticks, 5), ticks));
}

// Pins the payload layout documented in docs/store-format.md.
TEST(TickCodecTest, GoldenPayloadLayout) {
  const int64_t t0 = 1704146400000000000;
  std::vector<QuoteTick> ticks = {
      {UnixNanos(t0), P(110000, 5), P(110002, 5), 1.5f, 1.5f},
      {UnixNanos(t0 + kNanosPerMilli), P(110002, 5), P(110004, 5), 1.5f, 1.5f},
      {UnixNanos(t0 + kNanosPerMilli), P(110001, 5), P(110003, 5), 1.5f, 1.5f},
  };
  std::string want;
  auto u8 = [&](uint8_t v) { want.push_back(static_cast<char>(v)); };
  auto u16 = [&](uint16_t v) { want.append(reinterpret_cast<const char*>(&v), 2); };
  auto u32 = [&](uint32_t v) { want.append(reinterpret_cast<const char*>(&v), 4); };
  auto u64 = [&](uint64_t v) { want.append(reinterpret_cast<const char*>(&v), 8); };
  // ts: width 1, unit 10^6 ns, no exceptions, base t0, deltas 0, 1, 0 (ms)
  u8(1), u8(6), u16(0), u32(0), u64(t0), u8(0), u8(1), u8(0);
  // bid: width 1, base 110000, zigzag deltas 0, +2 -> 4, -1 -> 1
  u8(1), u8(0), u16(0), u32(0), u64(110000), u8(0), u8(4), u8(1);
  // ask: spread (transform 1), zigzag(2) = 4 for every tick
  u8(1), u8(1), u16(0), u32(0), u64(0), u8(4), u8(4), u8(4);
  // volumes: dictionary of one value, width 0
  for (int side = 0; side < 2; ++side) u8(0), u8(0), u16(0), u32(1), u32(0x3fc00000);
  std::string payload;
  EncodePayload(ticks, 5, AskEncoding::kAuto, &payload);
  EXPECT_EQ(payload, want);
}

TEST(TickCodecTest, RequiredDecimals) {
  std::vector<QuoteTick> t = {{kStart, P(110000, 5), P(110002, 5), 0, 0}};
  EXPECT_EQ(RequiredDecimals(t, 5), 5);
  EXPECT_EQ(RequiredDecimals(t, 2), 5);  // 1.10000 is exact at 2, 1.10002 needs 5
  t[0].ask = P(11, 1);
  EXPECT_EQ(RequiredDecimals(t, 0), 1);
  t[0].bid = P(1104115, 6);
  EXPECT_EQ(RequiredDecimals(t, 5), 6);
  t[0].bid = Price::FromRaw(1);
  EXPECT_EQ(RequiredDecimals(t, 3), 9);
}

TEST(TickCodecTest, ChecksumMismatchIsCorruption) {
  const auto ticks = testing::RealisticTicks(9, kStart, 1000);
  BlockEncoder enc;
  std::string stored;
  EncodedBlock meta;
  ASSERT_TRUE(enc.Encode(ticks, 5, &stored, &meta).ok());
  stored[stored.size() / 2] ^= 0x10;
  BlockDecoder dec;
  std::vector<QuoteTick> out;
  const Status s = dec.Decode(stored, meta.checksum, meta.raw_size, 1000, 5, &out);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("checksum mismatch"), std::string::npos);
}

// Hostile payloads (as if the checksum matched): never a crash, at worst a Corruption.
TEST(TickCodecTest, DecoderSurvivesMutatedPayloads) {
  std::mt19937_64 rng(42);
  std::vector<std::string> seeds;
  for (uint64_t s = 0; s < 4; ++s) {
    std::string p;
    EncodePayload(testing::WildTicks(s, kStart, 300, 5, s % 2 == 0), 5, AskEncoding::kAuto, &p);
    seeds.push_back(p);
  }
  std::vector<QuoteTick> out(400);
  int rejected = 0;
  for (int iter = 0; iter < 4000; ++iter) {
    std::string p = seeds[iter % seeds.size()];
    const int kind = static_cast<int>(rng() % 4);
    if (kind == 0) {
      p.resize(rng() % (p.size() + 1));
    } else if (kind == 1) {
      for (int k = 0; k < 1 + static_cast<int>(rng() % 8); ++k)
        p[rng() % p.size()] ^= 1 << (rng() % 8);
    } else if (kind == 2) {
      p[rng() % 48] = static_cast<char>(rng());  // column headers of ts/bid/ask
    } else {
      p.append(rng() % 16, static_cast<char>(rng()));
    }
    const uint32_t n = 300 + (kind == 3 ? static_cast<uint32_t>(rng() % 100) : 0);
    const Status s = DecodePayload(p, 5, n, out.data());
    if (!s.ok()) {
      EXPECT_EQ(s.code(), StatusCode::kCorruption);
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 1000);
  // Also through zstd: mutated compressed frames with a matching checksum.
  BlockEncoder enc;
  BlockDecoder dec;
  std::string stored;
  EncodedBlock meta;
  const auto ticks = testing::RealisticTicks(1, kStart, 2000);
  ASSERT_TRUE(enc.Encode(ticks, 5, &stored, &meta).ok());
  std::vector<QuoteTick> decoded;
  for (int iter = 0; iter < 1000; ++iter) {
    std::string s = stored;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k)
      s[rng() % s.size()] ^= 1 << (rng() % 8);
    const Status st = dec.Decode(s, Checksum(s), meta.raw_size, 2000, 5, &decoded);
    if (!st.ok()) {
      EXPECT_EQ(st.code(), StatusCode::kCorruption);
    }
  }
  EXPECT_FALSE(dec.Decode(stored, meta.checksum, meta.raw_size, 0, 5, &decoded).ok());
  EXPECT_FALSE(dec.Decode(stored, meta.checksum, 1u << 31, 2000, 5, &decoded).ok());
  EXPECT_FALSE(dec.Decode(stored, meta.checksum, meta.raw_size + 1, 2000, 5, &decoded).ok());
}

// Pins the partition file layout documented in docs/store-format.md (header, index, blocks).
TEST(PartitionFileTest, GoldenLayout) {
  const auto ticks = testing::RealisticTicks(3, kStart, 250);
  BlockEncoder enc;
  PartitionWriter w("EURUSD", 19724, 5, 100, &enc);  // 2024-01-02
  ASSERT_TRUE(w.AddTicks(ticks).ok());
  PartitionHeader h;
  const std::string f = w.Finish(&h);
  auto get = [&](size_t off, size_t len) {
    uint64_t v = 0;
    std::memcpy(&v, f.data() + off, len);
    return v;
  };
  EXPECT_EQ(f.substr(0, 8), "ARUSPART");
  EXPECT_EQ(get(8, 2), 1u);   // format version
  EXPECT_EQ(get(10, 2), 1u);  // kind: quote ticks
  EXPECT_EQ(get(12, 1), 5u);  // price decimals
  EXPECT_EQ(get(13, 1), 6u);  // symbol length
  EXPECT_EQ(f.substr(16, 6), "EURUSD");
  EXPECT_EQ(f.substr(22, 26), std::string(26, '\0'));
  EXPECT_EQ(get(48, 8), 19724u);
  EXPECT_EQ(get(56, 4), 3u);  // blocks of 100, 100, 50
  EXPECT_EQ(get(60, 4), 100u);
  EXPECT_EQ(get(64, 8), 250u);
  EXPECT_EQ(get(72, 8), static_cast<uint64_t>(ticks.front().ts_event.ns()));
  EXPECT_EQ(get(80, 8), static_cast<uint64_t>(ticks.back().ts_event.ns()));
  EXPECT_EQ(f.substr(88, 32), std::string(32, '\0'));
  EXPECT_EQ(get(120, 8), Checksum(std::string_view(f).substr(0, 120)));
  const size_t index = 128, data = 128 + 3 * 48 + 8;
  EXPECT_EQ(get(index + 3 * 48, 8), Checksum(std::string_view(f).substr(index, 3 * 48)));
  uint64_t expect_offset = data;
  const uint32_t counts[] = {100, 100, 50};
  for (size_t b = 0; b < 3; ++b) {
    const size_t e = index + b * 48;
    EXPECT_EQ(get(e, 8), expect_offset);
    const uint64_t stored = get(e + 8, 4);
    EXPECT_EQ(get(e + 16, 4), counts[b]);
    EXPECT_EQ(get(e + 20, 4), 0u);
    EXPECT_EQ(get(e + 24, 8), static_cast<uint64_t>(ticks[b * 100].ts_event.ns()));
    EXPECT_EQ(get(e + 32, 8), static_cast<uint64_t>(ticks[b * 100 + counts[b] - 1].ts_event.ns()));
    EXPECT_EQ(get(e + 40, 8), Checksum(std::string_view(f).substr(expect_offset, stored)));
    expect_offset += stored;
  }
  EXPECT_EQ(expect_offset, f.size());
  auto parsed = DecodeHeader(f, "x.atk");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->symbol, "EURUSD");
  EXPECT_EQ(parsed->tick_count, 250u);
  auto idx = DecodeIndex(std::string_view(f).substr(128, 3 * 48 + 8), *parsed, f.size(), "x.atk");
  ASSERT_TRUE(idx.ok()) << idx.status().ToString();
  EXPECT_EQ(idx->size(), 3u);
}

}  // namespace
}  // namespace arus::store
