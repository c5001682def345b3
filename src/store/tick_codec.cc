#include "store/tick_codec.h"

#include <xxhash.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdio>
#include <cstring>
#include <limits>

#include "store/column_format.h"

namespace arus::store {
namespace {

using colfmt::Cursor;
using colfmt::IntColumn;
using colfmt::kIntColumnHeader;
using colfmt::Load;
using colfmt::Put;
using colfmt::ReadIntColumn;
using colfmt::TimeDeltasInUnits;
using colfmt::UnZigZag;
using colfmt::WidthStats;
using colfmt::WriteIntColumn;
using colfmt::ZigZag;

// ---- little helpers -----------------------------------------------------------------------------

constexpr size_t kFloatColumnHeader = 8;    // u8 mode, u8 width, u16 0, u32 dict_size
constexpr uint32_t kMaxDecodeDict = 65536;  // largest dictionary the decoder accepts
constexpr uint32_t kMaxEncodeDict = 4096;   // largest dictionary the encoder builds
constexpr size_t kChunk = 1024;             // ticks decoded per pass: 32 KiB of output stays in L1

constexpr uint8_t kTransformSpread = 1;
constexpr uint8_t kTransformDelta = 2;
constexpr uint8_t kFloatDict = 0;
constexpr uint8_t kFloatRaw = 1;

constexpr std::array<uint64_t, 10> kPow10 = {1,      10,      100,      1000,      10000,
                                             100000, 1000000, 10000000, 100000000, 1000000000};

// Scratch vectors reused across encodes on the same thread (no per-block allocation).
struct Scratch {
  std::vector<uint64_t> a, b, c, exc;
  std::vector<uint32_t> dict_keys;
  std::vector<uint16_t> dict_slots;  // index + 1 into dict_keys; 0 = empty
  std::vector<uint16_t> dict_index;
};
Scratch& LocalScratch() {
  thread_local Scratch s;
  return s;
}

// ---- integer columns ----------------------------------------------------------------------------

// The three candidate price columns in one pass: bid deltas, ask as spread, ask as deltas
// (zigzag, wrapping arithmetic so any int64 works), with their width statistics. Prices are
// raw / M, exact by precondition.
struct PriceColumns {
  WidthStats bid, spread, delta;
  int64_t bid0 = 0, ask0 = 0;
};

template <int64_t M>
void ScalePriceColumns(std::span<const QuoteTick> ticks, bool want_spread, bool want_delta,
                       Scratch* s, PriceColumns* pc) {
  const size_t n = ticks.size();
  s->a.resize(n);
  s->b.resize(n);
  s->c.resize(n);
  uint64_t pb = static_cast<uint64_t>(ticks[0].bid.raw() / M);
  uint64_t pa = static_cast<uint64_t>(ticks[0].ask.raw() / M);
  pc->bid0 = static_cast<int64_t>(pb);
  pc->ask0 = static_cast<int64_t>(pa);
  for (size_t i = 0; i < n; ++i) {
    const uint64_t b = static_cast<uint64_t>(ticks[i].bid.raw() / M);
    const uint64_t a = static_cast<uint64_t>(ticks[i].ask.raw() / M);
    const uint64_t zb = ZigZag(b - pb);
    s->a[i] = zb;
    pc->bid.Add(zb);
    if (want_spread) {
      const uint64_t zs = ZigZag(a - b);
      s->b[i] = zs;
      pc->spread.Add(zs);
    }
    if (want_delta) {
      const uint64_t zd = ZigZag(a - pa);
      s->c[i] = zd;
      pc->delta.Add(zd);
    }
    pb = b;
    pa = a;
  }
}

void ScalePriceColumnsAt(int decimals, std::span<const QuoteTick> ticks, bool want_spread,
                         bool want_delta, Scratch* s, PriceColumns* pc) {
  switch (kPriceDecimals - decimals) {
    case 0:
      return ScalePriceColumns<1>(ticks, want_spread, want_delta, s, pc);
    case 1:
      return ScalePriceColumns<10>(ticks, want_spread, want_delta, s, pc);
    case 2:
      return ScalePriceColumns<100>(ticks, want_spread, want_delta, s, pc);
    case 3:
      return ScalePriceColumns<1000>(ticks, want_spread, want_delta, s, pc);
    case 4:
      return ScalePriceColumns<10000>(ticks, want_spread, want_delta, s, pc);
    case 5:
      return ScalePriceColumns<100000>(ticks, want_spread, want_delta, s, pc);
    case 6:
      return ScalePriceColumns<1000000>(ticks, want_spread, want_delta, s, pc);
    case 7:
      return ScalePriceColumns<10000000>(ticks, want_spread, want_delta, s, pc);
    case 8:
      return ScalePriceColumns<100000000>(ticks, want_spread, want_delta, s, pc);
    default:
      return ScalePriceColumns<1000000000>(ticks, want_spread, want_delta, s, pc);
  }
}

template <int64_t M>
bool AllExact(std::span<const QuoteTick> ticks) {
  bool ok = true;
  for (const QuoteTick& t : ticks) ok &= (t.bid.raw() % M == 0) & (t.ask.raw() % M == 0);
  return ok;
}
bool AllExactAt(std::span<const QuoteTick> ticks, int decimals) {
  switch (kPriceDecimals - decimals) {
    case 0:
      return true;
    case 1:
      return AllExact<10>(ticks);
    case 2:
      return AllExact<100>(ticks);
    case 3:
      return AllExact<1000>(ticks);
    case 4:
      return AllExact<10000>(ticks);
    case 5:
      return AllExact<100000>(ticks);
    case 6:
      return AllExact<1000000>(ticks);
    case 7:
      return AllExact<10000000>(ticks);
    case 8:
      return AllExact<100000000>(ticks);
    default:
      return AllExact<1000000000>(ticks);
  }
}

// ---- float (volume) columns ---------------------------------------------------------------------

void WriteFloatColumn(std::span<const QuoteTick> ticks, bool ask_side, std::string* out) {
  Scratch& s = LocalScratch();
  const size_t n = ticks.size();
  auto bits_at = [&](size_t i) {
    return std::bit_cast<uint32_t>(ask_side ? ticks[i].ask_volume : ticks[i].bid_volume);
  };
  // Dictionary only pays off when it is much smaller than the column.
  const size_t limit = std::min<size_t>(kMaxEncodeDict, std::max<size_t>(1, n / 4));
  constexpr size_t kSlots = 2 * kMaxEncodeDict;  // power of two, load factor <= 1/2
  s.dict_keys.clear();
  s.dict_slots.assign(kSlots, 0);
  s.dict_index.resize(n);
  bool use_dict = true;
  uint32_t prev_key = 0;
  uint16_t prev_index = 0xFFFF;  // runs of equal volumes skip the hash lookup
  for (size_t i = 0; i < n; ++i) {
    const uint32_t key = bits_at(i);
    if (key == prev_key && prev_index != 0xFFFF) {
      s.dict_index[i] = prev_index;
      continue;
    }
    size_t slot = (key * 0x9E3779B1u) >> (32 - 13);
    while (true) {
      const uint16_t e = s.dict_slots[slot];
      if (e == 0) {
        if (s.dict_keys.size() == limit) {
          use_dict = false;
          break;
        }
        s.dict_keys.push_back(key);
        s.dict_slots[slot] = static_cast<uint16_t>(s.dict_keys.size());
        s.dict_index[i] = static_cast<uint16_t>(s.dict_keys.size() - 1);
        break;
      }
      if (s.dict_keys[e - 1] == key) {
        s.dict_index[i] = static_cast<uint16_t>(e - 1);
        break;
      }
      slot = (slot + 1) & (kSlots - 1);
    }
    if (!use_dict) break;
    prev_key = key;
    prev_index = s.dict_index[i];
  }
  if (use_dict) {
    const uint32_t dict_size = static_cast<uint32_t>(s.dict_keys.size());
    const uint8_t width = dict_size == 1 ? 0 : dict_size <= 256 ? 1 : 2;
    out->push_back(static_cast<char>(kFloatDict));
    out->push_back(static_cast<char>(width));
    Put<uint16_t>(out, 0);
    Put<uint32_t>(out, dict_size);
    for (uint32_t k : s.dict_keys) Put<uint32_t>(out, k);
    if (width == 1) {
      const size_t start = out->size();
      out->resize(start + n);
      for (size_t i = 0; i < n; ++i) (*out)[start + i] = static_cast<char>(s.dict_index[i]);
    } else if (width == 2) {
      const size_t start = out->size();
      out->resize(start + 2 * n);
      std::memcpy(out->data() + start, s.dict_index.data(), 2 * n);
    }
    return;
  }
  out->push_back(static_cast<char>(kFloatRaw));
  out->push_back(4);
  Put<uint16_t>(out, 0);
  Put<uint32_t>(out, 0);
  const size_t start = out->size();
  out->resize(start + 4 * n);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t b = bits_at(i);
    std::memcpy(out->data() + start + 4 * i, &b, 4);
  }
}

// ---- decoding -----------------------------------------------------------------------------------

// The exceptions of a column, consumed in order.
struct ExcCursor {
  const uint8_t* p = nullptr;
  uint32_t left = 0;
};

template <int W>
struct UintOf;
template <>
struct UintOf<1> {
  using T = uint8_t;
};
template <>
struct UintOf<2> {
  using T = uint16_t;
};
template <>
struct UintOf<4> {
  using T = uint32_t;
};
template <>
struct UintOf<8> {
  using T = uint64_t;
};

// Value i of a column of width W (0 = all zero). With kExc, the all-ones marker takes the next
// exception; false when none is left.
template <int W, bool kExc>
[[gnu::always_inline]] inline bool Fetch(const uint8_t* p, size_t i, ExcCursor* exc, uint64_t* v) {
  if constexpr (W == 0) {
    *v = 0;
  } else {
    using T = typename UintOf<W>::T;
    const T raw = Load<T>(p + i * W);
    *v = raw;
    if constexpr (kExc) {
      if (raw == std::numeric_limits<T>::max()) [[unlikely]] {
        if (exc->left == 0) return false;
        *v = Load<uint64_t>(exc->p);
        exc->p += 8;
        --exc->left;
      }
    }
  }
  return true;
}

// Column kernels over one chunk. Small separate functions keep every piece of state in registers.
template <int W, bool kExc>
struct TsKernel {
  [[gnu::noinline]] static bool Run(const uint8_t* p, size_t m, ExcCursor* exc, uint64_t unit,
                                    uint64_t* state, QuoteTick* __restrict o) {
    uint64_t t = *state;
    for (size_t i = 0; i < m; ++i) {
      uint64_t v;
      if (!Fetch<W, kExc>(p, i, exc, &v)) return false;
      t += v * unit;
      o[i].ts_event = UnixNanos(static_cast<int64_t>(t));
    }
    *state = t;
    return true;
  }
};

template <int W, bool kExc>
struct BidKernel {
  [[gnu::noinline]] static bool Run(const uint8_t* p, size_t m, ExcCursor* exc, uint64_t mult,
                                    uint64_t* state, QuoteTick* __restrict o) {
    uint64_t b = *state;
    for (size_t i = 0; i < m; ++i) {
      uint64_t v;
      if (!Fetch<W, kExc>(p, i, exc, &v)) return false;
      b += UnZigZag(v);
      o[i].bid = Price::FromRaw(static_cast<int64_t>(b * mult));
    }
    *state = b;
    return true;
  }
};

template <int W, bool kExc>
struct AskSpreadKernel {
  [[gnu::noinline]] static bool Run(const uint8_t* p, size_t m, ExcCursor* exc, uint64_t mult,
                                    uint64_t* /*state*/, QuoteTick* __restrict o) {
    for (size_t i = 0; i < m; ++i) {
      uint64_t v;
      if (!Fetch<W, kExc>(p, i, exc, &v)) return false;
      o[i].ask = Price::FromRaw(
          static_cast<int64_t>(static_cast<uint64_t>(o[i].bid.raw()) + UnZigZag(v) * mult));
    }
    return true;
  }
};

template <int W, bool kExc>
struct AskDeltaKernel {
  [[gnu::noinline]] static bool Run(const uint8_t* p, size_t m, ExcCursor* exc, uint64_t mult,
                                    uint64_t* state, QuoteTick* __restrict o) {
    uint64_t a = *state;
    for (size_t i = 0; i < m; ++i) {
      uint64_t v;
      if (!Fetch<W, kExc>(p, i, exc, &v)) return false;
      a += UnZigZag(v);
      o[i].ask = Price::FromRaw(static_cast<int64_t>(a * mult));
    }
    *state = a;
    return true;
  }
};

template <template <int, bool> class K>
bool RunKernel(const IntColumn& col, size_t begin, size_t m, ExcCursor* exc, uint64_t k,
               uint64_t* state, QuoteTick* o) {
  const bool e = exc->left > 0;
  switch (col.width) {
    case 0:
      return K<0, false>::Run(nullptr, m, exc, k, state, o);
    case 1:
      return e ? K<1, true>::Run(col.values + begin, m, exc, k, state, o)
               : K<1, false>::Run(col.values + begin, m, exc, k, state, o);
    case 2:
      return e ? K<2, true>::Run(col.values + 2 * begin, m, exc, k, state, o)
               : K<2, false>::Run(col.values + 2 * begin, m, exc, k, state, o);
    case 4:
      return e ? K<4, true>::Run(col.values + 4 * begin, m, exc, k, state, o)
               : K<4, false>::Run(col.values + 4 * begin, m, exc, k, state, o);
    default:
      return K<8, false>::Run(col.values + 8 * begin, m, exc, k, state, o);
  }
}

struct FloatColumn {
  uint8_t mode = 0;
  int width = 0;
  uint32_t dict_size = 0;
  std::array<float, 256> table{};  // width 1: dictionary padded to 256 entries
  const uint8_t* dict = nullptr;
  const uint8_t* values = nullptr;
};

template <typename T>
T MaxOf(const uint8_t* p, uint32_t n) {
  T mx = 0;
  for (uint32_t i = 0; i < n; ++i) mx = std::max(mx, Load<T>(p + i * sizeof(T)));
  return mx;
}

Status ReadFloatColumn(Cursor* c, uint32_t n, const char* name, FloatColumn* col) {
  const uint8_t* h = c->Take(kFloatColumnHeader);
  if (h == nullptr) return Corruption(std::string("payload ends in column header of ") + name);
  col->mode = h[0];
  col->width = h[1];
  col->dict_size = Load<uint32_t>(h + 4);
  if (col->mode == kFloatRaw) {
    if (col->width != 4 || col->dict_size != 0) {
      return Corruption(std::string("bad raw layout in column ") + name);
    }
  } else if (col->mode == kFloatDict) {
    const uint32_t cap = col->width == 0 ? 1 : col->width == 1 ? 256 : kMaxDecodeDict;
    if (col->width > 2 || col->dict_size == 0 || col->dict_size > cap) {
      return Corruption(std::string("bad dictionary layout in column ") + name);
    }
  } else {
    return Corruption(std::string("bad mode in column ") + name);
  }
  col->dict = c->Take(static_cast<uint64_t>(col->dict_size) * 4);
  col->values = c->Take(static_cast<uint64_t>(n) * col->width);
  if (col->dict == nullptr || col->values == nullptr) {
    return Corruption(std::string("payload ends inside column ") + name);
  }
  if (col->mode == kFloatDict) {
    // Reject out-of-range indices once, up front, so the hot loop needs no check.
    if (col->width == 1) {
      if (MaxOf<uint8_t>(col->values, n) >= col->dict_size) {
        return Corruption(std::string("bad index in column ") + name);
      }
      col->table.fill(0.0f);
      std::memcpy(col->table.data(), col->dict, col->dict_size * 4);
    } else if (col->width == 2) {
      if (MaxOf<uint16_t>(col->values, n) >= col->dict_size) {
        return Corruption(std::string("bad index in column ") + name);
      }
    }
  }
  return Status::Ok();
}

template <bool kAsk>
[[gnu::always_inline]] inline void SetVolume(QuoteTick* o, float v) {
  if constexpr (kAsk) {
    o->ask_volume = v;
  } else {
    o->bid_volume = v;
  }
}

template <bool kAsk>
[[gnu::noinline]] void DecodeFloats(const FloatColumn& col, size_t begin, size_t m,
                                    QuoteTick* __restrict out) {
  if (col.mode == kFloatRaw) {
    const uint8_t* p = col.values + 4 * begin;
    for (size_t i = 0; i < m; ++i) SetVolume<kAsk>(out + i, Load<float>(p + 4 * i));
  } else if (col.width == 0) {
    const float v = Load<float>(col.dict);
    for (size_t i = 0; i < m; ++i) SetVolume<kAsk>(out + i, v);
  } else if (col.width == 1) {
    const uint8_t* p = col.values + begin;
    const float* table = col.table.data();
    for (size_t i = 0; i < m; ++i) SetVolume<kAsk>(out + i, table[p[i]]);
  } else {
    const uint8_t* p = col.values + 2 * begin;
    for (size_t i = 0; i < m; ++i) {
      SetVolume<kAsk>(out + i, Load<float>(col.dict + 4 * Load<uint16_t>(p + 2 * i)));
    }
  }
}

}  // namespace

