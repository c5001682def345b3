#include "store/partition_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace arus::store {
namespace {

template <typename T>
void PutAt(std::string* s, size_t off, T v) {
  std::memcpy(s->data() + off, &v, sizeof(T));
}
template <typename T>
T GetAt(std::string_view s, size_t off) {
  T v;
  std::memcpy(&v, s.data() + off, sizeof(T));
  return v;
}

Status Bad(const std::string& path, const std::string& what) {
  return Corruption(path + ": " + what);
}

bool ValidSymbolChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

bool ValidTimeframeChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

std::string KindName(uint16_t kind) {
  if (kind == static_cast<uint16_t>(PartitionKind::kQuoteTicks)) return "quote ticks";
  if (kind == static_cast<uint16_t>(PartitionKind::kBars)) return "bars";
  return "unknown";
}

uint64_t MaxPayload(PartitionKind kind, uint64_t n) {
  return kind == PartitionKind::kBars ? MaxBarPayloadSize(n) : MaxPayloadSize(n);
}

uint32_t MaxBlockRecords(PartitionKind kind) {
  return kind == PartitionKind::kBars ? kMaxBlockBars : kMaxBlockTicks;
}

// pread until `n` bytes are read; a short file is reported as truncation.
Status ReadFully(int fd, uint64_t offset, size_t n, char* dst, const std::string& path) {
  size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, dst + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read '" + path + "'", errno);
    }
    if (r == 0) return Bad(path, "unexpected end of file (truncated)");
    done += static_cast<size_t>(r);
  }
  return Status::Ok();
}

}  // namespace

// ---- header and index ---------------------------------------------------------------------------

std::string EncodeHeader(const PartitionHeader& h) {
  std::string s(kPartitionHeaderSize, '\0');
  std::memcpy(s.data(), kPartitionMagic, 8);
  PutAt<uint16_t>(&s, 8, h.version);
  PutAt<uint16_t>(&s, 10, static_cast<uint16_t>(h.kind));
  PutAt<uint8_t>(&s, 12, static_cast<uint8_t>(h.price_decimals));
  PutAt<uint8_t>(&s, 13, static_cast<uint8_t>(h.symbol.size()));
  std::memcpy(s.data() + 16, h.symbol.data(), std::min(h.symbol.size(), kMaxSymbolLength));
  PutAt<int64_t>(&s, 48, h.trading_date);
  PutAt<uint32_t>(&s, 56, h.block_count);
  PutAt<uint32_t>(&s, 60, h.max_block_ticks);
  PutAt<uint64_t>(&s, 64, h.tick_count);
  PutAt<int64_t>(&s, 72, h.first_ts);
  PutAt<int64_t>(&s, 80, h.last_ts);
  if (h.kind == PartitionKind::kBars) {
    PutAt<uint8_t>(&s, 88, static_cast<uint8_t>(h.side));
    PutAt<uint8_t>(&s, 89, static_cast<uint8_t>(h.period));
    PutAt<uint8_t>(&s, 90, static_cast<uint8_t>(h.timeframe.size()));
    std::memcpy(s.data() + 92, h.timeframe.data(),
                std::min(h.timeframe.size(), kMaxTimeframeLength));
    PutAt<uint64_t>(&s, 104, h.filled_count);
  }
  PutAt<uint64_t>(&s, 120, Checksum(std::string_view(s.data(), 120)));
  return s;
}

