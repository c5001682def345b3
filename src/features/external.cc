#include "features/external.h"

#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <memory>
#include <set>
#include <unordered_map>
#include <utility>

#include "core/file.h"
#include "core/format.h"

namespace arus::features {

namespace {

namespace fs = std::filesystem;
using ingest::EventImpact;
using ingest::Quarantine;

// ---------------------------------------------------------------------------------------------
// Text helpers.

constexpr size_t kMaxLineBytes = 64 * 1024;  // COT rows are ~1.5 KB
constexpr size_t kMaxFields = 512;           // COT rows hold ~130
constexpr size_t kMaxEventName = 128;
constexpr size_t kMaxSourceName = 64;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool HasControl(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// Collapses runs of spaces (COT market names are padded inconsistently across years).
std::string CollapseSpaces(std::string_view s) {
  std::string out;
  for (char c : Trim(s)) {
    if (c == ' ' && !out.empty() && out.back() == ' ') continue;
    out += c;
  }
  return out;
}

void AppendCsvField(std::string* out, std::string_view f) {
  if (f.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(f);
    return;
  }
  out->push_back('"');
  for (char c : f) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

// Splits one CSV record (without its line end) into fields, RFC 4180 quoting. Unquoted fields
// are returned as they are (callers trim). Returns "" or what is wrong.
std::string SplitCsv(std::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    if (fields->size() >= kMaxFields) return "more than " + std::to_string(kMaxFields) + " fields";
    size_t j = i;
    while (j < n && line[j] == ' ') ++j;
    std::string field;
    if (j < n && line[j] == '"') {
      size_t k = j + 1;
      while (true) {
        const size_t q = line.find('"', k);
        if (q == std::string_view::npos) return "unterminated quote";
        field.append(line.substr(k, q - k));
        if (q + 1 < n && line[q + 1] == '"') {
          field.push_back('"');
          k = q + 2;
          continue;
        }
        k = q + 1;
        break;
      }
      while (k < n && line[k] == ' ') ++k;
      if (k < n && line[k] != ',') return "text after a closing quote";
      fields->push_back(std::move(field));
      if (k >= n) return "";
      i = k + 1;
    } else {
      const size_t c = line.find(',', i);
      const size_t end = c == std::string_view::npos ? n : c;
      std::string_view f = line.substr(i, end - i);
      if (f.find('"') != std::string_view::npos) return "stray quote inside an unquoted field";
      fields->emplace_back(f);
      if (c == std::string_view::npos) return "";
      i = c + 1;
    }
  }
}

// Finite double, the whole (trimmed) text, optional leading '+'.
bool ParseDouble(std::string_view s, double* v) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  // from_chars also reads "inf" and "nan"; only digits, sign, '.', and exponents are numbers here.
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == 'e' || c == 'E' || c == '+')) {
      return false;
    }
  }
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size() && std::isfinite(*v);
}

