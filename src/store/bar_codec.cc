#include "store/bar_codec.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "store/column_format.h"

namespace arus::store {
namespace {

using colfmt::Cursor;
using colfmt::IntColumn;
using colfmt::kIntColumnHeader;
using colfmt::UnZigZag;
using colfmt::WidthStats;
using colfmt::WriteIntColumn;
using colfmt::ZigZag;

constexpr const char* kColumnNames[kBarColumnCount] = {
    "ts_open",    "duration",   "open",   "close",       "high", "low",
    "spread_max", "tick_count", "volume", "spread_mean", "flags"};

inline uint64_t U(int64_t v) { return static_cast<uint64_t>(v); }

bool ExactAt(std::span<const Bar> bars, int decimals) {
  const int64_t m = Pow10(kPriceDecimals - decimals);
  bool ok = true;
  for (const Bar& b : bars) {
    ok &= (b.open.raw() % m == 0) & (b.high.raw() % m == 0) & (b.low.raw() % m == 0) &
          (b.close.raw() % m == 0) & (b.spread_max.raw() % m == 0);
  }
  return ok;
}

// Column transforms (docs/store-format.md, "Bar block").
constexpr uint8_t kRawBits = 0;    // volume, spread_mean: IEEE-754 bit patterns
constexpr uint8_t kSpreadSum = 1;  // spread_mean: zz(sum of the spreads at `decimals`)
constexpr uint8_t kDyadic = 1;     // volume: zz(volume * 2^k), k in the column's base
constexpr int kMaxDyadicShift = 100;

// The mean spread as bars::BarAggregator computes it from the raw spread sum; 0 without ticks.
double SpreadMeanOf(int64_t sum_raw, int64_t count) {
  if (count == 0) return 0.0;
  return static_cast<double>(sum_raw) / static_cast<double>(count) /
         static_cast<double>(kPriceScale);
}

// Spread sums at `decimals` (sum_raw / m) that give back every spread_mean bit for bit; false
// if some bar's mean is not of that form (then the column stores raw bits).
bool SpreadSums(std::span<const Bar> bars, int64_t m, std::vector<uint64_t>* out) {
  for (size_t i = 0; i < bars.size(); ++i) {
    const Bar& b = bars[i];
    int64_t q = 0;
    if (b.tick_count != 0) {
      const double x = b.spread_mean * static_cast<double>(b.tick_count) *
                       static_cast<double>(kPriceScale) / static_cast<double>(m);
      if (!(std::fabs(x) < 9.0e18 / static_cast<double>(m))) return false;
      q = std::llround(x);
    }
    const double back = SpreadMeanOf(q * m, b.tick_count);
    if (std::bit_cast<uint64_t>(back) != std::bit_cast<uint64_t>(b.spread_mean)) return false;
    (*out)[i] = ZigZag(U(q));
  }
  return true;
}

// Smallest k in [0, kMaxDyadicShift] with every volume * 2^k an integer below 2^53 in magnitude
// (exact both ways); -1 if there is none (NaN, infinities, -0, tiny or huge values).
int DyadicShift(std::span<const Bar> bars) {
  int k = 0;
  for (const Bar& b : bars) {
    const double v = b.volume;
    if (v == 0.0) {
      if (std::signbit(v)) return -1;
      continue;
    }
    if (!std::isfinite(v)) return -1;
    int e;
    const double mant = std::frexp(v, &e);  // v = mant * 2^e, |mant| in [0.5, 1)
    const uint64_t bits = U(static_cast<int64_t>(std::ldexp(std::fabs(mant), 53)));
    const int need = 53 - e - std::countr_zero(bits);
    k = std::max(k, need);
    if (k > kMaxDyadicShift) return -1;
  }
  const double limit = std::ldexp(1.0, 53);
  for (const Bar& b : bars) {
    if (!(std::fabs(std::ldexp(b.volume, k)) < limit)) return -1;
  }
  return k;
}

struct BarScratch {
  std::vector<uint64_t> a, b, exc;
};
BarScratch& LocalScratch() {
  thread_local BarScratch s;
  return s;
}

}  // namespace

int RequiredBarDecimals(std::span<const Bar> bars, int hint) {
  int d = std::clamp(hint, 0, kPriceDecimals);
  while (d < kPriceDecimals && !ExactAt(bars, d)) ++d;
  return d;
}

uint64_t MaxBarPayloadSize(uint64_t n) { return kBarColumnCount * (kIntColumnHeader + 16 * n); }

void EncodeBarPayload(std::span<const Bar> bars, std::span<const uint8_t> flags, int decimals,
                      std::string* out, size_t* column_ends) {
  size_t ends_scratch[kBarColumnCount];
  size_t* ends = column_ends != nullptr ? column_ends : ends_scratch;
  BarScratch& s = LocalScratch();
  const size_t n = bars.size();
  const int64_t m = Pow10(kPriceDecimals - decimals);
  out->clear();
  out->reserve(n * 24 + 512);
  s.a.resize(n);
  s.b.resize(n);
  int col = 0;
  auto end_column = [&] { ends[col++] = out->size(); };

  // ts_open: deltas in units of 10^k ns, as for ticks.
  s.b[0] = 0;
  for (size_t i = 1; i < n; ++i) s.b[i] = U(bars[i].ts_open.ns()) - U(bars[i - 1].ts_open.ns());
  WidthStats ts_stats;
  const int unit = colfmt::TimeDeltasInUnits(s.b, &s.a, &ts_stats);
  WriteIntColumn(s.a, ts_stats, static_cast<uint8_t>(unit), U(bars[0].ts_open.ns()), out, &s.exc);
  end_column();

  // duration = ts_close - ts_open (mod 2^64), as zigzag deltas from the previous bar's.
  const uint64_t dur0 = U(bars[0].ts_close.ns()) - U(bars[0].ts_open.ns());
  uint64_t prev = dur0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t d = U(bars[i].ts_close.ns()) - U(bars[i].ts_open.ns());
    s.a[i] = ZigZag(d - prev);
    prev = d;
  }
  WriteIntColumn(s.a, 0, dur0, out, &s.exc);
  end_column();

