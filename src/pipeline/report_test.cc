#include "pipeline/report.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "core/file.h"
#include "fx/calendar.h"

namespace arus::pipeline {
namespace {

using backtest::BacktestResult;
using backtest::PerformanceStats;
using nlohmann::json;

UnixNanos T(const char* iso) { return *ParseIsoUtc(iso); }

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

std::string TmpDir() {
  const char* base = std::getenv("ARUS_TEST_TMP");
  std::string dir =
      std::string(base ? base : "/tmp") + "/report_test_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  return dir;
}

// A synthetic but realistic run: EURUSD hourly random walk over six months of open market,
// a trade every ~30 hours held 4-24 hours, equity marked every hour.
struct Fixture {
  BacktestResult result;
  PerformanceStats stats;
  ReportInput in;
  std::vector<double> daily_returns;

  explicit Fixture(size_t minutes_step = 60, const char* to = "2024-06-29T00:00:00Z",
                   int gap_hours = 30) {
    const fx::FxCalendar& cal = fx::FxCalendar::Default();
    std::mt19937_64 rng(42);
    std::normal_distribution<double> z(0, 1);
    std::uniform_int_distribution<int> hold(4, 24);
    result.account_currency = "USD";
    result.initial_balance = Money::FromDouble(100000);
    result.start = T("2024-01-02T00:00:00Z");
    result.end = T(to);
    ReportPriceSeries ps;
    ps.symbol = "EURUSD";
    ps.decimals = 5;
    double price = 1.1000, realised = 100000;
    bool open = false;
    backtest::Trade cur;
    int next_entry = 10, exit_at = 0, step = 0;
    const Duration dt = Duration(static_cast<int64_t>(minutes_step) * kNanosPerMinute);
    for (UnixNanos t = result.start; t < result.end; t += dt) {
      if (!cal.IsOpen(t)) continue;
      price += 0.0008 * std::sqrt(minutes_step / 60.0) * z(rng) + 0.00002;
      ps.time.push_back(t);
      ps.price.push_back(price);
      ++step;
      if (!open && step >= next_entry) {
        open = true;
        cur = backtest::Trade();
        cur.position = result.trades.size() + 1;
        cur.symbol = "EURUSD";
        cur.side = result.trades.size() % 3 == 1 ? backtest::Side::kSell : backtest::Side::kBuy;
        cur.quantity = 100000;
        cur.entry_time = t;
        cur.entry_price = price;
        cur.tag = "mom";
        exit_at = step + hold(rng) * 60 / static_cast<int>(minutes_step);
      } else if (open && step >= exit_at) {
        open = false;
        cur.exit_time = t;
        cur.exit_price = price;
        double sign = backtest::Sign(cur.side);
        cur.pips = (price - cur.entry_price) * sign / 0.0001;
        cur.gross_pnl = Money::FromDouble((price - cur.entry_price) * sign * cur.quantity - 6);
        cur.costs.spread = Money::FromDouble(5);
        cur.costs.slippage = Money::FromDouble(1);
        cur.costs.commission = Money::FromDouble(7);
        cur.costs.swap = Money::FromDouble(
            cur.exit_time - cur.entry_time > Duration(kNanosPerDay / 2) ? 1.5 : 0);
        cur.net_pnl = cur.gross_pnl - cur.costs.commission - cur.costs.swap;
        realised += cur.net_pnl.ToDouble();
        result.costs.spread += cur.costs.spread;
        result.costs.slippage += cur.costs.slippage;
        result.costs.commission += cur.costs.commission;
        result.costs.swap += cur.costs.swap;
        result.trades.push_back(cur);
        next_entry = step + gap_hours * 60 / static_cast<int>(minutes_step);
      }
      backtest::EquityPoint m;
      m.time = t;
      m.balance = Money::FromDouble(realised);
      double unreal = open ? (price - cur.entry_price) * backtest::Sign(cur.side) * 100000 : 0;
      m.equity = Money::FromDouble(realised + unreal);
      m.gross_exposure = open ? 100000 * price : 0;
      result.equity.push_back(m);
    }
    result.events = ps.time.size();
    backtest::Rejection rej;
    rej.time = T("2024-02-01T10:00:00Z");
    rej.reason = "net USD exposure 2.1x equity exceeds the 2.0x limit";
    result.rejections = {rej, rej};
    stats = backtest::ComputePerformance(result);
    for (const auto& d : stats.daily) daily_returns.push_back(d.ret);

    in.run_name = "demo-eurusd";
    in.config_hash = "0123456789abcdef";
    in.code_revision = "abc123def456";
    in.data_from = result.start;
    in.data_to = result.end;
    in.symbols = {"EURUSD"};
    in.traded_model = "ensemble";
    in.facts = {{"Timeframe", "H1"}, {"Seed", "7"}};
    in.result = &result;
    in.stats = &stats;
    in.prices.push_back(ps);
    in.quality.push_back(
        {"EURUSD", 97.5, "quality report of EURUSD\n  score 97.5\n", QualityJson()});
    in.validation = ValidationJson();
    std::vector<double> trial_sharpes = {0.05, -0.02, 0.08, 0.01, 0.03};
    in.deflated_sharpe = *validation::DeflatedSharpeRatio(daily_returns, trial_sharpes);
    const size_t tt = 400, nn = 6;
    std::vector<double> m(tt * nn);
    for (double& x : m) x = 0.001 * z(rng);
    validation::PboOptions po;
    po.partitions = 8;
    in.pbo = *validation::ProbabilityOfBacktestOverfitting(m, tt, nn, po);
    in.trials = {{"ensemble", 1.2, 0.05, 0.03, 120, true},
                 {"xgboost", 0.8, 0.03, 0.04, 130, false},
                 {"logistic", -0.3, -0.01, 0.06, 90, false}};
  }

