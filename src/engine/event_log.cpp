#include "engine/event_log.h"

#include "store/encoding.h"

namespace jindou::engine {
namespace {

constexpr char kStoredRef = 'r';
constexpr char kWholeMessage = 'm';

bool take_ref(std::string_view& in, StoredMessageRef& ref) {
  auto channel = store::take_channel(in);
  if (!channel || in.size() < 8) return false;
  ref.channel = std::move(*channel);
  ref.seq = store::get_u64(in.data());
  in.remove_prefix(8);
  return true;
}

}  // namespace

std::string encode_stored_messages(const std::vector<StoredMessageRef>& refs) {
  std::string out;
  for (const auto& r : refs) {
    store::put_channel(out, r.channel);
    store::put_u64(out, r.seq);
  }
  return out;
}

std::optional<std::vector<StoredMessageRef>> decode_stored_messages(std::string_view value) {
  std::vector<StoredMessageRef> out;
  while (!value.empty()) {
    StoredMessageRef ref;
    if (!take_ref(value, ref)) return std::nullopt;
    out.push_back(std::move(ref));
  }
  return out;
}

namespace {

std::string encode_offline_record(const Message& m, const std::vector<std::string>& to_uids) {
  std::string out;
  store::put_varint(out, to_uids.size());
  for (const auto& uid : to_uids) store::put_string(out, uid);
  if (m.message_seq > 0) {
    out.push_back(kStoredRef);
    store::put_channel(out, m.channel);
    store::put_u64(out, m.message_seq);
  } else {
    out.push_back(kWholeMessage);
    store::put_string(out, store::message_key(m.channel, 0));
    out.append(store::encode_message(m));
  }
  return out;
}

std::optional<OfflineRecord> decode_offline_record(std::string_view value) {
  OfflineRecord r;
  uint64_t count = 0;
  if (!store::take_varint(value, count) || count > value.size()) return std::nullopt;
  r.to_uids.resize(count);
  for (auto& uid : r.to_uids) {
    if (!store::take_string(value, uid)) return std::nullopt;
  }
  if (value.empty()) return std::nullopt;
  const char kind = value.front();
  value.remove_prefix(1);
  if (kind == kStoredRef) {
    if (!take_ref(value, r.stored) || !value.empty()) return std::nullopt;
    return r;
  }
  if (kind != kWholeMessage) return std::nullopt;
  std::string key;
  if (!store::take_string(value, key)) return std::nullopt;
  r.message = store::decode_message(key, value);
  if (!r.message) return std::nullopt;
  return r;
}

}  // namespace

void append_offline_record(std::string& entry, const Message& m,
                           const std::vector<std::string>& to_uids) {
  store::put_string(entry, encode_offline_record(m, to_uids));
}

std::optional<std::vector<OfflineRecord>> decode_offline_entry(std::string_view value) {
  std::vector<OfflineRecord> out;
  while (!value.empty()) {
    std::string record;
    if (!store::take_string(value, record)) return std::nullopt;
    auto r = decode_offline_record(record);
    if (!r) return std::nullopt;
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace jindou::engine
