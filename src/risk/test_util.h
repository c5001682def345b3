// Test helper for risk/: a hand-driven AccountView (equity, positions and quotes set directly) so
// the risk module is tested without the backtest engine. ToAccount converts at mid through the
// loaded pairs: direct (CCYACC), inverse (ACCCCY) or through USD, like the simulated broker.
// Thread-safety: none. Ownership: owns copies of its instruments.
#pragma once

#include <cassert>
#include <string>
#include <vector>

#include "backtest/trading.h"
#include "fx/instrument.h"

namespace arus::risk::testutil {

class FakeAccount : public backtest::AccountView {
 public:
  // Instruments from the built-in table, in the given order (index = position in `symbols`).
  FakeAccount(std::string currency, const std::vector<std::string>& symbols, double equity)
      : currency_(std::move(currency)), equity_(Money::FromDouble(equity)), balance_(equity_) {
    for (const std::string& s : symbols) {
      Result<const fx::Instrument*> ins = fx::InstrumentTable::Builtin().Find(s);
      assert(ins.ok());
      instruments_.push_back(**ins);
    }
    quotes_.resize(instruments_.size());
  }

  backtest::InstrumentIndex Index(const std::string& symbol) const {
    for (size_t i = 0; i < instruments_.size(); ++i) {
      if (instruments_[i].symbol == symbol) return static_cast<backtest::InstrumentIndex>(i);
    }
    assert(false && "symbol not loaded");
    return 0;
  }

  // A quote around `mid` with the given spread (price units), at time 1 s unless given.
  void SetMid(const std::string& symbol, double mid, double spread = 0) {
    QuoteTick& q = quotes_[Index(symbol)];
    q.ts_event = UnixNanos::FromSeconds(1);
    q.bid = Price::FromDouble(mid - spread / 2);
    q.ask = Price::FromDouble(mid + spread / 2);
  }
  void SetEquity(double equity) { equity_ = Money::FromDouble(equity); }

  backtest::PositionId Open(const std::string& symbol, backtest::Side side, double quantity,
                            double price = 0) {
    backtest::Position p;
    p.id = ++next_id_;
    p.instrument = Index(symbol);
    p.side = side;
    p.quantity = quantity;
    p.avg_price = price;
    positions_.push_back(p);
    return p.id;
  }
  void Clear() { positions_.clear(); }

  std::string_view currency() const override { return currency_; }
  Money balance() const override { return balance_; }
  Money equity() const override { return equity_; }
  Money margin_used() const override { return Money(); }
  Money free_margin() const override { return equity_; }
  double leverage_max() const override { return 30; }
  std::span<const backtest::Position> positions() const override { return positions_; }
  const fx::Instrument& instrument(backtest::InstrumentIndex i) const override {
    return instruments_[i];
  }
  size_t instrument_count() const override { return instruments_.size(); }
  const QuoteTick& quote(backtest::InstrumentIndex i) const override { return quotes_[i]; }

  Result<double> ToAccount(double amount, std::string_view ccy) const override {
    ++to_account_calls;
    Result<double> r = ToCurrency(amount, ccy, currency_);
    if (r.ok()) return r;
    if (ccy != "USD" && currency_ != "USD") {
      Result<double> usd = ToCurrency(amount, ccy, "USD");
      if (usd.ok()) return ToCurrency(*usd, "USD", currency_);
    }
    return NotFound("no rate for " + std::string(ccy) + " in " + currency_);
  }

  mutable int to_account_calls = 0;

 private:
  Result<double> ToCurrency(double amount, std::string_view from, std::string_view to) const {
    if (from == to) return amount;
    for (size_t i = 0; i < instruments_.size(); ++i) {
      const fx::Instrument& ins = instruments_[i];
      if (quotes_[i].ts_event.ns() == 0) continue;
      const double mid = quotes_[i].mid().ToDouble();
      if (ins.base == from && ins.quote == to) return amount * mid;
      if (ins.base == to && ins.quote == from) return amount / mid;
    }
    return NotFound("no pair");
  }

  std::string currency_;
  Money equity_, balance_;
  std::vector<fx::Instrument> instruments_;
  std::vector<QuoteTick> quotes_;
  std::vector<backtest::Position> positions_;
  backtest::PositionId next_id_ = 0;
};

}  // namespace arus::risk::testutil
