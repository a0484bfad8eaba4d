#include "cluster/partition_logs.h"

#include <spdlog/spdlog.h>

#include "store/encoding.h"

namespace jindou::cluster {

namespace {

constexpr auto kPublishTimeout = std::chrono::seconds(3);
constexpr auto kClaimAfterStart = std::chrono::seconds(2);
constexpr size_t kMaxApplying = 20'000;
// A node membership prefers for a partition gets it only once it has been alive this long.
constexpr auto kHandOverAfter = std::chrono::seconds(5);

Error moved(const std::string& why) {
  Error e = Error::unavailable(why);
  e.moved = true;
  return e;
}

std::string subject_of(uint32_t index) { return "jd.p." + std::to_string(index); }
std::string republished_of(uint32_t index) { return "jd.r." + std::to_string(index); }
// Early records kept per partition, and positions fetched at once.
constexpr size_t kMaxAhead = 50'000;
constexpr size_t kFetchWindow = 256;
// Polls in a row (one a second) that find a stream behind this node before it counts as lost.
constexpr int kBehindPollsForLoss = 5;

std::string encode_cursor(uint64_t seq, const Writer& owner) {
  std::string out;
  store::put_u64(out, seq);
  store::put_u16(out, owner.node);
  store::put_u64(out, owner.boot);
  return out;
}

}  // namespace

std::string PartitionLogs::cursor_name(uint32_t index) {
  return "cluster.log." + std::to_string(index);
}

PartitionLogs::PartitionLogs(NatsLink& link, store::Store& local, Membership& membership,
                             Writer self, uint32_t count, int replicas, Hooks hooks)
    : link_(link),
      local_(local),
      membership_(membership),
      self_(self),
      hooks_(std::move(hooks)) {
  for (uint32_t i = 0; i < count; ++i) {
    auto p = std::make_unique<Part>();
    p->index = i;
    p->spec = StreamSpec{"JD_P" + std::to_string(i), subject_of(i), replicas, republished_of(i)};
    parts_.push_back(std::move(p));
  }
}

PartitionLogs::~PartitionLogs() { stop(); }

Status PartitionLogs::start() {
  {
    std::lock_guard lock(mu_);
    for (auto& p : parts_) {
      auto cursor = local_.cursor(cursor_name(p->index));
      if (!cursor.ok()) return cursor.error();
      if (cursor->has_value()) {
        const std::string& v = **cursor;
        if (v.size() != 18) return Error::internal("malformed cursor " + cursor_name(p->index));
        p->received = p->applied = store::get_u64(v.data());
        p->owner = Writer{store::get_u16(v.data() + 8), store::get_u64(v.data() + 10)};
      }
    }
  }
  auto sub = link_.subscribe(
      "jd.r.*",
      [this](NatsMessage m) {
        const size_t dot = m.subject.rfind('.');
        if (dot == std::string::npos || m.stream_seq == 0) return;
        const auto index =
            static_cast<uint32_t>(std::strtoul(m.subject.c_str() + dot + 1, nullptr, 10));
        if (index < parts_.size()) on_record(index, std::move(m));
      },
      true);
  if (!sub.ok()) return sub.error();
  return Status{};
}

void PartitionLogs::stop() {
  std::vector<store::CommitCallback> failed;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
    for (auto& p : parts_) {
      for (auto& cb : fail_waiters(*p)) failed.push_back(std::move(cb));
      p->role = Role::kFollower;
    }
  }
  applied_cv_.notify_all();
  applying_cv_.notify_all();
  blocking_.stop();
  for (auto& cb : failed) cb(Error::unavailable("the server is shutting down"));
  // Applies in flight finish before the store closes.
  std::unique_lock lock(mu_);
  applying_cv_.wait_for(lock, std::chrono::seconds(10), [this] { return applying_ == 0; });
}

std::vector<store::CommitCallback> PartitionLogs::fail_waiters(Part& p) {
  std::vector<store::CommitCallback> out;
  for (auto& [seq, w] : p.waiters) out.push_back(std::move(w.done));
  p.waiters.clear();
  return out;
}

