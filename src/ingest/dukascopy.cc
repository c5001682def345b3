#include "ingest/dukascopy.h"

#include <fcntl.h>
#include <lzma.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "fx/instrument.h"

namespace arus::ingest {

namespace {

namespace fs = std::filesystem;

constexpr uint32_t kMsPerHour = 3'600'000;
// Dukascopy's dictionaries are small; a header asking for more is hostile or corrupt.
constexpr uint64_t kLzmaMemLimit = uint64_t{128} << 20;
// Compressed input larger than this cannot be a sane hour (LZMA never expands by 1 MiB+).
constexpr uint64_t kMaxBi5FileBytes = kMaxBi5DecodedBytes + (uint64_t{1} << 20);
constexpr size_t kLzmaHeaderBytes = 13;

// A rejected record (or whole file, line 0), kept until it can be reported in file order.
struct Reject {
  uint64_t line = 0;
  const char* field = "";
  const char* reason = "";
  std::string detail;
  std::string raw;
};

inline uint32_t LoadBe32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return __builtin_bswap32(v);
}

inline float LoadBeFloat(const uint8_t* p) {
  const uint32_t bits = LoadBe32(p);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

bool ValidVolume(float v) { return v >= 0.0f && v <= std::numeric_limits<float>::max(); }

std::string FormatRecord(uint32_t ms, uint32_t ask, uint32_t bid, float av, float bv) {
  char buf[160];
  std::snprintf(buf, sizeof(buf), "ms=%u ask=%u bid=%u ask_volume=%.9g bid_volume=%.9g", ms, ask,
                bid, static_cast<double>(av), static_cast<double>(bv));
  return buf;
}

std::string FormatVolume(float v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.9g", static_cast<double>(v));
  return buf;
}

std::string LzmaRetName(lzma_ret r) {
  switch (r) {
    case LZMA_FORMAT_ERROR:
      return "not an LZMA alone stream (bad header)";
    case LZMA_OPTIONS_ERROR:
      return "unsupported LZMA options in the header";
    case LZMA_DATA_ERROR:
      return "corrupt LZMA data";
    case LZMA_BUF_ERROR:
      return "truncated LZMA stream";
    case LZMA_MEMLIMIT_ERROR:
      return "LZMA dictionary larger than " + std::to_string(kLzmaMemLimit >> 20) + " MiB";
    case LZMA_MEM_ERROR:
      return "out of memory decoding LZMA";
    default:
      return "LZMA error " + std::to_string(static_cast<int>(r));
  }
}

// One LZMA "alone" decoder and its output buffer, reused across files so that the dictionary and
// the buffer are allocated once per thread, not once per hour. Owned by one thread.
class Bi5Decoder {
 public:
  Bi5Decoder() = default;
  ~Bi5Decoder() { lzma_end(&strm_); }
  Bi5Decoder(const Bi5Decoder&) = delete;
  Bi5Decoder& operator=(const Bi5Decoder&) = delete;

  // Decompresses `in` into the internal buffer; on failure returns false and sets *why.
  bool Decompress(std::string_view in, std::span<const uint8_t>* out, std::string* why,
                  bool* trailing) {
    *trailing = false;
    if (in.size() < kLzmaHeaderBytes) {
      *why = "truncated LZMA header (" + std::to_string(in.size()) + " bytes)";
      return false;
    }
    // Header: props (1), dictionary size (4, LE), decoded size (8, LE; all ones = unknown).
    uint64_t declared = 0;
    for (int i = 0; i < 8; ++i) {
      declared |= uint64_t{static_cast<uint8_t>(in[5 + i])} << (8 * i);
    }
    const bool known = declared != std::numeric_limits<uint64_t>::max();
    if (known && declared > kMaxBi5DecodedBytes) {
      *why = "declared decoded size " + std::to_string(declared) + " bytes exceeds the " +
             std::to_string(kMaxBi5DecodedBytes >> 20) + " MiB cap for one hour";
      return false;
    }
    size_t want = known ? static_cast<size_t>(declared) + 1
                        : std::max<size_t>(in.size() * 8, size_t{256} << 10);
    want = std::min(want, kMaxBi5DecodedBytes + 1);
    Reserve(want, 0);

    lzma_ret r = lzma_alone_decoder(&strm_, kLzmaMemLimit);
    if (r != LZMA_OK) {
      *why = LzmaRetName(r);
      return false;
    }
    strm_.next_in = reinterpret_cast<const uint8_t*>(in.data());
    strm_.avail_in = in.size();
    strm_.next_out = buf_.get();
    strm_.avail_out = cap_;
    for (;;) {
      r = lzma_code(&strm_, LZMA_FINISH);
      const size_t produced = static_cast<size_t>(strm_.next_out - buf_.get());
      if (r == LZMA_STREAM_END) {
        *out = std::span<const uint8_t>(buf_.get(), produced);
        *trailing = strm_.avail_in != 0;
        return true;
      }
      if (r != LZMA_OK) {
        *why = LzmaRetName(r);
        return false;
      }
      if (strm_.avail_out == 0) {
        if (produced > kMaxBi5DecodedBytes) {
          *why = "decoded size exceeds the " + std::to_string(kMaxBi5DecodedBytes >> 20) +
                 " MiB cap for one hour";
          return false;
        }
        Reserve(std::min(cap_ * 2, kMaxBi5DecodedBytes + 1), produced);
        strm_.next_out = buf_.get() + produced;
        strm_.avail_out = cap_ - produced;
        continue;
      }
      if (strm_.avail_in == 0) {
        *why = LzmaRetName(LZMA_BUF_ERROR);
        return false;
      }
      // Progress with both buffers non-empty: call again (liblzma reports BUF_ERROR when stuck).
    }
  }

  // Drops an oversized buffer after a huge hour so a worker does not keep 64 MiB forever.
  void Trim() {
    if (cap_ > (size_t{8} << 20)) {
      buf_.reset();
      cap_ = 0;
    }
  }

 private:
  void Reserve(size_t n, size_t keep) {
    if (n <= cap_) return;
    std::unique_ptr<uint8_t[]> nb(new uint8_t[n]);
    if (keep > 0) std::memcpy(nb.get(), buf_.get(), keep);
    buf_ = std::move(nb);
    cap_ = n;
  }

  lzma_stream strm_{};
  std::unique_ptr<uint8_t[]> buf_;
  size_t cap_ = 0;
};

struct DecodeArgs {
  UnixNanos hour;
  int decimals = 5;
  UnixNanos from = UnixNanos::Min();
  UnixNanos to = UnixNanos::Max();
  const std::string* file = nullptr;
  bool strict = false;
};

// Decodes one file: valid ticks inside [from, to) are appended to `out`, rejects to `rejects`.
// Returns an error only with `strict` (the first bad record or a bad file); `out` and `rejects`
// are then left as they were. *rows counts the records read (a trailing partial one included).
Status DecodeFile(Bi5Decoder* dec, std::string_view compressed, const DecodeArgs& a,
                  std::vector<QuoteTick>* out, std::vector<Reject>* rejects, int64_t* rows) {
  *rows = 0;
  if (compressed.empty()) return Status::Ok();  // an hour without ticks
  const size_t out_start = out->size();
  const size_t rej_start = rejects->size();

  std::span<const uint8_t> data;
  std::string why;
  bool trailing = false;
  if (!dec->Decompress(compressed, &data, &why, &trailing)) {
    if (a.strict) return ParseError(*a.file, 0, "", "bad file: " + why);
    rejects->push_back(
        Reject{0, "file", "bad file", std::move(why), std::string(compressed.substr(0, 16))});
    return Status::Ok();
  }

  const size_t n = data.size() / kBi5RecordBytes;
  const size_t partial = data.size() % kBi5RecordBytes;
  *rows = static_cast<int64_t>(n + (partial != 0 ? 1 : 0));
  const int64_t hour_ns = a.hour.ns();
  const int64_t scale = Pow10(kPriceDecimals - a.decimals);
  const int64_t from = a.from.ns();
  const int64_t to = a.to.ns();

  auto fail = [&](uint64_t line, const char* field, const char* reason, std::string detail,
                  std::string raw) -> Status {
    if (a.strict) {
      out->resize(out_start);
      rejects->resize(rej_start);
      return ParseError(*a.file, line, field, std::string(reason) + ": " + detail);
    }
    rejects->push_back(Reject{line, field, reason, std::move(detail), std::move(raw)});
    return Status::Ok();
  };

  out->resize(out_start + n);
  QuoteTick* w = out->data() + out_start;
  const uint8_t* p = data.data();
  uint32_t prev_ms = 0;
  for (size_t i = 0; i < n; ++i, p += kBi5RecordBytes) {
    const uint32_t ms = LoadBe32(p);
    const uint32_t ask = LoadBe32(p + 4);
    const uint32_t bid = LoadBe32(p + 8);
    const float av = LoadBeFloat(p + 12);
    const float bv = LoadBeFloat(p + 16);
    // Prices must be in 1..INT32_MAX: a set top bit is a negative number written unsigned.
    const bool ok = ms < kMsPerHour && ask - 1u < 0x7fffffffu && bid - 1u < 0x7fffffffu &&
                    bid <= ask && ValidVolume(av) && ValidVolume(bv) && ms >= prev_ms;
    if (__builtin_expect(ok, 1)) {
      prev_ms = ms;
      const int64_t ts = hour_ns + int64_t{ms} * kNanosPerMilli;
      if (ts < from || ts >= to) continue;  // outside the requested range: dropped, not bad
      w->ts_event = UnixNanos(ts);
      w->bid = Price::FromRaw(int64_t{bid} * scale);
      w->ask = Price::FromRaw(int64_t{ask} * scale);
      w->bid_volume = bv;
      w->ask_volume = av;
      ++w;
      continue;
    }
    // Slow path: say what is wrong (the first problem found).
    const uint64_t line = i + 1;
    Status st;
    const size_t written = static_cast<size_t>(w - out->data());
    if (ms >= kMsPerHour) {
      st = fail(line, "time", "time outside the hour",
                std::to_string(ms) + " ms is not within the hour (0..3599999)",
                FormatRecord(ms, ask, bid, av, bv));
    } else if (ask - 1u >= 0x7fffffffu) {
      st = fail(line, "ask", "bad price", "ask " + std::to_string(ask) + " is not a positive price",
                FormatRecord(ms, ask, bid, av, bv));
    } else if (bid - 1u >= 0x7fffffffu) {
      st = fail(line, "bid", "bad price", "bid " + std::to_string(bid) + " is not a positive price",
                FormatRecord(ms, ask, bid, av, bv));
    } else if (bid > ask) {
      st = fail(line, "bid", "crossed quote",
                "bid " + Price::FromRaw(int64_t{bid} * scale).ToString(a.decimals) + " > ask " +
                    Price::FromRaw(int64_t{ask} * scale).ToString(a.decimals),
                FormatRecord(ms, ask, bid, av, bv));
    } else if (!ValidVolume(av)) {
      st = fail(line, "ask_volume", "bad volume",
                "ask volume " + FormatVolume(av) + " is not a finite non-negative number",
                FormatRecord(ms, ask, bid, av, bv));
    } else if (!ValidVolume(bv)) {
      st = fail(line, "bid_volume", "bad volume",
                "bid volume " + FormatVolume(bv) + " is not a finite non-negative number",
                FormatRecord(ms, ask, bid, av, bv));
    } else {
      st = fail(line, "time", "non-monotonic time",
                std::to_string(ms) + " ms is before the previous tick's " +
                    std::to_string(prev_ms) + " ms",
                FormatRecord(ms, ask, bid, av, bv));
    }
    if (!st.ok()) return st;
    w = out->data() + written;  // `fail` never reallocates `out` on the non-strict path
  }
  out->resize(static_cast<size_t>(w - out->data()));

  if (partial != 0) {
    ARUS_RETURN_IF_ERROR(fail(n + 1, "record", "truncated record",
                              "decoded size " + std::to_string(data.size()) +
                                  " is not a multiple of 20: " + std::to_string(partial) +
                                  " trailing bytes",
                              std::string(reinterpret_cast<const char*>(p), partial)));
  }
  if (trailing) {
    // The stream ended before the input did: keep the ticks, but do not hide the leftover.
    ARUS_RETURN_IF_ERROR(
        fail(0, "file", "trailing bytes", "bytes left after the end of the LZMA stream", ""));
  }
  return Status::Ok();
}

Bi5Decoder& ThreadDecoder() {
  thread_local Bi5Decoder dec;
  return dec;
}

Status BadPath(std::string_view path, std::string_view why) {
  return InvalidArgument("bi5 path '" + std::string(path) + "': " + std::string(why) +
                         " (expected .../YYYY/MM/DD/HHh_ticks.bi5 with a 0-based month, "
                         "00 = January)");
}

bool ParseDigits(std::string_view s, size_t n, int* v) {
  if (s.size() != n) return false;
  int x = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    x = x * 10 + (c - '0');
  }
  *v = x;
  return true;
}

constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2200;

int DaysInMonth(int y, int m1) {  // m1: 1-based
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m1 == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 29;
  return kDays[m1 - 1];
}

// Splits off up to `n` trailing path components (last first).
std::vector<std::string_view> LastComponents(std::string_view path, size_t n) {
  std::vector<std::string_view> parts;
  size_t end = path.size();
  while (parts.size() < n && end > 0) {
    const size_t sep = path.find_last_of("/\\", end - 1);
    const size_t begin = sep == std::string_view::npos ? 0 : sep + 1;
    if (end > begin) parts.push_back(path.substr(begin, end - begin));
    if (sep == std::string_view::npos) break;
    end = sep;
  }
  return parts;
}

// The time span a date folder stands for, from the trailing components of its path
// (".../YYYY", ".../YYYY/MM", ".../YYYY/MM/DD"); nullopt when the path is not such a folder.
std::optional<std::pair<int64_t, int64_t>> DateFolderSpan(const fs::path& dir) {
  const std::string s = dir.string();
  const auto c = LastComponents(s, 3);
  int y = 0, m = 0, d = 0;
  if (c.size() >= 3 && ParseDigits(c[2], 4, &y) && ParseDigits(c[1], 2, &m) &&
      ParseDigits(c[0], 2, &d)) {
    if (y < kMinYear || y > kMaxYear || m > 11 || d < 1 || d > DaysInMonth(y, m + 1)) {
      return std::nullopt;
    }
    const int64_t lo = DaysFromCivil(y, static_cast<unsigned>(m + 1), static_cast<unsigned>(d));
    return std::make_pair(lo * kNanosPerDay, (lo + 1) * kNanosPerDay);
  }
  if (c.size() >= 2 && ParseDigits(c[1], 4, &y) && ParseDigits(c[0], 2, &m)) {
    if (y < kMinYear || y > kMaxYear || m > 11) return std::nullopt;
    const int64_t lo = DaysFromCivil(y, static_cast<unsigned>(m + 1), 1);
    return std::make_pair(lo * kNanosPerDay, (lo + DaysInMonth(y, m + 1)) * kNanosPerDay);
  }
  if (!c.empty() && ParseDigits(c[0], 4, &y)) {
    if (y < kMinYear || y > kMaxYear) return std::nullopt;
    return std::make_pair(DaysFromCivil(y, 1, 1) * kNanosPerDay,
                          DaysFromCivil(y + 1, 1, 1) * kNanosPerDay);
  }
  return std::nullopt;
}

bool Intersects(int64_t lo, int64_t hi, UnixNanos from, UnixNanos to) {
  return lo < to.ns() && hi > from.ns();
}

struct Bi5File {
  std::string path;
  UnixNanos hour;
};

// Reads a whole file into `buf` (reused). Files over kMaxBi5FileBytes are reported via *too_big.
Status ReadInto(const std::string& path, std::string* buf, bool* too_big) {
  *too_big = false;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open '" + path + "'", errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return ErrnoError("stat '" + path + "'", err);
  }
  if (static_cast<uint64_t>(st.st_size) > kMaxBi5FileBytes) {
    ::close(fd);
    *too_big = true;
    buf->clear();
    return Status::Ok();
  }
  buf->resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (got < buf->size()) {
    const ssize_t r = ::read(fd, buf->data() + got, buf->size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return ErrnoError("read '" + path + "'", err);
    }
    if (r == 0) break;  // file shrank while reading: take what is there
    got += static_cast<size_t>(r);
  }
  buf->resize(got);
  ::close(fd);
  return Status::Ok();
}