// ---- public -------------------------------------------------------------------------------------

uint64_t Checksum(std::string_view data) { return XXH64(data.data(), data.size(), 0); }

int RequiredDecimals(std::span<const QuoteTick> ticks, int hint) {
  int d = std::clamp(hint, 0, kPriceDecimals);
  while (d <= kPriceDecimals && !AllExactAt(ticks, d)) ++d;
  return d;
}

uint64_t MaxPayloadSize(uint64_t n) {
  return 3 * (kIntColumnHeader + 16 * n) + 2 * (kFloatColumnHeader + 4ull * kMaxDecodeDict + 4 * n);
}

void EncodePayload(std::span<const QuoteTick> ticks, int decimals, AskEncoding ask_encoding,
                   std::string* out, size_t* column_ends) {
  size_t ends_scratch[kColumnCount];
  size_t* ends = column_ends != nullptr ? column_ends : ends_scratch;
  Scratch& s = LocalScratch();
  const size_t n = ticks.size();
  out->clear();
  out->reserve(n * 12 + 256);

  // Timestamps: unsigned deltas from the previous tick in units of 10^k ns.
  s.c.resize(n);
  s.c[0] = 0;
  for (size_t i = 1; i < n; ++i) {
    s.c[i] = static_cast<uint64_t>(ticks[i].ts_event.ns()) -
             static_cast<uint64_t>(ticks[i - 1].ts_event.ns());
  }
  WidthStats ts_stats;
  const int unit = TimeDeltasInUnits(s.c, &s.a, &ts_stats);
  WriteIntColumn(s.a, ts_stats, static_cast<uint8_t>(unit),
                 static_cast<uint64_t>(ticks[0].ts_event.ns()), out, &s.exc);
  ends[0] = out->size();

  // Prices: bid deltas, and the ask as a spread over the same tick's bid or as its own deltas,
  // whichever packs smaller (ties: spread).
  PriceColumns pc;
  ScalePriceColumnsAt(decimals, ticks, ask_encoding != AskEncoding::kDelta,
                      ask_encoding != AskEncoding::kSpread, &s, &pc);
  WriteIntColumn(s.a, pc.bid, 0, static_cast<uint64_t>(pc.bid0), out, &s.exc);
  ends[1] = out->size();
  bool spread = ask_encoding == AskEncoding::kSpread;
  if (ask_encoding == AskEncoding::kAuto) {
    uint64_t cost_spread, cost_delta;
    pc.spread.Choose(&cost_spread);
    pc.delta.Choose(&cost_delta);
    spread = cost_spread <= cost_delta;
  }
  if (spread) {
    WriteIntColumn(s.b, pc.spread, kTransformSpread, 0, out, &s.exc);
  } else {
    WriteIntColumn(s.c, pc.delta, kTransformDelta, static_cast<uint64_t>(pc.ask0), out, &s.exc);
  }

  ends[2] = out->size();
  WriteFloatColumn(ticks, /*ask_side=*/false, out);
  ends[3] = out->size();
  WriteFloatColumn(ticks, /*ask_side=*/true, out);
  ends[4] = out->size();
}

