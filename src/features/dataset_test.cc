// Dataset files: the documented byte layout, round trips (random shapes and special values, bit
// for bit), partial reads, the CSV form (golden), and damaged / hostile files (every truncation,
// every flipped byte, crafted headers with valid checksums).
#include "features/dataset.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>
#include <xxhash.h>

#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

#include "core/file.h"

namespace arus::features {
namespace {

namespace fs = std::filesystem;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr size_t kBlockRows = 65536;  // rows per checksum block written (docs/dataset-format.md)

class DatasetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("arus_dataset_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

std::string Bytes(const std::string& path) {
  auto r = ReadFile(path);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::string();
}

// Fresh inode each time (see store_corruption_test: avoids ext4 flush-on-truncate).
void Overwrite(const std::string& path, const std::string& data) {
  std::remove(path.c_str());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(data.data(), 1, data.size(), f), data.size());
  std::fclose(f);
}

uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, 8);
  return b;
}

// Bit-for-bit equality (stricter than operator==: -0.0 vs 0.0 and NaN payloads differ).
void ExpectBitEqual(const Dataset& a, const Dataset& b) {
  EXPECT_TRUE(a == b);
  ASSERT_EQ(a.features.size(), b.features.size());
  for (size_t c = 0; c < a.features.size(); ++c) {
    ASSERT_EQ(a.features[c].size(), b.features[c].size());
    for (size_t r = 0; r < a.features[c].size(); ++r) {
      ASSERT_EQ(Bits(a.features[c][r]), Bits(b.features[c][r])) << "feature " << c << " row " << r;
    }
  }
  ASSERT_EQ(a.labels.size(), b.labels.size());
  for (size_t c = 0; c < a.labels.size(); ++c) {
    ASSERT_EQ(a.labels[c].size(), b.labels[c].size());
    for (size_t r = 0; r < a.labels[c].size(); ++r) {
      ASSERT_EQ(Bits(a.labels[c][r]), Bits(b.labels[c][r])) << "label " << c << " row " << r;
    }
  }
}

double SpecialOrRandom(std::mt19937_64& rng) {
  static const double kSpecial[] = {kNaN,
                                    -kNaN,
                                    kInf,
                                    -kInf,
                                    -0.0,
                                    0.0,
                                    std::numeric_limits<double>::denorm_min(),
                                    -std::numeric_limits<double>::denorm_min() * 12345,
                                    std::numeric_limits<double>::min() / 3,
                                    std::numeric_limits<double>::max(),
                                    std::numeric_limits<double>::lowest(),
                                    0.1,
                                    1e-7};
  std::uniform_int_distribution<int> pick(0, 5);
  if (pick(rng) == 0) {
    return kSpecial[std::uniform_int_distribution<size_t>(0, std::size(kSpecial) - 1)(rng)];
  }
  if (pick(rng) == 0) {  // any bit pattern, including NaNs with payloads
    const uint64_t b = rng();
    double v;
    std::memcpy(&v, &b, 8);
    return v;
  }
  return std::normal_distribution<double>(0, 1e3)(rng);
}