// A folder named after a known instrument other than ours: importing it would mis-scale prices.
Status CheckSymbolFolder(std::string_view folder, const std::string& symbol,
                         std::string_view path) {
  if (folder.empty() || symbol.empty()) return Status::Ok();
  const std::string norm = fx::InstrumentTable::NormalizeSymbol(folder);
  if (norm == fx::InstrumentTable::NormalizeSymbol(symbol)) return Status::Ok();
  if (!fx::InstrumentTable::Builtin().Find(norm).ok()) return Status::Ok();
  return InvalidArgument("'" + std::string(path) + "' holds " + norm +
                         " data but the instrument is " + symbol);
}

// Walks one symbol's tree (or a date folder inside it), collecting .bi5 files whose hour
// intersects [from, to). Date folders outside the range are not descended into.
Status WalkTree(const fs::path& dir, UnixNanos from, UnixNanos to, std::vector<Bi5File>* out,
                int64_t* found) {
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec);
  if (ec) return IoError("list '" + dir.string() + "': " + ec.message());
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return IoError("list '" + dir.string() + "': " + ec.message());
    const fs::directory_entry& e = *it;
    std::error_code tec;
    if (e.is_directory(tec)) {
      const auto span = DateFolderSpan(e.path());
      if (span && !Intersects(span->first, span->second, from, to)) it.disable_recursion_pending();
      continue;
    }
    if (!e.is_regular_file(tec) || e.path().extension() != ".bi5") continue;
    ++*found;
    std::string path = e.path().string();
    ARUS_ASSIGN_OR_RETURN(UnixNanos hour, Bi5HourFromPath(path));
    if (Intersects(hour.ns(), hour.ns() + kNanosPerHour, from, to)) {
      out->push_back(Bi5File{std::move(path), hour});
    }
  }
  if (ec) return IoError("list '" + dir.string() + "': " + ec.message());
  return Status::Ok();
}

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// Collects the files of one input (a file, a symbol folder, a date folder or a root).
Status CollectInput(const std::string& input, const ImportOptions& options,
                    std::vector<Bi5File>* out) {
  std::error_code ec;
  const fs::file_status st = fs::status(input, ec);
  if (ec || !fs::exists(st)) return NotFound("no such file or directory: '" + input + "'");
  const std::string& symbol = options.instrument.symbol;
  if (fs::is_regular_file(st)) {
    ARUS_ASSIGN_OR_RETURN(UnixNanos hour, Bi5HourFromPath(input));
    const auto c = LastComponents(input, 5);
    if (c.size() == 5) ARUS_RETURN_IF_ERROR(CheckSymbolFolder(c[4], symbol, input));
    if (Intersects(hour.ns(), hour.ns() + kNanosPerHour, options.from, options.to)) {
      out->push_back(Bi5File{input, hour});
    }
    return Status::Ok();
  }
  if (!fs::is_directory(st)) return InvalidArgument("'" + input + "' is not a file or directory");

  fs::path dir = fs::path(input).lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // "EURUSD/" names the folder EURUSD
  const std::string norm_symbol = fx::InstrumentTable::NormalizeSymbol(symbol);
  std::optional<fs::path> symbol_dir;
  bool has_year = false;
  bool has_bi5 = false;
  std::vector<std::string> children;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code tec;
    if (it->is_directory(tec)) {
      children.push_back(name);
      if (!norm_symbol.empty() && fx::InstrumentTable::NormalizeSymbol(name) == norm_symbol) {
        symbol_dir = it->path();
      }
      if (name.size() == 4 && AllDigits(name)) has_year = true;
    } else if (it->path().extension() == ".bi5") {
      has_bi5 = true;
    }
  }
  if (ec) return IoError("list '" + input + "': " + ec.message());

  fs::path tree;
  if (symbol_dir) {
    tree = *symbol_dir;
  } else if (has_year) {
    ARUS_RETURN_IF_ERROR(CheckSymbolFolder(dir.filename().string(), symbol, input));
    tree = dir;
  } else if (DateFolderSpan(dir) || (has_bi5 && AllDigits(dir.filename().string()))) {
    tree = dir;  // a YYYY, YYYY/MM or YYYY/MM/DD folder inside one symbol's tree
  } else {
    std::sort(children.begin(), children.end());
    std::string list;
    for (size_t i = 0; i < children.size() && i < 12; ++i) list += (i ? ", " : "") + children[i];
    if (children.size() > 12) list += ", ...";
    if (symbol.empty()) {
      return InvalidArgument("'" + input +
                             "' looks like a root of SYMBOL/ folders but no "
                             "instrument was given to pick one (it holds: " +
                             list + ")");
    }
    return NotFound("no " + norm_symbol + " folder (or YYYY/ folders) in '" + input +
                    "' (it holds: " + (list.empty() ? "nothing" : list) + ")");
  }
  int64_t found = 0;
  ARUS_RETURN_IF_ERROR(WalkTree(tree, options.from, options.to, out, &found));
  if (found == 0) return NotFound("no .bi5 files under '" + tree.string() + "'");
  return Status::Ok();
}

