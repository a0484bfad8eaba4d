#include "model/client_msg_no.h"

namespace jindou {
namespace {
constexpr char kHex[] = "0123456789abcdef";
}  // namespace

std::string generated_client_msg_no(int64_t message_id, uint64_t random) {
  std::string out(32, '0');
  const auto id = static_cast<uint64_t>(message_id);
  for (int i = 0; i < 16; ++i) {
    out[static_cast<size_t>(i)] = kHex[(id >> (60 - 4 * i)) & 15];
    out[16 + static_cast<size_t>(i)] = kHex[(random >> (60 - 4 * i)) & 15];
  }
  return out;
}

std::optional<int64_t> generated_client_msg_no_id(std::string_view value) {
  if (value.size() != 32) return std::nullopt;
  uint64_t id = 0;
  for (size_t i = 0; i < 32; ++i) {
    const char c = value[i];
    int digit = 0;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else {
      return std::nullopt;
    }
    if (i < 16) id = (id << 4) | static_cast<uint64_t>(digit);
  }
  if (id == 0 || id > static_cast<uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<int64_t>(id);
}

}  // namespace jindou
