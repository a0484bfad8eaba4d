// JSON forms of messages and send results.
#pragma once

#include <boost/json/object.hpp>

#include <string_view>

#include "api/api_context.h"
#include "api/json_writer.h"
#include "engine/send_types.h"
#include "model/message.h"

namespace jindou::api {

// The message object of http-api.md, with channel_id / target_uid as seen by `login_uid`.
void write_message(JsonWriter& w, const Message& m, std::string_view login_uid);

// `{"message_id":N,"message_idstr":"N","message_seq":S,"client_msg_no":"..."}`.
void write_send_result(JsonWriter& w, const engine::SendResult& r);
// `{"status":N,"msg":"...","reason_code":R}`.
void write_error(JsonWriter& w, const Error& e);

// Reads and validates one /message/send body. `prefix` names it in errors ("[3].").
Result<engine::SendRequest> parse_send_request(const boost::json::object& body,
                                               const ApiLimits& limits,
                                               const std::string& prefix = {});

}  // namespace jindou::api
