#include "ingest/quarantine.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "core/file.h"

namespace arus::ingest {
namespace {

std::string TestDir(const std::string& name) {
  const char* base = std::getenv("ARUS_TEST_TMP");
  std::filesystem::path p =
      base != nullptr ? std::filesystem::path(base) : std::filesystem::temp_directory_path();
  p /= "quarantine_" + name + "_" + std::to_string(::getpid());
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p.string();
}

// Parses RFC 4180 CSV (quoted fields may hold commas, quotes and newlines).
std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
    } else if (c == '\n') {
      row.push_back(field);
      field.clear();
      rows.push_back(row);
      row.clear();
    } else {
      field += c;
    }
  }
  EXPECT_TRUE(field.empty() && row.empty()) << "file must end with a newline";
  return rows;
}

TEST(QuarantineTest, CountsByReasonAndKeepsTheFirstExamples) {
  Quarantine q(3);
  q.Add("a.csv", 2, "bid", "bad number", "not a price: 'x'", "EUR/USD,x");
  q.Add("a.csv", 5, "time", "non-monotonic time", "earlier", "row5");
  q.Add("b.csv", 1, "bid", "bad number", "not a price: 'y'", "row1");
  q.Add("b.csv", 9, "ask", "crossed quote", "bid > ask", "row9");
  q.Add("b.csv", 10, "bid", "bad number", "z", "row10");
  EXPECT_EQ(q.total(), 5);
  const std::map<std::string, int64_t> want = {
      {"bad number", 3}, {"non-monotonic time", 1}, {"crossed quote", 1}};
  EXPECT_EQ(q.counts_by_reason(), want);
  const std::vector<QuarantinedRow> ex = q.examples();
  ASSERT_EQ(ex.size(), 3u);
  EXPECT_EQ(ex[0].file, "a.csv");
  EXPECT_EQ(ex[0].line, 2u);
  EXPECT_EQ(ex[0].field, "bid");
  EXPECT_EQ(ex[0].reason, "bad number");
  EXPECT_EQ(ex[0].detail, "not a price: 'x'");
  EXPECT_EQ(ex[0].raw, "EUR/USD,x");
  EXPECT_EQ(ex[2].file, "b.csv");
  EXPECT_EQ(ex[2].line, 1u);

  Quarantine none(0);
  none.Add("f", 1, "x", "r", "d", "raw");
  EXPECT_EQ(none.total(), 1);
  EXPECT_TRUE(none.examples().empty());
}

TEST(QuarantineTest, RawIsEscapedAndCut) {
  Quarantine q;
  q.Add("f", 1, "line", "binary", "d", std::string("a\0b\x01\xff\tc", 7));
  std::string long_raw(2000, 'x');
  q.Add("f", 2, "line", "line too long", "d", long_raw);
  const std::vector<QuarantinedRow> ex = q.examples();
  ASSERT_EQ(ex.size(), 2u);
  EXPECT_EQ(ex[0].raw, "a\\x00b\\x01\\xff\\x09c");
  EXPECT_EQ(ex[1].raw, std::string(Quarantine::kMaxRawBytes, 'x') + "...");
}

