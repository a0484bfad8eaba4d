// Cluster mode under faults: three real nodes take a mixed workload (HTTP sends with retries,
// wkproto SENDs with reconnects) while a nemesis kills nodes (kill -9 of jindou, restarted a few
// seconds later), kills a node's nats-server child only (jindou's supervisor starts it again) and
// once stops a node with SIGSTOP for 8 s. Afterwards a checker reads every channel through every
// node:
//
//   - every acknowledged send (HTTP 200, SENDACK success) is stored exactly once, at the seq and
//     with the message id its acknowledgement gave;
//   - every channel holds seqs 1..n with no gap, and every node holds the same messages;
//   - a send never acknowledged is stored once or not at all;
//   - a subscribed client saw its live RECVs of each channel in increasing seq order within a
//     connection, and each of them is the stored message of that seq.
//
// One line sums the run up: acknowledged, lost, duplicated, nemesis actions, the longest time
// without any acknowledgement. The run is bounded (about 55 s of workload); the nemesis's choices
// are random, seeded from JINDOU_FAULT_SEED when set (the seed is printed).
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "client/wk_client.h"
#include "cluster_test.h"
#include "model/channel.h"
#include "model/error.h"
#include "proto/packet.h"

namespace jindou::testing {
namespace {

using client::ClientOptions;
using client::SendOptions;
using client::WkClient;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kHttpThreads = 12;
constexpr int kSenders = 6;   // wkproto clients that SEND
constexpr int kWatchers = 3;  // wkproto clients that only receive
constexpr int kGroups = 15;
constexpr int kPersons = 15;
static_assert(kPersons <= kSenders * kWatchers,
              "person channels are distinct sender/watcher pairs");
constexpr auto kWorkload = seconds(55);
constexpr int kAttempts = 5;  // tries of one send (same client_msg_no) before giving up
constexpr auto kRequestTimeout = seconds(25);  // above the cluster's 20 s write timeout

// One send of the workload and what became of it.
struct Send {
  int channel = 0;
  std::string from_uid;
  std::string client_msg_no;
  bool acked = false;
  int64_t id = 0;
  int64_t seq = 0;
  Clock::time_point acked_at;
  int via = 0;  // the node that acknowledged it
  int attempts = 0;
  std::string last_error;
};

// A RECV seen by a watcher.
struct Seen {
  int watcher = 0;
  int session = 0;  // connection number of that watcher
  int channel = -1;
  int64_t seq = 0;
  int64_t id = 0;
  std::string client_msg_no;
  Clock::time_point at;
};

std::string Describe(const HttpResult& r) {
  return "HTTP " + std::to_string(r.status) + " " + r.body.substr(0, 200) + r.error;
}

class ClusterFaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* seed_env = std::getenv("JINDOU_FAULT_SEED");
    seed_ = seed_env != nullptr && *seed_env != '\0' ? std::strtoull(seed_env, nullptr, 10)
                                                     : std::random_device{}();
    std::printf("[fault] seed %llu (JINDOU_FAULT_SEED=%llu repeats the nemesis's choices)\n",
                static_cast<unsigned long long>(seed_), static_cast<unsigned long long>(seed_));

    ServerOptions base;
    base.ready_timeout = seconds(60);
    cluster_ = std::make_unique<ClusterProcess>(3, base);
    cluster_->start();

    // Channels: groups with every client as subscriber; person channels between a sending
    // client and a watcher.
    for (int i = 0; i < kSenders; ++i) senders_.push_back("fsend-" + std::to_string(i));
    for (int i = 0; i < kWatchers; ++i) watchers_.push_back("fwatch-" + std::to_string(i));
    for (int i = 0; i < kGroups; ++i) {
      channels_.push_back(ChannelRef{"fgroup-" + std::to_string(i), kGroup, "reader"});
      person_sender_.push_back("");
    }
    for (int i = 0; i < kPersons; ++i) {
      // Distinct pairs: kPersons <= kSenders * kWatchers.
      const std::string from = senders_[static_cast<size_t>(i % kSenders)];
      const std::string to = watchers_[static_cast<size_t>(i / kSenders % kWatchers)];
      channels_.push_back(ChannelRef{to, kPerson, from});
      person_sender_.push_back(from);
    }
    std::vector<std::string> everyone = senders_;
    everyone.insert(everyone.end(), watchers_.begin(), watchers_.end());
    const auto deadline = Clock::now() + seconds(90);
    for (int i = 0; i < kGroups; ++i) {
      HttpClient http("127.0.0.1", cluster_->node(i % 3 + 1).http_port(), kRequestTimeout);
      for (;;) {
        const auto r = CreateGroup(http, channels_[static_cast<size_t>(i)].id, everyone);
        if (r) break;
        ASSERT_LT(Clock::now(), deadline) << "the cluster takes no channel: " << r.message();
        std::this_thread::sleep_for(milliseconds(500));
      }
    }
  }