  // Prices at `decimals`: open vs the previous close, close vs open, high above and low below
  // the body. On real bars all four are a few points, so they pack to one byte.
  const uint64_t open0 = U(bars[0].open.raw() / m);
  uint64_t prev_close = open0;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t o = U(bars[i].open.raw() / m);
    const uint64_t c = U(bars[i].close.raw() / m);
    s.a[i] = ZigZag(o - prev_close);
    s.b[i] = ZigZag(c - o);
    prev_close = c;
  }
  WriteIntColumn(s.a, 0, open0, out, &s.exc);
  end_column();
  WriteIntColumn(s.b, 0, 0, out, &s.exc);
  end_column();
  for (size_t i = 0; i < n; ++i) {
    const int64_t o = bars[i].open.raw() / m;
    const int64_t c = bars[i].close.raw() / m;
    s.a[i] = ZigZag(U(bars[i].high.raw() / m) - U(std::max(o, c)));
    s.b[i] = ZigZag(U(std::min(o, c)) - U(bars[i].low.raw() / m));
  }
  WriteIntColumn(s.a, 0, 0, out, &s.exc);
  end_column();
  WriteIntColumn(s.b, 0, 0, out, &s.exc);
  end_column();

  // spread_max and tick_count: zigzag values; volume and spread_mean: IEEE-754 bit patterns
  // (width 0 when all zero, e.g. a bar file without volumes).
  for (size_t i = 0; i < n; ++i) {
    s.a[i] = ZigZag(U(bars[i].spread_max.raw() / m));
    s.b[i] = ZigZag(U(bars[i].tick_count));
  }
  WriteIntColumn(s.a, 0, 0, out, &s.exc);
  end_column();
  WriteIntColumn(s.b, 0, 0, out, &s.exc);
  end_column();
  // volume: sums of float volumes are dyadic rationals, stored as integers times 2^-k when that
  // is exact for the whole block; spread_mean: the spread sum it was computed from, when that
  // gives back every bit. Otherwise raw bit patterns (these two columns would be ~8 of the ~11
  // bytes a realistic M1 bar costs).
  const int shift = DyadicShift(bars);
  if (shift >= 0) {
    for (size_t i = 0; i < n; ++i) {
      s.a[i] = ZigZag(U(static_cast<int64_t>(std::ldexp(bars[i].volume, shift))));
    }
    WriteIntColumn(s.a, kDyadic, static_cast<uint64_t>(shift), out, &s.exc);
  } else {
    for (size_t i = 0; i < n; ++i) s.a[i] = std::bit_cast<uint64_t>(bars[i].volume);
    WriteIntColumn(s.a, kRawBits, 0, out, &s.exc);
  }
  end_column();
  if (SpreadSums(bars, m, &s.b)) {
    WriteIntColumn(s.b, kSpreadSum, 0, out, &s.exc);
  } else {
    for (size_t i = 0; i < n; ++i) s.b[i] = std::bit_cast<uint64_t>(bars[i].spread_mean);
    WriteIntColumn(s.b, kRawBits, 0, out, &s.exc);
  }
  end_column();

  for (size_t i = 0; i < n; ++i) s.a[i] = flags.empty() ? 0 : flags[i];
  WriteIntColumn(s.a, 0, 0, out, &s.exc);
  end_column();
}

