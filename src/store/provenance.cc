#include "store/provenance.h"

#include <algorithm>

namespace arus::store {
namespace {

// Strict UTF-8 (no overlongs, no surrogates, at most U+10FFFF): the manifest is JSON, whose
// serialiser rejects anything else.
bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len;
    uint32_t cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF))) {
      return false;
    }
    i += len;
  }
  return true;
}

Status CheckField(std::string_view name, const std::string& value) {
  if (value.size() > kMaxProvenanceField) {
    return InvalidArgument("provenance field '" + std::string(name) + "' is " +
                           std::to_string(value.size()) + " bytes (at most " +
                           std::to_string(kMaxProvenanceField) + ")");
  }
  if (!ValidUtf8(value)) {
    return InvalidArgument("provenance field '" + std::string(name) + "' is not valid UTF-8");
  }
  return Status::Ok();
}

}  // namespace

Status ValidateProvenance(const Provenance& p) {
  if (p.source.empty()) return InvalidArgument("provenance field 'source' is empty");
  ARUS_RETURN_IF_ERROR(CheckField("source", p.source));
  ARUS_RETURN_IF_ERROR(CheckField("cleaning_policy", p.cleaning_policy));
  ARUS_RETURN_IF_ERROR(CheckField("policy_hash", p.policy_hash));
  return CheckField("note", p.note);
}

void AddProvenance(std::vector<ProvenanceRecord>* records, ProvenanceRecord rec) {
  if (!records->empty()) {
    ProvenanceRecord& last = records->back();
    if (last.provenance == rec.provenance) {
      // The open gap between the two ranges, if any.
      bool gap = false;
      UnixNanos gap_lo, gap_hi;
      if (rec.first_ts > last.last_ts) {
        gap = true;
        gap_lo = last.last_ts;
        gap_hi = rec.first_ts;
      } else if (last.first_ts > rec.last_ts) {
        gap = true;
        gap_lo = rec.last_ts;
        gap_hi = last.first_ts;
      }
      bool blocked = false;
      for (size_t i = 0; gap && i + 1 < records->size(); ++i) {
        const ProvenanceRecord& o = (*records)[i];
        blocked |= o.last_ts > gap_lo && o.first_ts < gap_hi;
      }
      if (!blocked) {
        last.first_ts = std::min(last.first_ts, rec.first_ts);
        last.last_ts = std::max(last.last_ts, rec.last_ts);
        last.last_committed = rec.last_committed;
        last.appends += rec.appends;
        last.generation = rec.generation;
        return;
      }
    }
  }
  records->push_back(std::move(rec));
}

}  // namespace arus::store
