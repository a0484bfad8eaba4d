// wkbench: a wkproto load generator for jindou (or any WuKongIM-compatible server).
//
//   wkbench send   --conns 200 --window 64 --duration 10 [--rate 75000]   SEND -> SENDACK
//   wkbench fanout --members 500 --senders 4 --window 32 --duration 10     group deliveries
//   wkbench idle   --conns 50000 --duration 30                            idle connections
//
// Connections are spread over --threads io threads; every connection performs the real CONNECT
// handshake (X25519 + AES unless --plain) and encrypts each SEND with its own msg_key.
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "bench/bench_http.h"
#include "bench/latency_histogram.h"
#include "model/base64.h"
#include "proto/codec.h"
#include "proto/crypto.h"

namespace jindou::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string mode;
  std::string host = "127.0.0.1";
  uint16_t port = 5100;
  uint16_t http_port = 5001;
  int conns = 100;
  int window = 32;
  double duration = 10;
  double warmup = 2;
  size_t payload = 64;
  bool plain = false;
  int version = 5;
  double rate = 0;  // sends per second over all connections; 0 = as fast as acknowledged
  int members = 200;
  int senders = 2;
  int threads = 1;
  std::string prefix = "wkb";
  std::string token;
  std::vector<std::string> sources;  // local addresses to spread idle connections over
};

// Blocking HTTP POST for setup (create the group, register nothing else).
std::string http_post(const Options& o, const std::string& target, const std::string& body) {
  auto [status, answer] = HttpConnection(o.host, o.http_port, o.token).post(target, body);
  if (status != 200) {
    throw std::runtime_error(target + " answered " + std::to_string(status) + ": " + answer);
  }
  return answer;
}

struct Shared {
  std::atomic<bool> measuring{false};
  std::atomic<bool> stopping{false};
  std::atomic<int> ready{0};
  std::atomic<int> failed{0};
  std::atomic<uint64_t> acks{0};
  std::atomic<uint64_t> ack_errors{0};
  std::atomic<uint64_t> recvs{0};
  std::mutex mu;
  LatencyHistogram latency;
};

class BenchConnection : public std::enable_shared_from_this<BenchConnection> {
 public:
  BenchConnection(asio::io_context& ctx, const Options& o, Shared& shared, std::string uid,
                  std::string target, uint8_t target_type, bool sender)
      : socket_(ctx),
        o_(o),
        shared_(shared),
        uid_(std::move(uid)),
        target_(std::move(target)),
        target_type_(target_type),
        sender_(sender),
        decoder_(
            proto::DecoderOptions{proto::Side::kClient, static_cast<uint8_t>(o.version), false}),
        sent_at_(static_cast<size_t>(std::max(o.window, 1)) * 4) {
    payload_ = "{\"content\":\"" + std::string(o.payload > 30 ? o.payload - 26 : 4, 'x') +
               "\",\"type\":1}";
  }

  void start(const tcp::endpoint& server, const std::string& source) {
    if (!source.empty()) {
      socket_.open(tcp::v4());
      socket_.bind(tcp::endpoint(asio::ip::make_address(source), 0));
    }
    socket_.async_connect(server, [self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return self->fail("connect: " + ec.message());
      self->socket_.set_option(tcp::no_delay(true));
      proto::Connect c;
      c.version = static_cast<uint8_t>(self->o_.version);
      c.device_flag = 0;
      c.device_id = self->uid_ + "-dev";
      c.uid = self->uid_;
      c.token = self->o_.token.empty() ? "bench" : self->o_.token;
      c.client_timestamp = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
      if (!self->o_.plain) c.client_key = self->keys_.client_key();
      std::string out;
      proto::encode(c, c.version, out);
      self->write(std::move(out));
      self->read();
    });
  }

  // Sends while the window has room (called when ready, on SENDACK, and by the rate pacer).
  void pump(int budget = -1) {
    if (!sender_ || !ready_ || shared_.stopping) return;
    while (inflight_ < o_.window && budget != 0) {
      send_one();
      if (budget > 0) --budget;
    }
  }
  bool has_room() const { return sender_ && ready_ && inflight_ < o_.window; }

