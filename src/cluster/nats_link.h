// NatsLink: this node's connection to NATS (nats.c), with what the cluster needs on top of it:
// subscriptions whose handlers are std::functions, asynchronous requests with a deadline (one
// inbox subscription, answers matched by token), and JetStream stream management.
//
// Threads: every method may be called from any thread. Handlers and request callbacks run on
// nats.c's delivery threads (or, for timeouts, on the caller of expire()) and must not block.
#pragma once

#include <nats/nats.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "model/error.h"

namespace jindou::cluster {

// A received message: subject, body, the headers the cluster reads, and JetStream's stream
// sequence when it came from a stream.
struct NatsMessage {
  std::string subject;
  std::string reply;
  std::string data;
  std::string msg_id;         // Nats-Msg-Id
  uint64_t stream_seq = 0;    // a stream's message (republished or fetched) only
  bool no_responders = false;
};

using NatsHandler = std::function<void(NatsMessage)>;
using ReplyCallback = std::function<void(Result<NatsMessage>)>;

struct StreamSpec {
  std::string name;
  std::string subject;
  int replicas = 1;
  // Where the stream republishes each message it stores (core NATS, with the headers
  // Nats-Sequence and Nats-Last-Sequence); empty: nowhere.
  std::string republish;
};

class NatsLink {
 public:
  // Connects to `urls` (retrying until `timeout`); `name` is shown by the NATS server.
  static Result<std::unique_ptr<NatsLink>> connect(const std::vector<std::string>& urls,
                                                   const std::string& name,
                                                   std::chrono::milliseconds timeout);
  ~NatsLink();
  NatsLink(const NatsLink&) = delete;
  NatsLink& operator=(const NatsLink&) = delete;

  bool connected() const;
  Status publish(const std::string& subject, std::string_view data);
  // Publishes with headers (name, value) and an optional reply subject.
  Status publish(const std::string& subject, std::string_view data, const std::string& reply,
                 const std::vector<std::pair<std::string, std::string>>& headers);

  // Subscribes `handler` to `subject`; returns a handle for unsubscribe(). `headers`: read
  // Nats-Msg-Id and Nats-Sequence (a stream's republished messages).
  Result<uint64_t> subscribe(const std::string& subject, NatsHandler handler,
                             bool headers = false);
  // The message at `seq` of `stream`, from its leader; not_found (404) when it has none.
  void get_message(const std::string& stream, uint64_t seq, std::chrono::milliseconds timeout,
                   ReplyCallback done);
  void unsubscribe(uint64_t handle);

  // Sends a request; `done` gets the first answer, or an error after `timeout` (expire() must
  // be called periodically for timeouts to fire).
  void request(const std::string& subject, std::string_view data,
               const std::vector<std::pair<std::string, std::string>>& headers,
               std::chrono::milliseconds timeout, ReplyCallback done);
  // request() and wait.
  Result<NatsMessage> request_and_wait(const std::string& subject, std::string_view data,
                                       std::chrono::milliseconds timeout);
  // Fails the requests whose deadline has passed.
  void expire();
  size_t requests_pending() const;

  // Creates the stream unless it exists.
  Status ensure_stream(const StreamSpec& stream);
  // The stream's last sequence, as its leader knows it (fails without a leader).
  void last_seq(const std::string& stream, std::chrono::milliseconds timeout,
                std::function<void(Result<uint64_t>)> done);
  Result<uint64_t> last_seq_and_wait(const std::string& stream, std::chrono::milliseconds timeout);

  // A fresh reply subject under this connection's inbox.
  std::string reply_subject(uint64_t token) const;

 private:
  NatsLink() = default;
  struct Sub {
    natsSubscription* sub = nullptr;
    NatsHandler handler;
    std::atomic<bool> active{true};
    bool headers = false;
  };
  struct Pending {
    ReplyCallback done;
    std::chrono::steady_clock::time_point deadline;
  };
  static void on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure);
  static NatsMessage to_message(natsMsg* msg, bool headers);
  void on_reply(NatsMessage m);

  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
  std::string inbox_;
  mutable std::mutex mu_;
  std::atomic<uint64_t> next_handle_{1};
  std::map<uint64_t, std::unique_ptr<Sub>> subs_;
  std::unordered_map<uint64_t, Pending> pending_;
  std::atomic<uint64_t> next_token_{1};
};

}  // namespace jindou::cluster
