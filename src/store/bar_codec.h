// Block codec of the store's bar series: turns up to a block's worth of bars (core::Bar plus a
// flags byte each) into a compact columnar payload and back. Eleven integer columns (the same
// packed-integer format as the tick columns, see column_format.h) hold time deltas, durations and
// prices relative to each other (open vs previous close, high/low vs the body), then zstd
// compresses the payload with one zstd block per column. volume and spread_mean are stored as the
// integers they are made from (a dyadic volume, the aggregator's spread sum) when that gives back
// every bit of the block's values, else as raw bit patterns: every field round-trips bit for bit.
// Layout: docs/store-format.md, "Bar block".
// The decoder treats its input as hostile: every length is bounds-checked and bad input yields a
// Corruption status, never a crash.
// Thread-safety: BarBlockEncoder/BarBlockDecoder hold scratch buffers and zstd contexts; one per
// thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tick.h"
#include "store/tick_codec.h"

namespace arus::store {

namespace colfmt {
class ZstdColumns;
}

// Bits of a stored bar's flags byte. Bits 1-7 are reserved: stored and returned as given.
inline constexpr uint8_t kBarFilled = 1u << 0;  // invented by a repair policy, not seen in the data

// How much time one bar partition covers: the trading dates of one calendar month or year.
enum class BarPeriod : uint8_t { kMonth = 1, kYear = 2 };

// Largest block the decoder accepts (a guard against hostile headers, not a tuning knob).
inline constexpr uint32_t kMaxBlockBars = 1u << 20;
// 8192 M1 bars (about 5.7 trading days) per block: bytes per bar are within 2 % of 64K-bar
// blocks, while a tail append re-encodes at most one block (bench/store_bench).
inline constexpr uint32_t kDefaultBlockBars = 1u << 13;

// Columns of a bar payload, in order: ts_open, duration, open, close, high, low, spread_max,
// tick_count, volume, spread_mean, flags.
inline constexpr int kBarColumnCount = 11;

// Smallest d in [hint, 9] at which open, high, low, close and spread_max of every bar are exact.
int RequiredBarDecimals(std::span<const Bar> bars, int hint);

// Upper bound on the raw payload size of a block of `n` bars (used to reject hostile sizes).
uint64_t MaxBarPayloadSize(uint64_t n);

// Encodes `bars` (non-empty, at most kMaxBlockBars, prices exact at `decimals`) with `flags`
// (same size, or empty for all zero) into the uncompressed payload, replacing `out`.
// `column_ends` (optional, kBarColumnCount entries) receives the offset just past each column.
void EncodeBarPayload(std::span<const Bar> bars, std::span<const uint8_t> flags, int decimals,
                      std::string* out, size_t* column_ends = nullptr);

// Decodes a payload of `n` bars into bars[0, n) and flags[0, n). Corruption (short reason, no
// path) if the payload is malformed.
Status DecodeBarPayload(std::string_view payload, int decimals, uint32_t n, Bar* bars,
                        uint8_t* flags);

class BarBlockEncoder {
 public:
  explicit BarBlockEncoder(int zstd_level = 1);
  ~BarBlockEncoder();
  BarBlockEncoder(const BarBlockEncoder&) = delete;
  BarBlockEncoder& operator=(const BarBlockEncoder&) = delete;

  // Appends the compressed block to `out` and describes it in `meta` (tick_count = bar count,
  // first_ts/last_ts = ts_open of the first and last bar).
  Status Encode(std::span<const Bar> bars, std::span<const uint8_t> flags, int decimals,
                std::string* out, EncodedBlock* meta);

 private:
  int level_;
  std::unique_ptr<colfmt::ZstdColumns> zstd_;
  std::string payload_;
};

class BarBlockDecoder {
 public:
  BarBlockDecoder();
  ~BarBlockDecoder();
  BarBlockDecoder(const BarBlockDecoder&) = delete;
  BarBlockDecoder& operator=(const BarBlockDecoder&) = delete;

  // Checks `stored` against `checksum`, decompresses it to exactly `raw_size` bytes and decodes
  // `n` bars into `bars` and `flags` (both resized to n).
  Status Decode(std::string_view stored, uint64_t checksum, uint32_t raw_size, uint32_t n,
                int decimals, std::vector<Bar>* bars, std::vector<uint8_t>* flags);

 private:
  std::unique_ptr<colfmt::ZstdColumns> zstd_;
  std::string payload_;
};

}  // namespace arus::store
