// Damaged stores: every kind of damage is reported as a Status naming the file, never a crash.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "core/file.h"
#include "store/partition_file.h"
#include "store/store_test_util.h"
#include "store/tick_store.h"

namespace arus::store {
namespace {

namespace fs = std::filesystem;

const UnixNanos kMonday = UnixNanos::FromSeconds(1709510400);  // 2024-03-04T00:00:00Z

std::string Bytes(const std::string& path) {
  auto r = ReadFile(path);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::string();
}

// Replaces the file's content without fsync or rename. Unlinking first gives a fresh inode: ext4
// flushes files truncated to zero on close (auto_da_alloc), which made the fuzz loops I/O-bound.
void Overwrite(const std::string& path, const std::string& data) {
  std::remove(path.c_str());
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  ASSERT_EQ(std::fwrite(data.data(), 1, data.size(), f), data.size());
  std::fclose(f);
}

template <typename T>
void Patch(std::string* s, size_t off, T v) {
  std::memcpy(s->data() + off, &v, sizeof(T));
}
void FixHeaderChecksum(std::string* s) {
  Patch<uint64_t>(s, 120, Checksum(std::string_view(*s).substr(0, 120)));
}

class CorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::TestDir("corrupt");
    StoreOptions o;
    o.block_ticks = 1000;
    auto s = TickStore::Open(dir_, OpenMode::kReadWrite, o);
    ASSERT_TRUE(s.ok());
    for (int d = 0; d < 3; ++d) {
      auto t = testing::RealisticTicks(d, kMonday + Duration(d * kNanosPerDay), 3500);
      ticks_.insert(ticks_.end(), t.begin(), t.end());
    }
    ASSERT_TRUE((*s)->Append("EURUSD", ticks_, 5).ok());
    ASSERT_TRUE((*s)->Append("GBPUSD", testing::RealisticTicks(9, kMonday, 500), 5).ok());
    auto parts = (*s)->Partitions("EURUSD");
    ASSERT_TRUE(parts.ok());
    ASSERT_EQ(parts->size(), 3u);
    for (const auto& p : *parts) paths_.push_back(p.path);
    manifest_ = dir_ + "/ticks/EURUSD/MANIFEST.json";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Scanning EURUSD and verifying the store both fail with Corruption naming `path` and
  // containing `what`; GBPUSD stays readable.
  void ExpectDamage(const std::string& path, const std::string& what) {
    auto store = TickStore::Open(dir_, OpenMode::kReadOnly);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    Status err;
    auto scanner = (*store)->Scan("EURUSD", UnixNanos::Min(), UnixNanos::Max());
    if (!scanner.ok()) {
      err = scanner.status();
    } else {
      while (true) {
        auto run = (*scanner)->Next();
        if (!run.ok()) {
          err = run.status();
          break;
        }
        if (run->empty()) break;
      }
    }
    ASSERT_FALSE(err.ok()) << "damage to " << path << " went unnoticed by Scan";
    EXPECT_EQ(err.code(), StatusCode::kCorruption) << err.ToString();
    EXPECT_NE(err.message().find(path), std::string::npos) << err.ToString();
    EXPECT_NE(err.message().find(what), std::string::npos) << err.ToString();
    auto report = (*store)->Verify();
    ASSERT_TRUE(report.ok());
    ASSERT_FALSE(report->ok()) << "damage to " << path << " went unnoticed by Verify";
    bool named = false;
    for (const Status& p : report->problems) {
      named |= p.message().find(path) != std::string::npos;
    }
    EXPECT_TRUE(named) << report->problems[0].ToString();
    EXPECT_TRUE((*store)->ReadAll("GBPUSD", UnixNanos::Min(), UnixNanos::Max()).ok());
  }

