// streambench: stream chunks per second over HTTP and the latency from a chunk's /message/send
// to its ___TextMessageContent EVENT at a connected protocol v5 client.
//
//   streambench --streams 1 --conns 16 --duration 10                 closed loop, one stream
//   streambench --streams 1000 --conns 16 --duration 10 --rate 5000  paced, 1,000 streams
//
// Setup: one group per stream with the sender and one receiver as members, one v5 client
// connected as the receiver, /stream/open for each. Then `conns` HTTP connections (one thread
// each, keep-alive) send chunks round-robin over the streams, one request in flight each; with
// --rate they follow a schedule and each chunk carries its intended send time, so latency is
// measured open loop (a late send counts its wait). Chunk latency: intended send time -> EVENT
// read by the receiver.
#include <CLI/CLI.hpp>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_http.h"
#include "bench/latency_histogram.h"
#include "client/wk_client.h"
#include "model/base64.h"

namespace jindou::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string host = "127.0.0.1";
  uint16_t port = 5100;
  uint16_t http_port = 5001;
  int streams = 1;
  int conns = 16;
  double duration = 10;
  double warmup = 2;
  double rate = 0;  // chunks per second over all connections; 0 = closed loop
  size_t payload = 32;
  bool plain = false;
  bool messages = false;  // the floor: plain messages to the same groups instead of chunks
  std::string prefix = "sb";
  std::string token;
};

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

// The value of "key":"..." in a flat JSON object (the server's own answers and EVENT data).
std::string string_field(const std::string& json, const std::string& key) {
  const std::string needle = "\"" + key + "\":\"";
  const size_t at = json.find(needle);
  if (at == std::string::npos) return {};
  const size_t from = at + needle.size();
  const size_t to = json.find('"', from);
  return to == std::string::npos ? std::string() : json.substr(from, to - from);
}

struct Shared {
  std::atomic<bool> measuring{false};
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> acked{0};
  std::atomic<uint64_t> failed{0};
  std::atomic<uint64_t> events{0};
  LatencyHistogram latency;  // receiver thread only
  std::mutex ack_mu;
  LatencyHistogram ack_latency;  // intended send -> HTTP answer
};

