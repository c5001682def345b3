#include "core/memory.h"

#include <sys/mman.h>

#include <cstdint>

namespace arus {
namespace {

#ifndef MADV_POPULATE_WRITE
constexpr int kPopulateWrite = 23;  // Linux 5.14; older kernels answer EINVAL, which is fine
#else
constexpr int kPopulateWrite = MADV_POPULATE_WRITE;
#endif

constexpr uintptr_t kPage = 4096;
constexpr uintptr_t kHugePage = uintptr_t{2} << 20;

}  // namespace

void PrefaultForWrite(void* data, size_t bytes) {
  if (data == nullptr || bytes < kPrefaultMinBytes) return;
  const uintptr_t begin = reinterpret_cast<uintptr_t>(data);
  const uintptr_t end = begin + bytes;
  // Huge pages only where whole 2 MiB pages fit: the advice must not reach memory outside.
  const uintptr_t huge_begin = (begin + kHugePage - 1) & ~(kHugePage - 1);
  const uintptr_t huge_end = end & ~(kHugePage - 1);
  if (huge_end > huge_begin) {
    (void)madvise(reinterpret_cast<void*>(huge_begin), huge_end - huge_begin, MADV_HUGEPAGE);
  }
  const uintptr_t page_begin = (begin + kPage - 1) & ~(kPage - 1);
  const uintptr_t page_end = end & ~(kPage - 1);
  if (page_end > page_begin) {
    (void)madvise(reinterpret_cast<void*>(page_begin), page_end - page_begin, kPopulateWrite);
  }
}

}  // namespace arus