Dataset RandomDataset(std::mt19937_64& rng, size_t rows, size_t nf, size_t nl) {
  Dataset ds;
  ds.symbol = "EURUSD";
  ds.base_timeframe = "M5";
  ds.feature_set_name = "set-" + std::to_string(rng() % 1000);
  ds.feature_set_hash = "0123456789abcdef";
  ds.feature_set_text = "[set]\nname = \"x, \\\"quoted\\\"\"\n# é ü\n";
  int64_t t = static_cast<int64_t>(rng() % 2'000'000'000'000'000'000) - 1'000'000'000'000'000'000;
  for (size_t r = 0; r < rows; ++r) {
    ds.time.push_back(UnixNanos(t));
    t += 1 + static_cast<int64_t>(rng() % 600'000'000'000);
  }
  for (size_t c = 0; c < nf; ++c) {
    ds.feature_names.push_back("f" + std::to_string(c) + (c % 3 == 0 ? ",x" : ""));
    ds.features.emplace_back();
    for (size_t r = 0; r < rows; ++r) ds.features.back().push_back(SpecialOrRandom(rng));
  }
  for (size_t l = 0; l < nl; ++l) {
    ds.label_names.push_back("y" + std::to_string(l));
    ds.labels.emplace_back();
    ds.label_end.emplace_back();
    for (size_t r = 0; r < rows; ++r) {
      ds.labels.back().push_back(SpecialOrRandom(rng));
      ds.label_end.back().push_back(rng() % 4 == 0 ? UnixNanos::Max()
                                                   : ds.time[r] + Duration(rng() % 100000));
    }
  }
  const size_t cp = rng() % 3 == 0 ? 0 : rng() % 300;
  for (size_t i = 0; i < cp; ++i) ds.checkpoint.push_back(static_cast<uint8_t>(rng()));
  return ds;
}

// A small fixed dataset used by the layout, CSV and damage tests.
Dataset Small() {
  Dataset ds;
  ds.symbol = "EURUSD";
  ds.base_timeframe = "M5";
  ds.feature_set_name = "demo";
  ds.feature_set_hash = "00112233aabbccdd";
  ds.feature_set_text = "symbol = \"EURUSD\"\n";
  const int64_t t0 = 1704189600LL * kNanosPerSecond;  // 2024-01-02T10:00:00Z
  ds.time = {UnixNanos(t0), UnixNanos(t0 + 5 * kNanosPerMinute),
             UnixNanos(t0 + 10 * kNanosPerMinute + 123 * kNanosPerMilli)};
  ds.feature_names = {"sma_20", "rsi_14"};
  ds.features = {{1.5, kNaN, -0.0}, {0.1, 1e-7, kInf}};
  ds.label_names = {"ret_1"};
  ds.labels = {{5e-324, -kInf, kNaN}};
  ds.label_end = {{UnixNanos(t0 + 5 * kNanosPerMinute), UnixNanos(t0 + 10 * kNanosPerMinute),
                   UnixNanos::Max()}};
  ds.checkpoint = {1, 2, 3, 4, 5};
  return ds;
}

// ---- Dataset methods ---------------------------------------------------------------------------

TEST(DatasetMethods, ValidateAcceptsGoodAndNamesEachProblem) {
  EXPECT_TRUE(Small().Validate().ok());
  EXPECT_TRUE(Dataset().Validate().ok());

  auto expect_bad = [](const Dataset& ds, const std::string& needle) {
    Status s = ds.Validate();
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << needle;
    EXPECT_NE(s.message().find(needle), std::string::npos) << s.message();
  };
  Dataset d = Small();
  d.features.pop_back();
  expect_bad(d, "2 feature names but 1 feature columns");
  d = Small();
  d.features[1].push_back(1);
  expect_bad(d, "feature 'rsi_14' has 4 rows, time has 3");
  d = Small();
  d.label_end.clear();
  expect_bad(d, "1 label names, 1 label columns and 0 label end columns");
  d = Small();
  d.label_end[0].pop_back();
  expect_bad(d, "label 'ret_1' has 3 values and 2 end times");
  d = Small();
  d.feature_names[1] = "sma_20";
  expect_bad(d, "feature name 'sma_20' repeats");
  d = Small();
  d.label_names[0] = "rsi_14";
  expect_bad(d, "label name 'rsi_14' repeats");
  d = Small();
  d.feature_names[0] = "time";
  expect_bad(d, "feature name 'time' repeats");
  d = Small();
  d.feature_names[0] = "ret_1_end";  // collides with the label's CSV end column
  expect_bad(d, "label end name 'ret_1_end' repeats");
  d = Small();
  d.feature_names[0] = "";
  expect_bad(d, "feature name is empty");
  d = Small();
  d.label_names[0] = "a\nb";
  expect_bad(d, "control character");
  d = Small();
  d.time[2] = d.time[1];
  expect_bad(d, "time does not increase at row 2");
  d = Small();
  std::swap(d.time[0], d.time[1]);
  expect_bad(d, "time does not increase at row 1");
}

TEST(DatasetMethods, LabelEndIndexSliceEquality) {
  Dataset d = Small();
  d.label_names.push_back("dir_3");
  d.labels.push_back({1, 0, -1});
  d.label_end.push_back({UnixNanos(1), d.time[2] + Duration(kNanosPerHour), UnixNanos(7)});
  EXPECT_EQ(d.LabelEnd(0), d.label_end[0][0]);  // the later of the two
  EXPECT_EQ(d.LabelEnd(1), d.time[2] + Duration(kNanosPerHour));
  EXPECT_EQ(d.LabelEnd(2), UnixNanos::Max());  // unknown end dominates
  Dataset no_labels = Small();
  no_labels.label_names.clear();
  no_labels.labels.clear();
  no_labels.label_end.clear();
  EXPECT_EQ(no_labels.LabelEnd(0), UnixNanos::Min());

  EXPECT_EQ(d.FeatureIndex("rsi_14"), 1);
  EXPECT_EQ(d.FeatureIndex("ret_1"), -1);
  EXPECT_EQ(d.LabelIndex("dir_3"), 1);
  EXPECT_EQ(d.LabelIndex("sma_20"), -1);

  const Dataset mid = d.Slice(1, 2);
  ASSERT_EQ(mid.rows(), 1u);
  EXPECT_EQ(mid.time[0], d.time[1]);
  EXPECT_TRUE(std::isnan(mid.features[0][0]));
  EXPECT_EQ(mid.features[1][0], 1e-7);
  EXPECT_EQ(mid.label_end[1][0], d.label_end[1][1]);
  EXPECT_TRUE(mid.checkpoint.empty());  // state after row 1 is not what was saved
  EXPECT_EQ(mid.symbol, d.symbol);
  EXPECT_EQ(mid.feature_set_text, d.feature_set_text);
  EXPECT_TRUE(mid.Validate().ok());
  EXPECT_EQ(d.Slice(2, 3).checkpoint, d.checkpoint);
  EXPECT_TRUE(d.Slice(0, 99) == d);  // clamped
  EXPECT_EQ(d.Slice(5, 9).rows(), 0u);
  EXPECT_EQ(d.Slice(2, 1).rows(), 0u);

  Dataset e = d;
  EXPECT_TRUE(e == d);  // NaN cells compare equal
  e.features[0][1] = 0;
  EXPECT_FALSE(e == d);
  e = d;
  e.feature_set_hash = "x";
  EXPECT_FALSE(e == d);
  e = d;
  e.label_end[0][2] = UnixNanos(0);
  EXPECT_FALSE(e == d);
  e = d;
  e.checkpoint.push_back(0);
  EXPECT_FALSE(e == d);
}

// ---- Layout ------------------------------------------------------------------------------------

uint64_t LeU64(const std::string& s, size_t off) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(s[off + i]);
  return v;
}

