// ClusterRouter: the engine's WriteRouter in cluster mode. Every write of the engine comes here
// first; it runs on this node when this node is the ready owner of the write's partition, else
// it goes to the owner over NATS (subject jd.call.<node>) and the owner runs it the same way.
// A write answered "moved" (nothing stored: the owner changed under it) or left without an
// answer is tried again, at whoever owns the partition then, until cluster.writeTimeout
// passes. Retries never store twice: a send always carries a client_msg_no (one is given to
// sends without), and the owner answers a repeated one with the stored message.
//
// Threads: any; answers come on shard threads or nats.c delivery threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "cluster/membership.h"
#include "cluster/nats_link.h"
#include "cluster/partition_logs.h"
#include "cluster/slots.h"
#include "cluster/wire.h"
#include "engine/engine.h"
#include "engine/write_router.h"

namespace jindou::cluster {

class ClusterRouter : public engine::WriteRouter {
 public:
  ClusterRouter(NatsLink& link, PartitionLogs& logs, Membership& membership, const Slots& slots,
                Writer self, std::chrono::milliseconds write_timeout);

  // Set before start(); the router runs forwarded calls on it.
  void set_engine(engine::Engine* engine) { engine_ = engine; }
  // Subscribes to this node's call subject.
  Status start();
  // Answers every call waiting for a retry with an error; later retries fail at once.
  void stop();

  uint32_t partition(const ChannelKey& key) const override { return slots_.partition(key); }
  bool decides_here(const ChannelKey& key) override;

  void send(engine::SendRequest request, SendDone done) override;
  void append_chunk(const ChannelKey& key, engine::ChunkRequest request,
                    StreamDone done) override;
  void close_stream(const ChannelKey& key, std::string stream_no, store::StreamEnd reason,
                    StreamDone done) override;
  void relay_event(const std::string& channel_id, uint8_t channel_type,
                   const std::string& from_uid, engine::ClientEvent event,
                   StatusDone done) override;
  void change_channel(const ChannelKey& key, std::optional<ChannelInfo> info,
                      std::optional<engine::MemberChange> members, StatusDone done) override;
  void disband_channel(const ChannelKey& key, StatusDone done) override;
  void set_user_token(const std::string& uid, uint8_t device_flag, const store::UserToken& token,
                      StatusDone done) override;
  void clear_user_tokens(const std::string& uid, const std::vector<uint8_t>& device_flags,
                         StatusDone done) override;
  void clear_unread(const std::string& uid, const std::string& channel_id, uint8_t channel_type,
                    uint64_t message_seq, StatusDone done) override;
  void set_unread(const std::string& uid, const std::string& channel_id, uint8_t channel_type,
                  uint64_t unread, StatusDone done) override;
  void delete_conversation(const std::string& uid, const std::string& channel_id,
                           uint8_t channel_type, StatusDone done) override;
  void ack_sync_once(const std::string& uid, uint64_t last_message_seq,
                     StatusDone done) override;

  uint64_t forwarded() const { return forwarded_.load(); }
  uint64_t retried() const { return retried_.load(); }

  // Periodic: runs the retries whose time has come.
  void tick(std::chrono::steady_clock::time_point now);

 private:
  // A call: its partition, its encoded form (call byte + arguments) and where the encoded
  // answer (status first) goes.
  struct Call {
    uint32_t partition = 0;
    std::string body;
    std::function<void(std::string)> answer;
    std::chrono::steady_clock::time_point deadline;
    int attempts = 0;
  };
  void dispatch(const std::shared_ptr<Call>& call);
  void retry_later(std::shared_ptr<Call> call, const std::string& why);
  // Runs an encoded call on the local engine; `answer` gets the encoded result.
  void run_here(std::string_view body, std::function<void(std::string)> answer);
  void on_call(const NatsMessage& m);
  static std::string error_answer(const Error& e);

  NatsLink& link_;
  PartitionLogs& logs_;
  Membership& membership_;
  const Slots& slots_;
  const Writer self_;
  const std::chrono::milliseconds write_timeout_;
  engine::Engine* engine_ = nullptr;
  std::mutex mu_;
  std::multimap<std::chrono::steady_clock::time_point, std::shared_ptr<Call>> later_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> forwarded_{0};
  std::atomic<uint64_t> retried_{0};
  std::atomic<uint64_t> next_client_no_{0};
};

}  // namespace jindou::cluster