  std::string dir_;
  std::string manifest_;
  std::vector<std::string> paths_;
  std::vector<QuoteTick> ticks_;
};

TEST_F(CorruptionTest, HealthyStoreVerifies) {
  auto store = TickStore::Open(dir_, OpenMode::kReadOnly);
  ASSERT_TRUE(store.ok());
  auto report = (*store)->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(report->partitions, 4);
  EXPECT_EQ(report->blocks, 3 * 4 + 1);
  EXPECT_EQ(report->ticks, 3 * 3500 + 500);
}

TEST_F(CorruptionTest, BadBlockChecksum) {
  std::string b = Bytes(paths_[1]);
  b[b.size() - 5] ^= 0x40;  // inside the last block
  Overwrite(paths_[1], b);
  ExpectDamage(paths_[1], "checksum mismatch");
}

TEST_F(CorruptionTest, TruncatedFile) {
  std::string b = Bytes(paths_[2]);
  b.resize(b.size() - 100);
  Overwrite(paths_[2], b);
  ExpectDamage(paths_[2], "truncated");
  Overwrite(paths_[2], b.substr(0, 60));  // not even a header
  ExpectDamage(paths_[2], "truncated");
  Overwrite(paths_[2], "");
  ExpectDamage(paths_[2], "truncated");
}

TEST_F(CorruptionTest, GarbageFile) {
  std::string b = Bytes(paths_[0]);
  std::mt19937 rng(5);
  for (char& c : b) c = static_cast<char>(rng());
  Overwrite(paths_[0], b);
  ExpectDamage(paths_[0], "bad magic");
}

TEST_F(CorruptionTest, MissingFile) {
  fs::remove(paths_[1]);
  ExpectDamage(paths_[1], "missing");
}

TEST_F(CorruptionTest, WrongMagicVersionKind) {
  const std::string good = Bytes(paths_[0]);
  std::string b = good;
  b[3] = 'X';
  Overwrite(paths_[0], b);
  ExpectDamage(paths_[0], "bad magic");
  b = good;
  Patch<uint16_t>(&b, 8, 2);
  Overwrite(paths_[0], b);
  ExpectDamage(paths_[0], "unsupported format version 2");
  b = good;
  Patch<uint16_t>(&b, 10, 2);  // bars: reserved, not readable by this build
  Overwrite(paths_[0], b);
  ExpectDamage(paths_[0], "unsupported partition kind 2");
}

TEST_F(CorruptionTest, HeaderAndIndexDamage) {
  const std::string good = Bytes(paths_[2]);
  std::string b = good;
  b[100] ^= 1;  // reserved header byte
  Overwrite(paths_[2], b);
  ExpectDamage(paths_[2], "header checksum mismatch");
  b = good;
  b[kPartitionHeaderSize + 17] ^= 1;  // block 0's tick count
  Overwrite(paths_[2], b);
  ExpectDamage(paths_[2], "block index checksum mismatch");
  // A consistent header that disagrees with the manifest (as if files were swapped).
  b = good;
  Patch<int64_t>(&b, 48, DaysFromCivil(2024, 3, 1));
  FixHeaderChecksum(&b);
  Overwrite(paths_[2], b);
  ExpectDamage(paths_[2], "differs from the manifest");
}

TEST_F(CorruptionTest, BadManifest) {
  Overwrite(manifest_, "{ \"format\": \"arus-tick-manifest\", \"version\": 1, ");
  {
    auto store = TickStore::Open(dir_, OpenMode::kReadOnly);
    ASSERT_TRUE(store.ok());
    EXPECT_EQ((*store)->Symbols(), (std::vector<std::string>{"EURUSD", "GBPUSD"}));
    for (const Status& s : {(*store)->Info("EURUSD").status(),
                            (*store)->Scan("EURUSD", UnixNanos::Min(), UnixNanos::Max()).status(),
                            (*store)->Partitions("EURUSD").status()}) {
      EXPECT_EQ(s.code(), StatusCode::kCorruption);
      EXPECT_NE(s.message().find(manifest_), std::string::npos) << s.ToString();
      EXPECT_NE(s.message().find("not valid JSON"), std::string::npos) << s.ToString();
    }
    EXPECT_TRUE((*store)->Info("GBPUSD").ok());
    auto report = (*store)->Verify();
    ASSERT_TRUE(report.ok());
    ASSERT_EQ(report->problems.size(), 1u);
    EXPECT_NE(report->problems[0].message().find(manifest_), std::string::npos);
  }
  {
    // A writer refuses to touch the damaged symbol and does not delete its files.
    auto store = TickStore::Open(dir_, OpenMode::kReadWrite);
    ASSERT_TRUE(store.ok());
    auto st = (*store)->Append("EURUSD", testing::RealisticTicks(1, kMonday, 10), 5);
    EXPECT_EQ(st.status().code(), StatusCode::kCorruption);
    for (const std::string& p : paths_) EXPECT_TRUE(fs::exists(p)) << p;
    EXPECT_TRUE(
        (*store)
            ->Append("GBPUSD", testing::RealisticTicks(3, kMonday + Duration(kNanosPerDay), 10), 5)
            .ok());
  }
  // Unsupported manifest version.
  std::string m = Bytes(dir_ + "/ticks/GBPUSD/MANIFEST.json");
  const size_t pos = m.find("\"version\": 1");
  ASSERT_NE(pos, std::string::npos);
  m.replace(pos, 12, "\"version\": 3");
  Overwrite(dir_ + "/ticks/GBPUSD/MANIFEST.json", m);
  auto store = TickStore::Open(dir_, OpenMode::kReadOnly);
  ASSERT_TRUE(store.ok());
  EXPECT_NE((*store)->Info("GBPUSD").status().message().find("unsupported manifest version 3"),
            std::string::npos);
}

TEST_F(CorruptionTest, ManifestPointingElsewhere) {
  std::string m = Bytes(manifest_);
  const std::string name = fs::path(paths_[0]).filename().string();
  const size_t pos = m.find(name);
  ASSERT_NE(pos, std::string::npos);
  m.replace(pos, name.size(), "2024-03-04.99.atk");  // generation beyond the manifest's
  Overwrite(manifest_, m);
  auto store = TickStore::Open(dir_, OpenMode::kReadOnly);
  ASSERT_TRUE(store.ok());
  const Status s = (*store)->Info("EURUSD").status();
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("2024-03-04.99.atk"), std::string::npos) << s.ToString();
}