void PartitionLogs::publish(const store::WriteSet& writes, store::CommitCallback done) {
  const uint32_t index = writes.partition();
  if (index >= parts_.size()) {
    done(Error::internal("write set of unknown partition " + std::to_string(index)));
    return;
  }
  const std::string data = encode_writes(self_, writes);
  // Publishes leave in the order of their positions; a publish that fails at once answers on
  // this thread (taking mu_), so the order has a lock of its own.
  std::lock_guard order(publish_mu_);
  uint64_t seq = 0;
  std::string msg_id;
  std::string subject;
  {
    std::unique_lock lock(mu_);
    Part& p = *parts_[index];
    if (p.role != Role::kReady || stopping_) {
      lock.unlock();
      done(moved("partition " + std::to_string(index) + " is not decided by this node now"));
      return;
    }
    seq = p.next_seq++;
    msg_id = std::to_string(self_.node) + "-" + std::to_string(self_.boot) + "-" +
             std::to_string(++next_msg_);
    p.waiters.emplace(seq, Waiter{msg_id, std::move(done),
                                  std::chrono::steady_clock::now() + kPublishTimeout});
    subject = p.spec.subject;
  }
  link_.request(subject, data,
                {{"Nats-Msg-Id", msg_id}, {"Nats-Expected-Last-Sequence", std::to_string(seq - 1)}},
                kPublishTimeout + std::chrono::seconds(1),
                [this, index, seq, msg_id](Result<NatsMessage> answer) {
                  on_publish_answer(index, seq, msg_id, std::move(answer));
                });
}

void PartitionLogs::on_publish_answer(uint32_t index, uint64_t seq, const std::string& msg_id,
                                      Result<NatsMessage> answer) {
  const bool stored = answer.ok() && answer->data.find("\"error\"") == std::string::npos &&
                      answer->data.find("\"seq\"") != std::string::npos;
  if (stored) return;  // its apply answers it
  std::vector<store::CommitCallback> failed;
  std::string why = answer.ok() ? answer->data : answer.error().message;
  {
    std::lock_guard lock(mu_);
    Part& p = *parts_[index];
    auto it = p.waiters.find(seq);
    if (it == p.waiters.end() || it->second.msg_id != msg_id) return;
    // Later publishes expected this one before them: none of them can be stored.
    failed = fail_waiters(p);
    if (p.role == Role::kReady) {
      spdlog::warn("partition {}: a publish was refused ({}); catching up before writing again",
                   index, why);
      p.role = Role::kResyncing;
    }
  }
  // A refused publish (JetStream answered) stored nothing; a timed-out one may still land and
  // is applied like any other record, so it is not called moved.
  const bool definite = answer.ok() || answer.error().message.find("no responders") !=
                                           std::string::npos;
  for (auto& cb : failed) {
    cb(definite ? Status(moved("the write was not stored: " + why))
                : Status(Error::unavailable("the write timed out and may have been stored: " +
                                            why)));
  }
}

void PartitionLogs::on_record(uint32_t index, NatsMessage m) {
  bool gap = false;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || index >= parts_.size()) return;
    Part& p = *parts_[index];
    if (m.stream_seq <= p.received) return;
    if (m.stream_seq > p.log_last) p.log_last = m.stream_seq;
    gap = m.stream_seq != p.received + 1 && p.ahead.empty();
    if (p.ahead.size() < kMaxAhead) p.ahead.emplace(m.stream_seq, std::move(m));
  }
  drain(index);
  if (gap) fetch_missing(index);
}

