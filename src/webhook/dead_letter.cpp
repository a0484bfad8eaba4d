#include "webhook/dead_letter.h"

#include "store/encoding.h"

namespace jindou::webhook {

std::string encode_dead_letter(const DeadLetter& d) {
  std::string out;
  out.push_back(static_cast<char>(d.queue));
  store::put_u32(out, d.attempts);
  store::put_u64(out, static_cast<uint64_t>(d.failed_at));
  store::put_string(out, d.last_error);
  out.append(d.entry);
  return out;
}

std::optional<DeadLetter> decode_dead_letter(uint64_t id, std::string_view value) {
  if (value.size() < 13) return std::nullopt;
  DeadLetter d;
  d.id = id;
  d.queue = static_cast<engine::EventQueue>(static_cast<uint8_t>(value[0]));
  d.attempts = store::get_u32(value.data() + 1);
  d.failed_at = static_cast<int64_t>(store::get_u64(value.data() + 5));
  value.remove_prefix(13);
  if (!store::take_string(value, d.last_error)) return std::nullopt;
  d.entry.assign(value.data(), value.size());
  return d;
}

}  // namespace jindou::webhook
