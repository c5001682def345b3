#include "store/manifest.h"

#include <charconv>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/time.h"

namespace arus::store {
namespace {

using nlohmann::json;

constexpr char kManifestFormat[] = "arus-tick-manifest";

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
  out += "  \"version\": " + std::to_string(kManifestVersion) + ",\n";
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
  out += m.partitions.empty() ? "]\n}\n" : "\n  ]\n}\n";
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
    if (version != kManifestVersion) {
      return top.Bad("version", "unsupported manifest version " + std::to_string(version) +
                                    " (this build reads version " +
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
    return m;
  } catch (const json::exception& e) {
    return Corruption(path + ": manifest: " + e.what());
  }
}

}  // namespace arus::store
