// Provenance of stored data: which source and which cleaning policy produced it. An append may
// carry a Provenance; the store records it, with the time range of the append and the commit
// time, in the same manifest replace that commits the data, so a record exists exactly when its
// data was committed. Records of a symbol (or bar series) are kept in commit order; where their
// ranges overlap, later records describe the data (a later append added to or replaced it).
// Thread-safety: value types and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace arus::store {

// Longest accepted text of one Provenance field (a canonical policy text is a few KB).
inline constexpr size_t kMaxProvenanceField = 64 * 1024;

struct Provenance {
  std::string source;           // e.g. "truefx", "synthetic(seed=7,mode=normal)"; not empty
  std::string cleaning_policy;  // canonical text of the cleaning policy; may be empty
  std::string policy_hash;      // hash of that text, as the caller computes it; may be empty
  std::string note;             // free text; may be empty
  bool operator==(const Provenance&) const = default;
};

struct ProvenanceRecord {
  Provenance provenance;
  UnixNanos first_ts;         // first and last input timestamp (ts_event / ts_open) of the
  UnixNanos last_ts;          // append(s) this record stands for
  UnixNanos first_committed;  // commit time of the first append (the store's Clock)
  UnixNanos last_committed;   // commit time of the last merged append
  int64_t appends = 1;        // appends merged into this record
  uint64_t generation = 0;    // manifest generation of the last of them
  bool operator==(const ProvenanceRecord&) const = default;
};

// InvalidArgument unless `source` is non-empty and every field is valid UTF-8 of at most
// kMaxProvenanceField bytes.
Status ValidateProvenance(const Provenance& p);

// Appends `rec` to `records` (commit order), merging it into the last record when both carry the
// same Provenance and the range between the two (if they neither overlap nor touch) holds no part
// of any other record's range, so the merged record claims no data that another record
// describes. Appending day after day from one source with one policy thus keeps one record.
void AddProvenance(std::vector<ProvenanceRecord>* records, ProvenanceRecord rec);

}  // namespace arus::store
