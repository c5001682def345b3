#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

namespace arus {

ProgressBar::ProgressBar(std::string label, uint64_t total, bool enabled, std::string unit)
    : label_(std::move(label)),
      unit_(std::move(unit)),
      total_(total),
      enabled_(enabled && ::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressBar::~ProgressBar() {
  if (drawn_ && !finished_) std::fputc('\n', stderr);
}

void ProgressBar::MaybeDraw(bool force) {
  const auto now = std::chrono::steady_clock::now();
  if (!force && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double secs = std::chrono::duration<double>(now - start_).count();
  const double rate = secs > 0 ? done_ / secs : 0;
  char line[256];
  if (total_ > 0) {
    const double frac = done_ >= total_ ? 1.0 : static_cast<double>(done_) / total_;
    char bar[31];
    const int filled = static_cast<int>(frac * 30);
    for (int i = 0; i < 30; ++i) bar[i] = i < filled ? '#' : '.';
    bar[30] = 0;
    const double eta = rate > 0 ? (total_ - std::min(done_, total_)) / rate : 0;
    std::snprintf(line, sizeof line, "\r%s [%s] %3.0f%%  %s%s/s  ETA %.0fs   ", label_.c_str(), bar,
                  frac * 100, HumanCount(rate).c_str(), unit_.c_str(), eta);
  } else {
    std::snprintf(line, sizeof line, "\r%s %s%s  %s%s/s   ", label_.c_str(),
                  HumanCount(done_).c_str(), unit_.c_str(), HumanCount(rate).c_str(),
                  unit_.c_str());
  }
  std::fputs(line, stderr);
  if (!status_.empty()) {
    std::fputs(status_.c_str(), stderr);
    std::fputs("   ", stderr);  // clears the end of a longer previous status
  }
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::Finish() {
  if (!enabled_ || finished_) return;
  MaybeDraw(true);
  std::fputc('\n', stderr);
  finished_ = true;
}

std::string HumanCount(double n) {
  char buf[32];
  if (n >= 1e9) std::snprintf(buf, sizeof buf, "%.2f G", n / 1e9);
  else if (n >= 1e6) std::snprintf(buf, sizeof buf, "%.2f M", n / 1e6);
  else if (n >= 1e4) std::snprintf(buf, sizeof buf, "%.1f k", n / 1e3);
  else std::snprintf(buf, sizeof buf, "%.0f", n);
  return buf;
}

std::string HumanBytes(double b) {
  char buf[32];
  if (b >= 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1024.0 * 1024 * 1024));
  else if (b >= 1024.0 * 1024) std::snprintf(buf, sizeof buf, "%.2f MiB", b / (1024.0 * 1024));
  else if (b >= 1024.0) std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
  else std::snprintf(buf, sizeof buf, "%.0f B", b);
  return buf;
}

}  // namespace arus
