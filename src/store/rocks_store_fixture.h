// RocksStoreTest: a RocksStore in a fresh temporary directory per test, with a settable clock,
// for the store's unit tests.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "store/rocks_store.h"

namespace jindou::store {

namespace fs = std::filesystem;

class RocksStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("jindou-store-" + std::to_string(std::random_device{}()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    reopen();
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  void reopen(int64_t retention = 0) {
    store_.reset();
    RocksStoreOptions o;
    o.path = dir_.string();
    o.retention_seconds = retention;
    o.clock = [this] { return clock_.load(); };
    o.before_sync = before_sync_;
    auto s = RocksStore::open(o);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(s.value());
  }
  std::function<void()> before_sync_;
  Message msg(const ChannelKey& ch, uint64_t seq, std::string cmn = "", uint32_t expire = 0) {
    Message m;
    m.message_id = 1000 + static_cast<int64_t>(next_id_++);
    m.message_seq = seq;
    m.channel = ch;
    m.from_uid = "alice";
    m.client_msg_no = std::move(cmn);
    m.timestamp = clock_.load();
    m.expire = expire;
    m.payload = "p" + std::to_string(seq);
    return m;
  }
  void put(const std::vector<Message>& ms) {
    WriteSet ws;
    for (const auto& m : ms) ws.put_message(m);
    ASSERT_TRUE(store_->commit_and_wait(std::move(ws)).ok());
  }
  std::vector<uint64_t> seqs(const ScanResult& r) {
    std::vector<uint64_t> out;
    for (const auto& m : r.messages) out.push_back(m.message_seq);
    return out;
  }

  fs::path dir_;
  std::unique_ptr<RocksStore> store_;
  std::atomic<int64_t> clock_{1'700'000'000};
  uint64_t next_id_ = 0;
  const ChannelKey g1_{"g1", kChannelGroup};
  const ChannelKey g2_{"g2", kChannelGroup};
};

}  // namespace jindou::store
