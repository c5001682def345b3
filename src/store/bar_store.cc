// Bar series of the store (TickStore methods that deal with bars): append, scan, listing,
// verification and orphan cleanup. Same commit protocol, snapshot and locking rules as ticks.
#include <sys/file.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <set>

#include "core/file.h"
#include "core/memory.h"
#include "store/partition_file.h"
#include "store/store_internal.h"
#include "store/tick_store.h"

namespace arus::store {

static_assert(sizeof(Bar) == 80, "bars are compared with memcmp: no padding allowed");

namespace {

namespace fs = std::filesystem;
using internal::Iso;
using internal::IsStoreFileName;
using internal::kBarsDir;
using internal::ValidSymbol;
using internal::ValidTimeframe;

bool ValidSide(std::string_view s) { return s == "bid" || s == "ask" || s == "mid"; }

int64_t TsOf(const Bar& b) { return b.ts_open.ns(); }

size_t LowerBound(std::span<const Bar> v, int64_t ts) {
  return static_cast<size_t>(
      std::partition_point(v.begin(), v.end(), [&](const Bar& b) { return TsOf(b) < ts; }) -
      v.begin());
}
size_t UpperBound(std::span<const Bar> v, int64_t ts) {
  return static_cast<size_t>(
      std::partition_point(v.begin(), v.end(), [&](const Bar& b) { return TsOf(b) <= ts; }) -
      v.begin());
}

bool SameBar(const Bar& a, uint8_t fa, const Bar& b, uint8_t fb) {
  return fa == fb && std::memcmp(&a, &b, sizeof(Bar)) == 0;
}

bool SameBars(std::span<const Bar> a, std::span<const uint8_t> fa, std::span<const Bar> b,
              std::span<const uint8_t> fb) {
  return a.size() == b.size() &&
         (a.empty() || (std::memcmp(a.data(), b.data(), a.size() * sizeof(Bar)) == 0 &&
                        std::memcmp(fa.data(), fb.data(), fa.size()) == 0));
}

std::string PeriodString(const BarSeriesState& st, int64_t period_start) {
  return PeriodText(st.manifest.period, period_start);
}

// Time range [lo, hi) of the trading dates of the period starting at `period_start`.
void PeriodBounds(BarPeriod period, int64_t period_start, int64_t* lo, int64_t* hi) {
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  *lo = cal.Bounds(fx::Date{period_start}).open.ns();
  *hi = cal.Bounds(fx::Date{NextPeriodStart(period, period_start)}).open.ns();
}

int64_t PeriodOf(BarPeriod period, UnixNanos ts) {
  return PeriodStart(period, fx::FxCalendar::Default().TradingDateOf(ts).days);
}

// Opens a bar partition and checks its header against the manifest's record of it.
Result<std::unique_ptr<PartitionReader>> OpenBarPartition(const BarSeriesState& st,
                                                          const BarPartitionEntry& p) {
  const std::string path = st.PathOf(p);
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<PartitionReader> r,
                        PartitionReader::Open(path, p.bytes, PartitionKind::kBars));
  const PartitionHeader& h = r->header();
  std::string what;
  if (h.symbol != st.key.symbol) {
    what = "symbol '" + h.symbol + "'";
  } else if (h.timeframe != st.key.timeframe || PriceSideName(h.side) != st.key.side) {
    what = "series " + h.timeframe + "." + std::string(PriceSideName(h.side));
  } else if (h.period != st.manifest.period || h.trading_date != p.period_start) {
    what = "period " + PeriodText(h.period, h.trading_date);
  } else if (h.price_decimals != p.price_decimals) {
    what = "price decimals " + std::to_string(h.price_decimals);
  } else if (h.tick_count != static_cast<uint64_t>(p.bar_count) ||
             h.filled_count != static_cast<uint64_t>(p.filled_count)) {
    what = "bar count " + std::to_string(h.tick_count) + " (" + std::to_string(h.filled_count) +
           " filled)";
  } else if (h.first_ts != p.first_ts || h.last_ts != p.last_ts) {
    what = "time range [" + Iso(h.first_ts) + ", " + Iso(h.last_ts) + "]";
  }
  if (!what.empty()) {
    return Corruption(path + ": header has " + what + ", which differs from the manifest " +
                      st.ManifestPath());
  }
  return r;
}

Status ReadAllBarRows(const PartitionReader& r, BarBlockDecoder* dec, std::vector<Bar>* bars,
                      std::vector<uint8_t>* flags) {
  bars->clear();
  flags->clear();
  bars->reserve(r.header().tick_count);
  flags->reserve(r.header().tick_count);
  std::string stored;
  std::vector<Bar> block;
  std::vector<uint8_t> block_flags;
  for (size_t i = 0; i < r.blocks().size(); ++i) {
    ARUS_RETURN_IF_ERROR(r.ReadBars(i, dec, &stored, &block, &block_flags));
    bars->insert(bars->end(), block.begin(), block.end());
    flags->insert(flags->end(), block_flags.begin(), block_flags.end());
  }
  return Status::Ok();
}

uint64_t CountFilled(std::span<const uint8_t> flags) {
  uint64_t n = 0;
  for (uint8_t f : flags) n += (f & kBarFilled) != 0;
  return n;
}

// Context of one AppendBars while it builds partitions.
struct BarAppendContext {
  BarSeriesKey key;
  std::string dir;
  BarPeriod period = BarPeriod::kMonth;
  uint64_t generation = 0;
  int hint = 0;
  bool replace = false;
  uint32_t block_bars = 0;
  BarBlockEncoder* encoder = nullptr;
  BarBlockDecoder* decoder = nullptr;
  AppendStats* stats = nullptr;
  size_t input_offset = 0;