void PartitionLogs::fetch_missing(uint32_t index) {
  std::vector<uint64_t> wanted;
  std::string stream;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    Part& p = *parts_[index];
    stream = p.spec.name;
    const uint64_t last = std::min(p.log_last, p.received + kFetchWindow);
    for (uint64_t seq = p.received + 1; seq <= last && p.fetching.size() < kFetchWindow; ++seq) {
      if (!p.ahead.contains(seq) && p.fetching.insert(seq).second) wanted.push_back(seq);
    }
  }
  for (uint64_t seq : wanted) {
    link_.get_message(stream, seq, std::chrono::seconds(2),
                      [this, index, seq](Result<NatsMessage> r) {
                        {
                          std::lock_guard lock(mu_);
                          Part& p = *parts_[index];
                          p.fetching.erase(seq);
                          if (!r.ok() || stopping_ || seq <= p.received) return;
                          r->stream_seq = seq;
                          if (p.ahead.size() < kMaxAhead) p.ahead.emplace(seq, std::move(*r));
                        }
                        drain(index);
                      });
  }
}

void PartitionLogs::drain(uint32_t index) {
  // One drainer at a time for every partition: each record's local commit is submitted in log
  // order (the store commits in submission order).
  std::lock_guard order(apply_mu_);
  while (true) {
    store::WriteSet ws;
    bool accepted = false;
    std::optional<Writer> claim;
    std::vector<ChannelKey> changed;
    uint64_t seq = 0;
    std::string msg_id;
    {
      std::lock_guard lock(mu_);
      if (stopping_ || applying_ >= kMaxApplying) return;
      Part& p = *parts_[index];
      auto it = p.ahead.begin();
      if (it == p.ahead.end() || it->first != p.received + 1) return;
      NatsMessage m = std::move(it->second);
      p.ahead.erase(it);
      seq = m.stream_seq;
      msg_id = std::move(m.msg_id);
      p.received = seq;
      auto rec = decode_record(m.data);
      if (!rec) {
        spdlog::error("partition {}: log record {} is malformed; skipped", index, seq);
      } else if (rec->kind == LogRecord::Kind::kClaim) {
        claim = rec->owner;
        p.owner = rec->owner;
      } else if (rec->writer == p.owner && rec->writes) {
        accepted = true;
        changed = rec->writes->changed_channels();
        if (rec->writer.node == self_.node) {
          ws = std::move(*rec->writes);
        } else {
          // Event queues (webhooks) are the writer's own: the events fire once, from there.
          std::vector<store::WriteSet::Op> ops;
          for (const auto& op : rec->writes->ops()) {
            if (op.column != store::Column::kEvent) ops.push_back(op);
          }
          ws = store::WriteSet::from_ops(std::move(ops), {}, store::WriteSet::kLocal,
                                         rec->writes->message_count());
        }
      }
      ws.put_cursor(cursor_name(index), encode_cursor(seq, p.owner));
      ws.set_partition(store::WriteSet::kLocal);
      ++applying_;
    }
    local_.commit(std::move(ws), [this, index, seq, msg_id = std::move(msg_id), accepted, claim,
                                  changed = std::move(changed)](const Status& s) mutable {
      on_applied(index, seq, msg_id, accepted, claim, changed, s);
    });
  }
}

void PartitionLogs::on_applied(uint32_t index, uint64_t seq, const std::string& msg_id,
                               bool accepted, std::optional<Writer> claim,
                               const std::vector<ChannelKey>& changed, const Status& status) {
  if (!changed.empty() && hooks_.channels_changed) hooks_.channels_changed(changed);
  std::vector<std::pair<store::CommitCallback, Status>> answers;
  bool starting = false;
  {
    std::lock_guard lock(mu_);
    --applying_;
    Part& p = *parts_[index];
    if (!status.ok()) {
      spdlog::error("partition {}: cannot apply log record {}: {}", index, seq,
                    status.error().message);
      for (auto& cb : fail_waiters(p)) answers.emplace_back(std::move(cb), status);
    } else {
      p.applied = std::max(p.applied, seq);
      if (auto it = p.waiters.find(seq); it != p.waiters.end()) {
        if (it->second.msg_id == msg_id && accepted) {
          answers.emplace_back(std::move(it->second.done), Status{});
        } else {
          answers.emplace_back(std::move(it->second.done),
                               moved("another node owns partition " + std::to_string(index)));
        }
        p.waiters.erase(it);
      }
      if (claim) {
        const bool mine = *claim == self_;
        if (mine && p.role == Role::kFollower) {
          p.role = Role::kStarting;
          p.next_seq = seq + 1;
          starting = true;
          spdlog::info("partition {}: this node owns it from log position {}", index, seq);
        } else if (!mine && p.role != Role::kFollower) {
          spdlog::info("partition {}: node {} took it over at log position {}", index,
                       claim->node, seq);
          p.role = Role::kFollower;
          for (auto& cb : fail_waiters(p)) {
            answers.emplace_back(std::move(cb),
                                 moved("node " + std::to_string(claim->node) +
                                       " took over partition " + std::to_string(index)));
          }
        }
      }
    }
  }
  applied_cv_.notify_all();
  applying_cv_.notify_all();
  for (auto& [cb, s] : answers) cb(s);
  if (starting) become_ready(index);
}