// What one file produced; filled by a worker, consumed in file order.
struct FileResult {
  Status status;  // I/O error, or the strict-mode error
  std::vector<QuoteTick> ticks;
  std::vector<Reject> rejects;
  int64_t rows = 0;
  uint64_t bytes = 0;
};

struct Worker {
  Bi5Decoder dec;
  std::string buf;

  // Decodes `f`, appending ticks to `ticks` (which may be the delivery chunk itself).
  void Process(const Bi5File& f, const DecodeArgs& base, std::vector<QuoteTick>* ticks,
               FileResult* r) {
    r->status = Status::Ok();
    r->rejects.clear();
    r->rows = 0;
    r->bytes = 0;
    bool too_big = false;
    r->status = ReadInto(f.path, &buf, &too_big);
    if (!r->status.ok()) return;
    if (too_big) {
      const std::string why = "file larger than " + std::to_string(kMaxBi5FileBytes >> 20) +
                              " MiB: not one hour of ticks";
      if (base.strict) {
        r->status = ParseError(f.path, 0, "", "bad file: " + why);
      } else {
        r->rejects.push_back(Reject{0, "file", "bad file", why, ""});
      }
      return;
    }
    r->bytes = buf.size();
    DecodeArgs a = base;
    a.hour = f.hour;
    a.file = &f.path;
    try {
      r->status = DecodeFile(&dec, buf, a, ticks, &r->rejects, &r->rows);
    } catch (const std::exception& e) {  // bad_alloc
      r->status = Internal("decoding '" + f.path + "': " + e.what());
    }
    dec.Trim();
  }
};

