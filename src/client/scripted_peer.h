// ScriptedPeer: the server side of a WkClient unit test. It listens on a free loopback port and
// runs `serve` (which accepts the connection and plays its part) on a thread of its own. If the
// client goes away mid-script, serve's exception ends the thread quietly: the test's own
// assertions tell what matters. Declare it before the client, so the client closes first and a
// script waiting for the close ends.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <thread>
#include <utility>

#include "client/wk_client.h"
#include "proto/packet.h"

namespace jindou::client {

class ScriptedPeer {
 public:
  using Serve = std::function<void(boost::asio::ip::tcp::acceptor&)>;

  explicit ScriptedPeer(Serve serve)
      : thread_([this, serve = std::move(serve)] {
          try {
            serve(acceptor_);
          } catch (const std::exception&) {
            // The client went away mid-script.
          }
        }) {}
  ~ScriptedPeer() { thread_.join(); }
  ScriptedPeer(const ScriptedPeer&) = delete;
  ScriptedPeer& operator=(const ScriptedPeer&) = delete;

  // Options for a client of this peer: uid "u1", a 10 s io timeout.
  ClientOptions options(Transport transport) const {
    ClientOptions o;
    o.port = acceptor_.local_endpoint().port();
    o.transport = transport;
    o.uid = "u1";
    o.io_timeout = std::chrono::seconds(10);
    return o;
  }

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_{
      io_, boost::asio::ip::tcp::endpoint(boost::asio::ip::address_v4::loopback(), 0)};
  std::thread thread_;  // last: starts once the acceptor is listening
};

// The RECV the scripted peers send: message 42 (seq 7) from u2 in their person channel, with
// `flags`; the caller sets the payload (and msg_key when encrypting).
inline proto::RecvView SampleRecv(uint8_t flags) {
  proto::RecvView recv;
  recv.flags = flags;
  recv.from_uid = "u2";
  recv.channel_id = "u2";
  recv.channel_type = 1;
  recv.client_msg_no = "cmn-1";
  recv.message_id = 42;
  recv.message_seq = 7;
  recv.timestamp = 1'700'000'000;
  return recv;
}

}  // namespace jindou::client
