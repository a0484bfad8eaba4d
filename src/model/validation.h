// Input rules shared by every ingress: ids, limits.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "model/error.h"

namespace jindou {

inline constexpr size_t kMaxIdBytes = 128;

// True when `s` is well-formed UTF-8.
bool is_valid_utf8(std::string_view s);

// uid / channel_id rule: 1..128 bytes of UTF-8, no '@', '#', '&', no control characters.
// Returns the 400 error naming `field`, or nullopt when valid.
std::optional<Error> check_id(std::string_view value, std::string_view field);

// Like check_id, but also accepts a derived person-channel id `a@b` whose parties are valid uids.
std::optional<Error> check_channel_id_for_read(std::string_view value, std::string_view field);

// Channel types 1..255 are accepted (5..255 behave like groups); 0 is not.
std::optional<Error> check_channel_type(int64_t value, std::string_view field);

}  // namespace jindou