TEST_F(DatasetTest, FileLayoutIsTheDocumentedOne) {
  const Dataset ds = Small();
  ASSERT_TRUE(WriteDataset(Path("a.ads"), ds).ok());
  const std::string f = Bytes(Path("a.ads"));
  ASSERT_EQ(f.substr(0, 8), "ARUSDSET");
  EXPECT_EQ(LeU64(f, 8) & 0xffffffff, 1u);  // version
  EXPECT_EQ(LeU64(f, 8) >> 32, 0u);         // reserved
  const uint64_t h = LeU64(f, 16);
  EXPECT_EQ(h % 8, 0u);
  EXPECT_EQ(LeU64(f, 24), XXH64(f.data() + 32, h, 0));
  const nlohmann::json j = nlohmann::json::parse(f.substr(32, h));
  EXPECT_EQ(j["symbol"], "EURUSD");
  EXPECT_EQ(j["base_timeframe"], "M5");
  EXPECT_EQ(j["feature_set"]["name"], "demo");
  EXPECT_EQ(j["feature_set"]["hash"], "00112233aabbccdd");
  EXPECT_EQ(j["feature_set"]["text"], ds.feature_set_text);
  EXPECT_EQ(j["rows"], 3);
  EXPECT_EQ(j["checksum_block"], 524288);
  const auto& secs = j["sections"];
  ASSERT_EQ(secs.size(), 6u);
  const char* kinds[] = {"time", "feature", "feature", "label", "label_end", "checkpoint"};
  const char* names[] = {"time", "sma_20", "rsi_14", "ret_1", "ret_1", "checkpoint"};
  uint64_t off = 32 + h;
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(secs[i]["kind"], kinds[i]);
    EXPECT_EQ(secs[i]["name"], names[i]);
    EXPECT_EQ(secs[i]["offset"], off);
    const uint64_t len = secs[i]["length"];
    EXPECT_EQ(len, i == 5 ? 5u : 24u);
    ASSERT_EQ(secs[i]["xxh64"].size(), 1u);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(XXH64(f.data() + off, len, 0)));
    EXPECT_EQ(secs[i]["xxh64"][0], hex);
    off += len;
  }
  EXPECT_EQ(off, f.size());
  // Raw little-endian values at the documented offsets.
  const uint64_t t_off = secs[0]["offset"], f1_off = secs[2]["offset"], e_off = secs[4]["offset"];
  for (size_t r = 0; r < 3; ++r) {
    EXPECT_EQ(static_cast<int64_t>(LeU64(f, t_off + 8 * r)), ds.time[r].ns());
    EXPECT_EQ(LeU64(f, f1_off + 8 * r), Bits(ds.features[1][r]));
    EXPECT_EQ(static_cast<int64_t>(LeU64(f, e_off + 8 * r)), ds.label_end[0][r].ns());
  }
  EXPECT_EQ(f.substr(off - 5), std::string("\1\2\3\4\5", 5));
}

TEST_F(DatasetTest, ChecksumBlocksSplitLongColumns) {
  std::mt19937_64 rng(5);
  const Dataset ds = RandomDataset(rng, 2 * kBlockRows + 7, 1, 0);
  ASSERT_TRUE(WriteDataset(Path("b.ads"), ds).ok());
  auto r = DatasetReader::Open(Path("b.ads"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)->sections().size(), 3u);
  EXPECT_EQ((*r)->sections()[0].block_xxh64.size(), 3u);
  EXPECT_EQ((*r)->sections()[1].block_xxh64.size(), 3u);
  EXPECT_EQ((*r)->sections()[2].block_xxh64.size(), ds.checkpoint.empty() ? 0u : 1u);
  const std::string f = Bytes(Path("b.ads"));
  const DatasetSection& s = (*r)->sections()[1];
  EXPECT_EQ(s.block_xxh64[2], XXH64(f.data() + s.offset + 2 * 524288, 56, 0));
}

// ---- Round trips -------------------------------------------------------------------------------

TEST_F(DatasetTest, RoundTripSpecialValuesBitForBit) {
  const Dataset ds = Small();
  ASSERT_TRUE(WriteDataset(Path("s.ads"), ds).ok());
  auto back = ReadDataset(Path("s.ads"));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectBitEqual(ds, *back);
  EXPECT_TRUE(std::signbit(back->features[0][2]));
  EXPECT_EQ(back->labels[0][0], 5e-324);
}

TEST_F(DatasetTest, RoundTripRandomShapes) {
  std::mt19937_64 rng(2024);
  struct Shape {
    size_t rows, nf, nl;
  };
  std::vector<Shape> shapes = {{0, 0, 0},         {0, 3, 2}, {1, 0, 0},
                               {5, 0, 2},         {5, 4, 0}, {kBlockRows + 1, 2, 1},
                               {kBlockRows, 1, 1}};
  for (int i = 0; i < 60; ++i) shapes.push_back({rng() % 400, rng() % 6, rng() % 4});
  for (const Shape& sh : shapes) {
    SCOPED_TRACE(::testing::Message()
                 << sh.rows << " rows, " << sh.nf << " features, " << sh.nl << " labels");
    const Dataset ds = RandomDataset(rng, sh.rows, sh.nf, sh.nl);
    ASSERT_TRUE(ds.Validate().ok());
    ASSERT_TRUE(WriteDataset(Path("r.ads"), ds).ok());
    auto back = ReadDataset(Path("r.ads"));
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ExpectBitEqual(ds, *back);
    EXPECT_EQ(back->time, ds.time);
    EXPECT_EQ(back->label_end, ds.label_end);
    EXPECT_EQ(back->checkpoint, ds.checkpoint);
    EXPECT_EQ(back->feature_set_text, ds.feature_set_text);
  }
}

TEST_F(DatasetTest, TimesAtTheEndsOfTheRange) {
  Dataset ds;
  ds.time = {UnixNanos::Min(), UnixNanos(-1), UnixNanos(0), UnixNanos::Max()};
  ds.label_names = {"y"};
  ds.labels = {{1, 2, 3, 4}};
  ds.label_end = {{UnixNanos::Min(), UnixNanos::Max(), UnixNanos(0), UnixNanos::Max()}};
  ASSERT_TRUE(WriteDataset(Path("t.ads"), ds).ok());
  auto back = ReadDataset(Path("t.ads"));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(*back == ds);
}

