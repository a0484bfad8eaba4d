// QueueDispatcher: delivers one event-log queue to the receiver, in order, at least once.
//
// It reads the queue from its persisted cursor (cursor "webhook.<event>"), makes one call per
// batch (a full batch at once, a partial one at most once per push interval), and advances the
// cursor and trims the queue only after the receiver accepted the call. A failed call is
// retried after 1 s, 2 s, 4 s ... (at most 60 s) until it has failed retry_max_count times;
// then its events become a dead letter and the queue moves on. A restart or a crash before the
// cursor moves repeats the call: receivers de-duplicate (by message_id for messages).
//
// Thread: one thread of its own ("webhook-<event>", at a lower CPU priority than serving);
// appended() and stats() from any thread.
// Lifecycle: start() after the store is open, stop() before it closes.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "store/store.h"
#include "webhook/event_batches.h"
#include "webhook/transport.h"
#include "webhook/webhook_options.h"

namespace jindou::webhook {

class DeadLetters;

struct QueueStats {
  std::string event;
  int64_t backlog = 0;  // events not yet delivered (-1 until counted at start)
  uint64_t delivered = 0;
  uint64_t calls = 0;
  uint64_t failed_attempts = 0;
  uint64_t dead_lettered = 0;
  uint64_t dropped = 0;  // over webhook.maxBacklog
  uint64_t skipped = 0;  // messages that expired before they were delivered
  bool retrying = false;
  std::string last_error;
};

class QueueDispatcher {
 public:
  // The dispatcher threads' nice value: below sending and delivery to clients.
  static constexpr int kDispatcherNice = 19;
  // How often a busy dispatcher saves its cursor.
  static constexpr std::chrono::milliseconds kCursorSaveInterval{200};

  // `reader` outlives the dispatcher (readers are stateless and may be shared).
  QueueDispatcher(QueueReader& reader, std::unique_ptr<Transport> transport, store::Store& store,
                  const WebhookOptions& options, DeadLetters& dead_letters);
  ~QueueDispatcher();
  QueueDispatcher(const QueueDispatcher&) = delete;
  QueueDispatcher& operator=(const QueueDispatcher&) = delete;

  void start();
  // Finishes the call in flight (bounded by the request timeout), waits for its cursor moves to
  // be written, and stops.
  void stop();
  // `events` more are durable in the queue.
  void appended(size_t events);
  QueueStats stats() const;
  QueueReader& reader() { return reader_; }

 private:
  void run();
  // The delivery loop, until stop(); `cursor` is where it got to.
  void serve(Cursor& cursor);
  Result<Cursor> load_cursor();
  // Counts the events waiting after `from`.
  Result<int64_t> count_backlog(const Cursor& from);
  // Drops the oldest events while more than max_backlog wait.
  Status drop_over_limit(Cursor& cursor);
  // Calls the receiver until it accepts or the retries run out; false when stopping.
  bool deliver(const Batch& batch, bool& dead);
  // Moves the cursor past `batch`, trims the queue, keeps a dead letter when `dead` (saved
  // with the cursor, at once for a dead letter).
  Status advance(Cursor& cursor, const Batch& batch, bool dead);
  // Commits the cursor and what goes with it, unless one was saved less than
  // kCursorSaveInterval ago (`now`: regardless).
  void save_cursor(const Cursor& cursor, bool now);
  // What ends a wait before its deadline (besides stop()).
  enum class WakeOn : uint8_t { kStopOnly, kFullBatch, kAnyEvent };
  // Waits until `deadline`, an early wake-up or stop; false when stopping.
  bool wait_until(std::chrono::steady_clock::time_point deadline, WakeOn wake);
  // Ends the thread's wait.
  void wake();
  // `events` fewer wait.
  void consumed(int64_t events);

  QueueReader& reader_;
  std::unique_ptr<Transport> transport_;
  store::Store& store_;
  const WebhookOptions& options_;
  DeadLetters& dead_letters_;
  const std::string cursor_name_;

  // The commit thread reports appended events and the dispatcher waits for them without a
  // shared lock: a dispatcher runs at idle priority and may be preempted at any point, and a
  // lock it held then would stall the commit thread, and with it every send.
  std::atomic<bool> stopping_{false};
  std::atomic<bool> wake_on_any_{false};  // the thread would send a partial batch right away
  std::atomic<bool> waiting_{false};      // the thread is (about to be) asleep on wake_seq_
  std::atomic<uint32_t> wake_seq_{0};     // futex word: bumped to wake the thread
  std::atomic<int64_t> backlog_{-1};
  std::atomic<int> commits_in_flight_{0};
  mutable std::mutex error_mu_;  // last_error_ only (read by stats())
  std::string last_error_;
  std::thread thread_;
  // Dispatcher thread only: trims and dead letters waiting for the next cursor save.
  store::WriteSet unsaved_;
  bool unsaved_cursor_ = false;
  std::chrono::steady_clock::time_point last_cursor_save_{};

  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> calls_{0};
  std::atomic<uint64_t> failed_attempts_{0};
  std::atomic<uint64_t> dead_lettered_{0};
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> skipped_{0};
  std::atomic<bool> retrying_{false};
};

}  // namespace jindou::webhook
