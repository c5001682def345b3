#include "ingest/text_importers.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#include "core/price.h"
#include "core/time.h"
#include "fx/instrument.h"

namespace arus::ingest {

namespace {

// ---------------------------------------------------------------------------------------------
// Byte sources and the line reader.

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `n` bytes into `dst`; 0 at the end.
  virtual Result<size_t> Read(char* dst, size_t n) = 0;
};

class FileSource final : public ByteSource {
 public:
  FileSource() = default;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;
  ~FileSource() override {
    if (fd_ >= 0) ::close(fd_);
  }

  Status Open(const std::string& path) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      const int err = errno;
      if (err == ENOENT) return NotFound("no such file: '" + path + "'");
      return ErrnoError("cannot open '" + path + "'", err);
    }
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoError("cannot stat '" + path + "'", errno);
    if (S_ISDIR(st.st_mode)) {
      return InvalidArgument("'" + path + "' is a directory; text formats read files");
    }
    if (S_ISREG(st.st_mode)) ::posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL);
    return Status::Ok();
  }

  Result<size_t> Read(char* dst, size_t n) override {
    for (;;) {
      const ssize_t r = ::read(fd_, dst, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return ErrnoError("read error on '" + path_ + "'", errno);
    }
  }

 private:
  std::string path_;
  int fd_ = -1;
};

class MemorySource final : public ByteSource {
 public:
  MemorySource(std::string_view data, size_t step) : data_(data), step_(std::max<size_t>(step, 1)) {}
  Result<size_t> Read(char* dst, size_t n) override {
    const size_t k = std::min({n, step_, data_.size() - pos_});
    std::memcpy(dst, data_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string_view data_;
  size_t step_;
  size_t pos_ = 0;
};

// Splits a byte stream into lines without copying them: a line is a view into the buffer, valid
// until the next call. CRLF and LF end lines; the last line needs no line end. Lines longer than
// kMaxLineBytes are delivered cut to kMaxLineBytes with too_long() set, and the rest of such a line
// is skipped without being buffered (a 100 MB file without a newline costs one pass, no memory).
class LineReader {
 public:
  LineReader(ByteSource* src, size_t chunk, std::string_view file)
      : src_(src), chunk_(std::max<size_t>(chunk, 16)), file_(file) {
    cap_ = chunk_ + kMaxLineBytes + 64;
    buf_ = std::make_unique_for_overwrite<char[]>(cap_);
    begin_ = end_ = buf_.get();
  }

  // Reads the first bytes: rejects empty, compressed, UTF-16BE and binary files; skips a UTF-8
  // BOM and switches to UTF-16LE on its BOM.
  Status Start(std::string_view format_name) {
    while (!eof_ && end_ - begin_ < 4) {
      if (!Refill()) return status_;
    }
    if (raw_bytes_ == 0) return ParseError(file_, 0, "", "empty file");
    const auto* u = reinterpret_cast<const unsigned char*>(begin_);
    const size_t n = static_cast<size_t>(end_ - begin_);
    const std::string not_like = "does not look like " + std::string(format_name) + ": ";
    if (n >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF) {
      begin_ += 3;
    } else if (n >= 2 && u[0] == 0xFF && u[1] == 0xFE) {
      begin_ += 2;
      utf16_ = true;
      raw_ = std::make_unique_for_overwrite<char[]>(2 * chunk_ + 2);
      // The bytes already read are UTF-16LE: transcode them in place (the output is shorter).
      char* out = begin_;
      const char* p = begin_;
      for (; end_ - p >= 2; p += 2) *out++ = Narrow(p[0], p[1]);
      if (p < end_) {
        pending_ = *p;
        has_pending_ = true;
      }
      end_ = out;
      if (eof_ && has_pending_) {
        *end_++ = '?';  // a dangling half character
        has_pending_ = false;
      }
    } else if (n >= 2 && u[0] == 0xFE && u[1] == 0xFF) {
      return ParseError(file_, 0, "",
                        not_like + "UTF-16 big-endian text is not supported (save it as UTF-8 or "
                                   "UTF-16LE)");
    } else if (n >= 4 && std::memcmp(begin_, "PK\x03\x04", 4) == 0) {
      return ParseError(file_, 0, "", not_like + "it is a ZIP archive; unzip it first");
    } else if (n >= 2 && u[0] == 0x1F && u[1] == 0x8B) {
      return ParseError(file_, 0, "", not_like + "it is gzip-compressed; decompress it first");
    }
    const size_t probe = std::min<size_t>(static_cast<size_t>(end_ - begin_), 64 << 10);
    if (const void* nul = std::memchr(begin_, 0, probe); nul != nullptr) {
      const size_t at = static_cast<size_t>(static_cast<const char*>(nul) - begin_);
      std::string hint;
      if (probe >= 4 && begin_[1] == 0 && begin_[3] == 0 && begin_[0] != 0) {
        hint = " (UTF-16 text without a byte-order mark?)";
      }
      return ParseError(file_, 0, "",
                        not_like + "binary data (NUL byte at offset " + std::to_string(at) + ")" +
                            hint);
    }
    return Status::Ok();
  }

  // The next line without its line end; false at the end or on a read error (see status()).
  bool Next(std::string_view* line) {
    for (;;) {
      char* nl = static_cast<char*>(std::memchr(begin_, '\n', static_cast<size_t>(end_ - begin_)));
      if (skipping_) {
        if (nl != nullptr) {
          begin_ = nl + 1;
          skipping_ = false;
          continue;
        }
        begin_ = end_;
        if (eof_ || !Refill()) return false;
        continue;
      }
      if (nl != nullptr) {
        const char* s = begin_;
        begin_ = nl + 1;
        Deliver(s, static_cast<size_t>(nl - s), line);
        return true;
      }
      const size_t rem = static_cast<size_t>(end_ - begin_);
      if (rem > kMaxLineBytes + 1) {  // +1: a CR may still precede the LF
        ++line_no_;
        too_long_ = true;
        *line = std::string_view(begin_, kMaxLineBytes);
        begin_ = end_;
        skipping_ = true;
        return true;
      }
      if (eof_) {
        if (rem == 0) return false;
        const char* s = begin_;
        begin_ = end_;
        Deliver(s, rem, line);
        return true;
      }
      if (!Refill()) return false;
    }
  }

  uint64_t line_no() const { return line_no_; }
  bool too_long() const { return too_long_; }
  uint64_t raw_bytes() const { return raw_bytes_; }
  const Status& status() const { return status_; }

 private:
  static char Narrow(char lo, char hi) {
    const unsigned u = static_cast<unsigned char>(lo) | (static_cast<unsigned char>(hi) << 8);
    return u < 0x80 ? static_cast<char>(u) : '?';
  }

  void Deliver(const char* s, size_t len, std::string_view* line) {
    ++line_no_;
    if (len > 0 && s[len - 1] == '\r') --len;
    too_long_ = len > kMaxLineBytes;
    *line = std::string_view(s, std::min(len, kMaxLineBytes));
  }

  // Moves the unconsumed tail to the front and appends the next bytes. Sets eof_ at the end.
  bool Refill() {
    const size_t rem = static_cast<size_t>(end_ - begin_);
    if (rem > 0 && begin_ != buf_.get()) std::memmove(buf_.get(), begin_, rem);
    begin_ = buf_.get();
    end_ = begin_ + rem;
    const size_t space = std::min(chunk_, cap_ - rem - 1);
    if (!utf16_) {
      Result<size_t> n = src_->Read(end_, space);
      if (!n.ok()) return Fail(n.status());
      if (*n == 0) eof_ = true;
      end_ += *n;
      raw_bytes_ += *n;
      return true;
    }
    char* raw = raw_.get();
    size_t have = 0;
    if (has_pending_) raw[have++] = pending_;
    Result<size_t> n = src_->Read(raw + have, 2 * space - have);
    if (!n.ok()) return Fail(n.status());
    raw_bytes_ += *n;
    have += *n;
    has_pending_ = false;
    size_t i = 0;
    for (; i + 1 < have; i += 2) *end_++ = Narrow(raw[i], raw[i + 1]);
    if (i < have) {
      pending_ = raw[i];
      has_pending_ = true;
    }
    if (*n == 0) {
      eof_ = true;
      if (has_pending_) *end_++ = '?';
      has_pending_ = false;
    }
    return true;
  }

  bool Fail(const Status& s) {
    status_ = s;
    eof_ = true;
    return false;
  }

  ByteSource* src_;
  size_t chunk_;
  std::string_view file_;
  size_t cap_ = 0;
  std::unique_ptr<char[]> buf_;
  std::unique_ptr<char[]> raw_;  // UTF-16 input before transcoding
  char* begin_;
  char* end_;
  bool eof_ = false;
  bool skipping_ = false;
  bool too_long_ = false;
  bool utf16_ = false;
  bool has_pending_ = false;
  char pending_ = 0;
  uint64_t line_no_ = 0;
  uint64_t raw_bytes_ = 0;
  Status status_;
};

// ---------------------------------------------------------------------------------------------
// Row issues.

constexpr std::string_view kBadNumber = "bad number";
constexpr std::string_view kBadTime = "bad time";
constexpr std::string_view kImpossibleTime = "impossible time";
constexpr std::string_view kMissingField = "missing field";
constexpr std::string_view kExtraField = "extra field";
constexpr std::string_view kNonMonotonic = "non-monotonic time";
constexpr std::string_view kCrossed = "crossed quote";
constexpr std::string_view kNonPositive = "non-positive price";
constexpr std::string_view kLineTooLong = "line too long";
constexpr std::string_view kWrongSymbol = "wrong symbol";
constexpr std::string_view kIncomplete = "incomplete quote";
constexpr std::string_view kNoQuote = "no quote";
constexpr std::string_view kOhlc = "OHLC invariant";
constexpr std::string_view kDuplicateBar = "duplicate bar";

// Why a row was rejected. `syntactic` rows are malformed text (they count towards "this file is
// not the format"); the others parsed but are wrong (crossed, out of order, impossible date...).
// `detail` keeps its capacity between rows, so a stream of bad rows does not allocate either.
struct Issue {
  std::string_view field;
  std::string_view reason;
  std::string detail;
  bool syntactic = true;

  // Sets the issue and returns false, so parsers can `return is->Set(...)`.
  bool Set(std::string_view f, std::string_view r, bool syn, std::string_view what,
           std::string_view text = {}, bool quote = true) {
    field = f;
    reason = r;
    syntactic = syn;
    detail.assign(what);
    if (quote) {
      detail += ": '";
      detail.append(text.substr(0, 64));
      if (text.size() > 64) detail += "...";
      detail += '\'';
    }
    return false;
  }
};

// ---------------------------------------------------------------------------------------------
// Hand-rolled scanners. None allocates; all are bounds-checked against `e`. The hot ones are
// forced inline: GCC otherwise keeps them out of line, which costs ~10% of the row loop.

#define ARUS_HOT inline __attribute__((always_inline))

inline bool IsDigit(char c) { return static_cast<unsigned>(c - '0') < 10u; }

// Exactly n digits at p (caller guarantees n bytes).
ARUS_HOT bool Digits(const char* p, int n, int* v) {
  int x = 0;
  for (int i = 0; i < n; ++i) {
    const unsigned d = static_cast<unsigned>(p[i] - '0');
    if (d > 9) return false;
    x = x * 10 + static_cast<int>(d);
  }
  *v = x;
  return true;
}

constexpr int64_t kFracScale[10] = {1'000'000'000, 100'000'000, 10'000'000, 1'000'000, 100'000,
                                    10'000,        1'000,       100,        10,        1};

// 1..9 digits of a fraction of a second at p (advanced) -> nanoseconds. False if none or > 9.
ARUS_HOT bool Fraction(const char*& p, const char* e, int64_t* ns) {
  int64_t v = 0;
  int n = 0;
  while (p < e && IsDigit(*p)) {
    if (++n > 9) return false;
    v = v * 10 + (*p - '0');
    ++p;
  }
  if (n == 0) return false;
  *ns = v * kFracScale[n];
  return true;
}

// Parses "[+-]digits[.digits]" at p, stopping at the first other byte; the value is exactly what
// Price::TryParse gives for the same text. Returns the end of the number, or nullptr if there is
// no number or it overflows.
ARUS_HOT const char* ScanPrice(const char* p, const char* e, Price* out) {
  bool neg = false;
  if (p < e && (*p == '-' || *p == '+')) {
    neg = *p == '-';
    ++p;
  }
  uint64_t ip = 0;
  int idig = 0;
  while (p < e && IsDigit(*p)) {
    if (++idig > 10) return nullptr;
    ip = ip * 10 + static_cast<uint64_t>(*p - '0');
    ++p;
  }
  uint64_t fp = 0;
  int fdig = 0;
  bool round_up = false;
  if (p < e && *p == '.') {
    ++p;
    while (p < e && IsDigit(*p)) {
      if (fdig < kPriceDecimals) {
        fp = fp * 10 + static_cast<uint64_t>(*p - '0');
      } else if (fdig == kPriceDecimals) {
        round_up = *p >= '5';
      }
      ++fdig;
      ++p;
    }
  }
  if (idig == 0 && fdig == 0) return nullptr;
  fp *= static_cast<uint64_t>(kFracScale[std::min(fdig, kPriceDecimals)]);
  const uint64_t raw = ip * static_cast<uint64_t>(kPriceScale) + fp + (round_up ? 1 : 0);
  if (raw > static_cast<uint64_t>(INT64_MAX)) return nullptr;
  *out = Price::FromRaw(neg ? -static_cast<int64_t>(raw) : static_cast<int64_t>(raw));
  return p;
}

// The whole of `f` is a price.
inline bool PriceField(std::string_view f, Price* out) {
  const char* e = f.data() + f.size();
  return ScanPrice(f.data(), e, out) == e;
}

// The whole of `f` is a non-negative integer.
inline bool IntField(std::string_view f, int64_t* out) {
  if (f.empty() || !IsDigit(f[0])) return false;
  auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), *out);
  return ec == std::errc() && p == f.data() + f.size();
}

