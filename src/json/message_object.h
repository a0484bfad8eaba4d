// The message object of the HTTP API (http-api.md "Message object"), also the body of the
// webhooks' message events.
#pragma once

#include <string_view>

#include "json/json_writer.h"
#include "model/message.h"

namespace jindou {

// Writes `m` with channel_id / target_uid as seen by `login_uid` (empty: as the recipient sees
// it, i.e. a person message's channel_id is the party that is not the sender).
void write_message(JsonWriter& w, const Message& m, std::string_view login_uid);
// The same fields inside an object the caller opened (to add fields of its own).
void write_message_fields(JsonWriter& w, const Message& m, std::string_view login_uid);

}  // namespace jindou
