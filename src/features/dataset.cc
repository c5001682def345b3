#include "features/dataset.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <type_traits>

#include "core/file.h"
#include "core/json_depth.h"
#include "core/format.h"

namespace arus::features {

static_assert(sizeof(UnixNanos) == 8 && std::is_trivially_copyable_v<UnixNanos>);
static_assert(sizeof(double) == 8 && std::numeric_limits<double>::is_iec559);

namespace {

constexpr char kMagic[8] = {'A', 'R', 'U', 'S', 'D', 'S', 'E', 'T'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kPreambleBytes = 32;
constexpr uint64_t kMaxHeaderBytes = 16ull << 20;  // a 100 M-row header is ~2 MiB
constexpr int kMaxHeaderDepth = 8;                 // the header nests 3 deep
constexpr uint64_t kBlockBytes = 1ull << 19;       // 65 536 values per checksum block
constexpr uint64_t kMinBlockBytes = 4096;
constexpr uint64_t kMaxBlockBytes = 1ull << 26;

constexpr bool kLittle = std::endian::native == std::endian::little;

uint64_t Xxh64(const void* p, size_t n) { return XXH64(p, n, 0); }

void PutU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
void PutU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}
uint32_t GetU32(const unsigned char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint64_t GetU64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

std::string Hex16(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[i] = kDigits[v & 15];
  return s;
}
bool ParseHex16(const std::string& s, uint64_t* out) {
  if (s.size() != 16) return false;
  uint64_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    v = (v << 4) | static_cast<uint64_t>(d);
  }
  *out = v;
  return true;
}

bool SameValue(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }

bool SameColumns(const std::vector<std::vector<double>>& a,
                 const std::vector<std::vector<double>>& b) {
  if (a.size() != b.size()) return false;
  for (size_t c = 0; c < a.size(); ++c) {
    if (a[c].size() != b[c].size()) return false;
    for (size_t r = 0; r < a[c].size(); ++r) {
      if (!SameValue(a[c][r], b[c][r])) return false;
    }
  }
  return true;
}

// Column names end up as CSV headers: non-empty, no control characters.
Status CheckName(std::string_view what, const std::string& name) {
  if (name.empty()) return InvalidArgument(std::string(what) + " name is empty");
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return InvalidArgument(std::string(what) + " name '" + name +
                             "' contains a control character");
    }
  }
  return Status::Ok();
}

// Names must be distinct across every CSV header: time, features, labels and `<label>_end`.
Status CheckNames(const Dataset& ds) {
  std::set<std::string> seen = {"time"};
  auto add = [&](std::string_view what, const std::string& name) -> Status {
    ARUS_RETURN_IF_ERROR(CheckName(what, name));
    if (!seen.insert(name).second) {
      return InvalidArgument(std::string(what) + " name '" + name +
                             "' repeats another column name (time, features, labels, "
                             "<label>_end)");
    }
    return Status::Ok();
  };
  for (const std::string& n : ds.feature_names) ARUS_RETURN_IF_ERROR(add("feature", n));
  for (const std::string& n : ds.label_names) ARUS_RETURN_IF_ERROR(add("label", n));
  for (const std::string& n : ds.label_names) ARUS_RETURN_IF_ERROR(add("label end", n + "_end"));
  return Status::Ok();
}

std::string SectionLabel(const DatasetSection& s) {
  if (s.kind == DatasetSectionKind::kTime || s.kind == DatasetSectionKind::kCheckpoint) {
    return std::string(DatasetSectionKindName(s.kind));
  }
  return std::string(DatasetSectionKindName(s.kind)) + " '" + s.name + "'";
}

// "dataset 'x.ads': feature 'sma_20': checksum mismatch ..."
Status FileCorruption(const std::string& path, std::string_view section, std::string_view what) {
  return Corruption("dataset '" + path + "': " + std::string(section) + ": " + std::string(what));
}

// ---- Writing -----------------------------------------------------------------------------------

// One section to write: its bytes in memory (host order) and its element size for byte swapping.
struct OutSection {
  DatasetSectionKind kind;
  std::string name;
  const void* data;
  uint64_t length;
  bool swap64;  // values that need little-endian conversion on a big-endian host
};

// Little-endian bytes of [off, off+n) of a section; `scratch` holds them when conversion is needed.
const char* LeBytes(const OutSection& s, uint64_t off, uint64_t n, std::vector<uint64_t>* scratch) {
  const char* p = static_cast<const char*>(s.data) + off;
  if (kLittle || !s.swap64) return p;
  scratch->resize(n / 8);
  std::memcpy(scratch->data(), p, n);
  for (uint64_t& v : *scratch) v = __builtin_bswap64(v);
  return reinterpret_cast<const char*>(scratch->data());
}

std::vector<uint64_t> BlockHashes(const OutSection& s) {
  std::vector<uint64_t> out;
  std::vector<uint64_t> scratch;
  for (uint64_t off = 0; off < s.length; off += kBlockBytes) {
    const uint64_t n = std::min(kBlockBytes, s.length - off);
    out.push_back(Xxh64(LeBytes(s, off, n, &scratch), n));
  }
  return out;
}