void PartitionLogs::become_ready(uint32_t index) {
  auto ready = [this, index] {
    std::lock_guard lock(mu_);
    Part& p = *parts_[index];
    if (p.role == Role::kStarting && p.owner == self_) p.role = Role::kReady;
  };
  if (hooks_.forget_channel_state) {
    hooks_.forget_channel_state(ready);
  } else {
    ready();
  }
}

Status PartitionLogs::wait_current(uint32_t index, std::chrono::milliseconds timeout) {
  if (index >= parts_.size()) return Status{};
  std::string stream;
  {
    std::lock_guard lock(mu_);
    const Part& p = *parts_[index];
    if (p.role == Role::kReady) return Status{};
    stream = p.spec.name;
  }
  auto last = link_.last_seq_and_wait(stream, timeout);
  if (!last.ok()) return last.error();
  std::unique_lock lock(mu_);
  const Part& p = *parts_[index];
  if (!applied_cv_.wait_for(lock, timeout, [&] { return p.applied >= *last || stopping_; })) {
    return Error::unavailable("this node is still catching up with partition " +
                              std::to_string(index) + "; retry");
  }
  return Status{};
}

Status PartitionLogs::wait_all_current(std::chrono::milliseconds timeout) {
  struct Gather {
    std::mutex mu;
    std::condition_variable cv;
    size_t remaining = 0;
    std::vector<std::pair<uint32_t, uint64_t>> targets;
    std::optional<Error> error;
  };
  auto g = std::make_shared<Gather>();
  std::vector<std::pair<uint32_t, std::string>> asks;
  {
    std::lock_guard lock(mu_);
    for (const auto& p : parts_) {
      if (p->role != Role::kReady) asks.emplace_back(p->index, p->spec.name);
    }
  }
  if (asks.empty()) return Status{};
  g->remaining = asks.size();
  for (const auto& [index, stream] : asks) {
    link_.last_seq(stream, timeout, [g, index = index](Result<uint64_t> r) {
      std::lock_guard lock(g->mu);
      if (r.ok()) {
        g->targets.emplace_back(index, *r);
      } else if (!g->error) {
        g->error = r.error();
      }
      if (--g->remaining == 0) g->cv.notify_all();
    });
  }
  {
    std::unique_lock lock(g->mu);
    if (!g->cv.wait_for(lock, timeout + std::chrono::milliseconds(500),
                        [&] { return g->remaining == 0; })) {
      return Error::unavailable("JetStream did not answer in time; retry");
    }
    if (g->error) return *g->error;
  }
  std::unique_lock lock(mu_);
  for (const auto& [index, last] : g->targets) {
    const Part& p = *parts_[index];
    if (!applied_cv_.wait_for(lock, timeout,
                              [&, last = last] { return p.applied >= last || stopping_; })) {
      return Error::unavailable("this node is still catching up; retry");
    }
  }
  return Status{};
}

uint16_t PartitionLogs::owner(uint32_t index) const {
  std::lock_guard lock(mu_);
  return index < parts_.size() ? parts_[index]->owner.node : 0;
}

