// Streams in the HTTP API: chunk sends (through /message/send) and messages written with their
// assembled streams (stream_v2).
#pragma once

#include <boost/json/object.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "api/api_context.h"
#include "api/router.h"
#include "model/message.h"

namespace jindou::api {

// A /message/send body with stream_no: appends a chunk to that stream.
void send_chunk(ApiContext& ctx, const boost::json::object& body, const Respond& respond);

// Writes `messages` as a JSON array into `out`. With `stream_v2`, each stream anchor also
// carries stream_data (its chunks concatenated, base64), end and end_reason; the streams of one
// answer hold at most MessageReader::kMaxReadBytes together, else an error (413) names the limit.
Status write_messages(ApiContext& ctx, std::string& out, const std::vector<Message>& messages,
                      std::string_view login_uid, bool stream_v2);
// One message, the same way.
Status write_one_message(ApiContext& ctx, std::string& out, const Message& message,
                         std::string_view login_uid, bool stream_v2);

}  // namespace jindou::api
