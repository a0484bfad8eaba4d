#include "api/channel_fields.h"

#include "model/validation.h"

namespace jindou::api {

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

}  // namespace jindou::api
