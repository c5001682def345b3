// Large buffers that are about to be filled: reserve them and have the kernel map their pages in
// one call instead of one page fault per 4 KiB page on first touch. On virtual machines with
// shadow paging a first-touch fault costs microseconds, so filling half a gigabyte of dataset
// columns page by page costs seconds; advising transparent huge pages and pre-faulting the range
// (MADV_HUGEPAGE + MADV_POPULATE_WRITE) makes it a small fraction of that. Contents are never
// changed. Small ranges, and kernels without these advice values, are left to the usual faults.
// Thread-safety: no shared state.
#pragma once

#include <cstddef>
#include <vector>

namespace arus {

// Below this many bytes the advice is not worth a system call.
inline constexpr size_t kPrefaultMinBytes = size_t{4} << 20;

// Maps in the pages of [data, data + bytes) for writing (whole pages inside the range only).
void PrefaultForWrite(void* data, size_t bytes);

// v.reserve(n), then pre-faults the reserved room after v's current elements.
template <class T>
void ReserveForWrite(std::vector<T>& v, size_t n) {
  v.reserve(n);
  if (v.capacity() > v.size()) {
    PrefaultForWrite(v.data() + v.size(), (v.capacity() - v.size()) * sizeof(T));
  }
}

}  // namespace arus
