#include "model/validation.h"

#include "model/channel.h"

namespace jindou {

bool is_valid_utf8(std::string_view s) {
  size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

std::optional<Error> check_id(std::string_view value, std::string_view field) {
  const std::string f(field);
  if (value.empty()) return Error::bad_request(f + " is required");
  if (value.size() > kMaxIdBytes) return Error::bad_request(f + " is longer than 128 bytes");
  for (unsigned char c : value) {
    if (c == '@' || c == '#' || c == '&') {
      return Error::bad_request(f + " must not contain '@', '#' or '&'");
    }
    if (c < 0x20 || c == 0x7F)
      return Error::bad_request(f + " must not contain control characters");
  }
  if (!is_valid_utf8(value)) return Error::bad_request(f + " is not valid UTF-8");
  return std::nullopt;
}

std::optional<Error> check_channel_id_for_read(std::string_view value, std::string_view field) {
  if (!is_derived_person_id(value)) return check_id(value, field);
  auto [a, b] = person_parties(value);
  if (check_id(a, field) || check_id(b, field)) {
    return Error::bad_request(std::string(field) + " is not a valid person channel id");
  }
  return std::nullopt;
}

std::optional<Error> check_channel_type(int64_t value, std::string_view field) {
  if (value < 1 || value > 255) {
    return Error::bad_request(std::string(field) + " must be between 1 and 255");
  }
  return std::nullopt;
}

}  // namespace jindou