bool IsUtc(const fx::SourceZone& zone) {
  const UnixNanos jan = UnixNanos::FromSeconds(1704067200);  // 2024-01-01
  const UnixNanos jul = UnixNanos::FromSeconds(1719792000);  // 2024-07-01
  return zone.ToUtc(jan) == jan && zone.ToUtc(jul) == jul;
}

class Importer {
 public:
  Importer(const ImportOptions& options, Quarantine* q, const TickSink& sink)
      : options_(options), q_(q), sink_(sink) {}

  Result<ImportStats> Run(std::span<const std::string> inputs) {
    const int d = options_.instrument.price_precision;
    if (d < 0 || d > kPriceDecimals) {
      return InvalidArgument("instrument " + options_.instrument.symbol + ": price precision " +
                             std::to_string(d) + " is outside 0..9");
    }
    if (!IsUtc(options_.zone)) {
      return InvalidArgument("Dukascopy bi5 files are in UTC; source zone '" +
                             options_.zone.spec() + "' does not apply");
    }
    if (options_.from >= options_.to) {
      return InvalidArgument("empty time range: from " + options_.from.ToIso() + " is not before " +
                             options_.to.ToIso());
    }
    std::vector<Bi5File> files;
    for (const std::string& in : inputs) ARUS_RETURN_IF_ERROR(CollectInput(in, options_, &files));
    std::stable_sort(files.begin(), files.end(),
                     [](const Bi5File& a, const Bi5File& b) { return a.hour < b.hour; });
    for (size_t i = 1; i < files.size(); ++i) {
      if (files[i].hour == files[i - 1].hour) {
        return InvalidArgument("two files for the hour " + files[i].hour.ToIso() + ": '" +
                               files[i - 1].path + "' and '" + files[i].path + "'");
      }
    }
    base_.decimals = d;
    base_.from = options_.from;
    base_.to = options_.to;
    base_.strict = options_.strict;

    const size_t threads = static_cast<size_t>(std::clamp(options_.threads, 1, 64));
    if (threads <= 1 || files.size() <= 1) {
      ARUS_RETURN_IF_ERROR(RunSequential(files));
    } else {
      ARUS_RETURN_IF_ERROR(RunParallel(files, std::min(threads, files.size())));
    }
    ARUS_RETURN_IF_ERROR(Flush());
    return stats_;
  }