  void TearDown() override {
    if (HasFailure() && cluster_) std::printf("%s\n", cluster_->logs_tail(80).c_str());
  }

  int NodeCount() const { return cluster_->size(); }

  // Channel index of a RECV seen by watcher `w`, or -1.
  int ChannelOf(int w, const proto::Recv& r) const {
    if (r.channel_type == kGroup) {
      for (int i = 0; i < kGroups; ++i) {
        if (channels_[static_cast<size_t>(i)].id == r.channel_id) return i;
      }
      return -1;
    }
    for (int i = kGroups; i < kGroups + kPersons; ++i) {
      const auto& c = channels_[static_cast<size_t>(i)];
      if (c.id == watchers_[static_cast<size_t>(w)] && c.login_uid == r.channel_id) return i;
    }
    return -1;
  }

  // The channels sender client `s` may SEND to: every group, its person channels.
  std::vector<int> ChannelsOfSender(int s) const {
    std::vector<int> out;
    for (int i = 0; i < kGroups; ++i) out.push_back(i);
    for (int i = kGroups; i < kGroups + kPersons; ++i) {
      if (person_sender_[static_cast<size_t>(i)] == senders_[static_cast<size_t>(s)]) {
        out.push_back(i);
      }
    }
    return out;
  }

  void Record(Send s) {
    std::lock_guard lock(mu_);
    sends_.push_back(std::move(s));
  }

  void CountError(const std::string& what) {
    std::lock_guard lock(mu_);
    ++errors_[what.substr(0, 150)];
  }

  // HTTP sender `t`: random channels, each send retried with its client_msg_no through other
  // nodes until acknowledged or kAttempts tries.
  void HttpWorker(int t) {
    std::mt19937_64 rng(seed_ * 1000 + static_cast<uint64_t>(t));
    std::vector<std::unique_ptr<HttpClient>> clients;
    for (int n = 1; n <= NodeCount(); ++n) {
      clients.push_back(std::make_unique<HttpClient>("127.0.0.1", cluster_->node(n).http_port(),
                                                     kRequestTimeout));
    }
    for (int k = 0; !stop_.load(); ++k) {
      Send s;
      s.channel = static_cast<int>(rng() % channels_.size());
      const ChannelRef& c = channels_[static_cast<size_t>(s.channel)];
      s.from_uid = c.type == kGroup ? "fhttp-" + std::to_string(t) : c.login_uid;
      s.client_msg_no = "h" + std::to_string(t) + "-" + std::to_string(k);
      auto body = SendBody(s.from_uid, c.id, c.type, s.client_msg_no);
      body["client_msg_no"] = s.client_msg_no;
      int node = static_cast<int>(rng() % NodeCount());
      for (; s.attempts < kAttempts && !s.acked; node = (node + 1) % NodeCount()) {
        ++s.attempts;
        const HttpResult r = clients[static_cast<size_t>(node)]->post("/message/send", body);
        if (r.status == 200) {
          s.acked = true;
          s.acked_at = Clock::now();
          s.via = node + 1;
          s.id = Int(r.json(), "message_id");
          s.seq = Int(r.json(), "message_seq");
        } else {
          s.last_error = "node " + std::to_string(node + 1) + ": " + Describe(r);
          CountError("http " + Describe(r));
          std::this_thread::sleep_for(milliseconds(200));
        }
      }
      Record(std::move(s));
      std::this_thread::sleep_for(milliseconds(20 + rng() % 30));
    }
  }

  ClientOptions WkOptions(int node, const std::string& uid) const {
    ClientOptions o;
    o.host = "127.0.0.1";
    o.port = cluster_->node(node).tcp_port();
    o.uid = uid;
    o.io_timeout = seconds(5);
    return o;
  }