TEST_F(DatasetTest, WriteIsAtomicAndRefusesInvalidData) {
  const Dataset ds = Small();
  ASSERT_TRUE(WriteDataset(Path("w.ads"), ds).ok());
  Dataset bad = ds;
  bad.time[1] = bad.time[0];
  Status s = WriteDataset(Path("w.ads"), bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("w.ads"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("time does not increase"), std::string::npos) << s.message();
  // The old file is intact and nothing else is left behind.
  auto back = ReadDataset(Path("w.ads"));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == ds);
  std::mt19937_64 rng(3);
  const Dataset other = RandomDataset(rng, 10, 2, 1);
  ASSERT_TRUE(WriteDataset(Path("w.ads"), other).ok());  // replaces
  back = ReadDataset(Path("w.ads"));
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(*back == other);
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir_)) files.push_back(e.path().filename());
  EXPECT_EQ(files, std::vector<std::string>{"w.ads"});
  // Below a regular file no directory can be made.
  s = WriteDataset(Path("w.ads") + "/x.ads", ds);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("w.ads"), std::string::npos) << s.message();
  Dataset bad_utf8 = ds;
  bad_utf8.symbol = "\xff\xfe";
  s = WriteDataset(Path("u.ads"), bad_utf8);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("UTF-8"), std::string::npos) << s.message();
}

// ---- Partial reads -----------------------------------------------------------------------------

TEST_F(DatasetTest, PartialReadsEqualSlicesOfTheWhole) {
  std::mt19937_64 rng(77);
  const Dataset ds = RandomDataset(rng, 2 * kBlockRows + 500, 4, 2);
  ASSERT_TRUE(WriteDataset(Path("p.ads"), ds).ok());
  auto rr = DatasetReader::Open(Path("p.ads"));
  ASSERT_TRUE(rr.ok()) << rr.status().ToString();
  const DatasetReader& r = **rr;
  EXPECT_EQ(r.rows(), ds.rows());
  EXPECT_EQ(r.schema().feature_names, ds.feature_names);
  EXPECT_EQ(r.schema().label_names, ds.label_names);
  EXPECT_EQ(r.schema().feature_set_hash, ds.feature_set_hash);
  EXPECT_TRUE(r.schema().features.empty());

  // Random row ranges, many crossing block boundaries.
  std::vector<std::pair<size_t, size_t>> ranges = {{0, ds.rows()},
                                                   {kBlockRows - 1, kBlockRows + 1},
                                                   {kBlockRows, 2 * kBlockRows},
                                                   {ds.rows() - 1, ds.rows()},
                                                   {10, 10}};
  for (int i = 0; i < 20; ++i) {
    size_t a = rng() % ds.rows(), b = rng() % (ds.rows() + 1);
    ranges.emplace_back(std::min(a, b), std::max(a, b));
  }
  for (auto [a, b] : ranges) {
    SCOPED_TRACE(::testing::Message() << "rows " << a << ".." << b);
    auto f2 = r.ReadFeature(2, a, b);
    ASSERT_TRUE(f2.ok()) << f2.status().ToString();
    const Dataset want = ds.Slice(a, b);
    ASSERT_EQ(f2->size(), b - a);
    for (size_t i = 0; i < f2->size(); ++i) ASSERT_EQ(Bits((*f2)[i]), Bits(want.features[2][i]));
    auto t = r.ReadTime(a, b);
    ASSERT_TRUE(t.ok());
    EXPECT_EQ(*t, want.time);
    auto e = r.ReadLabelEnd(1, a, b);
    ASSERT_TRUE(e.ok());
    EXPECT_EQ(*e, want.label_end[1]);
    // Into caller memory (filled with junk first): the same values.
    std::vector<double> into(b - a, 42.0), into_label(b - a, 42.0);
    std::vector<UnixNanos> into_time(b - a, UnixNanos(42)), into_end(b - a, UnixNanos(42));
    ASSERT_TRUE(r.ReadFeatureInto(2, a, into).ok());
    for (size_t i = 0; i < into.size(); ++i) ASSERT_EQ(Bits(into[i]), Bits(want.features[2][i]));
    ASSERT_TRUE(r.ReadLabelInto(0, a, into_label).ok());
    for (size_t i = 0; i < into.size(); ++i)
      ASSERT_EQ(Bits(into_label[i]), Bits(want.labels[0][i]));
    ASSERT_TRUE(r.ReadTimeInto(a, into_time).ok());
    EXPECT_EQ(into_time, want.time);
    ASSERT_TRUE(r.ReadLabelEndInto(1, a, into_end).ok());
    EXPECT_EQ(into_end, want.label_end[1]);

    DatasetReadOptions o;
    o.row_begin = a;
    o.row_end = b;
    o.features = std::vector<std::string>{ds.feature_names[3], ds.feature_names[0]};
    o.labels = std::vector<std::string>{"y1"};
    auto sel = r.Read(o);
    ASSERT_TRUE(sel.ok()) << sel.status().ToString();
    EXPECT_EQ(sel->feature_names, *o.features);
    EXPECT_EQ(sel->label_names, std::vector<std::string>{"y1"});
    for (size_t i = 0; i < sel->rows(); ++i) {
      ASSERT_EQ(Bits(sel->features[0][i]), Bits(want.features[3][i]));
      ASSERT_EQ(Bits(sel->features[1][i]), Bits(want.features[0][i]));
      ASSERT_EQ(Bits(sel->labels[0][i]), Bits(want.labels[1][i]));
    }
    EXPECT_EQ(sel->label_end[0], want.label_end[1]);
    EXPECT_EQ(sel->checkpoint, b == ds.rows() ? ds.checkpoint : std::vector<uint8_t>());
  }
  auto cp = r.ReadCheckpoint();
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(*cp, ds.checkpoint);

  // Time range [from, to): by value, compared with a linear scan.
  for (int i = 0; i < 10; ++i) {
    const UnixNanos from =
        ds.time[rng() % ds.rows()] + Duration(static_cast<int64_t>(rng() % 3) - 1);
    const UnixNanos to = ds.time[rng() % ds.rows()];
    size_t a = 0, b = 0;
    for (size_t k = 0; k < ds.rows(); ++k) {
      if (ds.time[k] < from) a = k + 1;
      if (ds.time[k] < to) b = k + 1;
    }
    b = std::max(a, b);
    auto range = r.RowRange(from, to);
    ASSERT_TRUE(range.ok());
    EXPECT_EQ(range->first, a);
    EXPECT_EQ(range->second, b);
    DatasetReadOptions o;
    o.from = from;
    o.to = to;
    o.row_begin = 3;  // combined with a row range
    auto sel = r.Read(o);
    ASSERT_TRUE(sel.ok());
    EXPECT_TRUE(*sel == ds.Slice(std::max<size_t>(a, 3), std::max<size_t>(b, 3)));
  }

  DatasetReadOptions none;
  none.features = std::vector<std::string>{};
  none.labels = std::vector<std::string>{};
  auto only_time = r.Read(none);
  ASSERT_TRUE(only_time.ok());
  EXPECT_EQ(only_time->time, ds.time);
  EXPECT_TRUE(only_time->features.empty() && only_time->labels.empty());
}