Status DecodeBarPayload(std::string_view payload, int decimals, uint32_t n, Bar* bars,
                        uint8_t* flags) {
  if (n == 0 || n > kMaxBlockBars) return Corruption("bad bar count " + std::to_string(n));
  if (decimals < 0 || decimals > kPriceDecimals) return Corruption("bad price decimals");
  Cursor cur(payload);
  IntColumn cols[kBarColumnCount];
  for (int k = 0; k < kBarColumnCount; ++k) {
    ARUS_RETURN_IF_ERROR(colfmt::ReadIntColumn(&cur, n, kColumnNames[k], &cols[k]));
    const uint8_t t = cols[k].transform;
    const bool ok = k == 0   ? t <= 9
                    : k == 8 ? t == kRawBits || (t == kDyadic && cols[k].base <= kMaxDyadicShift)
                    : k == 9 ? t == kRawBits || t == kSpreadSum
                             : t == 0;
    if (!ok) return Corruption(std::string("bad transform in column ") + kColumnNames[k]);
  }
  if (cur.left() != 0) return Corruption("payload has trailing bytes");

  BarScratch& s = LocalScratch();
  s.a.resize(n);
  s.b.resize(n);
  auto unpack = [&](int k, std::vector<uint64_t>* v) {
    return colfmt::UnpackIntColumn(cols[k], n, kColumnNames[k], v->data());
  };
  const uint64_t m = U(Pow10(kPriceDecimals - decimals));

  // ts_open and duration.
  ARUS_RETURN_IF_ERROR(unpack(0, &s.a));
  ARUS_RETURN_IF_ERROR(unpack(1, &s.b));
  static constexpr uint64_t kPow10[] = {1,      10,      100,      1000,      10000,
                                        100000, 1000000, 10000000, 100000000, 1000000000};
  const uint64_t unit = kPow10[cols[0].transform];
  uint64_t t = cols[0].base;
  uint64_t dur = cols[1].base;
  for (uint32_t i = 0; i < n; ++i) {
    t += s.a[i] * unit;
    dur += UnZigZag(s.b[i]);
    bars[i].ts_open = UnixNanos(static_cast<int64_t>(t));
    bars[i].ts_close = UnixNanos(static_cast<int64_t>(t + dur));
  }

  // open and close.
  ARUS_RETURN_IF_ERROR(unpack(2, &s.a));
  ARUS_RETURN_IF_ERROR(unpack(3, &s.b));
  uint64_t prev_close = cols[2].base;
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t o = prev_close + UnZigZag(s.a[i]);
    const uint64_t c = o + UnZigZag(s.b[i]);
    bars[i].open = Price::FromRaw(static_cast<int64_t>(o * m));
    bars[i].close = Price::FromRaw(static_cast<int64_t>(c * m));
    prev_close = c;
  }

  // high and low around the body (recomputed from the scaled open and close).
  ARUS_RETURN_IF_ERROR(unpack(4, &s.a));
  ARUS_RETURN_IF_ERROR(unpack(5, &s.b));
  for (uint32_t i = 0; i < n; ++i) {
    const int64_t o = bars[i].open.raw() / static_cast<int64_t>(m);
    const int64_t c = bars[i].close.raw() / static_cast<int64_t>(m);
    const uint64_t h = U(std::max(o, c)) + UnZigZag(s.a[i]);
    const uint64_t l = U(std::min(o, c)) - UnZigZag(s.b[i]);
    bars[i].high = Price::FromRaw(static_cast<int64_t>(h * m));
    bars[i].low = Price::FromRaw(static_cast<int64_t>(l * m));
  }

  ARUS_RETURN_IF_ERROR(unpack(6, &s.a));
  ARUS_RETURN_IF_ERROR(unpack(7, &s.b));
  for (uint32_t i = 0; i < n; ++i) {
    bars[i].spread_max = Price::FromRaw(static_cast<int64_t>(UnZigZag(s.a[i]) * m));
    bars[i].tick_count = static_cast<int64_t>(UnZigZag(s.b[i]));
  }
  ARUS_RETURN_IF_ERROR(unpack(8, &s.a));
  ARUS_RETURN_IF_ERROR(unpack(9, &s.b));
  if (cols[8].transform == kDyadic) {
    const int shift = -static_cast<int>(cols[8].base);
    for (uint32_t i = 0; i < n; ++i) {
      const int64_t v = static_cast<int64_t>(UnZigZag(s.a[i]));
      bars[i].volume = std::ldexp(static_cast<double>(v), shift);
    }
  } else {
    for (uint32_t i = 0; i < n; ++i) bars[i].volume = std::bit_cast<double>(s.a[i]);
  }
  if (cols[9].transform == kSpreadSum) {
    for (uint32_t i = 0; i < n; ++i) {
      const int64_t sum = static_cast<int64_t>(UnZigZag(s.b[i]) * m);
      bars[i].spread_mean = SpreadMeanOf(sum, bars[i].tick_count);
    }
  } else {
    for (uint32_t i = 0; i < n; ++i) bars[i].spread_mean = std::bit_cast<double>(s.b[i]);
  }
  ARUS_RETURN_IF_ERROR(unpack(10, &s.a));
  for (uint32_t i = 0; i < n; ++i) {
    if (s.a[i] > 0xFF) return Corruption("bad value in column flags");
    flags[i] = static_cast<uint8_t>(s.a[i]);
  }
  return Status::Ok();
}