bool PartitionLogs::ready(uint32_t index) const {
  std::lock_guard lock(mu_);
  return index < parts_.size() && parts_[index]->role == Role::kReady;
}

uint32_t PartitionLogs::owned_here() const {
  std::lock_guard lock(mu_);
  uint32_t n = 0;
  for (const auto& p : parts_) n += p->role == Role::kReady ? 1 : 0;
  return n;
}

std::vector<PartitionStatus> PartitionLogs::status() const {
  std::lock_guard lock(mu_);
  std::vector<PartitionStatus> out;
  for (const auto& p : parts_) {
    out.push_back(PartitionStatus{p->index, p->owner.node, p->role == Role::kReady, p->applied,
                                  p->log_last});
  }
  return out;
}

bool PartitionLogs::jetstream_reachable() const {
  std::lock_guard lock(mu_);
  return js_ok_at_.time_since_epoch().count() != 0 &&
         std::chrono::steady_clock::now() - js_ok_at_ < std::chrono::seconds(4);
}

bool PartitionLogs::diverged() const {
  std::lock_guard lock(mu_);
  for (const auto& p : parts_) {
    if (p->diverged) return true;
  }
  return false;
}

void PartitionLogs::poll_log_last(uint32_t index) {
  std::string stream;
  uint64_t received = 0;
  {
    std::lock_guard lock(mu_);
    Part& p = *parts_[index];
    if (p.polling) return;
    p.polling = true;
    stream = p.spec.name;
    received = p.received;
  }
  link_.last_seq(stream, std::chrono::seconds(2), [this, index, received](Result<uint64_t> r) {
    std::lock_guard lock(mu_);
    Part& p = *parts_[index];
    p.polling = false;
    // JetStream reachable means: the stream has a leader (a replica cut off from its quorum
    // may still answer, naming none).
    if (!r.ok()) return;
    const auto now = std::chrono::steady_clock::now();
    js_ok_at_ = now;
    p.log_last = std::max(p.log_last, *r);
    p.log_last_at = now;
    // A leader may answer a position or two behind a record a replica already republished;
    // only a stream that stays behind what this node had applied when it asked was lost.
    if (*r < received) {
      if (++p.behind_polls == kBehindPollsForLoss && !p.diverged) {
        p.diverged = true;
        spdlog::error(
            "partition {}: JetStream stream {} ends at {} but this node applied up to {}: the "
            "stream was lost or reset; this node will not own the partition",
            index, p.spec.name, *r, received);
      }
    } else {
      p.behind_polls = 0;
      if (p.diverged) spdlog::info("partition {}: stream {} caught up again", index, p.spec.name);
      p.diverged = false;
    }
  });
}

void PartitionLogs::append_claim(uint32_t index, bool release) {
  std::string subject;
  uint64_t expected = 0;
  {
    std::lock_guard lock(mu_);
    Part& p = *parts_[index];
    p.claiming = true;
    subject = p.spec.subject;
    // A claim follows what this node applied; a release follows this owner's own writes.
    expected = release ? p.next_seq - 1 : p.received;
  }
  const std::string msg_id = std::to_string(self_.node) + "-" + std::to_string(self_.boot) +
                             (release ? "-release-" : "-claim-") + std::to_string(index) + "-" +
                             std::to_string(expected);
  link_.request(subject, encode_claim(self_, release ? Writer{} : self_),
                {{"Nats-Msg-Id", msg_id}, {"Nats-Expected-Last-Sequence", std::to_string(expected)}},
                std::chrono::seconds(3), [this, index, release](const Result<NatsMessage>& r) {
                  std::lock_guard lock(mu_);
                  Part& p = *parts_[index];
                  p.claiming = false;
                  // A refused claim is tried again on a later tick (which fetches what this
                  // node lacked); a refused release leaves the partition to catch up and be
                  // decided here again.
                  const bool stored = r.ok() && r->data.find("\"error\"") == std::string::npos;
                  if (release && !stored && p.role == Role::kReleasing) {
                    p.role = Role::kResyncing;
                  }
                });
}

