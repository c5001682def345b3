#include "risk/exposure.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "fx/instrument.h"
#include "risk/text.h"

namespace arus::risk {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
}

int ExposureBook::FindCurrency(std::string_view code) const {
  for (size_t k = 0; k < currencies_.size(); ++k) {
    if (currencies_[k] == code) return static_cast<int>(k);
  }
  return -1;
}

Status ExposureBook::Bind(const backtest::AccountView& account) {
  const size_t n = account.instrument_count();
  currencies_.clear();
  base_slot_.assign(n, 0);
  quote_slot_.assign(n, 0);
  auto slot_of = [&](const std::string& code) {
    int k = FindCurrency(code);
    if (k < 0) {
      currencies_.push_back(code);
      k = static_cast<int>(currencies_.size() - 1);
    }
    return static_cast<uint32_t>(k);
  };
  for (size_t i = 0; i < n; ++i) {
    const fx::Instrument& ins = account.instrument(static_cast<backtest::InstrumentIndex>(i));
    base_slot_[i] = slot_of(ins.base);
    quote_slot_[i] = slot_of(ins.quote);
  }
  const size_t c = currencies_.size();
  rate_.assign(c, kNaN);
  net_units_.assign(c, 0);
  net_account_.assign(c, 0);
  inst_net_.assign(n, 0);
  inst_gross_.assign(n, 0);
  mid_.assign(n, kNaN);
  unit_value_.assign(n, kNaN);
  priced_.assign(n, 0);
  bound_ = &account;
  bound_count_ = n;
  return Status::Ok();
}

// Reads the mid and the quote currency's rate of instrument i (once per Load).
Status ExposureBook::Price(const backtest::AccountView& account, backtest::InstrumentIndex i) {
  if (priced_[i]) return Status::Ok();
  const QuoteTick& q = account.quote(i);
  if (q.ts_event.ns() == 0) {
    return FailedPrecondition("no quote yet for " + account.instrument(i).symbol);
  }
  const uint32_t qs = quote_slot_[i];
  if (std::isnan(rate_[qs])) {
    const std::string_view ccy = currencies_[qs];
    if (ccy == account.currency()) {
      rate_[qs] = 1.0;
    } else {
      Result<double> r = account.ToAccount(1.0, ccy);
      if (!r.ok()) {
        return FailedPrecondition("cannot value " + std::string(ccy) + " in " +
                                  std::string(account.currency()) + ": " + r.status().message());
      }
      if (!(*r > 0) || !std::isfinite(*r)) {
        return FailedPrecondition("cannot value " + std::string(ccy) + " in " +
                                  std::string(account.currency()) + ": rate " + ShortestText(*r));
      }
      rate_[qs] = *r;
    }
  }
  mid_[i] = q.mid().ToDouble();
  unit_value_[i] = mid_[i] * rate_[qs];
  priced_[i] = 1;
  return Status::Ok();
}

Status ExposureBook::Load(const backtest::AccountView& account, backtest::InstrumentIndex also) {
  if (bound_ != &account || bound_count_ != account.instrument_count()) {
    ARUS_RETURN_IF_ERROR(Bind(account));
  }
  std::fill(rate_.begin(), rate_.end(), kNaN);
  std::fill(net_units_.begin(), net_units_.end(), 0.0);
  std::fill(net_account_.begin(), net_account_.end(), 0.0);
  std::fill(inst_net_.begin(), inst_net_.end(), 0.0);
  std::fill(inst_gross_.begin(), inst_gross_.end(), 0.0);
  std::fill(priced_.begin(), priced_.end(), uint8_t{0});
  gross_notional_ = 0;

  const std::span<const backtest::Position> positions = account.positions();
  open_positions_ = positions.size();
  for (const backtest::Position& p : positions) {
    if (p.instrument >= bound_count_) {
      return FailedPrecondition("position " + std::to_string(p.id) + " has instrument index " +
                                std::to_string(p.instrument) + " outside the run");
    }
    const double q = backtest::Sign(p.side) * p.quantity;
    inst_net_[p.instrument] += q;
    inst_gross_[p.instrument] += std::fabs(p.quantity);
  }
  for (size_t i = 0; i < bound_count_; ++i) {
    if (inst_gross_[i] == 0) continue;
    const auto ii = static_cast<backtest::InstrumentIndex>(i);
    ARUS_RETURN_IF_ERROR(Price(account, ii));
    const double q = inst_net_[i];
    const double value = q * unit_value_[i];
    net_units_[base_slot_[i]] += q;
    net_units_[quote_slot_[i]] -= q * mid_[i];
    net_account_[base_slot_[i]] += value;
    net_account_[quote_slot_[i]] -= value;
    gross_notional_ += inst_gross_[i] * unit_value_[i];
  }
  if (also != kNoInstrument && also < bound_count_) ARUS_RETURN_IF_ERROR(Price(account, also));
  return Status::Ok();
}

Result<ExposureReport> MeasureExposure(const backtest::AccountView& account) {
  ExposureBook book;
  ARUS_RETURN_IF_ERROR(book.Load(account));
  ExposureReport r;
  r.account_currency = std::string(account.currency());
  r.equity = account.equity().ToDouble();
  r.gross_notional = book.gross_notional();
  r.leverage = r.equity > 0 ? r.gross_notional / r.equity : 0;
  r.open_positions = book.open_positions();
  for (size_t k = 0; k < book.currency_count(); ++k) {
    if (book.net_units(k) == 0 && book.net_account(k) == 0) continue;
    CurrencyExposure c;
    c.currency = std::string(book.currency(k));
    c.units = book.net_units(k);
    c.account_value = book.net_account(k);
    c.equity_multiple = r.equity > 0 ? c.account_value / r.equity : 0;
    r.currencies.push_back(std::move(c));
  }
  std::stable_sort(r.currencies.begin(), r.currencies.end(),
                   [](const CurrencyExposure& a, const CurrencyExposure& b) {
                     return std::fabs(a.account_value) > std::fabs(b.account_value);
                   });
  return r;
}

}  // namespace arus::risk
