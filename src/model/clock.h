// Wall-clock time as the server records it (message timestamps, connection times).
#pragma once

#include <chrono>
#include <cstdint>

namespace jindou {

inline int64_t unix_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t unix_seconds() {
  return unix_millis() / 1000;
}

}  // namespace jindou
