#include "api/route_helpers.h"

#include <charconv>

#include "model/validation.h"

namespace jindou::api {

Result<boost::json::object> body_object(const HttpRequest& request) {
  auto v = parse_json(request.body);
  if (!v.ok()) return v.error();
  if (!v->is_object()) return Error::bad_request("the request body must be a JSON object");
  return std::move(v->get_object());
}

Result<ChannelKey> read_channel(std::string_view channel_id, int64_t channel_type,
                                std::string_view login_uid) {
  if (channel_id.empty()) return Error::bad_request("channel_id is required");
  if (auto e = check_channel_type(channel_type, "channel_type")) return *e;
  const auto type = static_cast<uint8_t>(channel_type);
  // Only person channels have derived `a@b` ids.
  if (auto e = type == kChannelPerson ? check_channel_id_for_read(channel_id, "channel_id")
                                      : check_id(channel_id, "channel_id")) {
    return *e;
  }
  if (type == kChannelPerson && !is_derived_person_id(channel_id)) {
    if (login_uid.empty()) {
      return Error::bad_request("login_uid is required to read a person channel");
    }
    if (auto e = check_id(login_uid, "login_uid")) return *e;
  }
  return stored_channel(channel_id, type, login_uid);
}

Result<ChannelKey> managed_channel(FieldReader& f) {
  const std::string id = f.string("channel_id");
  const int64_t type = f.integer("channel_type", 0, 0, 255);
  if (f.error()) return *f.error();
  if (auto e = check_id(id, "channel_id")) return *e;
  if (auto e = check_channel_type(type, "channel_type")) return *e;
  return ChannelKey{id, static_cast<uint8_t>(type)};
}

// Query-string integer: absent = fallback; anything but a decimal in range is a 400.
std::optional<int64_t> query_int(const HttpRequest& request, std::string_view name,
                                 int64_t fallback, int64_t min, int64_t max,
                                 std::optional<Error>& error) {
  const std::string* v = request.query_param(name);
  if (v == nullptr || v->empty()) return fallback;
  int64_t out = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), out);
  if (r.ec != std::errc() || r.ptr != v->data() + v->size() || out < min || out > max) {
    if (!error) {
      error = Error::bad_request(std::string(name) + " must be an integer between " +
                                 std::to_string(min) + " and " + std::to_string(max));
    }
    return std::nullopt;
  }
  return out;
}

std::string query_string(const HttpRequest& request, std::string_view name) {
  const std::string* v = request.query_param(name);
  return v == nullptr ? std::string() : *v;
}

}  // namespace jindou::api