void PartitionLogs::tick(std::chrono::steady_clock::time_point now) {
  link_.expire();
  std::vector<store::CommitCallback> timed_out;
  std::vector<uint32_t> claims;
  std::vector<uint32_t> polls;
  std::vector<uint32_t> resyncs;
  std::vector<uint32_t> releases;
  std::vector<uint32_t> fetches;
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    for (auto& pp : parts_) {
      Part& p = *pp;
      if (!p.created) {
        if (!p.creating && now - p.create_tried > std::chrono::seconds(1)) {
          p.create_tried = now;
          p.creating = true;
          blocking_.post([this, index = p.index, spec = p.spec] {
            Status s = link_.ensure_stream(spec);
            std::lock_guard created_lock(mu_);
            Part& q = *parts_[index];
            q.creating = false;
            if (s.ok()) {
              q.created = true;
            } else if (std::chrono::steady_clock::now() - started_ > std::chrono::seconds(10)) {
              spdlog::warn("partition {}: {}", index, s.error().message);
            }
          });
        }
        continue;
      }
      if (p.log_last > p.received && p.fetching.empty()) fetches.push_back(p.index);
      if (now - p.log_last_at > std::chrono::seconds(1)) polls.push_back(p.index);
      // Publishes that got no answer: the partition catches up before writing again.
      if (!p.waiters.empty() && p.waiters.begin()->second.deadline < now) {
        for (auto& cb : fail_waiters(p)) timed_out.push_back(std::move(cb));
        if (p.role == Role::kReady) p.role = Role::kResyncing;
      }
      if (p.role == Role::kResyncing && p.waiters.empty() && !p.resync_polling) {
        resyncs.push_back(p.index);
      }
      if (p.role == Role::kReady && !p.claiming) {
        const uint16_t preferred = membership_.preferred_owner(p.index, now);
        if (preferred != 0 && preferred != self_.node) {
          auto info = membership_.node(preferred);
          if (info && now - info->first_seen > kHandOverAfter) {
            spdlog::info("partition {}: handing it to node {}", p.index, preferred);
            p.role = Role::kReleasing;
          }
        }
      }
      if (p.role == Role::kReleasing && p.waiters.empty() && !p.claiming) {
        releases.push_back(p.index);
      }
      if (p.role == Role::kFollower && !p.claiming && !p.diverged &&
          now - started_ > kClaimAfterStart) {
        const bool owner_alive =
            p.owner.node != 0 && membership_.live(p.owner.node, p.owner.boot, now);
        if (!owner_alive && membership_.preferred_owner(p.index, now) == self_.node) {
          claims.push_back(p.index);
        }
      }
    }
  }
  for (auto& cb : timed_out) {
    cb(Error::unavailable("the write got no answer from JetStream in time and may have been stored"));
  }
  for (uint32_t index : polls) poll_log_last(index);
  for (uint32_t index : fetches) {
    drain(index);
    fetch_missing(index);
  }
  for (uint32_t index : claims) append_claim(index, false);
  for (uint32_t index : releases) append_claim(index, true);
  for (uint32_t index : resyncs) {
    std::string stream;
    {
      std::lock_guard lock(mu_);
      parts_[index]->resync_polling = true;
      stream = parts_[index]->spec.name;
    }
    link_.last_seq(stream, std::chrono::seconds(2), [this, index](Result<uint64_t> r) {
      bool start = false;
      {
        std::lock_guard lock(mu_);
        Part& p = *parts_[index];
        p.resync_polling = false;
        if (r.ok() && p.role == Role::kResyncing && p.waiters.empty() && p.applied >= *r &&
            p.received == p.applied && p.owner == self_) {
          p.role = Role::kStarting;
          p.next_seq = *r + 1;
          start = true;
        } else if (r.ok() && p.role == Role::kResyncing && !(p.owner == self_)) {
          p.role = Role::kFollower;
        }
      }
      if (start) become_ready(index);
    });
  }
}

}  // namespace jindou::cluster
