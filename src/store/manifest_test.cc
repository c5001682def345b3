#include "store/manifest.h"

#include <gtest/gtest.h>

#include <random>

#include "core/time.h"

namespace arus::store {
namespace {

SymbolManifest Sample() {
  SymbolManifest m;
  m.symbol = "EURUSD";
  m.generation = 7;
  const int64_t d = DaysFromCivil(2024, 1, 2);
  for (int i = 0; i < 3; ++i) {
    PartitionEntry p;
    p.trading_date = d + i;
    p.generation = 3 + i;
    p.file = PartitionFileName(p.trading_date, p.generation);
    p.tick_count = 1000 + i;
    p.first_ts = (d + i) * kNanosPerDay;
    p.last_ts = p.first_ts + kNanosPerHour;
    p.bytes = 4096 + i;
    p.checksum = 0xfedcba9876543210ull + i;
    p.price_decimals = 5;
    m.partitions.push_back(p);
  }
  return m;
}

TEST(ManifestTest, RoundTrip) {
  const SymbolManifest m = Sample();
  const std::string text = SerializeManifest(m);
  EXPECT_NE(text.find("\"file\":\"2024-01-03.4.atk\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"checksum\":\"fedcba9876543211\""), std::string::npos) << text;
  Result<SymbolManifest> r = ParseManifest(text, "x/MANIFEST.json", "EURUSD");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->generation, 7u);
  ASSERT_EQ(r->partitions.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    const PartitionEntry& a = m.partitions[i];
    const PartitionEntry& b = r->partitions[i];
    EXPECT_EQ(a.trading_date, b.trading_date);
    EXPECT_EQ(a.file, b.file);
    EXPECT_EQ(a.generation, b.generation);
    EXPECT_EQ(a.tick_count, b.tick_count);
    EXPECT_EQ(a.first_ts, b.first_ts);
    EXPECT_EQ(a.last_ts, b.last_ts);
    EXPECT_EQ(a.bytes, b.bytes);
    EXPECT_EQ(a.checksum, b.checksum);
    EXPECT_EQ(a.price_decimals, b.price_decimals);
  }
  SymbolManifest empty;
  empty.symbol = "X";
  EXPECT_TRUE(ParseManifest(SerializeManifest(empty), "m", "X").ok());
}

TEST(ManifestTest, FileNames) {
  int64_t d;
  uint64_t g;
  EXPECT_TRUE(ParsePartitionFileName("2024-01-02.17.atk", &d, &g));
  EXPECT_EQ(d, DaysFromCivil(2024, 1, 2));
  EXPECT_EQ(g, 17u);
  for (const char* bad :
       {"2024-01-02.atk", "2024-01-02.017.atk", "2024-02-30.1.atk", "../x/2024-01-02.1.atk",
        "2024-01-02.1.atk.tmp.5", "2024-1-02.1.atk", "2024-01-02.-1.atk", "2024-01-02.1x.atk"}) {
    EXPECT_FALSE(ParsePartitionFileName(bad, &d, &g)) << bad;
  }
}

void ExpectCorruption(const std::string& text, const std::string& needle) {
  Result<SymbolManifest> r = ParseManifest(text, "dir/EURUSD/MANIFEST.json", "EURUSD");
  ASSERT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("dir/EURUSD/MANIFEST.json"), std::string::npos)
      << r.status().ToString();
  EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().ToString();
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  const size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) s.replace(pos, from.size(), to);
  return s;
}

TEST(ManifestTest, RejectsBadContent) {
  const std::string good = SerializeManifest(Sample());
  ExpectCorruption("{not json", "not valid JSON");
  ExpectCorruption("[1,2]", "not a JSON object");
  ExpectCorruption(Replace(good, "\"version\": 1", "\"version\": 3"),
                   "unsupported manifest version 3");
  ExpectCorruption(Replace(good, "arus-tick-manifest", "other"), "format");
  ExpectCorruption(Replace(good, "\"symbol\": \"EURUSD\"", "\"symbol\": \"GBPUSD\""), "symbol");
  ExpectCorruption(Replace(good, "\"ticks\":1000", "\"ticks\":-5"), "ticks");
  ExpectCorruption(Replace(good, "\"ticks\":1000", "\"ticks\":\"many\""), "ticks");
  ExpectCorruption(Replace(good, "2024-01-02.3.atk", "../../etc/passwd"), "file");
  ExpectCorruption(Replace(good, "2024-01-02.3.atk", "2024-01-02.9.atk"), "generation");
  ExpectCorruption(Replace(good, "fedcba9876543210", "xyz"), "checksum");
  ExpectCorruption(Replace(good, "\"price_decimals\":5", "\"price_decimals\":12"),
                   "price_decimals");
  ExpectCorruption(Replace(good, "\"generation\": 7,", ""), "generation");
  // Out of order partitions.
  SymbolManifest m = Sample();
  std::swap(m.partitions[0], m.partitions[1]);
  ExpectCorruption(SerializeManifest(m), "not after the previous partition");
}

TEST(ManifestTest, MutatedTextNeverCrashes) {
  const std::string good = SerializeManifest(Sample());
  std::mt19937_64 rng(3);
  int rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string t = good;
    if (i % 3 == 0) {
      t.resize(rng() % t.size());
    } else {
      for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
        t[rng() % t.size()] = static_cast<char>(rng());
      }
    }
    Result<SymbolManifest> r = ParseManifest(t, "m", "EURUSD");
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 2000);
}

}  // namespace
}  // namespace arus::store
