#include "support/cluster_process.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

namespace jindou::testing {
namespace {

// Whether a loopback TCP listener could bind `port` right now.
bool port_free(int port) {
  if (port <= 0 || port > 65535) return false;
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string make_temp_dir(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  return pattern;
}

bool executable(const std::string& path) {
  return !path.empty() && ::access(path.c_str(), X_OK) == 0 && !std::filesystem::is_directory(path);
}

// The nats-server jindou would run (NatsChild::find_binary's rule); empty when there is none.
std::string nats_server_binary() {
  if (const char* given = std::getenv("JINDOU_NATS_SERVER"); given != nullptr && *given != '\0') {
    return executable(given) ? std::string(given) : std::string();
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::istringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (!dir.empty() && executable(dir + "/nats-server")) return dir + "/nats-server";
    }
  }
  for (const char* candidate : {"/usr/sbin/nats-server", "/usr/local/sbin/nats-server"}) {
    if (executable(candidate)) return candidate;
  }
  return {};
}

// A shell word: `s` in single quotes.
std::string sh_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

std::string tail_lines(const std::string& text, size_t lines) {
  size_t at = text.size();
  if (at > 0 && text[at - 1] == '\n') --at;
  for (size_t n = 0; n < lines && at > 0; ++n) {
    const size_t nl = text.rfind('\n', at - 1);
    if (nl == std::string::npos) return text;
    at = nl;
  }
  return at == 0 ? text : text.substr(at + 1);
}

ClusterProcess::ClusterProcess(int nodes, ServerOptions base) {
  if (nodes < 1) throw std::invalid_argument("a cluster needs at least one node");
  // A NATS cluster name of our own (see the header), given through a wrapper of nats-server.
  dir_ = make_temp_dir("jindou-cluster");
  nats_cluster_name_ = "jdtest-" + dir_.substr(dir_.rfind('-') + 1);
  std::string wrapper;
  if (const std::string binary = nats_server_binary(); !binary.empty()) {
    wrapper = dir_ + "/nats-server";
    std::ofstream(wrapper) << "#!/bin/sh\n# Written by the test's ClusterProcess.\nexec "
                           << sh_quoted(binary) << " \"$@\" --cluster_name "
                           << sh_quoted(nats_cluster_name_) << "\n";
    std::filesystem::permissions(wrapper, std::filesystem::perms::owner_all);
  }
  // Route and NATS ports: distinct, free now, and (for NATS) with a free monitoring port.
  std::set<int> taken;
  const auto pick = [&taken](bool nats) {
    for (int tries = 0; tries < 1000; ++tries) {
      const int p = free_port();
      if (taken.count(p) != 0 || taken.count(p + 4000) != 0) continue;
      if (nats && p + 4000 <= 65535 && !port_free(p + 4000)) continue;
      taken.insert(p);
      if (nats && p + 4000 <= 65535) taken.insert(p + 4000);
      return static_cast<uint16_t>(p);
    }
    throw std::runtime_error("no free ports for the cluster");
  };
  nodes_.resize(static_cast<size_t>(nodes));
  for (auto& n : nodes_) {
    n.route_port = pick(false);
    n.nats_port = pick(true);
  }
  std::string init_nodes;
  for (int i = 0; i < nodes; ++i) {
    if (!init_nodes.empty()) init_nodes += ' ';
    init_nodes += std::to_string(i + 1) + "@127.0.0.1:" + std::to_string(nodes_[i].route_port);
  }
  for (int i = 0; i < nodes; ++i) {
    ServerOptions o = base;
    o.env.emplace_back("WK_CLUSTER_NODEID", std::to_string(i + 1));
    o.env.emplace_back("WK_CLUSTER_ADDR", "127.0.0.1:" + std::to_string(nodes_[i].route_port));
    o.env.emplace_back("WK_CLUSTER_NATSADDR", "127.0.0.1:" + std::to_string(nodes_[i].nats_port));
    o.env.emplace_back("WK_CLUSTER_INITNODES", init_nodes);
    if (!wrapper.empty()) o.env.emplace_back("JINDOU_NATS_SERVER", wrapper);
    nodes_[i].server = std::make_unique<ServerProcess>(std::move(o));
  }
  // The servers' own ports were picked while ours were closed: make sure none collides.
  for (auto& n : nodes_) {
    for (uint16_t p : {n.server->http_port(), n.server->tcp_port(), n.server->ws_port(),
                       n.server->manager_port()}) {
      if (taken.count(p) != 0) {
        throw std::runtime_error("port " + std::to_string(p) +
                                 " was picked twice; run the test again");
      }
    }
  }
}

ClusterProcess::~ClusterProcess() {
  // Every node at once, so none of them spends its last moments failing over to the others.
  for (auto& n : nodes_) {
    if (n.server && n.server->running()) n.server->signal(SIGKILL);
  }
  for (auto& n : nodes_) {
    if (n.server) n.server->kill9();
  }
  const char* keep = std::getenv("JINDOU_KEEP_TEST_DIRS");
  if (keep == nullptr || *keep == '\0') {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

void ClusterProcess::start() {
  for (auto& n : nodes_) {
    if (!n.server->running()) n.server->spawn();
  }
  for (size_t i = 0; i < nodes_.size(); ++i) {
    try {
      nodes_[i].server->wait_ready();
    } catch (const std::exception& e) {
      throw std::runtime_error("node " + std::to_string(i + 1) + " did not start: " + e.what() +
                               "\nits nats-server log:\n" +
                               tail_lines(nats_log(static_cast<int>(i + 1)), 40));
    }
  }
}

void ClusterProcess::start(int n) {
  ServerProcess& s = node(n);
  s.spawn();
  try {
    s.wait_ready();
  } catch (const std::exception& e) {
    throw std::runtime_error("node " + std::to_string(n) + " did not start: " + e.what() +
                             "\nits nats-server log:\n" + tail_lines(nats_log(n), 40));
  }
}

void ClusterProcess::kill9(int n) {
  node(n).kill9();
}

int ClusterProcess::stop(int n) {
  return node(n).stop();
}

ServerProcess& ClusterProcess::node(int n) {
  if (n < 1 || n > size()) throw std::out_of_range("no node " + std::to_string(n));
  return *nodes_[static_cast<size_t>(n - 1)].server;
}

const ServerProcess& ClusterProcess::node(int n) const {
  if (n < 1 || n > size()) throw std::out_of_range("no node " + std::to_string(n));
  return *nodes_[static_cast<size_t>(n - 1)].server;
}

uint16_t ClusterProcess::route_port(int n) const {
  (void)node(n);
  return nodes_[static_cast<size_t>(n - 1)].route_port;
}

uint16_t ClusterProcess::nats_port(int n) const {
  (void)node(n);
  return nodes_[static_cast<size_t>(n - 1)].nats_port;
}

pid_t ClusterProcess::nats_pid(int n) const {
  const auto pids = node(n).child_pids("nats-server");
  return pids.empty() ? 0 : pids.front();
}

std::string ClusterProcess::nats_log_path(int n) const {
  return node(n).data_dir() + "/nats/nats-server.log";
}

std::string ClusterProcess::nats_log(int n) const {
  return read_text(nats_log_path(n));
}

std::string ClusterProcess::logs_tail(size_t lines) const {
  std::string out;
  for (int n = 1; n <= size(); ++n) {
    out += "---- node " + std::to_string(n) + " jindou log (" + node(n).root_dir() +
           "/server.log), last " + std::to_string(lines) + " lines:\n";
    out += tail_lines(node(n).log(), lines);
    out += "\n---- node " + std::to_string(n) + " nats-server log (" + nats_log_path(n) +
           "), last " + std::to_string(lines / 2) + " lines:\n";
    out += tail_lines(nats_log(n), lines / 2);
    out += "\n";
  }
  return out;
}

}  // namespace jindou::testing
