#include "ingest/quarantine.h"

namespace arus::ingest {

namespace {

// Printable form of a raw row: control and non-ASCII bytes as \xNN, cut at kMaxRawBytes.
std::string SafeRaw(std::string_view raw) {
  std::string out;
  const size_t n = std::min(raw.size(), Quarantine::kMaxRawBytes);
  out.reserve(n);
  static constexpr char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = static_cast<unsigned char>(raw[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (raw.size() > n) out += "...";
  return out;
}

void AppendCsvField(std::string* out, std::string_view f) {
  if (f.find_first_of(",\"\n\r") == std::string_view::npos) {
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

}  // namespace

Status Quarantine::OpenFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  ARUS_RETURN_IF_ERROR(file_.Open(path));
  file_open_ = true;
  buf_ = "file,line,field,reason,detail,raw\n";
  return Status::Ok();
}

void Quarantine::Add(std::string_view file, uint64_t line, std::string_view field,
                     std::string_view reason, std::string_view detail, std::string_view raw) {
  std::string safe = SafeRaw(raw);
  std::lock_guard<std::mutex> lock(mu_);
  ++total_;
  ++by_reason_[std::string(reason)];
  if (examples_.size() < max_examples_) {
    examples_.push_back(QuarantinedRow{std::string(file), line, std::string(field),
                                       std::string(reason), std::string(detail), safe});
  }
  if (!file_open_ || !write_status_.ok()) return;
  AppendCsvField(&buf_, file);
  buf_ += ',';
  buf_ += std::to_string(line);
  buf_ += ',';
  AppendCsvField(&buf_, field);
  buf_ += ',';
  AppendCsvField(&buf_, reason);
  buf_ += ',';
  AppendCsvField(&buf_, detail);
  buf_ += ',';
  AppendCsvField(&buf_, safe);
  buf_ += '\n';
  if (buf_.size() > (1 << 20)) {
    write_status_ = file_.Write(buf_);
    buf_.clear();
  }
}

int64_t Quarantine::total() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

std::map<std::string, int64_t> Quarantine::counts_by_reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return by_reason_;
}

std::vector<QuarantinedRow> Quarantine::examples() const {
  std::lock_guard<std::mutex> lock(mu_);
  return examples_;
}

Result<std::string> Quarantine::Commit() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!file_open_) return std::string();
  file_open_ = false;
  if (total_ == 0) {
    file_.Abort();
    return std::string();
  }
  ARUS_RETURN_IF_ERROR(write_status_);
  ARUS_RETURN_IF_ERROR(file_.Write(buf_));
  buf_.clear();
  ARUS_RETURN_IF_ERROR(file_.Commit());
  return file_.path();
}

}  // namespace arus::ingest