TEST_F(DatasetTest, PartialReadErrors) {
  ASSERT_TRUE(WriteDataset(Path("e.ads"), Small()).ok());
  auto r = DatasetReader::Open(Path("e.ads"));
  ASSERT_TRUE(r.ok());
  DatasetReadOptions o;
  o.features = std::vector<std::string>{"sma_20", "nope"};
  auto s = (*r)->Read(o);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("no feature 'nope' (features: sma_20, rsi_14)"),
            std::string::npos)
      << s.status().message();
  o = DatasetReadOptions();
  o.labels = std::vector<std::string>{"sma_20"};
  s = (*r)->Read(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("no label 'sma_20' (labels: ret_1)"), std::string::npos);
  EXPECT_EQ((*r)->ReadFeature(0, 2, 4).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*r)->ReadFeature(0, 2, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*r)->ReadFeature(2, 0, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*r)->ReadLabel(1, 0, 1).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*r)->ReadLabelEnd(1, 0, 1).status().code(), StatusCode::kInvalidArgument);
  std::vector<double> buf(2);
  Status st = (*r)->ReadFeatureInto(0, 2, buf);  // rows 2..4 of 3
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("rows [2, +2) outside [0, 3)"), std::string::npos) << st.message();
  EXPECT_EQ((*r)->ReadFeatureInto(0, 4, std::span<double>()).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE((*r)->ReadFeatureInto(0, 3, std::span<double>()).ok());
  EXPECT_TRUE((*r)->ReadFeatureInto(1, 1, buf).ok());
  EXPECT_EQ(buf, (std::vector<double>{1e-7, kInf}));
  EXPECT_EQ((*r)->ReadFeatureInto(2, 0, buf).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*r)->ReadLabelInto(1, 0, buf).code(), StatusCode::kInvalidArgument);
  o = DatasetReadOptions();
  o.row_begin = 7;  // clamped to an empty selection at the end: time only, checkpoint kept
  auto empty = (*r)->Read(o);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->rows(), 0u);
  EXPECT_EQ(empty->checkpoint, Small().checkpoint);
}

// A damaged column fails only the reads that touch its damaged block.
TEST_F(DatasetTest, DamageIsFoundWhereItIsRead) {
  std::mt19937_64 rng(9);
  const Dataset ds = RandomDataset(rng, 2 * kBlockRows, 2, 1);
  ASSERT_TRUE(WriteDataset(Path("d.ads"), ds).ok());
  uint64_t off;
  {
    auto r = DatasetReader::Open(Path("d.ads"));
    ASSERT_TRUE(r.ok());
    off = (*r)->sections()[2].offset + 8 * (kBlockRows + 10);  // feature 1, second block
  }
  std::string f = Bytes(Path("d.ads"));
  f[off] ^= 0x10;
  Overwrite(Path("d.ads"), f);
  auto r = DatasetReader::Open(Path("d.ads"));  // header intact: opens
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE((*r)->ReadFeature(0, 0, ds.rows()).ok());
  EXPECT_TRUE((*r)->ReadFeature(1, 0, kBlockRows).ok());
  auto bad = (*r)->ReadFeature(1, kBlockRows + 5, kBlockRows + 6);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption);
  const std::string& m = bad.status().message();
  EXPECT_NE(m.find("d.ads"), std::string::npos) << m;
  EXPECT_NE(m.find("feature '" + ds.feature_names[1] + "'"), std::string::npos) << m;
  EXPECT_NE(m.find("checksum mismatch in block 1"), std::string::npos) << m;
  std::vector<double> into(kBlockRows);
  EXPECT_TRUE((*r)->ReadFeatureInto(1, 0, into).ok());
  Status st = (*r)->ReadFeatureInto(1, 5, into);
  EXPECT_EQ(st.code(), StatusCode::kCorruption);
  EXPECT_NE(st.message().find("checksum mismatch in block 1"), std::string::npos) << st.message();
  DatasetReadOptions o;
  o.features = std::vector<std::string>{ds.feature_names[0]};
  EXPECT_TRUE(ReadDataset(Path("d.ads"), o).ok());
  EXPECT_EQ(ReadDataset(Path("d.ads")).status().code(), StatusCode::kCorruption);
}

// ---- Damaged and hostile files -----------------------------------------------------------------

// Every failure is a Status that names the file and a part of it.
void ExpectNamedFailure(const Result<Dataset>& r, const std::string& path, const std::string& ctx) {
  ASSERT_FALSE(r.ok()) << ctx;
  const StatusCode c = r.status().code();
  EXPECT_TRUE(c == StatusCode::kCorruption || c == StatusCode::kInvalidArgument)
      << ctx << ": " << r.status().ToString();
  const std::string& m = r.status().message();
  EXPECT_NE(m.find(path), std::string::npos) << ctx << ": " << m;
  bool names_part = false;
  for (const char* part : {"preamble", "magic", "header", "time", "feature '", "label '",
                           "label_end '", "checkpoint"}) {
    names_part |= m.find(part) != std::string::npos;
  }
  EXPECT_TRUE(names_part) << ctx << ": " << m;
}