TEST_F(CorruptionTest, BadStoreFile) {
  const std::string path = dir_ + "/STORE.json";
  Overwrite(path, "{\"format\": \"arus-store\", \"version\": 2}");
  auto s = TickStore::Open(dir_, OpenMode::kReadOnly);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("unsupported store version 2"), std::string::npos);
  EXPECT_NE(s.status().message().find(path), std::string::npos);
  Overwrite(path, "garbage");
  s = TickStore::Open(dir_, OpenMode::kReadWrite);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kCorruption);
  EXPECT_NE(s.status().message().find(path), std::string::npos);
}

// Random damage to a valid partition file never crashes and, since every byte is covered by a
// checksum or a size check, is always detected.
TEST_F(CorruptionTest, RandomDamageIsAlwaysDetected) {
  const std::string good = Bytes(paths_[1]);
  const std::string path = dir_ + "/fuzz.atk";
  std::mt19937_64 rng(99);
  BlockDecoder decoder;
  std::string scratch;
  std::vector<QuoteTick> out;
  auto read_all = [&](uint64_t expected_size) -> Status {
    auto r = PartitionReader::Open(path, expected_size);
    if (!r.ok()) return r.status();
    for (size_t i = 0; i < (*r)->blocks().size(); ++i) {
      ARUS_RETURN_IF_ERROR((*r)->ReadBlock(i, &decoder, &scratch, &out));
    }
    return Status::Ok();
  };
  for (int iter = 0; iter < 3000; ++iter) {
    std::string b = good;
    const int kind = iter % 4;
    if (kind == 0) {
      for (int k = 0; k < 1 + static_cast<int>(rng() % 8); ++k) {
        b[rng() % b.size()] ^= static_cast<char>(1 + rng() % 255);
      }
    } else if (kind == 1) {
      b.resize(rng() % b.size());
    } else if (kind == 2) {
      b.append(1 + rng() % 64, static_cast<char>(rng()));
    } else {
      const size_t at = rng() % b.size();
      const size_t len = std::min<size_t>(b.size() - at, 1 + rng() % 32);
      for (size_t k = 0; k < len; ++k) b[at + k] = static_cast<char>(rng());
      if (b == good) continue;
    }
    Overwrite(path, b);
    // With the manifest's size (as the store does) and without any size expectation.
    const Status with_size = read_all(good.size());
    const Status without = read_all(0);
    ASSERT_FALSE(with_size.ok()) << "iteration " << iter << " undetected";
    ASSERT_FALSE(without.ok()) << "iteration " << iter << " undetected";
    EXPECT_NE(without.message().find(path), std::string::npos) << without.ToString();
  }
}

