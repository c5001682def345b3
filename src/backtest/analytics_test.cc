#include "backtest/analytics.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/file.h"

namespace arus::backtest {
namespace {

UnixNanos T(const char* iso) { return *ParseIsoUtc(iso); }
Money M(double v) { return Money::FromDouble(v); }

EquityPoint Mark(const char* iso, double equity) {
  EquityPoint p;
  p.time = T(iso);
  p.balance = M(equity);
  p.equity = M(equity);
  return p;
}

Trade MakeTrade(const char* symbol, Side side, const char* entry, const char* exit, double p_in,
                double p_out, double pips, double gross, double commission, double swap,
                double spread = 0, double slippage = 0) {
  Trade t;
  t.symbol = symbol;
  t.side = side;
  t.quantity = 100000;
  t.entry_time = T(entry);
  t.exit_time = T(exit);
  t.entry_price = p_in;
  t.exit_price = p_out;
  t.pips = pips;
  t.gross_pnl = M(gross);
  t.costs.commission = M(commission);
  t.costs.swap = M(swap);
  t.costs.spread = M(spread);
  t.costs.slippage = M(slippage);
  t.net_pnl = M(gross - commission - swap);
  return t;
}

// Four trading days, 2 Jan 2024 (Tue) .. 5 Jan (Fri); the run ends Saturday 00:00 UTC.
// Daily closes (22:00 UTC in winter): +1%, -1%, +2%, -1.5%.
BacktestResult FourDays() {
  BacktestResult r;
  r.account_currency = "USD";
  r.initial_balance = M(100000);
  r.start = T("2024-01-02T00:00:00Z");
  r.end = T("2024-01-06T00:00:00Z");
  double e1 = 100000 * 1.01, e2 = e1 * 0.99, e3 = e2 * 1.02, e4 = e3 * 0.985;
  r.equity = {Mark("2024-01-02T00:00:00Z", 100000), Mark("2024-01-02T21:00:00Z", e1),
              Mark("2024-01-03T21:00:00Z", e2),     Mark("2024-01-04T21:00:00Z", e3),
              Mark("2024-01-05T21:00:00Z", e4),     Mark("2024-01-06T00:00:00Z", e4)};
  // A mark after a day's close (22:00 UTC) belongs to the next day.
  r.equity.insert(r.equity.begin() + 2, Mark("2024-01-02T23:00:00Z", e1 * 1.5));
  r.equity.insert(r.equity.begin() + 3, Mark("2024-01-03T01:00:00Z", e1));
  return r;
}

TEST(AnalyticsTest, DailyReturnsAndRatiosByHand) {
  BacktestResult r = FourDays();
  // Money rounding of the marks: use the booked values for the expected returns.
  std::vector<double> e = {100000};
  for (int i : {1, 4, 5, 6}) e.push_back(r.equity[i].equity.ToDouble());
  PerformanceStats s = ComputePerformance(r);
  ASSERT_EQ(s.trading_days, 4u);
  EXPECT_EQ(s.daily[0].date.ToString(), "2024-01-02");
  EXPECT_EQ(s.daily[3].date.ToString(), "2024-01-05");
  std::vector<double> ret = {0.01, -0.01, 0.02, -0.015};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(s.daily[i].ret, ret[i], 1e-9) << i;
  // mean 0.00125; deviations 0.00875 -0.01125 0.01875 -0.01625; sum sq = 8.1875e-4.
  double mean = 0.00125, sd = std::sqrt(8.1875e-4 / 3);
  EXPECT_NEAR(s.daily_mean, mean, 1e-9);
  EXPECT_NEAR(s.daily_stdev, sd, 1e-9);
  EXPECT_NEAR(s.volatility, sd * std::sqrt(260.0), 1e-8);
  EXPECT_NEAR(s.sharpe, mean / sd * std::sqrt(260.0), 1e-6);
  // Downside deviation: sqrt((0.01^2 + 0.015^2) / 4).
  EXPECT_NEAR(s.sortino, mean / std::sqrt(3.25e-4 / 4) * std::sqrt(260.0), 1e-6);
  double total = 1.01 * 0.99 * 1.02 * 0.985 - 1;
  EXPECT_NEAR(s.total_return, total, 1e-9);
  EXPECT_NEAR(s.years, 4.0 / 260, 1e-15);
  EXPECT_NEAR(s.annual_return, std::pow(1 + total, 65.0) - 1, 1e-6);
  EXPECT_NEAR(s.best_day, 0.02, 1e-9);
  EXPECT_NEAR(s.worst_day, -0.015, 1e-9);
  EXPECT_DOUBLE_EQ(s.positive_days, 0.5);
  EXPECT_NEAR(s.net_pnl, e[4] - 100000, 1e-9);

  // Drawdowns over every mark: the 23:00 spike to 1.5 e1 = 151500 is the peak; the deepest
  // point after it is 3 Jan's close (99990).
  EXPECT_NEAR(s.max_drawdown_pct, 1 - 99990 / 151500.0, 1e-9);
  EXPECT_NEAR(s.max_drawdown, 151500 - 99990, 1e-6);
  EXPECT_EQ(s.max_drawdown_peak, T("2024-01-02T23:00:00Z"));
  EXPECT_EQ(s.max_drawdown_trough, T("2024-01-03T21:00:00Z"));
  EXPECT_FALSE(s.max_drawdown_recovery.has_value());
  // Never back above the spike: underwater from 2 Jan 23:00 to the end (3 days 1 hour).
  EXPECT_EQ(s.longest_drawdown, T("2024-01-06T00:00:00Z") - T("2024-01-02T23:00:00Z"));
  EXPECT_NEAR(s.calmar, s.annual_return / s.max_drawdown_pct, 1e-12);
  // Daily drawdowns use the daily closes only: the deepest is the last day's -1.5%.
  EXPECT_NEAR(s.daily[3].drawdown_pct, 0.015, 1e-9);

  ASSERT_EQ(s.monthly_returns.size(), 1u);
  EXPECT_EQ(s.monthly_returns[0].year, 2024);
  EXPECT_NEAR(s.monthly_returns[0].months[0], total, 1e-9);
  EXPECT_TRUE(std::isnan(s.monthly_returns[0].months[1]));
  EXPECT_NEAR(s.monthly_returns[0].total, total, 1e-9);
}

TEST(AnalyticsTest, DrawdownEpisodesAndRecovery) {
  BacktestResult r;
  r.account_currency = "USD";
  r.initial_balance = M(1000);
  r.start = T("2024-03-04T00:00:00Z");
  r.end = T("2024-03-09T00:00:00Z");
  r.equity = {Mark("2024-03-04T00:00:00Z", 1000), Mark("2024-03-04T12:00:00Z", 1100),
              Mark("2024-03-05T12:00:00Z", 990),  Mark("2024-03-06T00:00:00Z", 1100),
              Mark("2024-03-06T12:00:00Z", 1200), Mark("2024-03-07T12:00:00Z", 1140),
              Mark("2024-03-08T12:00:00Z", 1150)};
  PerformanceStats s = ComputePerformance(r);
  // Episode 1: 1100 -> 990 (-10%, 110), recovered 6 Mar 00:00 after 36 h.
  // Episode 2: 1200 -> 1140 (-5%, 60), open at the end: 7 Mar 12:00 .. 9 Mar 00:00 (2.5 days).
  EXPECT_NEAR(s.max_drawdown_pct, 0.1, 1e-12);
  EXPECT_NEAR(s.max_drawdown, 110, 1e-9);
  EXPECT_EQ(s.max_drawdown_peak, T("2024-03-04T12:00:00Z"));
  EXPECT_EQ(s.max_drawdown_trough, T("2024-03-05T12:00:00Z"));
  ASSERT_TRUE(s.max_drawdown_recovery.has_value());
  EXPECT_EQ(*s.max_drawdown_recovery, T("2024-03-06T00:00:00Z"));
  EXPECT_EQ(s.longest_drawdown, T("2024-03-09T00:00:00Z") - T("2024-03-06T12:00:00Z"));
  EXPECT_EQ(s.longest_drawdown_start, T("2024-03-06T12:00:00Z"));
  ASSERT_EQ(s.curve.size(), 7u);
  EXPECT_NEAR(s.curve[5].drawdown, 60, 1e-9);
  EXPECT_NEAR(s.curve[5].drawdown_pct, 0.05, 1e-12);
}

// Trades (USD account), with sessions by the New York clock (UTC-5 in January):
//  T1 buy  EURUSD  entry Tue 2 Jan 09:00Z (04:00 NY, London)   +20 pips  net  +193
//  T2 sell EURUSD  entry Wed 3 Jan 14:00Z (09:00 NY, New York) -30 pips  net  -307
//  T3 buy  USDJPY  entry Wed 3 Jan 23:30Z (18:30 NY, Asia; trading date Thu 4 Jan) +50 pips
//                  exit Fri 5 Jan 15:00Z, swap 12                   net +336.87
//  T4 sell EURUSD  entry Fri 5 Jan 10:00Z (05:00 NY, London)   -10 pips  net  -107
// Exit order: T1 W, T2 L, T4 L, T3 W.
BacktestResult WithTrades() {
  BacktestResult r = FourDays();
  r.trades = {
      MakeTrade("EURUSD", Side::kBuy, "2024-01-02T09:00:00Z", "2024-01-02T15:00:00Z", 1.1000,
                1.1020, 20, 200, 7, 0, 5, 0),
      MakeTrade("EURUSD", Side::kSell, "2024-01-03T14:00:00Z", "2024-01-03T20:00:00Z", 1.1000,
                1.1030, -30, -300, 7, 0, 5, 3),
      MakeTrade("EURUSD", Side::kSell, "2024-01-05T10:00:00Z", "2024-01-05T12:00:00Z", 1.0950,
                1.0960, -10, -100, 7, 0, 5, 0),
      MakeTrade("USDJPY", Side::kBuy, "2024-01-03T23:30:00Z", "2024-01-05T15:00:00Z", 140.00,
                140.50, 50, 355.87, 7, 12, 5, 0),
  };
  r.costs.spread = M(20);
  r.costs.commission = M(28);
  r.costs.slippage = M(3);
  r.costs.swap = M(12);
  return r;
}

TEST(AnalyticsTest, TradeStatisticsByHand) {
  PerformanceStats s = ComputePerformance(WithTrades());
  EXPECT_EQ(s.trades, 4u);
  EXPECT_EQ(s.wins, 2u);
  EXPECT_EQ(s.losses, 2u);
  EXPECT_EQ(s.long_trades, 2u);
  EXPECT_EQ(s.short_trades, 2u);
  EXPECT_DOUBLE_EQ(s.win_rate, 0.5);
  EXPECT_NEAR(s.profit_factor, (193 + 336.87) / (307 + 107.0), 1e-12);
  EXPECT_NEAR(s.expectancy, (193 - 307 - 107 + 336.87) / 4, 1e-9);
  EXPECT_NEAR(s.expectancy_pips, 30.0 / 4, 1e-12);
  EXPECT_NEAR(s.avg_win, (193 + 336.87) / 2, 1e-9);
  EXPECT_NEAR(s.avg_loss, -(307 + 107) / 2.0, 1e-9);
  EXPECT_NEAR(s.avg_win_pips, 35, 1e-12);
  EXPECT_NEAR(s.avg_loss_pips, -20, 1e-12);
  EXPECT_NEAR(s.payoff_ratio, 264.935 / 207, 1e-9);
  EXPECT_NEAR(s.largest_win, 336.87, 1e-9);
  EXPECT_NEAR(s.largest_loss, -307, 1e-9);
  EXPECT_EQ(s.longest_losing_streak, 2u);
  EXPECT_EQ(s.longest_winning_streak, 1u);
  EXPECT_NEAR(s.gross_pnl, 200 - 300 - 100 + 355.87, 1e-9);
  EXPECT_NEAR(s.long_net_pnl, 193 + 336.87, 1e-9);
  EXPECT_NEAR(s.short_net_pnl, -307 - 107, 1e-9);
  // Holding: 6 + 6 + 2 + 39.5 hours.
  EXPECT_EQ(s.avg_holding, Duration(static_cast<int64_t>(53.5 / 4 * kNanosPerHour)));

  // Sessions: Asia T3, London T1 + T4, New York T2.
  EXPECT_EQ(s.by_session[0].name, "Asia");
  EXPECT_EQ(s.by_session[0].trades, 1u);
  EXPECT_NEAR(s.by_session[0].net_pnl, 336.87, 1e-9);
  EXPECT_EQ(s.by_session[1].trades, 2u);
  EXPECT_NEAR(s.by_session[1].net_pnl, 86, 1e-9);
  EXPECT_DOUBLE_EQ(s.by_session[1].win_rate, 0.5);
  EXPECT_EQ(s.by_session[2].trades, 1u);
  EXPECT_NEAR(s.by_session[2].net_pnl, -307, 1e-9);
  EXPECT_NEAR(s.by_session[2].pips, -30, 1e-12);
  // Weekdays by entry trading date: Tue T1, Wed T2, Thu T3 (entered 18:30 NY Wed), Fri T4.
  EXPECT_EQ(s.by_weekday[0].trades, 0u);
  EXPECT_TRUE(std::isnan(s.by_weekday[0].win_rate));
  EXPECT_NEAR(s.by_weekday[1].net_pnl, 193, 1e-9);
  EXPECT_NEAR(s.by_weekday[2].net_pnl, -307, 1e-9);
  EXPECT_NEAR(s.by_weekday[3].net_pnl, 336.87, 1e-9);
  EXPECT_NEAR(s.by_weekday[4].net_pnl, -107, 1e-9);
  EXPECT_EQ(s.by_weekday[3].name, "Thursday");
  ASSERT_EQ(s.by_month.size(), 1u);
  EXPECT_EQ(s.by_month[0].name, "2024-01");
  EXPECT_EQ(s.by_month[0].trades, 4u);

  // Exposure: 6 h + 6 h + [3 Jan 23:30, 5 Jan 15:00) = 51.5 h of the 94 open hours between
  // Tue 00:00 UTC and the Friday close at 22:00 UTC; T4 lies inside T3.
  EXPECT_NEAR(s.exposure, 51.5 / 94, 1e-12);
  // Notional: EURUSD in USD = units x price; USDJPY in USD = units.
  double notional = 100000 * (1.1 + 1.102 + 1.1 + 1.103 + 1.095 + 1.096) + 200000;
  EXPECT_NEAR(s.traded_notional, notional, 1e-6);
  double mean_eq = 0;
  for (const DailyPoint& d : s.daily) mean_eq += d.equity / 4;
  EXPECT_NEAR(s.turnover, notional / mean_eq / (4.0 / 260), 1e-6);
  EXPECT_EQ(s.unpriced_trades, 0u);

  // Costs: net of trades 115.87, before costs 115.87 + 63 = 178.87.
  EXPECT_NEAR(s.costs.total, 63, 1e-9);
  EXPECT_NEAR(s.costs.pnl_before_costs, 178.87, 1e-9);
  EXPECT_NEAR(s.costs.spread_pct, 20 / 178.87, 1e-12);
  EXPECT_NEAR(s.costs.commission_pct, 28 / 178.87, 1e-12);
  EXPECT_NEAR(s.costs.slippage_pct, 3 / 178.87, 1e-12);
  EXPECT_NEAR(s.costs.swap_pct, 12 / 178.87, 1e-12);
}

TEST(AnalyticsTest, TurnoverForCrossPairs) {
  BacktestResult r = FourDays();
  // EURGBP in a USD account: GBP -> USD implied by the trade's own P&L (500 GBP = 635 USD).
  r.trades = {MakeTrade("EURGBP", Side::kBuy, "2024-01-02T09:00:00Z", "2024-01-02T15:00:00Z",
                        0.8600, 0.8650, 50, 635, 0, 0),
              // Exit at the entry price: no implied rate of its own, reuses the last one.
              MakeTrade("EURGBP", Side::kSell, "2024-01-03T09:00:00Z", "2024-01-03T15:00:00Z",
                        0.8600, 0.8600, 0, 0, 0, 0),
              MakeTrade("XYZ", Side::kBuy, "2024-01-04T09:00:00Z", "2024-01-04T15:00:00Z", 1, 2, 1,
                        1, 0, 0)};
  PerformanceStats s = ComputePerformance(r);
  EXPECT_NEAR(s.traded_notional, 100000 * (0.86 + 0.865 + 0.86 + 0.86) * 1.27, 1e-6);
  EXPECT_EQ(s.unpriced_trades, 1u);  // "XYZ" has no currencies
  // With a converter the notional is units x the base currency's value.
  PerformanceOptions o;
  o.to_account = [](std::string_view ccy, UnixNanos) -> std::optional<double> {
    if (ccy == "EUR") return 1.09;
    return std::nullopt;
  };
  PerformanceStats c = ComputePerformance(r, o);
  EXPECT_NEAR(c.traded_notional, 4 * 100000 * 1.09, 1e-6);
}

TEST(AnalyticsTest, SessionsFollowNewYorkDaylightSaving) {
  const fx::FxCalendar& cal = fx::FxCalendar::Default();
  // Winter (UTC-5): London from 08:00 UTC; summer (UTC-4): from 07:00 UTC.
  EXPECT_EQ(SessionOf(T("2024-01-10T07:59:00Z"), cal), 0);
  EXPECT_EQ(SessionOf(T("2024-01-10T08:00:00Z"), cal), 1);
  EXPECT_EQ(SessionOf(T("2024-07-10T06:59:00Z"), cal), 0);
  EXPECT_EQ(SessionOf(T("2024-07-10T07:00:00Z"), cal), 1);
  EXPECT_EQ(SessionOf(T("2024-07-10T12:00:00Z"), cal), 2);  // 08:00 NY
  EXPECT_EQ(SessionOf(T("2024-07-10T20:59:00Z"), cal), 2);
  EXPECT_EQ(SessionOf(T("2024-07-10T21:00:00Z"), cal), 0);  // 17:00 NY: a new trading day
  EXPECT_EQ(SessionBucketName(2), "New York");
}

TEST(AnalyticsTest, NoTradesNoMarksNoCrash) {
  BacktestResult r;
  r.account_currency = "EUR";
  r.initial_balance = M(5000);
  r.start = r.end = T("2024-01-02T00:00:00Z");
  PerformanceStats s = ComputePerformance(r);
  EXPECT_EQ(s.trades, 0u);
  EXPECT_EQ(s.final_equity, 5000);
  EXPECT_EQ(s.total_return, 0);
  EXPECT_TRUE(std::isnan(s.win_rate));
  EXPECT_TRUE(std::isnan(s.profit_factor));
  EXPECT_TRUE(std::isnan(s.expectancy));
  EXPECT_TRUE(std::isnan(s.sharpe));
  EXPECT_TRUE(std::isnan(s.calmar));
  EXPECT_EQ(s.max_drawdown, 0);
  EXPECT_EQ(s.exposure, 0);
  EXPECT_TRUE(std::isnan(s.costs.total_pct));
  nlohmann::json j;
  ToJson(j, s);
  std::string text = j.dump();  // must serialise: no NaN reaches the JSON
  EXPECT_EQ(text.find("NaN"), std::string::npos);
  EXPECT_TRUE(j["trades"]["win_rate"].is_null());
  EXPECT_TRUE(j["returns"]["sharpe"].is_null());
  EXPECT_EQ(j["trades"]["count"], 0);
  EXPECT_EQ(j["account_currency"], "EUR");
}

TEST(AnalyticsTest, FlatEquityAndSingleDay) {
  BacktestResult flat;
  flat.account_currency = "USD";
  flat.initial_balance = M(1000);
  flat.start = T("2024-01-08T00:00:00Z");
  flat.end = T("2024-01-13T00:00:00Z");
  flat.equity = {Mark("2024-01-08T00:00:00Z", 1000), Mark("2024-01-12T00:00:00Z", 1000)};
  PerformanceStats s = ComputePerformance(flat);
  EXPECT_EQ(s.trading_days, 5u);
  EXPECT_EQ(s.volatility, 0);
  EXPECT_TRUE(std::isnan(s.sharpe));
  EXPECT_TRUE(std::isnan(s.sortino));
  EXPECT_TRUE(std::isnan(s.calmar));
  EXPECT_EQ(s.annual_return, 0);
  EXPECT_EQ(s.longest_drawdown, Duration(0));
  EXPECT_EQ(s.positive_days, 0);

  BacktestResult one = flat;
  one.end = T("2024-01-08T12:00:00Z");
  one.equity = {Mark("2024-01-08T00:00:00Z", 1000), Mark("2024-01-08T12:00:00Z", 1010)};
  PerformanceStats o = ComputePerformance(one);
  EXPECT_EQ(o.trading_days, 1u);
  EXPECT_NEAR(o.daily[0].ret, 0.01, 1e-12);
  EXPECT_TRUE(std::isnan(o.volatility));
  EXPECT_TRUE(std::isnan(o.sharpe));
  EXPECT_NEAR(o.annual_return, std::pow(1.01, 260) - 1, 1e-6);

  // A weekend-only run has no trading days.
  BacktestResult weekend = flat;
  weekend.start = T("2024-01-13T00:00:00Z");
  weekend.end = T("2024-01-14T00:00:00Z");
  weekend.equity = {Mark("2024-01-13T00:00:00Z", 1000)};
  PerformanceStats w = ComputePerformance(weekend);
  EXPECT_EQ(w.trading_days, 0u);
  EXPECT_TRUE(std::isnan(w.annual_return));
  EXPECT_TRUE(std::isnan(w.turnover));
  nlohmann::json j;
  ToJson(j, w);
  EXPECT_TRUE(j["returns"]["annual_return"].is_null());
}

TEST(AnalyticsTest, WipedOutAccountAndUnsortedMarks) {
  BacktestResult r;
  r.account_currency = "USD";
  r.initial_balance = M(1000);
  r.start = T("2024-01-08T00:00:00Z");
  r.end = T("2024-01-10T00:00:00Z");
  r.equity = {Mark("2024-01-09T12:00:00Z", -50), Mark("2024-01-08T00:00:00Z", 1000),
              Mark("2024-01-08T12:00:00Z", 600)};
  PerformanceStats s = ComputePerformance(r);
  EXPECT_EQ(s.final_equity, -50);  // last in time, not in the vector
  EXPECT_EQ(s.annual_return, -1);
  EXPECT_NEAR(s.max_drawdown_pct, 1.05, 1e-12);
  EXPECT_NEAR(s.daily[0].ret, -0.4, 1e-12);
  EXPECT_NEAR(s.daily[1].ret, -50.0 / 600 - 1, 1e-12);
}

TEST(AnalyticsTest, RiskFreeRateLowersSharpe) {
  PerformanceOptions o;
  o.risk_free_rate = 0.052;
  PerformanceStats a = ComputePerformance(FourDays());
  PerformanceStats b = ComputePerformance(FourDays(), o);
  EXPECT_NEAR(b.sharpe, (a.daily_mean - 0.0002) / a.daily_stdev * std::sqrt(260.0), 1e-9);
}

TEST(AnalyticsTest, JsonCarriesEverySection) {
  PerformanceStats s = ComputePerformance(WithTrades());
  nlohmann::json j;
  ToJson(j, s);
  for (const char* k : {"returns", "drawdown", "trades", "activity", "costs", "by_session",
                        "by_weekday", "by_month", "monthly_returns", "daily"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["by_session"].size(), 3u);
  EXPECT_EQ(j["by_weekday"].size(), 5u);
  EXPECT_EQ(j["daily"].size(), 4u);
  EXPECT_EQ(j["daily"][0]["date"], "2024-01-02");
  EXPECT_EQ(j["monthly_returns"][0]["months"].size(), 12u);
  EXPECT_TRUE(j["monthly_returns"][0]["months"][5].is_null());
  EXPECT_EQ(j["start"], "2024-01-02T00:00:00Z");
  EXPECT_NEAR(j["trades"]["profit_factor"].get<double>(), s.profit_factor, 1e-15);
  EXPECT_EQ(j["trades"]["longest_losing_streak"], 2);
}

std::string TmpDir() {
  const char* base = std::getenv("ARUS_TEST_TMP");
  std::string dir =
      std::string(base ? base : "/tmp") + "/analytics_test_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(AnalyticsTest, TradesCsv) {
  BacktestResult r = WithTrades();
  r.trades[0].tag = "mom,\"fast\"\nv2";
  r.trades[0].position = 17;
  std::vector<fx::Instrument> inst = {**fx::InstrumentTable::Builtin().Find("EURUSD")};
  std::string path = TmpDir() + "/trades.csv";
  ASSERT_TRUE(WriteTradesCsv(r, inst, path).ok());
  auto text = ReadFile(path);
  ASSERT_TRUE(text.ok());
  std::string want_header =
      "position,symbol,side,quantity,lots,entry_time,exit_time,holding_seconds,entry_price,"
      "exit_price,pips,gross_pnl,spread_cost,slippage_cost,commission,swap,net_pnl,exit_reason,"
      "tag\n";
  ASSERT_EQ(text->substr(0, want_header.size()), want_header);
  EXPECT_NE(text->find("17,EURUSD,buy,100000,1,2024-01-02T09:00:00Z,2024-01-02T15:00:00Z,21600,"
                       "1.10000,1.10200,20.00,200.00,5.00,0.00,7.00,0.00,193.00,signal,"
                       "\"mom,\"\"fast\"\"\nv2\"\n"),
            std::string::npos)
      << *text;
  // USDJPY is not in the instrument list: shortest prices, no lots.
  EXPECT_NE(text->find("USDJPY,buy,100000,,2024-01-03T23:30:00Z,2024-01-05T15:00:00Z,142200,140,"
                       "140.5,50.00,355.87,5.00,0.00,7.00,12.00,336.87,signal,\n"),
            std::string::npos)
      << *text;
  // Exact to the micro-unit, never a float artefact.
  r.trades[1].net_pnl = Money::FromMicros(-1234567);
  ASSERT_TRUE(WriteTradesCsv(r, inst, path).ok());
  EXPECT_NE(ReadFile(path)->find(",-1.234567,signal"), std::string::npos);
  // Atomic: no temporary file left behind.
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(TmpDir())) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
  EXPECT_FALSE(WriteTradesCsv(r, inst, "/proc/forbidden/trades.csv").ok());
}

TEST(AnalyticsTest, EquityCsv) {
  BacktestResult r;
  r.account_currency = "USD";
  r.initial_balance = M(1000);
  r.start = T("2024-03-04T00:00:00Z");
  r.end = T("2024-03-05T00:00:00Z");
  r.equity = {Mark("2024-03-04T00:00:00Z", 1000), Mark("2024-03-04T12:00:00Z", 950.5)};
  PerformanceStats s = ComputePerformance(r);
  std::string path = TmpDir() + "/equity.csv";
  ASSERT_TRUE(WriteEquityCsv(r, s, path).ok());
  EXPECT_EQ(*ReadFile(path),
            "time,balance,equity,margin_used,gross_exposure,drawdown,drawdown_pct\n"
            "2024-03-04T00:00:00Z,1000.00,1000.00,0.00,0.00,0.00,0.00000000\n"
            "2024-03-04T12:00:00Z,950.50,950.50,0.00,0.00,49.50,0.04950000\n");
  std::filesystem::remove_all(TmpDir());
}

}  // namespace
}  // namespace arus::backtest
