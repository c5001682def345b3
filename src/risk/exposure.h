// Exposure of a book of FX positions: net exposure per currency summed over all pairs, and gross
// notional (for leverage), valued in the account currency.
//
// A position of q units (signed: + long, - short) in BASE/QUOTE at mid price P holds +q BASE and
// -q x P QUOTE. Long EURUSD plus long GBPUSD is long EUR, long GBP and short USD twice; long
// EURGBP is long EUR and short GBP, with no USD at all. Both legs are valued in the account
// currency through the quote currency: value = q x P x rate(QUOTE -> account), so a currency with
// no conversion pair of its own (XAU) still gets a value. The account currency's own line is kept:
// for a USD account, net USD is the aggregate bet against the dollar.
// Gross notional = sum over instruments of |units| x P x rate(QUOTE); in hedging mode the units of
// long and short positions on the same pair add up (both are margined), in netting mode there is
// one position per pair anyway.
//
// ExposureBook is the allocation-free engine behind the risk manager's checks: it binds once to
// the account's instrument list (allocating its slots) and then recomputes from positions and
// quotes in place. MeasureExposure is the convenient one-off form for reports and tests.
// Thread-safety: an ExposureBook is owned by one thread. Ownership: holds no reference to the
// account between calls.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backtest/trading.h"
#include "core/status.h"

namespace arus::risk {

class ExposureBook {
 public:
  // Recomputes everything from the account's positions and latest quotes. Conversion rates are
  // read for the quote currencies of instruments with open positions and of `also` (the
  // instrument an order is about; pass kNoInstrument for none). Allocates only when the account's
  // instrument list differs from the last call's (first call). FailedPrecondition when an
  // instrument with a position (or `also`) has no quote yet or no conversion rate.
  static constexpr backtest::InstrumentIndex kNoInstrument = UINT32_MAX;
  Status Load(const backtest::AccountView& account, backtest::InstrumentIndex also = kNoInstrument);

  size_t currency_count() const { return currencies_.size(); }
  std::string_view currency(size_t slot) const { return currencies_[slot]; }
  // Slot of a currency code, or -1.
  int FindCurrency(std::string_view code) const;
  double net_units(size_t slot) const { return net_units_[slot]; }      // units of that currency
  double net_account(size_t slot) const { return net_account_[slot]; }  // account currency

  size_t base_slot(backtest::InstrumentIndex i) const { return base_slot_[i]; }
  size_t quote_slot(backtest::InstrumentIndex i) const { return quote_slot_[i]; }
  // Signed net units of base and the sum of |units| of the instrument's positions.
  double instrument_net(backtest::InstrumentIndex i) const { return inst_net_[i]; }
  double instrument_gross(backtest::InstrumentIndex i) const { return inst_gross_[i]; }
  // Mid price, and the account-currency value of one unit of base at it (P x rate(QUOTE)); valid
  // for instruments with positions and for `also`.
  double mid(backtest::InstrumentIndex i) const { return mid_[i]; }
  double unit_value(backtest::InstrumentIndex i) const { return unit_value_[i]; }

  double gross_notional() const { return gross_notional_; }  // account currency
  size_t open_positions() const { return open_positions_; }

 private:
  Status Bind(const backtest::AccountView& account);
  Status Price(const backtest::AccountView& account, backtest::InstrumentIndex i);

  const backtest::AccountView* bound_ = nullptr;
  size_t bound_count_ = 0;
  std::vector<std::string> currencies_;
  std::vector<uint32_t> base_slot_, quote_slot_;
  std::vector<double> rate_;  // per currency slot; NaN = not read in this Load
  std::vector<double> net_units_, net_account_;
  std::vector<double> inst_net_, inst_gross_, mid_, unit_value_;
  std::vector<uint8_t> priced_;  // per instrument: mid_/unit_value_ valid in this Load
  double gross_notional_ = 0;
  size_t open_positions_ = 0;
};

// One currency's line in an exposure report.
struct CurrencyExposure {
  std::string currency;
  double units = 0;            // signed net amount of the currency
  double account_value = 0;    // in the account currency
  double equity_multiple = 0;  // account_value / equity (0 when equity <= 0)
};

struct ExposureReport {
  std::string account_currency;
  double equity = 0;
  double gross_notional = 0;  // account currency
  double leverage = 0;        // gross_notional / equity (0 when equity <= 0)
  size_t open_positions = 0;
  // Currencies with a non-zero net position, largest |account_value| first.
  std::vector<CurrencyExposure> currencies;
};

// The account's current exposure (allocates; for reports, dashboards and tests).
Result<ExposureReport> MeasureExposure(const backtest::AccountView& account);

}  // namespace arus::risk
