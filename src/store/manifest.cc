#include "store/manifest.h"

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/time.h"

namespace arus::store {
namespace {

using nlohmann::json;

constexpr char kManifestFormat[] = "arus-tick-manifest";
constexpr char kBarManifestFormat[] = "arus-bar-manifest";

std::string DateText(int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

bool ParseDigits(std::string_view s, int64_t* out) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  const auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// Strict "YYYY-MM-DD" (years 1000-9999) that round-trips.
bool ParseDateText(std::string_view s, int64_t* days) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  int64_t y, m, d;
  if (!ParseDigits(s.substr(0, 4), &y) || !ParseDigits(s.substr(5, 2), &m) ||
      !ParseDigits(s.substr(8, 2), &d)) {
    return false;
  }
  if (m < 1 || m > 12 || d < 1 || d > 31) return false;
  *days = DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
  return DateText(*days) == s;
}

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

bool ParseHex64(std::string_view s, uint64_t* out) {
  if (s.size() != 16) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return std::from_chars(s.data(), s.data() + 16, *out, 16).ec == std::errc();
}

class Fields {
 public:
  Fields(const json& obj, const std::string& path, std::string where)
      : obj_(obj), path_(path), where_(std::move(where)) {}

  Status Bad(std::string_view field, std::string_view what) const {
    return Corruption(path_ + ": " + where_ + "field '" + std::string(field) +
                      "': " + std::string(what));
  }
  Result<const json*> Get(std::string_view field) const {
    auto it = obj_.find(field);
    if (it == obj_.end()) return Bad(field, "missing");
    return &*it;
  }
  Result<std::string> String(std::string_view field) const {
    ARUS_ASSIGN_OR_RETURN(const json* v, Get(field));
    if (!v->is_string()) return Bad(field, "not a string");
    return v->get<std::string>();
  }
  Result<int64_t> Int(std::string_view field) const {
    ARUS_ASSIGN_OR_RETURN(const json* v, Get(field));
    if (v->is_number_unsigned()) {
      const uint64_t u = v->get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Bad(field, "out of range");
      return static_cast<int64_t>(u);
    }
    if (!v->is_number_integer()) return Bad(field, "not an integer");
    return v->get<int64_t>();
  }
  Result<uint64_t> Unsigned(std::string_view field) const {
    ARUS_ASSIGN_OR_RETURN(const json* v, Get(field));
    if (!v->is_number_unsigned()) return Bad(field, "not a non-negative integer");
    return v->get<uint64_t>();
  }