// The whole of `f` is a finite non-negative decimal (volumes).
inline bool VolumeField(std::string_view f, double* out) {
  if (f.empty() || !(IsDigit(f[0]) || f[0] == '.')) return false;
  auto [p, ec] = std::from_chars(f.data(), f.data() + f.size(), *out);
  return ec == std::errc() && p == f.data() + f.size() && std::isfinite(*out);
}

// Text of the field starting at p, up to `delim` or the end of the line (for messages).
inline std::string_view FieldText(const char* p, const char* e, char delim) {
  const void* d = std::memchr(p, delim, static_cast<size_t>(e - p));
  return std::string_view(p, static_cast<size_t>((d ? static_cast<const char*>(d) : e) - p));
}

// Text of a price for messages: up to 9 decimals, trailing zeros dropped.
std::string PriceText(Price p) {
  std::string s = p.ToString(kPriceDecimals);
  while (s.size() > 2 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  return s;
}

enum TimeCode : int { kTimeOk = 0, kTimeSyntax = 1, kTimeImpossible = 2 };

constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2099;

inline int DaysInMonth(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) return 29;
  return kDays[m - 1];
}

// Validates a civil date and converts it to days since the epoch; remembers the last date, since
// consecutive rows almost always share it.
class DayCache {
 public:
  int Get(int y, int m, int d, int64_t* days) {
    const int key = (y * 16 + m) * 32 + d;
    if (key == key_) {
      *days = days_;
      return kTimeOk;
    }
    if (y < kMinYear || y > kMaxYear || m < 1 || m > 12 || d < 1 || d > DaysInMonth(y, m)) {
      return kTimeImpossible;
    }
    key_ = key;
    days_ = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
    *days = days_;
    return kTimeOk;
  }

 private:
  int key_ = -1;
  int64_t days_ = 0;
};

inline int64_t Tod(int h, int m, int s) {
  return h * kNanosPerHour + m * kNanosPerMinute + s * kNanosPerSecond;
}

// "YYYYMMDD" (8 bytes at p, caller-checked).
ARUS_HOT int Date8(const char* p, DayCache* dc, int64_t* days) {
  int y, m, d;
  if (!Digits(p, 4, &y) || !Digits(p + 4, 2, &m) || !Digits(p + 6, 2, &d)) return kTimeSyntax;
  return dc->Get(y, m, d, days);
}

// "YYYY?MM?DD" with a separator byte `sep` (10 bytes at p, caller-checked).
inline int DateSep(const char* p, char sep, DayCache* dc, int64_t* days) {
  int y, m, d;
  if (!Digits(p, 4, &y) || p[4] != sep || !Digits(p + 5, 2, &m) || p[7] != sep ||
      !Digits(p + 8, 2, &d)) {
    return kTimeSyntax;
  }
  return dc->Get(y, m, d, days);
}

