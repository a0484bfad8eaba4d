#include "gateway/gateway.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>

#include "gateway/client_connection.h"
#include "gateway/tcp_connection.h"
#include "gateway/ws_connection.h"
#include "runtime/connection_sets.h"
#include "runtime/listener.h"

namespace jindou::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

enum class ListenerKind { kTcp, kWs, kWss };

struct Gateway::Impl {
  Gateway& gateway;
  // Every connection is visited once a second: timeouts, kick delays, RECV resends.
  runtime::ConnectionSets<ClientConnection> sets;
  std::vector<std::unique_ptr<runtime::Listener>> listeners;
  std::vector<ListenerKind> kinds;
  std::unique_ptr<asio::ssl::context> tls;

  explicit Impl(Gateway& g)
      : gateway(g),
        sets(g.contexts_, std::chrono::seconds(1),
             [](ClientConnection& c, Clock::time_point now) { c.tick(now); }) {}

  void listen(ListenerKind kind, const ListenAddress& address, const char* name) {
    auto listener = std::make_unique<runtime::Listener>(gateway.contexts_, name);
    listener->bind(address.host, address.port);
    listeners.push_back(std::move(listener));
    kinds.push_back(kind);
  }

  // On io thread `index`, which the connection then never leaves.
  void start_connection(ListenerKind kind, size_t index, tcp::socket socket) {
    auto& ctx = *gateway.contexts_[index];
    const uint64_t id = gateway.next_connection_id();
    std::shared_ptr<ClientConnection> conn;
    if (kind == ListenerKind::kTcp) {
      conn = std::make_shared<TcpConnection>(gateway.session_, ctx, index, id, std::move(socket),
                                             gateway.options_.trust_proxy_protocol);
    } else {
      conn = make_ws_connection(gateway.session_, ctx, index, id, std::move(socket),
                                kind == ListenerKind::kWss ? tls.get() : nullptr);
    }
    gateway.adopt(index, conn);
  }
};

Gateway::Gateway(std::vector<asio::io_context*> contexts, engine::Engine& engine,
                 engine::PresenceTable& presence, GatewayOptions options,
                 runtime::Executor* blocking_reads)
    : contexts_(std::move(contexts)),
      engine_(engine),
      options_(std::move(options)),
      users_(engine),
      session_{.engine = engine_,
               .presence = presence,
               .options = options_,
               .counters = counters_,
               .users = users_,
               .blocking_reads = blocking_reads,
               .forget = [this](size_t index, uint64_t id) { forget(index, id); }},
      // The node id in the high bits: a connection id names one connection in a cluster (a
      // delivery from another node skips the sending connection by it).
      next_id_((options_.node_id << 40) | 1) {
  impl_ = std::make_unique<Impl>(*this);
}

Gateway::~Gateway() = default;

void Gateway::set_cluster(cluster::Cluster* cluster) {
  if (cluster == nullptr) return;
  logins_ = std::make_unique<LoginAnnouncer>(*cluster);
  session_.announce_login = [logins = logins_.get()](const engine::LinkInfo& info) {
    logins->announce(info);
  };
}

void Gateway::start() {
  auto bind = [this](ListenerKind kind, const ListenAddress& address, const char* key) {
    try {
      impl_->listen(kind, address, (std::string("gateway ") + key).c_str());
    } catch (const boost::system::system_error& e) {
      throw std::runtime_error(std::string("cannot listen on ") + key + " " + address.host + ":" +
                               std::to_string(address.port) + ": " + e.code().message());
    }
  };
  bind(ListenerKind::kTcp, options_.tcp, "addr");
  bind(ListenerKind::kWs, options_.ws, "wsAddr");
  if (options_.wss) {
    impl_->tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    impl_->tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                            asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                            asio::ssl::context::no_tlsv1_1);
    // Name the setting and the file in the error: it is what the operator has to fix.
    auto load = [](const char* key, const std::string& path, auto&& action) {
      boost::system::error_code ec;
      action(ec);
      if (ec) {
        throw std::runtime_error(std::string(key) + " " + path + " is not usable: " + ec.message());
      }
    };
    load("wssConfig.certFile", options_.wss_cert_file, [&](boost::system::error_code& ec) {
      impl_->tls->use_certificate_chain_file(options_.wss_cert_file, ec);
    });
    load("wssConfig.keyFile", options_.wss_key_file, [&](boost::system::error_code& ec) {
      impl_->tls->use_private_key_file(options_.wss_key_file, asio::ssl::context::pem, ec);
    });
    bind(ListenerKind::kWss, *options_.wss, "wssAddr");
  }
  for (size_t i = 0; i < impl_->listeners.size(); ++i) {
    impl_->listeners[i]->start([this, kind = impl_->kinds[i]](size_t index, tcp::socket socket) {
      impl_->start_connection(kind, index, std::move(socket));
    });
  }
  impl_->sets.start();
}

void Gateway::stop() {
  if (stopping_.exchange(true)) return;
  // No more announcements: the cluster stops after the gateway.
  if (logins_) logins_->stop();
  for (auto& l : impl_->listeners) l->stop();
  impl_->sets.stop();
  impl_->sets.for_each([](ClientConnection& c) { c.close_when_answered(); });
}

void Gateway::abort_all() {
  stop();
  impl_->sets.for_each([](ClientConnection& c) { c.close("server shutting down"); });
}

uint16_t Gateway::tcp_port() const {
  return impl_->listeners.empty() ? 0 : impl_->listeners[0]->port();
}

uint16_t Gateway::ws_port() const {
  return impl_->listeners.size() < 2 ? 0 : impl_->listeners[1]->port();
}

uint16_t Gateway::wss_port() const {
  return impl_->listeners.size() < 3 ? 0 : impl_->listeners[2]->port();
}

size_t Gateway::connections_open() const {
  return impl_->sets.size();
}

void Gateway::adopt(size_t index, const std::shared_ptr<ClientConnection>& connection) {
  if (stopping()) return connection->close("server shutting down");
  impl_->sets.add(index, connection);
  connection->start();
}

void Gateway::forget(size_t index, uint64_t id) {
  impl_->sets.remove(index, id);
}

}  // namespace jindou::gateway
