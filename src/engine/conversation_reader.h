// ConversationReader: a user's conversations (chat list entries) computed from what is stored:
// the user's read marks (store/conversation_record.h), the channels it subscribes to, and each
// channel's newest message. Nothing is written per recipient per message, so a message to a
// 10,000-member group costs the same writes as one to two people.
//
// Unread is exact: the channel's red-dot total at its newest message minus the total where the
// user's read position is (plus a setUnread offset). The read position is the later of the
// user's explicit mark and its own newest message (sending marks the chat read), so the user's
// own messages never count. Reads run on the caller's thread against durable data.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/channel.h"
#include "model/error.h"
#include "model/message.h"
#include "store/store.h"

namespace jindou::engine {

struct ConversationQuery {
  std::string uid;
  uint64_t version = 0;  // > 0: only conversations changed after this version
  // Seqs the client already holds, by stored channel: recents start after them, and such
  // channels are listed even when their type is excluded.
  std::map<std::pair<uint8_t, std::string>, uint64_t> known_seqs;
  size_t msg_count = 0;  // recents per conversation
  bool only_unread = false;
  std::vector<uint8_t> exclude_channel_types;
  size_t page = 0;  // 1-based; 0: everything
  size_t page_size = 100;
};

struct Conversation {
  ChannelKey channel;  // stored key (person: derived id)
  uint64_t unread = 0;
  uint64_t last_msg_seq = 0;
  std::string last_client_msg_no;
  int64_t timestamp = 0;  // of the newest message, Unix seconds
  uint64_t readed_to_msg_seq = 0;
  uint64_t version = 0;
  std::vector<Message> recents;  // newest first
};

class ConversationReader {
 public:
  explicit ConversationReader(store::Store& store) : store_(store) {}

  // Newest message first (then most recently changed).
  Result<std::vector<Conversation>> sync(const ConversationQuery& query);
  // One conversation, hidden or not; nullopt when the channel has no message.
  Result<std::optional<Conversation>> get(const std::string& uid, const ChannelKey& channel);

 private:
  // The conversation from `record` and the channel's newest message; nullopt when the channel
  // has none. `hidden`: deleted and nothing new since.
  Result<std::optional<Conversation>> compute(const store::ConversationRecord& record,
                                              bool& hidden);

  store::Store& store_;
};

}  // namespace jindou::engine