// "HH:MM:SS[.f]" (or "HH:MM" when allow_hm) at p, advanced past it.
ARUS_HOT int HmsColon(const char*& p, const char* e, bool allow_hm, int64_t* tod) {
  int h, m, s = 0;
  if (e - p < 5 || !Digits(p, 2, &h) || p[2] != ':' || !Digits(p + 3, 2, &m)) return kTimeSyntax;
  p += 5;
  int64_t frac = 0;
  if (p < e && *p == ':') {
    if (e - p < 3 || !Digits(p + 1, 2, &s)) return kTimeSyntax;
    p += 3;
    if (p < e && *p == '.') {
      ++p;
      if (!Fraction(p, e, &frac)) return kTimeSyntax;
    }
  } else if (!allow_hm) {
    return kTimeSyntax;
  }
  if (h > 23 || m > 59 || s > 59) return kTimeImpossible;
  *tod = Tod(h, m, s) + frac;
  return kTimeOk;
}

// "HHMMSS" followed by exactly `frac_digits` digits of milliseconds etc. (bytes caller-checked).
ARUS_HOT int HmsCompact(const char* p, int frac_digits, int64_t* tod) {
  int h, m, s, f = 0;
  if (!Digits(p, 2, &h) || !Digits(p + 2, 2, &m) || !Digits(p + 4, 2, &s)) return kTimeSyntax;
  if (frac_digits > 0 && !Digits(p + 6, frac_digits, &f)) return kTimeSyntax;
  if (h > 23 || m > 59 || s > 59) return kTimeImpossible;
  *tod = Tod(h, m, s) + f * kFracScale[frac_digits];
  return kTimeOk;
}

bool TimeIssue(Issue* is, int code, std::string_view field, std::string_view expected,
               std::string_view text) {
  if (code == kTimeImpossible) {
    return is->Set(field, kImpossibleTime, false,
                   "no such date or time (years " + std::to_string(kMinYear) + "-" +
                       std::to_string(kMaxYear) + ")",
                   text);
  }
  return is->Set(field, kBadTime, true, expected, text);
}

// Splits `line` at `delim` into at most N views; returns the real number of fields.
template <size_t N>
inline size_t Split(std::string_view line, char delim, std::array<std::string_view, N>* f) {
  size_t n = 0;
  const char* p = line.data();
  const char* e = p + line.size();
  for (;;) {
    const char* c = static_cast<const char*>(std::memchr(p, delim, static_cast<size_t>(e - p)));
    const char* fe = c != nullptr ? c : e;
    if (n < N) (*f)[n] = std::string_view(p, static_cast<size_t>(fe - p));
    ++n;
    if (c == nullptr) return n;
    p = c + 1;
  }
}

std::string Upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return u;
}

enum class HeaderKind { kData, kHeader, kError };

// ---------------------------------------------------------------------------------------------
// Formats. Each one parses a line into a record (syntax and its own semantics); the driver checks
// prices, order and quotes, and owns quarantine, strict mode and sinks.
//   using Record; static constexpr SourceFormat kFormat;
//   Status Init();  void BeginFile();  HeaderKind Header(line, Issue*);
//   bool Parse(line, Record*, Issue*);  void Commit(const Record&);

class TrueFxFormat {
 public:
  using Record = QuoteTick;
  static constexpr SourceFormat kFormat = SourceFormat::kTrueFx;

  explicit TrueFxFormat(const ImportOptions& o)
      : zone_(o.zone), want_(fx::InstrumentTable::NormalizeSymbol(o.instrument.symbol)) {}

  Status Init() {
    if (want_.empty()) {
      return InvalidArgument("truefx import needs the instrument (its symbol column is checked)");
    }
    return Status::Ok();
  }
  void BeginFile() {}
  HeaderKind Header(std::string_view, Issue*) { return HeaderKind::kData; }
  void Commit(const QuoteTick&) {}

  // EUR/USD,20240102 00:00:00.123,1.10411,1.10418
  bool Parse(std::string_view line, QuoteTick* t, Issue* is) {
    const char* p = line.data();
    const char* e = p + line.size();
    const char* c;
    if (sym_len_ > 0 && line.size() > sym_len_ && p[sym_len_] == ',' &&
        std::memcmp(p, sym_, sym_len_) == 0) {
      c = p + sym_len_;
    } else {
      c = static_cast<const char*>(std::memchr(p, ',', line.size()));
      if (c == nullptr) {
        return is->Set("time", kMissingField, true, "expected symbol,time,bid,ask", line);
      }
      const std::string_view sym(p, static_cast<size_t>(c - p));
      if (fx::InstrumentTable::NormalizeSymbol(sym) != want_) {
        return is->Set("symbol", kWrongSymbol, true,
                       "'" + std::string(sym.substr(0, 32)) + "' is not " + want_, {}, false);
      }
      if (sym.size() <= sizeof(sym_)) {
        std::memcpy(sym_, sym.data(), sym.size());
        sym_len_ = sym.size();
      }
    }
    p = c + 1;
    const char* ts = p;
    int64_t days = 0, tod = 0;
    int code = e - p < 17 || p[8] != ' ' ? kTimeSyntax : Date8(p, &dc_, &days);
    if (code == kTimeOk) {
      p += 9;
      code = HmsColon(p, e, false, &tod);
    }
    if (code == kTimeOk && (p == e || *p != ',')) code = kTimeSyntax;
    if (code != kTimeOk) {
      return TimeIssue(is, code, "time", "expected YYYYMMDD HH:MM:SS.mmm", FieldText(ts, e, ','));
    }
    ++p;
    const char* b = ScanPrice(p, e, &t->bid);
    if (b == nullptr || b == e || *b != ',') {
      if (b == e) return is->Set("ask", kMissingField, true, "expected symbol,time,bid,ask", line);
      return is->Set("bid", kBadNumber, true, "not a price", FieldText(p, e, ','));
    }
    p = b + 1;
    const char* a = ScanPrice(p, e, &t->ask);
    if (a != e) {
      if (a != nullptr && *a == ',') {
        return is->Set("ask", kExtraField, true, "unexpected text after the ask",
                       std::string_view(a, static_cast<size_t>(e - a)));
      }
      return is->Set("ask", kBadNumber, true, "not a price",
                     std::string_view(p, static_cast<size_t>(e - p)));
    }
    t->ts_event = zone_.ToUtc(UnixNanos(days * kNanosPerDay + tod));
    t->bid_volume = 0;
    t->ask_volume = 0;
    return true;
  }

 private:
  fx::SourceZone zone_;
  std::string want_;
  DayCache dc_;
  char sym_[16] = {};
  size_t sym_len_ = 0;
};

class HistDataTickFormat {
 public:
  using Record = QuoteTick;
  static constexpr SourceFormat kFormat = SourceFormat::kHistDataTick;

  explicit HistDataTickFormat(const ImportOptions& o) : zone_(o.zone) {}
  Status Init() { return Status::Ok(); }
  void BeginFile() {}
  HeaderKind Header(std::string_view, Issue*) { return HeaderKind::kData; }
  void Commit(const QuoteTick&) {}

  // 20240102 170000123,1.10411,1.10418,0
  bool Parse(std::string_view line, QuoteTick* t, Issue* is) {
    const char* p = line.data();
    const char* e = p + line.size();
    int64_t days = 0, tod = 0;
    int code = e - p < 19 || p[8] != ' ' || p[18] != ',' ? kTimeSyntax : Date8(p, &dc_, &days);
    if (code == kTimeOk) code = HmsCompact(p + 9, 3, &tod);
    if (code != kTimeOk) {
      return TimeIssue(is, code, "time", "expected YYYYMMDD HHMMSSmmm", FieldText(p, e, ','));
    }
    p += 19;
    const char* b = ScanPrice(p, e, &t->bid);
    if (b == nullptr || b == e || *b != ',') {
      if (b == e) return is->Set("ask", kMissingField, true, "expected time,bid,ask,volume", line);
      return is->Set("bid", kBadNumber, true, "not a price", FieldText(p, e, ','));
    }
    p = b + 1;
    const char* a = ScanPrice(p, e, &t->ask);
    if (a == nullptr || a == e || *a != ',') {
      if (a == e) {
        return is->Set("volume", kMissingField, true, "expected time,bid,ask,volume", line);
      }
      return is->Set("ask", kBadNumber, true, "not a price", FieldText(p, e, ','));
    }
    p = a + 1;
    const char* v = p;
    while (v < e && IsDigit(*v)) ++v;
    if (v == p || v != e || v - p > 18) {
      if (v > p && v < e && *v == ',') {
        return is->Set("volume", kExtraField, true, "unexpected text after the volume",
                       std::string_view(v, static_cast<size_t>(e - v)));
      }
      return is->Set("volume", kBadNumber, true, "not an integer",
                     std::string_view(p, static_cast<size_t>(e - p)));
    }
    t->ts_event = zone_.ToUtc(UnixNanos(days * kNanosPerDay + tod));
    t->bid_volume = 0;
    t->ask_volume = 0;
    return true;
  }

