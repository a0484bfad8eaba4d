// The event log: durable queues of things that happened, for consumers such as the webhooks.
// The engine writes its entries in the same write set as what they describe, so an entry is
// durable exactly when its messages are; consumers read them from the store (event CF) and
// keep their own cursors.
//
// Queues (one byte each, the event CF key prefix):
//   'n' stored messages (msg.notify): one entry per shard flush, the (channel, seq) of each
//       message in it, in seq order per channel.
//   'f' offline recipients (msg.offline): one entry per shard flush, a record per message that
//       had recipients without a connection when it was sent (the message itself when it is
//       not stored).
//   's', 'd', 'o': kept by the webhook layer (online status, dead letters, online sessions).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/message.h"

namespace jindou::engine {

enum EventQueue : uint8_t {
  kQueueStoredMessages = 'n',
  kQueueOfflineRecipients = 'f',
  kQueueOnlineStatus = 's',
  kQueueDeadLetters = 'd',
  kQueueOnlineSessions = 'o',
};

// Which entries the engine writes.
struct EventLogOptions {
  bool stored_messages = false;
  bool offline_recipients = false;
};

struct StoredMessageRef {
  ChannelKey channel;
  uint64_t seq = 0;
  friend bool operator==(const StoredMessageRef&, const StoredMessageRef&) = default;
};

std::string encode_stored_messages(const std::vector<StoredMessageRef>& refs);
std::optional<std::vector<StoredMessageRef>> decode_stored_messages(std::string_view value);

// A message and the uids it found offline. A stored message is kept as a reference (seq > 0);
// an unstored one whole.
struct OfflineRecord {
  StoredMessageRef stored;  // seq 0: `message` holds it
  std::optional<Message> message;
  std::vector<std::string> to_uids;
};

// Appends the record of `m` to an offline-recipients entry.
void append_offline_record(std::string& entry, const Message& m,
                           const std::vector<std::string>& to_uids);
std::optional<std::vector<OfflineRecord>> decode_offline_entry(std::string_view value);

// Called when entries have become durable, with the number of events they hold (stored
// messages, offline messages), so consumers need not poll (any thread; must not block).
class EventLogListener {
 public:
  virtual ~EventLogListener() = default;
  virtual void appended(EventQueue queue, size_t events) = 0;
};

}  // namespace jindou::engine
