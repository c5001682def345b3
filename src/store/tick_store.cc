#include "store/tick_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "core/file.h"
#include "store/partition_file.h"
#include "store/store_internal.h"

namespace arus::store {

namespace fs = std::filesystem;

namespace internal {

bool ValidSymbol(std::string_view s) {
  if (s.empty() || s.size() > kMaxSymbolLength || s[0] == '.') return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

bool ValidTimeframe(std::string_view s) {
  if (s.empty() || s.size() > kMaxTimeframeLength) return false;
  for (char c : s) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

bool IsStoreFileName(std::string_view name) {
  int64_t date;
  uint64_t gen;
  if (ParsePartitionFileName(name, &date, &gen) ||
      ParseBarPartitionFileName(name, BarPeriod::kMonth, &date, &gen) ||
      ParseBarPartitionFileName(name, BarPeriod::kYear, &date, &gen)) {
    return true;
  }
  const size_t pos = name.rfind(".tmp.");
  if (pos == std::string_view::npos || pos == 0 || pos + 5 == name.size()) return false;
  return std::all_of(name.begin() + static_cast<ptrdiff_t>(pos) + 5, name.end(),
                     [](char c) { return c >= '0' && c <= '9'; });
}

int FlockRetry(int fd, int op) {
  int rc;
  do {
    rc = ::flock(fd, op);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

Status CreateDirDurably(const std::string& root, const std::string& dir) {
  std::error_code ec;
  if (dir.size() <= root.size() || fs::exists(dir, ec)) return Status::Ok();
  const std::string parent = fs::path(dir).parent_path().string();
  ARUS_RETURN_IF_ERROR(CreateDirDurably(root, parent));
  fs::create_directory(dir, ec);
  if (ec) return IoError("cannot create '" + dir + "': " + ec.message());
  return SyncDirectory(parent);
}

}  // namespace internal

namespace {

using internal::FlockRetry;
using internal::Iso;
using internal::IsStoreFileName;
using internal::kTicksDir;
using internal::ValidSymbol;

constexpr char kStoreFile[] = "STORE.json";
constexpr char kStoreFormat[] = "arus-store";
constexpr int kStoreVersion = 1;
constexpr char kLockFile[] = "LOCK";
constexpr char kReadersFile[] = "READERS";

const int64_t kMinTs = internal::MinTs();
const int64_t kMaxTs = internal::MaxTs();

std::string DateString(int64_t days) { return fx::Date{days}.ToString(); }

bool SameTicks(std::span<const QuoteTick> a, std::span<const QuoteTick> b) {
  return a.size() == b.size() &&
         (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(QuoteTick)) == 0);
}

int64_t TsOf(const QuoteTick& t) { return t.ts_event.ns(); }

size_t LowerBound(std::span<const QuoteTick> v, int64_t ts) {
  return static_cast<size_t>(
      std::partition_point(v.begin(), v.end(), [&](const QuoteTick& t) { return TsOf(t) < ts; }) -
      v.begin());
}
size_t UpperBound(std::span<const QuoteTick> v, int64_t ts) {
  return static_cast<size_t>(
      std::partition_point(v.begin(), v.end(), [&](const QuoteTick& t) { return TsOf(t) <= ts; }) -
      v.begin());
}

// Opens a partition file and checks its header against the manifest's record of it.
Result<std::unique_ptr<PartitionReader>> OpenPartition(const SymbolState& st,
                                                       const PartitionEntry& p) {
  const std::string path = st.PathOf(p);
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<PartitionReader> r, PartitionReader::Open(path, p.bytes));
  const PartitionHeader& h = r->header();
  std::string what;
  if (h.symbol != st.symbol) {
    what = "symbol '" + h.symbol + "'";
  } else if (h.trading_date != p.trading_date) {
    what = "trading date " + DateString(h.trading_date);
  } else if (h.price_decimals != p.price_decimals) {
    what = "price decimals " + std::to_string(h.price_decimals);
  } else if (h.tick_count != static_cast<uint64_t>(p.tick_count)) {
    what = "tick count " + std::to_string(h.tick_count);
  } else if (h.first_ts != p.first_ts || h.last_ts != p.last_ts) {
    what = "time range [" + Iso(h.first_ts) + ", " + Iso(h.last_ts) + "]";
  }
  if (!what.empty()) {
    return Corruption(path + ": header has " + what + ", which differs from the manifest " +
                      st.ManifestPath());
  }
  return r;
}

Status ReadAllTicks(const PartitionReader& r, BlockDecoder* dec, std::vector<QuoteTick>* out) {
  out->clear();
  out->reserve(r.header().tick_count);
  std::string stored;
  std::vector<QuoteTick> block;
  for (size_t i = 0; i < r.blocks().size(); ++i) {
    ARUS_RETURN_IF_ERROR(r.ReadBlock(i, dec, &stored, &block));
    out->insert(out->end(), block.begin(), block.end());
  }
  return Status::Ok();
}

Result<int> OpenFile(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("cannot open '" + path + "'", errno);
  return fd;
}

Status CheckStoreFile(const std::string& path) {
  ARUS_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    return Corruption(path + ": not valid JSON: " + e.what());
  }
  if (!j.is_object() || !j.contains("format") || j["format"] != kStoreFormat) {
    return Corruption(path + ": field 'format': expected '" + std::string(kStoreFormat) + "'");
  }
  if (!j.contains("version") || !j["version"].is_number_integer()) {
    return Corruption(path + ": field 'version': missing or not an integer");
  }
  const int64_t v = j["version"].get<int64_t>();
  if (v != kStoreVersion) {
    return FailedPrecondition(path + ": unsupported store version " + std::to_string(v) +
                              " (this build reads version " + std::to_string(kStoreVersion) + ")");
  }
  return Status::Ok();
}

// Context of one Append while it builds partitions.
struct AppendContext {
  std::string symbol;
  std::string symbol_dir;
  uint64_t generation = 0;
  int hint = 0;
  bool replace = false;
  uint32_t block_ticks = 0;
  BlockEncoder* encoder = nullptr;
  BlockDecoder* decoder = nullptr;
  AppendStats* stats = nullptr;
  size_t input_offset = 0;  // index of the run's first tick in the caller's span
};

// Writes a finished partition image under its new name and describes it for the manifest.
Result<PartitionEntry> WritePartition(const AppendContext& cx, int64_t date, int decimals,
                                      PartitionWriter* w) {
  PartitionHeader h;
  const std::string image = w->Finish(&h);
  PartitionEntry e;
  e.trading_date = date;
  e.generation = cx.generation;
  e.file = PartitionFileName(date, cx.generation);
  e.tick_count = static_cast<int64_t>(h.tick_count);
  e.first_ts = h.first_ts;
  e.last_ts = h.last_ts;
  e.bytes = image.size();
  e.checksum = Checksum(image);
  e.price_decimals = decimals;
  ARUS_RETURN_IF_ERROR(WriteFileAtomic(cx.symbol_dir + "/" + e.file, image));
  return e;
}

// Stored partition followed by `tail` (all after the stored data). Full stored blocks are copied
// verbatim when the decimals do not change; only the last partial block is re-encoded.
Result<PartitionEntry> WriteAppended(const AppendContext& cx, const PartitionReader& r,
                                     std::span<const QuoteTick> tail, int decimals) {
  PartitionWriter w(cx.symbol, r.header().trading_date, decimals, cx.block_ticks, cx.encoder);
  std::vector<QuoteTick> merged;
  if (decimals == r.header().price_decimals) {
    const auto& blocks = r.blocks();
    const bool last_full = blocks.back().tick_count >= cx.block_ticks;
    const size_t copy = blocks.size() - (last_full ? 0 : 1);
    std::string stored;
    for (size_t i = 0; i < copy; ++i) {
      ARUS_RETURN_IF_ERROR(r.ReadStored(i, &stored));
      if (Checksum(stored) != blocks[i].checksum) {
        return Corruption(r.path() + ": block " + std::to_string(i) + ": checksum mismatch");
      }
      w.AddStoredBlock(blocks[i], stored);
    }
    if (copy < blocks.size()) {
      ARUS_RETURN_IF_ERROR(r.ReadBlock(copy, cx.decoder, &stored, &merged));
    }
  } else {
    ARUS_RETURN_IF_ERROR(ReadAllTicks(r, cx.decoder, &merged));
  }
  merged.insert(merged.end(), tail.begin(), tail.end());
  ARUS_RETURN_IF_ERROR(w.AddTicks(merged));
  return WritePartition(cx, r.header().trading_date, decimals, &w);
}

Result<PartitionEntry> WriteFull(const AppendContext& cx, int64_t date,
                                 std::span<const QuoteTick> ticks, int decimals) {
  PartitionWriter w(cx.symbol, date, decimals, cx.block_ticks, cx.encoder);
  ARUS_RETURN_IF_ERROR(w.AddTicks(ticks));
  return WritePartition(cx, date, decimals, &w);
}

// Applies one run of input ticks (all on trading date `date`) to the partition. Returns the new
// manifest entry, or an entry with an empty file name when nothing changes.
Result<PartitionEntry> UpdatePartition(const AppendContext& cx, const SymbolState* st,
                                       const PartitionEntry* existing, int64_t date,
                                       std::span<const QuoteTick> run) {
  AppendStats& stats = *cx.stats;
  const int64_t n = static_cast<int64_t>(run.size());
  const int needed = RequiredDecimals(run, cx.hint);
  if (existing == nullptr) {
    stats.ticks_added += n;
    return WriteFull(cx, date, run, needed);
  }
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<PartitionReader> r, OpenPartition(*st, *existing));
  const int decimals = std::max(existing->price_decimals, needed);
  const int64_t a = TsOf(run.front());
  const int64_t b = TsOf(run.back());
  if (a > existing->last_ts) {
    stats.ticks_added += n;
    return WriteAppended(cx, *r, run, decimals);
  }
  std::vector<QuoteTick> stored;
  ARUS_RETURN_IF_ERROR(ReadAllTicks(*r, cx.decoder, &stored));
  const std::span<const QuoteTick> all(stored);
  const size_t lo = LowerBound(all, a);
  const size_t hi = UpperBound(all, b);
  const std::span<const QuoteTick> covered = all.subspan(lo, hi - lo);
  if (SameTicks(covered, run)) {
    stats.ticks_duplicate += n;
    return PartitionEntry{};  // unchanged
  }
  if (b > existing->last_ts) {
    // Re-import of the stored tail followed by new ticks strictly after it.
    const size_t k = covered.size();
    if (k < run.size() && SameTicks(covered, run.subspan(0, k)) &&
        TsOf(run[k]) > existing->last_ts) {
      stats.ticks_duplicate += static_cast<int64_t>(k);
      stats.ticks_added += n - static_cast<int64_t>(k);
      const std::span<const QuoteTick> tail = run.subspan(k);
      const int dec = std::max(existing->price_decimals, RequiredDecimals(tail, cx.hint));
      return WriteAppended(cx, *r, tail, dec);
    }
  }
  if (covered.empty() || cx.replace) {
    // Insert into a stretch without stored ticks, or replace the covered stretch.
    std::vector<QuoteTick> merged;
    merged.reserve(stored.size() - covered.size() + run.size());
    merged.insert(merged.end(), stored.begin(), stored.begin() + static_cast<ptrdiff_t>(lo));
    merged.insert(merged.end(), run.begin(), run.end());
    merged.insert(merged.end(), stored.begin() + static_cast<ptrdiff_t>(hi), stored.end());
    stats.ticks_added += n;
    stats.ticks_replaced += static_cast<int64_t>(covered.size());
    return WriteFull(cx, date, merged, decimals);
  }
  size_t diff = 0;
  while (diff < covered.size() && diff < run.size() &&
         std::memcmp(&covered[diff], &run[diff], sizeof(QuoteTick)) == 0) {
    ++diff;
  }
  const int64_t diff_ts = TsOf(diff < run.size() ? run[diff] : run.back());
  return FailedPrecondition(cx.symbol + " trading date " + DateString(date) + ": new ticks in [" +
                            Iso(a) + ", " + Iso(b) + "] overlap " + std::to_string(covered.size()) +
                            " stored ticks that differ (first difference at input tick #" +
                            std::to_string(cx.input_offset + diff) + ", " + Iso(diff_ts) +
                            ") in '" + st->PathOf(*existing) +
                            "'; use --replace to replace the stored ticks in that span");
}

}  // namespace

// ---- TickScanner --------------------------------------------------------------------------------

struct TickScanner::Impl {
  std::shared_ptr<const SymbolState> state;
  int64_t from = 0;
  int64_t to = 0;
  size_t part = 0;
  std::unique_ptr<PartitionReader> reader;
  size_t block = 0;
  BlockDecoder decoder;
  std::string stored;
  std::vector<QuoteTick> buf;
  Status error;
  bool done = false;
};

TickScanner::TickScanner(std::shared_ptr<const SymbolState> state, UnixNanos from, UnixNanos to)
    : impl_(std::make_unique<Impl>()) {
  impl_->state = std::move(state);
  impl_->from = from.ns();
  impl_->to = to.ns();
  const auto& parts = impl_->state->manifest.partitions;
  impl_->part = static_cast<size_t>(
      std::partition_point(parts.begin(), parts.end(),
                           [&](const PartitionEntry& p) { return p.last_ts < impl_->from; }) -
      parts.begin());
  impl_->done = from >= to;
}

TickScanner::~TickScanner() = default;

Result<std::span<const QuoteTick>> TickScanner::Next() {
  Impl& s = *impl_;
  if (!s.error.ok()) return s.error;
  const auto& parts = s.state->manifest.partitions;
  while (!s.done) {
    if (!s.reader) {
      if (s.part >= parts.size() || parts[s.part].first_ts >= s.to) {
        s.done = true;
        break;
      }
      auto r = OpenPartition(*s.state, parts[s.part]);
      if (!r.ok()) {
        s.error = r.status();
        return s.error;
      }
      s.reader = std::move(r).value();
      const auto& blocks = s.reader->blocks();
      s.block = static_cast<size_t>(
          std::partition_point(blocks.begin(), blocks.end(),
                               [&](const BlockRef& b) { return b.last_ts < s.from; }) -
          blocks.begin());
    }
    const auto& blocks = s.reader->blocks();
    if (s.block >= blocks.size() || blocks[s.block].first_ts >= s.to) {
      s.reader.reset();
      ++s.part;
      continue;
    }
    const Status st = s.reader->ReadBlock(s.block++, &s.decoder, &s.stored, &s.buf);
    if (!st.ok()) {
      s.error = st;
      return s.error;
    }
    const std::span<const QuoteTick> all(s.buf);
    const size_t lo = TsOf(all.front()) >= s.from ? 0 : LowerBound(all, s.from);
    const size_t hi = TsOf(all.back()) < s.to ? all.size() : LowerBound(all, s.to);
    if (lo < hi) return all.subspan(lo, hi - lo);
  }
  return std::span<const QuoteTick>();
}

// ---- TickStore ----------------------------------------------------------------------------------

Result<std::unique_ptr<TickStore>> TickStore::Open(const std::string& dir, OpenMode mode,
                                                   StoreOptions options) {
  if (options.zstd_level < 1 || options.zstd_level > 19) {
    return InvalidArgument("zstd level " + std::to_string(options.zstd_level) +
                           " is not in [1, 19]");
  }
  if (options.block_ticks == 0 || options.block_ticks > kMaxBlockTicks) {
    return InvalidArgument("block size " + std::to_string(options.block_ticks) +
                           " ticks is not in [1, " + std::to_string(kMaxBlockTicks) + "]");
  }
  if (options.block_bars == 0 || options.block_bars > kMaxBlockBars) {
    return InvalidArgument("block size " + std::to_string(options.block_bars) +
                           " bars is not in [1, " + std::to_string(kMaxBlockBars) + "]");
  }
  std::unique_ptr<TickStore> s(new TickStore());
  s->dir_ = dir.empty() ? "." : dir;
  while (s->dir_.size() > 1 && s->dir_.back() == '/') s->dir_.pop_back();
  s->mode_ = mode;
  s->options_ = options;
  const std::string store_file = s->dir_ + "/" + kStoreFile;
  std::error_code ec;
  if (mode == OpenMode::kReadWrite) {
    fs::create_directories(s->dir_, ec);
    if (ec) return IoError("cannot create store directory '" + s->dir_ + "': " + ec.message());
    ARUS_ASSIGN_OR_RETURN(s->lock_fd_, OpenFile(s->dir_ + "/" + kLockFile, O_RDWR | O_CREAT));
    if (FlockRetry(s->lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      if (errno == EWOULDBLOCK) {
        return FailedPrecondition("store '" + s->dir_ +
                                  "' is open for writing by another process (LOCK is held); "
                                  "only one writer at a time");
      }
      return ErrnoError("cannot lock '" + s->dir_ + "/" + kLockFile + "'", errno);
    }
    ARUS_ASSIGN_OR_RETURN(s->readers_fd_, OpenFile(s->dir_ + "/" + kReadersFile, O_RDWR | O_CREAT));
    if (!fs::exists(store_file, ec)) {
      // Only what an interrupted creation leaves behind may be here. STORE.json is written
      // first and ticks/ is created by the first append, so a crash at any point of creation
      // leaves a directory this check accepts.
      for (const auto& e : fs::directory_iterator(s->dir_, ec)) {
        const std::string name = e.path().filename().string();
        const bool leftover =
            name == kLockFile || name == kReadersFile || name.rfind("STORE.json.tmp.", 0) == 0 ||
            ((name == kTicksDir || name == internal::kBarsDir) && fs::is_empty(e.path(), ec));
        if (!leftover) {
          return FailedPrecondition("'" + s->dir_ + "' is not empty and is not an arus store (no " +
                                    kStoreFile + "); refusing to write into it");
        }
      }
      if (ec) return IoError("cannot list '" + s->dir_ + "': " + ec.message());
      ARUS_RETURN_IF_ERROR(WriteFileAtomic(
          store_file, "{\"format\": \"" + std::string(kStoreFormat) +
                          "\", \"version\": " + std::to_string(kStoreVersion) + "}\n"));
    }
  } else {
    if (!fs::exists(store_file, ec)) {
      return NotFound("'" + s->dir_ + "' is not an arus store (no " + kStoreFile + ")");
    }
    auto fd = OpenFile(s->dir_ + "/" + kReadersFile, O_RDONLY);
    if (fd.ok()) {
      s->readers_fd_ = *fd;
      if (FlockRetry(s->readers_fd_, LOCK_SH) != 0) {
        return ErrnoError("cannot lock '" + s->dir_ + "/" + kReadersFile + "'", errno);
      }
    }
  }
  ARUS_RETURN_IF_ERROR(CheckStoreFile(store_file));
  ARUS_RETURN_IF_ERROR(s->LoadManifests());
  ARUS_RETURN_IF_ERROR(s->LoadBarManifests());
  if (mode == OpenMode::kReadWrite) {
    ARUS_RETURN_IF_ERROR(s->CleanOrphans());
    s->encoder_ = std::make_unique<BlockEncoder>(options.zstd_level, options.ask_encoding);
    s->decoder_ = std::make_unique<BlockDecoder>();
    s->bar_encoder_ = std::make_unique<BarBlockEncoder>(options.zstd_level);
    s->bar_decoder_ = std::make_unique<BarBlockDecoder>();
  }
  return s;
}

TickStore::~TickStore() {
  if (mode_ == OpenMode::kReadWrite) CollectGarbage();
  if (readers_fd_ >= 0) ::close(readers_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::string TickStore::SymbolDir(std::string_view symbol) const {
  return dir_ + "/" + kTicksDir + "/" + std::string(symbol);
}

Status TickStore::LoadManifests() {
  symbols_.clear();
  const std::string ticks_dir = dir_ + "/" + kTicksDir;
  std::error_code ec;
  if (!fs::exists(ticks_dir, ec)) return Status::Ok();
  fs::directory_iterator it(ticks_dir, ec);
  if (ec) return IoError("cannot list '" + ticks_dir + "': " + ec.message());
  for (const auto& e : it) {
    const std::string name = e.path().filename().string();
    if (!ValidSymbol(name) || !e.is_directory(ec)) continue;
    auto st = std::make_shared<SymbolState>();
    st->symbol = name;
    st->dir = SymbolDir(name);
    Result<std::string> text = ReadFile(st->ManifestPath());
    if (!text.ok() && text.status().code() == StatusCode::kNotFound) continue;  // never committed
    if (!text.ok()) {
      st->status = text.status();
    } else {
      Result<SymbolManifest> m = ParseManifest(*text, st->ManifestPath(), name);
      if (m.ok()) {
        st->manifest = std::move(m).value();
      } else {
        st->status = m.status();
      }
    }
    symbols_[name] = std::move(st);
  }
  return Status::Ok();
}

Status TickStore::CleanOrphans() {
  const std::string ticks_dir = dir_ + "/" + kTicksDir;
  std::error_code ec;
  // A reader in another process may still read files an older manifest referenced.
  if (readers_fd_ < 0 || FlockRetry(readers_fd_, LOCK_EX | LOCK_NB) != 0) return Status::Ok();
  CleanBarOrphans();
  if (!fs::exists(ticks_dir, ec)) {
    FlockRetry(readers_fd_, LOCK_UN);
    return Status::Ok();
  }
  for (const auto& d : fs::directory_iterator(ticks_dir, ec)) {
    const std::string name = d.path().filename().string();
    if (!ValidSymbol(name) || !d.is_directory(ec)) continue;
    auto it = symbols_.find(name);
    std::set<std::string> referenced;
    if (it != symbols_.end()) {
      if (!it->second->status.ok()) continue;  // damaged: leave everything for inspection
      for (const PartitionEntry& p : it->second->manifest.partitions) referenced.insert(p.file);
    }
    std::error_code ec2;
    for (const auto& f : fs::directory_iterator(d.path(), ec2)) {
      const std::string fname = f.path().filename().string();
      if (IsStoreFileName(fname) && referenced.count(fname) == 0) fs::remove(f.path(), ec2);
    }
    if (it == symbols_.end()) fs::remove(d.path(), ec2);  // only succeeds when empty
  }
  FlockRetry(readers_fd_, LOCK_UN);
  return Status::Ok();
}

void TickStore::CollectGarbage() {
  if (pending_deletes_.empty() || readers_fd_ < 0) return;
  bool locked = false;
  for (auto it = pending_deletes_.begin(); it != pending_deletes_.end();) {
    if (!it->state.expired()) {  // a scanner of this store still reads that snapshot
      ++it;
      continue;
    }
    if (!locked) {
      if (FlockRetry(readers_fd_, LOCK_EX | LOCK_NB) != 0) return;  // readers elsewhere: later
      locked = true;
    }
    for (const std::string& p : it->paths) std::remove(p.c_str());
    it = pending_deletes_.erase(it);
  }
  if (locked) FlockRetry(readers_fd_, LOCK_UN);
}

Result<std::shared_ptr<const SymbolState>> TickStore::FindSymbol(std::string_view symbol) const {
  auto it = symbols_.find(symbol);
  if (it == symbols_.end()) {
    std::string known;
    for (const auto& [name, st] : symbols_) known += (known.empty() ? "" : ", ") + name;
    return NotFound("no ticks stored for symbol '" + std::string(symbol) + "' in '" + dir_ +
                    "' (stored: " + (known.empty() ? "none" : known) + ")");
  }
  if (!it->second->status.ok()) return it->second->status;
  return it->second;
}

Result<AppendStats> TickStore::Append(std::string_view symbol, std::span<const QuoteTick> ticks,
                                      int price_decimals, AppendOptions options) {
  if (mode_ != OpenMode::kReadWrite) {
    return FailedPrecondition("store '" + dir_ + "' is open read-only; cannot append");
  }
  if (!ValidSymbol(symbol)) {
    return InvalidArgument("bad symbol '" + std::string(symbol) +
                           "': use 1-32 characters from A-Z a-z 0-9 _ - . (not starting with .)");
  }
  if (price_decimals < 0 || price_decimals > kPriceDecimals) {
    return InvalidArgument("price decimals " + std::to_string(price_decimals) + " not in [0, 9]");
  }
  if (options.provenance) ARUS_RETURN_IF_ERROR(ValidateProvenance(*options.provenance));
  AppendStats stats;
  stats.ticks_in = static_cast<int64_t>(ticks.size());
  if (ticks.empty()) return stats;
  for (size_t i = 0; i < ticks.size(); ++i) {
    const int64_t ts = TsOf(ticks[i]);
    if (ts < kMinTs || ts >= kMaxTs) {
      return InvalidArgument("tick #" + std::to_string(i) + ": time " + Iso(ts) +
                             " is outside [1900-01-01, 2200-01-01)");
    }
    if (i > 0 && ts < TsOf(ticks[i - 1])) {
      return InvalidArgument("ticks are not in time order: tick #" + std::to_string(i) + " at " +
                             Iso(ts) + " is before tick #" + std::to_string(i - 1) + " at " +
                             Iso(TsOf(ticks[i - 1])));
    }
  }

  std::shared_ptr<const SymbolState> old;
  if (auto it = symbols_.find(symbol); it != symbols_.end()) {
    old = it->second;
    if (!old->status.ok()) return old->status;
  }
  SymbolManifest manifest;
  if (old) {
    manifest = old->manifest;
  } else {
    manifest.symbol = std::string(symbol);
  }

  AppendContext cx;
  cx.symbol = std::string(symbol);
  cx.symbol_dir = SymbolDir(symbol);
  cx.generation = manifest.generation + 1;
  cx.hint = price_decimals;
  cx.replace = options.replace;
  cx.block_ticks = options_.block_ticks;
  cx.encoder = encoder_.get();
  cx.decoder = decoder_.get();
  cx.stats = &stats;

  // New directories must be durable before files in them are referenced by a manifest.
  ARUS_RETURN_IF_ERROR(internal::CreateDirDurably(dir_, cx.symbol_dir));

  std::vector<PartitionEntry> written;
  std::vector<std::string> superseded;
  auto abandon = [&](const Status& s) {  // unreferenced new files: remove now, not at next open
    for (const PartitionEntry& e : written) std::remove((cx.symbol_dir + "/" + e.file).c_str());
    return s;
  };
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  size_t i = 0;
  while (i < ticks.size()) {
    const fx::Date date = cal.TradingDateOf(ticks[i].ts_event);
    const fx::TradingDayBounds bounds = cal.Bounds(date);
    size_t j = i + 1;
    if (ticks[i].ts_event >= bounds.open && ticks[i].ts_event < bounds.close) {
      while (j < ticks.size() && ticks[j].ts_event < bounds.close) ++j;
    } else {  // bounds disagree with TradingDateOf: go tick by tick
      while (j < ticks.size() && cal.TradingDateOf(ticks[j].ts_event) == date) ++j;
    }
    const auto pos =
        std::lower_bound(manifest.partitions.begin(), manifest.partitions.end(), date.days,
                         [](const PartitionEntry& p, int64_t d) { return p.trading_date < d; });
    const PartitionEntry* existing =
        pos != manifest.partitions.end() && pos->trading_date == date.days ? &*pos : nullptr;
    cx.input_offset = i;
    Result<PartitionEntry> e =
        UpdatePartition(cx, old.get(), existing, date.days, ticks.subspan(i, j - i));
    if (!e.ok()) return abandon(e.status());
    if (!e->file.empty()) {
      if (existing != nullptr) superseded.push_back(old->PathOf(*existing));
      written.push_back(std::move(e).value());
    }
    i = j;
  }
  if (written.empty()) return stats;

  // New manifest: the old entries with the written ones replacing or joining them.
  std::vector<PartitionEntry> merged;
  merged.reserve(manifest.partitions.size() + written.size());
  size_t w = 0;
  for (const PartitionEntry& p : manifest.partitions) {
    while (w < written.size() && written[w].trading_date < p.trading_date) {
      merged.push_back(written[w++]);
    }
    if (w < written.size() && written[w].trading_date == p.trading_date) {
      merged.push_back(written[w++]);
    } else {
      merged.push_back(p);
    }
  }
  while (w < written.size()) merged.push_back(written[w++]);
  for (size_t k = 1; k < merged.size(); ++k) {
    if (merged[k].first_ts <= merged[k - 1].last_ts) {
      return abandon(Internal("partitions " + merged[k - 1].file + " and " + merged[k].file +
                              " overlap in time"));
    }
  }
  SymbolManifest next;
  next.symbol = cx.symbol;
  next.generation = cx.generation;
  next.partitions = std::move(merged);
  next.provenance = manifest.provenance;
  if (options.provenance) {
    ProvenanceRecord rec;
    rec.provenance = *options.provenance;
    rec.first_ts = ticks.front().ts_event;
    rec.last_ts = ticks.back().ts_event;
    rec.first_committed = rec.last_committed = CommitTime();
    rec.generation = cx.generation;
    AddProvenance(&next.provenance, std::move(rec));
  }
  auto state = std::make_shared<SymbolState>();
  state->symbol = cx.symbol;
  state->dir = cx.symbol_dir;
  const Status commit = WriteFileAtomic(state->ManifestPath(), SerializeManifest(next));
  if (!commit.ok()) return abandon(commit);
  state->manifest = std::move(next);
  symbols_[cx.symbol] = std::move(state);
  stats.partitions_written = static_cast<int>(written.size());
  if (old && !superseded.empty()) {
    pending_deletes_.push_back({old, std::move(superseded)});
    old.reset();
  }
  CollectGarbage();
  return stats;
}

Result<std::unique_ptr<TickScanner>> TickStore::Scan(std::string_view symbol, UnixNanos from,
                                                     UnixNanos to) const {
  ARUS_ASSIGN_OR_RETURN(std::shared_ptr<const SymbolState> st, FindSymbol(symbol));
  return std::unique_ptr<TickScanner>(new TickScanner(std::move(st), from, to));
}

Result<std::vector<QuoteTick>> TickStore::ReadAll(std::string_view symbol, UnixNanos from,
                                                  UnixNanos to) const {
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<TickScanner> scanner, Scan(symbol, from, to));
  std::vector<QuoteTick> out;
  while (true) {
    ARUS_ASSIGN_OR_RETURN(std::span<const QuoteTick> run, scanner->Next());
    if (run.empty()) break;
    out.insert(out.end(), run.begin(), run.end());
  }
  return out;
}

std::vector<std::string> TickStore::Symbols() const {
  std::vector<std::string> out;
  for (const auto& [name, st] : symbols_) out.push_back(name);
  return out;
}

Result<std::vector<PartitionInfo>> TickStore::Partitions(std::string_view symbol) const {
  ARUS_ASSIGN_OR_RETURN(std::shared_ptr<const SymbolState> st, FindSymbol(symbol));
  std::vector<PartitionInfo> out;
  for (const PartitionEntry& p : st->manifest.partitions) {
    PartitionInfo pi;
    pi.symbol = st->symbol;
    pi.trading_date = fx::Date{p.trading_date};
    pi.path = st->PathOf(p);
    pi.tick_count = p.tick_count;
    pi.first_ts = UnixNanos(p.first_ts);
    pi.last_ts = UnixNanos(p.last_ts);
    pi.bytes = p.bytes;
    pi.checksum = p.checksum;
    pi.price_decimals = p.price_decimals;
    out.push_back(std::move(pi));
  }
  return out;
}

Result<SymbolInfo> TickStore::Info(std::string_view symbol) const {
  ARUS_ASSIGN_OR_RETURN(std::shared_ptr<const SymbolState> st, FindSymbol(symbol));
  SymbolInfo info;
  info.symbol = st->symbol;
  const auto& parts = st->manifest.partitions;
  info.partitions = static_cast<int>(parts.size());
  if (!parts.empty()) {
    info.first_date = fx::Date{parts.front().trading_date};
    info.last_date = fx::Date{parts.back().trading_date};
    info.first_ts = UnixNanos(parts.front().first_ts);
    info.last_ts = UnixNanos(parts.back().last_ts);
  }
  for (const PartitionEntry& p : parts) {
    info.tick_count += p.tick_count;
    info.bytes_on_disk += p.bytes;
    info.price_decimals = std::max(info.price_decimals, p.price_decimals);
  }
  info.raw_bytes = static_cast<uint64_t>(info.tick_count) * sizeof(QuoteTick);
  return info;
}

Result<VerifyReport> TickStore::Verify() const {
  VerifyReport rep;
  BlockDecoder decoder;
  std::string stored;
  std::vector<QuoteTick> block;
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  for (const auto& [name, st] : symbols_) {
    ++rep.symbols;
    if (!st->status.ok()) {
      rep.problems.push_back(st->status);
      continue;
    }
    std::set<std::string> referenced;
    for (const PartitionEntry& p : st->manifest.partitions) {
      ++rep.partitions;
      referenced.insert(p.file);
      const std::string path = st->PathOf(p);
      Result<std::string> bytes = ReadFile(path);
      if (!bytes.ok()) {
        rep.problems.push_back(
            bytes.status().code() == StatusCode::kNotFound
                ? Corruption(path + ": partition file listed in the manifest is missing")
                : bytes.status());
        continue;
      }
      if (bytes->size() != p.bytes || Checksum(*bytes) != p.checksum) {
        rep.problems.push_back(Corruption(
            path + ": file size or checksum differs from the manifest " + st->ManifestPath()));
        continue;
      }
      rep.bytes += bytes->size();
      auto reader = OpenPartition(*st, p);
      if (!reader.ok()) {
        rep.problems.push_back(reader.status());
        continue;
      }
      const fx::TradingDayBounds bounds = cal.Bounds(fx::Date{p.trading_date});
      int64_t prev = INT64_MIN;
      for (size_t b = 0; b < (*reader)->blocks().size(); ++b) {
        ++rep.blocks;
        Status s = (*reader)->ReadBlock(b, &decoder, &stored, &block);
        for (size_t t = 0; s.ok() && t < block.size(); ++t) {
          const int64_t ts = TsOf(block[t]);
          if (ts < prev) {
            s = Corruption(path + ": block " + std::to_string(b) + ": tick " + std::to_string(t) +
                           " is out of time order");
          } else if (ts < bounds.open.ns() || ts >= bounds.close.ns()) {
            s = Corruption(path + ": block " + std::to_string(b) + ": tick at " + Iso(ts) +
                           " is outside trading date " + DateString(p.trading_date));
          }
          prev = ts;
        }
        if (!s.ok()) {
          rep.problems.push_back(s);
          break;
        }
        rep.ticks += static_cast<int64_t>(block.size());
      }
    }
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(st->dir, ec)) {
      const std::string fname = f.path().filename().string();
      if (IsStoreFileName(fname) && referenced.count(fname) == 0) ++rep.orphan_files;
    }
  }
  VerifyBars(&rep);
  return rep;
}

Status TickStore::Refresh() {
  if (mode_ == OpenMode::kReadWrite) return Status::Ok();  // the writer's view is always current
  ARUS_RETURN_IF_ERROR(LoadManifests());
  return LoadBarManifests();
}

Result<std::vector<ProvenanceRecord>> TickStore::Provenance(std::string_view symbol) const {
  ARUS_ASSIGN_OR_RETURN(std::shared_ptr<const SymbolState> st, FindSymbol(symbol));
  return st->manifest.provenance;
}

UnixNanos TickStore::CommitTime() const {
  static const LiveClock kLiveClock;
  return (options_.clock != nullptr ? options_.clock : &kLiveClock)->Now();
}

}  // namespace arus::store
