// Performance analytics of a backtest result (formulas: docs/backtest-metrics.md).
#include "backtest/analytics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "core/file.h"
#include "core/format.h"
#include "validation/overfitting.h"

namespace arus::backtest {
namespace {

using nlohmann::json;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double Div(double a, double b) { return b != 0 ? a / b : kNaN; }

json Num(double v) { return std::isfinite(v) ? json(v) : json(); }
json Iso(UnixNanos t) { return t.ToIso(); }

// Open-market time in [a, b): the parts of open trading days (17:00 -> 17:00 New York).
int64_t OpenNanos(const fx::FxCalendar& cal, UnixNanos a, UnixNanos b) {
  if (b <= a) return 0;
  int64_t total = 0;
  for (fx::Date d = cal.TradingDateOf(a);; d = d + 1) {
    fx::TradingDayBounds bd = cal.Bounds(d);
    if (bd.open >= b) break;
    if (!cal.IsTradingDay(d)) continue;
    UnixNanos lo = std::max(a, bd.open), hi = std::min(b, bd.close);
    if (hi > lo) total += (hi - lo).count();
  }
  return total;
}

// Base and quote currency of a symbol: from the instrument table, else a 6-letter split.
bool Currencies(const fx::InstrumentTable& table, const std::string& symbol, std::string* base,
                std::string* quote) {
  auto inst = table.Find(symbol);
  if (inst.ok()) {
    *base = (*inst)->base;
    *quote = (*inst)->quote;
    return true;
  }
  if (symbol.size() == 6) {
    *base = symbol.substr(0, 3);
    *quote = symbol.substr(3);
    return true;
  }
  return false;
}

void AddToBucket(BucketStats* b, const Trade& t) {
  b->trades++;
  b->wins += t.net_pnl.micros() > 0;
  b->net_pnl += t.net_pnl.ToDouble();
  b->gross_pnl += t.gross_pnl.ToDouble();
  b->pips += t.pips;
}

void FinishBucket(BucketStats* b) {
  b->win_rate = b->trades ? static_cast<double>(b->wins) / b->trades : kNaN;
}

json BucketJson(const BucketStats& b) {
  return {{"name", b.name},
          {"trades", b.trades},
          {"wins", b.wins},
          {"win_rate", Num(b.win_rate)},
          {"net_pnl", Num(b.net_pnl)},
          {"gross_pnl", Num(b.gross_pnl)},
          {"pips", Num(b.pips)}};
}

// Exact decimal text of Money: at least 2 decimals, up to the 6 of a micro-unit.
void AppendMoney(std::string* out, Money m) {
  int64_t v = m.micros();
  uint64_t a = v < 0 ? uint64_t(0) - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  if (v < 0) out->push_back('-');
  *out += std::to_string(a / kMoneyScale);
  char frac[8];
  std::snprintf(frac, sizeof frac, "%06llu", static_cast<unsigned long long>(a % kMoneyScale));
  int len = 6;
  while (len > 2 && frac[len - 1] == '0') --len;
  out->push_back('.');
  out->append(frac, len);
}

// Integers as integers ("100000", not "1e+05"), other values in their shortest form.
void AppendPlain(std::string* out, double v) {
  if (std::isfinite(v) && v == std::trunc(v) && std::abs(v) < 1e15) {
    *out += std::to_string(static_cast<int64_t>(v));
  } else {
    AppendShortest(out, v);
  }
}

// RFC 4180 quoting when the text holds a separator, a quote or a line break.
void AppendCsvText(std::string* out, std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

}  // namespace

int SessionOf(UnixNanos t, const fx::FxCalendar& calendar) {
  int64_t local = calendar.zone().ToLocal(t).ns();
  int64_t tod = ((local % kNanosPerDay) + kNanosPerDay) % kNanosPerDay;
  int64_t minute = tod / kNanosPerMinute;
  if (minute >= 17 * 60 || minute < 3 * 60) return 0;
  if (minute < 8 * 60) return 1;
  return 2;
}

std::string_view SessionBucketName(int session) {
  switch (session) {
    case 0:
      return "Asia";
    case 1:
      return "London";
    case 2:
      return "New York";
  }
  return "unknown";
}

PerformanceStats ComputePerformance(const BacktestResult& result,
                                    const PerformanceOptions& options) {
  const fx::FxCalendar& cal = options.calendar ? *options.calendar : fx::FxCalendar::Default();
  const fx::InstrumentTable& table =
      options.instruments ? *options.instruments : fx::InstrumentTable::Builtin();
  const double ppy = options.periods_per_year > 0 ? options.periods_per_year : kTradingDaysPerYear;
  const double rf_day = options.risk_free_rate / ppy;

  PerformanceStats s;
  s.account_currency = result.account_currency;
  s.start = result.start;
  s.end = std::max(result.end, result.start);
  s.periods_per_year = ppy;
  s.rejections = result.rejections.size();
  s.events = result.events;
  s.halted = result.halted;
  s.halt_reason = result.halt_reason;

  // Marks in time order (the result guarantees it; a loaded file might not).
  auto by_time = [](const EquityPoint& a, const EquityPoint& b) { return a.time < b.time; };
  std::span<const EquityPoint> marks = result.equity;
  std::vector<EquityPoint> sorted;  // only when the marks are out of order
  if (!std::is_sorted(marks.begin(), marks.end(), by_time)) {
    sorted.assign(marks.begin(), marks.end());
    std::stable_sort(sorted.begin(), sorted.end(), by_time);
    marks = sorted;
  }
  double e0 = result.initial_balance.ToDouble();
  if (e0 <= 0 && !marks.empty()) e0 = marks.front().equity.ToDouble();
  s.initial_equity = e0;
  s.final_equity = marks.empty() ? e0 : marks.back().equity.ToDouble();
  s.net_pnl = s.final_equity - e0;
  s.total_return = e0 > 0 ? s.final_equity / e0 - 1 : kNaN;

  // ---- Curve and drawdowns over every mark.
  {
    double peak = e0;
    UnixNanos peak_time = s.start;
    bool under = false;
    double deepest_peak = e0;
    s.max_drawdown_peak = s.max_drawdown_trough = s.longest_drawdown_start = s.start;
    s.curve.reserve(marks.size());
    for (const EquityPoint& m : marks) {
      double e = m.equity.ToDouble();
      if (e >= peak) {
        if (under && m.time - peak_time > s.longest_drawdown) {
          s.longest_drawdown = m.time - peak_time;
          s.longest_drawdown_start = peak_time;
        }
        under = false;
        peak = e;
        peak_time = m.time;
      } else {
        under = true;
      }
      CurvePoint p;
      p.time = m.time;
      p.equity = e;
      p.drawdown = peak - e;
      p.drawdown_pct = peak > 0 ? (peak - e) / peak : 0;
      s.max_drawdown = std::max(s.max_drawdown, p.drawdown);
      if (p.drawdown_pct > s.max_drawdown_pct) {
        s.max_drawdown_pct = p.drawdown_pct;
        s.max_drawdown_peak = peak_time;
        s.max_drawdown_trough = m.time;
        deepest_peak = peak;
      }
      s.curve.push_back(p);
    }
    if (under && s.end - peak_time > s.longest_drawdown) {
      s.longest_drawdown = s.end - peak_time;
      s.longest_drawdown_start = peak_time;
    }
    if (s.max_drawdown_pct > 0) {
      for (const CurvePoint& p : s.curve) {
        if (p.time > s.max_drawdown_trough && p.equity >= deepest_peak) {
          s.max_drawdown_recovery = p.time;
          break;
        }
      }
    }
  }

  // ---- Daily series on FX trading days.
  if (s.end > s.start || !marks.empty()) {
    fx::Date d0 = cal.TradingDateOf(s.start);
    fx::Date d1 = cal.TradingDateOf(s.end > s.start ? s.end - Duration(1) : s.start);
    std::vector<fx::Date> days = cal.TradingDays(d0, d1 + 1);
    size_t k = 0;
    double prev = e0, peak = e0, last = e0;
    for (size_t i = 0; i < days.size(); ++i) {
      UnixNanos close = cal.Bounds(days[i]).close;
      while (k < marks.size() && marks[k].time <= close) last = marks[k++].equity.ToDouble();
      // Marks after the last trading day's close (e.g. at a weekend end) belong to it.
      double e = i + 1 == days.size() ? s.final_equity : last;
      DailyPoint dp;
      dp.date = days[i];
      dp.equity = e;
      dp.ret = prev > 0 ? e / prev - 1 : 0;
      peak = std::max(peak, e);
      dp.drawdown_pct = peak > 0 ? (peak - e) / peak : 0;
      s.daily.push_back(dp);
      prev = e;
    }
  }
  s.trading_days = s.daily.size();
  s.years = s.trading_days / ppy;
  std::vector<double> rets;
  rets.reserve(s.daily.size());
  for (const DailyPoint& d : s.daily) rets.push_back(d.ret);
  validation::ReturnMoments mom = validation::ComputeMoments(rets);
  s.daily_mean = mom.mean;
  s.daily_stdev = mom.stdev;
  s.skewness = mom.skewness;
  s.kurtosis = mom.kurtosis;
  if (s.years > 0 && e0 > 0) {
    s.annual_return = s.final_equity > 0 ? std::pow(s.final_equity / e0, 1 / s.years) - 1 : -1;
  } else {
    s.annual_return = kNaN;
  }
  s.volatility = rets.size() >= 2 ? mom.stdev * std::sqrt(ppy) : kNaN;
  double daily_sharpe = rets.size() >= 2 && mom.stdev > 0 ? (mom.mean - rf_day) / mom.stdev : kNaN;
  s.sharpe = daily_sharpe * std::sqrt(ppy);
  if (rets.size() >= 2) {
    double dd = 0;
    for (double r : rets) dd += std::min(r - rf_day, 0.0) * std::min(r - rf_day, 0.0);
    dd = std::sqrt(dd / rets.size());
    s.sortino = dd > 0 ? (mom.mean - rf_day) / dd * std::sqrt(ppy) : kNaN;
  } else {
    s.sortino = kNaN;
  }
  s.calmar = s.max_drawdown_pct > 0 ? s.annual_return / s.max_drawdown_pct : kNaN;
  if (rets.empty()) {
    s.best_day = s.worst_day = s.positive_days = kNaN;
  } else {
    s.best_day = *std::max_element(rets.begin(), rets.end());
    s.worst_day = *std::min_element(rets.begin(), rets.end());
    s.positive_days = static_cast<double>(
                          std::count_if(rets.begin(), rets.end(), [](double r) { return r > 0; })) /
                      rets.size();
  }
  s.psr = validation::ProbabilisticSharpeRatio(daily_sharpe, 0, static_cast<double>(rets.size()),
                                               mom.skewness, mom.kurtosis);

  // ---- Monthly returns table (months of trading dates).
  {
    double before = e0;
    for (size_t i = 0; i < s.daily.size();) {
      int64_t y = s.daily[i].date.year();
      unsigned m = s.daily[i].date.month();
      size_t j = i;
      while (j < s.daily.size() && s.daily[j].date.year() == y && s.daily[j].date.month() == m) ++j;
      double after = s.daily[j - 1].equity;
      if (s.monthly_returns.empty() || s.monthly_returns.back().year != y) {
        YearReturns yr;
        yr.year = y;
        yr.months.fill(kNaN);
        yr.total = 0;
        s.monthly_returns.push_back(yr);
      }
      YearReturns& yr = s.monthly_returns.back();
      yr.months[m - 1] = before > 0 ? after / before - 1 : 0;
      yr.total = (1 + yr.total) * (1 + yr.months[m - 1]) - 1;
      before = after;
      i = j;
    }
  }

  // ---- Trades, in exit order.
  std::vector<const Trade*> trades;
  trades.reserve(result.trades.size());
  for (const Trade& t : result.trades) trades.push_back(&t);
  std::stable_sort(trades.begin(), trades.end(),
                   [](const Trade* a, const Trade* b) { return a->exit_time < b->exit_time; });
  for (int i = 0; i < 3; ++i) s.by_session[i].name = std::string(SessionBucketName(i));
  static constexpr const char* kDays[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday"};
  for (int i = 0; i < 5; ++i) s.by_weekday[i].name = kDays[i];
  std::map<std::string, BucketStats> months;
  double sum_win = 0, sum_loss = 0, pips_win = 0, pips_loss = 0, pips_all = 0;
  size_t streak_l = 0, streak_w = 0;
  int64_t holding = 0;
  s.largest_win = s.largest_loss = 0;
  std::map<std::string, double> implied_rate;  // last quote->account rate seen per quote ccy
  for (const Trade* t : trades) {
    double net = t->net_pnl.ToDouble();
    s.trades++;
    s.trade_net_pnl += net;
    s.gross_pnl += t->gross_pnl.ToDouble();
    pips_all += t->pips;
    holding += (t->exit_time - t->entry_time).count();
    (t->side == Side::kBuy ? s.long_trades : s.short_trades)++;
    (t->side == Side::kBuy ? s.long_net_pnl : s.short_net_pnl) += net;
    if (net > 0) {
      s.wins++;
      sum_win += net;
      pips_win += t->pips;
      s.largest_win = std::max(s.largest_win, net);
      streak_l = 0;
      s.longest_winning_streak = std::max(s.longest_winning_streak, ++streak_w);
    } else if (net < 0) {
      s.losses++;
      sum_loss += net;
      pips_loss += t->pips;
      s.largest_loss = std::min(s.largest_loss, net);
      streak_w = 0;
      s.longest_losing_streak = std::max(s.longest_losing_streak, ++streak_l);
    } else {
      streak_w = streak_l = 0;
    }
    AddToBucket(&s.by_session[SessionOf(t->entry_time, cal)], *t);
    unsigned wd = cal.TradingDateOf(cal.NextOpen(t->entry_time)).weekday();
    if (wd >= 1 && wd <= 5) AddToBucket(&s.by_weekday[wd - 1], *t);
    fx::Date xd = cal.TradingDateOf(t->exit_time);
    char key[16];
    std::snprintf(key, sizeof key, "%04lld-%02u", static_cast<long long>(xd.year()), xd.month());
    BucketStats& mb = months[key];
    mb.name = key;
    AddToBucket(&mb, *t);

    // Traded notional: entry and exit, base units valued in the account currency.
    std::string base, quote;
    double q = std::abs(t->quantity);
    bool priced = false;
    if (Currencies(table, t->symbol, &base, &quote)) {
      double n_in = kNaN, n_out = kNaN;
      if (options.to_account) {
        auto r_in = options.to_account(base, t->entry_time);
        auto r_out = options.to_account(base, t->exit_time);
        if (r_in && r_out) n_in = q * *r_in, n_out = q * *r_out;
      }
      if (std::isnan(n_in)) {
        if (base == result.account_currency) {
          n_in = n_out = q;
        } else {
          double rate = kNaN;  // one unit of quote currency in the account currency
          if (quote == result.account_currency) {
            rate = 1;
          } else {
            double move = (t->exit_price - t->entry_price) * Sign(t->side) * q;
            double gross = t->gross_pnl.ToDouble();
            if (move != 0 && gross != 0 && gross / move > 0) {
              rate = gross / move;
              implied_rate[quote] = rate;
            } else if (auto it = implied_rate.find(quote); it != implied_rate.end()) {
              rate = it->second;
            }
          }
          n_in = q * t->entry_price * rate;
          n_out = q * t->exit_price * rate;
        }
      }
      if (std::isfinite(n_in) && std::isfinite(n_out)) {
        s.traded_notional += n_in + n_out;
        priced = true;
      }
    }
    if (!priced) s.unpriced_trades++;
  }
  for (BucketStats& b : s.by_session) FinishBucket(&b);
  for (BucketStats& b : s.by_weekday) FinishBucket(&b);
  for (auto& [key, b] : months) {
    FinishBucket(&b);
    s.by_month.push_back(b);
  }
  double n = static_cast<double>(s.trades);
  s.win_rate = s.trades ? s.wins / n : kNaN;
  s.profit_factor = s.losses ? sum_win / -sum_loss : kNaN;
  s.expectancy = s.trades ? s.trade_net_pnl / n : kNaN;
  s.expectancy_pips = s.trades ? pips_all / n : kNaN;
  s.avg_win = s.wins ? sum_win / s.wins : kNaN;
  s.avg_loss = s.losses ? sum_loss / s.losses : kNaN;
  s.avg_win_pips = s.wins ? pips_win / s.wins : kNaN;
  s.avg_loss_pips = s.losses ? pips_loss / s.losses : kNaN;
  s.payoff_ratio = s.wins && s.losses ? s.avg_win / -s.avg_loss : kNaN;
  s.avg_holding = Duration(s.trades ? holding / static_cast<int64_t>(s.trades) : 0);

  // ---- Exposure: open-market time covered by at least one position.
  {
    std::vector<std::pair<UnixNanos, UnixNanos>> iv;
    for (const Trade* t : trades) {
      if (t->exit_time > t->entry_time) iv.emplace_back(t->entry_time, t->exit_time);
    }
    std::sort(iv.begin(), iv.end());
    int64_t covered = 0;
    for (size_t i = 0; i < iv.size();) {
      UnixNanos a = iv[i].first, b = iv[i].second;
      size_t j = i + 1;
      while (j < iv.size() && iv[j].first <= b) b = std::max(b, iv[j++].second);
      covered += OpenNanos(cal, std::max(a, s.start), std::min(b, s.end));
      i = j;
    }
    int64_t open = OpenNanos(cal, s.start, s.end);
    s.exposure = open > 0 ? static_cast<double>(covered) / open : 0;
  }
  {
    double lev = 0;
    size_t cnt = 0;
    for (const EquityPoint& m : marks) {
      double e = m.equity.ToDouble();
      if (e > 0) lev += m.gross_exposure / e, cnt++;
    }
    s.avg_leverage = cnt ? lev / cnt : kNaN;
  }
  {
    double mean_eq = 0;
    for (const DailyPoint& d : s.daily) mean_eq += d.equity;
    mean_eq = s.daily.empty() ? e0 : mean_eq / s.daily.size();
    s.turnover = s.years > 0 && mean_eq > 0 ? s.traded_notional / mean_eq / s.years : kNaN;
  }

  // ---- Costs.
  CostStats& c = s.costs;
  c.spread = result.costs.spread.ToDouble();
  c.commission = result.costs.commission.ToDouble();
  c.slippage = result.costs.slippage.ToDouble();
  c.swap = result.costs.swap.ToDouble();
  c.total = result.costs.total().ToDouble();
  c.pnl_before_costs = s.trade_net_pnl + c.total;
  double base = std::abs(c.pnl_before_costs);
  c.spread_pct = Div(c.spread, base);
  c.commission_pct = Div(c.commission, base);
  c.slippage_pct = Div(c.slippage, base);
  c.swap_pct = Div(c.swap, base);
  c.total_pct = Div(c.total, base);
  return s;
}

void ToJson(nlohmann::json& j, const PerformanceStats& s) {
  j = json::object();
  j["format"] = "arus-backtest-metrics";
  j["version"] = 1;
  j["account_currency"] = s.account_currency;
  j["start"] = Iso(s.start);
  j["end"] = Iso(s.end);
  j["periods_per_year"] = s.periods_per_year;
  j["returns"] = {{"initial_equity", Num(s.initial_equity)},
                  {"final_equity", Num(s.final_equity)},
                  {"net_pnl", Num(s.net_pnl)},
                  {"trading_days", s.trading_days},
                  {"years", Num(s.years)},
                  {"total_return", Num(s.total_return)},
                  {"annual_return", Num(s.annual_return)},
                  {"volatility", Num(s.volatility)},
                  {"sharpe", Num(s.sharpe)},
                  {"sortino", Num(s.sortino)},
                  {"calmar", Num(s.calmar)},
                  {"daily_mean", Num(s.daily_mean)},
                  {"daily_stdev", Num(s.daily_stdev)},
                  {"skewness", Num(s.skewness)},
                  {"kurtosis", Num(s.kurtosis)},
                  {"best_day", Num(s.best_day)},
                  {"worst_day", Num(s.worst_day)},
                  {"positive_days", Num(s.positive_days)},
                  {"psr", Num(s.psr)}};
  j["drawdown"] = {{"max", Num(s.max_drawdown)},
                   {"max_pct", Num(s.max_drawdown_pct)},
                   {"peak", Iso(s.max_drawdown_peak)},
                   {"trough", Iso(s.max_drawdown_trough)},
                   {"recovery", s.max_drawdown_recovery ? Iso(*s.max_drawdown_recovery) : json()},
                   {"longest_days", static_cast<double>(s.longest_drawdown.count()) / kNanosPerDay},
                   {"longest_start", Iso(s.longest_drawdown_start)}};
  j["trades"] = {{"count", s.trades},
                 {"wins", s.wins},
                 {"losses", s.losses},
                 {"long", s.long_trades},
                 {"short", s.short_trades},
                 {"win_rate", Num(s.win_rate)},
                 {"profit_factor", Num(s.profit_factor)},
                 {"expectancy", Num(s.expectancy)},
                 {"expectancy_pips", Num(s.expectancy_pips)},
                 {"avg_win", Num(s.avg_win)},
                 {"avg_loss", Num(s.avg_loss)},
                 {"avg_win_pips", Num(s.avg_win_pips)},
                 {"avg_loss_pips", Num(s.avg_loss_pips)},
                 {"payoff_ratio", Num(s.payoff_ratio)},
                 {"largest_win", Num(s.largest_win)},
                 {"largest_loss", Num(s.largest_loss)},
                 {"longest_losing_streak", s.longest_losing_streak},
                 {"longest_winning_streak", s.longest_winning_streak},
                 {"avg_holding_hours", static_cast<double>(s.avg_holding.count()) / kNanosPerHour},
                 {"gross_pnl", Num(s.gross_pnl)},
                 {"net_pnl", Num(s.trade_net_pnl)},
                 {"long_net_pnl", Num(s.long_net_pnl)},
                 {"short_net_pnl", Num(s.short_net_pnl)}};
  j["activity"] = {{"exposure", Num(s.exposure)},
                   {"avg_leverage", Num(s.avg_leverage)},
                   {"traded_notional", Num(s.traded_notional)},
                   {"turnover", Num(s.turnover)},
                   {"unpriced_trades", s.unpriced_trades},
                   {"rejections", s.rejections},
                   {"events", s.events},
                   {"halted", s.halted},
                   {"halt_reason", s.halt_reason}};
  const CostStats& c = s.costs;
  j["costs"] = {{"spread", Num(c.spread)},
                {"commission", Num(c.commission)},
                {"slippage", Num(c.slippage)},
                {"swap", Num(c.swap)},
                {"total", Num(c.total)},
                {"pnl_before_costs", Num(c.pnl_before_costs)},
                {"spread_pct", Num(c.spread_pct)},
                {"commission_pct", Num(c.commission_pct)},
                {"slippage_pct", Num(c.slippage_pct)},
                {"swap_pct", Num(c.swap_pct)},
                {"total_pct", Num(c.total_pct)}};
  json sessions = json::array(), weekdays = json::array(), months = json::array();
  for (const BucketStats& b : s.by_session) sessions.push_back(BucketJson(b));
  for (const BucketStats& b : s.by_weekday) weekdays.push_back(BucketJson(b));
  for (const BucketStats& b : s.by_month) months.push_back(BucketJson(b));
  j["by_session"] = sessions;
  j["by_weekday"] = weekdays;
  j["by_month"] = months;
  json table = json::array();
  for (const YearReturns& y : s.monthly_returns) {
    json m = json::array();
    for (double v : y.months) m.push_back(Num(v));
    table.push_back({{"year", y.year}, {"months", m}, {"total", Num(y.total)}});
  }
  j["monthly_returns"] = table;
  json daily = json::array();
  for (const DailyPoint& d : s.daily) {
    daily.push_back({{"date", d.date.ToString()},
                     {"equity", Num(d.equity)},
                     {"return", Num(d.ret)},
                     {"drawdown_pct", Num(d.drawdown_pct)}});
  }
  j["daily"] = daily;
}

Status WriteTradesCsv(const BacktestResult& result, std::span<const fx::Instrument> instruments,
                      const std::string& path) {
  std::string out =
      "position,symbol,side,quantity,lots,entry_time,exit_time,holding_seconds,entry_price,"
      "exit_price,pips,gross_pnl,spread_cost,slippage_cost,commission,swap,net_pnl,exit_reason,"
      "tag\n";
  for (const Trade& t : result.trades) {
    const fx::Instrument* inst = nullptr;
    for (const fx::Instrument& i : instruments) {
      if (i.symbol == t.symbol) inst = &i;
    }
    out += std::to_string(t.position);
    out.push_back(',');
    AppendCsvText(&out, t.symbol);
    out.push_back(',');
    out += SideName(t.side);
    out.push_back(',');
    AppendPlain(&out, t.quantity);
    out.push_back(',');
    if (inst && inst->contract_size > 0) AppendPlain(&out, t.quantity / inst->contract_size);
    out.push_back(',');
    out += t.entry_time.ToIso();
    out.push_back(',');
    out += t.exit_time.ToIso();
    out.push_back(',');
    AppendPlain(&out, static_cast<double>((t.exit_time - t.entry_time).count()) / kNanosPerSecond);
    out.push_back(',');
    for (double p : {t.entry_price, t.exit_price}) {
      if (inst) {
        AppendFixed(&out, p, inst->price_precision);
      } else {
        AppendPlain(&out, p);
      }
      out.push_back(',');
    }
    AppendFixed(&out, t.pips, 2);
    for (Money m : {t.gross_pnl, t.costs.spread, t.costs.slippage, t.costs.commission, t.costs.swap,
                    t.net_pnl}) {
      out.push_back(',');
      AppendMoney(&out, m);
    }
    out.push_back(',');
    out += ExitReasonName(t.exit_reason);
    out.push_back(',');
    AppendCsvText(&out, t.tag);
    out.push_back('\n');
  }
  return WriteFileAtomic(path, out);
}

Status WriteEquityCsv(const BacktestResult& result, const PerformanceStats& stats,
                      const std::string& path) {
  std::string out = "time,balance,equity,margin_used,gross_exposure,drawdown,drawdown_pct\n";
  // stats.curve holds the marks in time order; balance and margin come from the matching mark.
  std::vector<const EquityPoint*> marks;
  for (const EquityPoint& m : result.equity) marks.push_back(&m);
  std::stable_sort(marks.begin(), marks.end(),
                   [](const EquityPoint* a, const EquityPoint* b) { return a->time < b->time; });
  for (size_t i = 0; i < marks.size(); ++i) {
    const EquityPoint& m = *marks[i];
    out += m.time.ToIso();
    for (Money v : {m.balance, m.equity, m.margin_used}) {
      out.push_back(',');
      AppendMoney(&out, v);
    }
    out.push_back(',');
    AppendFixed(&out, m.gross_exposure, 2);
    out.push_back(',');
    double dd = i < stats.curve.size() ? stats.curve[i].drawdown : 0;
    double ddp = i < stats.curve.size() ? stats.curve[i].drawdown_pct : 0;
    AppendFixed(&out, dd, 2);
    out.push_back(',');
    AppendFixed(&out, ddp, 8);
    out.push_back('\n');
  }
  return WriteFileAtomic(path, out);
}

}  // namespace arus::backtest