 private:
  fx::SourceZone zone_;
  DayCache dc_;
};

class HistDataM1Format {
 public:
  using Record = Bar;
  static constexpr SourceFormat kFormat = SourceFormat::kHistDataM1;

  explicit HistDataM1Format(const ImportOptions& o) : zone_(o.zone), dur_(o.bar_duration) {}
  Status Init() { return Status::Ok(); }
  void BeginFile() {}
  HeaderKind Header(std::string_view, Issue*) { return HeaderKind::kData; }
  void Commit(const Bar&) {}

  // 20240102 170000;1.1041;1.1043;1.1040;1.1042;0
  bool Parse(std::string_view line, Bar* b, Issue* is) {
    const char* p = line.data();
    const char* e = p + line.size();
    int64_t days = 0, tod = 0;
    int code = e - p < 16 || p[8] != ' ' || p[15] != ';' ? kTimeSyntax : Date8(p, &dc_, &days);
    if (code == kTimeOk) code = HmsCompact(p + 9, 0, &tod);
    if (code != kTimeOk) {
      return TimeIssue(is, code, "time", "expected YYYYMMDD HHMMSS", FieldText(p, e, ';'));
    }
    p += 16;
    static constexpr std::string_view kNames[4] = {"open", "high", "low", "close"};
    static constexpr std::string_view kNext[4] = {"high", "low", "close", "volume"};
    Price* out[4] = {&b->open, &b->high, &b->low, &b->close};
    for (int i = 0; i < 4; ++i) {
      const char* q = ScanPrice(p, e, out[i]);
      if (q == nullptr || q == e || *q != ';') {
        if (q == e) {
          return is->Set(kNext[i], kMissingField, true, "expected time;open;high;low;close;volume",
                         line);
        }
        return is->Set(kNames[i], kBadNumber, true, "not a price", FieldText(p, e, ';'));
      }
      p = q + 1;
    }
    const std::string_view vol(p, static_cast<size_t>(e - p));
    int64_t v = 0;
    if (!IntField(vol, &v)) {
      if (const size_t semi = vol.find(';'); semi != std::string_view::npos && semi > 0) {
        return is->Set("volume", kExtraField, true, "unexpected text after the volume",
                       vol.substr(semi));
      }
      return is->Set("volume", kBadNumber, true, "not an integer", vol);
    }
    b->ts_open = zone_.ToUtc(UnixNanos(days * kNanosPerDay + tod));
    b->ts_close = b->ts_open + dur_;
    b->tick_count = 0;  // HistData's volume column is always 0
    b->volume = static_cast<double>(v);
    b->spread_mean = 0;
    b->spread_max = Price();
    return true;
  }

 private:
  fx::SourceZone zone_;
  Duration dur_;
  DayCache dc_;
};

// MetaTrader 5 exports: columns named by a header line ("<DATE>\t<TIME>\t<BID>..."), tab-separated
// (the delimiter is taken from the header: tab, else ',' or ';'). Without a header the default
// column order is assumed.
class Mt5Columns {
 public:
  static constexpr size_t kMaxFields = 16;

  // `names`: the columns of this format in default order; `required`: those that must be present.
  Mt5Columns(std::span<const std::string_view> names, std::span<const std::string_view> required)
      : names_(names), required_(required) {}

  void Reset() {
    delim_ = '\t';
    ncols_ = names_.size();
    for (size_t i = 0; i < names_.size(); ++i) col_[i] = static_cast<int>(i);
  }

  HeaderKind Header(std::string_view line, std::string_view self, std::string_view other,
                    std::string_view other_marker, Issue* is) {
    Reset();
    if (line.empty() || line[0] != '<') return HeaderKind::kData;
    delim_ = line.find('\t') != std::string_view::npos   ? '\t'
             : line.find(',') != std::string_view::npos ? ','
                                                         : ';';
    std::array<std::string_view, kMaxFields> f;
    const size_t n = Split(line, delim_, &f);
    if (n > kMaxFields) {
      is->Set("", "", true, "header has more than 16 columns", line);
      return HeaderKind::kError;
    }
    for (size_t i = 0; i < names_.size(); ++i) col_[i] = -1;
    bool saw_other = false;
    for (size_t i = 0; i < n; ++i) {
      std::string_view h = f[i];
      while (!h.empty() && h.back() == ' ') h.remove_suffix(1);
      if (h.size() < 3 || h.front() != '<' || h.back() != '>') {
        is->Set("", "", true, "", {}, false);
        is->detail = "header column " + std::to_string(i + 1) + " is not <NAME>: '" +
                     std::string(h.substr(0, 64)) + "'";
        return HeaderKind::kError;
      }
      const std::string name = Upper(h.substr(1, h.size() - 2));
      if (name == other_marker) saw_other = true;
      for (size_t k = 0; k < names_.size(); ++k) {
        if (name == names_[k]) col_[k] = static_cast<int>(i);
      }
    }
    ncols_ = n;
    for (std::string_view r : required_) {
      if (col_[Index(r)] < 0) {
        is->Set("", "", true, "", {}, false);
        is->detail = "does not look like " + std::string(self) + ": header has no <" +
                     std::string(r) + "> column";
        if (saw_other) is->detail += " (it looks like " + std::string(other) + ")";
        is->detail += ": '" + std::string(line.substr(0, 200)) + "'";
        return HeaderKind::kError;
      }
    }
    return HeaderKind::kHeader;
  }

  // Name of the header's last column (where extra fields start), for messages.
  std::string_view LastColumnName() const {
    for (size_t k = 0; k < names_.size(); ++k) {
      if (col_[k] >= 0 && static_cast<size_t>(col_[k]) + 1 == ncols_) return Lower(names_[k]);
    }
    return "line";
  }

  size_t Index(std::string_view name) const {
    for (size_t k = 0; k < names_.size(); ++k) {
      if (names_[k] == name) return k;
    }
    return 0;
  }

  // Splits a row; false (issue set) when it has more fields than the header or misses a
  // required one. Optional columns missing at the end of the row read as empty.
  bool SplitRow(std::string_view line, Issue* is) {
    nfields_ = Split(line, delim_, &fields_);
    if (nfields_ > ncols_ || nfields_ > kMaxFields) {
      const size_t k = std::min(ncols_, kMaxFields);
      size_t off = 0;
      for (size_t i = 0; i < k; ++i) off += fields_[i].size() + 1;
      return is->Set(LastColumnName(), kExtraField, true,
                     "more than " + std::to_string(ncols_) + " fields: unexpected",
                     line.substr(std::min(off, line.size())));
    }
    for (std::string_view r : required_) {
      const int c = col_[Index(r)];
      if (static_cast<size_t>(c) >= nfields_) {
        return is->Set(Lower(r), kMissingField, true,
                       "expected " + std::to_string(ncols_) + " fields", line);
      }
    }
    return true;
  }

  // The row's field for a column ("" when the column is absent or the row is short).
  std::string_view Get(size_t k) const {
    const int c = col_[k];
    return c >= 0 && static_cast<size_t>(c) < nfields_ ? fields_[static_cast<size_t>(c)]
                                                       : std::string_view();
  }
  bool Has(size_t k) const { return col_[k] >= 0; }

  static std::string_view Lower(std::string_view upper_name) {
    static constexpr std::string_view kLower[] = {"date",   "time",   "bid",   "ask",
                                                  "last",   "volume", "flags", "open",
                                                  "high",   "low",    "close", "tickvol",
                                                  "vol",    "spread"};
    static constexpr std::string_view kUpper[] = {"DATE",   "TIME",   "BID",   "ASK",
                                                  "LAST",   "VOLUME", "FLAGS", "OPEN",
                                                  "HIGH",   "LOW",    "CLOSE", "TICKVOL",
                                                  "VOL",    "SPREAD"};
    for (size_t i = 0; i < std::size(kUpper); ++i) {
      if (kUpper[i] == upper_name) return kLower[i];
    }
    return upper_name;
  }

  // Date and time columns -> source-local nanoseconds. `time` may be absent (daily bars).
  bool LocalTime(size_t date_k, size_t time_k, bool time_required, DayCache* dc, int64_t* local,
                 Issue* is) const {
    const std::string_view d = Get(date_k);
    int64_t days = 0;
    int code = d.size() != 10 ? kTimeSyntax : DateSep(d.data(), '.', dc, &days);
    if (code != kTimeOk) return TimeIssue(is, code, "date", "expected YYYY.MM.DD", d);
    int64_t tod = 0;
    const std::string_view t = Get(time_k);
    if (Has(time_k) || time_required) {
      const char* p = t.data();
      const char* e = p + t.size();
      code = HmsColon(p, e, true, &tod);
      if (code == kTimeOk && p != e) code = kTimeSyntax;
      if (code != kTimeOk) return TimeIssue(is, code, "time", "expected HH:MM:SS[.mmm]", t);
    }
    *local = days * kNanosPerDay + tod;
    return true;
  }

