#include "cluster/nats_link.h"

#include <boost/json.hpp>

#include <future>
#include <thread>

#include "model/base64.h"

namespace jindou::cluster {

namespace json = boost::json;

namespace {

Error nats_error(const std::string& what, natsStatus s) {
  return Error::unavailable(what + ": " + natsStatus_GetText(s));
}

std::string header(natsMsg* msg, const char* name) {
  const char* value = nullptr;
  if (natsMsgHeader_Get(msg, name, &value) == NATS_OK && value != nullptr) return value;
  return {};
}

// The value of the first `"key":<number>` in a JSON text; nullopt when absent.
std::optional<uint64_t> json_number(std::string_view json, std::string_view key) {
  const std::string needle = "\"" + std::string(key) + "\":";
  const size_t at = json.find(needle);
  if (at == std::string_view::npos) return std::nullopt;
  size_t i = at + needle.size();
  while (i < json.size() && json[i] == ' ') ++i;
  uint64_t v = 0;
  bool any = false;
  for (; i < json.size() && json[i] >= '0' && json[i] <= '9'; ++i) {
    v = v * 10 + static_cast<uint64_t>(json[i] - '0');
    any = true;
  }
  return any ? std::optional<uint64_t>(v) : std::nullopt;
}

}  // namespace

Result<std::unique_ptr<NatsLink>> NatsLink::connect(const std::vector<std::string>& urls,
                                                   const std::string& name,
                                                   std::chrono::milliseconds timeout) {
  std::unique_ptr<NatsLink> link(new NatsLink());
  natsOptions* opts = nullptr;
  if (natsOptions_Create(&opts) != NATS_OK) return Error::internal("cannot create NATS options");
  std::vector<const char*> servers;
  servers.reserve(urls.size());
  for (const auto& u : urls) servers.push_back(u.c_str());
  natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size()));
  natsOptions_SetName(opts, name.c_str());
  natsOptions_SetMaxReconnect(opts, -1);  // forever: the server may be restarting
  natsOptions_SetReconnectWait(opts, 200);
  natsOptions_SetTimeout(opts, 2000);
  natsOptions_SetPingInterval(opts, 1000);
  natsOptions_SetMaxPingsOut(opts, 3);
  natsOptions_SetReconnectBufSize(opts, 64 * 1024 * 1024);
  natsOptions_UseGlobalMessageDelivery(opts, true);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  natsStatus s = NATS_OK;
  while (true) {
    s = natsConnection_Connect(&link->nc_, opts);
    if (s == NATS_OK || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  natsOptions_Destroy(opts);
  if (s != NATS_OK) {
    std::string list;
    for (const auto& u : urls) list += (list.empty() ? "" : ", ") + u;
    return nats_error("cannot connect to NATS at " + list, s);
  }
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.Wait = 3000;
  if (auto js = natsConnection_JetStream(&link->js_, link->nc_, &jo); js != NATS_OK) {
    return nats_error("cannot use JetStream", js);
  }
  natsInbox* inbox = nullptr;
  natsInbox_Create(&inbox);
  link->inbox_ = inbox;
  natsInbox_Destroy(inbox);
  auto sub = link->subscribe(link->inbox_ + ".*",
                             [l = link.get()](NatsMessage m) { l->on_reply(std::move(m)); });
  if (!sub.ok()) return sub.error();
  return link;
}

NatsLink::~NatsLink() {
  if (nc_ != nullptr) natsConnection_Close(nc_);
  {
    std::lock_guard lock(mu_);
    for (auto& [handle, sub] : subs_) {
      if (sub->sub != nullptr) natsSubscription_Destroy(sub->sub);
    }
  }
  if (js_ != nullptr) jsCtx_Destroy(js_);
  if (nc_ != nullptr) natsConnection_Destroy(nc_);
  std::unordered_map<uint64_t, Pending> pending;
  {
    std::lock_guard lock(mu_);
    pending.swap(pending_);
  }
  for (auto& [token, p] : pending) p.done(Error::unavailable("the NATS connection closed"));
}

bool NatsLink::connected() const {
  return natsConnection_Status(nc_) == NATS_CONN_STATUS_CONNECTED;
}

Status NatsLink::publish(const std::string& subject, std::string_view data) {
  const natsStatus s =
      natsConnection_Publish(nc_, subject.c_str(), data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK) return nats_error("cannot publish on " + subject, s);
  return Status{};
}

Status NatsLink::publish(const std::string& subject, std::string_view data,
                         const std::string& reply,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  natsMsg* msg = nullptr;
  natsStatus s = natsMsg_Create(&msg, subject.c_str(), reply.empty() ? nullptr : reply.c_str(),
                                data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK) return nats_error("cannot build a message for " + subject, s);
  for (const auto& [k, v] : headers) natsMsgHeader_Set(msg, k.c_str(), v.c_str());
  s = natsConnection_PublishMsg(nc_, msg);
  natsMsg_Destroy(msg);
  if (s != NATS_OK) return nats_error("cannot publish on " + subject, s);
  return Status{};
}

NatsMessage NatsLink::to_message(natsMsg* msg, bool jetstream) {
  NatsMessage m;
  if (const char* subject = natsMsg_GetSubject(msg)) m.subject = subject;
  if (const char* reply = natsMsg_GetReply(msg)) m.reply = reply;
  if (const char* data = natsMsg_GetData(msg)) {
    m.data.assign(data, static_cast<size_t>(natsMsg_GetDataLength(msg)));
  }
  m.no_responders = natsMsg_IsNoResponders(msg);
  if (jetstream) {
    m.msg_id = header(msg, "Nats-Msg-Id");
    // A stream's republished copy names its position.
    if (std::string seq = header(msg, "Nats-Sequence"); !seq.empty()) {
      m.stream_seq = std::strtoull(seq.c_str(), nullptr, 10);
    }
  }
  return m;
}

void NatsLink::on_message(natsConnection*, natsSubscription*, natsMsg* msg, void* closure) {
  auto* sub = static_cast<Sub*>(closure);
  if (!sub->active.load(std::memory_order_acquire)) {
    natsMsg_Destroy(msg);
    return;
  }
  NatsMessage m = to_message(msg, sub->headers);
  natsMsg_Destroy(msg);
  sub->handler(std::move(m));
}

Result<uint64_t> NatsLink::subscribe(const std::string& subject, NatsHandler handler,
                                     bool headers) {
  auto sub = std::make_unique<Sub>();
  sub->handler = std::move(handler);
  sub->headers = headers;
  Sub* raw = sub.get();
  const uint64_t handle = next_handle_++;
  {
    std::lock_guard lock(mu_);
    subs_[handle] = std::move(sub);
  }
  const natsStatus s = natsConnection_Subscribe(&raw->sub, nc_, subject.c_str(), on_message, raw);
  if (s != NATS_OK) return nats_error("cannot subscribe to " + subject, s);
  natsSubscription_SetPendingLimits(raw->sub, 1'000'000, 512 * 1024 * 1024);
  return handle;
}

void NatsLink::get_message(const std::string& stream, uint64_t seq,
                           std::chrono::milliseconds timeout, ReplyCallback done) {
  request("$JS.API.STREAM.MSG.GET." + stream, "{\"seq\":" + std::to_string(seq) + "}", {},
          timeout, [done = std::move(done), stream, seq](Result<NatsMessage> r) {
            if (!r.ok()) {
              done(r.error());
              return;
            }
            boost::system::error_code ec;
            const json::value v = json::parse(r->data, ec);
            if (ec || !v.is_object()) {
              done(Error::unavailable("stream " + stream + ": unreadable answer " + r->data));
              return;
            }
            const json::object& o = v.as_object();
            if (const auto* err = o.if_contains("error")) {
              const auto* code = err->is_object() ? err->as_object().if_contains("code") : nullptr;
              if (code != nullptr && code->is_int64() && code->as_int64() == 404) {
                done(Error::not_found("stream " + stream + " has no message " +
                                      std::to_string(seq)));
              } else {
                done(Error::unavailable("stream " + stream + ": " + r->data));
              }
              return;
            }
            const auto* msg = o.if_contains("message");
            if (msg == nullptr || !msg->is_object()) {
              done(Error::unavailable("stream " + stream + ": no message in " + r->data));
              return;
            }
            const json::object& m = msg->as_object();
            NatsMessage out;
            out.stream_seq = seq;
            if (const auto* subject = m.if_contains("subject"); subject && subject->is_string()) {
              out.subject = std::string(subject->as_string());
            }
            if (const auto* data = m.if_contains("data"); data && data->is_string()) {
              auto bytes = base64_decode(std::string_view(data->as_string()));
              if (!bytes) {
                done(Error::unavailable("stream " + stream + ": message data is not base64"));
                return;
              }
              out.data = std::move(*bytes);
            }
            if (const auto* hdrs = m.if_contains("hdrs"); hdrs && hdrs->is_string()) {
              auto text = base64_decode(std::string_view(hdrs->as_string()));
              const std::string_view key = "Nats-Msg-Id:";
              if (text) {
                if (size_t at = text->find(key); at != std::string::npos) {
                  size_t begin = at + key.size();
                  while (begin < text->size() && (*text)[begin] == ' ') ++begin;
                  const size_t end = text->find("\r\n", begin);
                  out.msg_id = text->substr(begin, end == std::string::npos ? end : end - begin);
                }
              }
            }
            done(std::move(out));
          });
}

void NatsLink::unsubscribe(uint64_t handle) {
  natsSubscription* sub = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = subs_.find(handle);
    if (it == subs_.end() || it->second->sub == nullptr) return;
    // The subscription stops here; its object stays until the connection closes, because a
    // handler may still be running on a delivery thread.
    it->second->active.store(false, std::memory_order_release);
    sub = it->second->sub;
  }
  // May wait for JetStream (a consumer is deleted): not under the lock.
  natsSubscription_Unsubscribe(sub);
}

