#include "api/stream_json.h"

#include "engine/message_reader.h"
#include "json/json_writer.h"
#include "json/message_object.h"
#include "model/base64.h"

namespace jindou::api {
namespace {

Status write_with_stream(ApiContext& ctx, JsonWriter& w, const Message& m,
                         std::string_view login_uid, bool stream_v2, size_t& budget) {
  if (!stream_v2 || m.stream_no.empty()) {
    write_message(w, m, login_uid);
    return {};
  }
  auto record = ctx.engine.stream(m.stream_no);
  if (!record.ok()) return record.error();
  if (!record->has_value() || (*record)->anchor_message_id != m.message_id) {
    write_message(w, m, login_uid);  // not an anchor (a stream_no set by a client)
    return {};
  }
  auto data = ctx.engine.stream_data(m.stream_no, budget);
  if (!data.ok() && data.error().status != 413) return data.error();
  if (!data.ok()) {
    return Error::too_large("the streams in this answer hold more than " +
                            std::to_string(engine::MessageReader::kMaxReadBytes >> 20) +
                            " MiB: ask for fewer messages, or stream_v2 0 for the anchors alone");
  }
  budget -= data->size();
  w.begin_object();
  write_message_fields(w, m, login_uid);
  std::string encoded;
  base64_encode_to(*data, encoded);
  w.field("stream_data", encoded);
  w.field("end", (*record)->ended ? 1 : 0);
  w.field("end_reason", static_cast<int>((*record)->end_reason));
  w.end_object();
  return {};
}

}  // namespace

Status write_messages(ApiContext& ctx, std::string& out, const std::vector<Message>& messages,
                      std::string_view login_uid, bool stream_v2) {
  size_t budget = engine::MessageReader::kMaxReadBytes;
  JsonWriter w(out);
  w.begin_array();
  for (const auto& m : messages) {
    if (auto s = write_with_stream(ctx, w, m, login_uid, stream_v2, budget); !s.ok()) return s;
  }
  w.end_array();
  return {};
}

Status write_one_message(ApiContext& ctx, std::string& out, const Message& message,
                         std::string_view login_uid, bool stream_v2) {
  size_t budget = engine::MessageReader::kMaxReadBytes;
  JsonWriter w(out);
  return write_with_stream(ctx, w, message, login_uid, stream_v2, budget);
}

}  // namespace jindou::api