Result<PartitionHeader> DecodeHeader(std::string_view s, const std::string& path,
                                     PartitionKind expected_kind) {
  if (s.size() < kPartitionHeaderSize) {
    return Bad(path, "file too short for a header (" + std::to_string(s.size()) + " bytes)");
  }
  if (std::memcmp(s.data(), kPartitionMagic, 8) != 0) {
    return Bad(path, "bad magic (not an arus partition file)");
  }
  PartitionHeader h;
  h.version = GetAt<uint16_t>(s, 8);
  if (h.version != kPartitionFormatVersion) {
    return Bad(path, "unsupported format version " + std::to_string(h.version) +
                         " (this build reads version " + std::to_string(kPartitionFormatVersion) +
                         ")");
  }
  const uint16_t kind = GetAt<uint16_t>(s, 10);
  if (kind != static_cast<uint16_t>(expected_kind)) {
    return Bad(path, "unsupported partition kind " + std::to_string(kind) + " (" + KindName(kind) +
                         ") where " + KindName(static_cast<uint16_t>(expected_kind)) + " (kind " +
                         std::to_string(static_cast<uint16_t>(expected_kind)) + ") are expected");
  }
  h.kind = expected_kind;
  const uint64_t want = GetAt<uint64_t>(s, 120);
  if (Checksum(s.substr(0, 120)) != want) return Bad(path, "header checksum mismatch");
  h.price_decimals = GetAt<uint8_t>(s, 12);
  const size_t sym_len = GetAt<uint8_t>(s, 13);
  if (h.price_decimals > kPriceDecimals) return Bad(path, "bad price decimals in header");
  if (sym_len == 0 || sym_len > kMaxSymbolLength) return Bad(path, "bad symbol length in header");
  h.symbol.assign(s.data() + 16, sym_len);
  for (char c : h.symbol) {
    if (!ValidSymbolChar(c)) return Bad(path, "bad symbol in header");
  }
  h.trading_date = GetAt<int64_t>(s, 48);
  h.block_count = GetAt<uint32_t>(s, 56);
  h.max_block_ticks = GetAt<uint32_t>(s, 60);
  h.tick_count = GetAt<uint64_t>(s, 64);
  h.first_ts = GetAt<int64_t>(s, 72);
  h.last_ts = GetAt<int64_t>(s, 80);
  if (h.max_block_ticks == 0 || h.max_block_ticks > MaxBlockRecords(h.kind)) {
    return Bad(path, "bad block size in header");
  }
  if (h.kind == PartitionKind::kBars) {
    const uint8_t side = GetAt<uint8_t>(s, 88);
    const uint8_t period = GetAt<uint8_t>(s, 89);
    const size_t tf_len = GetAt<uint8_t>(s, 90);
    if (side > static_cast<uint8_t>(PriceSide::kMid)) return Bad(path, "bad price side in header");
    if (period != static_cast<uint8_t>(BarPeriod::kMonth) &&
        period != static_cast<uint8_t>(BarPeriod::kYear)) {
      return Bad(path, "bad partition period in header");
    }
    if (tf_len == 0 || tf_len > kMaxTimeframeLength) {
      return Bad(path, "bad timeframe length in header");
    }
    h.side = static_cast<PriceSide>(side);
    h.period = static_cast<BarPeriod>(period);
    h.timeframe.assign(s.data() + 92, tf_len);
    for (char c : h.timeframe) {
      if (!ValidTimeframeChar(c)) return Bad(path, "bad timeframe in header");
    }
    h.filled_count = GetAt<uint64_t>(s, 104);
  }
  if (h.block_count == 0 || h.tick_count < h.block_count ||
      h.tick_count > static_cast<uint64_t>(h.block_count) * h.max_block_ticks ||
      h.first_ts > h.last_ts || h.filled_count > h.tick_count) {
    return Bad(path, "inconsistent counts in header");
  }
  return h;
}

Result<std::vector<BlockRef>> DecodeIndex(std::string_view s, const PartitionHeader& h,
                                          uint64_t file_size, const std::string& path) {
  const size_t index_size = static_cast<size_t>(h.block_count) * kBlockIndexEntrySize;
  if (s.size() != index_size + 8) return Bad(path, "block index has the wrong size");
  if (Checksum(s.substr(0, index_size)) != GetAt<uint64_t>(s, index_size)) {
    return Bad(path, "block index checksum mismatch");
  }
  std::vector<BlockRef> blocks(h.block_count);
  uint64_t expect_offset = kPartitionHeaderSize + index_size + 8;
  uint64_t ticks = 0;
  for (size_t i = 0; i < blocks.size(); ++i) {
    const size_t o = i * kBlockIndexEntrySize;
    BlockRef& b = blocks[i];
    b.offset = GetAt<uint64_t>(s, o);
    b.stored_size = GetAt<uint32_t>(s, o + 8);
    b.raw_size = GetAt<uint32_t>(s, o + 12);
    b.tick_count = GetAt<uint32_t>(s, o + 16);
    b.first_ts = GetAt<int64_t>(s, o + 24);
    b.last_ts = GetAt<int64_t>(s, o + 32);
    b.checksum = GetAt<uint64_t>(s, o + 40);
    const std::string where = "block " + std::to_string(i) + ": ";
    if (b.offset != expect_offset || b.stored_size == 0 ||
        b.stored_size > file_size - std::min(file_size, b.offset)) {
      return Bad(path, where + "bad offset or size in index");
    }
    if (b.tick_count == 0 || b.tick_count > h.max_block_ticks ||
        b.raw_size > MaxPayload(h.kind, b.tick_count)) {
      return Bad(path, where + "bad tick count or payload size in index");
    }
    if (b.first_ts > b.last_ts || (i > 0 && b.first_ts < blocks[i - 1].last_ts)) {
      return Bad(path, where + "timestamps out of order in index");
    }
    expect_offset = b.offset + b.stored_size;
    ticks += b.tick_count;
  }
  if (expect_offset != file_size) return Bad(path, "blocks do not end at the end of the file");
  if (ticks != h.tick_count) return Bad(path, "index tick counts do not sum to the header's");
  if (blocks.front().first_ts != h.first_ts || blocks.back().last_ts != h.last_ts) {
    return Bad(path, "index time range differs from the header's");
  }
  return blocks;
}

