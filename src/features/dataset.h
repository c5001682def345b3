// Datasets: the materialised output of a feature set, one row per decision time of one symbol,
// with feature columns, label columns and, per label, the time its information ends (needed to
// purge training rows whose label overlaps a test window). Stored as a columnar binary file
// (docs/dataset-format.md) and optionally as CSV.
//
// Columns are float64, NaN for "no value" (before warm-up, label past the end of the data).
// Thread-safety: value type; functions reentrant. Writes are atomic (temp file, fsync, rename).
#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace arus::features {

struct Dataset {
  // Identity: what produced it.
  std::string symbol;
  std::string base_timeframe;  // "M5"
  std::string feature_set_name;
  std::string feature_set_hash;  // 16 hex digits (FeatureSetSpec::HashHex)
  std::string feature_set_text;  // canonical TOML text of the spec
  // Rows.
  std::vector<UnixNanos> time;  // decision times, strictly increasing
  std::vector<std::string> feature_names;
  std::vector<std::vector<double>> features;  // [column][row]
  std::vector<std::string> label_names;
  std::vector<std::vector<double>> labels;        // [label][row], NaN when unknown
  std::vector<std::vector<UnixNanos>> label_end;  // [label][row]; UnixNanos::Max() when unknown
  // Opaque state of the feature pipeline after the last row, so that the dataset can be extended
  // with new bars without recomputing history (may be empty). Stored as its own section.
  std::vector<uint8_t> checkpoint;

  size_t rows() const { return time.size(); }
  // Latest label end over the labels of `row` (UnixNanos::Min() without labels).
  UnixNanos LabelEnd(size_t row) const;
  // InvalidArgument when shapes disagree, names repeat or times do not increase.
  Status Validate() const;
  // Index of a feature / label column, -1 if absent.
  int FeatureIndex(std::string_view name) const;
  int LabelIndex(std::string_view name) const;
  // Rows [begin, end) as a new dataset (same identity). The checkpoint describes the state after
  // the last row, so it is kept only when `end` reaches the last row. Bounds are clamped.
  Dataset Slice(size_t begin, size_t end) const;
  bool operator==(const Dataset&) const;  // NaN == NaN for values
};

// Columnar binary file (docs/dataset-format.md): header with identity and column names, then
// each column as raw little-endian float64 / int64, every section checksummed (xxhash64).
Status WriteDataset(const std::string& path, const Dataset& ds);
// Corruption (naming the path and section) for damaged or truncated files, InvalidArgument for
// a file that is not a dataset or has another format version; never crashes on hostile input.
Result<Dataset> ReadDataset(const std::string& path);
// CSV: time (ISO-8601 UTC), features, labels, then one `<label>_end` column per label (ISO, empty
// when unknown). Values in shortest round-trip form, empty for NaN.
Status WriteDatasetCsv(const std::string& path, const Dataset& ds);

// ---- Partial reads -----------------------------------------------------------------------------
// A reader opens the file, checks its preamble and header (identity, names, section table) and
// then reads any column or row range on demand: only the bytes asked for (rounded out to the
// checksum blocks of docs/dataset-format.md) are read and verified. Columns not read are not
// checked, so a damaged column elsewhere in the file does not fail a partial read.

enum class DatasetSectionKind : uint8_t { kTime, kFeature, kLabel, kLabelEnd, kCheckpoint };
std::string_view DatasetSectionKindName(DatasetSectionKind kind);  // "time", "feature", ...

struct DatasetSection {
  DatasetSectionKind kind = DatasetSectionKind::kTime;
  std::string name;                   // column name; "time" and "checkpoint" for those sections
  uint64_t offset = 0;                // from the start of the file
  uint64_t length = 0;                // bytes
  std::vector<uint64_t> block_xxh64;  // one XXH64 per checksum block of the section
};

// What Read() returns. Row selection: rows [row_begin, row_end) clamped to the file, then only
// those whose time is in [from, to).
struct DatasetReadOptions {
  // Names to read; std::nullopt reads every column of that kind, an empty list none. A label
  // brings its end-time column. Unknown names are InvalidArgument.
  std::optional<std::vector<std::string>> features;
  std::optional<std::vector<std::string>> labels;
  size_t row_begin = 0;
  size_t row_end = std::numeric_limits<size_t>::max();
  UnixNanos from = UnixNanos::Min();
  UnixNanos to = UnixNanos::Max();
  // The checkpoint is returned only when the selected rows reach the last row of the file.
  bool checkpoint = true;
};

