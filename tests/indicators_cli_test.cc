// End-to-end tests of `arus indicators`: a golden output on a small hand-checked CSV, the issue's
// indicator set on a longer series (equal to the library, empty cells exactly before warm-up),
// the input variants it accepts and the errors a user hits.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/format.h"
#include "indicators/registry.h"
#include "run_arus.h"

namespace arus {
namespace {

namespace fs = std::filesystem;

using ::arus::testing::RunArus;
using ::arus::testing::RunResult;

std::string ReadAll(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string line;
  while (std::getline(ss, line)) out.push_back(line);
  return out;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep) {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

class IndicatorsCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("arus_ind_cli_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path Write(const std::string& name, const std::string& text) {
    const fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }
  RunResult Run(const fs::path& input, const std::string& set, const fs::path& output) {
    return RunArus("indicators --input " + input.string() + " --set \"" + set + "\" --output " +
                   output.string());
  }
  // Runs on `csv` expecting failure; returns stderr.
  std::string Error(const std::string& csv, const std::string& set = "sma(2)") {
    const fs::path in = Write("bad.csv", csv);
    const RunResult r = Run(in, set, dir_ / "bad_out.csv");
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_FALSE(fs::exists(dir_ / "bad_out.csv"));  // nothing half-written
    return r.err;
  }

  fs::path dir_;
};

void ExpectContains(const std::string& text, const std::string& part) {
  EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}

// Binary-exact prices, so every value below is exact and checked by hand:
//   sma(2): mean of the last two closes. ema(3), k = 1/2: seed (1.5 + 2.5 + 2) / 3 = 2, then
//   2/2 + 2.25/2 = 2.125, 2.125/2 + 3.5/2 = 2.8125. atr(2): TR = 1.5, 1, 0.75, 1.25; first ATR
//   (1.5 + 1) / 2 = 1.25, then (1.25 + 0.75) / 2 = 1, (1 + 1.25) / 2 = 1.125. bbands(2,1): the
//   population sd of two values is half their distance. donchian(2): extremes of two bars.
TEST_F(IndicatorsCliTest, GoldenSmallFile) {
  const fs::path in = Write("bars.csv",
                            "time,open,high,low,close,tick_count,note\n"
                            "2024-01-02T00:00:00Z,1,2,1,1.5,10,a\n"
                            "2024-01-02T00:01:00Z,1.5,3,1.5,2.5,20,b\n"
                            "2024-01-02T00:02:00Z,2.5,2.5,1.5,2,30,c\n"
                            "2024-01-02T00:03:00Z,2,2.5,1.75,2.25,40,d\n"
                            "2024-01-02T00:04:00Z,2.25,3.5,2.25,3.5,50,e\n");
  const fs::path out = dir_ / "out.csv";
  const RunResult r = Run(in, "sma(2),ema(3),atr(2),bbands(2,1),donchian(2)", out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadAll(out),
            "time,open,high,low,close,tick_count,note,sma_2,ema_3,atr_2,bb_mid_2_1,bb_up_2_1,"
            "bb_dn_2_1,dc_mid_2,dc_up_2,dc_dn_2\n"
            "2024-01-02T00:00:00Z,1,2,1,1.5,10,a,,,,,,,,,\n"
            "2024-01-02T00:01:00Z,1.5,3,1.5,2.5,20,b,2,,,2,2.5,1.5,2,3,1\n"
            "2024-01-02T00:02:00Z,2.5,2.5,1.5,2,30,c,2.25,2,1.25,2.25,2.5,2,2.25,3,1.5\n"
            "2024-01-02T00:03:00Z,2,2.5,1.75,2.25,40,d,2.125,2.125,1,2.125,2.25,2,2,2.5,1.5\n"
            "2024-01-02T00:04:00Z,2.25,3.5,2.25,3.5,50,e,2.875,2.8125,1.125,2.875,3.5,2.25,"
            "2.625,3.5,1.75\n");
  ExpectContains(r.err, "wrote 5 rows with 9 indicator column(s)");
}

// A random-walk CSV of `n` M5 bars with volume.
std::string RandomBarsCsv(int n, bool with_volume) {
  std::mt19937_64 rng(17);
  std::normal_distribution<double> z(0, 1);
  std::string csv =
      with_volume ? "time,open,high,low,close,volume\n" : "time,open,high,low,close\n";
  double close = 1.1;
  for (int i = 0; i < n; ++i) {
    const double open = close;
    close = open + 2e-4 * z(rng);
    const double high = std::max(open, close) + 1e-4 * std::fabs(z(rng));
    const double low = std::min(open, close) - 1e-4 * std::fabs(z(rng));
    csv += UnixNanos((1704153600LL + 300LL * i) * kNanosPerSecond).ToIso() + ",";
    for (double v : {open, high, low}) {
      AppendFixed(&csv, v, 5);
      csv += ',';
    }
    AppendFixed(&csv, close, 5);
    if (with_volume) csv += "," + std::to_string(1 + i % 37);
    csv += '\n';
  }
  return csv;
}

TEST_F(IndicatorsCliTest, IssueSetEqualsTheLibraryWithEmptyCellsBeforeWarmup) {
  const std::string set =
      "sma(20),ema(20),rsi(14),macd(12,26,9),bbands(20,2),stoch(14,3,3),mfi(14),adl,obv,atr(14),"
      "adx(14),cci(20),willr(14),ao,wma(10),roc(10),stddev(20),zscore(20),donchian(20),keltner";
  const fs::path in = Write("m5.csv", RandomBarsCsv(400, true));
  const fs::path out = dir_ / "m5_ind.csv";
  const RunResult r = Run(in, set, out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = Lines(ReadAll(out));
  ASSERT_EQ(lines.size(), 401u);
  const std::vector<std::string> header = Split(lines[0], ',');
  const std::vector<std::string> first = Split(
      "time,open,high,low,close,volume,sma_20,ema_20,rsi_14,macd_12_26_9,macd_signal_12_26_9,"
      "macd_hist_12_26_9,bb_mid_20_2,bb_up_20_2,bb_dn_20_2,stoch_k_14_3_3,stoch_d_14_3_3,mfi_14,"
      "adl,obv,atr_14,adx_14,cci_20,willr_14,ao",
      ',');
  ASSERT_GE(header.size(), first.size());
  EXPECT_EQ(std::vector<std::string>(header.begin(), header.begin() + first.size()), first);

  // The same computation through the library, formatted the same way.
  auto specs = indicators::ParseIndicatorList(set);
  ASSERT_TRUE(specs.ok());
  std::vector<indicators::BarInput> bars;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> f = Split(lines[i], ',');
    indicators::BarInput b;
    b.ts_open = *ParseIsoUtc(f[0]);
    b.ts_close = b.ts_open + std::chrono::minutes(5);
    b.open = std::stod(f[1]);
    b.high = std::stod(f[2]);
    b.low = std::stod(f[3]);
    b.close = std::stod(f[4]);
    b.volume = std::stod(f[5]);
    bars.push_back(b);
  }
  size_t column = 6;
  for (const auto& spec : *specs) {
    auto ind = indicators::MakeIndicator(spec);
    ASSERT_TRUE(ind.ok());
    const size_t k = (*ind)->OutputNames().size();
    const std::vector<double> want = indicators::RunBatch(**ind, bars);
    const int warmup = (*ind)->WarmupPeriod();
    for (size_t j = 0; j < k; ++j, ++column) {
      ASSERT_EQ(header[column], (*ind)->OutputNames()[j]);
      for (size_t i = 0; i < bars.size(); ++i) {
        const std::string cell = Split(lines[i + 1], ',')[column];
        std::string expected;
        if (!std::isnan(want[i * k + j])) AppendShortest(&expected, want[i * k + j]);
        ASSERT_EQ(cell, expected) << header[column] << " row " << i;
        ASSERT_EQ(cell.empty(), static_cast<int>(i) + 1 < warmup) << header[column] << " row " << i;
      }
    }
  }
  EXPECT_EQ(column, header.size());
}

TEST_F(IndicatorsCliTest, AcceptedInputVariants) {
  // Dates, CRLF line ends, a byte order mark, columns in another order and upper case, spaces
  // around cells, a trailing blank line.
  const fs::path in = Write("d1.csv",
                            "\xEF\xBB\xBF"
                            "Close,TIME,Low,High,Open\r\n"
                            " 1.5 ,2024-01-02,1,2,1\r\n"
                            "2.5,2024-01-03,1.5,3,1.5\r\n"
                            "2,2024-01-04,1.5,2.5,2.5\r\n\r\n");
  const fs::path out = dir_ / "d1_out.csv";
  const RunResult r = Run(in, "sma(2)", out);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(ReadAll(out),
            "Close,TIME,Low,High,Open,sma_2\n"
            " 1.5 ,2024-01-02,1,2,1,\n"
            "2.5,2024-01-03,1.5,3,1.5,2\n"
            "2,2024-01-04,1.5,2.5,2.5,2.25\n");
  ExpectContains(r.err, "no volume or tick_count column");

  // tick_count stands in for a missing volume column (FX tick volume).
  std::string with_volume = RandomBarsCsv(60, true);
  std::string with_ticks = with_volume;
  with_ticks.replace(0, with_ticks.find('\n'), "time,open,high,low,close,tick_count");
  const fs::path a = dir_ / "a.csv", b = dir_ / "b.csv";
  ASSERT_EQ(Run(Write("v.csv", with_volume), "obv,mfi(5)", a).exit_code, 0);
  ASSERT_EQ(Run(Write("t.csv", with_ticks), "obv,mfi(5)", b).exit_code, 0);
  const std::vector<std::string> la = Lines(ReadAll(a)), lb = Lines(ReadAll(b));
  ASSERT_EQ(la.size(), lb.size());
  for (size_t i = 1; i < la.size(); ++i) EXPECT_EQ(la[i], lb[i]);
}

TEST_F(IndicatorsCliTest, BadInputNamesFileLineAndField) {
  const std::string head = "time,open,high,low,close\n";
  const std::string row1 = "2024-01-02T00:00:00Z,1,2,1,1.5\n";
  std::string e = Error("time,open,high,low\n" + row1);
  ExpectContains(e, "bad.csv:1: missing column 'close'");
  ExpectContains(e, "time,open,high,low,close");
  e = Error(head + row1 + "2024-01-02T00:01:00Z,1,abc,1,1.5\n");
  ExpectContains(e, "bad.csv:3: field 'high': not a number: 'abc'");
  ExpectContains(Error(head + row1 + "2024-01-02T00:01:00Z,1,2,,1.5\n"),
                 "bad.csv:3: field 'low': empty");
  ExpectContains(Error(head + row1 + "2024-01-02T00:01:00Z,1,2,1,nan\n"),
                 "field 'close': not a number: 'nan'");
  e = Error(head + row1 + row1);
  ExpectContains(e, "bad.csv:3: field 'time': not after the previous row's time");
  ExpectContains(Error(head + "2024-13-02,1,2,1,1.5\n"), "bad.csv:2: field 'time'");
  ExpectContains(Error(head + "yesterday,1,2,1,1.5\n"), "bad.csv:2: field 'time'");
  ExpectContains(Error(head + "2024-01-02,1,2,1\n"),
                 "bad.csv:2: expected 5 fields as in the header, got 4");
  ExpectContains(Error(head + "2024-01-02,1,2,1.5,1.2\n"), "bad.csv:2: inconsistent bar");
  ExpectContains(Error("time,open,high,low,close,volume\n2024-01-02,1,2,1,1.5,-3\n"),
                 "field 'volume': negative");
  ExpectContains(Error(""), "bad.csv: empty file");
  ExpectContains(Error(head), "no bars after the header");
  ExpectContains(Error("time,open,high,low,close,close\n"), "column appears twice");
  ExpectContains(
      Error("time,open,high,low,close,sma_2\n" + std::string("2024-01-02,1,2,1,1.5,0\n")),
      "output column 'sma_2' is already in");
  // Not a text file at all.
  ExpectContains(Error(std::string("\x00\x01\x02\xff,\n\x00", 7)), "bad.csv:1: ");
  const RunResult missing = Run(dir_ / "does_not_exist.csv", "sma(2)", dir_ / "never.csv");
  EXPECT_EQ(missing.exit_code, 1);
  ExpectContains(missing.err, "does_not_exist.csv");
}

TEST_F(IndicatorsCliTest, BadIndicatorListsAreClearErrors) {
  const std::string csv = "time,open,high,low,close\n2024-01-02,1,2,1,1.5\n";
  std::string e = Error(csv, "sma(20),foo(3)");
  ExpectContains(e, "unknown indicator 'foo'");
  ExpectContains(e, "known: adl, adx, ao, atr, bbands");
  ExpectContains(Error(csv, "rsi(2.5)"), "must be an integer, got 2.5; expected rsi(period=14)");
  ExpectContains(Error(csv, "sma(1e9)"), "must be in [2, 100000], got 1000000000");
  ExpectContains(Error(csv, "sma("), "missing ')'");
  ExpectContains(Error(csv, "macd(26,12,9)"), "fast period must be below the slow one");
}

TEST_F(IndicatorsCliTest, UsageAndList) {
  const RunResult no_set = RunArus("indicators --input x.csv --output y.csv");
  EXPECT_EQ(no_set.exit_code, 2);
  ExpectContains(no_set.err, "--set");
  EXPECT_EQ(RunArus("indicators --list --input x.csv").exit_code, 2);
  const RunResult help = RunArus("indicators --help");
  EXPECT_EQ(help.exit_code, 0);
  ExpectContains(help.out, "--set");
  const RunResult list = RunArus("indicators --list");
  ASSERT_EQ(list.exit_code, 0) << list.err;
  for (const indicators::IndicatorDef& d : indicators::AllIndicators()) {
    ExpectContains(list.out, "\n" + d.name);
    ExpectContains(list.out, d.description);
  }
  ExpectContains(list.out, "macd(fast=12,slow=26,signal=9)");
  ExpectContains(list.out, "outputs: macd_12_26_9,macd_signal_12_26_9,macd_hist_12_26_9");
  ExpectContains(list.out, "period: integer in [2, 100000]");
}

}  // namespace
}  // namespace arus
