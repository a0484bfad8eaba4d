// PartitionLogs: the replicated partition logs (one JetStream stream each) and this node's part
// in them.
//
// Every node applies every log, in order, to its own RocksDB; a record becomes durable locally
// with the position it came from, so a restarted node goes on where it stopped. Records arrive
// as the streams republish them on core NATS (jd.r.<partition>, with their position) right
// after storing them; what a node misses (a gap in positions, a restart, a republish lost in a
// leader change) it fetches from the stream's leader by position. No JetStream consumer is
// involved, so nothing on the NATS side has to be recreated when a NATS server dies. A log holds two kinds of records: write sets (what the
// engine's shards commit) and ownership claims. The owner of a partition is whoever the last
// claim in its log names, so every node agrees on it at every position of the log; a write set
// counts only when its writer is the owner at its position (fenced at apply), and every
// publish carries the stream-wide expected last sequence, so a writer that has not seen the
// whole log cannot append at all. A node claims a partition (with the same check) when the
// partition's owner is dead or absent and membership prefers this node.
//
// The owner answers a commit only once its own record is applied (fsync'd) locally, so an
// acknowledged write is on a JetStream quorum and on the owner's disk.
//
// Threads: publish() and the reads' wait_current() from any thread; records arrive on nats.c
// delivery threads; applies complete on the store's committer thread; tick() from the cluster's
// own thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cluster/membership.h"
#include "cluster/nats_link.h"
#include "cluster/wire.h"
#include "model/channel.h"
#include "runtime/read_pool.h"
#include "store/store.h"

namespace jindou::cluster {

struct PartitionStatus {
  uint32_t index = 0;
  uint16_t owner = 0;     // 0: none
  bool ready = false;     // this node decides its writes now
  uint64_t applied = 0;   // last log position durable here
  uint64_t log_last = 0;  // last log position JetStream reported
};

class PartitionLogs {
 public:
  struct Hooks {
    // Drop cached channel state, then call back (before this node decides a partition).
    std::function<void(std::function<void()>)> forget_channel_state;
    // Another node changed these channels' info or members.
    std::function<void(const std::vector<ChannelKey>&)> channels_changed;
  };

  PartitionLogs(NatsLink& link, store::Store& local, Membership& membership, Writer self,
                uint32_t count, int replicas, Hooks hooks);
  ~PartitionLogs();

  // Creates the streams that do not exist, reads where this node stopped, starts consuming.
  Status start();
  void stop();

  // Publishes `writes` (partition set) to its log; `done` runs once the record is applied here,
  // or with an error (Error::moved when nothing was stored).
  void publish(const store::WriteSet& writes, store::CommitCallback done);

  // Waits until this node has applied everything the partition's log held when called (a
  // no-op on its ready owner). For reads that must see every acknowledged write.
  Status wait_current(uint32_t partition, std::chrono::milliseconds timeout);
  Status wait_all_current(std::chrono::milliseconds timeout);

  // The owner of `partition` by the log (0: none), and whether this node is its ready owner.
  uint16_t owner(uint32_t partition) const;
  bool ready(uint32_t partition) const;
  uint32_t count() const { return static_cast<uint32_t>(parts_.size()); }
  uint32_t owned_here() const;
  std::vector<PartitionStatus> status() const;
  // JetStream answered this node's stream queries within the last few seconds.
  bool jetstream_reachable() const;
  // A stream stayed behind what this node applied (lost or reset): this node must not be
  // preferred as an owner.
  bool diverged() const;

  // Periodic work (every ~20 ms): fetches, resyncs, claims, hand-overs, timeouts.
  void tick(std::chrono::steady_clock::time_point now);

 private:
  // kReleasing: handing the partition to the node membership prefers (once its publishes in
  // flight are answered, a claim naming nobody).
  enum class Role : uint8_t { kFollower, kStarting, kReady, kResyncing, kReleasing };
  struct Waiter {
    std::string msg_id;
    store::CommitCallback done;
    std::chrono::steady_clock::time_point deadline;
  };
  struct Part {
    uint32_t index = 0;
    StreamSpec spec;
    bool created = false;
    std::chrono::steady_clock::time_point create_tried;
    uint64_t received = 0;  // last position handed to the local store
    uint64_t applied = 0;   // last position durable locally
    Writer owner;           // as of `received`
    // Records past `received` that arrived early, by position (bounded), and the positions
    // being fetched.
    std::map<uint64_t, NatsMessage> ahead;
    std::set<uint64_t> fetching;
    uint64_t log_last = 0;
    std::chrono::steady_clock::time_point log_last_at;
    bool polling = false;
    Role role = Role::kFollower;
    uint64_t next_seq = 0;  // the log position of this node's next publish
    std::map<uint64_t, Waiter> waiters;
    bool claiming = false;
    bool creating = false;     // the stream is being created there
    bool resync_polling = false;
    bool diverged = false;
    int behind_polls = 0;
  };

  void on_record(uint32_t index, NatsMessage m);
  // Applies the records of `index` that follow `received`, in order.
  void drain(uint32_t index);
  // Asks the stream for the positions this node lacks up to what it knows exists.
  void fetch_missing(uint32_t index);
  // `claimed`: the owner a claim record named.
  void on_applied(uint32_t index, uint64_t seq, const std::string& msg_id, bool accepted,
                  std::optional<Writer> claimed, const std::vector<ChannelKey>& changed,
                  const Status& status);
  void on_publish_answer(uint32_t index, uint64_t seq, const std::string& msg_id,
                         Result<NatsMessage> answer);
  // Fails every waiting publish of `p` (lock held): returns their callbacks.
  std::vector<store::CommitCallback> fail_waiters(Part& p);
  void become_ready(uint32_t index);
  // Appends a claim of the partition for this node, or (release) one naming nobody, with the
  // expected last position that makes it fail when this node has not seen the whole log.
  void append_claim(uint32_t index, bool release);
  void poll_log_last(uint32_t index);
  static std::string cursor_name(uint32_t index);

  NatsLink& link_;
  store::Store& local_;
  Membership& membership_;
  const Writer self_;
  Hooks hooks_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();

  mutable std::mutex mu_;
  std::condition_variable applied_cv_;
  std::vector<std::unique_ptr<Part>> parts_;
  uint64_t next_msg_ = 0;
  size_t applying_ = 0;  // local commits of applied records in flight
  std::condition_variable applying_cv_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point js_ok_at_{};
  // Held while records are handed to the local store, so that they go in log order.
  std::mutex apply_mu_;
  // Held while a publish takes its position and leaves, so that publishes leave in order.
  std::mutex publish_mu_;
  // JetStream calls that block (stream creation: up to seconds while JetStream elects a
  // leader), so that one partition's wait never delays another's.
  runtime::ReadPool blocking_{4, "jetstream"};
};

}  // namespace jindou::cluster
