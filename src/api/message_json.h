// JSON forms of messages and send results.
#pragma once

#include <boost/json/object.hpp>

#include <string_view>

#include "api/api_context.h"
#include "engine/send_types.h"
#include "json/json_writer.h"
#include "json/message_object.h"
#include "model/message.h"

namespace jindou::api {

// `{"message_id":N,"message_idstr":"N","message_seq":S,"client_msg_no":"..."}`.
void write_send_result(JsonWriter& w, const engine::SendResult& r);

// Reads and validates one /message/send body. `prefix` names it in errors ("[3].").
Result<engine::SendRequest> parse_send_request(const boost::json::object& body,
                                               const ApiLimits& limits,
                                               const std::string& prefix = {});

}  // namespace jindou::api
