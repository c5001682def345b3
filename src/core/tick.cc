#include "core/tick.h"

#include <string>

namespace arus {

std::string_view PriceSideName(PriceSide side) {
  switch (side) {
    case PriceSide::kBid: return "bid";
    case PriceSide::kAsk: return "ask";
    case PriceSide::kMid: return "mid";
  }
  return "?";
}

Result<PriceSide> ParsePriceSide(std::string_view text) {
  if (text == "bid") return PriceSide::kBid;
  if (text == "ask") return PriceSide::kAsk;
  if (text == "mid") return PriceSide::kMid;
  return InvalidArgument("unknown price side '" + std::string(text) + "' (bid, ask or mid)");
}

}  // namespace arus