  PartitionWriter NewWriter(int64_t period_start, int decimals) const {
    PartitionHeader h;
    h.kind = PartitionKind::kBars;
    h.symbol = key.symbol;
    h.trading_date = period_start;
    h.price_decimals = decimals;
    h.max_block_ticks = block_bars;
    h.timeframe = key.timeframe;
    h.side = ParsePriceSide(key.side).value();
    h.period = period;
    return PartitionWriter(h, encoder);
  }
};

Result<BarPartitionEntry> WriteBarPartition(const BarAppendContext& cx, int64_t period_start,
                                            int decimals, PartitionWriter* w) {
  PartitionHeader h;
  const std::string image = w->Finish(&h);
  BarPartitionEntry e;
  e.period_start = period_start;
  e.generation = cx.generation;
  e.file = BarPartitionFileName(cx.period, period_start, cx.generation);
  e.bar_count = static_cast<int64_t>(h.tick_count);
  e.filled_count = static_cast<int64_t>(h.filled_count);
  e.first_ts = h.first_ts;
  e.last_ts = h.last_ts;
  e.bytes = image.size();
  e.checksum = Checksum(image);
  e.price_decimals = decimals;
  ARUS_RETURN_IF_ERROR(WriteFileAtomic(cx.dir + "/" + e.file, image));
  return e;
}

Result<BarPartitionEntry> WriteBarsFull(const BarAppendContext& cx, int64_t period_start,
                                        std::span<const Bar> bars, std::span<const uint8_t> flags,
                                        int decimals) {
  PartitionWriter w = cx.NewWriter(period_start, decimals);
  ARUS_RETURN_IF_ERROR(w.AddBars(bars, flags));
  return WriteBarPartition(cx, period_start, decimals, &w);
}

// Stored partition followed by `tail` (all after the stored bars). Full stored blocks are copied
// verbatim when the decimals do not change; only the last, partial block is re-encoded.
Result<BarPartitionEntry> WriteBarsAppended(const BarAppendContext& cx, const PartitionReader& r,
                                            std::span<const Bar> tail,
                                            std::span<const uint8_t> tail_flags, int decimals) {
  const int64_t period_start = r.header().trading_date;
  PartitionWriter w = cx.NewWriter(period_start, decimals);
  std::vector<Bar> merged;
  std::vector<uint8_t> merged_flags;
  if (decimals == r.header().price_decimals) {
    const auto& blocks = r.blocks();
    const bool last_full = blocks.back().tick_count >= cx.block_bars;
    const size_t copy = blocks.size() - (last_full ? 0 : 1);
    std::string stored;
    if (copy < blocks.size()) {
      ARUS_RETURN_IF_ERROR(r.ReadBars(copy, cx.decoder, &stored, &merged, &merged_flags));
    }
    // The copied blocks hold the partition's filled bars minus those of the re-encoded one.
    uint64_t copied_filled = r.header().filled_count - CountFilled(merged_flags);
    for (size_t i = 0; i < copy; ++i) {
      ARUS_RETURN_IF_ERROR(r.ReadStored(i, &stored));
      if (Checksum(stored) != blocks[i].checksum) {
        return Corruption(r.path() + ": block " + std::to_string(i) + ": checksum mismatch");
      }
      w.AddStoredBlock(blocks[i], stored, copied_filled);
      copied_filled = 0;
    }
  } else {
    ARUS_RETURN_IF_ERROR(ReadAllBarRows(r, cx.decoder, &merged, &merged_flags));
  }
  merged.insert(merged.end(), tail.begin(), tail.end());
  merged_flags.insert(merged_flags.end(), tail_flags.begin(), tail_flags.end());
  ARUS_RETURN_IF_ERROR(w.AddBars(merged, merged_flags));
  return WriteBarPartition(cx, period_start, decimals, &w);
}

// Applies one run of input bars (all in the period starting at `period_start`) to the
// partition. Returns the new manifest entry, or an entry with an empty file name when nothing
// changes.
Result<BarPartitionEntry> UpdateBarPartition(const BarAppendContext& cx, const BarSeriesState* st,
                                             const BarPartitionEntry* existing,
                                             int64_t period_start, std::span<const Bar> run,
                                             std::span<const uint8_t> run_flags) {
  AppendStats& stats = *cx.stats;
  const int64_t n = static_cast<int64_t>(run.size());
  const int needed = RequiredBarDecimals(run, cx.hint);
  if (existing == nullptr) {
    stats.ticks_added += n;
    return WriteBarsFull(cx, period_start, run, run_flags, needed);
  }
  ARUS_ASSIGN_OR_RETURN(std::unique_ptr<PartitionReader> r, OpenBarPartition(*st, *existing));
  const int decimals = std::max(existing->price_decimals, needed);
  const int64_t a = TsOf(run.front());
  const int64_t b = TsOf(run.back());
  if (a > existing->last_ts) {
    stats.ticks_added += n;
    return WriteBarsAppended(cx, *r, run, run_flags, decimals);
  }
  std::vector<Bar> stored;
  std::vector<uint8_t> stored_flags;
  ARUS_RETURN_IF_ERROR(ReadAllBarRows(*r, cx.decoder, &stored, &stored_flags));
  const std::span<const Bar> all(stored);
  const size_t lo = LowerBound(all, a);
  const size_t hi = UpperBound(all, b);
  const std::span<const Bar> covered = all.subspan(lo, hi - lo);
  const std::span<const uint8_t> covered_flags =
      std::span<const uint8_t>(stored_flags).subspan(lo, hi - lo);
  if (SameBars(covered, covered_flags, run, run_flags)) {
    stats.ticks_duplicate += n;
    return BarPartitionEntry{};  // unchanged
  }
  if (b > existing->last_ts) {
    // Re-import of the stored tail followed by new bars strictly after it.
    const size_t k = covered.size();
    if (k < run.size() &&
        SameBars(covered, covered_flags, run.subspan(0, k), run_flags.subspan(0, k)) &&
        TsOf(run[k]) > existing->last_ts) {
      stats.ticks_duplicate += static_cast<int64_t>(k);
      stats.ticks_added += n - static_cast<int64_t>(k);
      const std::span<const Bar> tail = run.subspan(k);
      const int dec = std::max(existing->price_decimals, RequiredBarDecimals(tail, cx.hint));
      return WriteBarsAppended(cx, *r, tail, run_flags.subspan(k), dec);
    }
  }
  if (covered.empty() || cx.replace) {
    std::vector<Bar> merged;
    std::vector<uint8_t> merged_flags;
    merged.reserve(stored.size() - covered.size() + run.size());
    merged_flags.reserve(merged.capacity());
    merged.insert(merged.end(), stored.begin(), stored.begin() + static_cast<ptrdiff_t>(lo));
    merged.insert(merged.end(), run.begin(), run.end());
    merged.insert(merged.end(), stored.begin() + static_cast<ptrdiff_t>(hi), stored.end());
    merged_flags.insert(merged_flags.end(), stored_flags.begin(),
                        stored_flags.begin() + static_cast<ptrdiff_t>(lo));
    merged_flags.insert(merged_flags.end(), run_flags.begin(), run_flags.end());
    merged_flags.insert(merged_flags.end(), stored_flags.begin() + static_cast<ptrdiff_t>(hi),
                        stored_flags.end());
    stats.ticks_added += n;
    stats.ticks_replaced += static_cast<int64_t>(covered.size());
    return WriteBarsFull(cx, period_start, merged, merged_flags, decimals);
  }
  size_t diff = 0;
  while (diff < covered.size() && diff < run.size() &&
         SameBar(covered[diff], covered_flags[diff], run[diff], run_flags[diff])) {
    ++diff;
  }
  const int64_t diff_ts = TsOf(diff < run.size() ? run[diff] : run.back());
  return FailedPrecondition(
      cx.key.ToString() + " period " + PeriodString(*st, period_start) + ": new bars in [" +
      Iso(a) + ", " + Iso(b) + "] overlap " + std::to_string(covered.size()) +
      " stored bars that differ (first difference at input bar #" +
      std::to_string(cx.input_offset + diff) + ", " + Iso(diff_ts) + ") in '" +
      st->PathOf(*existing) + "'; use --replace to replace the stored bars in that span");
}

bool ParseSeriesDirName(std::string_view name, std::string* timeframe, std::string* side) {
  const size_t dot = name.find('.');
  if (dot == std::string_view::npos) return false;
  *timeframe = std::string(name.substr(0, dot));
  *side = std::string(name.substr(dot + 1));
  return ValidTimeframe(*timeframe) && ValidSide(*side);
}

}  // namespace

