// Small helpers shared by the timed benchmark programs in bench/: wall and thread-CPU clocks, and
// exiting with the message when a setup step fails (a benchmark has nothing to report then).
#pragma once

#include <time.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "core/status.h"

namespace arus::bench {

using Clock = std::chrono::steady_clock;

inline double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// CPU time of the calling thread: less disturbed than wall time on a shared machine.
inline double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

inline void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

}  // namespace arus::bench