// Damage behind valid checksums (a hostile file): headers, indexes and blocks are re-sealed after
// mutation so the parsers and the decoder see it. Must never crash; errors name the file.
TEST_F(CorruptionTest, ResealedDamageNeverCrashes) {
  const std::string good = Bytes(paths_[1]);
  const std::string path = dir_ + "/fuzz.atk";
  auto header = DecodeHeader(good, path);
  ASSERT_TRUE(header.ok());
  const size_t index_off = kPartitionHeaderSize;
  const size_t index_len = header->block_count * kBlockIndexEntrySize;
  std::mt19937_64 rng(7);
  BlockDecoder decoder;
  std::string scratch;
  std::vector<QuoteTick> out;
  int errors = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string b = good;
    const int region = iter % 3;
    if (region == 0) {  // header fields
      b[8 + rng() % 112] ^= static_cast<char>(1 + rng() % 255);
    } else if (region == 1) {  // index entries
      b[index_off + rng() % index_len] ^= static_cast<char>(1 + rng() % 255);
    } else {  // compressed block bytes, with the block checksum recomputed
      const size_t blk = rng() % header->block_count;
      const size_t e = index_off + blk * kBlockIndexEntrySize;
      uint64_t off;
      uint32_t size;
      std::memcpy(&off, b.data() + e, 8);
      std::memcpy(&size, b.data() + e + 8, 4);
      for (int k = 0; k < 1 + static_cast<int>(rng() % 4); ++k) {
        b[off + rng() % size] ^= static_cast<char>(1 + rng() % 255);
      }
      Patch<uint64_t>(&b, e + 40, Checksum(std::string_view(b).substr(off, size)));
    }
    Patch<uint64_t>(&b, index_off + index_len,
                    Checksum(std::string_view(b).substr(index_off, index_len)));
    FixHeaderChecksum(&b);
    Overwrite(path, b);
    auto r = PartitionReader::Open(path, 0);
    Status s = r.status();
    for (size_t i = 0; r.ok() && s.ok() && i < (*r)->blocks().size(); ++i) {
      s = (*r)->ReadBlock(i, &decoder, &scratch, &out);
    }
    if (!s.ok()) {
      ++errors;
      EXPECT_NE(s.message().find(path), std::string::npos) << s.ToString();
    }
  }
  EXPECT_GT(errors, 2000);
}

// The same through the store: damaged partition files behind a valid manifest.
TEST_F(CorruptionTest, RandomDamageThroughTheStore) {
  const std::string good = Bytes(paths_[0]);
  std::mt19937_64 rng(1234);
  auto store = TickStore::Open(dir_, OpenMode::kReadOnly);
  ASSERT_TRUE(store.ok());
  for (int iter = 0; iter < 300; ++iter) {
    std::string b = good;
    if (iter % 2 == 0) {
      b[rng() % b.size()] ^= static_cast<char>(1 + rng() % 255);
    } else {
      b.resize(rng() % b.size());
    }
    Overwrite(paths_[0], b);
    auto all = (*store)->ReadAll("EURUSD", UnixNanos::Min(), UnixNanos::Max());
    ASSERT_FALSE(all.ok());
    EXPECT_NE(all.status().message().find(paths_[0]), std::string::npos);
  }
  Overwrite(paths_[0], good);
  auto all = (*store)->ReadAll("EURUSD", UnixNanos::Min(), UnixNanos::Max());
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(testing::BitIdentical(*all, ticks_));
}

}  // namespace
}  // namespace arus::store
