// Small pieces every route file uses.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>

#include "api/http_types.h"
#include "api/json_input.h"
#include "model/channel.h"

namespace jindou::api {

// The request body as a JSON object, or a 400.
Result<boost::json::object> body_object(const HttpRequest& request);

// The stored channel a read addresses: `channel_id` + `channel_type`; person channels need
// `login_uid` unless channel_id is already a derived `a@b` id.
Result<ChannelKey> read_channel(std::string_view channel_id, int64_t channel_type,
                                std::string_view login_uid);

// A channel named by `channel_id` + `channel_type` in a management request (never derived).
Result<ChannelKey> managed_channel(FieldReader& f);

// The channel fields of a read request: login_uid, channel_id, channel_type.
struct ReadChannelFields {
  explicit ReadChannelFields(FieldReader& f)
      : login_uid(f.string("login_uid")),
        channel_id(f.string("channel_id")),
        channel_type(f.integer("channel_type", 0, 0, 255)) {}
  Result<ChannelKey> key() const { return read_channel(channel_id, channel_type, login_uid); }

  std::string login_uid;
  std::string channel_id;
  int64_t channel_type;
};

// Query-string integer: absent or empty = fallback; anything but a decimal in [min, max] sets
// `error` (the first one) to a 400 naming it and returns nullopt.
std::optional<int64_t> query_int(const HttpRequest& request, std::string_view name,
                                 int64_t fallback, int64_t min, int64_t max,
                                 std::optional<Error>& error);
// Query-string text; absent = empty.
std::string query_string(const HttpRequest& request, std::string_view name);

// A route handler that calls `fn(ctx, request, respond)`.
template <class Context, class Fn>
Handler bind_route(Context& ctx, Fn fn) {
  return [&ctx, fn](HttpRequest& request, const Respond& respond) { fn(ctx, request, respond); };
}

// Responds with `error` and returns true when it is set.
inline bool respond_if_error(const std::optional<Error>& error, const Respond& respond) {
  if (!error) return false;
  respond(HttpResponse::error(*error));
  return true;
}

// Answers a metadata change: `{"status":200}` or the error.
inline auto respond_status(Respond respond) {
  return [respond = std::move(respond)](Status s) {
    respond(s.ok() ? HttpResponse::ok() : HttpResponse::error(s.error()));
  };
}

}  // namespace jindou::api
