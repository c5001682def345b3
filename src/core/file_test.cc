#include "core/file.h"

#include <gtest/gtest.h>

#include <filesystem>

namespace arus {
namespace {

namespace fs = std::filesystem;

fs::path TempDir(const std::string& name) {
  fs::path p = fs::temp_directory_path() / ("arus_file_test_" + name + std::to_string(::getpid()));
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

TEST(FileTest, AtomicWriteReplacesWholeFile) {
  const fs::path dir = TempDir("a");
  const std::string path = (dir / "sub" / "x.txt").string();
  ASSERT_TRUE(WriteFileAtomic(path, "first").ok());
  EXPECT_EQ(*ReadFile(path), "first");
  ASSERT_TRUE(WriteFileAtomic(path, "second").ok());
  EXPECT_EQ(*ReadFile(path), "second");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir / "sub"), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

TEST(FileTest, AbortLeavesOldContent) {
  const fs::path dir = TempDir("b");
  const std::string path = (dir / "x.txt").string();
  ASSERT_TRUE(WriteFileAtomic(path, "old").ok());
  {
    AtomicFile f;
    ASSERT_TRUE(f.Open(path).ok());
    ASSERT_TRUE(f.Write("new but abandoned").ok());
  }  // destructor aborts
  EXPECT_EQ(*ReadFile(path), "old");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir), fs::directory_iterator()), 1);
  fs::remove_all(dir);
}

TEST(FileTest, ReadMissingIsNotFound) {
  Result<std::string> r = ReadFile("/nonexistent/arus/file");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace arus
