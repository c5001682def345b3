// FX instruments: the built-in table of the 28 major and cross pairs plus XAUUSD, overridable from a
// TOML file. Pip size, price precision and contract size drive parsing, storage and P&L; margin,
// swaps and commission drive the backtest's costs.
// Thread-safety: an InstrumentTable is immutable after loading and safe to share.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace arus::fx {

struct Instrument {
  std::string symbol;          // "EURUSD"
  std::string base;            // "EUR"
  std::string quote;           // "USD"
  double pip_size = 0.0001;    // 0.01 for JPY quotes
  int price_precision = 5;     // decimals quoted (5, 3 for JPY pairs, 2 for XAUUSD)
  double contract_size = 100000;  // units of base per standard lot (100 oz for XAUUSD)
  double margin_rate = 0.0333;    // fraction of notional required as margin (1:30)
  double swap_long = 0;           // points per lot per night, long (negative = you pay)
  double swap_short = 0;          // points per lot per night, short
  double commission_per_million = 0;  // typical ECN commission, account currency per 1M notional

  // Value of one point (10^-price_precision) as a double.
  double point() const;
};

class InstrumentTable {
 public:
  // The built-in table (28 pairs + XAUUSD).
  static const InstrumentTable& Builtin();

  // Built-in table with overrides and additions from a TOML file:
  //   [EURUSD]
  //   swap_long = -6.1
  //   [USDSEK]               # a new instrument needs base, quote, pip_size, price_precision
  //   base = "USD" ...
  // Unknown keys, wrong types and missing fields for new symbols are errors naming file and key.
  static Result<InstrumentTable> LoadWithOverrides(const std::string& toml_path);

  // Case-insensitive; accepts "EURUSD", "EUR/USD", "EUR_USD". NotFound lists the known symbols.
  Result<const Instrument*> Find(std::string_view symbol) const;
  std::vector<std::string> Symbols() const;

 private:
  std::map<std::string, Instrument> by_symbol_;
};

}  // namespace arus::fx