 private:
  // Accounts for one decoded file (its ticks already in chunk_) and flushes a full chunk.
  Status Consume(const Bi5File& f, const FileResult& r) {
    ++stats_.files;
    stats_.bytes += r.bytes;
    stats_.rows += r.rows;
    ARUS_RETURN_IF_ERROR(r.status);
    for (const Reject& rej : r.rejects) {
      ++stats_.quarantined;
      if (q_ != nullptr) q_->Add(f.path, rej.line, rej.field, rej.reason, rej.detail, rej.raw);
    }
    if (chunk_.size() >= kBi5ChunkTicks) return Flush();
    return Status::Ok();
  }

  Status Flush() {
    if (chunk_.empty()) return Status::Ok();
    stats_.accepted += static_cast<int64_t>(chunk_.size());
    stats_.first = std::min(stats_.first, chunk_.front().ts_event);
    stats_.last = std::max(stats_.last, chunk_.back().ts_event);
    Status st = sink_(std::span<const QuoteTick>(chunk_));
    chunk_.clear();
    return st;
  }

  Status RunSequential(const std::vector<Bi5File>& files) {
    Worker w;
    FileResult r;
    for (const Bi5File& f : files) {
      w.Process(f, base_, &chunk_, &r);
      ARUS_RETURN_IF_ERROR(Consume(f, r));
    }
    return Status::Ok();
  }