  // Connects `uid` to node `*node` or, failing that, the next nodes in turn (updating *node);
  // nullptr when none takes it.
  std::unique_ptr<WkClient> Connect(const std::string& uid, int* node, const std::string& device) {
    for (int i = 0; i < NodeCount(); ++i) {
      ClientOptions o = WkOptions(*node, uid);
      o.device_id = device;
      auto c = std::make_unique<WkClient>(o);
      try {
        if (c->connect().reason_code == ReasonCode::kSuccess) return c;
        CountError("wk connect refused by node " + std::to_string(*node));
      } catch (const client::ProtocolError& e) {
        std::lock_guard lock(mu_);
        protocol_errors_.push_back(uid + " connecting to node " + std::to_string(*node) + ": " +
                                   e.what());
      } catch (const std::exception& e) {
        CountError(std::string("wk connect: ") + e.what());
      }
      *node = *node % NodeCount() + 1;
    }
    return nullptr;
  }

  // wkproto sender `j`: SEND, wait for the SENDACK; on a failure answer SEND again with the same
  // client_msg_no; on a dead connection reconnect to the next node and SEND again.
  void WkSender(int j) {
    std::mt19937_64 rng(seed_ * 1000 + 500 + static_cast<uint64_t>(j));
    const std::string uid = senders_[static_cast<size_t>(j)];
    const std::vector<int> mine = ChannelsOfSender(j);
    int node = j % NodeCount() + 1;
    std::unique_ptr<WkClient> c;
    const std::string device = "dev-" + uid;
    for (int k = 0; !stop_.load(); ++k) {
      Send s;
      s.channel = mine[rng() % mine.size()];
      const ChannelRef& ch = channels_[static_cast<size_t>(s.channel)];
      s.from_uid = uid;
      s.client_msg_no = "w" + std::to_string(j) + "-" + std::to_string(k);
      SendOptions so;
      so.client_msg_no = s.client_msg_no;
      while (s.attempts < kAttempts && !s.acked) {
        ++s.attempts;
        try {
          if (!c || c->closed()) {
            c = Connect(uid, &node, device);
            if (!c) {
              s.last_error = "no node takes the connection";
              std::this_thread::sleep_for(milliseconds(500));
              continue;
            }
          }
          const uint32_t seq = c->send(ch.id, static_cast<uint8_t>(ch.type), s.client_msg_no, so);
          const auto ack = c->wait_sendack(seq, kRequestTimeout);
          if (!ack) {
            s.last_error =
                "node " + std::to_string(node) + ": no SENDACK (" + c->close_reason() + ")";
            CountError("wk no SENDACK");
            c.reset();
            node = node % NodeCount() + 1;
          } else if (ack->reason_code == ReasonCode::kSuccess) {
            s.acked = true;
            s.acked_at = Clock::now();
            s.via = node;
            s.id = ack->message_id;
            s.seq = ack->message_seq;
          } else {
            s.last_error = "node " + std::to_string(node) + ": SENDACK reason " +
                           std::to_string(static_cast<int>(ack->reason_code));
            CountError("wk SENDACK reason " + std::to_string(static_cast<int>(ack->reason_code)));
            std::this_thread::sleep_for(milliseconds(200));
          }
        } catch (const client::ProtocolError& e) {
          std::lock_guard lock(mu_);
          protocol_errors_.push_back(uid + " on node " + std::to_string(node) + ": " + e.what());
          c.reset();
        } catch (const std::exception& e) {
          s.last_error = e.what();
          CountError(std::string("wk: ") + e.what());
          c.reset();
          node = node % NodeCount() + 1;
        }
      }
      // Other packets (RECVs of the groups) are not this client's business.
      if (c) {
        while (c->queued() > 0 && c->next_packet(milliseconds(0))) {
        }
      }
      Record(std::move(s));
      std::this_thread::sleep_for(milliseconds(30 + rng() % 40));
    }
  }

  // Watcher `w`: stays connected (reconnecting to the next node when its connection dies) and
  // records every RECV with the connection it came on.
  void Watcher(int w) {
    const std::string uid = watchers_[static_cast<size_t>(w)];
    int node = w % NodeCount() + 1;
    int session = 0;
    std::unique_ptr<WkClient> c;
    while (!watch_stop_.load()) {
      try {
        if (!c || c->closed()) {
          c = Connect(uid, &node, "dev-" + uid);
          ++session;
          if (!c) {
            std::this_thread::sleep_for(milliseconds(500));
            continue;
          }
        }
        const auto r = c->wait_recv(milliseconds(300));
        if (!r) {
          // A stopped node answers nothing: a connection silent for long is checked with PING.
          if (!c->closed() && ++quiet_[static_cast<size_t>(w)] >= 30) {
            quiet_[static_cast<size_t>(w)] = 0;
            if (!c->ping(seconds(5))) {
              c.reset();
              node = node % NodeCount() + 1;
            }
          }
          continue;
        }
        quiet_[static_cast<size_t>(w)] = 0;
        Seen s{
            w,           session, ChannelOf(w, *r), r->message_seq, r->message_id, r->client_msg_no,
            Clock::now()};
        std::lock_guard lock(mu_);
        seen_.push_back(std::move(s));
      } catch (const client::ProtocolError& e) {
        std::lock_guard lock(mu_);
        protocol_errors_.push_back(uid + " on node " + std::to_string(node) + ": " + e.what());
        c.reset();
      } catch (const std::exception& e) {
        CountError(std::string("watcher: ") + e.what());
        c.reset();
        node = node % NodeCount() + 1;
      }
    }
  }

