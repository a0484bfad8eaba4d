#include "api/cluster_presence.h"

#include <pthread.h>

#include <algorithm>
#include <bitset>

#include "cluster/wire.h"

namespace jindou::api {
namespace {

constexpr uint8_t kVersion = 1;
constexpr const char* kOnlineTopic = "presence.online";
constexpr const char* kKickTopic = "presence.kick";

// Whether any node but this one may have connections (a cluster with others alive).
bool others_alive(const ApiContext& ctx) {
  if (ctx.cluster == nullptr || ctx.cluster_asks == nullptr) return false;
  for (const auto& n : ctx.cluster->live_nodes()) {
    if (n.id != ctx.cluster->node_id()) return true;
  }
  return false;
}

// Adds `flag` to `flags` unless there already.
void add_flag(std::vector<uint8_t>& flags, uint8_t flag) {
  if (std::find(flags.begin(), flags.end(), flag) == flags.end()) flags.push_back(flag);
}

}  // namespace

// --- ClusterAsks -----------------------------------------------------------------------------

ClusterAsks::ClusterAsks(cluster::Cluster& cluster, size_t threads) : cluster_(cluster) {
  for (size_t i = 0; i < std::max<size_t>(1, threads); ++i) {
    threads_.emplace_back([this, name = "ask-" + std::to_string(i)] {
      pthread_setname_np(pthread_self(), name.c_str());
      queue_.work();
    });
  }
}

ClusterAsks::~ClusterAsks() {
  stop();
}

void ClusterAsks::run(const std::function<void(cluster::Cluster*)>& task) {
  std::function<void()> job = [this, task] { task(&cluster_); };
  if (!queue_.push(job)) task(nullptr);
}

void ClusterAsks::stop() {
  queue_.close();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

void with_cluster(ApiContext& ctx, const std::function<void(cluster::Cluster*)>& fn) {
  if (ctx.cluster == nullptr || ctx.cluster_asks == nullptr) return fn(nullptr);
  ctx.cluster_asks->run(fn);
}

// --- answering the other nodes ---------------------------------------------------------------

void answer_presence_asks(cluster::Cluster& cluster, engine::Engine& engine) {
  cluster.on_ask(kOnlineTopic, [&engine](std::string_view data) -> std::string {
    auto uids = decode_online_request(data);
    if (!uids) return {};
    OnlineAnswer answer;
    for (size_t i = 0; i < uids->size(); ++i) {
      std::bitset<256> seen;
      engine.presence().for_each((*uids)[i], [&](const engine::Link& l) {
        if (seen.test(l.info.device_flag)) return;
        seen.set(l.info.device_flag);
        answer.emplace_back(i, l.info.device_flag);
      });
    }
    return encode_online_answer(answer);
  });
  cluster.on_ask(kKickTopic, [&engine](std::string_view data) -> std::string {
    auto r = decode_kick_request(data);
    if (!r) return {};
    return encode_kick_answer(
        engine.kick(r->uid, r->device_flags, r->reason, r->text, r->quietly, r->close_after));
  });
}

// --- asking them -----------------------------------------------------------------------------

void online_everywhere(ApiContext& ctx, std::shared_ptr<const std::vector<std::string>> uids,
                       std::function<void(OnlineDevices)> done) {
  OnlineDevices devices(uids->size());
  for (size_t i = 0; i < uids->size(); ++i) {
    ctx.presence.for_each((*uids)[i],
                          [&](const engine::Link& l) { add_flag(devices[i], l.info.device_flag); });
  }
  if (!others_alive(ctx)) return done(std::move(devices));
  ctx.cluster_asks->run([uids = std::move(uids), devices = std::move(devices),
                         done = std::move(done)](cluster::Cluster* cluster) mutable {
    if (cluster != nullptr) {
      for (const auto& [begin, end] : online_request_chunks(*uids)) {
        const std::vector<std::string> chunk(uids->begin() + static_cast<ptrdiff_t>(begin),
                                             uids->begin() + static_cast<ptrdiff_t>(end));
        for (const auto& data :
             cluster->ask_all(kOnlineTopic, encode_online_request(chunk), kAskTimeout)) {
          auto answer = decode_online_answer(data);
          if (!answer) continue;
          for (const auto& [index, flag] : *answer) {
            if (index < chunk.size()) add_flag(devices[begin + index], flag);
          }
        }
      }
    }
    done(std::move(devices));
  });
}

void kick_everywhere(ApiContext& ctx, const std::string& uid, std::vector<uint8_t> device_flags,
                     ReasonCode reason, const std::string& text, bool quietly,
                     std::chrono::milliseconds close_after, std::function<void(size_t)> done) {
  const size_t here = ctx.engine.kick(uid, device_flags, reason, text, quietly, close_after);
  if (!others_alive(ctx)) return done(here);
  KickRequest request{uid, std::move(device_flags), reason, text, quietly, close_after};
  ctx.cluster_asks->run([request = encode_kick_request(request), here,
                         done = std::move(done)](cluster::Cluster* cluster) {
    size_t kicked = here;
    if (cluster != nullptr) {
      for (const auto& data : cluster->ask_all(kKickTopic, request, kAskTimeout)) {
        if (auto n = decode_kick_answer(data)) kicked += static_cast<size_t>(*n);
      }
    }
    done(kicked);
  });
}

// --- wire formats ----------------------------------------------------------------------------

std::string encode_online_request(const std::vector<std::string>& uids) {
  std::string out;
  cluster::WireWriter(out).u8(kVersion).strings(uids);
  return out;
}

std::optional<std::vector<std::string>> decode_online_request(std::string_view data) {
  cluster::WireReader r(data);
  if (r.u8() != kVersion) return std::nullopt;
  auto uids = r.strings();
  if (!r.done()) return std::nullopt;
  return uids;
}

std::string encode_online_answer(const OnlineAnswer& answer) {
  std::string out;
  cluster::WireWriter w(out);
  w.u8(kVersion).u64(answer.size());
  for (const auto& [index, flag] : answer) w.u64(index).u8(flag);
  return out;
}

std::optional<OnlineAnswer> decode_online_answer(std::string_view data) {
  cluster::WireReader r(data);
  if (r.u8() != kVersion) return std::nullopt;
  const uint64_t n = r.u64();
  if (!r.ok() || n > data.size()) return std::nullopt;  // every pair takes two bytes at least
  OnlineAnswer answer;
  answer.reserve(n);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    const uint64_t index = r.u64();
    answer.emplace_back(index, r.u8());
  }
  if (!r.done()) return std::nullopt;
  return answer;
}

std::string encode_kick_request(const KickRequest& request) {
  std::string out;
  cluster::WireWriter w(out);
  w.u8(kVersion).str(request.uid).u64(request.device_flags.size());
  for (uint8_t flag : request.device_flags) w.u8(flag);
  w.u8(static_cast<uint8_t>(request.reason)).str(request.text).flag(request.quietly);
  w.u64(static_cast<uint64_t>(std::max<int64_t>(0, request.close_after.count())));
  return out;
}

std::optional<KickRequest> decode_kick_request(std::string_view data) {
  cluster::WireReader r(data);
  if (r.u8() != kVersion) return std::nullopt;
  KickRequest k;
  k.uid = r.str();
  const uint64_t flags = r.u64();
  if (!r.ok() || flags > 256) return std::nullopt;
  for (uint64_t i = 0; i < flags; ++i) k.device_flags.push_back(r.u8());
  k.reason = static_cast<ReasonCode>(r.u8());
  k.text = r.str();
  k.quietly = r.flag();
  constexpr uint64_t kLongest = std::chrono::milliseconds(std::chrono::hours(1)).count();
  k.close_after = std::chrono::milliseconds(std::min<uint64_t>(r.u64(), kLongest));
  if (!r.done()) return std::nullopt;
  return k;
}

std::string encode_kick_answer(uint64_t kicked) {
  std::string out;
  cluster::WireWriter(out).u8(kVersion).u64(kicked);
  return out;
}

std::optional<uint64_t> decode_kick_answer(std::string_view data) {
  cluster::WireReader r(data);
  if (r.u8() != kVersion) return std::nullopt;
  const uint64_t n = r.u64();
  if (!r.done()) return std::nullopt;
  return n;
}

std::vector<std::pair<size_t, size_t>> online_request_chunks(const std::vector<std::string>& uids,
                                                             size_t max_bytes) {
  std::vector<std::pair<size_t, size_t>> chunks;
  size_t begin = 0;
  size_t bytes = 0;
  for (size_t i = 0; i < uids.size(); ++i) {
    const size_t size = uids[i].size() + 10;  // the string and its length, generously
    if (i > begin && bytes + size > max_bytes) {
      chunks.emplace_back(begin, i);
      begin = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (begin < uids.size()) chunks.emplace_back(begin, uids.size());
  return chunks;
}

}  // namespace jindou::api