// ---- writer -------------------------------------------------------------------------------------

PartitionWriter::PartitionWriter(std::string symbol, int64_t trading_date, int price_decimals,
                                 uint32_t max_block_ticks, BlockEncoder* encoder)
    : encoder_(encoder) {
  header_.symbol = std::move(symbol);
  header_.trading_date = trading_date;
  header_.price_decimals = price_decimals;
  header_.max_block_ticks = max_block_ticks;
}

PartitionWriter::PartitionWriter(const PartitionHeader& header, BarBlockEncoder* encoder)
    : header_(header), bar_encoder_(encoder) {
  header_.kind = PartitionKind::kBars;
  header_.filled_count = 0;
}

Status PartitionWriter::AddTicks(std::span<const QuoteTick> ticks) {
  if (encoder_ == nullptr) return Internal("AddTicks on a bar partition");
  for (size_t begin = 0; begin < ticks.size(); begin += header_.max_block_ticks) {
    const size_t n = std::min<size_t>(header_.max_block_ticks, ticks.size() - begin);
    EncodedBlock meta;
    const size_t start = body_.size();
    ARUS_RETURN_IF_ERROR(
        encoder_->Encode(ticks.subspan(begin, n), header_.price_decimals, &body_, &meta));
    BlockRef ref;
    ref.offset = start;
    ref.stored_size = static_cast<uint32_t>(body_.size() - start);
    ref.raw_size = meta.raw_size;
    ref.tick_count = meta.tick_count;
    ref.first_ts = meta.first_ts;
    ref.last_ts = meta.last_ts;
    ref.checksum = meta.checksum;
    blocks_.push_back(ref);
    tick_count_ += n;
  }
  return Status::Ok();
}

Status PartitionWriter::AddBars(std::span<const Bar> bars, std::span<const uint8_t> flags) {
  if (bar_encoder_ == nullptr) return Internal("AddBars on a tick partition");
  for (size_t begin = 0; begin < bars.size(); begin += header_.max_block_ticks) {
    const size_t n = std::min<size_t>(header_.max_block_ticks, bars.size() - begin);
    const std::span<const uint8_t> f = flags.empty() ? flags : flags.subspan(begin, n);
    EncodedBlock meta;
    const size_t start = body_.size();
    ARUS_RETURN_IF_ERROR(
        bar_encoder_->Encode(bars.subspan(begin, n), f, header_.price_decimals, &body_, &meta));
    BlockRef ref;
    ref.offset = start;
    ref.stored_size = static_cast<uint32_t>(body_.size() - start);
    ref.raw_size = meta.raw_size;
    ref.tick_count = meta.tick_count;
    ref.first_ts = meta.first_ts;
    ref.last_ts = meta.last_ts;
    ref.checksum = meta.checksum;
    blocks_.push_back(ref);
    tick_count_ += n;
    for (uint8_t x : f) header_.filled_count += (x & kBarFilled) != 0;
  }
  return Status::Ok();
}

void PartitionWriter::AddStoredBlock(const BlockRef& ref, std::string_view stored,
                                     uint64_t filled) {
  header_.filled_count += filled;
  BlockRef r = ref;
  r.offset = body_.size();
  header_.max_block_ticks = std::max(header_.max_block_ticks, r.tick_count);
  body_.append(stored);
  blocks_.push_back(r);
  tick_count_ += r.tick_count;
}

std::string PartitionWriter::Finish(PartitionHeader* header) {
  header_.block_count = static_cast<uint32_t>(blocks_.size());
  header_.tick_count = tick_count_;
  if (!blocks_.empty()) {
    header_.first_ts = blocks_.front().first_ts;
    header_.last_ts = blocks_.back().last_ts;
  }
  const uint64_t data_start = kPartitionHeaderSize + blocks_.size() * kBlockIndexEntrySize + 8;
  if (header != nullptr) *header = header_;
  std::string out = EncodeHeader(header_);
  std::string index(blocks_.size() * kBlockIndexEntrySize, '\0');
  for (size_t i = 0; i < blocks_.size(); ++i) {
    const BlockRef& b = blocks_[i];
    const size_t o = i * kBlockIndexEntrySize;
    PutAt<uint64_t>(&index, o, data_start + b.offset);
    PutAt<uint32_t>(&index, o + 8, b.stored_size);
    PutAt<uint32_t>(&index, o + 12, b.raw_size);
    PutAt<uint32_t>(&index, o + 16, b.tick_count);
    PutAt<int64_t>(&index, o + 24, b.first_ts);
    PutAt<int64_t>(&index, o + 32, b.last_ts);
    PutAt<uint64_t>(&index, o + 40, b.checksum);
  }
  const uint64_t index_sum = Checksum(index);
  out.reserve(data_start + body_.size());
  out += index;
  out.append(reinterpret_cast<const char*>(&index_sum), 8);
  out += body_;
  body_.clear();
  blocks_.clear();
  return out;
}