// ---- keys ---------------------------------------------------------------------------------------

std::string BarSeriesKey::ToString() const { return symbol + "/" + timeframe + "." + side; }

Status ValidateBarSeriesKey(const BarSeriesKey& key) {
  if (!ValidSymbol(key.symbol)) {
    return InvalidArgument("bad symbol '" + key.symbol +
                           "': use 1-32 characters from A-Z a-z 0-9 _ - . (not starting with .)");
  }
  if (!ValidTimeframe(key.timeframe)) {
    return InvalidArgument("bad timeframe '" + key.timeframe +
                           "': use 1-12 characters from A-Z a-z 0-9, e.g. M1, H4, D1");
  }
  if (!ValidSide(key.side)) {
    return InvalidArgument("bad price side '" + key.side + "': use bid, ask or mid");
  }
  return Status::Ok();
}

Result<BarSeriesKey> ParseBarSeriesKey(std::string_view text) {
  const size_t slash = text.find('/');
  BarSeriesKey key;
  if (slash == std::string_view::npos ||
      !ParseSeriesDirName(text.substr(slash + 1), &key.timeframe, &key.side)) {
    return InvalidArgument("bad bar series '" + std::string(text) +
                           "': expected SYMBOL/TIMEFRAME.SIDE, e.g. EURUSD/M1.bid");
  }
  key.symbol = std::string(text.substr(0, slash));
  ARUS_RETURN_IF_ERROR(ValidateBarSeriesKey(key));
  return key;
}

