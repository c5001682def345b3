#include "core/format.h"

#include <charconv>

namespace arus {

void AppendShortest(std::string* out, double v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

std::string ShortestText(double v) {
  std::string s;
  AppendShortest(&s, v);
  return s;
}

void AppendShortest(std::string* out, float v) {
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

void AppendFixed(std::string* out, double v, int decimals) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  if (r.ec != std::errc()) {  // absurdly large value: fall back to the shortest form
    AppendShortest(out, v);
    return;
  }
  out->append(buf, r.ptr);
}

}  // namespace arus