  // Every 6-10 s: kill -9 of a node's jindou (restarted 3-5 s later) or of its nats-server
  // child only; once, SIGSTOP of a node's jindou for 8 s.
  void Nemesis() {
    std::mt19937_64 rng(seed_);
    const auto start = Clock::now();
    bool stopped_once = false;
    const auto pause = [this](milliseconds d) {
      const auto until = Clock::now() + d;
      while (!nemesis_stop_.load() && Clock::now() < until)
        std::this_thread::sleep_for(milliseconds(50));
    };
    const auto log = [&](const std::string& what) {
      std::printf("[fault] +%6.1f s  %s\n", static_cast<double>(ElapsedMs(start)) / 1000.0,
                  what.c_str());
      std::fflush(stdout);
    };
    pause(milliseconds(3000 + rng() % 2000));
    while (!nemesis_stop_.load()) {
      const int n = static_cast<int>(rng() % NodeCount()) + 1;
      const bool halfway = ElapsedMs(start) > 30'000;
      if (!stopped_once && halfway) {
        stopped_once = true;
        log("SIGSTOP node " + std::to_string(n) + " (jindou pid " +
            std::to_string(cluster_->node(n).pid()) + ")");
        cluster_->node(n).signal(SIGSTOP);
        ++actions_stop_;
        pause(seconds(8));
        cluster_->node(n).signal(SIGCONT);
        log("SIGCONT node " + std::to_string(n));
      } else if (rng() % 2 == 0) {
        log("kill -9 node " + std::to_string(n) + " (jindou pid " +
            std::to_string(cluster_->node(n).pid()) + ")");
        cluster_->kill9(n);
        ++actions_kill_;
        pause(milliseconds(3000 + rng() % 2000));
        const auto t = Clock::now();
        try {
          cluster_->start(n);
          log("node " + std::to_string(n) + " restarted (ready after " +
              std::to_string(ElapsedMs(t)) + " ms)");
        } catch (const std::exception& e) {
          std::lock_guard lock(mu_);
          nemesis_failures_.push_back("node " + std::to_string(n) +
                                      " did not restart: " + e.what());
          log("node " + std::to_string(n) + " did NOT restart");
        }
      } else {
        const pid_t child = cluster_->nats_pid(n);
        if (child <= 0) {
          log("node " + std::to_string(n) + " has no nats-server child right now; skipped");
        } else {
          log("kill -9 nats-server of node " + std::to_string(n) + " (pid " +
              std::to_string(child) + ")");
          ::kill(child, SIGKILL);
          ++actions_nats_;
          const auto t = Clock::now();
          pid_t again = 0;
          while (Clock::now() - t < seconds(10)) {
            again = cluster_->nats_pid(n);
            if (again > 0 && again != child) break;
            std::this_thread::sleep_for(milliseconds(50));
          }
          if (again > 0 && again != child) {
            log("nats-server of node " + std::to_string(n) + " running again (pid " +
                std::to_string(again) + ", after " + std::to_string(ElapsedMs(t)) + " ms)");
          } else {
            std::lock_guard lock(mu_);
            nemesis_failures_.push_back("node " + std::to_string(n) +
                                        ": jindou did not start its nats-server again within 10 s");
          }
        }
      }
      pause(milliseconds(6000 + rng() % 4000));
    }
    // Whatever is left down comes back.
    for (int n = 1; n <= cluster_->size(); ++n) {
      cluster_->node(n).signal(SIGCONT);
      if (!cluster_->node(n).running()) {
        try {
          cluster_->start(n);
        } catch (const std::exception& e) {
          std::lock_guard lock(mu_);
          nemesis_failures_.push_back("node " + std::to_string(n) +
                                      " did not start after the run: " + e.what());
        }
      }
    }
    log("nemesis stopped");
    restored_ = true;
    // The nodes this thread started die with it (ServerProcess: PR_SET_PDEATHSIG): it lives
    // until the test is over.
    while (!nemesis_exit_.load()) std::this_thread::sleep_for(milliseconds(50));
  }

