#include "gateway/gateway.h"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <unordered_map>

#include "gateway/client_connection.h"
#include "gateway/tcp_connection.h"
#include "gateway/ws_connection.h"

namespace jindou::gateway {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Connections of one io context and the ticker that drives their timers.
struct ConnectionSet {
  explicit ConnectionSet(asio::io_context& ctx) : context(ctx), ticker(ctx) {}
  asio::io_context& context;
  asio::steady_timer ticker;
  std::unordered_map<uint64_t, std::shared_ptr<ClientConnection>> connections;
};

enum class ListenerKind { kTcp, kWs, kWss };

struct Listener {
  Listener(asio::io_context& ctx, ListenerKind k) : acceptor(ctx), retry(ctx), kind(k) {}
  tcp::acceptor acceptor;
  asio::steady_timer retry;  // pause after a failed accept (e.g. out of file descriptors)
  ListenerKind kind;
  Clock::time_point last_warning{};
};

struct Gateway::Impl {
  Gateway& gateway;
  std::vector<std::unique_ptr<ConnectionSet>> sets;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::unique_ptr<asio::ssl::context> tls;

  explicit Impl(Gateway& g) : gateway(g) {}

  void listen(ListenerKind kind, const ListenAddress& address) {
    auto listener = std::make_unique<Listener>(*gateway.contexts_.front(), kind);
    tcp::endpoint endpoint(asio::ip::make_address(address.host), address.port);
    auto& a = listener->acceptor;
    a.open(endpoint.protocol());
    a.set_option(asio::socket_base::reuse_address(true));
    a.bind(endpoint);
    a.listen(asio::socket_base::max_listen_connections);
    listeners.push_back(std::move(listener));
  }

  void accept(Listener& l) {
    const size_t index = gateway.pick_context();
    l.acceptor.async_accept(
        *gateway.contexts_[index],
        [this, &l, index](const boost::system::error_code& ec, tcp::socket socket) {
          if (gateway.stopping() || ec == asio::error::operation_aborted) return;
          if (!ec) {
            start_connection(l.kind, index, std::move(socket));
            return accept(l);
          }
          // Out of file descriptors and similar: say so (once a minute), pause, keep accepting.
          const auto now = Clock::now();
          if (now - l.last_warning > std::chrono::minutes(1)) {
            l.last_warning = now;
            spdlog::warn("gateway: cannot accept a connection: {} ({} open)", ec.message(),
                         gateway.engine_.presence().connection_count());
          }
          l.retry.expires_after(std::chrono::milliseconds(100));
          l.retry.async_wait([this, &l](const boost::system::error_code& wec) {
            if (!wec && !gateway.stopping()) accept(l);
          });
        });
  }

  void start_connection(ListenerKind kind, size_t index, tcp::socket socket) {
    auto& ctx = *gateway.contexts_[index];
    const uint64_t id = gateway.next_connection_id();
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // every transport: no Nagle delay
    std::shared_ptr<ClientConnection> conn;
    if (kind == ListenerKind::kTcp) {
      conn = std::make_shared<TcpConnection>(gateway.session_, ctx, index, id, std::move(socket),
                                             gateway.options_.trust_proxy_protocol);
    } else {
      conn = make_ws_connection(gateway.session_, ctx, index, id, std::move(socket),
                                kind == ListenerKind::kWss ? tls.get() : nullptr);
    }
    asio::post(ctx, [this, index, conn] { gateway.adopt(index, conn); });
  }

  void arm_ticker(ConnectionSet& set) {
    set.ticker.expires_after(std::chrono::seconds(1));
    set.ticker.async_wait([this, &set](const boost::system::error_code& ec) {
      if (ec || gateway.stopping()) return;
      const auto now = Clock::now();
      // Ticking may close connections, which erases them from the set: tick a snapshot.
      std::vector<std::shared_ptr<ClientConnection>> snapshot;
      snapshot.reserve(set.connections.size());
      for (auto& [id, c] : set.connections) snapshot.push_back(c);
      for (auto& c : snapshot) c->tick(now);
      arm_ticker(set);
    });
  }
};

Gateway::Gateway(std::vector<asio::io_context*> contexts, engine::Engine& engine,
                 GatewayOptions options, runtime::Executor* blocking_reads)
    : contexts_(std::move(contexts)),
      engine_(engine),
      options_(std::move(options)),
      users_(engine),
      session_{.engine = engine_,
               .options = options_,
               .counters = counters_,
               .users = users_,
               .blocking_reads = blocking_reads,
               .forget = [this](size_t index, uint64_t id) { forget(index, id); }} {
  impl_ = std::make_unique<Impl>(*this);
  for (auto* ctx : contexts_) impl_->sets.push_back(std::make_unique<ConnectionSet>(*ctx));
}

Gateway::~Gateway() = default;

void Gateway::start() {
  auto bind = [this](ListenerKind kind, const ListenAddress& address, const char* key) {
    try {
      impl_->listen(kind, address);
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
  for (auto& l : impl_->listeners) {
    asio::post(l->acceptor.get_executor(), [this, l = l.get()] { impl_->accept(*l); });
  }
  for (auto& set : impl_->sets) {
    asio::post(set->context, [this, s = set.get()] { impl_->arm_ticker(*s); });
  }
}

void Gateway::stop() {
  if (stopping_.exchange(true)) return;
  for (auto& l : impl_->listeners) {
    asio::post(l->acceptor.get_executor(), [l = l.get()] {
      boost::system::error_code ignored;
      l->acceptor.close(ignored);
      l->retry.cancel();
    });
  }
  for (auto& set : impl_->sets) {
    asio::post(set->context, [s = set.get()] {
      s->ticker.cancel();
      std::vector<std::shared_ptr<ClientConnection>> all;
      for (auto& [id, c] : s->connections) all.push_back(c);
      for (auto& c : all) c->close_when_answered();
    });
  }
}

void Gateway::abort_all() {
  stop();
  for (auto& set : impl_->sets) {
    asio::post(set->context, [s = set.get()] {
      std::vector<std::shared_ptr<ClientConnection>> all;
      for (auto& [id, c] : s->connections) all.push_back(c);
      for (auto& c : all) c->close("server shutting down");
    });
  }
}

uint16_t Gateway::tcp_port() const {
  return impl_->listeners.empty() ? 0 : impl_->listeners[0]->acceptor.local_endpoint().port();
}

uint16_t Gateway::ws_port() const {
  return impl_->listeners.size() < 2 ? 0 : impl_->listeners[1]->acceptor.local_endpoint().port();
}

uint16_t Gateway::wss_port() const {
  return impl_->listeners.size() < 3 ? 0 : impl_->listeners[2]->acceptor.local_endpoint().port();
}

void Gateway::adopt(size_t index, std::shared_ptr<ClientConnection> connection) {
  if (stopping()) return connection->close("server shutting down");
  impl_->sets[index]->connections.emplace(connection->id(), connection);
  open_.fetch_add(1, std::memory_order_relaxed);
  connection->start();
}

void Gateway::forget(size_t index, uint64_t id) {
  if (impl_->sets[index]->connections.erase(id) > 0) {
    open_.fetch_sub(1, std::memory_order_relaxed);
  }
}

}  // namespace jindou::gateway