std::string NatsLink::reply_subject(uint64_t token) const {
  return inbox_ + "." + std::to_string(token);
}

void NatsLink::request(const std::string& subject, std::string_view data,
                       const std::vector<std::pair<std::string, std::string>>& headers,
                       std::chrono::milliseconds timeout, ReplyCallback done) {
  const uint64_t token = next_token_++;
  {
    std::lock_guard lock(mu_);
    pending_.emplace(token, Pending{std::move(done), std::chrono::steady_clock::now() + timeout});
  }
  Status s = publish(subject, data, reply_subject(token), headers);
  if (!s.ok()) {
    ReplyCallback cb;
    {
      std::lock_guard lock(mu_);
      auto it = pending_.find(token);
      if (it == pending_.end()) return;
      cb = std::move(it->second.done);
      pending_.erase(it);
    }
    cb(s.error());
  }
}

void NatsLink::on_reply(NatsMessage m) {
  const size_t dot = m.subject.rfind('.');
  if (dot == std::string::npos) return;
  const uint64_t token = std::strtoull(m.subject.c_str() + dot + 1, nullptr, 10);
  ReplyCallback cb;
  {
    std::lock_guard lock(mu_);
    auto it = pending_.find(token);
    if (it == pending_.end()) return;  // timed out already
    cb = std::move(it->second.done);
    pending_.erase(it);
  }
  if (m.no_responders) {
    cb(Error::unavailable("nobody answers on NATS (no responders)"));
    return;
  }
  cb(std::move(m));
}

