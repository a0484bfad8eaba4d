// The cluster's wire formats: what goes into the partition logs (write sets and ownership
// claims), the calls a node forwards to a partition's owner and their answers, and the
// deliveries a node hands to the others. Binary, versioned by a leading byte; every decoder
// checks lengths and returns nullopt on anything malformed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/delivery.h"
#include "engine/member_change.h"
#include "engine/send_types.h"
#include "model/channel.h"
#include "model/error.h"
#include "store/stream_record.h"
#include "store/write_set.h"

namespace jindou::cluster {

// Appends fields to a byte string.
class WireWriter {
 public:
  explicit WireWriter(std::string& out) : out_(out) {}
  WireWriter& u8(uint8_t v);
  WireWriter& u64(uint64_t v);  // varint
  WireWriter& i64(int64_t v);   // zig-zag varint
  WireWriter& str(std::string_view s);
  WireWriter& flag(bool b) { return u8(b ? 1 : 0); }
  WireWriter& channel(const ChannelKey& key) { return str(key.id).u8(key.type); }
  WireWriter& strings(const std::vector<std::string>& v);

 private:
  std::string& out_;
};

// Reads fields back; after any failure every read fails and ok() is false.
class WireReader {
 public:
  explicit WireReader(std::string_view in) : in_(in) {}
  uint8_t u8();
  uint64_t u64();
  int64_t i64();
  std::string str();
  bool flag() { return u8() != 0; }
  ChannelKey channel();
  std::vector<std::string> strings();
  bool ok() const { return ok_; }
  bool done() const { return ok_ && in_.empty(); }

 private:
  std::string_view in_;
  bool ok_ = true;
};

// --- Partition log records -------------------------------------------------------------------

// Who wrote a record: a node in one run of its process (boot), so that a restarted node's
// records are told apart from its previous run's.
struct Writer {
  uint16_t node = 0;
  uint64_t boot = 0;
  friend bool operator==(const Writer&, const Writer&) = default;
};

struct LogRecord {
  enum class Kind : uint8_t { kWrites = 1, kClaim = 2 };
  Kind kind = Kind::kWrites;
  Writer writer;
  // kClaim: the partition's owner from this record on ({0, 0}: nobody, a release).
  Writer owner;
  // kWrites
  std::optional<store::WriteSet> writes;
};

std::string encode_writes(const Writer& writer, const store::WriteSet& writes);
std::string encode_claim(const Writer& writer, const Writer& owner);
std::optional<LogRecord> decode_record(std::string_view data);

// --- Forwarded calls -------------------------------------------------------------------------

enum class Call : uint8_t {
  kSend = 1,
  kAppendChunk,
  kCloseStream,
  kRelayEvent,
  kChangeChannel,
  kDisbandChannel,
  kSetUserToken,
  kClearUserTokens,
  kClearUnread,
  kSetUnread,
  kDeleteConversation,
  kAckSyncOnce,
};

void put_send_request(WireWriter& w, const engine::SendRequest& r);
engine::SendRequest take_send_request(WireReader& r);
void put_send_result(WireWriter& w, const engine::SendResult& r);
engine::SendResult take_send_result(WireReader& r);
void put_stream_result(WireWriter& w, const engine::StreamResult& r);
engine::StreamResult take_stream_result(WireReader& r);
void put_status(WireWriter& w, const Status& s);
Status take_status(WireReader& r);
void put_chunk_request(WireWriter& w, const engine::ChunkRequest& r);
engine::ChunkRequest take_chunk_request(WireReader& r);
void put_event(WireWriter& w, const engine::ClientEvent& e);
engine::ClientEvent take_event(WireReader& r);
void put_member_change(WireWriter& w, const std::optional<engine::MemberChange>& c);
std::optional<engine::MemberChange> take_member_change(WireReader& r);
void put_channel_info(WireWriter& w, const std::optional<ChannelInfo>& info);
std::optional<ChannelInfo> take_channel_info(WireReader& r);

// --- Deliveries between nodes ----------------------------------------------------------------

std::string encode_deliveries(const std::vector<engine::Delivery>& deliveries);
std::string encode_events(const std::vector<engine::EventDelivery>& events);
// The first byte tells which: 'm' messages, 'e' events.
std::optional<std::vector<engine::Delivery>> decode_deliveries(std::string_view data);
std::optional<std::vector<engine::EventDelivery>> decode_events(std::string_view data);

}  // namespace jindou::cluster