 private:
  std::span<const std::string_view> names_;
  std::span<const std::string_view> required_;
  char delim_ = '\t';
  size_t ncols_ = 0;
  std::array<int, kMaxFields> col_{};
  std::array<std::string_view, kMaxFields> fields_;
  size_t nfields_ = 0;
};

constexpr std::string_view kMt5TickCols[] = {"DATE", "TIME", "BID", "ASK",
                                             "LAST", "VOLUME", "FLAGS"};
constexpr std::string_view kMt5TickRequired[] = {"DATE", "TIME", "BID", "ASK"};
constexpr std::string_view kMt5BarCols[] = {"DATE",  "TIME",    "OPEN", "HIGH",  "LOW",
                                            "CLOSE", "TICKVOL", "VOL",  "SPREAD"};
constexpr std::string_view kMt5BarRequired[] = {"DATE", "OPEN", "HIGH", "LOW", "CLOSE"};

class Mt5TicksFormat {
 public:
  using Record = QuoteTick;
  static constexpr SourceFormat kFormat = SourceFormat::kMt5Ticks;
  enum Col : size_t { kDate, kTime, kBid, kAsk, kLast, kVolume, kFlags };

  explicit Mt5TicksFormat(const ImportOptions& o)
      : zone_(o.zone), cols_(kMt5TickCols, kMt5TickRequired) {}
  Status Init() { return Status::Ok(); }
  void BeginFile() {
    cols_.Reset();
    have_bid_ = have_ask_ = false;
  }
  HeaderKind Header(std::string_view line, Issue* is) {
    return cols_.Header(line, "mt5-ticks", "mt5-bars", "OPEN", is);
  }
  void Commit(const QuoteTick& t) {
    bid_ = t.bid;
    ask_ = t.ask;
    have_bid_ = have_ask_ = true;
  }

  // 2024.01.02 <TAB> 17:00:00.123 <TAB> 1.10411 <TAB> 1.10418 <TAB> <TAB> <TAB> 6
  bool Parse(std::string_view line, QuoteTick* t, Issue* is) {
    if (!cols_.SplitRow(line, is)) return false;
    int64_t local = 0;
    if (!cols_.LocalTime(kDate, kTime, true, &dc_, &local, is)) return false;
    const std::string_view bs = cols_.Get(kBid);
    const std::string_view as = cols_.Get(kAsk);
    Price bid, ask;
    if (!bs.empty() && !PriceField(bs, &bid)) {
      return is->Set("bid", kBadNumber, true, "not a price", bs);
    }
    if (!as.empty() && !PriceField(as, &ask)) {
      return is->Set("ask", kBadNumber, true, "not a price", as);
    }
    Price scratch;
    if (const std::string_view l = cols_.Get(kLast); !l.empty() && !PriceField(l, &scratch)) {
      return is->Set("last", kBadNumber, true, "not a price", l);
    }
    double vol = 0;
    if (const std::string_view v = cols_.Get(kVolume); !v.empty() && !VolumeField(v, &vol)) {
      return is->Set("volume", kBadNumber, true, "not a volume", v);
    }
    int64_t flags = 0;
    if (const std::string_view f = cols_.Get(kFlags); !f.empty() && !IntField(f, &flags)) {
      return is->Set("flags", kBadNumber, true, "not an integer", f);
    }
    if (bs.empty() && as.empty()) {
      return is->Set("bid", kNoQuote, false, "neither bid nor ask on the row", {}, false);
    }
    // One-sided rows: the other side is unchanged since the previous row. Until both sides are
    // known rows are incomplete, but the side they carry becomes known.
    if (bs.empty() && !have_bid_) {
      ask_ = ask;
      have_ask_ = true;
      return is->Set("bid", kIncomplete, false, "no bid known yet (ask-only row)", {}, false);
    }
    if (as.empty() && !have_ask_) {
      bid_ = bid;
      have_bid_ = true;
      return is->Set("ask", kIncomplete, false, "no ask known yet (bid-only row)", {}, false);
    }
    if (bs.empty()) bid = bid_;
    if (as.empty()) ask = ask_;
    t->ts_event = zone_.ToUtc(UnixNanos(local));
    t->bid = bid;
    t->ask = ask;
    t->bid_volume = 0;
    t->ask_volume = 0;
    return true;
  }

 private:
  fx::SourceZone zone_;
  Mt5Columns cols_;
  DayCache dc_;
  Price bid_, ask_;
  bool have_bid_ = false, have_ask_ = false;
};

class Mt5BarsFormat {
 public:
  using Record = Bar;
  static constexpr SourceFormat kFormat = SourceFormat::kMt5Bars;
  enum Col : size_t { kDate, kTime, kOpen, kHigh, kLow, kClose, kTickVol, kVol, kSpread };

  explicit Mt5BarsFormat(const ImportOptions& o)
      : zone_(o.zone),
        dur_(o.bar_duration),
        decimals_(o.instrument.price_precision),
        cols_(kMt5BarCols, kMt5BarRequired) {}
  Status Init() {
    if (decimals_ < 0 || decimals_ > kPriceDecimals) {
      return InvalidArgument("instrument price precision " + std::to_string(decimals_) +
                             " not in [0, 9]");
    }
    return Status::Ok();
  }
  void BeginFile() { cols_.Reset(); }
  HeaderKind Header(std::string_view line, Issue* is) {
    return cols_.Header(line, "mt5-bars", "mt5-ticks", "BID", is);
  }
  void Commit(const Bar&) {}

  // 2024.01.02 <TAB> 00:00:00 <TAB> O <TAB> H <TAB> L <TAB> C <TAB> tickvol <TAB> vol <TAB> spread
  bool Parse(std::string_view line, Bar* b, Issue* is) {
    if (!cols_.SplitRow(line, is)) return false;
    int64_t local = 0;
    if (!cols_.LocalTime(kDate, kTime, false, &dc_, &local, is)) return false;
    static constexpr Col kPx[4] = {kOpen, kHigh, kLow, kClose};
    static constexpr std::string_view kNames[4] = {"open", "high", "low", "close"};
    Price* out[4] = {&b->open, &b->high, &b->low, &b->close};
    for (int i = 0; i < 4; ++i) {
      const std::string_view f = cols_.Get(kPx[i]);
      if (f.empty()) return is->Set(kNames[i], kMissingField, true, "empty", {}, false);
      if (!PriceField(f, out[i])) return is->Set(kNames[i], kBadNumber, true, "not a price", f);
    }
    int64_t tickvol = 0, spread = 0;
    double vol = 0;
    if (const std::string_view f = cols_.Get(kTickVol); !f.empty() && !IntField(f, &tickvol)) {
      return is->Set("tickvol", kBadNumber, true, "not an integer", f);
    }
    if (const std::string_view f = cols_.Get(kVol); !f.empty() && !VolumeField(f, &vol)) {
      return is->Set("vol", kBadNumber, true, "not a volume", f);
    }
    if (const std::string_view f = cols_.Get(kSpread);
        !f.empty() && (!IntField(f, &spread) || spread > 1'000'000'000)) {
      return is->Set("spread", kBadNumber, true, "not an integer number of points", f);
    }
    b->ts_open = zone_.ToUtc(UnixNanos(local));
    b->ts_close = b->ts_open + dur_;
    b->tick_count = tickvol;
    b->volume = vol;
    // MT5 gives one spread per bar, in points: it is both the mean and the widest we know of.
    b->spread_max = Price::FromScaled(spread, decimals_);
    b->spread_mean = b->spread_max.ToDouble();
    return true;
  }

 private:
  fx::SourceZone zone_;
  Duration dur_;
  int decimals_;
  Mt5Columns cols_;
  DayCache dc_;
};

// Generic CSV time formats, compiled once per import.
class TimePattern {
 public:
  enum class Kind { kIso, kEpochSeconds, kEpochMillis, kPattern };