  // Workers decode files i, i+1, ... into a ring of `window` slots; this thread delivers them in
  // order. A worker may claim file i only once file i - window has been delivered, so memory is
  // bounded by the window, not the tree.
  Status RunParallel(const std::vector<Bi5File>& files, size_t threads) {
    const size_t n = files.size();
    const size_t window = 4 * threads;
    std::vector<FileResult> slots(window);
    std::vector<char> ready(window, 0);
    std::mutex mu;
    std::condition_variable cv_work, cv_ready;
    size_t next_claim = 0, delivered = 0;
    bool stop = false;

    auto work = [&] {
      Worker w;
      for (;;) {
        size_t i;
        {
          std::unique_lock<std::mutex> lk(mu);
          cv_work.wait(lk,
                       [&] { return stop || next_claim >= n || next_claim < delivered + window; });
          if (stop || next_claim >= n) return;
          i = next_claim++;
        }
        FileResult& s = slots[i % window];
        s.ticks.clear();
        try {
          w.Process(files[i], base_, &s.ticks, &s);
        } catch (const std::exception& e) {  // bad_alloc: report it in order, never terminate
          s.status = Internal("decoding '" + files[i].path + "': " + e.what());
        }
        {
          std::lock_guard<std::mutex> lk(mu);
          ready[i % window] = 1;
        }
        cv_ready.notify_one();
      }
    };

    std::vector<std::thread> pool;
    struct Joiner {
      std::vector<std::thread>* pool;
      std::mutex* mu;
      bool* stop;
      std::condition_variable* cv;
      ~Joiner() {
        {
          std::lock_guard<std::mutex> lk(*mu);
          *stop = true;
        }
        cv->notify_all();
        for (std::thread& t : *pool) t.join();
      }
    } joiner{&pool, &mu, &stop, &cv_work};
    pool.reserve(threads);
    for (size_t t = 0; t < threads; ++t) pool.emplace_back(work);

    for (size_t i = 0; i < n; ++i) {
      const size_t k = i % window;
      {
        std::unique_lock<std::mutex> lk(mu);
        cv_ready.wait(lk, [&] { return ready[k] != 0; });
      }
      FileResult& s = slots[k];
      chunk_.insert(chunk_.end(), s.ticks.begin(), s.ticks.end());
      Status st = Consume(files[i], s);
      {
        std::lock_guard<std::mutex> lk(mu);
        ready[k] = 0;
        delivered = i + 1;
      }
      cv_work.notify_all();
      if (!st.ok()) return st;
    }
    return Status::Ok();
  }

