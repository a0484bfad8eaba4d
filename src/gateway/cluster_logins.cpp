#include "gateway/cluster_logins.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include "cluster/wire.h"
#include "model/clock.h"

namespace jindou::gateway {
namespace {

constexpr uint8_t kVersion = 1;
constexpr const char* kTopic = "presence.login";
constexpr std::chrono::milliseconds kAskTimeout{1000};

}  // namespace

void answer_login_asks(cluster::Cluster& cluster, engine::Engine& engine) {
  const uint16_t self = cluster.node_id();
  cluster.on_ask(kTopic, [&engine, self](std::string_view data) -> std::string {
    auto logins = decode_logins(data);
    if (!logins) return {};
    uint64_t kicked = 0;
    const int64_t now = unix_millis();
    for (const auto& login : *logins) {
      for (auto& k : remote_login_kicks(login, self, now, engine.presence().links_of(login.uid))) {
        ++kicked;
        engine.post(k.link.info.executor, [link = std::move(k.link.link), quietly = k.quietly] {
          link->kick(ReasonCode::kConnectKick, "login in other device", quietly,
                     std::chrono::seconds(2));
        });
      }
    }
    return encode_login_answer(kicked);
  });
}

LoginAnnouncer::LoginAnnouncer(cluster::Cluster& cluster) : cluster_(cluster) {
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "logins");
    run();
  });
}

LoginAnnouncer::~LoginAnnouncer() {
  stop();
}

void LoginAnnouncer::announce(const engine::LinkInfo& info) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    if (queue_.size() >= kMaxQueued) {
      ++dropped_;
      return;
    }
    queue_.push_back(RemoteLogin{info.uid, info.device_flag, info.device_level, info.device_id,
                                 info.connected_at_ms, cluster_.node_id()});
  }
  cv_.notify_one();
}

void LoginAnnouncer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    queue_.clear();
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

uint64_t LoginAnnouncer::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

void LoginAnnouncer::run() {
  uint64_t dropped_reported = 0;
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::vector<RemoteLogin> batch;
    if (queue_.size() <= kMaxBatch) {
      batch.swap(queue_);
    } else {
      batch.assign(std::make_move_iterator(queue_.begin()),
                   std::make_move_iterator(queue_.begin() + kMaxBatch));
      queue_.erase(queue_.begin(), queue_.begin() + kMaxBatch);
    }
    const uint64_t dropped = dropped_;
    lock.unlock();
    if (dropped != dropped_reported) {
      spdlog::warn("cluster: {} login announcements dropped (the other nodes answer too slowly)",
                   dropped - dropped_reported);
      dropped_reported = dropped;
    }
    // A node that does not answer in time is dead or about to be taken for dead; its
    // connections go with it.
    (void)cluster_.ask_all(kTopic, encode_logins(batch), kAskTimeout);
    lock.lock();
  }
}

std::string encode_logins(const std::vector<RemoteLogin>& logins) {
  std::string out;
  cluster::WireWriter w(out);
  w.u8(kVersion).u64(logins.size());
  for (const auto& l : logins) {
    w.str(l.uid).u8(l.device_flag).u8(l.device_level).str(l.device_id).i64(l.login_ms);
    w.u64(l.node);
  }
  return out;
}

std::optional<std::vector<RemoteLogin>> decode_logins(std::string_view data) {
  cluster::WireReader r(data);
  if (r.u8() != kVersion) return std::nullopt;
  const uint64_t n = r.u64();
  if (!r.ok() || n > data.size()) return std::nullopt;  // every login takes several bytes
  std::vector<RemoteLogin> logins;
  logins.reserve(n);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    RemoteLogin l;
    l.uid = r.str();
    l.device_flag = r.u8();
    l.device_level = r.u8();
    l.device_id = r.str();
    l.login_ms = r.i64();
    l.node = static_cast<uint16_t>(r.u64());
    logins.push_back(std::move(l));
  }
  if (!r.done()) return std::nullopt;
  return logins;
}

std::string encode_login_answer(uint64_t kicked) {
  std::string out;
  cluster::WireWriter(out).u8(kVersion).u64(kicked);
  return out;
}

std::optional<uint64_t> decode_login_answer(std::string_view data) {
  cluster::WireReader r(data);
  if (r.u8() != kVersion) return std::nullopt;
  const uint64_t n = r.u64();
  if (!r.done()) return std::nullopt;
  return n;
}

}  // namespace jindou::gateway