TEST_F(DatasetTest, TruncationAtEveryOffset) {
  const std::string p = Path("trunc.ads");
  ASSERT_TRUE(WriteDataset(p, Small()).ok());
  const uint64_t size = fs::file_size(p);
  for (uint64_t n = size; n-- > 0;) {  // shrinking in place
    ASSERT_EQ(::truncate(p.c_str(), static_cast<off_t>(n)), 0);
    ExpectNamedFailure(ReadDataset(p), p, "truncated to " + std::to_string(n));
  }
  // A multi-block file, at a dense sample of offsets and around every section boundary.
  std::mt19937_64 rng(1);
  ASSERT_TRUE(WriteDataset(p, RandomDataset(rng, kBlockRows + 100, 2, 1)).ok());
  std::vector<uint64_t> cuts;
  {
    auto r = DatasetReader::Open(p);
    ASSERT_TRUE(r.ok());
    for (const DatasetSection& s : (*r)->sections()) {
      for (int64_t d = -9; d <= 9; ++d) cuts.push_back(s.offset + d);
    }
    for (uint64_t n = 0; n < (*r)->file_bytes(); n += 997) cuts.push_back(n);
    cuts.push_back((*r)->file_bytes() - 1);
  }
  std::sort(cuts.rbegin(), cuts.rend());
  for (uint64_t n : cuts) {
    if (n >= fs::file_size(p)) continue;
    ASSERT_EQ(::truncate(p.c_str(), static_cast<off_t>(n)), 0);
    ExpectNamedFailure(ReadDataset(p), p, "truncated to " + std::to_string(n));
  }
}

TEST_F(DatasetTest, EveryFlippedByteIsDetected) {
  const std::string p = Path("flip.ads");
  ASSERT_TRUE(WriteDataset(p, Small()).ok());
  const std::string good = Bytes(p);
  const int fd = ::open(p.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  for (size_t i = 0; i < good.size(); ++i) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      const char c = static_cast<char>(good[i] ^ mask);
      ASSERT_EQ(::pwrite(fd, &c, 1, static_cast<off_t>(i)), 1);
      ExpectNamedFailure(ReadDataset(p), p,
                         "byte " + std::to_string(i) + " ^ " + std::to_string(mask));
      ASSERT_EQ(::pwrite(fd, &good[i], 1, static_cast<off_t>(i)), 1);
    }
  }
  ::close(fd);
  EXPECT_TRUE(ReadDataset(p).ok());
  // Extra bytes at the end are damage too.
  Overwrite(p, good + std::string(8, '\0'));
  ExpectNamedFailure(ReadDataset(p), p, "appended bytes");
}

// Rewrites the header JSON of a file and re-signs it, keeping section offsets consistent, so that
// the reader's checks past the checksum are exercised.
std::string Resign(const std::string& file, const std::function<void(nlohmann::json&)>& edit) {
  const uint64_t h = LeU64(file, 16);
  nlohmann::json j = nlohmann::json::parse(file.substr(32, h));
  edit(j);
  std::string header;
  int64_t shift = 0;
  for (int round = 0; round < 10; ++round) {
    nlohmann::json k = j;
    if (k.contains("sections") && k["sections"].is_array()) {
      for (auto& s : k["sections"]) {
        if (s.is_object() && s.contains("offset") && s["offset"].is_number_unsigned() &&
            s["offset"].get<uint64_t>() < (uint64_t{1} << 62)) {
          s["offset"] = s["offset"].get<uint64_t>() + shift;
        }
      }
    }
    header = k.dump();
    header.resize((header.size() + 7) / 8 * 8, ' ');
    const int64_t new_shift = static_cast<int64_t>(header.size()) - static_cast<int64_t>(h);
    if (new_shift == shift) break;
    shift = new_shift;
  }
  std::string out = file.substr(0, 32) + header + file.substr(32 + h);
  const uint64_t len = header.size(), sum = XXH64(header.data(), header.size(), 0);
  std::memcpy(out.data() + 16, &len, 8);
  std::memcpy(out.data() + 24, &sum, 8);
  return out;
}

