// Standard (RFC 4648, padded) base64, as used for HTTP payloads and wkproto keys.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace jindou {

std::string base64_encode(std::string_view bytes);
// Appends the encoding of `bytes` to `out` (no allocation when `out` has capacity).
void base64_encode_to(std::string_view bytes, std::string& out);
// nullopt when `text` is not valid padded standard base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace jindou
