// WsConnection: wkproto over WebSocket (RFC 6455, Boost.Beast), plain or TLS. Any path upgrades;
// binary messages feed the same byte-stream decoder as TCP (several packets per message, or a
// packet split across messages); text messages are ignored; every outbound packet is its own
// binary message (the npm JS SDK 1.0.4 cannot parse two packets in one message).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>

#include <memory>

#include "gateway/client_connection.h"

namespace jindou::gateway {

// Creates a WebSocket connection over `socket`; with `tls` non-null the stream is TLS first.
std::shared_ptr<ClientConnection> make_ws_connection(const SessionContext& session,
                                                     boost::asio::io_context& context,
                                                     size_t executor, uint64_t id,
                                                     boost::asio::ip::tcp::socket socket,
                                                     boost::asio::ssl::context* tls);

}  // namespace jindou::gateway
