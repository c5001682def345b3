// The quarantine: where rejected input rows go instead of disappearing. Every importer and
// validation rule that rejects a row reports it here with the file, line, field, a short reason
// (the category rows are counted by, e.g. "bad number", "crossed quote") and a detail message;
// the raw text of the row is kept. Rows are streamed to a CSV file (normally next to the store,
// `STORE/quarantine/...csv`) that is committed atomically at the end, and counted by reason for
// the import summary. Without a file, only the counts and the first `max_examples` rows are kept.
// File columns: file,line,field,reason,detail,raw (RFC 4180 quoting).
// Thread-safety: Add may be called from several threads (parallel importers); a mutex guards it.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/file.h"
#include "core/status.h"

namespace arus::ingest {

struct QuarantinedRow {
  std::string file;
  uint64_t line = 0;  // 1-based; 0 when the problem is not a line (e.g. a binary record)
  std::string field;
  std::string reason;
  std::string detail;
  std::string raw;  // at most kMaxRawBytes of the row, control bytes escaped
};

class Quarantine {
 public:
  static constexpr size_t kMaxRawBytes = 512;

  explicit Quarantine(size_t max_examples = 20) : max_examples_(max_examples) {}
  Quarantine(const Quarantine&) = delete;
  Quarantine& operator=(const Quarantine&) = delete;

  // Streams rows to `path` from now on (the file appears only at Commit).
  Status OpenFile(const std::string& path);

  void Add(std::string_view file, uint64_t line, std::string_view field, std::string_view reason,
           std::string_view detail, std::string_view raw);

  int64_t total() const;
  std::map<std::string, int64_t> counts_by_reason() const;
  // The first rows added (up to max_examples), for summaries and tests.
  std::vector<QuarantinedRow> examples() const;

  // Commits the file if one was opened and rows were added; with no rows, nothing is written.
  // Returns the path written, or "" if none.
  Result<std::string> Commit();

 private:
  mutable std::mutex mu_;
  size_t max_examples_;
  int64_t total_ = 0;
  std::map<std::string, int64_t> by_reason_;
  std::vector<QuarantinedRow> examples_;
  AtomicFile file_;
  bool file_open_ = false;
  std::string buf_;
  Status write_status_;
};

}  // namespace arus::ingest
