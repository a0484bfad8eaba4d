// Webhook signatures: X-WK-Signature is "sha256=" + the hex HMAC-SHA256, keyed with
// webhook.secret, of the X-WK-Timestamp value, ".", and the body. Receivers recompute it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace jindou::webhook {

std::string signature(std::string_view secret, int64_t timestamp, std::string_view body);

}  // namespace jindou::webhook
