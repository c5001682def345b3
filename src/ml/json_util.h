// Internal to ml/: small helpers shared by the pipeline's JSON state (model.json, preprocessing,
// calibration, learner extras) and by the learners wrapping C libraries (libsvm, liblinear).
//
// Doubles are stored so that they read back bit for bit: finite values as JSON numbers
// (nlohmann writes the shortest text that round-trips), NaN as null, +-infinity as the strings
// "inf" / "-inf" (JSON has no infinities; nlohmann would write null for them).
// Thread-safety: pure functions, except CLibraryMutex which is the one process-wide lock.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/json_depth.h"

namespace arus::ml {

inline nlohmann::json JsonFromDouble(double v) {
  if (std::isnan(v)) return nullptr;
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

// False when `j` is none of: number, null (NaN), "inf", "-inf", "nan".
inline bool DoubleFromJson(const nlohmann::json& j, double* out) {
  if (j.is_number()) {
    *out = j.get<double>();
    return true;
  }
  if (j.is_null()) {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (s == "inf" || s == "-inf") {
      *out = s[0] == '-' ? -std::numeric_limits<double>::infinity()
                         : std::numeric_limits<double>::infinity();
      return true;
    }
    if (s == "nan") {
      *out = std::numeric_limits<double>::quiet_NaN();
      return true;
    }
  }
  return false;
}

inline nlohmann::json JsonFromDoubles(const std::vector<double>& v) {
  nlohmann::json a = nlohmann::json::array();
  for (double x : v) a.push_back(JsonFromDouble(x));
  return a;
}

// False unless `j` is an array of doubles (as DoubleFromJson) of length `expect` (any length when
// expect is SIZE_MAX).
inline bool DoublesFromJson(const nlohmann::json& j, size_t expect, std::vector<double>* out) {
  if (!j.is_array()) return false;
  if (expect != SIZE_MAX && j.size() != expect) return false;
  out->clear();
  out->reserve(j.size());
  for (const nlohmann::json& e : j) {
    double v;
    if (!DoubleFromJson(e, &v)) return false;
    out->push_back(v);
  }
  return true;
}

// libsvm and liblinear keep process-wide state: their randomised solvers draw from the C library's
// rand() (seeded with srand() right before training for reproducibility), and their model
// save/load switch the global C locale while they run. Every call into either library that trains,
// saves or loads holds this lock.
inline std::mutex& CLibraryMutex() {
  static std::mutex m;
  return m;
}

// splitmix64: a small, fast, seedable generator for reproducible shuffles inside ml/.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : s_(seed) {}
  uint64_t Next() {
    uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n) (n > 0); the modulo bias is irrelevant for shuffles of this size.
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t s_;
};

}  // namespace arus::ml