  Status Compile(std::string_view spec) {
    spec_ = std::string(spec);
    const auto bad = [&](std::string why) {
      return InvalidArgument("bad CSV time format '" + spec_ + "': " + why +
                             " (use iso, %s, %ms, or %Y %m %d %H %M %S %f with literal text)");
    };
    if (spec == "iso" || spec == "ISO") {
      kind_ = Kind::kIso;
      return Status::Ok();
    }
    if (spec == "%s") {
      kind_ = Kind::kEpochSeconds;
      return Status::Ok();
    }
    if (spec == "%ms") {
      kind_ = Kind::kEpochMillis;
      return Status::Ok();
    }
    kind_ = Kind::kPattern;
    nops_ = 0;
    bool y = false, m = false, d = false;
    for (size_t i = 0; i < spec.size(); ++i) {
      if (nops_ == ops_.size()) return bad("too long");
      if (spec[i] != '%') {
        ops_[nops_++] = Op{'L', spec[i]};
        continue;
      }
      if (++i == spec.size()) return bad("ends with '%'");
      const char c = spec[i];
      switch (c) {
        case 'Y': y = true; break;
        case 'm': m = true; break;
        case 'd': d = true; break;
        case 'H': case 'M': case 'S': case 'f': break;
        case '%': ops_[nops_++] = Op{'L', '%'}; continue;
        case 's': return bad("%s and %ms must be the whole format");
        default: return bad(std::string("unknown directive %") + c);
      }
      ops_[nops_++] = Op{c, 0};
    }
    if (!y || !m || !d) return bad("needs %Y, %m and %d");
    return Status::Ok();
  }

  const std::string& spec() const { return spec_; }

  // Parses `s`: *ns is source-local time, or UTC when *is_utc (epoch values; ISO with Z/offset).
  int Parse(std::string_view s, DayCache* dc, int64_t* ns, bool* is_utc) const {
    *is_utc = false;
    const char* p = s.data();
    const char* e = p + s.size();
    switch (kind_) {
      case Kind::kEpochSeconds:
      case Kind::kEpochMillis: {
        *is_utc = true;
        int64_t v = 0;
        int n = 0;
        while (p < e && IsDigit(*p)) {
          if (++n > 15) return kTimeSyntax;
          v = v * 10 + (*p++ - '0');
        }
        if (n == 0) return kTimeSyntax;
        int64_t frac = 0;
        if (kind_ == Kind::kEpochSeconds && p < e && *p == '.') {
          ++p;
          if (!Fraction(p, e, &frac)) return kTimeSyntax;
        }
        if (p != e) return kTimeSyntax;
        const int64_t unit = kind_ == Kind::kEpochSeconds ? kNanosPerSecond : kNanosPerMilli;
        const int64_t limit = DaysFromCivil(kMaxYear + 1, 1, 1) * (kNanosPerDay / unit);
        if (v >= limit) return kTimeImpossible;
        *ns = v * unit + frac;
        return kTimeOk;
      }
      case Kind::kIso:
        return ParseIso(p, e, dc, ns, is_utc);
      case Kind::kPattern:
        break;
    }
    int y = -1, mo = -1, d = -1, h = 0, mi = 0, sec = 0;
    int64_t frac = 0;
    for (size_t i = 0; i < nops_; ++i) {
      const Op op = ops_[i];
      if (op.type == 'L') {
        if (p == e || *p != op.lit) return kTimeSyntax;
        ++p;
        continue;
      }
      if (op.type == 'f') {
        if (!Fraction(p, e, &frac)) return kTimeSyntax;
        continue;
      }
      const int width = op.type == 'Y' ? 4 : 2;
      int v = 0, n = 0;
      while (n < width && p < e && IsDigit(*p)) {
        v = v * 10 + (*p++ - '0');
        ++n;
      }
      if (n == 0 || (op.type == 'Y' && n != 4)) return kTimeSyntax;
      switch (op.type) {
        case 'Y': y = v; break;
        case 'm': mo = v; break;
        case 'd': d = v; break;
        case 'H': h = v; break;
        case 'M': mi = v; break;
        case 'S': sec = v; break;
      }
    }
    if (p != e) return kTimeSyntax;
    if (h > 23 || mi > 59 || sec > 59) return kTimeImpossible;
    int64_t days = 0;
    if (const int c = dc->Get(y, mo, d, &days); c != kTimeOk) return c;
    *ns = days * kNanosPerDay + Tod(h, mi, sec) + frac;
    return kTimeOk;
  }

 private:
  struct Op {
    char type;  // 'L' literal, or the directive letter
    char lit;
  };

  // YYYY-MM-DD[(T| )HH:MM[:SS[.f]]][Z|+HH:MM|-HH:MM|+HHMM|+HH]
  static int ParseIso(const char* p, const char* e, DayCache* dc, int64_t* ns, bool* is_utc) {
    int64_t days = 0, tod = 0;
    if (e - p < 10) return kTimeSyntax;
    if (const int c = DateSep(p, '-', dc, &days); c != kTimeOk) return c;
    p += 10;
    if (p < e && (*p == 'T' || *p == ' ')) {
      ++p;
      if (const int c = HmsColon(p, e, true, &tod); c != kTimeOk) return c;
    }
    int64_t offset = 0;
    if (p < e && (*p == 'Z' || *p == 'z')) {
      ++p;
      *is_utc = true;
    } else if (p < e && (*p == '+' || *p == '-')) {
      const int sign = *p == '-' ? -1 : 1;
      ++p;
      int oh = 0, om = 0;
      if (e - p < 2 || !Digits(p, 2, &oh)) return kTimeSyntax;
      p += 2;
      if (p < e && *p == ':') ++p;
      if (p < e) {
        if (e - p < 2 || !Digits(p, 2, &om)) return kTimeSyntax;
        p += 2;
      }
      if (oh > 14 || om > 59) return kTimeImpossible;
      offset = sign * (oh * kNanosPerHour + om * kNanosPerMinute);
      *is_utc = true;
    }
    if (p != e) return kTimeSyntax;
    *ns = days * kNanosPerDay + tod - offset;
    return kTimeOk;
  }

  std::string spec_;
  Kind kind_ = Kind::kIso;
  std::array<Op, 64> ops_{};
  size_t nops_ = 0;
};

constexpr int kMaxCsvColumns = 64;

class CsvFormat {
 public:
  using Record = QuoteTick;
  static constexpr SourceFormat kFormat = SourceFormat::kCsv;

  explicit CsvFormat(const ImportOptions& o) : zone_(o.zone), layout_(o.csv) {}

  Status Init() {
    const CsvLayout& l = layout_;
    const char d = l.delimiter;
    if (d == '\0' || d == '\n' || d == '\r' || d == '"' || d == '.' || d == '-' || d == '+' ||
        IsDigit(d)) {
      return InvalidArgument(std::string("bad CSV delimiter '") + d + "'");
    }
    const std::pair<const char*, int> cols[] = {{"time", l.time_col},
                                                {"date", l.date_col},
                                                {"bid", l.bid_col},
                                                {"ask", l.ask_col},
                                                {"bid_volume", l.bid_volume_col},
                                                {"ask_volume", l.ask_volume_col}};
    for (size_t i = 0; i < std::size(cols); ++i) {
      const bool optional = i == 1 || i >= 4;
      if (cols[i].second < (optional ? -1 : 0) || cols[i].second >= kMaxCsvColumns) {
        return InvalidArgument(std::string("CSV column '") + cols[i].first + "' = " +
                               std::to_string(cols[i].second) + " not in [0, " +
                               std::to_string(kMaxCsvColumns - 1) + "]");
      }
      for (size_t k = 0; k < i; ++k) {
        if (cols[i].second >= 0 && cols[i].second == cols[k].second) {
          return InvalidArgument(std::string("CSV columns '") + cols[k].first + "' and '" +
                                 cols[i].first + "' are both column " +
                                 std::to_string(cols[i].second));
        }
      }
    }
    return pattern_.Compile(l.time_format);
  }
  void BeginFile() {}
  HeaderKind Header(std::string_view, Issue*) {
    return layout_.header ? HeaderKind::kHeader : HeaderKind::kData;
  }
  void Commit(const QuoteTick&) {}