// Header JSON whose section offsets start at `data_offset`.
nlohmann::json HeaderJson(const Dataset& ds, const std::vector<OutSection>& secs,
                          const std::vector<std::vector<uint64_t>>& hashes, uint64_t data_offset) {
  nlohmann::json sections = nlohmann::json::array();
  uint64_t off = data_offset;
  for (size_t i = 0; i < secs.size(); ++i) {
    nlohmann::json h = nlohmann::json::array();
    for (uint64_t x : hashes[i]) h.push_back(Hex16(x));
    sections.push_back({{"kind", DatasetSectionKindName(secs[i].kind)},
                        {"name", secs[i].name},
                        {"offset", off},
                        {"length", secs[i].length},
                        {"xxh64", std::move(h)}});
    off += secs[i].length;
  }
  return nlohmann::json{{"symbol", ds.symbol},
                        {"base_timeframe", ds.base_timeframe},
                        {"feature_set",
                         {{"name", ds.feature_set_name},
                          {"hash", ds.feature_set_hash},
                          {"text", ds.feature_set_text}}},
                        {"rows", ds.rows()},
                        {"checksum_block", kBlockBytes},
                        {"sections", std::move(sections)}};
}

// ---- Reading -----------------------------------------------------------------------------------


// Page faults dominate filling fresh memory on some VMs; 2 MiB pages make them 512x rarer.
// Advisory: errors are ignored.
void AdviseHugePages(void* p, size_t bytes) {
  constexpr uintptr_t kHuge = 2u << 20;
  if (bytes < 2 * kHuge) return;
  const uintptr_t a = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t z = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
  if (z > a) ::madvise(reinterpret_cast<void*>(a), z - a, MADV_HUGEPAGE);
}

Status PreadAll(int fd, void* dst, uint64_t n, uint64_t offset) {
  char* p = static_cast<char*>(dst);
  while (n > 0) {
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(n, 1ull << 30));
    const ssize_t r = ::pread(fd, p, chunk, static_cast<off_t>(offset));
    if (r < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read", errno);
    }
    if (r == 0) return Corruption("unexpected end of file");
    p += r;
    n -= static_cast<uint64_t>(r);
    offset += static_cast<uint64_t>(r);
  }
  return Status::Ok();
}

// Typed access to the JSON header that never throws; messages say which field is wrong.
Status BadField(std::string_view key, std::string_view what) {
  return Corruption("header: field '" + std::string(key) + "': " + std::string(what));
}
Status GetString(const nlohmann::json& obj, const char* key, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return BadField(key, "missing or not a string");
  *out = it->get<std::string>();
  return Status::Ok();
}
Status GetUnsigned(const nlohmann::json& obj, const char* key, uint64_t* out) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_number_unsigned()) {
    return BadField(key, "missing or not an unsigned integer");
  }
  *out = it->get<uint64_t>();
  return Status::Ok();
}

Result<DatasetSectionKind> KindFromName(const std::string& s) {
  for (DatasetSectionKind k :
       {DatasetSectionKind::kTime, DatasetSectionKind::kFeature, DatasetSectionKind::kLabel,
        DatasetSectionKind::kLabelEnd, DatasetSectionKind::kCheckpoint}) {
    if (s == DatasetSectionKindName(k)) return k;
  }
  return BadField("kind", "unknown section kind '" + s + "'");
}

}  // namespace

std::string_view DatasetSectionKindName(DatasetSectionKind kind) {
  switch (kind) {
    case DatasetSectionKind::kTime:
      return "time";
    case DatasetSectionKind::kFeature:
      return "feature";
    case DatasetSectionKind::kLabel:
      return "label";
    case DatasetSectionKind::kLabelEnd:
      return "label_end";
    case DatasetSectionKind::kCheckpoint:
      return "checkpoint";
  }
  return "?";
}

// ---- Dataset -----------------------------------------------------------------------------------

UnixNanos Dataset::LabelEnd(size_t row) const {
  UnixNanos out = UnixNanos::Min();
  for (const std::vector<UnixNanos>& e : label_end) out = std::max(out, e[row]);
  return out;
}

Status Dataset::Validate() const {
  const size_t n = rows();
  if (features.size() != feature_names.size()) {
    return InvalidArgument("dataset has " + std::to_string(feature_names.size()) +
                           " feature names but " + std::to_string(features.size()) +
                           " feature columns");
  }
  if (labels.size() != label_names.size() || label_end.size() != label_names.size()) {
    return InvalidArgument("dataset has " + std::to_string(label_names.size()) + " label names, " +
                           std::to_string(labels.size()) + " label columns and " +
                           std::to_string(label_end.size()) + " label end columns");
  }
  for (size_t c = 0; c < features.size(); ++c) {
    if (features[c].size() != n) {
      return InvalidArgument("feature '" + feature_names[c] + "' has " +
                             std::to_string(features[c].size()) + " rows, time has " +
                             std::to_string(n));
    }
  }
  for (size_t l = 0; l < labels.size(); ++l) {
    if (labels[l].size() != n || label_end[l].size() != n) {
      return InvalidArgument("label '" + label_names[l] + "' has " +
                             std::to_string(labels[l].size()) + " values and " +
                             std::to_string(label_end[l].size()) + " end times, time has " +
                             std::to_string(n) + " rows");
    }
  }
  ARUS_RETURN_IF_ERROR(CheckNames(*this));
  for (size_t r = 1; r < n; ++r) {
    if (time[r] <= time[r - 1]) {
      return InvalidArgument("time does not increase at row " + std::to_string(r) + ": " +
                             time[r - 1].ToIso() + " then " + time[r].ToIso());
    }
  }
  return Status::Ok();
}