  static std::string QualityJson() {
    json j;
    j["rows"] = {{"in", 1234567}, {"out", 1234000}, {"dropped", 567}};
    j["rules"] = json::array({{{"rule", "spike"}, {"hits", 12}}, {{"rule", "stale"}, {"hits", 3}}});
    j["gaps"] = {{"count", 2}, {"open_seconds_total", 5400}};
    j["jumps"] = {{"count", 1}};
    json hours = json::array();
    for (int h = 0; h < 24; ++h) {
      hours.push_back({{"ny_hour", h},
                       {"ticks", 1000 + h},
                       {"spread_mean_pips", h == 17 ? 2.5 : 0.6 + 0.02 * h}});
    }
    j["hours"] = hours;
    return j.dump(2);
  }

  static json ValidationJson() {
    json v;
    v["format"] = "arus-train-metrics";
    v["data"] = {{"label", "direction_12"},
                 {"task", "classification"},
                 {"usable_rows", 25000},
                 {"from", "2024-01-02T00:00:00Z"},
                 {"to", "2024-06-28T00:00:00Z"}};
    v["scheme"] = "walk_forward";
    v["models"] = {"xgboost", "logistic", "ensemble"};
    json models;
    double base[] = {0.41, 0.39, 0.42};
    for (int k = 0; k < 3; ++k) {
      json folds = json::array();
      for (int f = 0; f < 5; ++f) {
        folds.push_back(
            {{"fold", f + 1},
             {"train",
              {{"rows", 8000 + 2000 * f},
               {"from", "2024-01-02T00:00:00Z"},
               {"to", "2024-03-01T00:00:00Z"}}},
             {"test",
              {{"rows", 3000}, {"from", "2024-03-02T00:00:00Z"}, {"to", "2024-04-01T00:00:00Z"}}},
             {"metrics",
              {{"n", 3000},
               {"accuracy", base[k] + 0.01 * ((f * 7 + k) % 3)},
               {"chance_accuracy", 0.36}}}});
      }
      models[v["models"][k].get<std::string>()] = {{"folds", folds},
                                                   {"pooled",
                                                    {{"n", 15000},
                                                     {"accuracy", base[k] + 0.01},
                                                     {"balanced_accuracy", base[k]},
                                                     {"chance_accuracy", 0.36},
                                                     {"binomial_p", 1e-9},
                                                     {"log_loss", 1.05},
                                                     {"brier", 0.62},
                                                     {"roc_auc", nullptr}}},
                                                   {"search_trials", 12}};
    }
    v["validation"] = models;
    return v;
  }
};

TEST(ReportTest, RequiresResultAndStats) {
  ReportInput in;
  auto r = RenderReport(in);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("required"), std::string::npos);
}

TEST(ReportTest, HasEverySectionAndTheHeader) {
  Fixture f;
  auto html = RenderReport(f.in);
  ASSERT_TRUE(html.ok());
  const std::string& h = *html;
  EXPECT_EQ(h.rfind("<!DOCTYPE html>", 0), 0u);
  for (const char* id : {"equity", "metrics", "monthly", "prices", "costs", "breakdown",
                         "overfitting", "validation", "quality", "trades"}) {
    EXPECT_NE(h.find(std::string("id=\"") + id + "\""), std::string::npos) << id;
  }
  for (const char* text : {"demo-eurusd",
                           "0123456789abcdef",
                           "abc123def456",
                           "2024-01-02 00:00",
                           "2024-06-29 00:00",
                           "ensemble",
                           "Timeframe",
                           "Sharpe ratio",
                           "Profit factor",
                           "Monthly returns",
                           "By session",
                           "By weekday",
                           "Deflated Sharpe",
                           "Probability of backtest overfitting",
                           "Pooled out-of-sample metrics",
                           "direction_12",
                           "Mean spread",
                           "net USD exposure 2.1x",
                           "Spread",
                           "Commission",
                           "Slippage",
                           "Swap",
                           "London",
                           "New York",
                           "Asia"}) {
    EXPECT_NE(h.find(text), std::string::npos) << text;
  }
  // Charts: equity, drawdown, heat map, price, costs, session, weekday, month, logits,
  // per-fold, spread by hour.
  EXPECT_GE(Count(h, "<svg"), 11u);
  EXPECT_EQ(Count(h, "<svg"), Count(h, "</svg>"));
  // Every trade of the price series is marked (fewer than the 600 cap).
  ASSERT_LT(f.result.trades.size(), 600u);
  ASSERT_GT(f.result.trades.size(), 50u);
  EXPECT_EQ(Count(h, "fill=\"#fff\" stroke=\"#0f172a\" stroke-width=\"1.6\""),
            f.result.trades.size());
  // The headline figures are the analytics' numbers.
  char sharpe[32];
  std::snprintf(sharpe, sizeof sharpe, "%.2f", f.stats.sharpe);
  EXPECT_NE(h.find(std::string(">") + sharpe + "<"), std::string::npos) << sharpe;
  // Months in the heat map: January to June 2024.
  EXPECT_NE(h.find("<title>Jun 2024:"), std::string::npos);
  EXPECT_EQ(h.find("<title>Jul 2024:"), std::string::npos);
}

TEST(ReportTest, SelfContained) {
  Fixture f;
  std::string h = *RenderReport(f.in);
  EXPECT_EQ(h.find("http://"), std::string::npos);
  EXPECT_EQ(h.find("https://"), std::string::npos);
  EXPECT_EQ(h.find("//cdn"), std::string::npos);
  EXPECT_EQ(h.find("<link"), std::string::npos);
  EXPECT_EQ(h.find("@import"), std::string::npos);
  EXPECT_EQ(h.find(" src="), std::string::npos);
  EXPECT_EQ(h.find("href="), std::string::npos);
  // Only in-document references in url(...).
  std::regex url(R"(url\(([^)]*)\))");
  for (auto it = std::sregex_iterator(h.begin(), h.end(), url); it != std::sregex_iterator();
       ++it) {
    EXPECT_EQ((*it)[1].str().rfind("#", 0), 0u) << (*it)[0].str();
  }
  EXPECT_EQ(Count(h, "<script>"), 1u);  // the tooltip script, inline
  EXPECT_LT(h.size(), 3u << 20);
}

TEST(ReportTest, EscapesHostileText) {
  Fixture f;
  const std::string evil = "<script>alert(1)</script>\"'&";
  f.in.run_name = evil;
  f.in.config_hash = "\"><img src=x onerror=alert(2)>";
  f.in.facts.push_back({"<b>key</b>", "<i>value</i>"});
  f.in.symbols = {"EUR<USD>"};
  f.result.trades[0].tag = "<img src=x onerror=alert(3)>";
  f.result.trades[0].symbol = "EURUSD";
  f.result.rejections[0].reason = "</td><script>alert(4)</script>";
  f.in.prices[0].symbol = "EURUSD</h3><script>alert(5)</script>";
  f.in.quality[0].text = "</pre><script>alert(6)</script>";
  f.in.quality[0].symbol = "Q<s>";
  f.in.quality[0].json = "{not json";  // malformed: the table shows dashes
  f.in.validation["validation"]["<svg onload=alert(7)>"] = f.in.validation["validation"]["xgboost"];
  f.in.validation["validation"].erase("xgboost");
  f.in.validation["models"] = {"<svg onload=alert(7)>", "logistic", "ensemble"};
  f.in.trials[0].name = "<u>trial</u>";
  f.in.generated_at = "bad \xFF\xFE utf-8 \xC0\xAF end";
  std::string h = *RenderReport(f.in);
  EXPECT_EQ(Count(h, "<script"), 1u);
  for (const char* raw : {"<img", "<b>key", "<i>value", "EUR<USD>", "<u>trial", "<svg onload",
                          "Q<s>", "onerror=alert(2)>"}) {
    EXPECT_EQ(h.find(raw), std::string::npos) << raw;
  }
  EXPECT_NE(h.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&amp;"), std::string::npos);
  EXPECT_NE(h.find("&lt;img src=x onerror=alert(3)&gt;"), std::string::npos);
  EXPECT_NE(h.find("&lt;/pre&gt;&lt;script&gt;alert(6)"), std::string::npos);
  EXPECT_NE(h.find("&lt;svg onload=alert(7)&gt;"), std::string::npos);
  // Invalid UTF-8 becomes U+FFFD; no raw 0xFF/0xC0 byte survives.
  EXPECT_EQ(h.find('\xFF'), std::string::npos);
  EXPECT_EQ(h.find('\xC0'), std::string::npos);
  EXPECT_NE(h.find("bad \xEF\xBF\xBD\xEF\xBF\xBD utf-8"), std::string::npos);
}

TEST(ReportTest, HtmlEscape) {
  EXPECT_EQ(HtmlEscape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(HtmlEscape("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\x88"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x93\x88");
  EXPECT_EQ(HtmlEscape("\xC3"), "\xEF\xBF\xBD");                                  // truncated
  EXPECT_EQ(HtmlEscape("\xE0\x80\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong
  EXPECT_EQ(HtmlEscape("\xED\xA0\x80").substr(0, 3), "\xEF\xBF\xBD");             // surrogate
  EXPECT_EQ(HtmlEscape(std::string("a\0b", 3)),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(HtmlEscape("line\nnext\ttab"), "line\nnext\ttab");
}

TEST(ReportTest, DownsampleKeepsExtremesAndBounds) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> z(0, 1);
  std::vector<double> y(100000);
  double v = 0;
  for (double& x : y) x = v += z(rng);
  y[54321] = 1e6;   // a spike
  y[77777] = -1e6;  // and a crash
  std::vector<size_t> idx = DownsampleMinMax(y, 2000);
  EXPECT_LE(idx.size(), 2000u);
  EXPECT_GT(idx.size(), 1500u);
  EXPECT_EQ(idx.front(), 0u);
  EXPECT_EQ(idx.back(), y.size() - 1);
  EXPECT_TRUE(std::is_sorted(idx.begin(), idx.end()));
  EXPECT_TRUE(std::adjacent_find(idx.begin(), idx.end()) == idx.end());
  EXPECT_NE(std::find(idx.begin(), idx.end(), 54321u), idx.end());
  EXPECT_NE(std::find(idx.begin(), idx.end(), 77777u), idx.end());
  std::vector<double> small = {3, 1, 2};
  EXPECT_EQ(DownsampleMinMax(small, 2000), (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(DownsampleMinMax({}, 2000).empty());
}

TEST(ReportTest, LargeInputsAreDownsampled) {
  Fixture f(5);  // five-minute marks: ~37,000 points
  ASSERT_GT(f.stats.curve.size(), 30000u);
  std::string h = *RenderReport(f.in);
  std::regex poly("<polyline[^>]*points=\"([^\"]*)\"");
  size_t lines = 0;
  for (auto it = std::sregex_iterator(h.begin(), h.end(), poly); it != std::sregex_iterator();
       ++it) {
    std::string pts = (*it)[1].str();
    size_t n = std::count(pts.begin(), pts.end(), ',');
    EXPECT_LE(n, 2000u);
    ++lines;
  }
  EXPECT_GE(lines, 4u);
  EXPECT_LT(h.size(), 3u << 20);
}

TEST(ReportTest, MultiYearRun) {
  Fixture f(120, "2026-12-31T00:00:00Z", 10);  // three years of two-hour marks
  ASSERT_GT(f.result.trades.size(), 600u);
  std::string h = *RenderReport(f.in);
  // One heat-map row per year.
  for (const char* y :
       {"<title>Jan 2024:", "<title>Jan 2025:", "<title>Dec 2026:", "<title>Year 2025:"}) {
    EXPECT_NE(h.find(y), std::string::npos) << y;
  }
  // At most 600 trades drawn on the price, and the page says so.
  EXPECT_EQ(Count(h, "fill=\"#fff\" stroke=\"#0f172a\" stroke-width=\"1.6\""), 600u);
  EXPECT_NE(h.find("Showing 600 of " + std::to_string(f.result.trades.size()) + " trades"),
            std::string::npos);
  // The trade list shows the first and last 100.
  EXPECT_NE(h.find("The first and last 100 of"), std::string::npos);
  const char* base = std::getenv("ARUS_TEST_TMP");
  ASSERT_TRUE(WriteReport(f.in, std::string(base ? base : "/tmp") + "/report_multiyear.html").ok());
}

TEST(ReportTest, EmptyRunRendersWithNotes) {
  BacktestResult r;
  r.account_currency = "EUR";
  r.initial_balance = Money::FromDouble(1000);
  r.start = r.end = T("2024-01-02T00:00:00Z");
  PerformanceStats s = backtest::ComputePerformance(r);
  ReportInput in;
  in.result = &r;
  in.stats = &s;
  auto h = RenderReport(in);
  ASSERT_TRUE(h.ok());
  EXPECT_NE(h->find("The strategy made no trades."), std::string::npos);
  EXPECT_NE(h->find("Not enough equity marks"), std::string::npos);
  EXPECT_NE(h->find("No trading days in the run."), std::string::npos);
  EXPECT_EQ(h->find("id=\"validation\""), std::string::npos);  // no input, no section
  for (const char* bad : {">nan", ">-nan", ">inf", ">-inf", "nan%", "inf%"}) {
    EXPECT_EQ(h->find(bad), std::string::npos) << bad;
  }
}

TEST(ReportTest, WriteIsAtomicAndDeterministic) {
  Fixture f;
  std::string dir = TmpDir();
  std::string path = dir + "/sub/report.html";
  ASSERT_TRUE(WriteReport(f.in, path).ok());
  auto a = ReadFile(path);
  ASSERT_TRUE(a.ok());
  Fixture g;
  ASSERT_TRUE(WriteReport(g.in, path).ok());
  EXPECT_EQ(*ReadFile(path), *a);
  size_t files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir + "/sub")) files += e.is_regular_file();
  EXPECT_EQ(files, 1u);
  EXPECT_FALSE(WriteReport(f.in, "/proc/nope/report.html").ok());
}

std::string FindChromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    for (const char* dir : {"/usr/bin", "/usr/local/bin", "/snap/bin"}) {
      std::string p = std::string(dir) + "/" + name;
      if (::access(p.c_str(), X_OK) == 0) return p;
    }
  }
  return {};
}

// Renders the report in headless Chromium: a screenshot that is not blank, a DOM with the
// charts and no script errors. The page and its screenshot stay in $ARUS_TEST_TMP
// (report_example.html, report_screenshot.png) for a look by eye.
TEST(ReportTest, RendersInHeadlessChromium) {
  std::string chromium = FindChromium();
  if (chromium.empty()) {
    GTEST_SKIP() << "chromium is not installed (Debian package `chromium`); skipping the "
                    "headless rendering check";
  }
  Fixture f;
  const char* base = std::getenv("ARUS_TEST_TMP");
  std::string out_dir = base ? base : "/tmp";
  std::string dir = TmpDir();
  std::string html = out_dir + "/report_example.html";
  ASSERT_TRUE(WriteReport(f.in, html).ok());
  std::string png = out_dir + "/report_screenshot.png";
  std::string dom = dir + "/dom.html";
  std::string log = dir + "/chromium.log";
  std::remove(png.c_str());
  std::string flags =
      " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage "
      "--hide-scrollbars --user-data-dir=" +
      dir +
      "/profile "
      "--enable-logging=stderr --v=0 ";
  // One run gives both the screenshot and the DOM after scripts ran.
  std::string cmd = "timeout 120 " + chromium + flags + "--screenshot=" + png +
                    " --dump-dom --window-size=1280,4000 file://" + html + " >" + dom + " 2>" + log;
  int rc = std::system(cmd.c_str());
  auto log_text = ReadFile(log);
  ASSERT_EQ(rc, 0) << (log_text.ok() ? *log_text : "");
  auto image = ReadFile(png);
  ASSERT_TRUE(image.ok()) << "no screenshot";
  // A PNG of the requested size whose content is not a blank page (a blank 1280x4000 page
  // compresses to a few kilobytes).
  ASSERT_GT(image->size(), 24u);
  EXPECT_EQ(image->substr(1, 3), "PNG");
  auto be32 = [&](size_t at) {
    const auto* p = reinterpret_cast<const unsigned char*>(image->data() + at);
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
  };
  EXPECT_EQ(be32(16), 1280u);
  EXPECT_EQ(be32(20), 4000u);
  EXPECT_GT(image->size(), 100u * 1024);
  auto d = ReadFile(dom);
  ASSERT_TRUE(d.ok());
  EXPECT_GE(Count(*d, "<svg"), 11u);
  EXPECT_NE(d->find("id=\"monthly\""), std::string::npos);
  EXPECT_NE(d->find("<polyline"), std::string::npos);
  // Console errors from the inline script would show up in Chromium's log.
  EXPECT_EQ(log_text->find("Uncaught"), std::string::npos) << *log_text;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace arus::pipeline