void NatsLink::expire() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<ReplyCallback> expired;
  {
    std::lock_guard lock(mu_);
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (it->second.deadline <= now) {
        expired.push_back(std::move(it->second.done));
        it = pending_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& cb : expired) cb(Error::unavailable("NATS request timed out"));
}

size_t NatsLink::requests_pending() const {
  std::lock_guard lock(mu_);
  return pending_.size();
}

Result<NatsMessage> NatsLink::request_and_wait(const std::string& subject, std::string_view data,
                                               std::chrono::milliseconds timeout) {
  natsMsg* reply = nullptr;
  const natsStatus s = natsConnection_Request(&reply, nc_, subject.c_str(), data.data(),
                                              static_cast<int>(data.size()),
                                              static_cast<int64_t>(timeout.count()));
  if (s != NATS_OK) return nats_error("request on " + subject + " failed", s);
  NatsMessage m = to_message(reply, false);
  natsMsg_Destroy(reply);
  return m;
}

Status NatsLink::ensure_stream(const StreamSpec& stream) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = stream.name.c_str();
  const char* subjects[] = {stream.subject.c_str()};
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Replicas = stream.replicas;
  cfg.Duplicates = int64_t{120} * 1'000'000'000;
  jsRePublish republish;
  jsRePublish_Init(&republish);
  if (!stream.republish.empty()) {
    republish.Source = stream.subject.c_str();
    republish.Destination = stream.republish.c_str();
    cfg.RePublish = &republish;
  }
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  natsStatus s = js_AddStream(&si, js_, &cfg, nullptr, &jerr);
  if (si != nullptr) jsStreamInfo_Destroy(si);
  if (s == NATS_OK || jerr == JSStreamNameExistErr) return Status{};
  // Another node may have created it meanwhile: it exists when its info answers.
  s = js_GetStreamInfo(&si, js_, stream.name.c_str(), nullptr, &jerr);
  if (si != nullptr) jsStreamInfo_Destroy(si);
  if (s == NATS_OK) return Status{};
  return nats_error("cannot create JetStream stream " + stream.name, s);
}

