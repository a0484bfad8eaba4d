// ConnectionSets: the open connections of a server, one set per io thread (each touched only
// by its own thread, so no locks), with a timer per thread that visits that thread's
// connections every `period` (timeouts, resends, idle sweeping).
//
// `Connection` has `uint64_t id() const`. Threads: add/remove/visit on the set's own io thread;
// size() and the posting helpers from anywhere. Lifecycle: start() arms the timers; stop()
// cancels them (posted); the sets must outlive the io threads' work on them.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <unordered_map>
#include <vector>

namespace jindou::runtime {

template <class Connection>
class ConnectionSets {
 public:
  using Visit = std::function<void(Connection&, std::chrono::steady_clock::time_point now)>;

  ConnectionSets(const std::vector<boost::asio::io_context*>& contexts,
                 std::chrono::milliseconds period, Visit visit)
      : period_(period), visit_(std::move(visit)) {
    for (auto* ctx : contexts) sets_.push_back(std::make_unique<Set>(*ctx));
  }

  // On thread `thread`.
  void add(size_t thread, std::shared_ptr<Connection> c) {
    if (sets_[thread]->connections.emplace(c->id(), std::move(c)).second) {
      open_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  void remove(size_t thread, uint64_t id) {
    if (sets_[thread]->connections.erase(id) > 0) open_.fetch_sub(1, std::memory_order_relaxed);
  }
  size_t size() const { return open_.load(std::memory_order_relaxed); }

  void start() {
    for (auto& s : sets_) {
      boost::asio::post(s->context, [this, set = s.get()] { arm(*set); });
    }
  }
  void stop() {
    stopping_ = true;
    for (auto& s : sets_) {
      boost::asio::post(s->context, [set = s.get()] { set->timer.cancel(); });
    }
  }
  // Runs `action` on every connection, each on its own thread (posted). Connections may
  // remove themselves meanwhile: a snapshot is visited.
  void for_each(std::function<void(Connection&)> action) {
    for (auto& s : sets_) {
      boost::asio::post(s->context, [set = s.get(), action] {
        for (auto& c : snapshot(*set)) action(*c);
      });
    }
  }

 private:
  struct Set {
    explicit Set(boost::asio::io_context& ctx) : context(ctx), timer(ctx) {}
    boost::asio::io_context& context;
    boost::asio::steady_timer timer;
    std::unordered_map<uint64_t, std::shared_ptr<Connection>> connections;
  };

  static std::vector<std::shared_ptr<Connection>> snapshot(const Set& set) {
    std::vector<std::shared_ptr<Connection>> all;
    all.reserve(set.connections.size());
    for (const auto& [id, c] : set.connections) all.push_back(c);
    return all;
  }

  void arm(Set& set) {
    set.timer.expires_after(period_);
    set.timer.async_wait([this, &set](const boost::system::error_code& ec) {
      if (ec || stopping_) return;
      const auto now = std::chrono::steady_clock::now();
      for (auto& c : snapshot(set)) visit_(*c, now);
      arm(set);
    });
  }

  std::chrono::milliseconds period_;
  Visit visit_;
  std::vector<std::unique_ptr<Set>> sets_;
  std::atomic<size_t> open_{0};
  std::atomic<bool> stopping_{false};
};

}  // namespace jindou::runtime
