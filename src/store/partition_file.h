// One partition file of the tick store: the ticks of one symbol on one FX trading date, as a
// fixed header, a block index and a sequence of zstd-compressed columnar blocks (tick_codec.h).
// Files are immutable once written; the layout is specified in docs/store-format.md.
// PartitionWriter builds a file image in memory (a trading day is a few MB at most);
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
#include "store/tick_codec.h"

namespace arus::store {

inline constexpr char kPartitionMagic[8] = {'A', 'R', 'U', 'S', 'P', 'A', 'R', 'T'};
inline constexpr uint16_t kPartitionFormatVersion = 1;
inline constexpr size_t kPartitionHeaderSize = 128;
inline constexpr size_t kBlockIndexEntrySize = 48;
inline constexpr size_t kMaxSymbolLength = 32;

// What a partition file holds. Only ticks exist today; the field is reserved for bar series.
enum class PartitionKind : uint16_t { kQuoteTicks = 1, kBars = 2 };

struct PartitionHeader {
  uint16_t version = kPartitionFormatVersion;
  PartitionKind kind = PartitionKind::kQuoteTicks;
  int price_decimals = 5;
  std::string symbol;
  int64_t trading_date = 0;  // days since 1970-01-01 (fx::Date::days)
  uint32_t block_count = 0;
  uint64_t tick_count = 0;
  int64_t first_ts = 0;
  int64_t last_ts = 0;
  uint32_t max_block_ticks = kDefaultBlockTicks;
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
// with the same symbol, date and decimals), then Finish() lays out header, index and blocks.
class PartitionWriter {
 public:
  PartitionWriter(std::string symbol, int64_t trading_date, int price_decimals,
                  uint32_t max_block_ticks, BlockEncoder* encoder);

  // Encodes ticks (time-ordered, after any block already added) into blocks of at most
  // max_block_ticks.
  Status AddTicks(std::span<const QuoteTick> ticks);
  // Copies an already encoded block verbatim (the caller has verified its checksum).
  void AddStoredBlock(const BlockRef& ref, std::string_view stored);

  uint64_t tick_count() const { return tick_count_; }
  // The complete file; the writer is spent afterwards. `header` (optional) receives the header.
  std::string Finish(PartitionHeader* header = nullptr);

 private:
  PartitionHeader header_;
  BlockEncoder* encoder_;
  std::vector<BlockRef> blocks_;  // offsets relative to the start of body_
  std::string body_;
  uint64_t tick_count_ = 0;
};

// Serialises / parses the fixed header and the index. Parse errors are Corruption naming `path`.
std::string EncodeHeader(const PartitionHeader& h);
Result<PartitionHeader> DecodeHeader(std::string_view bytes, const std::string& path);
Result<std::vector<BlockRef>> DecodeIndex(std::string_view bytes, const PartitionHeader& h,
                                          uint64_t file_size, const std::string& path);

class PartitionReader {
 public:
  ~PartitionReader();
  PartitionReader(const PartitionReader&) = delete;
  PartitionReader& operator=(const PartitionReader&) = delete;

  // Opens `path`, checks its size equals `expected_size` (the manifest's record, 0 = skip) and
  // reads and validates header and index.
  static Result<std::unique_ptr<PartitionReader>> Open(const std::string& path,
                                                       uint64_t expected_size);

  const std::string& path() const { return path_; }
  const PartitionHeader& header() const { return header_; }
  const std::vector<BlockRef>& blocks() const { return blocks_; }
  uint64_t file_size() const { return file_size_; }

  // Reads block i's compressed bytes into `stored` (no checksum check).
  Status ReadStored(size_t i, std::string* stored) const;
  // Reads, verifies and decodes block i into `out`; checks count and first/last ts vs the index.
  Status ReadBlock(size_t i, BlockDecoder* decoder, std::string* scratch,
                   std::vector<QuoteTick>* out) const;

 private:
  PartitionReader() = default;
  std::string path_;
  int fd_ = -1;
  uint64_t file_size_ = 0;
  PartitionHeader header_;
  std::vector<BlockRef> blocks_;
};

}  // namespace arus::store