  const ImportOptions& options_;
  Quarantine* q_;
  const TickSink& sink_;
  DecodeArgs base_;
  ImportStats stats_;
  std::vector<QuoteTick> chunk_;
};

}  // namespace

Status DecodeBi5(std::string_view compressed, UnixNanos hour_start, int price_decimals,
                 const std::string& file_for_messages, Quarantine* q, bool strict,
                 std::vector<QuoteTick>* out) {
  if (price_decimals < 0 || price_decimals > kPriceDecimals) {
    return InvalidArgument("price decimals " + std::to_string(price_decimals) +
                           " outside 0..9 for '" + file_for_messages + "'");
  }
  if (hour_start.ns() > std::numeric_limits<int64_t>::max() - kNanosPerHour) {
    return OutOfRange("hour start " + std::to_string(hour_start.ns()) + " of '" +
                      file_for_messages + "' is out of range");
  }
  DecodeArgs a;
  a.hour = hour_start;
  a.decimals = price_decimals;
  a.file = &file_for_messages;
  a.strict = strict;
  std::vector<Reject> rejects;
  int64_t rows = 0;
  Status st;
  try {
    st = DecodeFile(&ThreadDecoder(), compressed, a, out, &rejects, &rows);
  } catch (const std::exception& e) {
    return Internal("decoding '" + file_for_messages + "': " + e.what());
  }
  ThreadDecoder().Trim();
  if (q != nullptr) {
    for (const Reject& r : rejects) {
      q->Add(file_for_messages, r.line, r.field, r.reason, r.detail, r.raw);
    }
  }
  return st;
}