// ---- reader -------------------------------------------------------------------------------------

PartitionReader::~PartitionReader() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<PartitionReader>> PartitionReader::Open(const std::string& path,
                                                               uint64_t expected_size,
                                                               PartitionKind kind) {
  std::unique_ptr<PartitionReader> r(new PartitionReader());
  r->path_ = path;
  r->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0) {
    const int err = errno;
    if (err == ENOENT)
      return Corruption(path + ": partition file listed in the manifest is missing");
    return ErrnoError("cannot open '" + path + "'", err);
  }
  struct stat st;
  if (::fstat(r->fd_, &st) != 0) return ErrnoError("stat '" + path + "'", errno);
  r->file_size_ = static_cast<uint64_t>(st.st_size);
  if (expected_size != 0 && r->file_size_ != expected_size) {
    return Bad(path, "file is " + std::to_string(r->file_size_) +
                         " bytes but the manifest records " + std::to_string(expected_size) +
                         " (truncated or overwritten)");
  }
  std::string buf(std::min<uint64_t>(kPartitionHeaderSize, r->file_size_), '\0');
  ARUS_RETURN_IF_ERROR(ReadFully(r->fd_, 0, buf.size(), buf.data(), path));
  ARUS_ASSIGN_OR_RETURN(r->header_, DecodeHeader(buf, path, kind));
  const uint64_t index_bytes =
      static_cast<uint64_t>(r->header_.block_count) * kBlockIndexEntrySize + 8;
  if (index_bytes > r->file_size_ - kPartitionHeaderSize) {
    return Bad(path, "file too short for its block index (truncated)");
  }
  buf.assign(index_bytes, '\0');
  ARUS_RETURN_IF_ERROR(ReadFully(r->fd_, kPartitionHeaderSize, buf.size(), buf.data(), path));
  ARUS_ASSIGN_OR_RETURN(r->blocks_, DecodeIndex(buf, r->header_, r->file_size_, path));
  return r;
}

Status PartitionReader::ReadStored(size_t i, std::string* stored) const {
  const BlockRef& b = blocks_.at(i);
  stored->resize(b.stored_size);
  return ReadFully(fd_, b.offset, b.stored_size, stored->data(), path_);
}

Status PartitionReader::ReadBlock(size_t i, BlockDecoder* decoder, std::string* scratch,
                                  std::vector<QuoteTick>* out) const {
  if (header_.kind != PartitionKind::kQuoteTicks) return Internal(path_ + ": not a tick partition");
  ARUS_RETURN_IF_ERROR(ReadStored(i, scratch));
  const BlockRef& b = blocks_[i];
  const Status s =
      decoder->Decode(*scratch, b.checksum, b.raw_size, b.tick_count, header_.price_decimals, out);
  if (!s.ok()) return s.WithContext(path_ + ": block " + std::to_string(i));
  if (out->front().ts_event.ns() != b.first_ts || out->back().ts_event.ns() != b.last_ts) {
    return Bad(path_, "block " + std::to_string(i) + ": decoded time range differs from the index");
  }
  return Status::Ok();
}

Status PartitionReader::ReadBars(size_t i, BarBlockDecoder* decoder, std::string* scratch,
                                 std::vector<Bar>* bars, std::vector<uint8_t>* flags) const {
  if (header_.kind != PartitionKind::kBars) return Internal(path_ + ": not a bar partition");
  ARUS_RETURN_IF_ERROR(ReadStored(i, scratch));
  const BlockRef& b = blocks_[i];
  const Status s = decoder->Decode(*scratch, b.checksum, b.raw_size, b.tick_count,
                                   header_.price_decimals, bars, flags);
  if (!s.ok()) return s.WithContext(path_ + ": block " + std::to_string(i));
  if (bars->front().ts_open.ns() != b.first_ts || bars->back().ts_open.ns() != b.last_ts) {
    return Bad(path_, "block " + std::to_string(i) + ": decoded time range differs from the index");
  }
  return Status::Ok();
}

}  // namespace arus::store
