// Building blocks shared by the store's block codecs (tick_codec, bar_codec): the packed integer
// column (fixed width with an exception list), zigzag, the time-delta unit search, a bounds-checked
// payload cursor, and zstd framing with one zstd block per column. Internal to src/store/; the byte
// layout is specified in docs/store-format.md ("Integer column").
// Thread-safety: pure functions; ZstdColumns holds a zstd context and belongs to one thread.
#pragma once

#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace arus::store::colfmt {

inline constexpr size_t kIntColumnHeader = 16;  // u8 width, u8 transform, u16 0, u32 exc, u64 base

inline uint64_t ZigZag(uint64_t wrapped_diff) {
  const int64_t d = static_cast<int64_t>(wrapped_diff);
  return (static_cast<uint64_t>(d) << 1) ^ static_cast<uint64_t>(d >> 63);
}
inline uint64_t UnZigZag(uint64_t z) { return (z >> 1) ^ (0 - (z & 1)); }

template <typename T>
inline T Load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T>
inline void Put(std::string* out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

// Width in bytes (0, 1, 2, 4 or 8) minimising n*width + 8*exceptions, where a value is an exception
// when it does not fit below its width's all-ones marker. Counted while values are produced (no
// extra pass), branch-free because market data makes these comparisons unpredictable.
struct WidthStats {
  uint64_t n = 0, nonzero = 0, ge1 = 0, ge2 = 0, ge4 = 0;

  void Add(uint64_t x) {
    ++n;
    nonzero += x != 0;
    ge1 += x >= 0xFF;
    ge2 += x >= 0xFFFF;
    ge4 += x >= 0xFFFFFFFFull;
  }
  // Chosen width; `cost` receives the packed size in bytes.
  int Choose(uint64_t* cost) const {
    struct Option {
      int width;
      uint64_t cost;
    };
    Option best{8, n * 8};
    const Option options[] = {{4, n * 4 + 8 * ge4}, {2, n * 2 + 8 * ge2}, {1, n + 8 * ge1}};
    for (const Option& o : options) {
      if (o.cost <= best.cost) best = o;
    }
    if (nonzero == 0) best = {0, 0};
    *cost = best.cost;
    return best.width;
  }
};

template <typename T>
void PackValues(const std::vector<uint64_t>& v, std::string* out, std::vector<uint64_t>* exc) {
  const size_t start = out->size();
  out->resize(start + v.size() * sizeof(T));
  uint8_t* p = reinterpret_cast<uint8_t*>(out->data() + start);
  constexpr uint64_t kMarker = std::numeric_limits<T>::max();
  for (size_t i = 0; i < v.size(); ++i) {
    T t;
    if constexpr (sizeof(T) == 8) {
      t = v[i];
    } else if (v[i] < kMarker) {
      t = static_cast<T>(v[i]);
    } else {
      t = static_cast<T>(kMarker);
      exc->push_back(v[i]);
    }
    std::memcpy(p + i * sizeof(T), &t, sizeof(T));
  }
}

// Appends an integer column holding `v` (whose widths `stats` counted).
inline void WriteIntColumn(const std::vector<uint64_t>& v, const WidthStats& stats,
                           uint8_t transform, uint64_t base, std::string* out,
                           std::vector<uint64_t>* exc_scratch) {
  uint64_t cost;
  const int width = stats.Choose(&cost);
  exc_scratch->clear();
  const size_t header = out->size();
  out->append(kIntColumnHeader, '\0');
  switch (width) {
    case 0:
      break;
    case 1:
      PackValues<uint8_t>(v, out, exc_scratch);
      break;
    case 2:
      PackValues<uint16_t>(v, out, exc_scratch);
      break;
    case 4:
      PackValues<uint32_t>(v, out, exc_scratch);
      break;
    default:
      PackValues<uint64_t>(v, out, exc_scratch);
      break;
  }
  for (uint64_t e : *exc_scratch) Put<uint64_t>(out, e);
  uint8_t* h = reinterpret_cast<uint8_t*>(out->data() + header);
  h[0] = static_cast<uint8_t>(width);
  h[1] = transform;
  const uint32_t exc_count = static_cast<uint32_t>(exc_scratch->size());
  std::memcpy(h + 4, &exc_count, 4);
  std::memcpy(h + 8, &base, 8);
}

// Same, counting the widths itself.
inline void WriteIntColumn(const std::vector<uint64_t>& v, uint8_t transform, uint64_t base,
                           std::string* out, std::vector<uint64_t>* exc_scratch) {
  WidthStats stats;
  for (uint64_t x : v) stats.Add(x);
  WriteIntColumn(v, stats, transform, base, out, exc_scratch);
}

// Writes in[i] / P to `out` and counts widths; false (stats untouched) if some value is not a
// multiple of P.
template <uint64_t P>
bool TryDivideAll(const std::vector<uint64_t>& in, std::vector<uint64_t>* out, WidthStats* st) {
  for (size_t i = 0; i < in.size(); ++i) {
    const uint64_t q = in[i] / P;
    if (q * P != in[i]) return false;
    (*out)[i] = q;
  }
  for (uint64_t q : *out) st->Add(q);
  return true;
}

// Time deltas in units of the largest 10^k ns (k in [0, 9]) dividing all of them; returns k.
inline int TimeDeltasInUnits(const std::vector<uint64_t>& d, std::vector<uint64_t>* out,
                             WidthStats* st) {
  out->resize(d.size());
  if (TryDivideAll<1000000000>(d, out, st)) return 9;
  if (TryDivideAll<100000000>(d, out, st)) return 8;
  if (TryDivideAll<10000000>(d, out, st)) return 7;
  if (TryDivideAll<1000000>(d, out, st)) return 6;
  if (TryDivideAll<100000>(d, out, st)) return 5;
  if (TryDivideAll<10000>(d, out, st)) return 4;
  if (TryDivideAll<1000>(d, out, st)) return 3;
  if (TryDivideAll<100>(d, out, st)) return 2;
  if (TryDivideAll<10>(d, out, st)) return 1;
  *out = d;
  for (uint64_t x : d) st->Add(x);
  return 0;
}

// Bounds-checked reader over a payload.
class Cursor {
 public:
  explicit Cursor(std::string_view s)
      : p_(reinterpret_cast<const uint8_t*>(s.data())), left_(s.size()) {}
  const uint8_t* Take(uint64_t n) {
    if (n > left_) return nullptr;
    const uint8_t* r = p_;
    p_ += n;
    left_ -= n;
    return r;
  }
  size_t left() const { return left_; }

 private:
  const uint8_t* p_;
  size_t left_;
};

struct IntColumn {
  int width = 0;
  uint8_t transform = 0;
  uint64_t base = 0;
  const uint8_t* values = nullptr;
  const uint8_t* exc = nullptr;
  uint32_t exc_count = 0;
};

// Parses the header of an integer column of `n` values and takes its bytes from the cursor.
inline Status ReadIntColumn(Cursor* c, uint32_t n, const char* name, IntColumn* col) {
  const uint8_t* h = c->Take(kIntColumnHeader);
  if (h == nullptr) return Corruption(std::string("payload ends in column header of ") + name);
  col->width = h[0];
  col->transform = h[1];
  col->exc_count = Load<uint32_t>(h + 4);
  col->base = Load<uint64_t>(h + 8);
  if (col->width != 0 && col->width != 1 && col->width != 2 && col->width != 4 && col->width != 8) {
    return Corruption(std::string("bad width ") + std::to_string(col->width) + " in column " +
                      name);
  }
  if (col->exc_count > n || (col->exc_count > 0 && (col->width == 0 || col->width == 8))) {
    return Corruption(std::string("bad exception count in column ") + name);
  }
  col->values = c->Take(static_cast<uint64_t>(n) * col->width);
  col->exc = c->Take(static_cast<uint64_t>(col->exc_count) * 8);
  if (col->values == nullptr || col->exc == nullptr) {
    return Corruption(std::string("payload ends inside column ") + name);
  }
  return Status::Ok();
}

// Unpacks all `n` values of a column (escapes resolved) into out[0, n). Corruption when an
// escape has no exception left or exceptions are left unused.
Status UnpackIntColumn(const IntColumn& col, uint32_t n, const char* name, uint64_t* out);

// One zstd frame per block, flushed at every column boundary so each zstd block (with its own
// entropy tables) holds one column: smaller and faster to decode than mixed blocks.
class ZstdColumns {
 public:
  ZstdColumns();
  ~ZstdColumns();
  ZstdColumns(const ZstdColumns&) = delete;
  ZstdColumns& operator=(const ZstdColumns&) = delete;

  // Appends the compressed `payload` to `out`; column k ends at ends[k] (ends[count-1] ==
  // payload.size()). Returns the number of bytes appended.
  Result<size_t> Compress(std::string_view payload, const size_t* ends, int count, int level,
                          std::string* out);
  // Decompresses `stored` into exactly `raw_size` bytes of `payload`.
  Status Decompress(std::string_view stored, uint32_t raw_size, std::string* payload);

 private:
  void* cctx_ = nullptr;  // ZSTD_CCtx, created on first use
  void* dctx_ = nullptr;  // ZSTD_DCtx, created on first use
};

}  // namespace arus::store::colfmt