int run(const Options& o) {
  HttpConnection setup(o.host, o.http_port, o.token);
  const std::string bot = o.prefix + "-bot";
  const std::string receiver = o.prefix + "-reader";
  std::vector<std::string> streams;
  for (int i = 0; i < o.streams; ++i) {
    const std::string group = o.prefix + "-g" + std::to_string(i);
    auto [status, body] = setup.post("/channel", "{\"channel_id\":\"" + group +
                                                     "\",\"channel_type\":2,\"subscribers\":[\"" +
                                                     bot + "\",\"" + receiver + "\"]}");
    if (status != 200) throw std::runtime_error("/channel answered " + body);
  }
  client::ClientOptions co;
  co.host = o.host;
  co.port = o.port;
  co.uid = receiver;
  co.version = 5;
  co.encryption = !o.plain;
  client::WkClient reader(co);
  if (reader.connect().reason_code != ReasonCode::kSuccess) {
    throw std::runtime_error("the receiver could not connect");
  }
  for (int i = 0; i < o.streams; ++i) {
    const std::string group = o.prefix + "-g" + std::to_string(i);
    auto [status, body] =
        setup.post("/stream/open", "{\"from_uid\":\"" + bot + "\",\"channel_id\":\"" + group +
                                       "\",\"channel_type\":2,\"payload\":\"" +
                                       base64_encode("answer") + "\"}");
    if (status != 200) throw std::runtime_error("/stream/open answered " + body);
    streams.push_back(string_field(body, "stream_no"));
  }
  std::printf("streams open: %zu, receiver connected (protocol 5)\n", streams.size());

  Shared shared;
  std::thread reading([&] {
    while (!shared.stopping) {
      auto p = reader.next_packet(std::chrono::milliseconds(200));
      if (!p) {
        if (reader.closed()) return;
        continue;
      }
      std::optional<std::string> payload;
      if (const auto* recv = std::get_if<proto::Recv>(&*p); recv != nullptr && o.messages) {
        payload = recv->payload;
      } else if (const auto* event = std::get_if<proto::Event>(&*p);
                 event != nullptr && event->type == "___TextMessageContent") {
        payload = base64_decode(string_field(event->data, "payload"));
      }
      if (!payload || !shared.measuring) continue;
      const int64_t sent = std::strtoll(payload->c_str(), nullptr, 10);
      shared.latency.record(static_cast<uint64_t>(std::max<int64_t>(0, now_ns() - sent)));
      shared.events.fetch_add(1, std::memory_order_relaxed);
    }
  });

  std::vector<std::thread> senders;
  const auto start_at = Clock::now();
  for (int c = 0; c < o.conns; ++c) {
    senders.emplace_back([&, c] {
      HttpConnection conn(o.host, o.http_port, o.token);
      const double interval_ns = o.rate > 0 ? 1e9 * o.conns / o.rate : 0;
      // Each connection starts at its own offset in the schedule.
      double next = interval_ns * c / std::max(1, o.conns);
      size_t s = static_cast<size_t>(c) % streams.size();
      while (!shared.stopping) {
        int64_t intended = now_ns();
        if (interval_ns > 0) {
          const auto due = start_at + std::chrono::nanoseconds(static_cast<int64_t>(next));
          std::this_thread::sleep_until(due);
          intended =
              std::chrono::duration_cast<std::chrono::nanoseconds>(due.time_since_epoch()).count();
          next += interval_ns;
        }
        std::string text = std::to_string(intended) + " ";
        if (text.size() < o.payload) text.resize(o.payload, 'x');
        const std::string body = o.messages ? "{\"from_uid\":\"" + bot + "\",\"channel_id\":\"" +
                                                  o.prefix + "-g" + std::to_string(s) +
                                                  "\",\"channel_type\":2,\"payload\":\"" +
                                                  base64_encode(text) + "\"}"
                                            : "{\"stream_no\":\"" + streams[s] +
                                                  "\",\"payload\":\"" + base64_encode(text) + "\"}";
        s = (s + static_cast<size_t>(o.conns)) % streams.size();
        try {
          auto [status, answer] = conn.post("/message/send", body);
          if (!shared.measuring) continue;
          if (status == 200) {
            shared.acked.fetch_add(1, std::memory_order_relaxed);
            const int64_t took = now_ns() - intended;
            std::lock_guard lock(shared.ack_mu);
            shared.ack_latency.record(static_cast<uint64_t>(std::max<int64_t>(0, took)));
          } else {
            shared.failed.fetch_add(1, std::memory_order_relaxed);
          }
        } catch (const std::exception& e) {
          std::fprintf(stderr, "sender %d: %s\n", c, e.what());
          shared.failed.fetch_add(1);
          return;
        }
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  shared.measuring = true;
  const auto start = Clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration));
  shared.measuring = false;
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  shared.stopping = true;
  for (auto& t : senders) t.join();
  reading.join();
  for (const auto& stream_no : streams) {
    setup.post("/stream/close", "{\"stream_no\":\"" + stream_no + "\"}");
  }
  const auto& a = shared.ack_latency;
  std::printf(
      "send -> HTTP answer latency ms: mean %.3f p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f"
      " max %.3f\n",
      a.mean() / 1e6, a.percentile(0.5) / 1e6, a.percentile(0.9) / 1e6, a.percentile(0.99) / 1e6,
      a.percentile(0.999) / 1e6, a.max() / 1e6);
  const auto& h = shared.latency;
  std::printf("%s acknowledged: %.0f /s (%llu in %.1f s, %llu failed), %zu stream(s)\n",
              o.messages ? "messages" : "chunks", static_cast<double>(shared.acked) / elapsed,
              static_cast<unsigned long long>(shared.acked.load()), elapsed,
              static_cast<unsigned long long>(shared.failed.load()), streams.size());
  std::printf(
      "%s latency ms: mean %.3f p50 %.3f p90 %.3f p99 %.3f p99.9 %.3f max %.3f"
      " (%llu events)\n",
      o.messages ? "message -> RECV" : "chunk -> EVENT", h.mean() / 1e6, h.percentile(0.5) / 1e6,
      h.percentile(0.9) / 1e6, h.percentile(0.99) / 1e6, h.percentile(0.999) / 1e6, h.max() / 1e6,
      static_cast<unsigned long long>(shared.events.load()));
  return shared.failed > 0 ? 1 : 0;
}

}  // namespace
}  // namespace jindou::bench

int main(int argc, char** argv) {
  jindou::bench::Options o;
  CLI::App app{"streambench: stream chunks over HTTP, EVENTs at a v5 client"};
  app.add_option("--host", o.host, "server address");
  app.add_option("--port", o.port, "client TCP port");
  app.add_option("--http-port", o.http_port, "HTTP API port");
  app.add_option("--streams", o.streams, "streams open at once, one group each")
      ->check(CLI::Range(1, 100000));
  app.add_option("--conns", o.conns, "HTTP connections sending chunks")->check(CLI::Range(1, 1000));
  app.add_option("--duration", o.duration, "measured seconds");
  app.add_option("--warmup", o.warmup, "seconds before measuring");
  app.add_option("--rate", o.rate, "chunks per second over all connections (0 = closed loop)");
  app.add_option("--payload", o.payload, "chunk bytes (at least the timestamp)");
  app.add_flag("--plain", o.plain, "no encryption (server must have disableEncryption)");
  app.add_flag("--messages", o.messages,
               "send plain messages to the same groups instead of chunks (the floor)");
  app.add_option("--prefix", o.prefix, "uid and group prefix");
  app.add_option("--token", o.token, "managerToken");
  CLI11_PARSE(app, argc, argv);
  try {
    return jindou::bench::run(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "streambench: %s\n", e.what());
    return 2;
  }
}
