// MessageReader: every read of stored messages (sync, queries, search). Reads go straight to the
// store from the caller's thread and see only durable messages; expired ones are never returned.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "model/channel.h"
#include "model/error.h"
#include "model/message.h"
#include "store/store.h"

namespace jindou::engine {

struct SyncPage {
  std::vector<Message> messages;  // ascending message_seq
  bool more = false;
};

struct SearchQuery {
  std::optional<ChannelKey> channel;
  std::string from_uid;
  std::string payload_contains;  // decoded bytes
  std::optional<int64_t> message_id;
  std::string client_msg_no;
  // Only messages stored by this node (the node bits of their message_id).
  std::optional<uint16_t> node_id;
  size_t limit = 20;
  int64_t offset_message_id = 0;    // exclusive; 0 = none
  uint64_t offset_message_seq = 0;  // exclusive; only with a channel
  bool newer = false;               // pre = 1
};

struct SearchPage {
  std::vector<Message> messages;  // message_id descending
  uint64_t total = 0;             // matches of the filters over all pages
};

class MessageReader {
 public:
  // Payload bytes one answer may hold: pages end early (with `more`), and a query for more is
  // refused, so one request cannot make the server build gigabytes of response.
  static constexpr size_t kMaxReadBytes = 32u << 20;

  explicit MessageReader(store::Store& store) : store_(store) {}

  Result<uint64_t> max_seq(const ChannelKey& channel);
  // /channel/messagesync: start inclusive, end exclusive, 0 = unbounded; pull_mode 0 newer,
  // 1 older; both bounds 0 = the newest `limit`; end <= start (both set) is empty.
  Result<SyncPage> sync(const ChannelKey& channel, uint64_t start, uint64_t end, size_t limit,
                        int pull_mode);
  // /messages: the union of the three key lists, each message once, message_seq descending.
  Result<std::vector<Message>> query(const ChannelKey& channel, const std::vector<uint64_t>& seqs,
                                     const std::vector<int64_t>& ids,
                                     const std::vector<std::string>& client_msg_nos);
  // /message: by id or client_msg_no within the channel.
  Result<std::optional<Message>> find(const ChannelKey& channel, std::optional<int64_t> id,
                                      const std::string& client_msg_no);
  Result<SearchPage> search(const SearchQuery& q);
  // Makes searches in progress stop early (shutdown).
  void cancel_searches() { cancelled_.store(true); }

 private:
  store::Store& store_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace jindou::engine