Status DecodePayload(std::string_view payload, int decimals, uint32_t n, QuoteTick* out) {
  if (n == 0 || n > kMaxBlockTicks) return Corruption("bad tick count " + std::to_string(n));
  if (decimals < 0 || decimals > kPriceDecimals) return Corruption("bad price decimals");
  Cursor cur(payload);
  IntColumn ts, bid, ask;
  ARUS_RETURN_IF_ERROR(ReadIntColumn(&cur, n, "ts", &ts));
  ARUS_RETURN_IF_ERROR(ReadIntColumn(&cur, n, "bid", &bid));
  ARUS_RETURN_IF_ERROR(ReadIntColumn(&cur, n, "ask", &ask));
  FloatColumn bid_vol, ask_vol;
  ARUS_RETURN_IF_ERROR(ReadFloatColumn(&cur, n, "bid_volume", &bid_vol));
  ARUS_RETURN_IF_ERROR(ReadFloatColumn(&cur, n, "ask_volume", &ask_vol));
  if (cur.left() != 0) return Corruption("payload has trailing bytes");
  if (ts.transform > 9) return Corruption("bad time unit in column ts");
  if (bid.transform != 0) return Corruption("bad transform in column bid");
  if (ask.transform != kTransformSpread && ask.transform != kTransformDelta) {
    return Corruption("bad transform in column ask");
  }

  const uint64_t unit = kPow10[ts.transform];
  const uint64_t mult = kPow10[kPriceDecimals - decimals];
  uint64_t t = ts.base;
  uint64_t b = bid.base;
  uint64_t a = ask.base;
  ExcCursor ts_exc{ts.exc, ts.exc_count};
  ExcCursor bid_exc{bid.exc, bid.exc_count};
  ExcCursor ask_exc{ask.exc, ask.exc_count};
  const bool spread = ask.transform == kTransformSpread;
  for (size_t begin = 0; begin < n; begin += kChunk) {
    const size_t m = std::min<size_t>(kChunk, n - begin);
    QuoteTick* o = out + begin;
    bool ok = RunKernel<TsKernel>(ts, begin, m, &ts_exc, unit, &t, o);
    ok &= RunKernel<BidKernel>(bid, begin, m, &bid_exc, mult, &b, o);
    if (spread) {
      ok &= RunKernel<AskSpreadKernel>(ask, begin, m, &ask_exc, mult, &a, o);
    } else {
      ok &= RunKernel<AskDeltaKernel>(ask, begin, m, &ask_exc, mult, &a, o);
    }
    if (!ok) return Corruption("column refers to a missing exception");
    DecodeFloats<false>(bid_vol, begin, m, o);
    DecodeFloats<true>(ask_vol, begin, m, o);
  }
  if (ts_exc.left != 0 || bid_exc.left != 0 || ask_exc.left != 0) {
    return Corruption("column holds unused exceptions");
  }
  return Status::Ok();
}