 private:
  void fail(const std::string& why) {
    if (shared_.failed.fetch_add(1) < 5)
      std::fprintf(stderr, "%s: %s\n", uid_.c_str(), why.c_str());
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

  void read() {
    socket_.async_read_some(asio::buffer(buf_),
                            [self = shared_from_this()](boost::system::error_code ec, size_t n) {
                              if (ec) {
                                if (!self->shared_.stopping) self->fail("read: " + ec.message());
                                return;
                              }
                              self->decoder_.append(self->buf_.data(), n);
                              for (;;) {
                                auto r = self->decoder_.next(self->packet_);
                                if (r.need_more()) break;
                                if (r.failed()) return self->fail("decode: " + r.error);
                                self->handle();
                              }
                              self->flush();
                              self->read();
                            });
  }

  void handle() {
    if (auto* ack = std::get_if<proto::Connack>(&packet_)) {
      if (ack->reason_code != ReasonCode::kSuccess) {
        return fail("CONNACK reason " + std::to_string(static_cast<int>(ack->reason_code)));
      }
      if (!o_.plain) {
        auto s = keys_.establish(ack->server_key, ack->salt);
        if (!s.ok()) return fail("handshake: " + s.error().message);
        crypto_.emplace(std::move(s.value()));
      }
      ready_ = true;
      shared_.ready.fetch_add(1);
      pump(o_.rate > 0 ? 0 : -1);
    } else if (auto* sendack = std::get_if<proto::Sendack>(&packet_)) {
      --inflight_;
      if (sendack->reason_code != ReasonCode::kSuccess && shared_.ack_errors.fetch_add(1) < 5) {
        std::fprintf(stderr, "%s: SENDACK reason %d\n", uid_.c_str(),
                     static_cast<int>(sendack->reason_code));
      }
      if (shared_.measuring) {
        const auto at = sent_at_[sendack->client_seq % sent_at_.size()];
        hist_.record(static_cast<uint64_t>((Clock::now() - at).count()));
        ++acks_;
      }
      if (o_.rate <= 0) pump();
    } else if (auto* recv = std::get_if<proto::Recv>(&packet_)) {
      if (shared_.measuring) ++recvs_;
      if (crypto_ && !crypto_->open_recv(*recv)) return fail("RECV with a bad msg_key");
      proto::Recvack recvack{recv->flags, recv->message_id, recv->message_seq};
      if (!(recv->flags & proto::kFlagNoPersist)) {
        std::string out;
        proto::encode(recvack, static_cast<uint8_t>(o_.version), out);
        queue_.push_back(std::move(out));
      }
    } else if (std::holds_alternative<proto::Disconnect>(packet_)) {
      fail("kicked by the server");
    }
  }

  void send_one() {
    proto::Send s;
    s.flags = proto::kFlagRedDot;
    s.client_seq = ++client_seq_;
    s.client_msg_no = uid_ + "-" + std::to_string(s.client_seq);
    s.channel_id = target_;
    s.channel_type = target_type_;
    if (crypto_) {
      crypto_->seal_send(s, payload_);
    } else {
      s.payload = payload_;
    }
    std::string out;
    proto::encode(s, static_cast<uint8_t>(o_.version), out);
    sent_at_[s.client_seq % sent_at_.size()] = Clock::now();
    ++inflight_;
    queue_.push_back(std::move(out));
    flush();
  }

  void write(std::string bytes) {
    queue_.push_back(std::move(bytes));
    flush();
  }

  void flush() {
    if (writing_ || queue_.empty()) return;
    writing_ = true;
    out_.swap(queue_);
    buffers_.clear();
    for (const auto& b : out_) buffers_.emplace_back(b.data(), b.size());
    asio::async_write(socket_, buffers_,
                      [self = shared_from_this()](boost::system::error_code ec, size_t) {
                        self->writing_ = false;
                        self->out_.clear();
                        if (ec) {
                          if (!self->shared_.stopping) self->fail("write: " + ec.message());
                          return;
                        }
                        self->flush();
                      });
  }

 public:
  void report() {
    std::lock_guard lock(shared_.mu);
    shared_.latency.merge(hist_);
    shared_.acks += acks_;
    shared_.recvs += recvs_;
  }
  void close() {
    boost::system::error_code ignored;
    socket_.close(ignored);
  }

 private:
  tcp::socket socket_;
  const Options& o_;
  Shared& shared_;
  std::string uid_;
  std::string target_;
  uint8_t target_type_;
  bool sender_;
  proto::FrameDecoder decoder_;
  proto::Packet packet_;
  proto::ClientCrypto keys_;
  std::optional<proto::SessionCrypto> crypto_;
  std::array<char, 64 * 1024> buf_{};
  std::vector<std::string> queue_, out_;
  std::vector<asio::const_buffer> buffers_;
  bool writing_ = false;
  bool ready_ = false;
  int inflight_ = 0;
  uint32_t client_seq_ = 0;
  std::vector<Clock::time_point> sent_at_;
  std::string payload_;
  LatencyHistogram hist_;
  uint64_t acks_ = 0;
  uint64_t recvs_ = 0;
};

uint64_t server_rss(const Options& o) {
  asio::io_context ctx;
  tcp::socket socket(ctx);
  socket.connect(tcp::endpoint(asio::ip::make_address(o.host), o.http_port));
  http::request<http::empty_body> req{http::verb::get, "/varz", 11};
  req.set(http::field::host, o.host);
  if (!o.token.empty()) req.set(http::field::authorization, "Bearer " + o.token);
  http::write(socket, req);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  http::read(socket, buffer, res);
  const auto& b = res.body();
  auto at = b.find("\"memory_resident_bytes\":");
  return at == std::string::npos ? 0 : std::stoull(b.substr(at + 24));
}

int run(const Options& o) {
  Shared shared;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (int i = 0; i < o.threads; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  std::vector<std::shared_ptr<BenchConnection>> conns;
  const tcp::endpoint server(asio::ip::make_address(o.host), o.port);

  int connections = o.conns;
  if (o.mode == "fanout") {
    // One group: `members` receivers plus `senders` senders, all subscribers.
    std::string subs;
    for (int i = 0; i < o.members + o.senders; ++i) {
      subs += (i ? ",\"" : "\"") + o.prefix + "-m" + std::to_string(i) + "\"";
    }
    http_post(o, "/channel",
              "{\"channel_id\":\"" + o.prefix + "-group\",\"channel_type\":2,\"subscribers\":[" +
                  subs + "]}");
    connections = o.members + o.senders;
  }
  const auto before_rss = o.mode == "idle" ? server_rss(o) : 0;
  for (int i = 0; i < connections; ++i) {
    auto& ctx = *contexts[static_cast<size_t>(i % o.threads)];
    std::shared_ptr<BenchConnection> c;
    if (o.mode == "send") {
      // Person messages to an offline peer: the cost measured is SEND -> durable -> SENDACK.
      c = std::make_shared<BenchConnection>(ctx, o, shared, o.prefix + "-s" + std::to_string(i),
                                            o.prefix + "-r" + std::to_string(i), 1, true);
    } else if (o.mode == "fanout") {
      const bool sender = i >= o.members;
      c = std::make_shared<BenchConnection>(ctx, o, shared, o.prefix + "-m" + std::to_string(i),
                                            o.prefix + "-group", 2, sender);
    } else {
      c = std::make_shared<BenchConnection>(ctx, o, shared, o.prefix + "-i" + std::to_string(i), "",
                                            1, false);
    }
    const std::string source =
        o.sources.empty() ? "" : o.sources[static_cast<size_t>(i) % o.sources.size()];
    asio::post(ctx, [c, server, source] { c->start(server, source); });
    conns.push_back(std::move(c));
  }
  std::vector<std::thread> threads;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (auto& ctx : contexts) {
    guards.emplace_back(ctx->get_executor());
    threads.emplace_back([&ctx] { ctx->run(); });
  }
  const auto connect_deadline = Clock::now() + std::chrono::seconds(120);
  while (shared.ready + shared.failed < connections && Clock::now() < connect_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::printf("connected: %d of %d (%d failed)\n", shared.ready.load(), connections,
              shared.failed.load());

  // Optional pacing: about every millisecond each thread releases its share of the rate for
  // the time that really passed (timers fire late under load; the budget must not).
  std::vector<std::unique_ptr<asio::steady_timer>> pacers;
  std::function<void(size_t, Clock::time_point, double)> pace;
  if (o.rate > 0) {
    pace = [&](size_t t, Clock::time_point last, double carry) {
      auto& timer = *pacers[t];
      timer.expires_after(std::chrono::milliseconds(1));
      timer.async_wait([&, t, last, carry](boost::system::error_code ec) {
        if (ec || shared.stopping) return;
        const auto now = Clock::now();
        double budget =
            carry + o.rate / o.threads * std::chrono::duration<double>(now - last).count();
        bool sent = true;
        while (budget >= 1 && sent) {  // round-robin over this thread's connections
          sent = false;
          for (size_t i = t; i < conns.size() && budget >= 1; i += static_cast<size_t>(o.threads)) {
            if (conns[i]->has_room()) {
              conns[i]->pump(1);
              budget -= 1;
              sent = true;
            }
          }
        }
        pace(t, now, std::min(budget, o.rate / 100));  // never bank more than 10 ms
      });
    };
    for (int t = 0; t < o.threads; ++t) {
      pacers.push_back(std::make_unique<asio::steady_timer>(*contexts[static_cast<size_t>(t)]));
      asio::post(*contexts[static_cast<size_t>(t)],
                 [&pace, t] { pace(static_cast<size_t>(t), Clock::now(), 0); });
    }
  }

  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  shared.measuring = true;
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration));
  shared.measuring = false;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (o.mode == "idle") {
    const auto rss = server_rss(o);
    std::printf(
        "idle connections: %d, server RSS %.1f MiB (%.1f MiB before), %.2f KiB per connection\n",
        shared.ready.load(), rss / 1048576.0, before_rss / 1048576.0,
        shared.ready ? (rss - std::min(rss, before_rss)) / 1024.0 / shared.ready : 0.0);
  }
  shared.stopping = true;
  for (size_t i = 0; i < conns.size(); ++i) {
    asio::post(*contexts[i % contexts.size()], [c = conns[i]] {
      c->report();
      c->close();
    });
  }
  guards.clear();
  for (auto& t : threads) t.join();

  const auto& h = shared.latency;
  if (o.mode == "send" || o.mode == "fanout") {
    std::printf("sends acknowledged: %.0f /s (%llu in %.1f s, %llu refused)\n",
                shared.acks / elapsed, static_cast<unsigned long long>(shared.acks.load()), elapsed,
                static_cast<unsigned long long>(shared.ack_errors.load()));
    std::printf(
        "SEND->SENDACK latency ms: mean %.3f p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f\n",
        h.mean() / 1e6, h.percentile(0.5) / 1e6, h.percentile(0.9) / 1e6, h.percentile(0.99) / 1e6,
        h.percentile(0.999) / 1e6, h.max() / 1e6);
  }
  if (o.mode == "fanout") {
    std::printf("deliveries (RECV received): %.0f /s (%llu)\n", shared.recvs / elapsed,
                static_cast<unsigned long long>(shared.recvs.load()));
  }
  return shared.failed > 0 ? 1 : 0;
}

}  // namespace
}  // namespace jindou::bench