BarBlockEncoder::BarBlockEncoder(int zstd_level)
    : level_(zstd_level), zstd_(std::make_unique<colfmt::ZstdColumns>()) {}

BarBlockEncoder::~BarBlockEncoder() = default;

Status BarBlockEncoder::Encode(std::span<const Bar> bars, std::span<const uint8_t> flags,
                               int decimals, std::string* out, EncodedBlock* meta) {
  if (bars.empty() || bars.size() > kMaxBlockBars) {
    return Internal("block of " + std::to_string(bars.size()) + " bars");
  }
  if (!flags.empty() && flags.size() != bars.size()) {
    return Internal("bar block with " + std::to_string(flags.size()) + " flags for " +
                    std::to_string(bars.size()) + " bars");
  }
  size_t ends[kBarColumnCount];
  EncodeBarPayload(bars, flags, decimals, &payload_, ends);
  const size_t start = out->size();
  ARUS_ASSIGN_OR_RETURN(const size_t r,
                        zstd_->Compress(payload_, ends, kBarColumnCount, level_, out));
  meta->tick_count = static_cast<uint32_t>(bars.size());
  meta->raw_size = static_cast<uint32_t>(payload_.size());
  meta->first_ts = bars.front().ts_open.ns();
  meta->last_ts = bars.back().ts_open.ns();
  meta->checksum = Checksum(std::string_view(out->data() + start, r));
  return Status::Ok();
}

BarBlockDecoder::BarBlockDecoder() : zstd_(std::make_unique<colfmt::ZstdColumns>()) {}

BarBlockDecoder::~BarBlockDecoder() = default;

Status BarBlockDecoder::Decode(std::string_view stored, uint64_t checksum, uint32_t raw_size,
                               uint32_t n, int decimals, std::vector<Bar>* bars,
                               std::vector<uint8_t>* flags) {
  ARUS_RETURN_IF_ERROR(VerifyChecksum(stored, checksum));
  if (n == 0 || n > kMaxBlockBars) return Corruption("bad bar count " + std::to_string(n));
  if (raw_size > MaxBarPayloadSize(n)) return Corruption("implausible payload size");
  ARUS_RETURN_IF_ERROR(zstd_->Decompress(stored, raw_size, &payload_));
  bars->resize(n);
  flags->resize(n);
  return DecodeBarPayload(payload_, decimals, n, bars->data(), flags->data());
}

}  // namespace arus::store