BlockEncoder::BlockEncoder(int zstd_level, AskEncoding ask_encoding)
    : level_(zstd_level),
      ask_encoding_(ask_encoding),
      zstd_(std::make_unique<colfmt::ZstdColumns>()) {}

BlockEncoder::~BlockEncoder() = default;

Status BlockEncoder::Encode(std::span<const QuoteTick> ticks, int decimals, std::string* out,
                            EncodedBlock* meta) {
  if (ticks.empty() || ticks.size() > kMaxBlockTicks) {
    return Internal("block of " + std::to_string(ticks.size()) + " ticks");
  }
  size_t ends[kColumnCount];
  EncodePayload(ticks, decimals, ask_encoding_, &payload_, ends);
  const size_t start = out->size();
  ARUS_ASSIGN_OR_RETURN(const size_t r, zstd_->Compress(payload_, ends, kColumnCount, level_, out));
  meta->tick_count = static_cast<uint32_t>(ticks.size());
  meta->raw_size = static_cast<uint32_t>(payload_.size());
  meta->first_ts = ticks.front().ts_event.ns();
  meta->last_ts = ticks.back().ts_event.ns();
  meta->checksum = Checksum(std::string_view(out->data() + start, r));
  return Status::Ok();
}

BlockDecoder::BlockDecoder() : zstd_(std::make_unique<colfmt::ZstdColumns>()) {}

BlockDecoder::~BlockDecoder() = default;

Status BlockDecoder::Decode(std::string_view stored, uint64_t checksum, uint32_t raw_size,
                            uint32_t n, int decimals, std::vector<QuoteTick>* out) {
  ARUS_RETURN_IF_ERROR(VerifyChecksum(stored, checksum));
  if (n == 0 || n > kMaxBlockTicks) return Corruption("bad tick count " + std::to_string(n));
  if (raw_size > MaxPayloadSize(n)) return Corruption("implausible payload size");
  ARUS_RETURN_IF_ERROR(zstd_->Decompress(stored, raw_size, &payload_));
  out->resize(n);
  return DecodePayload(payload_, decimals, n, out->data());
}

Status VerifyChecksum(std::string_view stored, uint64_t checksum) {
  const uint64_t actual = Checksum(stored);
  if (actual == checksum) return Status::Ok();
  char buf[96];
  std::snprintf(buf, sizeof buf, "checksum mismatch (stored %016llx, computed %016llx)",
                static_cast<unsigned long long>(checksum), static_cast<unsigned long long>(actual));
  return Corruption(buf);
}

}  // namespace arus::store