bool ParseInt64(std::string_view s, int64_t* v) {
  s = Trim(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return ec == std::errc() && p == s.data() + s.size();
}

// Years the importers accept: beyond them int64 nanoseconds are near their limits.
constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2200;

bool YearInRange(std::string_view s) {
  if (s.size() < 4) return true;  // the real parser reports the shape error
  int y = 0;
  for (int i = 0; i < 4; ++i) {
    if (s[i] < '0' || s[i] > '9') return true;
    y = y * 10 + (s[i] - '0');
  }
  return y >= kMinYear && y < kMaxYear;
}

struct RowError {
  std::string field;
  std::string reason;
  std::string detail;
};

std::optional<RowError> ParseTimeField(std::string_view field, std::string_view text,
                                       UnixNanos* out) {
  text = Trim(text);
  if (text.empty()) return RowError{std::string(field), "empty field", "a time is required"};
  if (!YearInRange(text)) {
    return RowError{std::string(field), "bad time",
                    "year out of range " + std::to_string(kMinYear) + ".." +
                        std::to_string(kMaxYear - 1) + ": '" + std::string(text) + "'"};
  }
  Result<UnixNanos> t = ParseIsoUtc(text);
  if (!t.ok()) return RowError{std::string(field), "bad time", t.status().message()};
  *out = *t;
  return std::nullopt;
}

std::optional<RowError> ParseDateField(std::string_view field, std::string_view text,
                                       fx::Date* out) {
  text = Trim(text);
  if (text.empty()) return RowError{std::string(field), "empty field", "a date is required"};
  if (!YearInRange(text)) {
    return RowError{std::string(field), "bad date",
                    "year out of range: '" + std::string(text) + "'"};
  }
  Result<fx::Date> d = fx::Date::Parse(text);
  if (!d.ok()) return RowError{std::string(field), "bad date", d.status().message()};
  *out = *d;
  return std::nullopt;
}

std::optional<RowError> ParseNumberField(std::string_view field, std::string_view text,
                                         double* out) {
  if (Trim(text).empty())
    return RowError{std::string(field), "empty field", "a number is required"};
  if (!ParseDouble(text, out)) {
    return RowError{std::string(field), "bad number",
                    "not a finite number: '" + std::string(Trim(text)) + "'"};
  }
  return std::nullopt;
}

// Calendar values: plain decimals, optionally with a unit suffix as calendar sites print them:
// '%' (kept as is), K, M, B, T (x 1e3, 1e6, 1e9, 1e12; scaled exactly by the decimal exponent).
std::optional<RowError> ParseCalendarValue(std::string_view field, std::string_view text,
                                           std::optional<double>* out) {
  std::string_view s = Trim(text);
  out->reset();
  if (s.empty()) return std::nullopt;
  auto bad = [&] {
    return RowError{std::string(field), "bad number",
                    "expected a decimal number with an optional %, K, M, B or T suffix: '" +
                        std::string(s) + "'"};
  };
  int exp10 = 0;
  const char last = s.back();
  if (last == '%') {
    s.remove_suffix(1);
  } else if (last == 'K' || last == 'k') {
    exp10 = 3;
    s.remove_suffix(1);
  } else if (last == 'M') {
    exp10 = 6;
    s.remove_suffix(1);
  } else if (last == 'B') {
    exp10 = 9;
    s.remove_suffix(1);
  } else if (last == 'T') {
    exp10 = 12;
    s.remove_suffix(1);
  }
  s = Trim(s);
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  int digits = 0, dots = 0;
  for (size_t k = i; k < s.size(); ++k) {
    if (s[k] >= '0' && s[k] <= '9') {
      ++digits;
    } else if (s[k] == '.') {
      ++dots;
    } else {
      return bad();
    }
  }
  if (digits == 0 || dots > 1 || digits > 30) return bad();
  std::string num(s[0] == '+' ? s.substr(1) : s);
  if (exp10 != 0) num += "e" + std::to_string(exp10);
  double v;
  if (!ParseDouble(num, &v)) return bad();
  *out = v == 0 ? 0.0 : v;  // never -0
  return std::nullopt;
}

std::optional<RowError> ParseTextField(std::string_view field, std::string_view text,
                                       size_t max_len, std::string* out) {
  std::string_view s = Trim(text);
  if (s.empty()) return RowError{std::string(field), "empty field", "a value is required"};
  if (s.size() > max_len) {
    return RowError{std::string(field), "too long",
                    std::to_string(s.size()) + " bytes (at most " + std::to_string(max_len) + ")"};
  }
  if (HasControl(s)) return RowError{std::string(field), "bad text", "control characters"};
  *out = std::string(s);
  return std::nullopt;
}

std::optional<RowError> ParseCurrencyField(std::string_view field, std::string_view text,
                                           std::string* out) {
  const std::string c = Upper(Trim(text));
  bool ok = c.size() == 3;
  for (char ch : c) ok = ok && ch >= 'A' && ch <= 'Z';
  if (!ok) {
    return RowError{std::string(field), "bad currency",
                    "expected a 3-letter ISO code, got '" + std::string(Trim(text)) + "'"};
  }
  *out = c;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// The row driver shared by the input parsers: content checks, line splitting, quarantine/strict.

class RowReader {
 public:
  RowReader(std::string_view file, std::string_view content, bool strict, Quarantine* q,
            ExternalParseStats* stats)
      : file_(file), content_(content), strict_(strict), q_(q), stats_(stats) {}

  // Checks that the content is text at all and skips a UTF-8 byte-order mark.
  Status Start(std::string_view expected_header) {
    if (content_.size() >= 2 && static_cast<unsigned char>(content_[0]) == 0xff &&
        static_cast<unsigned char>(content_[1]) == 0xfe) {
      return ParseError(file_, 1, "", "UTF-16 text; save the file as UTF-8");
    }
    if (content_.size() >= 3 && content_.substr(0, 3) == "\xEF\xBB\xBF") content_.remove_prefix(3);
    if (Trim(content_).find_first_not_of("\r\n") == std::string_view::npos) {
      return ParseError(
          file_, 0, "",
          "empty file (expected a header line: " + std::string(expected_header) + ")");
    }
    if (content_.size() >= 2 && content_[0] == '\x1f' &&
        static_cast<unsigned char>(content_[1]) == 0x8b) {
      return ParseError(file_, 0, "", "gzip-compressed data; decompress it first");
    }
    if (content_.size() >= 2 && content_[0] == 'P' && content_[1] == 'K') {
      return ParseError(file_, 0, "", "a ZIP archive; extract the text file from it first");
    }
    const size_t nul = content_.find('\0');
    if (nul != std::string_view::npos) {
      const uint64_t line = 1 + std::count(content_.begin(), content_.begin() + nul, '\n');
      return ParseError(file_, line, "", "binary data (NUL byte): not a CSV text file");
    }
    return Status::Ok();
  }

  // The next non-blank line split into fields. Lines that cannot be split are quarantined (or,
  // strict, returned as the error) and skipped; for the header they are always an error.
  Status Next(bool* has, bool header = false) {
    while (pos_ < content_.size()) {
      const size_t nl = content_.find('\n', pos_);
      const size_t end = nl == std::string_view::npos ? content_.size() : nl;
      raw_ = content_.substr(pos_, end - pos_);
      if (!raw_.empty() && raw_.back() == '\r') raw_.remove_suffix(1);
      pos_ = nl == std::string_view::npos ? content_.size() : nl + 1;
      ++line_;
      if (Trim(raw_).empty()) continue;
      std::string err;
      if (raw_.size() > kMaxLineBytes) {
        err = "line too long (" + std::to_string(raw_.size()) + " bytes, at most " +
              std::to_string(kMaxLineBytes) + ")";
      } else if (HasControlExceptTab(raw_)) {
        err = "control characters in the line";
      } else {
        err = SplitCsv(raw_, &fields_);
      }
      if (err.empty()) {
        *has = true;
        return Status::Ok();
      }
      if (header) return ParseError(file_, line_, "", "header: " + err);
      ++stats_->rows;
      ARUS_RETURN_IF_ERROR(Bad(RowError{"", "malformed line", err}));
    }
    *has = false;
    return Status::Ok();
  }

  // The header line; a file without any non-blank line is empty.
  Status Header(std::string_view expected) {
    bool has = false;
    ARUS_RETURN_IF_ERROR(Next(&has, /*header=*/true));
    if (!has) {
      return ParseError(file_, 0, "",
                        "empty file (expected a header line: " + std::string(expected) + ")");
    }
    return Status::Ok();
  }

  // A bad data row: an error when strict, else quarantined and counted.
  Status Bad(const RowError& e) {
    ++stats_->quarantined;
    if (!first_bad_) first_bad_ = std::make_pair(line_, e);
    if (strict_) return ParseError(file_, line_, e.field, e.reason + ": " + e.detail);
    if (q_ != nullptr) q_->Add(file_, line_, e.field, e.reason, e.detail, raw_);
    return Status::Ok();
  }

  // Every data row bad: the file is not this format (or is wholly broken); say where it starts.
  Status Finish(std::string_view format) const {
    if (stats_->rows > 0 && stats_->quarantined == stats_->rows && first_bad_) {
      const RowError& e = first_bad_->second;
      return ParseError(file_, first_bad_->first, e.field,
                        "no valid row in this " + std::string(format) +
                            " file (first problem: " + e.reason + ": " + e.detail + ")");
    }
    return Status::Ok();
  }

  const std::vector<std::string>& fields() const { return fields_; }
  uint64_t line() const { return line_; }
  std::string_view file() const { return file_; }

 private:
  static bool HasControlExceptTab(std::string_view s) {
    for (unsigned char c : s) {
      if ((c < 0x20 && c != '\t') || c == 0x7f) return true;
    }
    return false;
  }

  std::string_view file_;
  std::string_view content_;
  bool strict_;
  Quarantine* q_;
  ExternalParseStats* stats_;
  size_t pos_ = 0;
  uint64_t line_ = 0;
  std::string_view raw_;
  std::vector<std::string> fields_;
  std::optional<std::pair<uint64_t, RowError>> first_bad_;
};

struct ColumnSpec {
  std::string_view name;
  std::vector<std::string_view> aliases;
  bool required;
};

// Header names -> index per spec (-1 when absent). Names compare trimmed and case-insensitively.
Result<std::vector<int>> MapHeader(std::string_view file, uint64_t line,
                                   const std::vector<std::string>& header,
                                   const std::vector<ColumnSpec>& specs, bool allow_unknown,
                                   std::string_view expected) {
  std::vector<int> idx(specs.size(), -1);
  for (size_t c = 0; c < header.size(); ++c) {
    const std::string_view h = Trim(header[c]);
    bool known = false;
    for (size_t s = 0; s < specs.size(); ++s) {
      bool match = EqualsIgnoreCase(h, specs[s].name);
      for (std::string_view a : specs[s].aliases) match = match || EqualsIgnoreCase(h, a);
      if (!match) continue;
      if (idx[s] >= 0) {
        return ParseError(file, line, h,
                          "duplicate column (header: " + std::string(expected) + ")");
      }
      idx[s] = static_cast<int>(c);
      known = true;
    }
    if (!known && !allow_unknown) {
      return ParseError(file, line, h,
                        "unknown column (expected header: " + std::string(expected) + ")");
    }
  }
  for (size_t s = 0; s < specs.size(); ++s) {
    if (specs[s].required && idx[s] < 0) {
      return ParseError(file, line, specs[s].name,
                        "missing column (expected header: " + std::string(expected) + ")");
    }
  }
  return idx;
}

std::optional<RowError> CheckFieldCount(const std::vector<std::string>& fields, size_t want) {
  if (fields.size() == want) return std::nullopt;
  return RowError{
      "", fields.size() < want ? "missing fields" : "extra fields",
      "expected " + std::to_string(want) + " fields, got " + std::to_string(fields.size())};
}

Status CheckOptions(const ExternalImportOptions& o) {
  constexpr Duration kYear = std::chrono::hours(24 * 366);
  if (o.schedule_lead.count() < 0 || o.schedule_lead > kYear) {
    return InvalidArgument("schedule lead must be between 0 and 366 days");
  }
  if (o.avail_delay.count() < 0 || o.avail_delay > kYear) {
    return InvalidArgument("availability delay must be between 0 and 366 days");
  }
  if (o.cot_release_weekday < 0 || o.cot_release_weekday > 6) {
    return InvalidArgument("COT release weekday must be 0 (Sunday) .. 6 (Saturday)");
  }
  if (o.cot_release_minute < 0 || o.cot_release_minute >= 24 * 60) {
    return InvalidArgument("COT release time must be 00:00 .. 23:59");
  }
  if (o.index_close_minute && (*o.index_close_minute < 0 || *o.index_close_minute >= 24 * 60)) {
    return InvalidArgument("index close time must be 00:00 .. 23:59");
  }
  return Status::Ok();
}

Result<std::shared_ptr<const fx::ZoneOffsets>> LoadZone(const std::string& zone) {
  Result<std::shared_ptr<const fx::ZoneOffsets>> z = fx::ZoneOffsets::Load(zone);
  if (!z.ok()) return InvalidArgument("unknown time zone '" + zone + "': " + z.status().message());
  return z;
}

// ---------------------------------------------------------------------------------------------
// Canonical store format.

constexpr std::string_view kCalendarCanonHeader =
    "ts_event,ts_avail,ts_schedule,revision,currency,event,impact,actual,forecast,previous,"
    "revised_previous";
constexpr std::string_view kCotCanonHeader =
    "ts_event,ts_avail,revision,currency,market,as_of,open_interest,noncomm_long,noncomm_short,"
    "comm_long,comm_short";
constexpr std::string_view kSentimentCanonHeader = "ts_event,ts_avail,source,target,score,weight";
constexpr std::string_view kIndexCanonHeader =
    "ts_event,ts_avail,revision,series,date,open,high,low,close,volume";
constexpr std::string_view kFooterPrefix = "#xxh64,";

void AppendOpt(std::string* out, const std::optional<double>& v) {
  if (v) AppendShortest(out, *v);
}
void AppendOpt(std::string* out, const std::optional<int64_t>& v) {
  if (v) *out += std::to_string(*v);
}

void FormatRow(const CalendarRecord& r, std::string* out) {
  *out += r.ts_event.ToIso();
  *out += ',';
  *out += r.ts_avail.ToIso();
  *out += ',';
  *out += r.ts_schedule.ToIso();
  *out += ',';
  *out += std::to_string(r.revision);
  *out += ',';
  AppendCsvField(out, r.currency);
  *out += ',';
  AppendCsvField(out, r.event);
  *out += ',';
  *out += ingest::EventImpactName(r.impact);
  *out += ',';
  AppendOpt(out, r.actual);
  *out += ',';
  AppendOpt(out, r.forecast);
  *out += ',';
  AppendOpt(out, r.previous);
  *out += ',';
  AppendOpt(out, r.revised_previous);
  *out += '\n';
}

void FormatRow(const CotRecord& r, std::string* out) {
  *out += r.ts_event.ToIso();
  *out += ',';
  *out += r.ts_avail.ToIso();
  *out += ',';
  *out += std::to_string(r.revision);
  *out += ',';
  AppendCsvField(out, r.currency);
  *out += ',';
  AppendCsvField(out, r.market);
  *out += ',';
  *out += r.as_of.ToString();
  *out += ',';
  AppendOpt(out, r.open_interest);
  *out += ',';
  *out += std::to_string(r.noncomm_long);
  *out += ',';
  *out += std::to_string(r.noncomm_short);
  *out += ',';
  AppendOpt(out, r.comm_long);
  *out += ',';
  AppendOpt(out, r.comm_short);
  *out += '\n';
}

void FormatRow(const SentimentRecord& r, std::string* out) {
  *out += r.ts_event.ToIso();
  *out += ',';
  *out += r.ts_avail.ToIso();
  *out += ',';
  AppendCsvField(out, r.source);
  *out += ',';
  AppendCsvField(out, r.target);
  *out += ',';
  AppendShortest(out, r.score);
  *out += ',';
  AppendShortest(out, r.weight);
  *out += '\n';
}

void FormatRow(const IndexRecord& r, std::string* out) {
  *out += r.ts_event.ToIso();
  *out += ',';
  *out += r.ts_avail.ToIso();
  *out += ',';
  *out += std::to_string(r.revision);
  *out += ',';
  AppendCsvField(out, r.series);
  *out += ',';
  *out += r.date.ToString();
  *out += ',';
  AppendShortest(out, r.open);
  *out += ',';
  AppendShortest(out, r.high);
  *out += ',';
  AppendShortest(out, r.low);
  *out += ',';
  AppendShortest(out, r.close);
  *out += ',';
  AppendOpt(out, r.volume);
  *out += '\n';
}

template <typename R>
std::string RowText(const R& r) {
  std::string s;
  FormatRow(r, &s);
  s.pop_back();
  return s;
}

template <typename R>
std::string FormatCanonical(std::string_view header, const std::vector<R>& records) {
  std::string out(header);
  out += '\n';
  for (const R& r : records) FormatRow(r, &out);
  char footer[64];
  std::snprintf(footer, sizeof footer, "%016llx,%zu\n",
                static_cast<unsigned long long>(XXH64(out.data(), out.size(), 0)), records.size());
  out += kFooterPrefix;
  out += footer;
  return out;
}

// Canonical-field readers: the store wrote them, so anything odd is corruption.
struct CanonRow {
  std::string_view file;
  uint64_t line;
  const std::vector<std::string>& f;

  Status Err(std::string_view field, std::string_view what) const {
    return Corruption(ParseError(file, line, field, what).message());
  }
  Status Time(size_t i, std::string_view name, UnixNanos* out) const {
    std::optional<RowError> e = ParseTimeField(name, f[i], out);
    return e ? Err(name, e->detail) : Status::Ok();
  }
  Status Date(size_t i, std::string_view name, fx::Date* out) const {
    std::optional<RowError> e = ParseDateField(name, f[i], out);
    return e ? Err(name, e->detail) : Status::Ok();
  }
  Status Num(size_t i, std::string_view name, double* out) const {
    return ParseDouble(f[i], out) ? Status::Ok() : Err(name, "bad number '" + f[i] + "'");
  }
  Status OptNum(size_t i, std::string_view name, std::optional<double>* out) const {
    out->reset();
    if (f[i].empty()) return Status::Ok();
    double v;
    ARUS_RETURN_IF_ERROR(Num(i, name, &v));
    *out = v;
    return Status::Ok();
  }
  Status Int(size_t i, std::string_view name, int64_t* out) const {
    return ParseInt64(f[i], out) ? Status::Ok() : Err(name, "bad integer '" + f[i] + "'");
  }
  Status OptInt(size_t i, std::string_view name, std::optional<int64_t>* out) const {
    out->reset();
    if (f[i].empty()) return Status::Ok();
    int64_t v;
    ARUS_RETURN_IF_ERROR(Int(i, name, &v));
    *out = v;
    return Status::Ok();
  }
  Status Rev(size_t i, int32_t* out) const {
    int64_t v;
    ARUS_RETURN_IF_ERROR(Int(i, "revision", &v));
    if (v < 0 || v > 1'000'000) return Err("revision", "out of range");
    *out = static_cast<int32_t>(v);
    return Status::Ok();
  }
  Status Text(size_t i, std::string_view name, std::string* out) const {
    if (f[i].empty() || HasControl(f[i])) return Err(name, "empty or bad text");
    *out = f[i];
    return Status::Ok();
  }
};

Status ReadCanonRow(const CanonRow& c, CalendarRecord* r) {
  ARUS_RETURN_IF_ERROR(c.Time(0, "ts_event", &r->ts_event));
  ARUS_RETURN_IF_ERROR(c.Time(1, "ts_avail", &r->ts_avail));
  ARUS_RETURN_IF_ERROR(c.Time(2, "ts_schedule", &r->ts_schedule));
  ARUS_RETURN_IF_ERROR(c.Rev(3, &r->revision));
  ARUS_RETURN_IF_ERROR(c.Text(4, "currency", &r->currency));
  ARUS_RETURN_IF_ERROR(c.Text(5, "event", &r->event));
  Result<EventImpact> impact = ingest::ParseEventImpact(c.f[6]);
  if (!impact.ok()) return c.Err("impact", impact.status().message());
  r->impact = *impact;
  ARUS_RETURN_IF_ERROR(c.OptNum(7, "actual", &r->actual));
  ARUS_RETURN_IF_ERROR(c.OptNum(8, "forecast", &r->forecast));
  ARUS_RETURN_IF_ERROR(c.OptNum(9, "previous", &r->previous));
  ARUS_RETURN_IF_ERROR(c.OptNum(10, "revised_previous", &r->revised_previous));
  if (r->ts_schedule > r->ts_avail || r->ts_event > r->ts_avail) {
    return c.Err("ts_avail", "before ts_event or ts_schedule");
  }
  return Status::Ok();
}

Status ReadCanonRow(const CanonRow& c, CotRecord* r) {
  ARUS_RETURN_IF_ERROR(c.Time(0, "ts_event", &r->ts_event));
  ARUS_RETURN_IF_ERROR(c.Time(1, "ts_avail", &r->ts_avail));
  ARUS_RETURN_IF_ERROR(c.Rev(2, &r->revision));
  ARUS_RETURN_IF_ERROR(c.Text(3, "currency", &r->currency));
  ARUS_RETURN_IF_ERROR(c.Text(4, "market", &r->market));
  ARUS_RETURN_IF_ERROR(c.Date(5, "as_of", &r->as_of));
  ARUS_RETURN_IF_ERROR(c.OptInt(6, "open_interest", &r->open_interest));
  ARUS_RETURN_IF_ERROR(c.Int(7, "noncomm_long", &r->noncomm_long));
  ARUS_RETURN_IF_ERROR(c.Int(8, "noncomm_short", &r->noncomm_short));
  ARUS_RETURN_IF_ERROR(c.OptInt(9, "comm_long", &r->comm_long));
  ARUS_RETURN_IF_ERROR(c.OptInt(10, "comm_short", &r->comm_short));
  if (r->ts_event > r->ts_avail) return c.Err("ts_avail", "before ts_event");
  return Status::Ok();
}

Status ReadCanonRow(const CanonRow& c, SentimentRecord* r) {
  ARUS_RETURN_IF_ERROR(c.Time(0, "ts_event", &r->ts_event));
  ARUS_RETURN_IF_ERROR(c.Time(1, "ts_avail", &r->ts_avail));
  ARUS_RETURN_IF_ERROR(c.Text(2, "source", &r->source));
  ARUS_RETURN_IF_ERROR(c.Text(3, "target", &r->target));
  ARUS_RETURN_IF_ERROR(c.Num(4, "score", &r->score));
  ARUS_RETURN_IF_ERROR(c.Num(5, "weight", &r->weight));
  if (r->ts_event > r->ts_avail) return c.Err("ts_avail", "before ts_event");
  if (!(r->score >= -1 && r->score <= 1)) return c.Err("score", "outside [-1, 1]");
  if (!(r->weight > 0)) return c.Err("weight", "not > 0");
  return Status::Ok();
}

Status ReadCanonRow(const CanonRow& c, IndexRecord* r) {
  ARUS_RETURN_IF_ERROR(c.Time(0, "ts_event", &r->ts_event));
  ARUS_RETURN_IF_ERROR(c.Time(1, "ts_avail", &r->ts_avail));
  ARUS_RETURN_IF_ERROR(c.Rev(2, &r->revision));
  ARUS_RETURN_IF_ERROR(c.Text(3, "series", &r->series));
  ARUS_RETURN_IF_ERROR(c.Date(4, "date", &r->date));
  ARUS_RETURN_IF_ERROR(c.Num(5, "open", &r->open));
  ARUS_RETURN_IF_ERROR(c.Num(6, "high", &r->high));
  ARUS_RETURN_IF_ERROR(c.Num(7, "low", &r->low));
  ARUS_RETURN_IF_ERROR(c.Num(8, "close", &r->close));
  ARUS_RETURN_IF_ERROR(c.OptNum(9, "volume", &r->volume));
  if (r->ts_event > r->ts_avail) return c.Err("ts_avail", "before ts_event");
  return Status::Ok();
}

template <typename R>
Result<std::vector<R>> ParseCanonical(std::string_view header, std::string_view file,
                                      std::string_view content) {
  auto corrupt = [&](uint64_t line, std::string_view what) {
    return Corruption(ParseError(file, line, "", what).message());
  };
  // Footer: the last line, "#xxh64,<16 hex>,<records>", over every byte before it.
  if (content.empty() || content.back() != '\n') return corrupt(0, "truncated (no final newline)");
  const size_t start = content.rfind('\n', content.size() - 2);
  const size_t footer_at = start == std::string_view::npos ? 0 : start + 1;
  std::string_view footer = content.substr(footer_at, content.size() - 1 - footer_at);
  const uint64_t lines_total = std::count(content.begin(), content.end(), '\n');
  if (footer.substr(0, kFooterPrefix.size()) != kFooterPrefix) {
    return corrupt(lines_total, "truncated (no checksum footer)");
  }
  std::string_view rest = footer.substr(kFooterPrefix.size());
  const size_t comma = rest.find(',');
  uint64_t want_hash = 0;
  int64_t want_count = -1;
  if (comma != 16 ||
      std::from_chars(rest.data(), rest.data() + 16, want_hash, 16).ptr != rest.data() + 16 ||
      !ParseInt64(rest.substr(17), &want_count) || want_count < 0) {
    return corrupt(lines_total, "malformed checksum footer");
  }
  std::string_view body = content.substr(0, footer_at);
  if (XXH64(body.data(), body.size(), 0) != want_hash) {
    return corrupt(lines_total, "checksum mismatch (the file was modified or damaged)");
  }
  std::vector<R> out;
  std::vector<std::string> fields;
  uint64_t line = 0;
  size_t pos = 0;
  const size_t ncols = static_cast<size_t>(std::count(header.begin(), header.end(), ',')) + 1;
  while (pos < body.size()) {
    const size_t nl = body.find('\n', pos);
    std::string_view l = body.substr(pos, nl - pos);
    pos = nl + 1;
    ++line;
    if (line == 1) {
      if (l != header) return corrupt(1, "unexpected header (want '" + std::string(header) + "')");
      continue;
    }
    const std::string err = SplitCsv(l, &fields);
    if (!err.empty()) return corrupt(line, err);
    if (fields.size() != ncols) return corrupt(line, "wrong field count");
    R r;
    ARUS_RETURN_IF_ERROR(ReadCanonRow(CanonRow{file, line, fields}, &r));
    r.line = line;
    out.push_back(std::move(r));
  }
  if (line == 0) return corrupt(1, "missing header");
  if (static_cast<int64_t>(out.size()) != want_count) {
    return corrupt(lines_total, "record count differs from the footer");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Per-kind traits for merging: identity key, values equality, fill-in, file name, order.

std::string TimeKey(UnixNanos t) { return std::to_string(t.ns()); }

// How an incoming record relates to the stored version of the same key.
enum class Relation {
  kCovered,   // everything it says, the stored record says too (it may lack values)
  kFills,     // it agrees and adds values the stored record lacks
  kConflict,  // it contradicts a stored value: a revision
};

// Optional fields: both present and different is a conflict; only `in` present adds a value.
template <typename T>
void OptRelate(const std::optional<T>& stored, const std::optional<T>& in, bool* conflict,
               bool* adds) {
  if (stored && in && *stored != *in) *conflict = true;
  if (!stored && in) *adds = true;
}

template <typename T>
void OptFill(std::optional<T>* stored, const std::optional<T>& in) {
  if (!*stored) *stored = in;
}

Relation Relate(bool conflict, bool adds) {
  return conflict ? Relation::kConflict : adds ? Relation::kFills : Relation::kCovered;
}

struct CalendarTraits {
  using R = CalendarRecord;
  static constexpr ExternalKind kKind = ExternalKind::kCalendar;
  static constexpr std::string_view kHeader = kCalendarCanonHeader;
  static std::vector<R>& Vec(ExternalRecords& e) { return e.calendar; }
  static const std::string& Name(const R& r) { return r.currency; }
  static std::string Key(const R& r) { return r.event + '\x1f' + TimeKey(r.ts_event); }
  static bool Same(const R& a, const R& b) {
    return a.impact == b.impact && a.actual == b.actual && a.forecast == b.forecast &&
           a.previous == b.previous && a.revised_previous == b.revised_previous;
  }
  static Relation Compare(const R& stored, const R& in) {
    bool conflict = stored.impact != in.impact, adds = false;
    OptRelate(stored.actual, in.actual, &conflict, &adds);
    OptRelate(stored.forecast, in.forecast, &conflict, &adds);
    OptRelate(stored.previous, in.previous, &conflict, &adds);
    OptRelate(stored.revised_previous, in.revised_previous, &conflict, &adds);
    return Relate(conflict, adds);
  }
  static void Fill(R* stored, const R& in) {
    OptFill(&stored->actual, in.actual);
    OptFill(&stored->forecast, in.forecast);
    OptFill(&stored->previous, in.previous);
    OptFill(&stored->revised_previous, in.revised_previous);
  }
  static void MakeRevision(R* r, UnixNanos at) {
    r->ts_avail = std::max(r->ts_avail, at);
    r->ts_schedule = std::max(r->ts_schedule, at);
  }
  static bool Less(const R& a, const R& b) {
    return std::tie(a.ts_event, a.event, a.revision) < std::tie(b.ts_event, b.event, b.revision);
  }
  static bool HasRevision() { return true; }
};

struct CotTraits {
  using R = CotRecord;
  static constexpr ExternalKind kKind = ExternalKind::kCot;
  static constexpr std::string_view kHeader = kCotCanonHeader;
  static std::vector<R>& Vec(ExternalRecords& e) { return e.cot; }
  static const std::string& Name(const R& r) { return r.currency; }
  static std::string Key(const R& r) { return std::to_string(r.as_of.days); }
  static bool Same(const R& a, const R& b) {
    return a.market == b.market && a.noncomm_long == b.noncomm_long &&
           a.noncomm_short == b.noncomm_short && a.open_interest == b.open_interest &&
           a.comm_long == b.comm_long && a.comm_short == b.comm_short;
  }
  static Relation Compare(const R& stored, const R& in) {
    bool conflict = stored.market != in.market || stored.noncomm_long != in.noncomm_long ||
                    stored.noncomm_short != in.noncomm_short;
    bool adds = false;
    OptRelate(stored.open_interest, in.open_interest, &conflict, &adds);
    OptRelate(stored.comm_long, in.comm_long, &conflict, &adds);
    OptRelate(stored.comm_short, in.comm_short, &conflict, &adds);
    return Relate(conflict, adds);
  }
  static void Fill(R* stored, const R& in) {
    OptFill(&stored->open_interest, in.open_interest);
    OptFill(&stored->comm_long, in.comm_long);
    OptFill(&stored->comm_short, in.comm_short);
  }
  static void MakeRevision(R* r, UnixNanos at) { r->ts_avail = std::max(r->ts_avail, at); }
  static bool Less(const R& a, const R& b) {
    return std::tie(a.as_of, a.revision) < std::tie(b.as_of, b.revision);
  }
  static bool HasRevision() { return true; }
};

struct SentimentTraits {
  using R = SentimentRecord;
  static constexpr ExternalKind kKind = ExternalKind::kSentiment;
  static constexpr std::string_view kHeader = kSentimentCanonHeader;
  static std::vector<R>& Vec(ExternalRecords& e) { return e.sentiment; }
  static const std::string& Name(const R& r) { return r.target; }
  // Items have no identity beyond their content: equal content is the same item (ts_avail is
  // left out so re-importing with another latency adds nothing).
  static std::string Key(const R& r) {
    std::string k = TimeKey(r.ts_event);
    k += '\x1f';
    k += r.source;
    k += '\x1f';
    AppendShortest(&k, r.score);
    k += '\x1f';
    AppendShortest(&k, r.weight);
    return k;
  }
  static bool Same(const R& a, const R& b) { return Key(a) == Key(b); }
  static Relation Compare(const R& stored, const R& in) {
    return Same(stored, in) ? Relation::kCovered : Relation::kConflict;
  }
  static void Fill(R*, const R&) {}
  static void MakeRevision(R*, UnixNanos) {}
  static bool Less(const R& a, const R& b) {
    return std::tie(a.ts_event, a.ts_avail, a.source, a.score, a.weight) <
           std::tie(b.ts_event, b.ts_avail, b.source, b.score, b.weight);
  }
  static bool HasRevision() { return false; }
};

struct IndexTraits {
  using R = IndexRecord;
  static constexpr ExternalKind kKind = ExternalKind::kIndex;
  static constexpr std::string_view kHeader = kIndexCanonHeader;
  static std::vector<R>& Vec(ExternalRecords& e) { return e.index; }
  static const std::string& Name(const R& r) { return r.series; }
  static std::string Key(const R& r) { return std::to_string(r.date.days); }
  static bool Same(const R& a, const R& b) {
    return a.open == b.open && a.high == b.high && a.low == b.low && a.close == b.close &&
           a.volume == b.volume;
  }
  static Relation Compare(const R& stored, const R& in) {
    bool conflict = stored.open != in.open || stored.high != in.high || stored.low != in.low ||
                    stored.close != in.close;
    bool adds = false;
    OptRelate(stored.volume, in.volume, &conflict, &adds);
    return Relate(conflict, adds);
  }
  static void Fill(R* stored, const R& in) { OptFill(&stored->volume, in.volume); }
  static void MakeRevision(R* r, UnixNanos at) { r->ts_avail = std::max(r->ts_avail, at); }
  static bool Less(const R& a, const R& b) {
    return std::tie(a.date, a.revision) < std::tie(b.date, b.revision);
  }
  static bool HasRevision() { return true; }
};

int32_t RevisionOf(const CalendarRecord& r) { return r.revision; }
int32_t RevisionOf(const CotRecord& r) { return r.revision; }
int32_t RevisionOf(const IndexRecord& r) { return r.revision; }
int32_t RevisionOf(const SentimentRecord&) { return 0; }
void SetRevision(CalendarRecord* r, int32_t v) { r->revision = v; }
void SetRevision(CotRecord* r, int32_t v) { r->revision = v; }
void SetRevision(IndexRecord* r, int32_t v) { r->revision = v; }
void SetRevision(SentimentRecord*, int32_t) {}

template <typename Traits>
Result<std::vector<typename Traits::R>> LoadFile(const std::string& path) {
  Result<std::string> content = ReadFile(path);
  if (!content.ok()) return content.status();
  return ParseCanonical<typename Traits::R>(Traits::kHeader, path, *content);
}

// Merges the records of one name into its file.
template <typename Traits>
Status MergeName(const ExternalStore& store, const std::string& name,
                 std::vector<typename Traits::R> incoming, const ExternalMergeOptions& opt,
                 Quarantine* q, std::string_view input_file, ExternalMergeStats* st) {
  using R = typename Traits::R;
  const std::string path = store.PathOf(Traits::kKind, name);
  std::vector<R> recs;
  {
    Result<std::vector<R>> loaded = LoadFile<Traits>(path);
    if (loaded.ok()) {
      recs = std::move(*loaded);
    } else if (loaded.status().code() != StatusCode::kNotFound) {
      return loaded.status();
    }
  }
  std::unordered_map<std::string, std::vector<size_t>> by_key;
  for (size_t i = 0; i < recs.size(); ++i) by_key[Traits::Key(recs[i])].push_back(i);
  std::set<std::string> seen_in_input;
  bool changed = false;
  for (R& x : incoming) {
    ++st->incoming;
    const std::string key = Traits::Key(x);
    std::vector<size_t>& idxs = by_key[key];
    bool same = false;
    for (size_t i : idxs) same = same || Traits::Same(recs[i], x);
    if (same) {
      ++st->already_stored;
      continue;
    }
    auto reject = [&](std::string_view reason, std::string detail) -> Status {
      if (opt.strict) {
        return ParseError(input_file, x.line, "", std::string(reason) + ": " + detail);
      }
      ++st->rejected;
      if (q != nullptr) q->Add(input_file, x.line, "", reason, detail, RowText(x));
      return Status::Ok();
    };
    if (seen_in_input.count(key) != 0) {
      ARUS_RETURN_IF_ERROR(reject("conflicting duplicate",
                                  "an earlier row of this input has the same key with other "
                                  "values"));
      continue;
    }
    seen_in_input.insert(key);
    if (!idxs.empty()) {
      size_t latest = idxs.front();
      for (size_t i : idxs) {
        if (RevisionOf(recs[i]) > RevisionOf(recs[latest])) latest = i;
      }
      const Relation rel = Traits::Compare(recs[latest], x);
      if (rel == Relation::kCovered) {  // an older, less complete copy (e.g. before a release)
        ++st->already_stored;
        continue;
      }
      if (rel == Relation::kFills) {
        Traits::Fill(&recs[latest], x);
        ++st->filled;
        changed = true;
        continue;
      }
      if (!opt.revision_time) {
        ARUS_RETURN_IF_ERROR(reject("conflicts with stored record",
                                    "stored revision " + std::to_string(RevisionOf(recs[latest])) +
                                        " is '" + RowText(recs[latest]) +
                                        "' (give a revision time to store it as a revision)"));
        continue;
      }
      SetRevision(&x, RevisionOf(recs[latest]) + 1);
      Traits::MakeRevision(&x, *opt.revision_time);
      ++st->revisions;
    }
    ++st->stored;
    changed = true;
    idxs.push_back(recs.size());
    recs.push_back(std::move(x));
  }
  if (!changed) return Status::Ok();
  std::stable_sort(recs.begin(), recs.end(), Traits::Less);
  ARUS_RETURN_IF_ERROR(WriteFileAtomic(path, FormatCanonical(Traits::kHeader, recs)));
  st->files_written.push_back(path);
  return Status::Ok();
}

template <typename Traits>
Status MergeKind(const ExternalStore& store, ExternalRecords& in, const ExternalMergeOptions& opt,
                 Quarantine* q, std::string_view input_file, ExternalMergeStats* st) {
  std::map<std::string, std::vector<typename Traits::R>> groups;
  for (auto& r : Traits::Vec(in)) {
    const std::string name = Traits::Name(r);
    groups[name].push_back(std::move(r));
  }
  for (auto& [name, recs] : groups) {
    Result<std::string> checked = NormalizeExternalName(name);
    if (!checked.ok() || *checked != name) {
      return InvalidArgument("bad " + std::string(ExternalKindName(Traits::kKind)) + " name '" +
                             name + "'");
    }
    ARUS_RETURN_IF_ERROR(MergeName<Traits>(store, name, std::move(recs), opt, q, input_file, st));
  }
  return Status::Ok();
}

template <typename Traits>
Status LoadKind(const ExternalStore& store, std::span<const std::string> names, bool skip_missing,
                ExternalRecords* out) {
  std::vector<std::string> all;
  if (names.empty()) {
    ARUS_ASSIGN_OR_RETURN(all, store.Names(Traits::kKind));
    names = all;
  }
  for (const std::string& n : names) {
    ARUS_ASSIGN_OR_RETURN(std::string name, NormalizeExternalName(n));
    Result<std::vector<typename Traits::R>> recs =
        LoadFile<Traits>(store.PathOf(Traits::kKind, name));
    if (!recs.ok()) {
      if (recs.status().code() == StatusCode::kNotFound) {
        if (skip_missing) continue;
        return NotFound("no " + std::string(ExternalKindName(Traits::kKind)) + " data named '" +
                        name + "' in the store (" + store.PathOf(Traits::kKind, name) + ")");
      }
      return recs.status();
    }
    auto& v = Traits::Vec(*out);
    v.insert(v.end(), std::make_move_iterator(recs->begin()), std::make_move_iterator(recs->end()));
  }
  return Status::Ok();
}

const std::map<std::string, std::string>& BuiltinCotMarkets() {
  static const auto* m = new std::map<std::string, std::string>{
      {"EURO FX - CHICAGO MERCANTILE EXCHANGE", "EUR"},
      {"JAPANESE YEN - CHICAGO MERCANTILE EXCHANGE", "JPY"},
      {"BRITISH POUND - CHICAGO MERCANTILE EXCHANGE", "GBP"},
      {"BRITISH POUND STERLING - CHICAGO MERCANTILE EXCHANGE", "GBP"},
      {"SWISS FRANC - CHICAGO MERCANTILE EXCHANGE", "CHF"},
      {"CANADIAN DOLLAR - CHICAGO MERCANTILE EXCHANGE", "CAD"},
      {"AUSTRALIAN DOLLAR - CHICAGO MERCANTILE EXCHANGE", "AUD"},
      {"NZ DOLLAR - CHICAGO MERCANTILE EXCHANGE", "NZD"},
      {"NEW ZEALAND DOLLAR - CHICAGO MERCANTILE EXCHANGE", "NZD"},
      {"MEXICAN PESO - CHICAGO MERCANTILE EXCHANGE", "MXN"},
      {"U.S. DOLLAR INDEX - ICE FUTURES U.S.", "USD"},
      {"USD INDEX - ICE FUTURES U.S.", "USD"},
  };
  return *m;
}

}  // namespace

// -----------------------------------------------------------------------------------------------
// Public helpers.

std::string_view ExternalKindName(ExternalKind kind) {
  switch (kind) {
    case ExternalKind::kCalendar:
      return "calendar";
    case ExternalKind::kCot:
      return "cot";
    case ExternalKind::kSentiment:
      return "sentiment";
    case ExternalKind::kIndex:
      return "index";
  }
  return "?";
}

Result<ExternalKind> ParseExternalKind(std::string_view text) {
  for (ExternalKind k : kAllExternalKinds) {
    if (EqualsIgnoreCase(text, ExternalKindName(k))) return k;
  }
  return InvalidArgument("unknown external data kind '" + std::string(text) +
                         "' (expected calendar, cot, sentiment or index)");
}

int IndexDefaultCloseMinute(std::string_view series) {
  const std::string s = Upper(series);
  if (s == "SPX" || s == "NDX" || s == "DJI" || s == "SPX500" || s == "US500" || s == "RUT") {
    return 16 * 60;
  }
  if (s == "VIX") return 16 * 60 + 15;
  if (s == "WTI" || s == "BRENT" || s == "CL") return 14 * 60 + 30;
  return 17 * 60;
}

std::optional<std::string> CotMarketCurrency(std::string_view market,
                                             const std::map<std::string, std::string>& extra) {
  const std::string m = Upper(CollapseSpaces(market));
  for (const auto& [name, ccy] : extra) {
    if (Upper(CollapseSpaces(name)) == m) return ccy;
  }
  const auto& builtin = BuiltinCotMarkets();
  auto it = builtin.find(m);
  if (it != builtin.end()) return it->second;
  return std::nullopt;
}

Result<std::string> NormalizeExternalName(std::string_view name) {
  std::string out;
  for (char c : Trim(name)) {
    if (c == '/') continue;
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) {
      return InvalidArgument("bad name '" + std::string(name) +
                             "': use letters, digits, '_' or '-' (e.g. DXY, EURUSD, EUR)");
    }
    out += c;
  }
  if (out.empty() || out.size() > 32) {
    return InvalidArgument("bad name '" + std::string(name) + "': 1 to 32 characters");
  }
  return out;
}

// -----------------------------------------------------------------------------------------------
// Input parsers.

Result<std::vector<CalendarRecord>> ParseCalendarCsv(std::string_view file,
                                                     std::string_view content,
                                                     const ExternalImportOptions& options,
                                                     Quarantine* quarantine,
                                                     ExternalParseStats* stats) {
  ARUS_RETURN_IF_ERROR(CheckOptions(options));
  ExternalParseStats local;
  if (stats == nullptr) stats = &local;
  constexpr std::string_view kExpected =
      "time,currency,event,impact,actual,forecast,previous[,revised_previous]";
  RowReader rd(file, content, options.strict, quarantine, stats);
  ARUS_RETURN_IF_ERROR(rd.Start(kExpected));
  bool has = false;
  ARUS_RETURN_IF_ERROR(rd.Header(kExpected));
  const std::vector<ColumnSpec> specs = {
      {"time", {}, true},     {"currency", {}, true},
      {"event", {}, true},    {"impact", {}, true},
      {"actual", {}, true},   {"forecast", {}, true},
      {"previous", {}, true}, {"revised_previous", {"revised"}, false}};
  ARUS_ASSIGN_OR_RETURN(std::vector<int> col,
                        MapHeader(file, rd.line(), rd.fields(), specs, false, kExpected));
  const size_t ncols = rd.fields().size();
  std::vector<CalendarRecord> out;
  while (true) {
    ARUS_RETURN_IF_ERROR(rd.Next(&has));
    if (!has) break;
    ++stats->rows;
    const std::vector<std::string>& f = rd.fields();
    CalendarRecord r;
    std::optional<RowError> e = CheckFieldCount(f, ncols);
    if (!e) e = ParseTimeField("time", f[col[0]], &r.ts_event);
    if (!e) e = ParseCurrencyField("currency", f[col[1]], &r.currency);
    if (!e) e = ParseTextField("event", f[col[2]], kMaxEventName, &r.event);
    if (!e) {
      Result<EventImpact> impact = ingest::ParseEventImpact(Lower(Trim(f[col[3]])));
      if (impact.ok()) {
        r.impact = *impact;
      } else {
        e = RowError{"impact", "bad impact", impact.status().message()};
      }
    }
    if (!e) e = ParseCalendarValue("actual", f[col[4]], &r.actual);
    if (!e) e = ParseCalendarValue("forecast", f[col[5]], &r.forecast);
    if (!e) e = ParseCalendarValue("previous", f[col[6]], &r.previous);
    if (!e && col[7] >= 0)
      e = ParseCalendarValue("revised_previous", f[col[7]], &r.revised_previous);
    if (e) {
      ARUS_RETURN_IF_ERROR(rd.Bad(*e));
      continue;
    }
    r.ts_avail = r.ts_event;
    r.ts_schedule = r.ts_event - options.schedule_lead;
    r.line = rd.line();
    out.push_back(std::move(r));
    ++stats->accepted;
  }
  ARUS_RETURN_IF_ERROR(rd.Finish("economic calendar"));
  return out;
}

Result<std::vector<CotRecord>> ParseCotCsv(std::string_view file, std::string_view content,
                                           const ExternalImportOptions& options,
                                           Quarantine* quarantine, ExternalParseStats* stats) {
  ARUS_RETURN_IF_ERROR(CheckOptions(options));
  ARUS_ASSIGN_OR_RETURN(auto zone, LoadZone(options.zone));
  ExternalParseStats local;
  if (stats == nullptr) stats = &local;
  constexpr std::string_view kExpected =
      "the CFTC Legacy header: \"Market and Exchange Names\",\"As of Date in Form YYMMDD\","
      "\"As of Date in Form YYYY-MM-DD\",...,\"Noncommercial Positions-Long (All)\","
      "\"Noncommercial Positions-Short (All)\",...";
  RowReader rd(file, content, options.strict, quarantine, stats);
  ARUS_RETURN_IF_ERROR(rd.Start(kExpected));
  bool has = false;
  ARUS_RETURN_IF_ERROR(rd.Header(kExpected));
  enum { kMarket, kYymmdd, kDate, kOi, kNcLong, kNcShort, kCLong, kCShort, kCols };
  const std::vector<ColumnSpec> specs = {
      {"Market and Exchange Names", {"Market_and_Exchange_Names"}, true},
      {"As of Date in Form YYMMDD", {"As_of_Date_In_Form_YYMMDD"}, false},
      {"As of Date in Form YYYY-MM-DD", {"Report_Date_as_YYYY-MM-DD"}, false},
      {"Open Interest (All)", {"Open_Interest_All"}, false},
      {"Noncommercial Positions-Long (All)", {"NonComm_Positions_Long_All"}, true},
      {"Noncommercial Positions-Short (All)", {"NonComm_Positions_Short_All"}, true},
      {"Commercial Positions-Long (All)", {"Comm_Positions_Long_All"}, false},
      {"Commercial Positions-Short (All)", {"Comm_Positions_Short_All"}, false}};
  std::vector<int> col;
  size_t ncols = 0;
  bool positional = false;
  if (EqualsIgnoreCase(Trim(rd.fields()[0]), specs[0].name) ||
      EqualsIgnoreCase(Trim(rd.fields()[0]), specs[0].aliases[0])) {
    Result<std::vector<int>> mapped =
        MapHeader(file, rd.line(), rd.fields(), specs, true, kExpected);
    if (!mapped.ok()) {
      return Status(mapped.status().code(), mapped.status().message() +
                                                " (is this the Legacy report? Disaggregated and "
                                                "TFF reports have no Noncommercial columns)");
    }
    col = *mapped;
    if (col[kYymmdd] < 0 && col[kDate] < 0) {
      return ParseError(file, rd.line(), "As of Date in Form YYYY-MM-DD",
                        "missing column (no as-of date column)");
    }
    ncols = rd.fields().size();
  } else if (rd.fields().size() >= 13) {
    // The CFTC's files without a header (the current week's deacot.txt): Legacy column order.
    positional = true;
    col = {0, 1, 2, 7, 8, 9, 11, 12};
    ncols = rd.fields().size();
  } else {
    return ParseError(file, rd.line(), "",
                      "not a CFTC Legacy COT file: the first line is neither the header nor a "
                      "Legacy data row (expected " +
                          std::string(kExpected) + ")");
  }
  std::vector<CotRecord> out;
  bool first = positional;  // the positional first line is already data
  while (true) {
    if (!first) {
      ARUS_RETURN_IF_ERROR(rd.Next(&has));
      if (!has) break;
    }
    first = false;
    ++stats->rows;
    const std::vector<std::string>& f = rd.fields();
    CotRecord r;
    std::optional<RowError> e = CheckFieldCount(f, ncols);
    if (e) {
      ARUS_RETURN_IF_ERROR(rd.Bad(*e));
      continue;
    }
    r.market = CollapseSpaces(f[col[kMarket]]);
    std::optional<std::string> ccy = CotMarketCurrency(r.market, options.cot_markets);
    if (!ccy) {
      if (r.market.empty() || HasControl(r.market)) {
        ARUS_RETURN_IF_ERROR(
            rd.Bad(RowError{std::string(specs[kMarket].name), "empty field", "no market name"}));
      } else {
        ++stats->skipped;  // not a currency future: valid, not wanted
      }
      continue;
    }
    r.currency = *ccy;
    std::optional<fx::Date> d_iso, d_short;
    if (col[kDate] >= 0) {
      fx::Date d;
      e = ParseDateField(specs[kDate].name, f[col[kDate]], &d);
      if (!e) d_iso = d;
    }
    if (!e && col[kYymmdd] >= 0) {
      const std::string_view s = Trim(f[col[kYymmdd]]);
      bool ok = s.size() == 6;
      for (char c : s) ok = ok && c >= '0' && c <= '9';
      unsigned yy = 0, mm = 0, dd = 0;
      if (ok) {
        yy = (s[0] - '0') * 10 + (s[1] - '0');
        mm = (s[2] - '0') * 10 + (s[3] - '0');
        dd = (s[4] - '0') * 10 + (s[5] - '0');
        char iso[16];
        std::snprintf(iso, sizeof iso, "%04u-%02u-%02u", yy >= 70 ? 1900 + yy : 2000 + yy, mm, dd);
        Result<fx::Date> d = fx::Date::Parse(iso);
        ok = d.ok();
        if (ok) d_short = *d;
      }
      if (!ok) {
        e = RowError{std::string(specs[kYymmdd].name), "bad date",
                     "expected YYMMDD, got '" + std::string(s) + "'"};
      }
    }
    if (!e && d_iso && d_short && *d_iso != *d_short) {
      e = RowError{std::string(specs[kYymmdd].name), "date columns disagree",
                   d_short->ToString() + " vs " + d_iso->ToString()};
    }
    auto read_int = [&](int which, bool required, std::optional<int64_t>* v) {
      v->reset();
      if (col[which] < 0) {
        return std::optional<RowError>();
      }
      const std::string_view s = Trim(f[col[which]]);
      if (s.empty() || s == ".") {
        if (!required) return std::optional<RowError>();
        return std::optional<RowError>(
            RowError{std::string(specs[which].name), "empty field", "a count is required"});
      }
      int64_t x;
      if (!ParseInt64(s, &x) || x < 0 || x > (int64_t{1} << 50)) {
        return std::optional<RowError>(RowError{std::string(specs[which].name), "bad number",
                                                "not a count: '" + std::string(s) + "'"});
      }
      *v = x;
      return std::optional<RowError>();
    };
    std::optional<int64_t> nl, ns;
    if (!e) e = read_int(kNcLong, true, &nl);
    if (!e) e = read_int(kNcShort, true, &ns);
    if (!e) e = read_int(kOi, false, &r.open_interest);
    if (!e) e = read_int(kCLong, false, &r.comm_long);
    if (!e) e = read_int(kCShort, false, &r.comm_short);
    if (e) {
      ARUS_RETURN_IF_ERROR(rd.Bad(*e));
      continue;
    }
    r.noncomm_long = *nl;
    r.noncomm_short = *ns;
    r.as_of = d_iso ? *d_iso : *d_short;
    r.ts_event = zone->At(r.as_of, 17, 0);
    fx::Date rel = r.as_of + 1;
    while (static_cast<int>(rel.weekday()) != options.cot_release_weekday) rel = rel + 1;
    r.ts_avail = zone->At(rel, options.cot_release_minute / 60, options.cot_release_minute % 60);
    r.line = rd.line();
    out.push_back(std::move(r));
    ++stats->accepted;
  }
  ARUS_RETURN_IF_ERROR(rd.Finish("CFTC COT"));
  return out;
}

Result<std::vector<SentimentRecord>> ParseSentimentCsv(std::string_view file,
                                                       std::string_view content,
                                                       const ExternalImportOptions& options,
                                                       Quarantine* quarantine,
                                                       ExternalParseStats* stats) {
  ARUS_RETURN_IF_ERROR(CheckOptions(options));
  ExternalParseStats local;
  if (stats == nullptr) stats = &local;
  constexpr std::string_view kExpected = "time,source,target,score[,weight]";
  RowReader rd(file, content, options.strict, quarantine, stats);
  ARUS_RETURN_IF_ERROR(rd.Start(kExpected));
  bool has = false;
  ARUS_RETURN_IF_ERROR(rd.Header(kExpected));
  const std::vector<ColumnSpec> specs = {
      {"time", {}, true},
      {"source", {}, true},
      {"target", {"symbol", "currency", "symbol_or_currency"}, true},
      {"score", {}, true},
      {"weight", {}, false}};
  ARUS_ASSIGN_OR_RETURN(std::vector<int> col,
                        MapHeader(file, rd.line(), rd.fields(), specs, false, kExpected));
  const size_t ncols = rd.fields().size();
  std::vector<SentimentRecord> out;
  while (true) {
    ARUS_RETURN_IF_ERROR(rd.Next(&has));
    if (!has) break;
    ++stats->rows;
    const std::vector<std::string>& f = rd.fields();
    SentimentRecord r;
    std::optional<RowError> e = CheckFieldCount(f, ncols);
    if (!e) e = ParseTimeField("time", f[col[0]], &r.ts_event);
    if (!e) e = ParseTextField("source", f[col[1]], kMaxSourceName, &r.source);
    if (!e) {
      Result<std::string> t = NormalizeExternalName(f[col[2]]);
      if (t.ok()) {
        r.target = *t;
      } else {
        e = RowError{"target", "bad target", t.status().message()};
      }
    }
    if (!e) e = ParseNumberField("score", f[col[3]], &r.score);
    if (!e && !(r.score >= -1 && r.score <= 1)) {
      e = RowError{"score", "out of range", "score must be in [-1, 1], got " + f[col[3]]};
    }
    if (!e && col[4] >= 0 && !Trim(f[col[4]]).empty()) {
      e = ParseNumberField("weight", f[col[4]], &r.weight);
      if (!e && !(r.weight > 0 && r.weight <= 1e9)) {
        e = RowError{"weight", "out of range", "weight must be in (0, 1e9], got " + f[col[4]]};
      }
    }
    if (e) {
      ARUS_RETURN_IF_ERROR(rd.Bad(*e));
      continue;
    }
    if (r.score == 0) r.score = 0.0;  // never -0
    r.ts_avail = r.ts_event + options.avail_delay;
    r.line = rd.line();
    out.push_back(std::move(r));
    ++stats->accepted;
  }
  ARUS_RETURN_IF_ERROR(rd.Finish("sentiment"));
  return out;
}

Result<std::vector<IndexRecord>> ParseIndexCsv(std::string_view file, std::string_view content,
                                               const ExternalImportOptions& options,
                                               Quarantine* quarantine, ExternalParseStats* stats) {
  ARUS_RETURN_IF_ERROR(CheckOptions(options));
  if (options.index_name.empty()) {
    return InvalidArgument("an index import needs the series name (e.g. --name DXY)");
  }
  ARUS_ASSIGN_OR_RETURN(std::string series, NormalizeExternalName(options.index_name));
  ARUS_ASSIGN_OR_RETURN(auto zone, LoadZone(options.zone));
  const int close_minute = options.index_close_minute.value_or(IndexDefaultCloseMinute(series));
  ExternalParseStats local;
  if (stats == nullptr) stats = &local;
  constexpr std::string_view kExpected = "date,open,high,low,close[,volume]";
  RowReader rd(file, content, options.strict, quarantine, stats);
  ARUS_RETURN_IF_ERROR(rd.Start(kExpected));
  bool has = false;
  ARUS_RETURN_IF_ERROR(rd.Header(kExpected));
  const std::vector<ColumnSpec> specs = {{"date", {}, true},  {"open", {}, true},
                                         {"high", {}, true},  {"low", {}, true},
                                         {"close", {}, true}, {"volume", {}, false}};
  ARUS_ASSIGN_OR_RETURN(std::vector<int> col,
                        MapHeader(file, rd.line(), rd.fields(), specs, false, kExpected));
  const size_t ncols = rd.fields().size();
  std::vector<IndexRecord> out;
  while (true) {
    ARUS_RETURN_IF_ERROR(rd.Next(&has));
    if (!has) break;
    ++stats->rows;
    const std::vector<std::string>& f = rd.fields();
    IndexRecord r;
    r.series = series;
    std::optional<RowError> e = CheckFieldCount(f, ncols);
    if (!e) e = ParseDateField("date", f[col[0]], &r.date);
    if (!e) e = ParseNumberField("open", f[col[1]], &r.open);
    if (!e) e = ParseNumberField("high", f[col[2]], &r.high);
    if (!e) e = ParseNumberField("low", f[col[3]], &r.low);
    if (!e) e = ParseNumberField("close", f[col[4]], &r.close);
    if (!e && col[5] >= 0 && !Trim(f[col[5]]).empty()) {
      double v;
      e = ParseNumberField("volume", f[col[5]], &v);
      if (!e && v < 0) e = RowError{"volume", "out of range", "volume must be >= 0"};
      if (!e) r.volume = v;
    }
    if (!e && !(r.low <= r.high)) {
      e = RowError{"low", "inconsistent ohlc", "low > high"};
    } else if (!e && !(r.high >= r.open && r.high >= r.close)) {
      e = RowError{"high", "inconsistent ohlc", "high below open or close"};
    } else if (!e && !(r.low <= r.open && r.low <= r.close)) {
      e = RowError{"low", "inconsistent ohlc", "low above open or close"};
    }
    if (e) {
      ARUS_RETURN_IF_ERROR(rd.Bad(*e));
      continue;
    }
    r.ts_event = zone->At(r.date, close_minute / 60, close_minute % 60);
    r.ts_avail = r.ts_event + options.avail_delay;
    r.line = rd.line();
    out.push_back(std::move(r));
    ++stats->accepted;
  }
  ARUS_RETURN_IF_ERROR(rd.Finish("index"));
  return out;
}

// -----------------------------------------------------------------------------------------------
// Canonical format.

std::string FormatExternalCanonical(ExternalKind kind, const ExternalRecords& records) {
  switch (kind) {
    case ExternalKind::kCalendar:
      return FormatCanonical(kCalendarCanonHeader, records.calendar);
    case ExternalKind::kCot:
      return FormatCanonical(kCotCanonHeader, records.cot);
    case ExternalKind::kSentiment:
      return FormatCanonical(kSentimentCanonHeader, records.sentiment);
    case ExternalKind::kIndex:
      return FormatCanonical(kIndexCanonHeader, records.index);
  }
  return "";
}

Result<ExternalRecords> ParseExternalCanonical(ExternalKind kind, std::string_view file,
                                               std::string_view content) {
  ExternalRecords out;
  switch (kind) {
    case ExternalKind::kCalendar: {
      ARUS_ASSIGN_OR_RETURN(out.calendar,
                            ParseCanonical<CalendarRecord>(kCalendarCanonHeader, file, content));
      break;
    }
    case ExternalKind::kCot: {
      ARUS_ASSIGN_OR_RETURN(out.cot, ParseCanonical<CotRecord>(kCotCanonHeader, file, content));
      break;
    }
    case ExternalKind::kSentiment: {
      ARUS_ASSIGN_OR_RETURN(out.sentiment,
                            ParseCanonical<SentimentRecord>(kSentimentCanonHeader, file, content));
      break;
    }
    case ExternalKind::kIndex: {
      ARUS_ASSIGN_OR_RETURN(out.index,
                            ParseCanonical<IndexRecord>(kIndexCanonHeader, file, content));
      break;
    }
  }
  return out;
}

// -----------------------------------------------------------------------------------------------
// Store.

std::string ExternalStore::PathOf(ExternalKind kind, std::string_view name) const {
  return dir_ + "/external/" + std::string(ExternalKindName(kind)) + "/" + std::string(name) +
         ".csv";
}

Result<ExternalMergeStats> ExternalStore::Merge(ExternalRecords incoming,
                                                const ExternalMergeOptions& options,
                                                Quarantine* quarantine,
                                                std::string_view input_file) {
  ExternalMergeStats st;
  ARUS_RETURN_IF_ERROR(
      MergeKind<CalendarTraits>(*this, incoming, options, quarantine, input_file, &st));
  ARUS_RETURN_IF_ERROR(MergeKind<CotTraits>(*this, incoming, options, quarantine, input_file, &st));
  ARUS_RETURN_IF_ERROR(
      MergeKind<SentimentTraits>(*this, incoming, options, quarantine, input_file, &st));
  ARUS_RETURN_IF_ERROR(
      MergeKind<IndexTraits>(*this, incoming, options, quarantine, input_file, &st));
  return st;
}

Result<std::vector<std::string>> ExternalStore::Names(ExternalKind kind) const {
  const fs::path dir = fs::path(dir_) / "external" / std::string(ExternalKindName(kind));
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path& p = it->path();
    if (p.extension() != ".csv") continue;  // temp files of an interrupted write, etc.
    const std::string stem = p.stem().string();
    Result<std::string> n = NormalizeExternalName(stem);
    if (n.ok() && *n == stem) out.push_back(stem);
  }
  if (ec) return IoError("list '" + dir.string() + "': " + ec.message());
  std::sort(out.begin(), out.end());
  return out;
}

Result<ExternalRecords> ExternalStore::Load(ExternalKind kind,
                                            std::span<const std::string> names) const {
  ExternalRecords out;
  switch (kind) {
    case ExternalKind::kCalendar:
      ARUS_RETURN_IF_ERROR(LoadKind<CalendarTraits>(*this, names, false, &out));
      break;
    case ExternalKind::kCot:
      ARUS_RETURN_IF_ERROR(LoadKind<CotTraits>(*this, names, false, &out));
      break;
    case ExternalKind::kSentiment:
      ARUS_RETURN_IF_ERROR(LoadKind<SentimentTraits>(*this, names, false, &out));
      break;
    case ExternalKind::kIndex:
      ARUS_RETURN_IF_ERROR(LoadKind<IndexTraits>(*this, names, false, &out));
      break;
  }
  return out;
}

Result<ExternalRecords> ExternalStore::LoadIfPresent(ExternalKind kind,
                                                     std::span<const std::string> names) const {
  ExternalRecords out;
  if (names.empty()) return out;
  switch (kind) {
    case ExternalKind::kCalendar:
      ARUS_RETURN_IF_ERROR(LoadKind<CalendarTraits>(*this, names, true, &out));
      break;
    case ExternalKind::kCot:
      ARUS_RETURN_IF_ERROR(LoadKind<CotTraits>(*this, names, true, &out));
      break;
    case ExternalKind::kSentiment:
      ARUS_RETURN_IF_ERROR(LoadKind<SentimentTraits>(*this, names, true, &out));
      break;
    case ExternalKind::kIndex:
      ARUS_RETURN_IF_ERROR(LoadKind<IndexTraits>(*this, names, true, &out));
      break;
  }
  return out;
}

namespace {

template <typename R>
void Summarise(const std::vector<R>& recs, ExternalDatasetInfo* info) {
  info->records = static_cast<int64_t>(recs.size());
  info->first_event = UnixNanos::Max();
  info->last_event = UnixNanos::Min();
  info->last_avail = UnixNanos::Min();
  for (const R& r : recs) {
    info->first_event = std::min(info->first_event, r.ts_event);
    info->last_event = std::max(info->last_event, r.ts_event);
    info->last_avail = std::max(info->last_avail, r.ts_avail);
    if (RevisionOf(r) > 0) ++info->revisions;
  }
}

}  // namespace

Result<std::vector<ExternalDatasetInfo>> ExternalStore::List() const {
  std::vector<ExternalDatasetInfo> out;
  for (ExternalKind kind : kAllExternalKinds) {
    ARUS_ASSIGN_OR_RETURN(std::vector<std::string> names, Names(kind));
    for (const std::string& name : names) {
      const std::string one[] = {name};
      ARUS_ASSIGN_OR_RETURN(ExternalRecords recs, Load(kind, one));
      ExternalDatasetInfo info;
      info.kind = kind;
      info.name = name;
      info.path = PathOf(kind, name);
      Summarise(recs.calendar, &info);
      if (kind == ExternalKind::kCot) Summarise(recs.cot, &info);
      if (kind == ExternalKind::kSentiment) Summarise(recs.sentiment, &info);
      if (kind == ExternalKind::kIndex) Summarise(recs.index, &info);
      out.push_back(std::move(info));
    }
  }
  return out;
}

// -----------------------------------------------------------------------------------------------
// Import.

Result<ExternalImportSummary> ImportExternalText(const std::string& store_dir, ExternalKind kind,
                                                 std::string_view file, std::string_view content,
                                                 const ExternalImportOptions& options,
                                                 const ExternalMergeOptions& merge,
                                                 Quarantine* quarantine) {
  ExternalImportSummary sum;
  ExternalRecords recs;
  switch (kind) {
    case ExternalKind::kCalendar: {
      ARUS_ASSIGN_OR_RETURN(recs.calendar,
                            ParseCalendarCsv(file, content, options, quarantine, &sum.parse));
      break;
    }
    case ExternalKind::kCot: {
      ARUS_ASSIGN_OR_RETURN(recs.cot, ParseCotCsv(file, content, options, quarantine, &sum.parse));
      break;
    }
    case ExternalKind::kSentiment: {
      ARUS_ASSIGN_OR_RETURN(recs.sentiment,
                            ParseSentimentCsv(file, content, options, quarantine, &sum.parse));
      break;
    }
    case ExternalKind::kIndex: {
      ARUS_ASSIGN_OR_RETURN(recs.index,
                            ParseIndexCsv(file, content, options, quarantine, &sum.parse));
      break;
    }
  }
  ExternalMergeOptions m = merge;
  m.strict = m.strict || options.strict;
  ExternalStore store(store_dir);
  ARUS_ASSIGN_OR_RETURN(sum.merge, store.Merge(std::move(recs), m, quarantine, file));
  return sum;
}

Result<ExternalImportSummary> ImportExternalFile(const std::string& store_dir, ExternalKind kind,
                                                 const std::string& path,
                                                 const ExternalImportOptions& options,
                                                 const ExternalMergeOptions& merge,
                                                 Quarantine* quarantine) {
  ARUS_ASSIGN_OR_RETURN(std::string content, ReadFile(path));
  return ImportExternalText(store_dir, kind, path, content, options, merge, quarantine);
}

}  // namespace arus::features