// Thread-safety: after Open, every method is const and may be called from several threads (reads
// use pread). Owns its file descriptor.
class DatasetReader {
 public:
  static Result<std::unique_ptr<DatasetReader>> Open(const std::string& path);
  ~DatasetReader();
  DatasetReader(const DatasetReader&) = delete;
  DatasetReader& operator=(const DatasetReader&) = delete;

  const std::string& path() const { return path_; }
  // Identity and column names (feature_names, label_names); no rows, no columns.
  const Dataset& schema() const { return schema_; }
  size_t rows() const { return rows_; }
  uint64_t file_bytes() const { return file_bytes_; }
  uint64_t checksum_block_bytes() const { return block_bytes_; }
  const std::vector<DatasetSection>& sections() const { return sections_; }

  // Rows [begin, end) of one column (InvalidArgument when out of range); Corruption naming the
  // path and section on a checksum mismatch or a short read.
  Result<std::vector<UnixNanos>> ReadTime(size_t begin, size_t end) const;
  Result<std::vector<double>> ReadFeature(size_t column, size_t begin, size_t end) const;
  Result<std::vector<double>> ReadLabel(size_t label, size_t begin, size_t end) const;
  Result<std::vector<UnixNanos>> ReadLabelEnd(size_t label, size_t begin, size_t end) const;
  Result<std::vector<uint8_t>> ReadCheckpoint() const;
  // The same into caller memory, rows [begin, begin + out.size()): a caller that keeps its
  // buffers avoids the first-touch page faults of fresh memory, which on small VMs cost more
  // than the read itself. Rows are checked as above.
  Status ReadTimeInto(size_t begin, std::span<UnixNanos> out) const;
  Status ReadFeatureInto(size_t column, size_t begin, std::span<double> out) const;
  Status ReadLabelInto(size_t label, size_t begin, std::span<double> out) const;
  Status ReadLabelEndInto(size_t label, size_t begin, std::span<UnixNanos> out) const;
  // First and one-past-last row whose time lies in [from, to) (reads the time column).
  Result<std::pair<size_t, size_t>> RowRange(UnixNanos from, UnixNanos to) const;
  // The selection as a Dataset (same identity); Validate()d, Corruption if it fails.
  Result<Dataset> Read(const DatasetReadOptions& options) const;

 private:
  DatasetReader() = default;
  template <typename T>
  Result<std::vector<T>> ReadColumn(DatasetSectionKind kind, size_t index, size_t begin,
                                    size_t end) const;
  template <typename T>
  Status ReadColumnInto(DatasetSectionKind kind, size_t index, size_t begin,
                        std::span<T> out) const;
  const DatasetSection* ColumnSection(DatasetSectionKind kind, size_t index) const;
  Status CheckRows(size_t begin, size_t end) const;
  // Reads block `b` of a section into `dst` and verifies its checksum.
  template <typename T>
  Status ReadBlock(const DatasetSection& s, uint64_t b, T* dst) const;
  // Appends elements [first, last) of a section to `out`, verifying every block it touches.
  template <typename T>
  Status ReadBlocks(const DatasetSection& s, uint64_t first, uint64_t last,
                    std::vector<T>* out) const;
  // Elements [first, first + out.size()) into `out`; whole blocks are read in place.
  template <typename T>
  Status ReadBlocksInto(const DatasetSection& s, uint64_t first, std::span<T> out) const;

  std::string path_;
  int fd_ = -1;
  Dataset schema_;
  size_t rows_ = 0;
  uint64_t file_bytes_ = 0;
  uint64_t block_bytes_ = 0;
  std::vector<DatasetSection> sections_;  // file order: time, features, labels, ends, checkpoint
};

// ReadDataset restricted to a selection (DatasetReadOptions).
Result<Dataset> ReadDataset(const std::string& path, const DatasetReadOptions& options);
// WriteDatasetCsv of a selection of an open file, read `chunk_rows` rows at a time, so memory
// stays bounded for any file size. Same text as WriteDatasetCsv(path, reader.Read(options)).
Status WriteDatasetCsv(const std::string& path, const DatasetReader& reader,
                       const DatasetReadOptions& options, size_t chunk_rows = 65536);

}  // namespace arus::features
