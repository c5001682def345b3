// FX instruments: the built-in table of the 28 major and cross pairs plus XAUUSD, overridable from
// a TOML file. Pip size, price precision and contract size drive parsing, storage and P&L; margin,
// swaps and commission drive the backtest's costs.
//
// Built-in conventions (common retail/ECN, early-2024 levels):
// - Pairs are named in market order EUR > GBP > AUD > NZD > USD > CAD > CHF > JPY (EURUSD, GBPJPY,
//   AUDNZD, NZDCAD, USDCHF, CADJPY, ...).
// - Pip 0.0001 and 5 decimals; JPY quotes pip 0.01 and 3 decimals. XAUUSD is quoted with 2 decimals
//   and its pip is 0.01 (one cent, as Dukascopy and MT5 retail brokers count it), contract 100 oz.
// - Margin: ESMA retail leverage. 1:30 (0.0333) when both currencies are among USD, EUR, JPY, GBP,
//   CAD, CHF; 1:20 (0.05) for any pair with AUD or NZD, and for gold.
// - Swaps in points per lot per night, from overnight rate differentials with a 0.75%/year broker
//   markup on each side: swap_long = (r_base - r_quote - 0.75%) * price / 360 / point.
// - Commission 35 (account currency) per million notional, a typical ECN rate.
// Thread-safety: an InstrumentTable is immutable after loading and safe to share.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace arus::fx {

struct Instrument {
  std::string symbol;                 // "EURUSD"
  std::string base;                   // "EUR"
  std::string quote;                  // "USD"
  double pip_size = 0.0001;           // 0.01 for JPY quotes
  int price_precision = 5;            // decimals quoted (5, 3 for JPY pairs, 2 for XAUUSD)
  double contract_size = 100000;      // units of base per standard lot (100 oz for XAUUSD)
  double margin_rate = 0.0333;        // fraction of notional required as margin (1:30)
  double swap_long = 0;               // points per lot per night, long (negative = you pay)
  double swap_short = 0;              // points per lot per night, short
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
  // Keys: base, quote (3 letters), pip_size (> 0, not finer than a point), price_precision
  // (integer 0..9), contract_size (> 0), margin_rate (0..1], swap_long, swap_short,
  // commission_per_million (>= 0). Table names are normalised like Find ("EUR/USD" -> EURUSD) and
  // must equal base + quote. Unknown keys, wrong types, bad values and missing fields for new
  // symbols are InvalidArgument naming file, line and key; TOML syntax errors are ParseError with
  // file:line; a missing file is NotFound.
  static Result<InstrumentTable> LoadWithOverrides(const std::string& toml_path);

  // Case-insensitive; accepts "EURUSD", "EUR/USD", "EUR_USD". NotFound lists the known symbols.
  Result<const Instrument*> Find(std::string_view symbol) const;
  std::vector<std::string> Symbols() const;  // sorted
  size_t size() const { return by_symbol_.size(); }

  // Upper-cases and drops '/' and '_': "eur/usd" -> "EURUSD".
  static std::string NormalizeSymbol(std::string_view symbol);

 private:
  std::map<std::string, Instrument> by_symbol_;
};

}  // namespace arus::fx
