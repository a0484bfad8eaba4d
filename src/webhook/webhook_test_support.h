// Shared by the webhook unit tests: a store in a temporary directory and a scripted transport.
#pragma once

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <random>

#include "store/rocks_store.h"
#include "webhook/transport.h"

namespace jindou::webhook {

// Records calls; answers each with the next scripted status (ok once the script is empty).
class ScriptedTransport final : public Transport {
 public:
  struct Call {
    std::string event;
    std::string body;
  };
  Status deliver(std::string_view event, const std::string& body) override {
    std::lock_guard lock(mu);
    calls.push_back(Call{std::string(event), body});
    Status s;
    if (!script.empty()) {
      s = script.front();
      script.pop_front();
    }
    if (s.ok()) accepted.push_back(calls.back());
    cv.notify_all();
    return s;
  }
  // Waits (up to 10 s) until `n` calls were accepted.
  bool wait_accepted(size_t n) {
    std::unique_lock lock(mu);
    return cv.wait_for(lock, std::chrono::seconds(10), [&] { return accepted.size() >= n; });
  }
  std::mutex mu;
  std::condition_variable cv;
  std::deque<Status> script;
  std::vector<Call> calls;
  std::vector<Call> accepted;
};

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("jindou-webhook-" + std::to_string(std::random_device{}()));
    open();
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }
  void open() {
    store_.reset();
    store::RocksStoreOptions o;
    o.path = dir_.string();
    o.sync_writes = false;
    auto s = store::RocksStore::open(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  // Stores messages 1..n of group `g` (payload "m<seq>") and their msg.notify entry.
  void store_messages(const std::string& g, uint64_t first, uint64_t last) {
    store::WriteSet ws;
    std::vector<engine::StoredMessageRef> refs;
    for (uint64_t seq = first; seq <= last; ++seq) {
      Message m;
      m.message_id = static_cast<int64_t>(1000 + seq);
      m.message_seq = seq;
      m.channel = {g, kChannelGroup};
      m.from_uid = "alice";
      m.timestamp = 1700000000;
      m.payload = "m" + std::to_string(seq);
      ws.put_message(m);
      refs.push_back({m.channel, seq});
    }
    ws.append_event(engine::kQueueStoredMessages, engine::encode_stored_messages(refs));
    ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::RocksStore> store_;
};

}  // namespace jindou::webhook
