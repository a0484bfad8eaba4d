#include "cluster/wire.h"

#include "store/encoding.h"

namespace jindou::cluster {

namespace {
constexpr uint8_t kRecordVersion = 1;
}  // namespace

WireWriter& WireWriter::u8(uint8_t v) {
  out_.push_back(static_cast<char>(v));
  return *this;
}

WireWriter& WireWriter::u64(uint64_t v) {
  store::put_varint(out_, v);
  return *this;
}

WireWriter& WireWriter::i64(int64_t v) {
  return u64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

WireWriter& WireWriter::str(std::string_view s) {
  store::put_varint(out_, s.size());
  out_.append(s);
  return *this;
}

WireWriter& WireWriter::strings(const std::vector<std::string>& v) {
  u64(v.size());
  for (const auto& s : v) str(s);
  return *this;
}

uint8_t WireReader::u8() {
  if (!ok_ || in_.empty()) {
    ok_ = false;
    return 0;
  }
  const auto v = static_cast<uint8_t>(in_.front());
  in_.remove_prefix(1);
  return v;
}

uint64_t WireReader::u64() {
  uint64_t v = 0;
  if (!ok_ || !store::take_varint(in_, v)) {
    ok_ = false;
    return 0;
  }
  return v;
}

int64_t WireReader::i64() {
  const uint64_t z = u64();
  return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
}

std::string WireReader::str() {
  const uint64_t n = u64();
  if (!ok_ || n > in_.size()) {
    ok_ = false;
    return {};
  }
  std::string s(in_.substr(0, n));
  in_.remove_prefix(n);
  return s;
}

ChannelKey WireReader::channel() {
  ChannelKey key;
  key.id = str();
  key.type = u8();
  return key;
}

std::vector<std::string> WireReader::strings() {
  const uint64_t n = u64();
  std::vector<std::string> v;
  if (!ok_ || n > in_.size()) {  // every string takes at least one byte
    ok_ = false;
    return v;
  }
  v.reserve(n);
  for (uint64_t i = 0; i < n && ok_; ++i) v.push_back(str());
  return v;
}

// --- Log records -----------------------------------------------------------------------------

std::string encode_writes(const Writer& writer, const store::WriteSet& writes) {
  std::string out;
  WireWriter w(out);
  w.u8(kRecordVersion).u8(static_cast<uint8_t>(LogRecord::Kind::kWrites));
  w.u64(writer.node).u64(writer.boot);
  w.u64(writes.partition()).u64(writes.message_count());
  w.u64(writes.changed_channels().size());
  for (const auto& key : writes.changed_channels()) w.channel(key);
  w.u64(writes.ops().size());
  for (const auto& op : writes.ops()) {
    w.u8(static_cast<uint8_t>(op.column)).u8(static_cast<uint8_t>(op.kind)).u64(op.version_at);
    w.str(op.key).str(op.value);
  }
  return out;
}

std::string encode_claim(const Writer& writer, const Writer& owner) {
  std::string out;
  WireWriter w(out);
  w.u8(kRecordVersion).u8(static_cast<uint8_t>(LogRecord::Kind::kClaim));
  w.u64(writer.node).u64(writer.boot).u64(owner.node).u64(owner.boot);
  return out;
}

std::optional<LogRecord> decode_record(std::string_view data) {
  WireReader r(data);
  if (r.u8() != kRecordVersion) return std::nullopt;
  LogRecord rec;
  const uint8_t kind = r.u8();
  rec.writer.node = static_cast<uint16_t>(r.u64());
  rec.writer.boot = r.u64();
  if (kind == static_cast<uint8_t>(LogRecord::Kind::kClaim)) {
    rec.kind = LogRecord::Kind::kClaim;
    rec.owner.node = static_cast<uint16_t>(r.u64());
    rec.owner.boot = r.u64();
    return r.done() ? std::optional<LogRecord>(std::move(rec)) : std::nullopt;
  }
  if (kind != static_cast<uint8_t>(LogRecord::Kind::kWrites)) return std::nullopt;
  rec.kind = LogRecord::Kind::kWrites;
  const auto partition = static_cast<uint32_t>(r.u64());
  const uint64_t messages = r.u64();
  const uint64_t changed = r.u64();
  std::vector<ChannelKey> channels;
  for (uint64_t i = 0; i < changed && r.ok(); ++i) channels.push_back(r.channel());
  const uint64_t count = r.u64();
  if (!r.ok() || count > data.size()) return std::nullopt;
  std::vector<store::WriteSet::Op> ops;
  ops.reserve(count);
  for (uint64_t i = 0; i < count && r.ok(); ++i) {
    store::WriteSet::Op op;
    const uint8_t column = r.u8();
    const uint8_t op_kind = r.u8();
    op.version_at = static_cast<uint16_t>(r.u64());
    op.key = r.str();
    op.value = r.str();
    if (column >= static_cast<uint8_t>(store::Column::kCount) ||
        op_kind > static_cast<uint8_t>(store::WriteSet::OpKind::kQueueAppend) ||
        (op.version_at != 0 && size_t{op.version_at} + 8 > op.value.size())) {
      return std::nullopt;
    }
    op.column = static_cast<store::Column>(column);
    op.kind = static_cast<store::WriteSet::OpKind>(op_kind);
    ops.push_back(std::move(op));
  }
  if (!r.done()) return std::nullopt;
  rec.writes = store::WriteSet::from_ops(std::move(ops), std::move(channels), partition,
                                         static_cast<size_t>(messages));
  return rec;
}

// --- Calls -----------------------------------------------------------------------------------

void put_send_request(WireWriter& w, const engine::SendRequest& r) {
  w.u8(static_cast<uint8_t>(r.origin.kind)).u64(r.origin.connection_id);
  w.str(r.from_uid).str(r.channel_id).u8(r.channel_type).u8(r.header.flags()).u8(r.setting);
  w.str(r.client_msg_no).u64(r.expire).str(r.stream_no).flag(r.open_stream);
  w.str(r.tag_key).str(r.topic).str(r.payload).strings(r.subscribers);
}

engine::SendRequest take_send_request(WireReader& r) {
  engine::SendRequest q;
  q.origin.kind = static_cast<engine::SendOrigin::Kind>(r.u8() & 1);
  q.origin.connection_id = r.u64();
  q.from_uid = r.str();
  q.channel_id = r.str();
  q.channel_type = r.u8();
  q.header = MessageHeader::from_flags(r.u8());
  q.setting = r.u8();
  q.client_msg_no = r.str();
  q.expire = static_cast<uint32_t>(r.u64());
  q.stream_no = r.str();
  q.open_stream = r.flag();
  q.tag_key = r.str();
  q.topic = r.str();
  q.payload = r.str();
  q.subscribers = r.strings();
  return q;
}

void put_status(WireWriter& w, const Status& s) {
  if (s.ok()) {
    w.u8(0);
    return;
  }
  const Error& e = s.error();
  w.u8(1).u64(static_cast<uint64_t>(e.status)).u8(static_cast<uint8_t>(e.reason)).str(e.message);
  w.flag(e.moved);
}

Status take_status(WireReader& r) {
  if (r.u8() == 0) return Status{};
  Error e;
  e.status = static_cast<int>(r.u64());
  e.reason = static_cast<ReasonCode>(r.u8());
  e.message = r.str();
  e.moved = r.flag();
  return Status(std::move(e));
}

void put_send_result(WireWriter& w, const engine::SendResult& r) {
  put_status(w, r.status);
  w.i64(r.message_id).u64(r.message_seq).str(r.client_msg_no).flag(r.duplicate).str(r.stream_no);
}

engine::SendResult take_send_result(WireReader& r) {
  engine::SendResult s;
  s.status = take_status(r);
  s.message_id = r.i64();
  s.message_seq = r.u64();
  s.client_msg_no = r.str();
  s.duplicate = r.flag();
  s.stream_no = r.str();
  return s;
}

void put_stream_result(WireWriter& w, const engine::StreamResult& r) {
  put_status(w, r.status);
  w.i64(r.message_id).u64(r.message_seq).str(r.client_msg_no).str(r.stream_no);
  w.u64(r.chunk_seq).flag(r.duplicate);
}

engine::StreamResult take_stream_result(WireReader& r) {
  engine::StreamResult s;
  s.status = take_status(r);
  s.message_id = r.i64();
  s.message_seq = r.u64();
  s.client_msg_no = r.str();
  s.stream_no = r.str();
  s.chunk_seq = static_cast<uint32_t>(r.u64());
  s.duplicate = r.flag();
  return s;
}

void put_chunk_request(WireWriter& w, const engine::ChunkRequest& r) {
  w.str(r.stream_no).str(r.client_msg_no).str(r.payload).str(r.event_json);
}

engine::ChunkRequest take_chunk_request(WireReader& r) {
  engine::ChunkRequest c;
  c.stream_no = r.str();
  c.client_msg_no = r.str();
  c.payload = r.str();
  c.event_json = r.str();
  return c;
}

void put_event(WireWriter& w, const engine::ClientEvent& e) {
  w.str(e.id).str(e.type).i64(e.timestamp_ms).str(e.data);
}

engine::ClientEvent take_event(WireReader& r) {
  engine::ClientEvent e;
  e.id = r.str();
  e.type = r.str();
  e.timestamp_ms = r.i64();
  e.data = r.str();
  return e;
}

void put_member_change(WireWriter& w, const std::optional<engine::MemberChange>& c) {
  w.flag(c.has_value());
  if (!c) return;
  w.u8(static_cast<uint8_t>(c->role)).u8(static_cast<uint8_t>(c->mode)).strings(c->uids);
}

std::optional<engine::MemberChange> take_member_change(WireReader& r) {
  if (!r.flag()) return std::nullopt;
  engine::MemberChange c;
  c.role = static_cast<MemberRole>(r.u8());
  c.mode = static_cast<engine::MemberChange::Mode>(r.u8() & 3);
  c.uids = r.strings();
  return c;
}

void put_channel_info(WireWriter& w, const std::optional<ChannelInfo>& info) {
  w.flag(info.has_value());
  if (!info) return;
  w.flag(info->ban).flag(info->disband).flag(info->send_ban).flag(info->large);
  w.flag(info->allow_stranger);
}

std::optional<ChannelInfo> take_channel_info(WireReader& r) {
  if (!r.flag()) return std::nullopt;
  ChannelInfo i;
  i.ban = r.flag();
  i.disband = r.flag();
  i.send_ban = r.flag();
  i.large = r.flag();
  i.allow_stranger = r.flag();
  return i;
}

// --- Deliveries ------------------------------------------------------------------------------

std::string encode_deliveries(const std::vector<engine::Delivery>& deliveries) {
  std::string out;
  WireWriter w(out);
  w.u8('m').u64(deliveries.size());
  for (const auto& d : deliveries) {
    const Message& m = *d.message;
    w.str(store::message_key(m.channel, m.message_seq)).str(store::encode_message(m));
    w.strings(d.recipients ? *d.recipients : std::vector<std::string>{});
    w.u64(d.skip_connection);
  }
  return out;
}

std::string encode_events(const std::vector<engine::EventDelivery>& events) {
  std::string out;
  WireWriter w(out);
  w.u8('e').u64(events.size());
  for (const auto& e : events) {
    put_event(w, *e.event);
    w.strings(e.recipients ? *e.recipients : std::vector<std::string>{});
  }
  return out;
}

std::optional<std::vector<engine::Delivery>> decode_deliveries(std::string_view data) {
  WireReader r(data);
  if (r.u8() != 'm') return std::nullopt;
  const uint64_t n = r.u64();
  if (!r.ok() || n > data.size()) return std::nullopt;
  std::vector<engine::Delivery> out;
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    const std::string key = r.str();
    const std::string value = r.str();
    auto recipients = r.strings();
    const uint64_t skip = r.u64();
    if (!r.ok()) return std::nullopt;
    auto m = store::decode_message(key, value);
    if (!m) return std::nullopt;
    out.push_back(engine::Delivery{std::make_shared<const Message>(std::move(*m)),
                                   std::make_shared<const std::vector<std::string>>(
                                       std::move(recipients)),
                                   skip});
  }
  if (!r.done()) return std::nullopt;
  return out;
}

std::optional<std::vector<engine::EventDelivery>> decode_events(std::string_view data) {
  WireReader r(data);
  if (r.u8() != 'e') return std::nullopt;
  const uint64_t n = r.u64();
  if (!r.ok() || n > data.size()) return std::nullopt;
  std::vector<engine::EventDelivery> out;
  out.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    auto event = take_event(r);
    auto recipients = r.strings();
    if (!r.ok()) return std::nullopt;
    out.push_back(engine::EventDelivery{
        std::make_shared<const engine::ClientEvent>(std::move(event)),
        std::make_shared<const std::vector<std::string>>(std::move(recipients))});
  }
  if (!r.done()) return std::nullopt;
  return out;
}

}  // namespace jindou::cluster