int Dataset::FeatureIndex(std::string_view name) const {
  for (size_t i = 0; i < feature_names.size(); ++i) {
    if (feature_names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

int Dataset::LabelIndex(std::string_view name) const {
  for (size_t i = 0; i < label_names.size(); ++i) {
    if (label_names[i] == name) return static_cast<int>(i);
  }
  return -1;
}

Dataset Dataset::Slice(size_t begin, size_t end) const {
  end = std::min(end, rows());
  begin = std::min(begin, end);
  Dataset out;
  out.symbol = symbol;
  out.base_timeframe = base_timeframe;
  out.feature_set_name = feature_set_name;
  out.feature_set_hash = feature_set_hash;
  out.feature_set_text = feature_set_text;
  out.feature_names = feature_names;
  out.label_names = label_names;
  out.time.assign(time.begin() + begin, time.begin() + end);
  for (const auto& c : features) out.features.emplace_back(c.begin() + begin, c.begin() + end);
  for (const auto& c : labels) out.labels.emplace_back(c.begin() + begin, c.begin() + end);
  for (const auto& c : label_end) out.label_end.emplace_back(c.begin() + begin, c.begin() + end);
  if (end == rows()) out.checkpoint = checkpoint;
  return out;
}

bool Dataset::operator==(const Dataset& o) const {
  return symbol == o.symbol && base_timeframe == o.base_timeframe &&
         feature_set_name == o.feature_set_name && feature_set_hash == o.feature_set_hash &&
         feature_set_text == o.feature_set_text && time == o.time &&
         feature_names == o.feature_names && label_names == o.label_names &&
         SameColumns(features, o.features) && SameColumns(labels, o.labels) &&
         label_end == o.label_end && checkpoint == o.checkpoint;
}

// ---- Binary file -------------------------------------------------------------------------------

Status WriteDataset(const std::string& path, const Dataset& ds) {
  if (Status s = ds.Validate(); !s.ok()) return s.WithContext("dataset '" + path + "'");
  const uint64_t col_bytes = static_cast<uint64_t>(ds.rows()) * 8;
  std::vector<OutSection> secs;
  secs.push_back({DatasetSectionKind::kTime, "time", ds.time.data(), col_bytes, true});
  for (size_t c = 0; c < ds.features.size(); ++c) {
    secs.push_back({DatasetSectionKind::kFeature, ds.feature_names[c], ds.features[c].data(),
                    col_bytes, true});
  }
  for (size_t l = 0; l < ds.labels.size(); ++l) {
    secs.push_back(
        {DatasetSectionKind::kLabel, ds.label_names[l], ds.labels[l].data(), col_bytes, true});
  }
  for (size_t l = 0; l < ds.label_end.size(); ++l) {
    secs.push_back({DatasetSectionKind::kLabelEnd, ds.label_names[l], ds.label_end[l].data(),
                    col_bytes, true});
  }
  secs.push_back({DatasetSectionKind::kCheckpoint, "checkpoint", ds.checkpoint.data(),
                  ds.checkpoint.size(), false});
  std::vector<std::vector<uint64_t>> hashes;
  hashes.reserve(secs.size());
  for (const OutSection& s : secs) hashes.push_back(BlockHashes(s));

  // Offsets depend on the header length, which depends on the offsets' digits: iterate to a fixed
  // point (lengths only grow with the offset, so this ends after a few rounds).
  std::string header;
  uint64_t data_offset = kPreambleBytes;
  try {
    for (;;) {
      header = HeaderJson(ds, secs, hashes, data_offset)
                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
      const uint64_t padded = (header.size() + 7) / 8 * 8;
      if (kPreambleBytes + padded == data_offset) break;
      data_offset = kPreambleBytes + padded;
    }
  } catch (const nlohmann::json::exception& e) {
    return InvalidArgument("dataset '" + path +
                           "': identity or names are not valid UTF-8: " + e.what());
  }
  header.resize(data_offset - kPreambleBytes, ' ');  // JSON allows trailing whitespace
  if (header.size() > kMaxHeaderBytes) {
    return InvalidArgument("dataset '" + path + "': header of " + std::to_string(header.size()) +
                           " bytes exceeds the format's limit");
  }

  char pre[kPreambleBytes];
  std::memcpy(pre, kMagic, 8);
  PutU32(pre + 8, kFormatVersion);
  PutU32(pre + 12, 0);
  PutU64(pre + 16, header.size());
  PutU64(pre + 24, Xxh64(header.data(), header.size()));

  AtomicFile f;
  ARUS_RETURN_IF_ERROR(f.Open(path));
  ARUS_RETURN_IF_ERROR(f.Write(std::string_view(pre, sizeof pre)));
  ARUS_RETURN_IF_ERROR(f.Write(header));
  std::vector<uint64_t> scratch;
  for (const OutSection& s : secs) {
    if (kLittle || !s.swap64) {  // one write: large writes bypass the stdio buffer
      ARUS_RETURN_IF_ERROR(f.Write(std::string_view(static_cast<const char*>(s.data), s.length)));
      continue;
    }
    for (uint64_t off = 0; off < s.length; off += kBlockBytes) {
      const uint64_t n = std::min(kBlockBytes, s.length - off);
      ARUS_RETURN_IF_ERROR(f.Write(std::string_view(LeBytes(s, off, n, &scratch), n)));
    }
  }
  return f.Commit();
}

DatasetReader::~DatasetReader() {
  if (fd_ >= 0) ::close(fd_);
}

Result<std::unique_ptr<DatasetReader>> DatasetReader::Open(const std::string& path) {
  std::unique_ptr<DatasetReader> r(new DatasetReader());
  r->path_ = path;
  r->fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (r->fd_ < 0) {
    if (errno == ENOENT) return NotFound("no such dataset: '" + path + "'");
    return ErrnoError("cannot open dataset '" + path + "'", errno);
  }
  struct stat st;
  if (::fstat(r->fd_, &st) != 0) return ErrnoError("cannot stat '" + path + "'", errno);
  if (!S_ISREG(st.st_mode)) return InvalidArgument("dataset '" + path + "' is not a file");
  r->file_bytes_ = static_cast<uint64_t>(st.st_size);
  const uint64_t size = r->file_bytes_;

  unsigned char pre[kPreambleBytes];
  if (size < kPreambleBytes) {
    return FileCorruption(path, "preamble",
                          "truncated: file has " + std::to_string(size) + " bytes, need " +
                              std::to_string(kPreambleBytes));
  }
  if (Status s = PreadAll(r->fd_, pre, kPreambleBytes, 0); !s.ok()) {
    return FileCorruption(path, "preamble", s.message());
  }
  if (std::memcmp(pre, kMagic, 8) != 0) {
    return InvalidArgument("'" + path + "' is not an arus dataset (bad magic in the preamble)");
  }
  const uint32_t version = GetU32(pre + 8);
  if (version != kFormatVersion) {
    return InvalidArgument("dataset '" + path + "': preamble: format version " +
                           std::to_string(version) + " is not supported (this build reads " +
                           std::to_string(kFormatVersion) + ")");
  }
  if (GetU32(pre + 12) != 0) return FileCorruption(path, "preamble", "reserved bytes not zero");
  const uint64_t header_len = GetU64(pre + 16);
  if (header_len > kMaxHeaderBytes || header_len % 8 != 0) {
    return FileCorruption(path, "header",
                          "length " + std::to_string(header_len) +
                              " is not a multiple of 8 or exceeds the limit of " +
                              std::to_string(kMaxHeaderBytes));
  }
  if (header_len > size - kPreambleBytes) {
    return FileCorruption(path, "header",
                          "truncated: " + std::to_string(header_len) +
                              " bytes at offset 32, file has " + std::to_string(size));
  }
  std::string header(header_len, '\0');
  if (Status s = PreadAll(r->fd_, header.data(), header_len, kPreambleBytes); !s.ok()) {
    return FileCorruption(path, "header", s.message());
  }
  if (Xxh64(header.data(), header.size()) != GetU64(pre + 24)) {
    return FileCorruption(path, "header", "checksum mismatch");
  }
  if (!JsonDepthOk(header, kMaxHeaderDepth)) return FileCorruption(path, "header", "JSON nested too deeply");
  const nlohmann::json j = nlohmann::json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return FileCorruption(path, "header", "not a JSON object");
  }

  // Decode identity and the section table, checking it against the file size as we go.
  auto decode = [&]() -> Status {
    Dataset& sc = r->schema_;
    ARUS_RETURN_IF_ERROR(GetString(j, "symbol", &sc.symbol));
    ARUS_RETURN_IF_ERROR(GetString(j, "base_timeframe", &sc.base_timeframe));
    auto fs = j.find("feature_set");
    if (fs == j.end() || !fs->is_object()) {
      return BadField("feature_set", "missing or not an object");
    }
    ARUS_RETURN_IF_ERROR(GetString(*fs, "name", &sc.feature_set_name));
    ARUS_RETURN_IF_ERROR(GetString(*fs, "hash", &sc.feature_set_hash));
    ARUS_RETURN_IF_ERROR(GetString(*fs, "text", &sc.feature_set_text));
    uint64_t rows = 0, block = 0;
    ARUS_RETURN_IF_ERROR(GetUnsigned(j, "rows", &rows));
    if (rows > size / 8) {
      return BadField("rows", std::to_string(rows) + " rows cannot fit in a file of " +
                                  std::to_string(size) + " bytes");
    }
    r->rows_ = static_cast<size_t>(rows);
    ARUS_RETURN_IF_ERROR(GetUnsigned(j, "checksum_block", &block));
    if (block < kMinBlockBytes || block > kMaxBlockBytes || block % 8 != 0) {
      return BadField("checksum_block", "bad block size " + std::to_string(block));
    }
    r->block_bytes_ = block;
    auto secs = j.find("sections");
    if (secs == j.end() || !secs->is_array()) {
      return BadField("sections", "missing or not an array");
    }
    uint64_t expect_offset = kPreambleBytes + header_len;
    const uint64_t col_bytes = rows * 8;
    for (const nlohmann::json& e : *secs) {
      if (!e.is_object()) return BadField("sections", "entry is not an object");
      DatasetSection s;
      std::string kind;
      ARUS_RETURN_IF_ERROR(GetString(e, "kind", &kind));
      ARUS_ASSIGN_OR_RETURN(s.kind, KindFromName(kind));
      ARUS_RETURN_IF_ERROR(GetString(e, "name", &s.name));
      const std::string where =
          SectionLabel(s) + " (section " + std::to_string(r->sections_.size()) + ")";
      Status st = GetUnsigned(e, "offset", &s.offset);
      if (st.ok()) st = GetUnsigned(e, "length", &s.length);
      if (!st.ok()) {
        return Corruption(where +
                          ": field 'offset' or 'length' missing or not an unsigned integer");
      }
      if (s.offset != expect_offset) {
        return Corruption(where + ": offset " + std::to_string(s.offset) + ", expected " +
                          std::to_string(expect_offset) + " (sections are contiguous)");
      }
      if (s.length > size - std::min(size, s.offset)) {
        return Corruption(where + ": truncated: " + std::to_string(s.length) + " bytes at offset " +
                          std::to_string(s.offset) + ", file has " + std::to_string(size));
      }
      if (s.kind != DatasetSectionKind::kCheckpoint && s.length != col_bytes) {
        return Corruption(where + ": length " + std::to_string(s.length) + ", expected " +
                          std::to_string(col_bytes) + " for " + std::to_string(rows) + " rows");
      }
      auto hx = e.find("xxh64");
      if (hx == e.end() || !hx->is_array() || hx->size() != (s.length + block - 1) / block) {
        return Corruption(where + ": field 'xxh64' missing or not one hash per " +
                          std::to_string(block) + "-byte block");
      }
      s.block_xxh64.reserve(hx->size());
      for (const nlohmann::json& x : *hx) {
        uint64_t v;
        if (!x.is_string() || !ParseHex16(x.get<std::string>(), &v)) {
          return Corruption(where + ": field 'xxh64': not 16 lowercase hex digits");
        }
        s.block_xxh64.push_back(v);
      }
      expect_offset = s.offset + s.length;
      r->sections_.push_back(std::move(s));
    }
    if (expect_offset != size) {
      return Corruption("header: sections end at byte " + std::to_string(expect_offset) +
                        " but the file has " + std::to_string(size) + " bytes");
    }
    // Order: time, features, labels, label ends (same names as the labels), checkpoint.
    const auto& v = r->sections_;
    size_t i = 0;
    if (v.empty() || v[0].kind != DatasetSectionKind::kTime) {
      return BadField("sections", "the first section is not the time column");
    }
    for (i = 1; i < v.size() && v[i].kind == DatasetSectionKind::kFeature; ++i) {
      sc.feature_names.push_back(v[i].name);
    }
    for (; i < v.size() && v[i].kind == DatasetSectionKind::kLabel; ++i) {
      sc.label_names.push_back(v[i].name);
    }
    for (size_t l = 0; l < sc.label_names.size(); ++l, ++i) {
      if (i >= v.size() || v[i].kind != DatasetSectionKind::kLabelEnd ||
          v[i].name != sc.label_names[l]) {
        return BadField("sections",
                        "label '" + sc.label_names[l] + "' has no end-time section in its place");
      }
    }
    if (i + 1 != v.size() || v[i].kind != DatasetSectionKind::kCheckpoint) {
      return BadField("sections",
                      "sections are not time, features, labels, label ends, checkpoint");
    }
    sc.features.resize(sc.feature_names.size());
    sc.labels.resize(sc.label_names.size());
    sc.label_end.resize(sc.label_names.size());
    if (Status s = CheckNames(sc); !s.ok()) return Corruption("header: " + s.message());
    sc.features.clear();
    sc.labels.clear();
    sc.label_end.clear();
    return Status::Ok();
  };
  Status s;
  try {
    s = decode();
  } catch (const std::exception& e) {  // defensive: every access above is checked
    s = Corruption(std::string("header: ") + e.what());
  }
  if (!s.ok()) return Corruption("dataset '" + path + "': " + s.message());
  return r;
}

template <typename T>
Status DatasetReader::ReadBlock(const DatasetSection& s, uint64_t b, T* dst) const {
  static_assert(std::is_trivially_copyable_v<T> && (sizeof(T) == 1 || sizeof(T) == 8));
  const uint64_t lo = b * block_bytes_, hi = std::min(lo + block_bytes_, s.length);
  if (Status st = PreadAll(fd_, dst, hi - lo, s.offset + lo); !st.ok()) {
    return FileCorruption(path_, SectionLabel(s), st.message());
  }
  if (Xxh64(dst, hi - lo) != s.block_xxh64[b]) {
    return FileCorruption(path_, SectionLabel(s),
                          "checksum mismatch in block " + std::to_string(b) + " (bytes " +
                              std::to_string(s.offset + lo) + ".." + std::to_string(s.offset + hi) +
                              ")");
  }
  if constexpr (!kLittle && sizeof(T) == 8) {
    for (uint64_t i = 0; i < (hi - lo) / 8; ++i) {
      uint64_t x;
      std::memcpy(&x, dst + i, 8);
      x = __builtin_bswap64(x);
      std::memcpy(dst + i, &x, 8);
    }
  }
  return Status::Ok();
}

template <typename T>
Status DatasetReader::ReadBlocks(const DatasetSection& s, uint64_t first, uint64_t last,
                                 std::vector<T>* out) const {
  if (first >= last) return Status::Ok();
  // Blocks go through a small reused (cache-resident) buffer and are appended from there: the
  // result's fresh pages are then written once, not zeroed first. They are advised onto huge
  // pages because first-touch faults dominate on small VMs.
  out->reserve(out->size() + (last - first));
  AdviseHugePages(out->data() + out->size(), (last - first) * sizeof(T));
  const uint64_t per_block = block_bytes_ / sizeof(T);
  std::vector<T> buf(std::min(per_block, s.length / sizeof(T)));
  for (uint64_t b = first / per_block; b * per_block < last; ++b) {
    ARUS_RETURN_IF_ERROR(ReadBlock(s, b, buf.data()));
    const uint64_t lo = b * per_block, hi = std::min(lo + per_block, s.length / sizeof(T));
    out->insert(out->end(), buf.begin() + (std::max(lo, first) - lo),
                buf.begin() + (std::min(hi, last) - lo));
  }
  return Status::Ok();
}

template <typename T>
Status DatasetReader::ReadBlocksInto(const DatasetSection& s, uint64_t first,
                                     std::span<T> out) const {
  const uint64_t last = first + out.size();
  const uint64_t per_block = block_bytes_ / sizeof(T), total = s.length / sizeof(T);
  std::vector<T> buf;  // only for blocks at the edges of the range
  for (uint64_t b = first / per_block; b * per_block < last; ++b) {
    const uint64_t lo = b * per_block, hi = std::min(lo + per_block, total);
    if (lo >= first && hi <= last) {
      ARUS_RETURN_IF_ERROR(ReadBlock(s, b, out.data() + (lo - first)));
      continue;
    }
    buf.resize(hi - lo);
    ARUS_RETURN_IF_ERROR(ReadBlock(s, b, buf.data()));
    const uint64_t a = std::max(lo, first), z = std::min(hi, last);
    std::copy(buf.begin() + (a - lo), buf.begin() + (z - lo), out.begin() + (a - first));
  }
  return Status::Ok();
}

Status DatasetReader::CheckRows(size_t begin, size_t end) const {
  if (begin > end || end > rows_) {
    return InvalidArgument("dataset '" + path_ + "': rows [" + std::to_string(begin) + ", " +
                           std::to_string(end) + ") outside [0, " + std::to_string(rows_) + ")");
  }
  return Status::Ok();
}

const DatasetSection* DatasetReader::ColumnSection(DatasetSectionKind kind, size_t index) const {
  const size_t nf = schema_.feature_names.size(), nl = schema_.label_names.size();
  switch (kind) {
    case DatasetSectionKind::kTime:
      return &sections_[0];
    case DatasetSectionKind::kFeature:
      return index < nf ? &sections_[1 + index] : nullptr;
    case DatasetSectionKind::kLabel:
      return index < nl ? &sections_[1 + nf + index] : nullptr;
    case DatasetSectionKind::kLabelEnd:
      return index < nl ? &sections_[1 + nf + nl + index] : nullptr;
    case DatasetSectionKind::kCheckpoint:
      return &sections_.back();
  }
  return nullptr;
}

template <typename T>
Result<std::vector<T>> DatasetReader::ReadColumn(DatasetSectionKind kind, size_t index,
                                                 size_t begin, size_t end) const {
  const DatasetSection* s = ColumnSection(kind, index);
  if (s == nullptr) {
    return InvalidArgument("dataset '" + path_ + "': no " +
                           std::string(DatasetSectionKindName(kind)) + " column " +
                           std::to_string(index));
  }
  ARUS_RETURN_IF_ERROR(CheckRows(begin, end));
  std::vector<T> out;
  ARUS_RETURN_IF_ERROR(ReadBlocks(*s, begin, end, &out));
  return out;
}

template <typename T>
Status DatasetReader::ReadColumnInto(DatasetSectionKind kind, size_t index, size_t begin,
                                     std::span<T> out) const {
  const DatasetSection* s = ColumnSection(kind, index);
  if (s == nullptr) {
    return InvalidArgument("dataset '" + path_ + "': no " +
                           std::string(DatasetSectionKindName(kind)) + " column " +
                           std::to_string(index));
  }
  if (begin > rows_ || out.size() > rows_ - begin) {
    return InvalidArgument("dataset '" + path_ + "': rows [" + std::to_string(begin) + ", +" +
                           std::to_string(out.size()) + ") outside [0, " + std::to_string(rows_) +
                           ")");
  }
  return ReadBlocksInto(*s, begin, out);
}

Result<std::vector<UnixNanos>> DatasetReader::ReadTime(size_t begin, size_t end) const {
  return ReadColumn<UnixNanos>(DatasetSectionKind::kTime, 0, begin, end);
}
Result<std::vector<double>> DatasetReader::ReadFeature(size_t column, size_t begin,
                                                       size_t end) const {
  return ReadColumn<double>(DatasetSectionKind::kFeature, column, begin, end);
}
Result<std::vector<double>> DatasetReader::ReadLabel(size_t label, size_t begin, size_t end) const {
  return ReadColumn<double>(DatasetSectionKind::kLabel, label, begin, end);
}
Result<std::vector<UnixNanos>> DatasetReader::ReadLabelEnd(size_t label, size_t begin,
                                                           size_t end) const {
  return ReadColumn<UnixNanos>(DatasetSectionKind::kLabelEnd, label, begin, end);
}
Status DatasetReader::ReadTimeInto(size_t begin, std::span<UnixNanos> out) const {
  return ReadColumnInto(DatasetSectionKind::kTime, 0, begin, out);
}
Status DatasetReader::ReadFeatureInto(size_t column, size_t begin, std::span<double> out) const {
  return ReadColumnInto(DatasetSectionKind::kFeature, column, begin, out);
}
Status DatasetReader::ReadLabelInto(size_t label, size_t begin, std::span<double> out) const {
  return ReadColumnInto(DatasetSectionKind::kLabel, label, begin, out);
}
Status DatasetReader::ReadLabelEndInto(size_t label, size_t begin, std::span<UnixNanos> out) const {
  return ReadColumnInto(DatasetSectionKind::kLabelEnd, label, begin, out);
}

Result<std::vector<uint8_t>> DatasetReader::ReadCheckpoint() const {
  const DatasetSection& s = sections_.back();
  std::vector<uint8_t> out;
  ARUS_RETURN_IF_ERROR(ReadBlocks(s, 0, s.length, &out));
  return out;
}

Result<std::pair<size_t, size_t>> DatasetReader::RowRange(UnixNanos from, UnixNanos to) const {
  ARUS_ASSIGN_OR_RETURN(std::vector<UnixNanos> t, ReadTime(0, rows_));
  const size_t a = std::lower_bound(t.begin(), t.end(), from) - t.begin();
  const size_t b =
      std::max(a, static_cast<size_t>(std::lower_bound(t.begin(), t.end(), to) - t.begin()));
  return std::make_pair(a, b);
}

Result<Dataset> DatasetReader::Read(const DatasetReadOptions& o) const {
  auto resolve = [&](const std::optional<std::vector<std::string>>& want,
                     const std::vector<std::string>& have, const char* what,
                     std::vector<size_t>* out) -> Status {
    if (!want) {
      for (size_t i = 0; i < have.size(); ++i) out->push_back(i);
      return Status::Ok();
    }
    for (const std::string& name : *want) {
      auto it = std::find(have.begin(), have.end(), name);
      if (it == have.end()) {
        std::string list;
        for (const std::string& h : have) list += (list.empty() ? "" : ", ") + h;
        return InvalidArgument("dataset '" + path_ + "' has no " + what + " '" + name + "' (" +
                               what + "s: " + (list.empty() ? "none" : list) + ")");
      }
      out->push_back(static_cast<size_t>(it - have.begin()));
    }
    return Status::Ok();
  };
  std::vector<size_t> fidx, lidx;
  ARUS_RETURN_IF_ERROR(resolve(o.features, schema_.feature_names, "feature", &fidx));
  ARUS_RETURN_IF_ERROR(resolve(o.labels, schema_.label_names, "label", &lidx));

  size_t end = std::min(o.row_end, rows_);
  size_t begin = std::min(o.row_begin, end);
  Dataset ds;
  ds.symbol = schema_.symbol;
  ds.base_timeframe = schema_.base_timeframe;
  ds.feature_set_name = schema_.feature_set_name;
  ds.feature_set_hash = schema_.feature_set_hash;
  ds.feature_set_text = schema_.feature_set_text;
  ARUS_ASSIGN_OR_RETURN(ds.time, ReadTime(begin, end));
  if (o.from != UnixNanos::Min() || o.to != UnixNanos::Max()) {
    const size_t a = std::lower_bound(ds.time.begin(), ds.time.end(), o.from) - ds.time.begin();
    const size_t b =
        std::max(a, static_cast<size_t>(std::lower_bound(ds.time.begin(), ds.time.end(), o.to) -
                                        ds.time.begin()));
    ds.time.erase(ds.time.begin() + b, ds.time.end());
    ds.time.erase(ds.time.begin(), ds.time.begin() + a);
    end = begin + b;
    begin += a;
  }
  for (size_t i : fidx) {
    ds.feature_names.push_back(schema_.feature_names[i]);
    ARUS_ASSIGN_OR_RETURN(std::vector<double> c, ReadFeature(i, begin, end));
    ds.features.push_back(std::move(c));
  }
  for (size_t i : lidx) {
    ds.label_names.push_back(schema_.label_names[i]);
    ARUS_ASSIGN_OR_RETURN(std::vector<double> c, ReadLabel(i, begin, end));
    ds.labels.push_back(std::move(c));
    ARUS_ASSIGN_OR_RETURN(std::vector<UnixNanos> e, ReadLabelEnd(i, begin, end));
    ds.label_end.push_back(std::move(e));
  }
  if (o.checkpoint && end == rows_) {
    ARUS_ASSIGN_OR_RETURN(ds.checkpoint, ReadCheckpoint());
  }
  if (Status s = ds.Validate(); !s.ok()) {
    return FileCorruption(path_, "time", s.message());
  }
  return ds;
}

Result<Dataset> ReadDataset(const std::string& path, const DatasetReadOptions& options) {
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<DatasetReader> r, DatasetReader::Open(path));
  return r->Read(options);
}

Result<Dataset> ReadDataset(const std::string& path) {
  return ReadDataset(path, DatasetReadOptions());
}

// ---- CSV ---------------------------------------------------------------------------------------

namespace {

void AppendCsvField(std::string* out, const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

namespace {

void AppendCsvHeader(const Dataset& ds, std::string* buf) {
  buf->append("time");
  for (const std::string& n : ds.feature_names) {
    buf->push_back(',');
    AppendCsvField(buf, n);
  }
  for (const std::string& n : ds.label_names) {
    buf->push_back(',');
    AppendCsvField(buf, n);
  }
  for (const std::string& n : ds.label_names) {
    buf->push_back(',');
    AppendCsvField(buf, n + "_end");
  }
  buf->push_back('\n');
}

// Appends every row of `ds`, handing the text to `f` in pieces of about 1 MiB.
Status AppendCsvRows(const Dataset& ds, std::string* buf, AtomicFile* f) {
  auto value = [&](double v) {
    buf->push_back(',');
    if (!std::isnan(v)) AppendShortest(buf, v);
  };
  for (size_t r = 0; r < ds.rows(); ++r) {
    buf->append(ds.time[r].ToIso());
    for (const auto& c : ds.features) value(c[r]);
    for (const auto& c : ds.labels) value(c[r]);
    for (const auto& c : ds.label_end) {
      buf->push_back(',');
      if (c[r] != UnixNanos::Max()) buf->append(c[r].ToIso());
    }
    buf->push_back('\n');
    if (buf->size() >= (1u << 20)) {
      ARUS_RETURN_IF_ERROR(f->Write(*buf));
      buf->clear();
    }
  }
  return Status::Ok();
}

}  // namespace

Status WriteDatasetCsv(const std::string& path, const Dataset& ds) {
  if (Status s = ds.Validate(); !s.ok()) return s.WithContext("dataset CSV '" + path + "'");
  AtomicFile f;
  ARUS_RETURN_IF_ERROR(f.Open(path));
  std::string buf;
  AppendCsvHeader(ds, &buf);
  ARUS_RETURN_IF_ERROR(AppendCsvRows(ds, &buf, &f));
  ARUS_RETURN_IF_ERROR(f.Write(buf));
  return f.Commit();
}

Status WriteDatasetCsv(const std::string& path, const DatasetReader& reader,
                       const DatasetReadOptions& options, size_t chunk_rows) {
  chunk_rows = std::max<size_t>(chunk_rows, 1);
  size_t end = std::min(options.row_end, reader.rows());
  size_t begin = std::min(options.row_begin, end);
  if (options.from != UnixNanos::Min() || options.to != UnixNanos::Max()) {
    ARUS_ASSIGN_OR_RETURN(auto range, reader.RowRange(options.from, options.to));
    begin = std::max(begin, range.first);
    end = std::max(begin, std::min(end, range.second));
  }
  AtomicFile f;
  ARUS_RETURN_IF_ERROR(f.Open(path));
  std::string buf;
  size_t r = begin;
  do {  // at least once, so that an empty selection still checks names and writes the header
    DatasetReadOptions o = options;
    o.row_begin = r;
    o.row_end = std::min(end, r + chunk_rows);
    o.from = UnixNanos::Min();
    o.to = UnixNanos::Max();
    o.checkpoint = false;
    ARUS_ASSIGN_OR_RETURN(Dataset chunk, reader.Read(o));
    if (r == begin) AppendCsvHeader(chunk, &buf);
    ARUS_RETURN_IF_ERROR(AppendCsvRows(chunk, &buf, &f));
    r = o.row_end;
  } while (r < end);
  ARUS_RETURN_IF_ERROR(f.Write(buf));
  return f.Commit();
}

}  // namespace arus::features