int main(int argc, char** argv) {
  jindou::bench::Options o;
  CLI::App app{"wkbench: wkproto load generator"};
  app.add_option("mode", o.mode, "send, fanout or idle")
      ->required()
      ->check(CLI::IsMember({"send", "fanout", "idle"}));
  app.add_option("--host", o.host, "server address");
  app.add_option("--port", o.port, "client TCP port");
  app.add_option("--http-port", o.http_port, "HTTP API port (setup, /varz)");
  app.add_option("--conns", o.conns, "connections (send, idle)");
  app.add_option("--window", o.window, "SENDs in flight per connection");
  app.add_option("--duration", o.duration, "measured seconds");
  app.add_option("--warmup", o.warmup, "seconds before measuring");
  app.add_option("--payload", o.payload, "payload bytes");
  app.add_flag("--plain", o.plain, "no encryption (server must have disableEncryption)");
  app.add_option("--version", o.version, "protocol version 2..5");
  app.add_option("--rate", o.rate, "total sends per second (0 = closed loop)");
  app.add_option("--members", o.members, "fanout: receiving group members");
  app.add_option("--senders", o.senders, "fanout: sending members");
  app.add_option("--threads", o.threads, "client io threads");
  app.add_option("--prefix", o.prefix, "uid prefix");
  app.add_option("--token", o.token, "managerToken for setup calls");
  app.add_option("--source", o.sources, "local source addresses (idle: 127.0.0.2 ...)");
  CLI11_PARSE(app, argc, argv);
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;  // idle mode holds one descriptor per connection
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  try {
    return jindou::bench::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "wkbench: %s\n", e.what());
    return 2;
  }
}
