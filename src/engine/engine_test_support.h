// Test fixtures for engine tests: a real RocksStore in a temporary directory (EngineTest), or
// one behind a FaultInjectingStore (FaultyEngineTest), two shard threads, and a sink that
// records deliveries.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include "engine/engine.h"
#include "runtime/thread_executor.h"
#include "store/fault_injecting_store.h"
#include "store/rocks_store.h"

namespace jindou::engine {

// Records deliveries. They are handed over on the shard thread after the senders' callbacks
// ran, so readers wait for the number they expect.
class RecordingSink final : public DeliverySink {
 public:
  void deliver(std::vector<Delivery> deliveries) override {
    std::lock_guard lock(mu);
    for (auto& d : deliveries) log.push_back(std::move(d));
    cv.notify_all();
  }
  void deliver_events(std::vector<EventDelivery> events) override {
    std::lock_guard lock(mu);
    for (auto& e : events) event_log.push_back(std::move(e));
    cv.notify_all();
  }
  // Waits (up to 10 s) until at least `n` deliveries arrived, then takes them all.
  std::vector<Delivery> taken(size_t n = 1) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return log.size() >= n; });
    return std::exchange(log, {});
  }
  // The same for events.
  std::vector<EventDelivery> taken_events(size_t n = 1) {
    std::unique_lock lock(mu);
    cv.wait_for(lock, std::chrono::seconds(10), [&] { return event_log.size() >= n; });
    return std::exchange(event_log, {});
  }
  std::mutex mu;
  std::condition_variable cv;
  std::vector<Delivery> log;
  std::vector<EventDelivery> event_log;
};

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("jindou-engine-" + std::to_string(std::random_device{}()));
    start();
  }
  void TearDown() override {
    stop();
    std::filesystem::remove_all(dir_);
  }
  virtual void start() {
    store::RocksStoreOptions o;
    o.path = dir_.string();
    o.sync_writes = false;  // unit tests: durability is covered by the black-box tests
    auto s = store::RocksStore::open(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s.value());
    start_engine(*store_);
  }
  virtual void stop() {
    store_->close();  // completes pending commits
    stop_engine();
    store_.reset();
  }
  void start_engine(store::Store& store) {
    for (int i = 0; i < 2; ++i) executors_.push_back(std::make_unique<runtime::ThreadExecutor>());
    engine_ = std::make_unique<Engine>(
        options_, store, std::vector<runtime::Executor*>{executors_[0].get(), executors_[1].get()},
        1, &sink_);
  }
  void stop_engine() {
    for (auto& e : executors_) e->stop();
    executors_.clear();
    engine_.reset();
  }

  // Polls `condition` for up to 10 s.
  static bool Eventually(const std::function<bool()>& condition) {
    for (int i = 0; i < 1000; ++i) {
      if (condition()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  SendResult send(SendRequest r) {
    std::promise<SendResult> p;
    engine_->send(std::move(r), [&p](SendResult res) { p.set_value(std::move(res)); });
    return p.get_future().get();
  }
  static SendRequest http(std::string from, std::string channel, uint8_t type,
                          std::string payload = "hi", std::string cmn = "") {
    SendRequest r;
    r.from_uid = std::move(from);
    r.channel_id = std::move(channel);
    r.channel_type = type;
    r.payload = std::move(payload);
    r.client_msg_no = std::move(cmn);
    r.header.red_dot = true;
    return r;
  }
  static SendRequest client(uint64_t conn, std::string from, std::string channel, uint8_t type) {
    SendRequest r = http(std::move(from), std::move(channel), type);
    r.origin = {SendOrigin::Kind::kClient, conn};
    return r;
  }
  Status change(const ChannelKey& key, std::optional<ChannelInfo> info,
                std::optional<MemberChange> members) {
    std::promise<Status> p;
    engine_->change_channel(key, info, std::move(members),
                            [&p](Status s) { p.set_value(std::move(s)); });
    return p.get_future().get();
  }
  Status add_members(const ChannelKey& key, MemberRole role, std::vector<std::string> uids) {
    return change(key, std::nullopt, MemberChange{role, MemberChange::Mode::kAdd, std::move(uids)});
  }

  std::filesystem::path dir_;
  EngineOptions options_;
  RecordingSink sink_;
  std::unique_ptr<store::RocksStore> store_;
  std::vector<std::unique_ptr<runtime::ThreadExecutor>> executors_;
  std::unique_ptr<Engine> engine_;
};

// EngineTest on a FaultInjectingStore (`faults_`; `store_` stays null), with syncWrites on as in
// production, so that a test can fail a commit, a sync or a read and reopen to see what is
// durable.
class FaultyEngineTest : public EngineTest {
 protected:
  void start() override {
    store::RocksStoreOptions o;
    o.path = dir_.string();
    auto s = store::FaultInjectingStore::open(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    faults_ = std::move(s.value());
    start_engine(*faults_);
  }
  void stop() override {
    faults_->close();  // completes pending commits
    stop_engine();
    faults_.reset();
  }

  std::unique_ptr<store::FaultInjectingStore> faults_;
};

}  // namespace jindou::engine