TEST_F(DatasetTest, HostileHeadersWithValidChecksums) {
  const std::string p = Path("h.ads");
  ASSERT_TRUE(WriteDataset(p, Small()).ok());
  const std::string good = Bytes(p);
  // The re-signing helper itself leaves a good file good.
  Overwrite(p, Resign(good, [](nlohmann::json&) {}));
  ASSERT_TRUE(ReadDataset(p).ok());

  struct Case {
    std::string what;
    std::function<void(nlohmann::json&)> edit;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {"huge rows", [](auto& j) { j["rows"] = uint64_t{1} << 60; }, "field 'rows'"},
      {"max rows", [](auto& j) { j["rows"] = std::numeric_limits<uint64_t>::max(); },
       "field 'rows'"},
      {"negative rows", [](auto& j) { j["rows"] = -3; }, "field 'rows'"},
      {"rows as text", [](auto& j) { j["rows"] = "3"; }, "field 'rows'"},
      {"more rows", [](auto& j) { j["rows"] = 4; }, "expected 32 for 4 rows"},
      {"no symbol", [](auto& j) { j.erase("symbol"); }, "field 'symbol'"},
      {"feature_set not object", [](auto& j) { j["feature_set"] = 1; }, "field 'feature_set'"},
      {"block size", [](auto& j) { j["checksum_block"] = 12; }, "field 'checksum_block'"},
      {"no sections", [](auto& j) { j["sections"] = nlohmann::json::object(); },
       "field 'sections'"},
      {"no sections at all", [](auto& j) { j["sections"] = nlohmann::json::array(); },
       "sections end at byte"},
      {"section not object", [](auto& j) { j["sections"][1] = 5; }, "entry is not an object"},
      {"unknown kind", [](auto& j) { j["sections"][1]["kind"] = "blob"; },
       "unknown section kind 'blob'"},
      {"length past the end", [](auto& j) { j["sections"][5]["length"] = uint64_t{1} << 62; },
       "checkpoint (section 5): truncated"},
      {"offset moved", [](auto& j) { j["sections"][2]["offset"] = 0; },
       "feature 'rsi_14' (section 2): offset"},
      {"offset huge",
       [](auto& j) { j["sections"][1]["offset"] = std::numeric_limits<uint64_t>::max(); },
       "feature 'sma_20' (section 1): offset"},
      {"column length", [](auto& j) { j["sections"][1]["length"] = 16; },
       "feature 'sma_20' (section 1): length 16, expected 24"},
      {"hash count", [](auto& j) { j["sections"][1]["xxh64"].push_back("0000000000000000"); },
       "field 'xxh64'"},
      {"hash text", [](auto& j) { j["sections"][3]["xxh64"][0] = "XYZ"; }, "field 'xxh64'"},
      {"wrong hash", [](auto& j) { j["sections"][1]["xxh64"][0] = "0000000000000000"; },
       "feature 'sma_20': checksum mismatch in block 0"},
      {"time not first",
       [](auto& j) { std::swap(j["sections"][0]["kind"], j["sections"][1]["kind"]); },
       "first section is not the time column"},
      {"end renamed", [](auto& j) { j["sections"][4]["name"] = "other"; },
       "label 'ret_1' has no end-time section"},
      {"two checkpoints", [](auto& j) { j["sections"][4]["kind"] = "checkpoint"; },
       "has no end-time section"},
      {"duplicate feature", [](auto& j) { j["sections"][2]["name"] = "sma_20"; }, "repeats"},
      {"empty name", [](auto& j) { j["sections"][2]["name"] = ""; }, "name is empty"},
      {"not an object",
       [](auto& j) {
         j = nlohmann::json::array({1, 2});
       },
       "not a JSON object"},
  };
  for (const Case& c : cases) {
    Overwrite(p, Resign(good, c.edit));
    auto r = ReadDataset(p);
    ExpectNamedFailure(r, p, c.what);
    if (!r.ok()) {
      EXPECT_NE(r.status().message().find(c.needle), std::string::npos)
          << c.what << ": " << r.status().message();
    }
  }
}

TEST_F(DatasetTest, HostilePreambles) {
  const std::string p = Path("pre.ads");
  ASSERT_TRUE(WriteDataset(p, Small()).ok());
  const std::string good = Bytes(p);
  auto expect = [&](std::string bytes, StatusCode code, const std::string& needle) {
    Overwrite(p, bytes);
    auto r = ReadDataset(p);
    ASSERT_FALSE(r.ok()) << needle;
    EXPECT_EQ(r.status().code(), code) << r.status().ToString();
    EXPECT_NE(r.status().message().find(needle), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(p), std::string::npos) << r.status().message();
  };
  std::string b = good;
  b[0] = 'X';
  expect(b, StatusCode::kInvalidArgument, "not an arus dataset (bad magic");
  b = good;
  b[8] = 2;
  expect(b, StatusCode::kInvalidArgument, "format version 2 is not supported");
  b = good;
  std::memset(b.data() + 16, 0xff, 8);
  expect(b, StatusCode::kCorruption, "header: length 18446744073709551615");
  b = good;
  const uint64_t big = 8ull << 20;  // within the limit, past the end of the file
  std::memcpy(b.data() + 16, &big, 8);
  expect(b, StatusCode::kCorruption, "header: truncated");
  expect("", StatusCode::kCorruption, "preamble: truncated: file has 0 bytes");
  expect("ARUSDSET", StatusCode::kCorruption, "preamble: truncated: file has 8 bytes");
  // Deeply nested JSON with a valid checksum is refused before parsing.
  std::string nest(1 << 20, '[');
  std::string hostile = good.substr(0, 32) + nest;
  const uint64_t len = nest.size(), sum = XXH64(nest.data(), nest.size(), 0);
  std::memcpy(hostile.data() + 16, &len, 8);
  std::memcpy(hostile.data() + 24, &sum, 8);
  expect(hostile, StatusCode::kCorruption, "header: JSON nested too deeply");
  std::string junk(64, 'x');
  hostile = good.substr(0, 32) + junk;
  const uint64_t jl = junk.size(), js = XXH64(junk.data(), junk.size(), 0);
  std::memcpy(hostile.data() + 16, &jl, 8);
  std::memcpy(hostile.data() + 24, &js, 8);
  expect(hostile, StatusCode::kCorruption, "header: not a JSON object");

  auto missing = ReadDataset(Path("missing.ads"));
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("missing.ads"), std::string::npos);
  auto dir = ReadDataset(dir_.string());
  EXPECT_EQ(dir.status().code(), StatusCode::kInvalidArgument);
}

// Times that do not increase pass the checksums (the writer refuses them, a forger need not).
TEST_F(DatasetTest, ForgedDecreasingTimesAreCorruption) {
  const std::string p = Path("forged.ads");
  ASSERT_TRUE(WriteDataset(p, Small()).ok());
  std::string f = Bytes(p);
  const uint64_t h = LeU64(f, 16);
  const uint64_t t_off = 32 + h;
  std::memcpy(f.data() + t_off + 8, f.data() + t_off, 8);  // row 1 = row 0
  f = Resign(f, [&](nlohmann::json& j) {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(XXH64(f.data() + t_off, 24, 0)));
    j["sections"][0]["xxh64"][0] = hex;
  });
  Overwrite(p, f);
  auto r = ReadDataset(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("time does not increase at row 1"), std::string::npos)
      << r.status().message();
}

// ---- CSV ---------------------------------------------------------------------------------------

