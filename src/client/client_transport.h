// ClientTransport: the byte pipe under a WkClient — raw TCP or a WebSocket (binary messages),
// plain or over TLS — driven synchronously with deadlines.
//
// Internal to src/client. Each transport owns its io_context; nothing runs in the background:
// IO happens only inside connect(), flush() and run_until(), on the calling thread. One read is
// kept outstanding from connect() until the connection ends, so waiting never cancels a read and
// never loses bytes. Thread: one thread at a time. Lifecycle: create(), connect() once, then
// write/run until closed (by the peer, an IO error or close()).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "client/wk_client.h"  // Transport

namespace jindou::client {

// Bytes as they arrived: a TCP read (any split of the stream) or one whole WebSocket message.
struct Chunk {
  std::string_view bytes;
  bool ws_message = false;  // `bytes` is exactly one WebSocket message
  bool ws_text = false;     // ... and it was a text message
};

class ClientTransport {
 public:
  using Clock = std::chrono::steady_clock;
  using ChunkHandler = std::function<void(const Chunk&)>;

  // `ws_path` is the request target of the WebSocket upgrade (unused for TCP).
  static std::unique_ptr<ClientTransport> create(Transport kind, std::string ws_path);
  virtual ~ClientTransport();
  ClientTransport(const ClientTransport&) = delete;
  ClientTransport& operator=(const ClientTransport&) = delete;

  // Called for every chunk read, from inside run_until() / flush().
  void set_chunk_handler(ChunkHandler handler) { on_chunk_ = std::move(handler); }

  // Opens the connection (and upgrades it for WebSocket), then starts reading. Throws
  // std::runtime_error naming the address when that fails or the deadline passes.
  void connect(const std::string& host, uint16_t port, Clock::time_point deadline);
  // Queues `bytes` for writing (for WebSocket: as one binary message). Writes start at once and
  // progress whenever IO runs. Dropped when the connection is closed.
  void write(std::string bytes);
  // Runs IO until every queued write is done or the connection is closed. When the deadline
  // passes first (the server stopped reading) the connection is closed and std::runtime_error
  // thrown.
  void flush(Clock::time_point deadline);
  // Runs IO until `ready()` holds, nothing more can happen (closed, no IO pending) or the
  // deadline passes; returns ready(). A deadline in the past only handles what is ready now.
  bool run_until(Clock::time_point deadline, const std::function<bool()>& ready);
  // Closes the socket now; `reason` becomes close_reason() unless the connection already ended.
  void close(const std::string& reason);
  // No read is started after the one outstanding now: to the server this client has stopped
  // reading, while it can still write.
  void stop_reading() { reading_stopped_ = true; }

  bool closed() const { return closed_; }
  // Why the connection ended, e.g. "closed by the server (EOF)".
  const std::string& close_reason() const { return close_reason_; }

 protected:
  using Tcp = boost::asio::ip::tcp;
  using ErrorCode = boost::system::error_code;
  using Done = std::function<void(const ErrorCode&)>;
  using ReadDone = std::function<void(const ErrorCode&, const Chunk&)>;

  ClientTransport() = default;

  // Transport hooks. Each completes through io_ with its handler.
  virtual void async_open(const Tcp::endpoint& endpoint, std::string host_header, Done done) = 0;
  virtual void async_read(ReadDone done) = 0;
  virtual void async_write(const std::string& bytes, Done done) = 0;
  virtual void close_socket() = 0;
  // Describes a read error as a close reason.
  virtual std::string describe_read_error(const ErrorCode& ec) const;

  boost::asio::io_context io_;

 private:
  void read_next();
  void write_next();
  void mark_closed(std::string reason);

  ChunkHandler on_chunk_;
  std::deque<std::string> out_;  // front() is being written while write_in_flight_
  bool write_in_flight_ = false;
  bool reading_stopped_ = false;
  bool closed_ = false;
  std::string close_reason_;
};

}  // namespace jindou::client
