// Server-generated client_msg_no values. When a send comes without one, the server makes one
// that carries the message id: 16 hex digits of the id, then 16 random ones (32 in all). Such
// a value is unique by construction, so the store keeps no index entry for it; lookups decode
// the id instead (and then compare the whole value).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace jindou {

std::string generated_client_msg_no(int64_t message_id, uint64_t random);

// The message id inside `value` when it has the generated shape, else nullopt. Anyone may send
// a value of that shape, so callers must check the message found really has `value`.
std::optional<int64_t> generated_client_msg_no_id(std::string_view value);

}  // namespace jindou