void NatsLink::last_seq(const std::string& stream, std::chrono::milliseconds timeout,
                        std::function<void(Result<uint64_t>)> done) {
  request("$JS.API.STREAM.INFO." + stream, "", {}, timeout,
          [done = std::move(done), stream](Result<NatsMessage> r) {
            if (!r.ok()) {
              done(r.error());
              return;
            }
            if (r->data.find("\"error\"") != std::string::npos) {
              done(Error::unavailable("stream " + stream + ": " + r->data));
              return;
            }
            // A replica cut off from its quorum may still answer, naming no leader: its last
            // position may be behind what the quorum acknowledged.
            if (r->data.find("\"cluster\"") != std::string::npos &&
                r->data.find("\"leader\"") == std::string::npos) {
              done(Error::unavailable("stream " + stream + " has no leader"));
              return;
            }
            auto seq = json_number(r->data, "last_seq");
            if (!seq) {
              done(Error::unavailable("stream " + stream + ": no last_seq in " + r->data));
              return;
            }
            done(*seq);
          });
}

Result<uint64_t> NatsLink::last_seq_and_wait(const std::string& stream,
                                             std::chrono::milliseconds timeout) {
  auto r = request_and_wait("$JS.API.STREAM.INFO." + stream, "", timeout);
  if (!r.ok()) return r.error();
  if (r->data.find("\"error\"") != std::string::npos) {
    return Error::unavailable("stream " + stream + ": " + r->data);
  }
  if (r->data.find("\"cluster\"") != std::string::npos &&
      r->data.find("\"leader\"") == std::string::npos) {
    return Error::unavailable("stream " + stream + " has no leader");
  }
  auto seq = json_number(r->data, "last_seq");
  if (!seq) return Error::unavailable("stream " + stream + ": no last_seq in " + r->data);
  return *seq;
}

}  // namespace jindou::cluster
