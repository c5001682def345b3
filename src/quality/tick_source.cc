#include "quality/tick_source.h"

#include <algorithm>

namespace arus::quality {

TickSource ScannerSource(store::TickScanner* scanner) {
  return [scanner]() -> Result<std::span<const QuoteTick>> { return scanner->Next(); };
}

TickSource SpanSource(std::span<const QuoteTick> ticks, size_t chunk) {
  chunk = std::max<size_t>(chunk, 1);
  size_t pos = 0;
  return [ticks, chunk, pos]() mutable -> Result<std::span<const QuoteTick>> {
    const size_t n = std::min(chunk, ticks.size() - pos);
    std::span<const QuoteTick> out = ticks.subspan(pos, n);
    pos += n;
    return out;
  };
}

}  // namespace arus::quality