  bool Parse(std::string_view line, QuoteTick* t, Issue* is) {
    const size_t n = Split(line, layout_.delimiter, &f_);
    const auto field = [&](int col, std::string_view name, std::string_view* out) {
      if (col < 0) return true;
      if (static_cast<size_t>(col) >= n) {
        return is->Set(name, kMissingField, true,
                       "expected column " + std::to_string(col + 1) + ", the row has " +
                           std::to_string(n),
                       line);
      }
      std::string_view s = f_[static_cast<size_t>(col)];
      while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
      while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
      if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
      *out = s;
      return true;
    };
    std::string_view ts, ds, bs, as, bv, av;
    if (!field(layout_.time_col, "time", &ts) || !field(layout_.date_col, "date", &ds) ||
        !field(layout_.bid_col, "bid", &bs) || !field(layout_.ask_col, "ask", &as) ||
        !field(layout_.bid_volume_col, "bid_volume", &bv) ||
        !field(layout_.ask_volume_col, "ask_volume", &av)) {
      return false;
    }
    std::string_view when = ts;
    char joined[160];
    if (layout_.date_col >= 0) {
      if (ds.size() + ts.size() + 1 > sizeof(joined)) {
        return is->Set("time", kBadTime, true, "date and time too long", ts);
      }
      std::memcpy(joined, ds.data(), ds.size());
      joined[ds.size()] = ' ';
      std::memcpy(joined + ds.size() + 1, ts.data(), ts.size());
      when = std::string_view(joined, ds.size() + 1 + ts.size());
    }
    int64_t ns = 0;
    bool is_utc = false;
    if (const int c = pattern_.Parse(when, &dc_, &ns, &is_utc); c != kTimeOk) {
      return TimeIssue(is, c, "time", "expected time format '" + pattern_.spec() + "'", when);
    }
    if (!PriceField(bs, &t->bid)) return is->Set("bid", kBadNumber, true, "not a price", bs);
    if (!PriceField(as, &t->ask)) return is->Set("ask", kBadNumber, true, "not a price", as);
    double v = 0;
    t->bid_volume = t->ask_volume = 0;
    if (layout_.bid_volume_col >= 0 && !bv.empty()) {
      if (!VolumeField(bv, &v) || v > 3e38) {
        return is->Set("bid_volume", kBadNumber, true, "not a volume", bv);
      }
      t->bid_volume = static_cast<float>(v);
    }
    if (layout_.ask_volume_col >= 0 && !av.empty()) {
      if (!VolumeField(av, &v) || v > 3e38) {
        return is->Set("ask_volume", kBadNumber, true, "not a volume", av);
      }
      t->ask_volume = static_cast<float>(v);
    }
    t->ts_event = is_utc ? UnixNanos(ns) : zone_.ToUtc(UnixNanos(ns));
    return true;
  }

 private:
  fx::SourceZone zone_;
  CsvLayout layout_;
  TimePattern pattern_;
  DayCache dc_;
  std::array<std::string_view, kMaxCsvColumns> f_;
};

// ---------------------------------------------------------------------------------------------
// Common checks.

bool CheckRecord(const QuoteTick& t, UnixNanos last, Issue* is) {
  if (t.bid.raw() <= 0) {
    return is->Set("bid", kNonPositive, false, "bid " + PriceText(t.bid), {}, false);
  }
  if (t.ask.raw() <= 0) {
    return is->Set("ask", kNonPositive, false, "ask " + PriceText(t.ask), {}, false);
  }
  if (t.bid > t.ask) {
    return is->Set("bid", kCrossed, false,
                   "bid " + PriceText(t.bid) + " > ask " + PriceText(t.ask), {}, false);
  }
  if (t.ts_event < last) {
    return is->Set("time", kNonMonotonic, false,
                   t.ts_event.ToIso() + " is before the previous row's " + last.ToIso(), {},
                   false);
  }
  return true;
}

bool CheckRecord(const Bar& b, UnixNanos last, Issue* is) {
  const Price* px[4] = {&b.open, &b.high, &b.low, &b.close};
  static constexpr std::string_view kNames[4] = {"open", "high", "low", "close"};
  for (int i = 0; i < 4; ++i) {
    if (px[i]->raw() <= 0) {
      return is->Set(kNames[i], kNonPositive, false,
                     std::string(kNames[i]) + " " + PriceText(*px[i]), {}, false);
    }
  }
  if (b.low > std::min(b.open, b.close) || b.high < std::max(b.open, b.close) ||
      b.low > b.high) {
    const bool low_bad = b.low > std::min({b.open, b.close, b.high});
    return is->Set(low_bad ? "low" : "high", kOhlc, false,
                   "need low <= open, close <= high: open " + PriceText(b.open) + " high " +
                       PriceText(b.high) + " low " + PriceText(b.low) + " close " +
                       PriceText(b.close),
                   {}, false);
  }
  if (b.ts_open <= last) {
    return is->Set("time", b.ts_open == last ? kDuplicateBar : kNonMonotonic, false,
                   b.ts_open.ToIso() + (b.ts_open == last ? " repeats" : " is before") +
                       " the previous bar's " + last.ToIso(),
                   {}, false);
  }
  return true;
}

UnixNanos TimeOf(const QuoteTick& t) { return t.ts_event; }
UnixNanos TimeOf(const Bar& b) { return b.ts_open; }

// ---------------------------------------------------------------------------------------------
// The driver: reads files line by line, parses, checks, quarantines, and feeds the sink.

template <typename Format>
class TextImporter {
 public:
  using Record = typename Format::Record;
  using Sink = std::function<Status(std::span<const Record>)>;

  TextImporter(Format* fmt, const ImportOptions& o, Quarantine* q, const Sink& sink)
      : fmt_(fmt), strict_(o.strict), from_(o.from), to_(o.to), q_(q), sink_(sink) {
    chunk_.reserve(kSinkChunkRows);
  }

  Status ImportFile(ByteSource* src, const std::string& file, size_t read_bytes) {
    const std::string_view name = SourceFormatName(Format::kFormat);
    LineReader r(src, read_bytes, file);
    ARUS_RETURN_IF_ERROR(r.Start(name));
    ++stats_.files;
    fmt_->BeginFile();
    pending_.clear();
    bool first_line = true;
    bool shaped = false;  // a row of this file had the format's shape
    std::string_view line;
    while (r.Next(&line)) {
      if (line.empty() && !r.too_long()) continue;
      const uint64_t ln = r.line_no();
      if (first_line) {
        first_line = false;
        if (!r.too_long()) {
          const HeaderKind h = fmt_->Header(line, &issue_);
          if (h == HeaderKind::kError) return ParseError(file, ln, "", issue_.detail);
          if (h == HeaderKind::kHeader) continue;
        }
      }
      ++stats_.rows;
      Record rec{};
      bool ok;
      if (r.too_long()) {
        ok = issue_.Set("line", kLineTooLong, true,
                        "longer than " + std::to_string(kMaxLineBytes) + " bytes", {}, false);
      } else {
        ok = fmt_->Parse(line, &rec, &issue_) && CheckRecord(rec, last_, &issue_);
      }
      if (ok) {
        if (!shaped) {
          shaped = true;
          FlushPending();
        }
        fmt_->Commit(rec);
        last_ = TimeOf(rec);
        if (last_ < from_ || last_ >= to_) continue;  // outside the requested range: dropped
        if (stats_.accepted == 0) stats_.first = last_;
        stats_.last = last_;
        ++stats_.accepted;
        chunk_.push_back(rec);
        if (chunk_.size() >= kSinkChunkRows) ARUS_RETURN_IF_ERROR(Flush());
        continue;
      }
      ARUS_RETURN_IF_ERROR(Reject(file, ln, line, &shaped));
    }
    ARUS_RETURN_IF_ERROR(r.status());
    stats_.bytes += r.raw_bytes();
    if (!shaped && !pending_.empty()) return NotLike(file);
    return Status::Ok();
  }

  Status Finish() { return Flush(); }
  const ImportStats& stats() const { return stats_; }

 private:
  Status Flush() {
    if (chunk_.empty()) return Status::Ok();
    Status s = sink_(std::span<const Record>(chunk_));
    chunk_.clear();
    return s;
  }

  Status Reject(const std::string& file, uint64_t ln, std::string_view line, bool* shaped) {
    if (strict_) {
      std::string what(issue_.reason);
      if (!issue_.detail.empty()) what += ": " + issue_.detail;
      if (issue_.syntactic && !*shaped) what += Hint(line);
      return ParseError(file, ln, issue_.field, what);
    }
    ++stats_.quarantined;
    if (!issue_.syntactic && !*shaped) {
      *shaped = true;
      FlushPending();
    }
    if (*shaped) {
      if (q_ != nullptr) q_->Add(file, ln, issue_.field, issue_.reason, issue_.detail, line);
      return Status::Ok();
    }
    // Until a row of the file parses, bad rows wait here: if none ever does, the file is not
    // this format and the import fails instead of quarantining the whole file row by row.
    pending_.push_back(QuarantinedRow{file, ln, std::string(issue_.field),
                                      std::string(issue_.reason), issue_.detail,
                                      std::string(line.substr(0, Quarantine::kMaxRawBytes + 1))});
    if (pending_.size() >= static_cast<size_t>(kSniffRows)) return NotLike(file);
    return Status::Ok();
  }

  void FlushPending() {
    if (q_ != nullptr) {
      for (const QuarantinedRow& p : pending_) {
        q_->Add(p.file, p.line, p.field, p.reason, p.detail, p.raw);
      }
    }
    pending_.clear();
  }

