#include "model/channel.h"

#include <boost/crc.hpp>

namespace jindou {

uint32_t crc32_ieee(std::string_view s) {
  boost::crc_32_type crc;
  crc.process_bytes(s.data(), s.size());
  return crc.checksum();
}

std::string person_channel_id(std::string_view a, std::string_view b) {
  const uint32_t ha = crc32_ieee(a);
  const uint32_t hb = crc32_ieee(b);
  // std::string_view compares with char_traits<char>::compare, which is memcmp: bytewise unsigned.
  const bool a_first = ha != hb ? ha > hb : a >= b;
  std::string id;
  id.reserve(a.size() + b.size() + 1);
  id.append(a_first ? a : b).push_back('@');
  id.append(a_first ? b : a);
  return id;
}

std::pair<std::string_view, std::string_view> person_parties(std::string_view id) {
  const auto at = id.find('@');
  if (at == std::string_view::npos) return {id, {}};
  return {id.substr(0, at), id.substr(at + 1)};
}

ChannelKey stored_channel(std::string_view channel_id, uint8_t channel_type,
                          std::string_view self_uid) {
  if (channel_type != kChannelPerson || is_derived_person_id(channel_id)) {
    return {std::string(channel_id), channel_type};
  }
  return {person_channel_id(self_uid, channel_id), channel_type};
}

ChannelView view_for(const ChannelKey& stored, std::string_view from_uid,
                     std::string_view login_uid) {
  if (!stored.is_person() || !is_derived_person_id(stored.id)) {
    return {stored.id, stored.id};
  }
  auto [a, b] = person_parties(stored.id);
  const auto other = [a = a, b = b](std::string_view x) { return x == a ? b : a; };
  ChannelView view;
  view.target_uid = std::string(from_uid == a || from_uid == b ? other(from_uid) : b);
  if (!login_uid.empty() && (login_uid == a || login_uid == b)) {
    view.channel_id = std::string(other(login_uid));
  } else {
    view.channel_id = view.target_uid;
  }
  return view;
}

}  // namespace jindou