BarPeriod DefaultBarPeriod(std::string_view tf) {
  struct Unit {
    std::string_view prefix;
    int64_t seconds;
  };
  // "MN" before "M": months, not minutes.
  static constexpr Unit kUnits[] = {{"MN", 30 * 86400}, {"S", 1},     {"M", 60},
                                    {"H", 3600},        {"D", 86400}, {"W", 7 * 86400}};
  for (const Unit& u : kUnits) {
    if (tf.size() <= u.prefix.size() || tf.substr(0, u.prefix.size()) != u.prefix) continue;
    const std::string_view digits = tf.substr(u.prefix.size());
    int64_t n = 0;
    const auto r = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (r.ec != std::errc() || r.ptr != digits.data() + digits.size() || n <= 0) break;
    return n * u.seconds < 3600 ? BarPeriod::kMonth : BarPeriod::kYear;
  }
  return BarPeriod::kMonth;
}

// ---- BarScanner ---------------------------------------------------------------------------------

struct BarScanner::Impl {
  std::shared_ptr<const BarSeriesState> state;
  int64_t from = 0;
  int64_t to = 0;
  size_t part = 0;
  std::unique_ptr<PartitionReader> reader;
  size_t block = 0;
  BarBlockDecoder decoder;
  std::string stored;
  std::vector<Bar> bars;
  std::vector<uint8_t> flags;
  Status error;
  bool done = false;
};

BarScanner::BarScanner(std::shared_ptr<const BarSeriesState> state, UnixNanos from, UnixNanos to)
    : impl_(std::make_unique<Impl>()) {
  impl_->state = std::move(state);
  impl_->from = from.ns();
  impl_->to = to.ns();
  const auto& parts = impl_->state->manifest.partitions;
  impl_->part = static_cast<size_t>(
      std::partition_point(parts.begin(), parts.end(),
                           [&](const BarPartitionEntry& p) { return p.last_ts < impl_->from; }) -
      parts.begin());
  impl_->done = from >= to;
}

BarScanner::~BarScanner() = default;