Result<UnixNanos> Bi5HourFromPath(std::string_view path) {
  const auto c = LastComponents(path, 4);
  if (c.size() < 4) return BadPath(path, "too few path components");
  const std::string_view name = c[0];
  int y = 0, m = 0, d = 0, h = 0;
  if (!ParseDigits(c[3], 4, &y) || y < kMinYear || y > kMaxYear) {
    return BadPath(path, "year '" + std::string(c[3]) + "' is not a 4-digit year in " +
                             std::to_string(kMinYear) + ".." + std::to_string(kMaxYear));
  }
  if (!ParseDigits(c[2], 2, &m) || m > 11) {
    return BadPath(path, "month '" + std::string(c[2]) + "' is not 00..11");
  }
  if (!ParseDigits(c[1], 2, &d) || d < 1 || d > DaysInMonth(y, m + 1)) {
    return BadPath(path, "day '" + std::string(c[1]) + "' is not a day of that month");
  }
  constexpr std::string_view kSuffix = "h_ticks.bi5";
  if (name.size() != 2 + kSuffix.size() || name.substr(2) != kSuffix ||
      !ParseDigits(name.substr(0, 2), 2, &h) || h > 23) {
    return BadPath(path, "file name '" + std::string(name) + "' is not HHh_ticks.bi5 (HH 00..23)");
  }
  const int64_t days = DaysFromCivil(y, static_cast<unsigned>(m + 1), static_cast<unsigned>(d));
  return UnixNanos(days * kNanosPerDay + int64_t{h} * kNanosPerHour);
}

Result<ImportStats> ImportDukascopy(std::span<const std::string> inputs,
                                    const ImportOptions& options, Quarantine* quarantine,
                                    const TickSink& sink) {
  try {
    Importer imp(options, quarantine, sink);
    return imp.Run(inputs);
  } catch (const std::exception& e) {  // bad_alloc, filesystem, or thrown by the sink
    return Internal(std::string("dukascopy import: ") + e.what());
  }
}

}  // namespace arus::ingest
