// One partition file of the store, as a fixed header, a block index and a sequence of
// zstd-compressed columnar blocks. Kind 1 (".atk") holds the quote ticks of one symbol on one FX
// trading date (tick_codec.h); kind 2 (".abr") holds the bars of one bar series over one calendar
// month or year of trading dates (bar_codec.h). Files are immutable once written; the layout is
// specified in docs/store-format.md.
// PartitionWriter builds a file image in memory (a trading day or a month of M1 bars is a few MB);
// PartitionReader reads the header and index and then one block at a time with pread, so memory
// stays bounded by one block. Every error names the file's path.
// Thread-safety: a writer or reader is owned by one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/tick.h"
#include "store/bar_codec.h"
#include "store/tick_codec.h"

namespace arus::store {

inline constexpr char kPartitionMagic[8] = {'A', 'R', 'U', 'S', 'P', 'A', 'R', 'T'};
inline constexpr uint16_t kPartitionFormatVersion = 1;
inline constexpr size_t kPartitionHeaderSize = 128;
inline constexpr size_t kBlockIndexEntrySize = 48;
inline constexpr size_t kMaxSymbolLength = 32;
inline constexpr size_t kMaxTimeframeLength = 12;

// What a partition file holds.
enum class PartitionKind : uint16_t { kQuoteTicks = 1, kBars = 2 };

struct PartitionHeader {
  uint16_t version = kPartitionFormatVersion;
  PartitionKind kind = PartitionKind::kQuoteTicks;
  int price_decimals = 5;
  std::string symbol;
  // Ticks: the trading date (days since 1970-01-01, fx::Date::days). Bars: the first calendar
  // day of the period (month or year) whose trading dates the partition covers.
  int64_t trading_date = 0;
  uint32_t block_count = 0;
  uint64_t tick_count = 0;  // records: ticks or bars
  int64_t first_ts = 0;     // ticks: ts_event; bars: ts_open
  int64_t last_ts = 0;
  uint32_t max_block_ticks = kDefaultBlockTicks;  // records per block at most
  // Bars only (kind 2; zero in tick files).
  std::string timeframe;  // 1-12 of [A-Za-z0-9]
  PriceSide side = PriceSide::kBid;
  BarPeriod period = BarPeriod::kMonth;
  uint64_t filled_count = 0;  // bars with the kBarFilled flag
};

struct BlockRef {
  uint64_t offset = 0;       // from the start of the file
  uint32_t stored_size = 0;  // compressed bytes
  uint32_t raw_size = 0;     // payload bytes after decompression
  uint32_t tick_count = 0;
  int64_t first_ts = 0;
  int64_t last_ts = 0;
  uint64_t checksum = 0;  // xxh64 of the compressed bytes
};

// Builds a partition file image: blocks are encoded (or copied verbatim from an existing file
// with the same key and decimals), then Finish() lays out header, index and blocks.
class PartitionWriter {
 public:
  // A tick partition.
  PartitionWriter(std::string symbol, int64_t trading_date, int price_decimals,
                  uint32_t max_block_ticks, BlockEncoder* encoder);
  // A bar partition: `header` gives kind kBars, symbol, trading_date (period start), decimals,
  // max_block_ticks, timeframe, side and period; counts are filled in by the writer.
  PartitionWriter(const PartitionHeader& header, BarBlockEncoder* encoder);

  // Encodes ticks (time-ordered, after any block already added) into blocks of at most
  // max_block_ticks. Tick partitions only.
  Status AddTicks(std::span<const QuoteTick> ticks);
  // Encodes bars and their flags (same size, or empty for all zero). Bar partitions only.
  Status AddBars(std::span<const Bar> bars, std::span<const uint8_t> flags);
  // Copies an already encoded block verbatim (the caller has verified its checksum).
  // `filled` is the number of filled bars in it (bars only).
  void AddStoredBlock(const BlockRef& ref, std::string_view stored, uint64_t filled = 0);

  uint64_t tick_count() const { return tick_count_; }
  // The complete file; the writer is spent afterwards. `header` (optional) receives the header.
  std::string Finish(PartitionHeader* header = nullptr);

 private:
  PartitionHeader header_;
  BlockEncoder* encoder_ = nullptr;
  BarBlockEncoder* bar_encoder_ = nullptr;
  std::vector<BlockRef> blocks_;  // offsets relative to the start of body_
  std::string body_;
  uint64_t tick_count_ = 0;
};

// Serialises / parses the fixed header and the index. Parse errors are Corruption naming `path`.
// DecodeHeader rejects a file of another kind than `kind`.
std::string EncodeHeader(const PartitionHeader& h);
Result<PartitionHeader> DecodeHeader(std::string_view bytes, const std::string& path,
                                     PartitionKind kind = PartitionKind::kQuoteTicks);
Result<std::vector<BlockRef>> DecodeIndex(std::string_view bytes, const PartitionHeader& h,
                                          uint64_t file_size, const std::string& path);

class PartitionReader {
 public:
  ~PartitionReader();
  PartitionReader(const PartitionReader&) = delete;
  PartitionReader& operator=(const PartitionReader&) = delete;

  // Opens `path`, checks its size equals `expected_size` (the manifest's record, 0 = skip) and
  // reads and validates header (which must be of `kind`) and index.
  static Result<std::unique_ptr<PartitionReader>> Open(
      const std::string& path, uint64_t expected_size,
      PartitionKind kind = PartitionKind::kQuoteTicks);

  const std::string& path() const { return path_; }
  const PartitionHeader& header() const { return header_; }
  const std::vector<BlockRef>& blocks() const { return blocks_; }
  uint64_t file_size() const { return file_size_; }

  // Reads block i's compressed bytes into `stored` (no checksum check).
  Status ReadStored(size_t i, std::string* stored) const;
  // Reads, verifies and decodes block i into `out`; checks count and first/last ts vs the index.
  Status ReadBlock(size_t i, BlockDecoder* decoder, std::string* scratch,
                   std::vector<QuoteTick>* out) const;
  // The same for a bar partition: block i's bars and flags.
  Status ReadBars(size_t i, BarBlockDecoder* decoder, std::string* scratch, std::vector<Bar>* bars,
                  std::vector<uint8_t>* flags) const;

 private:
  PartitionReader() = default;
  std::string path_;
  int fd_ = -1;
  uint64_t file_size_ = 0;
  PartitionHeader header_;
  std::vector<BlockRef> blocks_;
};

}  // namespace arus::store