 private:
  const json& obj_;
  const std::string& path_;
  std::string where_;
};

std::string ProvenanceJson(const ProvenanceRecord& r) {
  json j;
  j["source"] = r.provenance.source;
  j["cleaning_policy"] = r.provenance.cleaning_policy;
  j["policy_hash"] = r.provenance.policy_hash;
  j["note"] = r.provenance.note;
  j["first_ts"] = r.first_ts.ns();
  j["last_ts"] = r.last_ts.ns();
  j["first_committed"] = r.first_committed.ns();
  j["last_committed"] = r.last_committed.ns();
  j["appends"] = r.appends;
  j["generation"] = r.generation;
  return j.dump();
}

// ",\n  \"provenance\": [...]" (empty records: nothing).
std::string SerializeProvenance(const std::vector<ProvenanceRecord>& records) {
  if (records.empty()) return "";
  std::string out = ",\n  \"provenance\": [";
  for (size_t i = 0; i < records.size(); ++i) {
    out += i == 0 ? "\n    " : ",\n    ";
    out += ProvenanceJson(records[i]);
  }
  return out + "\n  ]";
}

Result<std::vector<ProvenanceRecord>> ParseProvenance(const json& arr, const Fields& top,
                                                      const std::string& path,
                                                      uint64_t generation) {
  if (!arr.is_array()) return top.Bad("provenance", "not an array");
  std::vector<ProvenanceRecord> out;
  for (size_t i = 0; i < arr.size(); ++i) {
    const json& pj = arr[i];
    const std::string where = "provenance " + std::to_string(i) + ": ";
    if (!pj.is_object()) return Corruption(path + ": " + where + "not an object");
    Fields f(pj, path, where);
    ProvenanceRecord r;
    ARUS_ASSIGN_OR_RETURN(r.provenance.source, f.String("source"));
    ARUS_ASSIGN_OR_RETURN(r.provenance.cleaning_policy, f.String("cleaning_policy"));
    ARUS_ASSIGN_OR_RETURN(r.provenance.policy_hash, f.String("policy_hash"));
    ARUS_ASSIGN_OR_RETURN(r.provenance.note, f.String("note"));
    if (r.provenance.source.empty()) return f.Bad("source", "empty");
    ARUS_ASSIGN_OR_RETURN(int64_t first, f.Int("first_ts"));
    ARUS_ASSIGN_OR_RETURN(int64_t last, f.Int("last_ts"));
    if (first > last) return f.Bad("last_ts", "before first_ts");
    r.first_ts = UnixNanos(first);
    r.last_ts = UnixNanos(last);
    ARUS_ASSIGN_OR_RETURN(int64_t c0, f.Int("first_committed"));
    ARUS_ASSIGN_OR_RETURN(int64_t c1, f.Int("last_committed"));
    r.first_committed = UnixNanos(c0);
    r.last_committed = UnixNanos(c1);
    ARUS_ASSIGN_OR_RETURN(r.appends, f.Int("appends"));
    if (r.appends <= 0) return f.Bad("appends", "must be positive");
    ARUS_ASSIGN_OR_RETURN(r.generation, f.Unsigned("generation"));
    if (r.generation == 0 || r.generation > generation) {
      return f.Bad("generation", "not in [1, " + std::to_string(generation) + "]");
    }
    if (!out.empty() && r.generation <= out.back().generation) {
      return Corruption(path + ": " + where + "not after the previous record");
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

std::string PartitionFileName(int64_t trading_date, uint64_t generation) {
  return DateText(trading_date) + "." + std::to_string(generation) + kPartitionSuffix;
}

bool ParsePartitionFileName(std::string_view name, int64_t* trading_date, uint64_t* generation) {
  constexpr std::string_view kSuffix = kPartitionSuffix;
  if (name.size() < 10 + 1 + 1 + kSuffix.size() ||
      name.substr(name.size() - kSuffix.size()) != kSuffix || name[10] != '.') {
    return false;
  }
  const std::string_view gen = name.substr(11, name.size() - 11 - kSuffix.size());
  int64_t g;
  if (!ParseDigits(gen, &g) || (gen.size() > 1 && gen[0] == '0')) return false;
  if (!ParseDateText(name.substr(0, 10), trading_date)) return false;
  *generation = static_cast<uint64_t>(g);
  return true;
}

std::string SerializeManifest(const SymbolManifest& m) {
  std::string out = "{\n";
  out += "  \"format\": \"" + std::string(kManifestFormat) + "\",\n";
  const int version = m.provenance.empty() ? kManifestVersionWithoutProvenance : kManifestVersion;
  out += "  \"version\": " + std::to_string(version) + ",\n";
  out += "  \"symbol\": " + json(m.symbol).dump() + ",\n";
  out += "  \"generation\": " + std::to_string(m.generation) + ",\n";
  out += "  \"partitions\": [";
  for (size_t i = 0; i < m.partitions.size(); ++i) {
    const PartitionEntry& p = m.partitions[i];
    json j;
    j["trading_date"] = DateText(p.trading_date);
    j["file"] = p.file;
    j["ticks"] = p.tick_count;
    j["first_ts"] = p.first_ts;
    j["last_ts"] = p.last_ts;
    j["bytes"] = p.bytes;
    j["checksum"] = Hex64(p.checksum);
    j["price_decimals"] = p.price_decimals;
    out += i == 0 ? "\n    " : ",\n    ";
    out += j.dump();
  }
  out += m.partitions.empty() ? "]" : "\n  ]";
  out += SerializeProvenance(m.provenance);
  out += "\n}\n";
  return out;
}

Result<SymbolManifest> ParseManifest(std::string_view text, const std::string& path,
                                     std::string_view symbol) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return Corruption(path + ": manifest is not valid JSON: " + e.what());
  }
  if (!doc.is_object()) return Corruption(path + ": manifest is not a JSON object");
  try {
    Fields top(doc, path, "");
    ARUS_ASSIGN_OR_RETURN(std::string format, top.String("format"));
    if (format != kManifestFormat)
      return top.Bad("format", "expected '" + std::string(kManifestFormat) + "'");
    ARUS_ASSIGN_OR_RETURN(int64_t version, top.Int("version"));
    if (version != kManifestVersion && version != kManifestVersionWithoutProvenance) {
      return top.Bad("version", "unsupported manifest version " + std::to_string(version) +
                                    " (this build reads versions " +
                                    std::to_string(kManifestVersionWithoutProvenance) + " to " +
                                    std::to_string(kManifestVersion) + ")");
    }
    SymbolManifest m;
    ARUS_ASSIGN_OR_RETURN(m.symbol, top.String("symbol"));
    if (m.symbol != symbol) {
      return top.Bad("symbol",
                     "'" + m.symbol + "' does not match directory '" + std::string(symbol) + "'");
    }
    ARUS_ASSIGN_OR_RETURN(m.generation, top.Unsigned("generation"));
    ARUS_ASSIGN_OR_RETURN(const json* parts, top.Get("partitions"));
    if (!parts->is_array()) return top.Bad("partitions", "not an array");
    for (size_t i = 0; i < parts->size(); ++i) {
      const json& pj = (*parts)[i];
      const std::string where = "partition " + std::to_string(i) + ": ";
      if (!pj.is_object()) return Corruption(path + ": " + where + "not an object");
      Fields f(pj, path, where);
      PartitionEntry p;
      ARUS_ASSIGN_OR_RETURN(std::string date, f.String("trading_date"));
      if (!ParseDateText(date, &p.trading_date)) return f.Bad("trading_date", "not YYYY-MM-DD");
      ARUS_ASSIGN_OR_RETURN(p.file, f.String("file"));
      int64_t file_date;
      if (!ParsePartitionFileName(p.file, &file_date, &p.generation) ||
          file_date != p.trading_date || p.generation > m.generation) {
        return f.Bad("file", "'" + p.file + "' is not a partition file name for " + date +
                                 " at generation <= " + std::to_string(m.generation));
      }
      ARUS_ASSIGN_OR_RETURN(p.tick_count, f.Int("ticks"));
      if (p.tick_count <= 0) return f.Bad("ticks", "must be positive");
      ARUS_ASSIGN_OR_RETURN(p.first_ts, f.Int("first_ts"));
      ARUS_ASSIGN_OR_RETURN(p.last_ts, f.Int("last_ts"));
      if (p.first_ts > p.last_ts) return f.Bad("last_ts", "before first_ts");
      ARUS_ASSIGN_OR_RETURN(p.bytes, f.Unsigned("bytes"));
      if (p.bytes == 0) return f.Bad("bytes", "must be positive");
      ARUS_ASSIGN_OR_RETURN(std::string sum, f.String("checksum"));
      if (!ParseHex64(sum, &p.checksum)) return f.Bad("checksum", "not 16 lowercase hex digits");
      ARUS_ASSIGN_OR_RETURN(int64_t dec, f.Int("price_decimals"));
      if (dec < 0 || dec > 9) return f.Bad("price_decimals", "not in [0, 9]");
      p.price_decimals = static_cast<int>(dec);
      if (!m.partitions.empty()) {
        const PartitionEntry& prev = m.partitions.back();
        if (p.trading_date <= prev.trading_date || p.first_ts <= prev.last_ts) {
          return Corruption(path + ": " + where + "not after the previous partition");
        }
      }
      m.partitions.push_back(std::move(p));
    }
    auto prov = doc.find("provenance");
    if (version == kManifestVersionWithoutProvenance) {
      if (prov != doc.end()) return top.Bad("provenance", "not allowed in version 1");
    } else {
      if (prov == doc.end()) return top.Bad("provenance", "missing");
      ARUS_ASSIGN_OR_RETURN(m.provenance, ParseProvenance(*prov, top, path, m.generation));
    }
    return m;
  } catch (const json::exception& e) {
    return Corruption(path + ": manifest: " + e.what());
  }
}

// ---- bar series ---------------------------------------------------------------------------------

std::string_view BarPeriodName(BarPeriod p) { return p == BarPeriod::kYear ? "year" : "month"; }

bool ParseBarPeriod(std::string_view text, BarPeriod* p) {
  if (text == "month") {
    *p = BarPeriod::kMonth;
  } else if (text == "year") {
    *p = BarPeriod::kYear;
  } else {
    return false;
  }
  return true;
}

int64_t PeriodStart(BarPeriod p, int64_t days) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  return DaysFromCivil(y, p == BarPeriod::kYear ? 1 : m, 1);
}

int64_t NextPeriodStart(BarPeriod p, int64_t period_start) {
  int64_t y;
  unsigned m, d;
  CivilFromDays(period_start, &y, &m, &d);
  if (p == BarPeriod::kYear) return DaysFromCivil(y + 1, 1, 1);
  return m == 12 ? DaysFromCivil(y + 1, 1, 1) : DaysFromCivil(y, m + 1, 1);
}

std::string PeriodText(BarPeriod p, int64_t period_start) {
  const std::string date = DateText(period_start);
  return p == BarPeriod::kYear ? date.substr(0, 4) : date.substr(0, 7);
}

namespace {

// Strict "YYYY-MM" (month) or "YYYY" (year), years 1000-9999.
bool ParsePeriodText(std::string_view s, BarPeriod p, int64_t* start) {
  const std::string full =
      p == BarPeriod::kYear ? std::string(s) + "-01-01" : std::string(s) + "-01";
  if (s.size() != (p == BarPeriod::kYear ? 4u : 7u)) return false;
  return ParseDateText(full, start);
}

}  // namespace

std::string BarPartitionFileName(BarPeriod p, int64_t period_start, uint64_t generation) {
  return PeriodText(p, period_start) + "." + std::to_string(generation) + kBarPartitionSuffix;
}

bool ParseBarPartitionFileName(std::string_view name, BarPeriod p, int64_t* period_start,
                               uint64_t* generation) {
  constexpr std::string_view kSuffix = kBarPartitionSuffix;
  const size_t plen = p == BarPeriod::kYear ? 4 : 7;
  if (name.size() < plen + 1 + 1 + kSuffix.size() ||
      name.substr(name.size() - kSuffix.size()) != kSuffix || name[plen] != '.') {
    return false;
  }
  const std::string_view gen = name.substr(plen + 1, name.size() - plen - 1 - kSuffix.size());
  int64_t g;
  if (!ParseDigits(gen, &g) || (gen.size() > 1 && gen[0] == '0')) return false;
  if (!ParsePeriodText(name.substr(0, plen), p, period_start)) return false;
  *generation = static_cast<uint64_t>(g);
  return true;
}

std::string SerializeBarManifest(const BarManifest& m) {
  std::string out = "{\n";
  out += "  \"format\": \"" + std::string(kBarManifestFormat) + "\",\n";
  out += "  \"version\": " + std::to_string(kBarManifestVersion) + ",\n";
  out += "  \"symbol\": " + json(m.symbol).dump() + ",\n";
  out += "  \"timeframe\": " + json(m.timeframe).dump() + ",\n";
  out += "  \"side\": " + json(m.side).dump() + ",\n";
  out += "  \"period\": \"" + std::string(BarPeriodName(m.period)) + "\",\n";
  out += "  \"generation\": " + std::to_string(m.generation) + ",\n";
  out += "  \"partitions\": [";
  for (size_t i = 0; i < m.partitions.size(); ++i) {
    const BarPartitionEntry& p = m.partitions[i];
    json j;
    j["period"] = PeriodText(m.period, p.period_start);
    j["file"] = p.file;
    j["bars"] = p.bar_count;
    j["filled"] = p.filled_count;
    j["first_ts"] = p.first_ts;
    j["last_ts"] = p.last_ts;
    j["bytes"] = p.bytes;
    j["checksum"] = Hex64(p.checksum);
    j["price_decimals"] = p.price_decimals;
    out += i == 0 ? "\n    " : ",\n    ";
    out += j.dump();
  }
  out += m.partitions.empty() ? "]" : "\n  ]";
  out += ",\n  \"provenance\": [";
  for (size_t i = 0; i < m.provenance.size(); ++i) {
    out += i == 0 ? "\n    " : ",\n    ";
    out += ProvenanceJson(m.provenance[i]);
  }
  out += m.provenance.empty() ? "]" : "\n  ]";
  out += "\n}\n";
  return out;
}

Result<BarManifest> ParseBarManifest(std::string_view text, const std::string& path,
                                     std::string_view symbol, std::string_view timeframe,
                                     std::string_view side) {
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {
    return Corruption(path + ": manifest is not valid JSON: " + e.what());
  }
  if (!doc.is_object()) return Corruption(path + ": manifest is not a JSON object");
  try {
    Fields top(doc, path, "");
    ARUS_ASSIGN_OR_RETURN(std::string format, top.String("format"));
    if (format != kBarManifestFormat)
      return top.Bad("format", "expected '" + std::string(kBarManifestFormat) + "'");
    ARUS_ASSIGN_OR_RETURN(int64_t version, top.Int("version"));
    if (version != kBarManifestVersion) {
      return top.Bad("version", "unsupported bar manifest version " + std::to_string(version) +
                                    " (this build reads version " +
                                    std::to_string(kBarManifestVersion) + ")");
    }
    BarManifest m;
    ARUS_ASSIGN_OR_RETURN(m.symbol, top.String("symbol"));
    ARUS_ASSIGN_OR_RETURN(m.timeframe, top.String("timeframe"));
    ARUS_ASSIGN_OR_RETURN(m.side, top.String("side"));
    if (m.symbol != symbol || m.timeframe != timeframe || m.side != side) {
      return top.Bad("symbol", "series '" + m.symbol + "/" + m.timeframe + "." + m.side +
                                   "' does not match directory '" + std::string(symbol) + "/" +
                                   std::string(timeframe) + "." + std::string(side) + "'");
    }
    ARUS_ASSIGN_OR_RETURN(std::string period, top.String("period"));
    if (!ParseBarPeriod(period, &m.period)) return top.Bad("period", "not 'month' or 'year'");
    ARUS_ASSIGN_OR_RETURN(m.generation, top.Unsigned("generation"));
    ARUS_ASSIGN_OR_RETURN(const json* parts, top.Get("partitions"));
    if (!parts->is_array()) return top.Bad("partitions", "not an array");
    for (size_t i = 0; i < parts->size(); ++i) {
      const json& pj = (*parts)[i];
      const std::string where = "partition " + std::to_string(i) + ": ";
      if (!pj.is_object()) return Corruption(path + ": " + where + "not an object");
      Fields f(pj, path, where);
      BarPartitionEntry p;
      ARUS_ASSIGN_OR_RETURN(std::string ptext, f.String("period"));
      if (!ParsePeriodText(ptext, m.period, &p.period_start)) {
        return f.Bad("period", m.period == BarPeriod::kYear ? "not YYYY" : "not YYYY-MM");
      }
      ARUS_ASSIGN_OR_RETURN(p.file, f.String("file"));
      int64_t file_start;
      if (!ParseBarPartitionFileName(p.file, m.period, &file_start, &p.generation) ||
          file_start != p.period_start || p.generation > m.generation) {
        return f.Bad("file", "'" + p.file + "' is not a bar partition file name for " + ptext +
                                 " at generation <= " + std::to_string(m.generation));
      }
      ARUS_ASSIGN_OR_RETURN(p.bar_count, f.Int("bars"));
      if (p.bar_count <= 0) return f.Bad("bars", "must be positive");
      ARUS_ASSIGN_OR_RETURN(p.filled_count, f.Int("filled"));
      if (p.filled_count < 0 || p.filled_count > p.bar_count) {
        return f.Bad("filled", "not in [0, bars]");
      }
      ARUS_ASSIGN_OR_RETURN(p.first_ts, f.Int("first_ts"));
      ARUS_ASSIGN_OR_RETURN(p.last_ts, f.Int("last_ts"));
      if (p.first_ts > p.last_ts) return f.Bad("last_ts", "before first_ts");
      ARUS_ASSIGN_OR_RETURN(p.bytes, f.Unsigned("bytes"));
      if (p.bytes == 0) return f.Bad("bytes", "must be positive");
      ARUS_ASSIGN_OR_RETURN(std::string sum, f.String("checksum"));
      if (!ParseHex64(sum, &p.checksum)) return f.Bad("checksum", "not 16 lowercase hex digits");
      ARUS_ASSIGN_OR_RETURN(int64_t dec, f.Int("price_decimals"));
      if (dec < 0 || dec > 9) return f.Bad("price_decimals", "not in [0, 9]");
      p.price_decimals = static_cast<int>(dec);
      if (!m.partitions.empty()) {
        const BarPartitionEntry& prev = m.partitions.back();
        if (p.period_start <= prev.period_start || p.first_ts <= prev.last_ts) {
          return Corruption(path + ": " + where + "not after the previous partition");
        }
      }
      m.partitions.push_back(std::move(p));
    }
    ARUS_ASSIGN_OR_RETURN(const json* prov, top.Get("provenance"));
    ARUS_ASSIGN_OR_RETURN(m.provenance, ParseProvenance(*prov, top, path, m.generation));
    return m;
  } catch (const json::exception& e) {
    return Corruption(path + ": manifest: " + e.what());
  }
}

}  // namespace arus::store
