// Market data records: QuoteTick (top of book) and Bar (OHLC over a time interval).
// Thread-safety: plain value types.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/price.h"
#include "core/status.h"
#include "core/time.h"

namespace arus {

// One top-of-book quote. FX quotes carry both sides: buy at the ask, sell at the bid.
// Volumes are in the source's units (Dukascopy: millions of base currency), 0 when unknown.
struct QuoteTick {
  UnixNanos ts_event;
  Price bid;
  Price ask;
  float bid_volume = 0;
  float ask_volume = 0;

  Price mid() const { return Mid(bid, ask); }
  Price spread() const { return ask - bid; }
  bool operator==(const QuoteTick&) const = default;
};
static_assert(sizeof(QuoteTick) == 32);

// Which price series a bar is built from.
enum class PriceSide : uint8_t { kBid, kAsk, kMid };
std::string_view PriceSideName(PriceSide side);
Result<PriceSide> ParsePriceSide(std::string_view text);  // "bid", "ask", "mid"

// An OHLC bar over [ts_open, ts_close). ts_close is the end of the interval, the instant the bar is
// complete and may be used by a decision (not the time of its last tick).
struct Bar {
  UnixNanos ts_open;
  UnixNanos ts_close;
  Price open;
  Price high;
  Price low;
  Price close;
  int64_t tick_count = 0;
  double volume = 0;       // sum of bid and ask volume of the ticks in the bar
  double spread_mean = 0;  // mean ask - bid over the ticks, in price units
  Price spread_max;        // widest ask - bid seen in the bar
  bool operator==(const Bar&) const = default;
};

}  // namespace arus