  uint64_t seed_ = 0;
  std::unique_ptr<ClusterProcess> cluster_;
  std::vector<std::string> senders_;
  std::vector<std::string> watchers_;
  std::vector<ChannelRef> channels_;
  std::vector<std::string> person_sender_;  // by channel; empty for groups

  std::atomic<bool> stop_{false};
  std::atomic<bool> nemesis_stop_{false};
  std::atomic<bool> restored_{false};
  std::atomic<bool> nemesis_exit_{false};
  std::atomic<bool> watch_stop_{false};
  std::mutex mu_;
  std::vector<Send> sends_;
  std::vector<Seen> seen_;
  std::map<std::string, int> errors_;
  std::vector<std::string> protocol_errors_;
  std::vector<std::string> nemesis_failures_;
  std::vector<std::string> settle_failures_;
  std::vector<int> quiet_ = std::vector<int>(kWatchers, 0);
  int actions_kill_ = 0;
  int actions_nats_ = 0;
  int actions_stop_ = 0;
};

TEST_F(ClusterFaultTest, AcknowledgedMessagesSurviveKillsAndStops) {
  const auto start = Clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < kWatchers; ++w) workers.emplace_back([this, w] { Watcher(w); });
  std::this_thread::sleep_for(seconds(1));
  std::vector<std::thread> senders;
  for (int t = 0; t < kHttpThreads; ++t) senders.emplace_back([this, t] { HttpWorker(t); });
  for (int j = 0; j < kSenders; ++j) senders.emplace_back([this, j] { WkSender(j); });
  std::thread nemesis([this] { Nemesis(); });
  // The nemesis thread goes last, whatever way this test ends (see Nemesis()).
  struct JoinLast {
    std::atomic<bool>& exit;
    std::thread& thread;
    ~JoinLast() {
      exit = true;
      thread.join();
    }
  } join_last{nemesis_exit_, nemesis};

  std::this_thread::sleep_for(kWorkload);
  nemesis_stop_ = true;
  while (!restored_.load()) std::this_thread::sleep_for(milliseconds(50));
  stop_ = true;
  for (auto& t : senders) t.join();
  const int64_t workload_ms = ElapsedMs(start);
  std::printf("[fault] senders done after %lld ms\n", static_cast<long long>(workload_ms));
  std::fflush(stdout);

  // Settle: every channel takes a write through every node again, within 60 s of the end of
  // the faults (one thread per node; the sends join the workload's for the checker).
  const auto settle = Clock::now();
  {
    std::vector<std::thread> settlers;
    for (int n = 1; n <= cluster_->size(); ++n) {
      settlers.emplace_back([this, n, settle] {
        HttpClient http("127.0.0.1", cluster_->node(n).http_port(), kRequestTimeout);
        for (size_t ci = 0; ci < channels_.size(); ++ci) {
          const ChannelRef& c = channels_[ci];
          Send s;
          s.channel = static_cast<int>(ci);
          s.from_uid = c.type == kGroup ? "fsettle" : c.login_uid;
          s.client_msg_no = "s" + std::to_string(n) + "-" + std::to_string(ci);
          auto body = SendBody(s.from_uid, c.id, c.type, s.client_msg_no);
          body["client_msg_no"] = s.client_msg_no;
          while (!s.acked && Clock::now() - settle < seconds(60)) {
            ++s.attempts;
            const HttpResult r = http.post("/message/send", body);
            if (r.status == 200) {
              s.acked = true;
              s.acked_at = Clock::now();
              s.via = n;
              s.id = Int(r.json(), "message_id");
              s.seq = Int(r.json(), "message_seq");
            } else {
              s.last_error = "node " + std::to_string(n) + ": " + Describe(r);
              std::this_thread::sleep_for(milliseconds(300));
            }
          }
          if (!s.acked) {
            std::lock_guard lock(mu_);
            settle_failures_.push_back(c.key() + " takes no write through node " +
                                       std::to_string(n) + " 60 s after the faults ended (" +
                                       std::to_string(s.attempts) +
                                       " tries); last: " + s.last_error);
          }
          Record(std::move(s));
        }
      });
    }
    for (auto& t : settlers) t.join();
  }
  const int64_t settle_ms = ElapsedMs(settle);
  std::printf(
      "[fault] every channel takes writes through every node again after %lld ms "
      "(%zu do not)\n",
      static_cast<long long>(settle_ms), settle_failures_.size());
  std::fflush(stdout);
  // Deliveries in flight arrive, then the watchers stop.
  std::this_thread::sleep_for(seconds(2));
  watch_stop_ = true;
  for (auto& t : workers) t.join();

  // ---- The checker.
  // Failures by kind, the first few of each kind in full.
  std::map<std::string, std::pair<int64_t, std::vector<std::string>>> problems;
  const auto problem = [&problems](const std::string& kind, std::string what) {
    auto& [count, first] = problems[kind];
    ++count;
    if (first.size() < 12) first.push_back(std::move(what));
  };
  // By channel and client_msg_no: the workload's sends.
  std::vector<std::map<std::string, const Send*>> by_cmn(channels_.size());
  int64_t acked = 0;
  int64_t unacked = 0;
  std::vector<Clock::time_point> ack_times;
  for (const Send& s : sends_) {
    by_cmn[static_cast<size_t>(s.channel)][s.client_msg_no] = &s;
    if (s.acked) {
      ++acked;
      ack_times.push_back(s.acked_at);
    } else {
      ++unacked;
    }
  }
  // Distinct sends (channel / client_msg_no) missing or doubled on at least one node.
  std::set<std::string> lost_keys;
  std::set<std::string> duplicated_keys;
  int64_t gaps = 0;
  int64_t mismatched = 0;
  int64_t disagreements = 0;
  int64_t unacked_stored = 0;
  // What became of the workload's send `cmn` in channel `ci`, for failure messages.
  const auto ack_of = [&](size_t ci, const std::string& cmn) -> std::string {
    auto it = by_cmn[ci].find(cmn);
    if (it == by_cmn[ci].end()) return cmn + " (not sent by the workload)";
    const Send& s = *it->second;
    if (!s.acked) return cmn + " (never acknowledged: " + s.last_error + ")";
    return cmn + " (acknowledged as seq " + std::to_string(s.seq) + " by node " +
           std::to_string(s.via) + " at +" + std::to_string(ElapsedMs(start, s.acked_at)) + " ms)";
  };
  // Node 1's view of each channel: seq -> message id, for the RECV check.
  std::vector<std::map<int64_t, int64_t>> stored_ids(channels_.size());
  for (int n = 1; n <= cluster_->size(); ++n) {
    HttpClient http("127.0.0.1", cluster_->node(n).http_port(), seconds(30));
    const auto check_start = Clock::now();
    int read_failures = 0;
    for (size_t ci = 0; ci < channels_.size(); ++ci) {
      const ChannelRef& c = channels_[ci];
      int tries = 0;
      // A node that cannot serve one channel gets little time for the others.
      const ChannelRead read =
          ReadChannelRetrying(http, c, read_failures == 0 ? seconds(20) : seconds(1), &tries);
      if (!read.ok) {
        ++read_failures;
        problem("unreadable",
                "node " + std::to_string(n) + " cannot read " + c.key() + ": " + read.error);
        ++disagreements;
        continue;
      }
      // Seqs 1..n.
      int64_t expect = 1;
      for (const auto& [seq, m] : read.by_seq) {
        if (seq != expect) {
          ++gaps;
          problem("gap", "node " + std::to_string(n) + ", " + c.key() + ": seq " +
                             std::to_string(seq) + " follows " + std::to_string(expect - 1));
        }
        expect = seq + 1;
      }
      // Each client_msg_no once; acknowledged ones where their ack said.
      std::map<std::string, std::vector<int64_t>> seqs_of;
      for (const auto& [seq, m] : read.by_seq) {
        seqs_of[Str(m, "client_msg_no")].push_back(seq);
        if (n == 1) stored_ids[ci][seq] = Int(m, "message_id");
        auto it = stored_ids[ci].find(seq);
        if (n > 1 && (it == stored_ids[ci].end() || it->second != Int(m, "message_id"))) {
          ++disagreements;
          problem(
              "node disagreement",
              "node " + std::to_string(n) + ", " + c.key() + " seq " + std::to_string(seq) +
                  ": message " + std::to_string(Int(m, "message_id")) + ", node 1 has " +
                  (it == stored_ids[ci].end() ? std::string("none") : std::to_string(it->second)));
        }
        if (Text(m) != Str(m, "client_msg_no")) {
          ++mismatched;
          problem("payload", "node " + std::to_string(n) + ", " + c.key() + " seq " +
                                 std::to_string(seq) + ": payload '" + Text(m) +
                                 "' is not its client_msg_no " + Str(m, "client_msg_no"));
        }
      }
      if (n == 1) {
        // Every node must hold as many as node 1 (extra ones show as disagreements above).
      } else if (read.by_seq.size() != stored_ids[ci].size()) {
        ++disagreements;
        problem("node disagreement", "node " + std::to_string(n) + ", " + c.key() + ": " +
                                         std::to_string(read.by_seq.size()) +
                                         " messages, node 1 has " +
                                         std::to_string(stored_ids[ci].size()));
      }
      for (const auto& [cmn, seqs] : seqs_of) {
        if (seqs.size() > 1) {
          duplicated_keys.insert(c.key() + " " + cmn);
          problem("duplicate", "node " + std::to_string(n) + ", " + c.key() + ": client_msg_no " +
                                   cmn + " stored " + std::to_string(seqs.size()) + " times");
        }
        if (by_cmn[ci].count(cmn) == 0) {
          ++mismatched;
          problem("unknown client_msg_no",
                  "node " + std::to_string(n) + ", " + c.key() + ": unknown client_msg_no " + cmn);
        }
      }
      for (const auto& [cmn, s] : by_cmn[ci]) {
        auto it = seqs_of.find(cmn);
        if (!s->acked) {
          if (it != seqs_of.end() && n == 1) ++unacked_stored;
          continue;
        }
        if (it == seqs_of.end()) {
          lost_keys.insert(c.key() + " " + cmn);
          auto there = read.by_seq.find(s->seq);
          const std::string holder = there == read.by_seq.end()
                                         ? "nothing"
                                         : ack_of(ci, Str(there->second, "client_msg_no"));
          problem("lost", "node " + std::to_string(n) + ", " + c.key() + ": acknowledged " + cmn +
                              " (seq " + std::to_string(s->seq) + ", id " + std::to_string(s->id) +
                              ", acknowledged by node " + std::to_string(s->via) + " at +" +
                              std::to_string(ElapsedMs(start, s->acked_at)) +
                              " ms) is missing; its seq holds " + holder);
          continue;
        }
        const auto& m = read.by_seq.at(it->second.front());
        if (it->second.front() != s->seq || Int(m, "message_id") != s->id) {
          ++mismatched;
          problem("acknowledgement mismatch",
                  "node " + std::to_string(n) + ", " + c.key() + ": acknowledged " + cmn +
                      " as seq " + std::to_string(s->seq) + " id " + std::to_string(s->id) +
                      ", stored as seq " + std::to_string(it->second.front()) + " id " +
                      std::to_string(Int(m, "message_id")));
        }
      }
    }
    std::printf("[fault] node %d read back in %lld ms (%d channels unreadable)\n", n,
                static_cast<long long>(ElapsedMs(check_start)), read_failures);
    std::fflush(stdout);
  }

  // Live RECVs: per watcher connection and channel in increasing seq order, each the stored
  // message of its seq.
  int64_t order_violations = 0;
  int64_t phantom = 0;
  std::map<std::tuple<int, int, int>, const Seen*> last_seen;
  for (const Seen& s : seen_) {
    if (s.channel < 0) {
      ++phantom;
      problem("RECV of unknown channel",
              "watcher " + std::to_string(s.watcher) + " got a RECV of an unknown channel");
      continue;
    }
    const auto key = std::make_tuple(s.watcher, s.session, s.channel);
    auto it = last_seen.find(key);
    const auto ci = static_cast<size_t>(s.channel);
    if (it != last_seen.end() && s.seq <= it->second->seq) {
      ++order_violations;
      problem("RECV order",
              "watcher " + std::to_string(s.watcher) + " connection " + std::to_string(s.session) +
                  ", " + channels_[ci].key() + ": RECV seq " + std::to_string(s.seq) + " " +
                  ack_of(ci, s.client_msg_no) + " received at +" +
                  std::to_string(ElapsedMs(start, s.at)) + " ms after seq " +
                  std::to_string(it->second->seq) + " " + ack_of(ci, it->second->client_msg_no) +
                  " received at +" + std::to_string(ElapsedMs(start, it->second->at)) + " ms");
    }
    if (it == last_seen.end() || s.seq > it->second->seq) last_seen[key] = &s;
    const auto& ids = stored_ids[ci];
    auto stored = ids.find(s.seq);
    if (stored == ids.end() || stored->second != s.id) {
      ++phantom;
      problem("RECV not stored", "watcher " + std::to_string(s.watcher) + ", " +
                                     channels_[static_cast<size_t>(s.channel)].key() +
                                     ": RECV seq " + std::to_string(s.seq) + " id " +
                                     std::to_string(s.id) + " " + ack_of(ci, s.client_msg_no) +
                                     " is not the stored message of that seq");
    }
  }

  // The longest stretch of the workload without any acknowledgement, and the longest one of a
  // single channel (from the start of the workload; the settle phase does not count).
  const auto workload_end = start + milliseconds(workload_ms);
  const auto longest_gap = [&](std::vector<Clock::time_point> times, int64_t* at) {
    std::sort(times.begin(), times.end());
    int64_t longest = 0;
    Clock::time_point prev = start;
    for (const auto& t : times) {
      if (t > workload_end) break;
      if (ElapsedMs(prev, t) > longest) {
        longest = ElapsedMs(prev, t);
        *at = ElapsedMs(start, prev);
      }
      prev = t;
    }
    return longest;
  };
  int64_t longest_at = 0;
  const int64_t longest = longest_gap(ack_times, &longest_at);
  std::vector<std::vector<Clock::time_point>> channel_acks(channels_.size());
  for (const Send& s : sends_) {
    if (s.acked) channel_acks[static_cast<size_t>(s.channel)].push_back(s.acked_at);
  }
  int64_t channel_longest = 0;
  int64_t channel_longest_at = 0;
  size_t channel_longest_ci = 0;
  for (size_t ci = 0; ci < channels_.size(); ++ci) {
    int64_t at = 0;
    const int64_t gap = longest_gap(channel_acks[ci], &at);
    if (gap > channel_longest) {
      channel_longest = gap;
      channel_longest_at = at;
      channel_longest_ci = ci;
    }
  }

  std::printf("[fault] workload %lld ms (+ settle %lld ms): %zu sends, %zu live RECVs seen\n",
              static_cast<long long>(workload_ms), static_cast<long long>(settle_ms), sends_.size(),
              seen_.size());
  for (const auto& [what, count] : errors_) std::printf("[fault]   %5dx %s\n", count, what.c_str());
  std::printf(
      "[fault] SUMMARY acked=%lld lost=%lld duplicated=%lld gaps=%lld mismatched=%lld "
      "node_disagreements=%lld unacked=%lld (stored %lld) recv_order_violations=%lld "
      "recv_not_stored=%lld failovers=%d (jindou kill -9: %d, nats-server kill -9: %d, "
      "SIGSTOP: %d) longest_unavailability=%lld ms (from +%.1f s) longest_channel_gap=%lld ms "
      "(%s, from +%.1f s)\n",
      static_cast<long long>(acked), static_cast<long long>(lost_keys.size()),
      static_cast<long long>(duplicated_keys.size()), static_cast<long long>(gaps),
      static_cast<long long>(mismatched), static_cast<long long>(disagreements),
      static_cast<long long>(unacked), static_cast<long long>(unacked_stored),
      static_cast<long long>(order_violations), static_cast<long long>(phantom),
      actions_kill_ + actions_nats_ + actions_stop_, actions_kill_, actions_nats_, actions_stop_,
      static_cast<long long>(longest), static_cast<double>(longest_at) / 1000.0,
      static_cast<long long>(channel_longest), channels_[channel_longest_ci].key().c_str(),
      static_cast<double>(channel_longest_at) / 1000.0);
  std::fflush(stdout);

  for (const auto& [kind, found] : problems) {
    std::string text;
    for (const auto& line : found.second) text += "\n  " + line;
    ADD_FAILURE() << found.first << " x " << kind << text
                  << (found.first > static_cast<int64_t>(found.second.size()) ? "\n  ..." : "");
  }
  for (const auto& p : protocol_errors_) ADD_FAILURE() << "protocol error: " << p;
  for (const auto& p : nemesis_failures_) ADD_FAILURE() << p;
  for (const auto& p : settle_failures_) ADD_FAILURE() << p;
  EXPECT_GT(acked, 0);
  EXPECT_EQ(lost_keys.size(), 0u);
  EXPECT_EQ(duplicated_keys.size(), 0u);
  EXPECT_EQ(gaps, 0);
  EXPECT_EQ(mismatched, 0);
  EXPECT_EQ(disagreements, 0);
  EXPECT_EQ(order_violations, 0);
  EXPECT_EQ(phantom, 0);
}

}  // namespace
}  // namespace jindou::testing