TEST(QuarantineTest, FileHoldsEveryRowWithCsvQuoting) {
  const std::string dir = TestDir("file");
  const std::string path = dir + "/quarantine/q.csv";
  Quarantine q(1);
  ASSERT_TRUE(q.OpenFile(path).ok());
  q.Add("dir,with,commas/a.csv", 3, "bid", "bad number", "not a price: '1,5'",
        "EUR/USD,20240102 00:00:00.1,1,5,1.2");
  q.Add("b \"quoted\".csv", 4, "time", "bad time", "multi\nline\r\ndetail", "plain");
  q.Add("c.csv", 18446744073709551615ull, "", "", "", "");
  EXPECT_FALSE(std::filesystem::exists(path)) << "the file appears only at Commit";
  Result<std::string> written = q.Commit();
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  EXPECT_EQ(*written, path);
  Result<std::string> text = ReadFile(path);
  ASSERT_TRUE(text.ok());
  const auto rows = ParseCsv(*text);
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"file", "line", "field", "reason", "detail",
                                               "raw"}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"dir,with,commas/a.csv", "3", "bid", "bad number",
                                               "not a price: '1,5'",
                                               "EUR/USD,20240102 00:00:00.1,1,5,1.2"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"b \"quoted\".csv", "4", "time", "bad time",
                                               "multi\nline\r\ndetail", "plain"}));
  EXPECT_EQ(rows[3], (std::vector<std::string>{"c.csv", "18446744073709551615", "", "", "", ""}));
  // Quoting is exactly RFC 4180.
  EXPECT_NE(text->find("\"b \"\"quoted\"\".csv\""), std::string::npos) << *text;
  // No temporary file is left behind.
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir + "/quarantine")) {
    (void)e;
    ++files;
  }
  EXPECT_EQ(files, 1u);
  std::filesystem::remove_all(dir);
}

TEST(QuarantineTest, NoFileWhenNothingWasQuarantined) {
  const std::string dir = TestDir("nofile");
  const std::string path = dir + "/q.csv";
  Quarantine q;
  ASSERT_TRUE(q.OpenFile(path).ok());
  Result<std::string> written = q.Commit();
  ASSERT_TRUE(written.ok());
  EXPECT_EQ(*written, "");
  EXPECT_TRUE(std::filesystem::is_empty(dir)) << "neither the file nor a temporary remains";

  // Without OpenFile there is never a file, rows or not.
  Quarantine mem;
  mem.Add("f", 1, "x", "r", "d", "raw");
  Result<std::string> none = mem.Commit();
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, "");
  EXPECT_EQ(mem.total(), 1);
  std::filesystem::remove_all(dir);
}

TEST(QuarantineTest, ManyRowsFromManyThreads) {
  const std::string dir = TestDir("threads");
  const std::string path = dir + "/q.csv";
  Quarantine q(5);
  ASSERT_TRUE(q.OpenFile(path).ok());
  constexpr int kThreads = 8;
  constexpr int kRows = 5000;  // ~3 MB in all: the buffer is flushed to the file several times
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&q, t] {
      const std::string file = "file" + std::to_string(t) + ".csv";
      const std::string reason = t % 2 == 0 ? "bad number" : "crossed quote";
      const std::string detail(300, static_cast<char>('a' + t));
      for (int i = 1; i <= kRows; ++i) {
        q.Add(file, static_cast<uint64_t>(i), "bid", reason, detail, "raw,row");
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(q.total(), kThreads * kRows);
  const std::map<std::string, int64_t> want = {{"bad number", kThreads / 2 * kRows},
                                               {"crossed quote", kThreads / 2 * kRows}};
  EXPECT_EQ(q.counts_by_reason(), want);
  EXPECT_EQ(q.examples().size(), 5u);
  Result<std::string> written = q.Commit();
  ASSERT_TRUE(written.ok()) << written.status().ToString();
  Result<std::string> text = ReadFile(path);
  ASSERT_TRUE(text.ok());
  const auto rows = ParseCsv(*text);
  ASSERT_EQ(rows.size(), static_cast<size_t>(kThreads * kRows + 1));
  // Every (file, line) arrives exactly once and rows are never interleaved.
  std::vector<std::vector<bool>> seen(kThreads, std::vector<bool>(kRows + 1, false));
  for (size_t i = 1; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 6u) << i;
    const int t = rows[i][0][4] - '0';
    const int line = std::stoi(rows[i][1]);
    ASSERT_TRUE(t >= 0 && t < kThreads && line >= 1 && line <= kRows) << i;
    EXPECT_FALSE(seen[t][line]);
    seen[t][line] = true;
    EXPECT_EQ(rows[i][4], std::string(300, static_cast<char>('a' + t)));
    EXPECT_EQ(rows[i][5], "raw,row");
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace arus::ingest
