// Webhook receivers for the black-box tests: real servers the jindou binary calls.
//
// HttpWebhookReceiver listens on a loopback port (kept across stop()/start(), so a test can
// take the receiver down and bring it back) and answers each POST with the status it is told;
// GrpcWebhookReceiver (grpc_webhook_receiver.h) serves WuKongIM's WebhookService. Both record
// every call. Thread-safe: the test thread reads while the servers' threads record.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace jindou::testing {

struct WebhookCall {
  std::string event;  // ?event= (HTTP) or EventReq.event (gRPC)
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names (gRPC: metadata)
  bool accepted = false;                       // answered 2xx / Success
};

// What both receivers share: the record of calls and waiting on it.
class WebhookLog {
 public:
  void record(WebhookCall call);
  std::vector<WebhookCall> calls() const;
  // The accepted calls of `event`, in arrival order.
  std::vector<WebhookCall> accepted(const std::string& event) const;
  // Waits until `done(calls())` holds (true) or `timeout` passes (false); `done` is checked at
  // the start and after each new call.
  bool wait_until(const std::function<bool(const std::vector<WebhookCall>&)>& done,
                  std::chrono::milliseconds timeout = std::chrono::seconds(30)) const;
  void clear();

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<WebhookCall> calls_;
};

class HttpWebhookReceiver : public WebhookLog {
 public:
  HttpWebhookReceiver();  // listening
  ~HttpWebhookReceiver();
  HttpWebhookReceiver(const HttpWebhookReceiver&) = delete;
  HttpWebhookReceiver& operator=(const HttpWebhookReceiver&) = delete;

  std::string url() const;  // http://127.0.0.1:<port>/webhook
  uint16_t port() const { return port_; }
  // The HTTP status later calls get (200 at first).
  void set_status(int status);
  // How long each answer takes (0 at first): a slow receiver.
  void set_delay(std::chrono::milliseconds delay);
  // Closes the listener and every connection: calls fail as with a receiver that is down.
  void stop();
  // Listens again on the same port.
  void start();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  uint16_t port_ = 0;
};

}  // namespace jindou::testing
