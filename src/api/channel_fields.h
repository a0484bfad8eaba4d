// The channel a request names: for reads (where a person chat may be named by the peer's uid
// plus login_uid) and for management requests (always the stored channel id).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/json_input.h"
#include "model/channel.h"

namespace jindou::api {

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

}  // namespace jindou::api
