#include "core/memory.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <string>
#include <vector>

namespace arus {
namespace {

// Resident pages of an anonymous mapping, by mincore().
size_t ResidentPages(void* p, size_t bytes) {
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> v((bytes + page - 1) / page);
  if (mincore(p, bytes, v.data()) != 0) return 0;
  size_t n = 0;
  for (unsigned char c : v) n += c & 1;
  return n;
}

bool KernelHasPopulateWrite() {  // Linux 5.14
  utsname u;
  if (uname(&u) != 0) return false;
  int major = 0, minor = 0;
  if (std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
  return major > 5 || (major == 5 && minor >= 14);
}

TEST(MemoryTest, PrefaultMapsEveryPageOfAFreshMapping) {
  if (!KernelHasPopulateWrite()) GTEST_SKIP() << "kernel older than 5.14";
  const size_t bytes = size_t{16} << 20;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  EXPECT_EQ(ResidentPages(p, bytes), 0u);  // nothing touched yet
  PrefaultForWrite(p, bytes);
  EXPECT_EQ(ResidentPages(p, bytes), bytes / static_cast<size_t>(sysconf(_SC_PAGESIZE)));
  munmap(p, bytes);
}

TEST(MemoryTest, SmallRangesAreLeftAlone) {
  const size_t bytes = kPrefaultMinBytes / 2;
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(p, MAP_FAILED);
  PrefaultForWrite(p, bytes);
  EXPECT_EQ(ResidentPages(p, bytes), 0u);
  munmap(p, bytes);
  PrefaultForWrite(nullptr, size_t{1} << 30);  // no effect, no crash
}

TEST(MemoryTest, ContentsAreKept) {
  // A range with data, not page aligned at either end: the pages it shares with other memory
  // and its own bytes keep their contents.
  std::vector<uint8_t> buf((size_t{9} << 20) + 123);
  for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(i * 31 + 7);
  const std::vector<uint8_t> copy = buf;
  PrefaultForWrite(buf.data() + 1001, buf.size() - 2002);
  EXPECT_EQ(buf, copy);
}

TEST(MemoryTest, ReserveForWriteKeepsElementsAndReserves) {
  std::vector<double> v(1000);
  std::iota(v.begin(), v.end(), 0.5);
  const std::vector<double> before = v;
  ReserveForWrite(v, 2'000'000);
  EXPECT_GE(v.capacity(), 2'000'000u);
  EXPECT_EQ(v, before);
  const double* data = v.data();
  v.resize(2'000'000, 1.0);  // no reallocation: the room was reserved
  EXPECT_EQ(v.data(), data);
  EXPECT_EQ(v[999], 999.5);
  EXPECT_EQ(v.back(), 1.0);
  std::vector<int> small;
  ReserveForWrite(small, 10);
  EXPECT_GE(small.capacity(), 10u);
}

}  // namespace
}  // namespace arus
