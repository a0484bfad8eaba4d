// Shared pieces of the cluster black-box tests (cluster_test, cluster_fault_test): reading a whole
// channel through one node, and one channel's identity for reads.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "blackbox_test.h"
#include "support/cluster_process.h"

namespace jindou::testing {

// A channel as the HTTP reads name it: a group by its id, a person channel by the peer's uid
// with the other party as login_uid.
struct ChannelRef {
  std::string id;
  int type = kGroup;
  std::string login_uid = "reader";

  std::string key() const { return std::to_string(type) + "/" + id + "/" + login_uid; }
  bool operator<(const ChannelRef& o) const { return key() < o.key(); }
};

// What a whole-channel read returned: the messages by seq, or why it failed.
struct ChannelRead {
  bool ok = false;
  std::string error;  // when !ok: the failing request's status and body
  std::map<int64_t, json::value> by_seq;
  int pages = 0;
};

// Every message of `c` through one node: /channel/messagesync from seq 1 up, paging on `more`.
inline ChannelRead ReadChannel(HttpClient& http, const ChannelRef& c) {
  ChannelRead out;
  int64_t last = 0;
  for (int page = 0; page < 10'000; ++page) {
    json::object body{
        {"login_uid", c.login_uid},      {"channel_id", c.id}, {"channel_type", c.type},
        {"start_message_seq", last + 1}, {"limit", 1000},      {"pull_mode", 0}};
    const HttpResult r = http.post("/channel/messagesync", body);
    ++out.pages;
    if (r.status != 200) {
      out.error = "POST /channel/messagesync " + json::serialize(body) + " -> HTTP " +
                  std::to_string(r.status) + " " + r.body + r.error;
      return out;
    }
    const json::value v = r.json();
    for (const auto& m : v.at("messages").as_array()) {
      const int64_t seq = Int(m, "message_seq");
      if (!out.by_seq.emplace(seq, m).second) {
        out.error = "seq " + std::to_string(seq) + " came twice while paging";
        return out;
      }
      last = std::max(last, seq);
    }
    if (Int(v, "more") == 0) {
      out.ok = true;
      return out;
    }
    if (v.at("messages").as_array().empty()) {
      out.error = "more=1 with an empty page";
      return out;
    }
  }
  out.error = "too many pages";
  return out;
}

// ReadChannel, tried again on failures (a node answering 503 "retry" while it catches up) until
// `timeout`; `tries` (when given) gets how many reads it took.
inline ChannelRead ReadChannelRetrying(HttpClient& http, const ChannelRef& c,
                                       std::chrono::milliseconds timeout, int* tries = nullptr) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  int n = 0;
  for (;;) {
    ++n;
    ChannelRead r = ReadChannel(http, c);
    if (r.ok || std::chrono::steady_clock::now() >= deadline) {
      if (tries != nullptr) *tries = n;
      return r;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

inline int64_t ElapsedMs(
    std::chrono::steady_clock::time_point since,
    std::chrono::steady_clock::time_point until = std::chrono::steady_clock::now()) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(until - since).count();
}

}  // namespace jindou::testing
