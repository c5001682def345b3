// Names of the trading enums (trading.h), used in messages, trade lists and reports.
#include "backtest/trading.h"

namespace arus::backtest {

std::string_view SideName(Side s) { return s == Side::kBuy ? "buy" : "sell"; }

std::string_view OrderTypeName(OrderType t) {
  switch (t) {
    case OrderType::kMarket:
      return "market";
    case OrderType::kLimit:
      return "limit";
    case OrderType::kStop:
      return "stop";
  }
  return "unknown";
}

std::string_view ExitReasonName(ExitReason r) {
  switch (r) {
    case ExitReason::kSignal:
      return "signal";
    case ExitReason::kStopLoss:
      return "stop_loss";
    case ExitReason::kTakeProfit:
      return "take_profit";
    case ExitReason::kTrailingStop:
      return "trailing_stop";
    case ExitReason::kStopOut:
      return "stop_out";
    case ExitReason::kCircuitBreaker:
      return "circuit_breaker";
    case ExitReason::kEndOfData:
      return "end_of_data";
  }
  return "unknown";
}

}  // namespace arus::backtest
