#include "store/column_format.h"

#include <zstd.h>

namespace arus::store::colfmt {
namespace {

template <typename T>
bool Unpack(const IntColumn& col, uint32_t n, uint64_t* out) {
  constexpr T kMarker = std::numeric_limits<T>::max();
  const uint8_t* exc = col.exc;
  uint32_t left = col.exc_count;
  for (uint32_t i = 0; i < n; ++i) {
    const T raw = Load<T>(col.values + static_cast<size_t>(i) * sizeof(T));
    if (sizeof(T) < 8 && raw == kMarker) {
      if (left == 0) return false;
      out[i] = Load<uint64_t>(exc);
      exc += 8;
      --left;
    } else {
      out[i] = raw;
    }
  }
  return left == 0;
}

}  // namespace

Status UnpackIntColumn(const IntColumn& col, uint32_t n, const char* name, uint64_t* out) {
  bool ok = true;
  switch (col.width) {
    case 0:
      for (uint32_t i = 0; i < n; ++i) out[i] = 0;
      ok = col.exc_count == 0;
      break;
    case 1:
      ok = Unpack<uint8_t>(col, n, out);
      break;
    case 2:
      ok = Unpack<uint16_t>(col, n, out);
      break;
    case 4:
      ok = Unpack<uint32_t>(col, n, out);
      break;
    default:
      ok = Unpack<uint64_t>(col, n, out);
      break;
  }
  if (!ok) return Corruption(std::string("exceptions do not match escapes in column ") + name);
  return Status::Ok();
}

ZstdColumns::ZstdColumns() = default;

ZstdColumns::~ZstdColumns() {
  ZSTD_freeCCtx(static_cast<ZSTD_CCtx*>(cctx_));
  ZSTD_freeDCtx(static_cast<ZSTD_DCtx*>(dctx_));
}

Result<size_t> ZstdColumns::Compress(std::string_view payload, const size_t* ends, int count,
                                     int level, std::string* out) {
  if (cctx_ == nullptr) cctx_ = ZSTD_createCCtx();
  if (cctx_ == nullptr) return Internal("zstd context allocation failed");
  ZSTD_CCtx* c = static_cast<ZSTD_CCtx*>(cctx_);
  const size_t bound = ZSTD_compressBound(payload.size()) + 16 * static_cast<size_t>(count);
  const size_t start = out->size();
  out->resize(start + bound);
  ZSTD_CCtx_reset(c, ZSTD_reset_session_only);
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setPledgedSrcSize(c, payload.size());
  ZSTD_outBuffer ob{out->data() + start, bound, 0};
  size_t begin = 0;
  for (int k = 0; k < count; ++k) {
    ZSTD_inBuffer ib{payload.data() + begin, ends[k] - begin, 0};
    const ZSTD_EndDirective mode = k + 1 == count ? ZSTD_e_end : ZSTD_e_flush;
    size_t remaining;
    do {
      remaining = ZSTD_compressStream2(c, &ob, &ib, mode);
      if (ZSTD_isError(remaining)) {
        out->resize(start);
        return Internal(std::string("zstd compression failed: ") + ZSTD_getErrorName(remaining));
      }
      if (remaining != 0 && ob.pos == ob.size) {
        out->resize(start);
        return Internal("zstd output exceeded its bound");
      }
    } while (remaining != 0);
    begin = ends[k];
  }
  out->resize(start + ob.pos);
  return ob.pos;
}

Status ZstdColumns::Decompress(std::string_view stored, uint32_t raw_size, std::string* payload) {
  if (dctx_ == nullptr) dctx_ = ZSTD_createDCtx();
  if (dctx_ == nullptr) return Internal("zstd context allocation failed");
  payload->resize(raw_size);
  const size_t r = ZSTD_decompressDCtx(static_cast<ZSTD_DCtx*>(dctx_), payload->data(), raw_size,
                                       stored.data(), stored.size());
  if (ZSTD_isError(r)) return Corruption(std::string("zstd: ") + ZSTD_getErrorName(r));
  if (r != raw_size) return Corruption("payload is shorter than recorded");
  return Status::Ok();
}

}  // namespace arus::store::colfmt
