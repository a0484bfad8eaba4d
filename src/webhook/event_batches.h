// What one webhook call carries, read from an event-log queue (engine/event_log.h): a batch of
// events with its JSON body, and the queue position after it.
//
// msg.notify     up to count_per_push stored messages, a JSON array of message objects
// msg.offline    one message: its message object plus "to_uids"
// user.onlinestatus  up to count_per_push changes, a JSON array of
//                "uid-deviceFlag-online-connId-deviceOnlineCount-totalOnlineCount" strings
//
// Thread: a reader is used by one dispatcher thread (and reads the store, safe from any thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/event_log.h"
#include "model/error.h"
#include "store/store.h"
#include "webhook/webhook_options.h"

namespace jindou::webhook {

// A position in a queue: entries before `next_id` are done, and `skip` events of entry
// `next_id` (an entry may hold several and a call may end inside one).
struct Cursor {
  uint64_t next_id = 0;
  uint64_t skip = 0;
  friend bool operator==(const Cursor&, const Cursor&) = default;
};
std::string encode_cursor(const Cursor& c);
std::optional<Cursor> decode_cursor(std::string_view value);

struct Batch {
  std::string body;   // the call's JSON (empty when no event of it still exists)
  std::string entry;  // its events as one entry of the queue: for dead letters and replay
  Cursor next;        // where the queue continues after this batch
  // Entries this batch finishes (deleted once it is delivered). Point deletes, not a range:
  // range tombstones pile up in a queue trimmed thousands of times and slow every read.
  std::vector<uint64_t> finished;
  size_t events = 0;   // events delivered by the call
  size_t skipped = 0;  // events that no longer exist (messages expired since)
  bool full = false;   // the call holds as many events as one may
};

// user.onlinestatus entries: a list of status strings.
std::string encode_status_entry(const std::vector<std::string>& changes);
std::optional<std::vector<std::string>> decode_status_entry(std::string_view value);
// "uid-deviceFlag-online-connId-deviceOnlineCount-totalOnlineCount".
std::string status_text(std::string_view uid, int device_flag, bool online, uint64_t conn_id,
                        size_t device_connections, size_t user_connections);

class QueueReader {
 public:
  virtual ~QueueReader() = default;
  virtual engine::EventQueue queue() const = 0;
  virtual const char* event() const = 0;
  // The next call from `from`; nullopt when nothing waits.
  virtual Result<std::optional<Batch>> next(const Cursor& from) = 0;
  // Events one entry holds (for the backlog count); 0 for an unreadable entry.
  virtual size_t events_in(std::string_view entry) const = 0;
  // The body a call for this one entry would carry (dead-letter listing).
  virtual Result<std::string> body_of(std::string_view entry) = 0;
};

std::unique_ptr<QueueReader> make_stored_messages_reader(store::Store& store,
                                                         size_t count_per_push);
std::unique_ptr<QueueReader> make_offline_reader(store::Store& store);
std::unique_ptr<QueueReader> make_online_status_reader(store::Store& store, size_t count_per_push);

}  // namespace jindou::webhook