TEST_F(DatasetTest, CsvGolden) {
  Dataset ds = Small();
  ds.feature_names[1] = "rsi,14";  // quoted in the header
  ASSERT_TRUE(WriteDatasetCsv(Path("g.csv"), ds).ok());
  EXPECT_EQ(Bytes(Path("g.csv")),
            "time,sma_20,\"rsi,14\",ret_1,ret_1_end\n"
            "2024-01-02T10:00:00Z,1.5,0.1,5e-324,2024-01-02T10:05:00Z\n"
            "2024-01-02T10:05:00Z,,1e-07,-inf,2024-01-02T10:10:00Z\n"
            "2024-01-02T10:10:00.123Z,-0,inf,,\n");
  Dataset empty;
  ASSERT_TRUE(WriteDatasetCsv(Path("e.csv"), empty).ok());
  EXPECT_EQ(Bytes(Path("e.csv")), "time\n");
  ds.time[2] = ds.time[0];
  Status s = WriteDatasetCsv(Path("bad.csv"), ds);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("bad.csv"), std::string::npos);
  EXPECT_FALSE(fs::exists(Path("bad.csv")));
}

// Every finite or infinite value reads back exactly from its CSV text; NaN is an empty cell.
TEST_F(DatasetTest, CsvValuesRoundTrip) {
  std::mt19937_64 rng(31);
  Dataset ds = RandomDataset(rng, 3000, 3, 1);
  for (auto& n : ds.feature_names) n = "f" + std::to_string(&n - &ds.feature_names[0]);
  for (size_t r = 0; r < ds.rows(); ++r)
    ds.time[r] = UnixNanos((int64_t{1} << 60) + int64_t(r) * 999);
  for (size_t r = 0; r < ds.rows(); ++r) ds.label_end[0][r] = ds.time[r] + Duration(r % 2 ? 1 : 0);
  ASSERT_TRUE(WriteDatasetCsv(Path("v.csv"), ds).ok());
  const std::string text = Bytes(Path("v.csv"));
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    lines.push_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  ASSERT_EQ(lines.size(), ds.rows() + 1);
  EXPECT_EQ(lines[0], "time,f0,f1,f2,y0,y0_end");
  for (size_t r = 0; r < ds.rows(); ++r) {
    std::vector<std::string> cells;
    size_t a = 0;
    for (;;) {
      const size_t b = lines[r + 1].find(',', a);
      cells.push_back(lines[r + 1].substr(a, b - a));
      if (b == std::string::npos) break;
      a = b + 1;
    }
    ASSERT_EQ(cells.size(), 6u);
    auto t = ParseIsoUtc(cells[0]);
    ASSERT_TRUE(t.ok()) << cells[0];
    EXPECT_EQ(*t, ds.time[r]);
    auto e = ParseIsoUtc(cells[5]);
    ASSERT_TRUE(e.ok()) << cells[5];
    EXPECT_EQ(*e, ds.label_end[0][r]);
    for (size_t c = 0; c < 4; ++c) {
      const double want = c < 3 ? ds.features[c][r] : ds.labels[0][r];
      const std::string& cell = cells[1 + c];
      if (std::isnan(want)) {
        EXPECT_EQ(cell, "");
        continue;
      }
      double got;
      if (cell == "inf" || cell == "-inf") {
        got = cell[0] == '-' ? -kInf : kInf;
      } else {
        auto [p, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), got);
        ASSERT_TRUE(ec == std::errc() && p == cell.data() + cell.size()) << cell;
      }
      ASSERT_EQ(Bits(got), Bits(want)) << cell;
    }
  }
}

// The chunked CSV export of a selection writes exactly what the in-memory writer writes.
TEST_F(DatasetTest, StreamingCsvEqualsInMemoryCsv) {
  std::mt19937_64 rng(8);
  Dataset ds = RandomDataset(rng, 200, 4, 2);
  for (size_t r = 0; r < ds.rows(); ++r) ds.time[r] = UnixNanos(int64_t(r) * kNanosPerMinute);
  for (auto& e : ds.label_end) {
    for (size_t r = 0; r < ds.rows(); ++r) {
      if (e[r] != UnixNanos::Max()) e[r] = ds.time[r] + Duration(kNanosPerHour);
    }
  }
  ASSERT_TRUE(WriteDataset(Path("c.ads"), ds).ok());
  auto r = DatasetReader::Open(Path("c.ads"));
  ASSERT_TRUE(r.ok());
  std::vector<DatasetReadOptions> selections(5);
  selections[1].features = std::vector<std::string>{ds.feature_names[2]};
  selections[1].labels = std::vector<std::string>{};
  selections[2].from = ds.time[17] + Duration(1);
  selections[2].to = ds.time[150];
  selections[2].labels = std::vector<std::string>{"y1"};
  selections[3].from = ds.time[50];
  selections[3].to = ds.time[40];  // empty
  selections[4].row_begin = 30;
  selections[4].row_end = 33;
  selections[4].from = ds.time[31];
  for (size_t i = 0; i < selections.size(); ++i) {
    for (size_t chunk : {1, 7, 64, 1000}) {
      SCOPED_TRACE(::testing::Message() << "selection " << i << ", chunk " << chunk);
      auto whole = (*r)->Read(selections[i]);
      ASSERT_TRUE(whole.ok());
      ASSERT_TRUE(WriteDatasetCsv(Path("a.csv"), *whole).ok());
      ASSERT_TRUE(WriteDatasetCsv(Path("b.csv"), **r, selections[i], chunk).ok());
      EXPECT_EQ(Bytes(Path("a.csv")), Bytes(Path("b.csv")));
    }
  }
  DatasetReadOptions bad;
  bad.features = std::vector<std::string>{"zz"};
  Status s = WriteDatasetCsv(Path("bad.csv"), **r, bad);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("no feature 'zz'"), std::string::npos) << s.message();
  EXPECT_FALSE(fs::exists(Path("bad.csv")));
}

}  // namespace
}  // namespace arus::features