Result<BarBatch> BarScanner::Next() {
  Impl& s = *impl_;
  if (!s.error.ok()) return s.error;
  const auto& parts = s.state->manifest.partitions;
  while (!s.done) {
    if (!s.reader) {
      if (s.part >= parts.size() || parts[s.part].first_ts >= s.to) {
        s.done = true;
        break;
      }
      auto r = OpenBarPartition(*s.state, parts[s.part]);
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
    const Status st = s.reader->ReadBars(s.block++, &s.decoder, &s.stored, &s.bars, &s.flags);
    if (!st.ok()) {
      s.error = st;
      return s.error;
    }
    const std::span<const Bar> all(s.bars);
    const size_t lo = TsOf(all.front()) >= s.from ? 0 : LowerBound(all, s.from);
    const size_t hi = TsOf(all.back()) < s.to ? all.size() : LowerBound(all, s.to);
    if (lo < hi) {
      return BarBatch{all.subspan(lo, hi - lo),
                      std::span<const uint8_t>(s.flags).subspan(lo, hi - lo)};
    }
  }
  return BarBatch{};
}

// ---- TickStore: bar series ----------------------------------------------------------------------

std::string TickStore::BarSeriesDir(const BarSeriesKey& key) const {
  return dir_ + "/" + kBarsDir + "/" + key.symbol + "/" + key.timeframe + "." + key.side;
}

Status TickStore::LoadBarManifests() {
  bar_series_.clear();
  const std::string bars_dir = dir_ + "/" + kBarsDir;
  std::error_code ec;
  if (!fs::exists(bars_dir, ec)) return Status::Ok();
  fs::directory_iterator it(bars_dir, ec);
  if (ec) return IoError("cannot list '" + bars_dir + "': " + ec.message());
  for (const auto& sym : it) {
    const std::string symbol = sym.path().filename().string();
    if (!ValidSymbol(symbol) || !sym.is_directory(ec)) continue;
    std::error_code ec2;
    fs::directory_iterator series_it(sym.path(), ec2);
    if (ec2) return IoError("cannot list '" + sym.path().string() + "': " + ec2.message());
    for (const auto& ser : series_it) {
      BarSeriesKey key;
      key.symbol = symbol;
      if (!ParseSeriesDirName(ser.path().filename().string(), &key.timeframe, &key.side) ||
          !ser.is_directory(ec2)) {
        continue;
      }
      auto st = std::make_shared<BarSeriesState>();
      st->key = key;
      st->dir = BarSeriesDir(key);
      Result<std::string> text = ReadFile(st->ManifestPath());
      if (!text.ok() && text.status().code() == StatusCode::kNotFound) continue;
      if (!text.ok()) {
        st->status = text.status();
      } else {
        Result<BarManifest> m =
            ParseBarManifest(*text, st->ManifestPath(), key.symbol, key.timeframe, key.side);
        if (m.ok()) {
          st->manifest = std::move(m).value();
        } else {
          st->status = m.status();
        }
      }
      bar_series_[key] = std::move(st);
    }
  }
  return Status::Ok();
}

// Called by CleanOrphans with READERS held exclusively.
void TickStore::CleanBarOrphans() {
  const std::string bars_dir = dir_ + "/" + kBarsDir;
  std::error_code ec;
  if (!fs::exists(bars_dir, ec)) return;
  for (const auto& sym : fs::directory_iterator(bars_dir, ec)) {
    const std::string symbol = sym.path().filename().string();
    if (!ValidSymbol(symbol) || !sym.is_directory(ec)) continue;
    std::error_code ec2;
    for (const auto& ser : fs::directory_iterator(sym.path(), ec2)) {
      BarSeriesKey key;
      key.symbol = symbol;
      if (!ParseSeriesDirName(ser.path().filename().string(), &key.timeframe, &key.side) ||
          !ser.is_directory(ec2)) {
        continue;
      }
      auto it = bar_series_.find(key);
      std::set<std::string> referenced;
      if (it != bar_series_.end()) {
        if (!it->second->status.ok()) continue;  // damaged: leave everything for inspection
        for (const BarPartitionEntry& p : it->second->manifest.partitions) {
          referenced.insert(p.file);
        }
      }
      std::error_code ec3;
      for (const auto& f : fs::directory_iterator(ser.path(), ec3)) {
        const std::string fname = f.path().filename().string();
        if (IsStoreFileName(fname) && referenced.count(fname) == 0) fs::remove(f.path(), ec3);
      }
      if (it == bar_series_.end()) fs::remove(ser.path(), ec3);  // only succeeds when empty
    }
    fs::remove(sym.path(), ec2);  // only succeeds when empty
  }
}

Result<std::shared_ptr<const BarSeriesState>> TickStore::FindBarSeries(
    const BarSeriesKey& key) const {
  auto it = bar_series_.find(key);
  if (it == bar_series_.end()) {
    std::string known;
    for (const auto& [k, st] : bar_series_) known += (known.empty() ? "" : ", ") + k.ToString();
    return NotFound("no bars stored for series '" + key.ToString() + "' in '" + dir_ +
                    "' (stored: " + (known.empty() ? "none" : known) + ")");
  }
  if (!it->second->status.ok()) return it->second->status;
  return it->second;
}

Result<AppendStats> TickStore::AppendBars(const BarSeriesKey& key, std::span<const Bar> bars,
                                          std::span<const uint8_t> flags, int price_decimals,
                                          AppendOptions options) {
  if (mode_ != OpenMode::kReadWrite) {
    return FailedPrecondition("store '" + dir_ + "' is open read-only; cannot append");
  }
  ARUS_RETURN_IF_ERROR(ValidateBarSeriesKey(key));
  if (price_decimals < 0 || price_decimals > kPriceDecimals) {
    return InvalidArgument("price decimals " + std::to_string(price_decimals) + " not in [0, 9]");
  }
  if (!flags.empty() && flags.size() != bars.size()) {
    return InvalidArgument(std::to_string(flags.size()) + " flags for " +
                           std::to_string(bars.size()) + " bars (give one per bar, or none)");
  }
  if (options.provenance) ARUS_RETURN_IF_ERROR(ValidateProvenance(*options.provenance));
  AppendStats stats;
  stats.ticks_in = static_cast<int64_t>(bars.size());
  if (bars.empty()) return stats;
  const int64_t min_ts = internal::MinTs(), max_ts = internal::MaxTs();
  for (size_t i = 0; i < bars.size(); ++i) {
    const int64_t ts = TsOf(bars[i]);
    if (ts < min_ts || ts >= max_ts) {
      return InvalidArgument("bar #" + std::to_string(i) + ": ts_open " + Iso(ts) +
                             " is outside [1900-01-01, 2200-01-01)");
    }
    if (bars[i].ts_close < bars[i].ts_open) {
      return InvalidArgument("bar #" + std::to_string(i) + ": ts_close " +
                             bars[i].ts_close.ToIso() + " is before ts_open " + Iso(ts));
    }
    if (i > 0 && ts <= TsOf(bars[i - 1])) {
      return InvalidArgument("bars are not in strictly increasing ts_open order: bar #" +
                             std::to_string(i) + " at " + Iso(ts) + " is not after bar #" +
                             std::to_string(i - 1) + " at " + Iso(TsOf(bars[i - 1])));
    }
  }
  std::vector<uint8_t> zero_flags;
  if (flags.empty()) {
    zero_flags.assign(bars.size(), 0);
    flags = zero_flags;
  }

  std::shared_ptr<const BarSeriesState> old;
  if (auto it = bar_series_.find(key); it != bar_series_.end()) {
    old = it->second;
    if (!old->status.ok()) return old->status;
  }
  BarManifest manifest;
  if (old) {
    manifest = old->manifest;
  } else {
    manifest.symbol = key.symbol;
    manifest.timeframe = key.timeframe;
    manifest.side = key.side;
    manifest.period = DefaultBarPeriod(key.timeframe);
  }

  BarAppendContext cx;
  cx.key = key;
  cx.dir = BarSeriesDir(key);
  cx.period = manifest.period;
  cx.generation = manifest.generation + 1;
  cx.hint = price_decimals;
  cx.replace = options.replace;
  cx.block_bars = options_.block_bars;
  cx.encoder = bar_encoder_.get();
  cx.decoder = bar_decoder_.get();
  cx.stats = &stats;
  ARUS_RETURN_IF_ERROR(internal::CreateDirDurably(dir_, cx.dir));

  std::vector<BarPartitionEntry> written;
  std::vector<std::string> superseded;
  auto abandon = [&](const Status& s) {  // unreferenced new files: remove now, not at next open
    for (const BarPartitionEntry& e : written) std::remove((cx.dir + "/" + e.file).c_str());
    return s;
  };
  size_t i = 0;
  while (i < bars.size()) {
    const int64_t ps = PeriodOf(cx.period, bars[i].ts_open);
    int64_t lo, hi;
    PeriodBounds(cx.period, ps, &lo, &hi);
    size_t j = i + 1;
    if (TsOf(bars[i]) >= lo && TsOf(bars[i]) < hi) {
      while (j < bars.size() && TsOf(bars[j]) < hi) ++j;
    } else {  // bounds disagree with TradingDateOf: go bar by bar
      while (j < bars.size() && PeriodOf(cx.period, bars[j].ts_open) == ps) ++j;
    }
    const auto pos =
        std::lower_bound(manifest.partitions.begin(), manifest.partitions.end(), ps,
                         [](const BarPartitionEntry& p, int64_t d) { return p.period_start < d; });
    const BarPartitionEntry* existing =
        pos != manifest.partitions.end() && pos->period_start == ps ? &*pos : nullptr;
    cx.input_offset = i;
    Result<BarPartitionEntry> e = UpdateBarPartition(
        cx, old.get(), existing, ps, bars.subspan(i, j - i), flags.subspan(i, j - i));
    if (!e.ok()) return abandon(e.status());
    if (!e->file.empty()) {
      if (existing != nullptr) superseded.push_back(old->PathOf(*existing));
      written.push_back(std::move(e).value());
    }
    i = j;
  }
  if (written.empty()) return stats;

  std::vector<BarPartitionEntry> merged;
  merged.reserve(manifest.partitions.size() + written.size());
  size_t w = 0;
  for (const BarPartitionEntry& p : manifest.partitions) {
    while (w < written.size() && written[w].period_start < p.period_start) {
      merged.push_back(written[w++]);
    }
    if (w < written.size() && written[w].period_start == p.period_start) {
      merged.push_back(written[w++]);
    } else {
      merged.push_back(p);
    }
  }
  while (w < written.size()) merged.push_back(written[w++]);
  for (size_t k = 1; k < merged.size(); ++k) {
    if (merged[k].first_ts <= merged[k - 1].last_ts) {
      return abandon(Internal("bar partitions " + merged[k - 1].file + " and " + merged[k].file +
                              " overlap in time"));
    }
  }
  BarManifest next = manifest;
  next.generation = cx.generation;
  next.partitions = std::move(merged);
  if (options.provenance) {
    ProvenanceRecord rec;
    rec.provenance = *options.provenance;
    rec.first_ts = bars.front().ts_open;
    rec.last_ts = bars.back().ts_open;
    rec.first_committed = rec.last_committed = CommitTime();
    rec.generation = cx.generation;
    AddProvenance(&next.provenance, std::move(rec));
  }
  auto state = std::make_shared<BarSeriesState>();
  state->key = key;
  state->dir = cx.dir;
  const Status commit = WriteFileAtomic(state->ManifestPath(), SerializeBarManifest(next));
  if (!commit.ok()) return abandon(commit);
  state->manifest = std::move(next);
  bar_series_[key] = std::move(state);
  stats.partitions_written = static_cast<int>(written.size());
  if (old && !superseded.empty()) {
    pending_deletes_.push_back({old, std::move(superseded)});
    old.reset();
  }
  CollectGarbage();
  return stats;
}

Result<std::unique_ptr<BarScanner>> TickStore::ScanBars(const BarSeriesKey& key, UnixNanos from,
                                                        UnixNanos to) const {
  ARUS_ASSIGN_OR_RETURN(std::shared_ptr<const BarSeriesState> st, FindBarSeries(key));
  return std::unique_ptr<BarScanner>(new BarScanner(std::move(st), from, to));
}

Result<BarData> TickStore::ReadAllBars(const BarSeriesKey& key, UnixNanos from,
                                       UnixNanos to) const {
  ARUS_ASSIGN_OR_RETURN(std::shared_ptr<const BarSeriesState> st, FindBarSeries(key));
  // Room for every bar of the partitions that overlap the range, mapped in at once. The counts
  // come from the manifest: a damaged one must not make us reserve absurd amounts (the partitions'
  // own checks report it), so implausible totals reserve nothing and the vectors just grow.
  constexpr int64_t kMostReserved = int64_t{1} << 27;
  int64_t most = 0;
  for (const BarPartitionEntry& p : st->manifest.partitions) {
    if (UnixNanos(p.last_ts) >= from && UnixNanos(p.first_ts) < to) {
      most += std::clamp<int64_t>(p.bar_count, 0, kMostReserved);
    }
  }
  BarData out;
  if (most <= kMostReserved) {
    ReserveForWrite(out.bars, static_cast<size_t>(most));
    ReserveForWrite(out.flags, static_cast<size_t>(most));
  }
  std::unique_ptr<BarScanner> scanner(new BarScanner(std::move(st), from, to));
  while (true) {
    ARUS_ASSIGN_OR_RETURN(BarBatch batch, scanner->Next());
    if (batch.empty()) break;
    out.bars.insert(out.bars.end(), batch.bars.begin(), batch.bars.end());
    out.flags.insert(out.flags.end(), batch.flags.begin(), batch.flags.end());
  }
  return out;
}

std::vector<BarSeriesKey> TickStore::BarSeries(std::string_view symbol) const {
  std::vector<BarSeriesKey> out;
  for (const auto& [key, st] : bar_series_) {
    if (symbol.empty() || key.symbol == symbol) out.push_back(key);
  }
  return out;
}

Result<std::vector<BarPartitionInfo>> TickStore::BarPartitions(const BarSeriesKey& key) const {
  ARUS_ASSIGN_OR_RETURN(std::shared_ptr<const BarSeriesState> st, FindBarSeries(key));
  std::vector<BarPartitionInfo> out;
  for (const BarPartitionEntry& p : st->manifest.partitions) {
    BarPartitionInfo pi;
    pi.key = st->key;
    pi.period_start = fx::Date{p.period_start};
    pi.path = st->PathOf(p);
    pi.bar_count = p.bar_count;
    pi.filled_count = p.filled_count;
    pi.first_ts = UnixNanos(p.first_ts);
    pi.last_ts = UnixNanos(p.last_ts);
    pi.bytes = p.bytes;
    pi.checksum = p.checksum;
    pi.price_decimals = p.price_decimals;
    out.push_back(std::move(pi));
  }
  return out;
}

Result<BarSeriesInfo> TickStore::BarInfo(const BarSeriesKey& key) const {
  ARUS_ASSIGN_OR_RETURN(std::shared_ptr<const BarSeriesState> st, FindBarSeries(key));
  BarSeriesInfo info;
  info.key = st->key;
  info.period = st->manifest.period;
  const auto& parts = st->manifest.partitions;
  info.partitions = static_cast<int>(parts.size());
  if (!parts.empty()) {
    info.first_ts = UnixNanos(parts.front().first_ts);
    info.last_ts = UnixNanos(parts.back().last_ts);
  }
  for (const BarPartitionEntry& p : parts) {
    info.bar_count += p.bar_count;
    info.filled_count += p.filled_count;
    info.bytes_on_disk += p.bytes;
    info.price_decimals = std::max(info.price_decimals, p.price_decimals);
  }
  info.raw_bytes = static_cast<uint64_t>(info.bar_count) * sizeof(Bar);
  return info;
}

Result<std::vector<ProvenanceRecord>> TickStore::Provenance(const BarSeriesKey& key) const {
  ARUS_ASSIGN_OR_RETURN(std::shared_ptr<const BarSeriesState> st, FindBarSeries(key));
  return st->manifest.provenance;
}

void TickStore::VerifyBars(VerifyReport* rep) const {
  BarBlockDecoder decoder;
  std::string stored;
  std::vector<Bar> block;
  std::vector<uint8_t> flags;
  for (const auto& [key, st] : bar_series_) {
    ++rep->bar_series;
    if (!st->status.ok()) {
      rep->problems.push_back(st->status);
      continue;
    }
    std::set<std::string> referenced;
    for (const BarPartitionEntry& p : st->manifest.partitions) {
      ++rep->bar_partitions;
      referenced.insert(p.file);
      const std::string path = st->PathOf(p);
      Result<std::string> bytes = ReadFile(path);
      if (!bytes.ok()) {
        rep->problems.push_back(
            bytes.status().code() == StatusCode::kNotFound
                ? Corruption(path + ": partition file listed in the manifest is missing")
                : bytes.status());
        continue;
      }
      if (bytes->size() != p.bytes || Checksum(*bytes) != p.checksum) {
        rep->problems.push_back(Corruption(
            path + ": file size or checksum differs from the manifest " + st->ManifestPath()));
        continue;
      }
      rep->bar_bytes += bytes->size();
      auto reader = OpenBarPartition(*st, p);
      if (!reader.ok()) {
        rep->problems.push_back(reader.status());
        continue;
      }
      int64_t lo, hi;
      PeriodBounds(st->manifest.period, p.period_start, &lo, &hi);
      int64_t prev = INT64_MIN;
      uint64_t filled = 0;
      bool bad = false;
      for (size_t b = 0; b < (*reader)->blocks().size() && !bad; ++b) {
        ++rep->bar_blocks;
        Status s = (*reader)->ReadBars(b, &decoder, &stored, &block, &flags);
        for (size_t t = 0; s.ok() && t < block.size(); ++t) {
          const int64_t ts = TsOf(block[t]);
          const std::string where =
              path + ": block " + std::to_string(b) + ": bar " + std::to_string(t);
          if (ts <= prev) {
            s = Corruption(where + " is not after the previous bar");
          } else if (ts < lo || ts >= hi) {
            s = Corruption(where + " opens at " + Iso(ts) + ", outside period " +
                           PeriodString(*st, p.period_start));
          } else if (block[t].ts_close < block[t].ts_open) {
            s = Corruption(where + " closes before it opens");
          }
          prev = ts;
        }
        if (!s.ok()) {
          rep->problems.push_back(s);
          bad = true;
          break;
        }
        filled += CountFilled(flags);
        rep->bars += static_cast<int64_t>(block.size());
      }
      if (!bad && filled != static_cast<uint64_t>(p.filled_count)) {
        rep->problems.push_back(Corruption(path + ": " + std::to_string(filled) +
                                           " filled bars, but the header records " +
                                           std::to_string(p.filled_count)));
      }
    }
    std::error_code ec;
    for (const auto& f : fs::directory_iterator(st->dir, ec)) {
      const std::string fname = f.path().filename().string();
      if (IsStoreFileName(fname) && referenced.count(fname) == 0) ++rep->orphan_files;
    }
  }
}

}  // namespace arus::store
