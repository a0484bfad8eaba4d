// Webhooks: the webhook layer as the server wires it. Tells the engine which event-log entries
// to write, records online-status changes, runs one QueueDispatcher per focused event, and
// offers the dead letters to the HTTP API.
//
// Nothing is lost: msg.notify and msg.offline entries are written with the messages they
// describe; an online-status change is recorded with the connection it concerns, and the
// connections a crash left recorded as online are reported offline at the next start.
//
// Thread: presence_changed() on gateway threads, appended() on shard threads, the dead-letter
// calls on HTTP threads. Lifecycle: construct after the store; recover_online_sessions() before
// the gateway accepts; start(); stop() before the store closes.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "engine/event_log.h"
#include "engine/presence.h"
#include "store/store.h"
#include "webhook/dead_letters.h"
#include "webhook/queue_dispatcher.h"
#include "webhook/webhook_options.h"

namespace jindou::webhook {

struct DeadLetterView {
  DeadLetter letter;
  const char* event = "";
  size_t events = 0;
  std::string body;  // the call's JSON as it would be sent now
};

struct WebhookStats {
  bool enabled = false;
  const char* transport = "";  // "http", "grpc" or ""
  std::vector<QueueStats> events;
  size_t dead_letters = 0;
  uint64_t dead_letters_dropped = 0;
};

class Webhooks final : public engine::EventLogListener, public engine::PresenceListener {
 public:
  // Throws std::invalid_argument when an address cannot be used.
  Webhooks(WebhookOptions options, store::Store& store);
  ~Webhooks() override;

  // Which entries sends must write, and whether presence changes are wanted.
  engine::EventLogOptions event_log_options() const;
  bool wants_presence() const { return options_.focused(kEventOnlineStatus); }

  // Connections recorded as online by a run that ended without reporting them offline (a
  // crash): reported offline now. Call before clients can connect.
  Status recover_online_sessions();
  Status start();
  void stop();

  void appended(engine::EventQueue queue, size_t events) override;
  void presence_changed(const engine::LinkInfo& info, bool online, size_t device_connections,
                        size_t user_connections) override;

  Result<std::vector<DeadLetterView>> dead_letters(uint64_t after_id, size_t limit);
  // Appends the events of the dead letters `ids` (all when empty) back to their queues.
  // `done` gets how many were replayed (on a store thread).
  void replay(const std::vector<uint64_t>& ids, std::function<void(Result<size_t>)> done);
  void remove(const std::vector<uint64_t>& ids, std::function<void(Result<size_t>)> done);

  WebhookStats stats() const;
  const WebhookOptions& options() const { return options_; }

 private:
  QueueDispatcher* dispatcher(engine::EventQueue queue);
  QueueReader* reader(engine::EventQueue queue);

  const WebhookOptions options_;
  store::Store& store_;
  DeadLetters dead_letters_;
  // Readers for every queue (dead letters of an event no longer focused still list), and a
  // dispatcher per focused event.
  std::vector<std::unique_ptr<QueueReader>> readers_;
  std::vector<std::unique_ptr<QueueDispatcher>> dispatchers_;
};

}  // namespace jindou::webhook
