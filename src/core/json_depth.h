// A guard for JSON text read from files: rejects nesting deeper than a format needs before a
// JSON parser allocates for it (hostile files nest millions deep). Header-only, no JSON library.
// Thread-safety: pure function.
#pragma once

#include <string_view>

namespace arus {

// False when brackets outside strings nest deeper than `max_depth`.
inline bool JsonDepthOk(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false, escape = false;
  for (char c : text) {
    if (in_string) {
      if (escape) {
        escape = false;
      } else if (c == '\\') {
        escape = true;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace arus
