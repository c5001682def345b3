// Block codec of the tick store: turns up to a block's worth of QuoteTicks into a compact columnar
// payload and back. Columns (timestamps, bid, ask, bid volume, ask volume) are delta/dictionary
// encoded at fixed widths with an exception list for outliers, then the payload is compressed with
// zstd. The exact byte layout is documented in docs/store-format.md; this file is the reference.
// The decoder treats its input as hostile: every length and index is bounds-checked and bad input
// yields a Corruption status, never a crash or an out-of-bounds access.
// Thread-safety: BlockEncoder/BlockDecoder hold scratch buffers and zstd contexts; one per thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tick.h"

namespace arus::store {

namespace colfmt {
class ZstdColumns;
}

// Largest block the decoder accepts (a guard against hostile headers, not a tuning knob).
inline constexpr uint32_t kMaxBlockTicks = 1u << 20;
inline constexpr uint32_t kDefaultBlockTicks = 1u << 16;

// How the ask column is stored.
enum class AskEncoding : uint8_t {
  kAuto = 0,    // encoder picks the smaller of the two per block
  kSpread = 1,  // ask - bid of the same tick
  kDelta = 2,   // ask - previous ask
};

// Smallest d in [hint, 9] at which every bid and ask of `ticks` is exact (every Price is exact at
// 9, its resolution). `hint` is clamped to [0, 9].
int RequiredDecimals(std::span<const QuoteTick> ticks, int hint);

// Upper bound on the raw payload size of a block of `n` ticks (used to reject hostile sizes).
uint64_t MaxPayloadSize(uint64_t n);

// Columns of a payload, in order: ts, bid, ask, bid_volume, ask_volume.
inline constexpr int kColumnCount = 5;

// Encodes `ticks` (non-empty, at most kMaxBlockTicks, every price exact at `decimals`) into the
// uncompressed columnar payload, replacing `out`. `column_ends` (optional, kColumnCount entries)
// receives the offset just past each column.
void EncodePayload(std::span<const QuoteTick> ticks, int decimals, AskEncoding ask_encoding,
                   std::string* out, size_t* column_ends = nullptr);

// Decodes a payload written by EncodePayload for `n` ticks into out[0, n). Corruption (with a
// short reason, no path: the caller adds it) if the payload is malformed or inconsistent.
Status DecodePayload(std::string_view payload, int decimals, uint32_t n, QuoteTick* out);

struct EncodedBlock {
  uint32_t tick_count = 0;
  uint32_t raw_size = 0;  // payload size before compression
  int64_t first_ts = 0;
  int64_t last_ts = 0;
  uint64_t checksum = 0;  // xxh64 (seed 0) of the compressed bytes
};

// Encodes and compresses blocks. Reuses its buffers and zstd context across calls.
class BlockEncoder {
 public:
  explicit BlockEncoder(int zstd_level = 1, AskEncoding ask_encoding = AskEncoding::kAuto);
  ~BlockEncoder();
  BlockEncoder(const BlockEncoder&) = delete;
  BlockEncoder& operator=(const BlockEncoder&) = delete;

  // Appends the compressed block for `ticks` to `out` and describes it in `meta`.
  Status Encode(std::span<const QuoteTick> ticks, int decimals, std::string* out,
                EncodedBlock* meta);

 private:
  int level_;
  AskEncoding ask_encoding_;
  std::unique_ptr<colfmt::ZstdColumns> zstd_;  // keeps zstd.h out of this header
  std::string payload_;
};

// Verifies, decompresses and decodes blocks. Reuses its buffers and zstd context across calls.
class BlockDecoder {
 public:
  BlockDecoder();
  ~BlockDecoder();
  BlockDecoder(const BlockDecoder&) = delete;
  BlockDecoder& operator=(const BlockDecoder&) = delete;

  // Checks `stored` against `checksum`, decompresses it to exactly `raw_size` bytes and decodes
  // `n` ticks into `out` (resized to n). Corruption with a short reason on any mismatch.
  Status Decode(std::string_view stored, uint64_t checksum, uint32_t raw_size, uint32_t n,
                int decimals, std::vector<QuoteTick>* out);

 private:
  std::unique_ptr<colfmt::ZstdColumns> zstd_;
  std::string payload_;
};

// xxh64 with seed 0, the checksum used everywhere in the store.
uint64_t Checksum(std::string_view data);
// OK when Checksum(stored) == checksum, else Corruption "checksum mismatch (stored .., computed
// ..)".
Status VerifyChecksum(std::string_view stored, uint64_t checksum);

}  // namespace arus::store
