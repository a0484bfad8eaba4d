#include "webhook/webhooks.h"

#include <spdlog/spdlog.h>

#include <map>
#include <stdexcept>

#include "store/encoding.h"
#include "webhook/event_batches.h"

namespace jindou::webhook {
namespace {

// Online-session records (queue 'o', keyed by connection id): uid and device flag.
std::string encode_session(const engine::LinkInfo& info) {
  std::string out(1, static_cast<char>(info.device_flag));
  out.append(info.uid);
  return out;
}

}  // namespace

Webhooks::Webhooks(WebhookOptions options, store::Store& store)
    : options_(std::move(options)), store_(store), dead_letters_(store, options_.max_dead_letters) {
  readers_.push_back(make_stored_messages_reader(store_, options_.count_per_push));
  readers_.push_back(make_offline_reader(store_));
  readers_.push_back(make_online_status_reader(store_, options_.count_per_push));
  if (!options_.enabled()) return;
  for (auto& r : readers_) {
    if (!options_.focused(r->event())) continue;
    dispatchers_.push_back(std::make_unique<QueueDispatcher>(*r, make_transport(options_), store_,
                                                             options_, dead_letters_));
  }
}

Webhooks::~Webhooks() {
  stop();
}

engine::EventLogOptions Webhooks::event_log_options() const {
  engine::EventLogOptions o;
  o.stored_messages = options_.focused(kEventMsgNotify);
  o.offline_recipients = options_.focused(kEventMsgOffline);
  return o;
}

Status Webhooks::recover_online_sessions() {
  // Sessions sorted per user so each report carries the counts left after it.
  std::map<std::string, std::vector<std::pair<uint64_t, uint8_t>>> by_user;
  uint64_t after = 0;
  size_t sessions = 0;
  for (;;) {
    auto page = store_.events(engine::kQueueOnlineSessions, after, 1024);
    if (!page.ok()) return page.error();
    for (const auto& e : *page) {
      if (e.value.empty()) continue;
      by_user[e.value.substr(1)].emplace_back(e.id, static_cast<uint8_t>(e.value[0]));
      ++sessions;
    }
    if (page->size() < 1024) break;
    after = page->back().id;
  }
  if (sessions == 0) return {};
  store::WriteSet ws;
  ws.delete_events_through(engine::kQueueOnlineSessions, UINT64_MAX);
  std::vector<std::string> changes;
  if (wants_presence()) {
    for (const auto& [uid, list] : by_user) {
      size_t total = list.size();
      std::map<uint8_t, size_t> per_device;
      for (const auto& [id, flag] : list) ++per_device[flag];
      for (const auto& [id, flag] : list) {
        --total;
        changes.push_back(status_text(uid, flag, false, id, --per_device[flag], total));
      }
    }
    ws.append_event(engine::kQueueOnlineStatus, encode_status_entry(changes));
  }
  if (auto s = store_.commit_and_wait(std::move(ws)); !s.ok()) return s;
  spdlog::info("webhook: {} connections of the previous run were still recorded online{}", sessions,
               wants_presence() ? ": reported offline" : "");
  return {};
}

Status Webhooks::start() {
  if (auto s = dead_letters_.load(); !s.ok()) return s;
  for (auto& d : dispatchers_) d->start();
  if (options_.enabled()) {
    spdlog::info("webhooks: {} to {}", options_.grpc_addr.empty() ? "HTTP" : "gRPC",
                 options_.grpc_addr.empty() ? options_.http_addr : options_.grpc_addr);
  }
  return {};
}

void Webhooks::stop() {
  for (auto& d : dispatchers_) d->stop();
}

QueueDispatcher* Webhooks::dispatcher(engine::EventQueue queue) {
  for (auto& d : dispatchers_) {
    if (d->reader().queue() == queue) return d.get();
  }
  return nullptr;
}

QueueReader* Webhooks::reader(engine::EventQueue queue) {
  for (auto& r : readers_) {
    if (r->queue() == queue) return r.get();
  }
  return nullptr;
}

void Webhooks::appended(engine::EventQueue queue, size_t events) {
  if (auto* d = dispatcher(queue)) d->appended(events);
}

void Webhooks::presence_changed(const engine::LinkInfo& info, bool online,
                                size_t device_connections, size_t user_connections) {
  if (!wants_presence()) return;
  store::WriteSet ws;
  ws.append_event(engine::kQueueOnlineStatus,
                  encode_status_entry({status_text(info.uid, info.device_flag, online, info.id,
                                                   device_connections, user_connections)}));
  // The session record goes with the report, so a crash leaves exactly the reported ones.
  if (online) {
    ws.put_event(engine::kQueueOnlineSessions, info.id, encode_session(info));
  } else {
    ws.delete_event(engine::kQueueOnlineSessions, info.id);
  }
  store_.commit(std::move(ws), [this](const Status& s) {
    if (s.ok()) {
      appended(engine::kQueueOnlineStatus, 1);
    } else {
      spdlog::error("webhook: cannot record an online-status change: {}", s.error().message);
    }
  });
}

Result<std::vector<DeadLetterView>> Webhooks::dead_letters(uint64_t after_id, size_t limit) {
  auto letters = dead_letters_.list(after_id, limit);
  if (!letters.ok()) return letters.error();
  std::vector<DeadLetterView> out;
  for (auto& d : *letters) {
    DeadLetterView v;
    if (QueueReader* r = reader(d.queue)) {
      v.event = r->event();
      v.events = r->events_in(d.entry);
      auto body = r->body_of(d.entry);
      if (!body.ok()) return body.error();
      v.body = std::move(*body);
    }
    v.letter = std::move(d);
    out.push_back(std::move(v));
  }
  return out;
}

void Webhooks::replay(const std::vector<uint64_t>& ids, std::function<void(Result<size_t>)> done) {
  auto found = dead_letters_.find(ids);
  if (!found.ok()) return done(found.error());
  store::WriteSet ws;
  std::map<engine::EventQueue, size_t> events;
  for (const auto& d : *found) {
    ws.delete_event(engine::kQueueDeadLetters, d.id);
    ws.append_event(d.queue, d.entry);
    if (QueueReader* r = reader(d.queue)) events[d.queue] += r->events_in(d.entry);
  }
  const size_t n = found->size();
  if (n == 0) return done(size_t{0});
  store_.commit(std::move(ws), [this, n, events, done = std::move(done)](const Status& s) {
    if (!s.ok()) return done(s.error());
    dead_letters_.removed(n);
    for (const auto& [queue, count] : events) appended(queue, count);
    done(n);
  });
}

void Webhooks::remove(const std::vector<uint64_t>& ids, std::function<void(Result<size_t>)> done) {
  auto found = dead_letters_.find(ids);
  if (!found.ok()) return done(found.error());
  store::WriteSet ws;
  for (const auto& d : *found) ws.delete_event(engine::kQueueDeadLetters, d.id);
  const size_t n = found->size();
  if (n == 0) return done(size_t{0});
  store_.commit(std::move(ws), [this, n, done = std::move(done)](const Status& s) {
    if (!s.ok()) return done(s.error());
    dead_letters_.removed(n);
    done(n);
  });
}

WebhookStats Webhooks::stats() const {
  WebhookStats s;
  s.enabled = options_.enabled();
  s.transport = !options_.enabled() ? "" : options_.grpc_addr.empty() ? "http" : "grpc";
  for (const auto& d : dispatchers_) s.events.push_back(d->stats());
  s.dead_letters = dead_letters_.count();
  s.dead_letters_dropped = dead_letters_.dropped();
  return s;
}

}  // namespace jindou::webhook