  std::string Hint(std::string_view line) const {
    const std::optional<SourceFormat> g = GuessTextFormat(line);
    if (g && *g != Format::kFormat) {
      return " (the file looks like " + std::string(SourceFormatName(*g)) + ")";
    }
    return "";
  }

  Status NotLike(const std::string& file) const {
    const QuarantinedRow& f = pending_.front();
    const bool all_symbol = std::all_of(pending_.begin(), pending_.end(), [](const auto& p) {
      return p.reason == kWrongSymbol;
    });
    std::string what;
    if (all_symbol && GuessTextFormat(f.raw) == SourceFormat::kTrueFx) {
      what = "wrong symbol: " + f.detail + " (line " + std::to_string(f.line) + ")";
    } else {
      what = "does not look like " + std::string(SourceFormatName(Format::kFormat)) + " (" +
             (pending_.size() >= static_cast<size_t>(kSniffRows)
                  ? "the first " + std::to_string(kSniffRows) + " rows are all malformed"
                  : std::string("no row is valid")) +
             "; line " + std::to_string(f.line) + ", field '" + f.field + "': " + f.reason +
             ": " + f.detail + ")" + Hint(f.raw);
    }
    return ParseError(file, 0, "", what);
  }

  Format* fmt_;
  bool strict_;
  UnixNanos from_, to_;
  Quarantine* q_;
  const Sink& sink_;
  ImportStats stats_;
  UnixNanos last_ = UnixNanos::Min();
  std::vector<Record> chunk_;
  std::vector<QuarantinedRow> pending_;
  Issue issue_;
};

// Runs `fn(format_object)` for the tick formats.
template <typename Fn>
Result<ImportStats> WithTickFormat(SourceFormat f, const ImportOptions& o, Fn&& fn) {
  switch (f) {
    case SourceFormat::kTrueFx: {
      TrueFxFormat fmt(o);
      ARUS_RETURN_IF_ERROR(fmt.Init());
      return fn(fmt);
    }
    case SourceFormat::kHistDataTick: {
      HistDataTickFormat fmt(o);
      ARUS_RETURN_IF_ERROR(fmt.Init());
      return fn(fmt);
    }
    case SourceFormat::kMt5Ticks: {
      Mt5TicksFormat fmt(o);
      ARUS_RETURN_IF_ERROR(fmt.Init());
      return fn(fmt);
    }
    case SourceFormat::kCsv: {
      CsvFormat fmt(o);
      ARUS_RETURN_IF_ERROR(fmt.Init());
      return fn(fmt);
    }
    default:
      return InvalidArgument("format '" + std::string(SourceFormatName(f)) +
                             "' is not a text tick format");
  }
}

template <typename Fn>
Result<ImportStats> WithBarFormat(SourceFormat f, const ImportOptions& o, Fn&& fn) {
  if (o.bar_duration.count() <= 0 || o.bar_duration.count() > 366 * kNanosPerDay) {
    return InvalidArgument("bar duration must be positive and at most 366 days");
  }
  switch (f) {
    case SourceFormat::kHistDataM1: {
      HistDataM1Format fmt(o);
      ARUS_RETURN_IF_ERROR(fmt.Init());
      return fn(fmt);
    }
    case SourceFormat::kMt5Bars: {
      Mt5BarsFormat fmt(o);
      ARUS_RETURN_IF_ERROR(fmt.Init());
      return fn(fmt);
    }
    default:
      return InvalidArgument("format '" + std::string(SourceFormatName(f)) +
                             "' is not a text bar format");
  }
}

template <typename Format, typename SinkT>
Result<ImportStats> RunFiles(Format& fmt, std::span<const std::string> inputs,
                             const ImportOptions& o, Quarantine* q, const SinkT& sink) {
  if (inputs.empty()) return InvalidArgument("no input files");
  TextImporter<Format> imp(&fmt, o, q, sink);
  for (const std::string& path : inputs) {
    FileSource src;
    ARUS_RETURN_IF_ERROR(src.Open(path));
    ARUS_RETURN_IF_ERROR(imp.ImportFile(&src, path, kTextChunkBytes));
  }
  ARUS_RETURN_IF_ERROR(imp.Finish());
  return imp.stats();
}

template <typename Format, typename SinkT>
Result<ImportStats> RunText(Format& fmt, std::string_view name, std::string_view content,
                            const ImportOptions& o, Quarantine* q, const SinkT& sink,
                            size_t read_bytes) {
  TextImporter<Format> imp(&fmt, o, q, sink);
  MemorySource src(content, read_bytes);
  // No need for a buffer larger than the content.
  const size_t chunk = std::max<size_t>(std::min(read_bytes, content.size() + 1), 16);
  ARUS_RETURN_IF_ERROR(imp.ImportFile(&src, std::string(name), chunk));
  ARUS_RETURN_IF_ERROR(imp.Finish());
  return imp.stats();
}

}  // namespace

bool IsTextTickFormat(SourceFormat f) {
  return f == SourceFormat::kTrueFx || f == SourceFormat::kHistDataTick ||
         f == SourceFormat::kMt5Ticks || f == SourceFormat::kCsv;
}

bool IsTextBarFormat(SourceFormat f) {
  return f == SourceFormat::kHistDataM1 || f == SourceFormat::kMt5Bars;
}

Result<ImportStats> ImportTextTicks(SourceFormat format, std::span<const std::string> inputs,
                                    const ImportOptions& options, Quarantine* quarantine,
                                    const TickSink& sink) {
  return WithTickFormat(format, options, [&](auto& fmt) {
    return RunFiles(fmt, inputs, options, quarantine, sink);
  });
}

Result<ImportStats> ImportTextBars(SourceFormat format, std::span<const std::string> inputs,
                                   const ImportOptions& options, Quarantine* quarantine,
                                   const BarSink& sink) {
  return WithBarFormat(format, options, [&](auto& fmt) {
    return RunFiles(fmt, inputs, options, quarantine, sink);
  });
}

Result<ImportStats> ImportTicksFromText(SourceFormat format, std::string_view name,
                                        std::string_view content, const ImportOptions& options,
                                        Quarantine* quarantine, const TickSink& sink,
                                        size_t read_bytes) {
  return WithTickFormat(format, options, [&](auto& fmt) {
    return RunText(fmt, name, content, options, quarantine, sink, read_bytes);
  });
}

Result<ImportStats> ImportBarsFromText(SourceFormat format, std::string_view name,
                                       std::string_view content, const ImportOptions& options,
                                       Quarantine* quarantine, const BarSink& sink,
                                       size_t read_bytes) {
  return WithBarFormat(format, options, [&](auto& fmt) {
    return RunText(fmt, name, content, options, quarantine, sink, read_bytes);
  });
}

std::optional<SourceFormat> GuessTextFormat(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  const auto digits = [&](size_t at, size_t n) {
    if (line.size() < at + n) return false;
    for (size_t i = at; i < at + n; ++i) {
      if (!IsDigit(line[i])) return false;
    }
    return true;
  };
  if (line.rfind("<DATE>", 0) == 0) {
    if (line.find("<BID>") != std::string_view::npos) return SourceFormat::kMt5Ticks;
    if (line.find("<OPEN>") != std::string_view::npos) return SourceFormat::kMt5Bars;
    return std::nullopt;
  }
  if (digits(0, 8) && line.size() > 8 && line[8] == ' ') {
    if (digits(9, 9) && line.size() > 18 && line[18] == ',') return SourceFormat::kHistDataTick;
    if (digits(9, 6) && line.size() > 15 && line[15] == ';') return SourceFormat::kHistDataM1;
  }
  if (digits(0, 4) && line.size() > 10 && line[4] == '.' && digits(5, 2) && line[7] == '.' &&
      digits(8, 2) && line[10] == '\t') {
    const auto tabs = std::count(line.begin(), line.end(), '\t');
    if (tabs == 6) return SourceFormat::kMt5Ticks;
    if (tabs >= 7) return SourceFormat::kMt5Bars;
    return std::nullopt;
  }
  if (const size_t c = line.find(','); c != std::string_view::npos && c >= 6 && c <= 12) {
    bool letters = true;
    for (size_t i = 0; i < c; ++i) {
      const char ch = line[i];
      if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '/' || ch == '_')) {
        letters = false;
      }
    }
    if (letters && digits(c + 1, 8) && line.size() > c + 12 && line[c + 9] == ' ' &&
        digits(c + 10, 2) && line[c + 12] == ':') {
      return SourceFormat::kTrueFx;
    }
  }
  return std::nullopt;
}

}  // namespace arus::ingest
