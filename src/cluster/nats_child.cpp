#include "cluster/nats_child.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "model/channel.h"

namespace jindou::cluster {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr milliseconds kFirstBackoff{500};
constexpr milliseconds kMaxBackoff{5000};
// A child that ran this long before exiting gets the first back-off again.
constexpr std::chrono::seconds kStableRun{10};
constexpr std::chrono::seconds kStopGrace{5};

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

std::string host_port(const std::string& host, uint16_t port) {
  return config::Address{host, port}.to_string();
}

std::string server_name(const ClusterOptions& o) {
  return "jd-" + std::to_string(o.node_id);
}

// The host to dial for a listen address: a wildcard means this machine.
std::string dial_host(const std::string& listen_host) {
  if (listen_host.empty() || listen_host == "0.0.0.0") return "127.0.0.1";
  if (listen_host == "::") return "::1";
  return listen_host;
}

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "ended (wait status " + std::to_string(status) + ")";
}

// The last non-empty line of the file, for an error message; empty when there is none.
std::string last_line(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::string last;
  while (std::getline(in, line)) {
    if (!line.empty()) last = line;
  }
  return last;
}

bool executable(const std::string& path) {
  return !path.empty() && ::access(path.c_str(), X_OK) == 0 && !std::filesystem::is_directory(path);
}

}  // namespace

NatsChild::NatsChild(ClusterOptions options) : options_(std::move(options)) {
  options_.data_dir = std::filesystem::absolute(options_.data_dir).lexically_normal().string();
  config_path_ = (std::filesystem::path(options_.data_dir) / "nats.conf").string();
  log_path_ = (std::filesystem::path(options_.data_dir) / "nats-server.log").string();
}

NatsChild::~NatsChild() {
  stop();
}

std::string NatsChild::config_text(const ClusterOptions& o) {
  std::ostringstream c;
  c << "# Written by jindou at each start from its cluster.* settings; edits are overwritten.\n";
  c << "server_name: " << quoted(server_name(o)) << "\n";
  c << "listen: " << quoted(host_port(o.nats_host, o.nats_port)) << "\n";
  if (const uint16_t monitor = monitor_port(o.nats_port); monitor != 0) {
    c << "http: " << quoted(host_port(o.nats_host, monitor)) << "\n";
  }
  c << "jetstream {\n";
  c << "  store_dir: " << quoted((std::filesystem::path(o.data_dir) / "store").string()) << "\n";
  c << "}\n";
  std::vector<std::string> routes;
  for (const auto& node : o.init_nodes) {
    if (node.id != o.node_id) routes.push_back("nats-route://" + host_port(node.host, node.port));
  }
  // Without another node there is no cluster block: nats-server 2.9 refuses to start JetStream
  // in a cluster that has no routes, and a route to itself would count as a second peer.
  if (!routes.empty()) {
    c << "cluster {\n";
    // Named after its initial nodes: a route from another jindou cluster on the same network
    // (a reused port, a copied address) is refused instead of merging two clusters.
    std::string members;
    for (const auto& node : o.init_nodes) {
      members += std::to_string(node.id) + "@" + host_port(node.host, node.port) + " ";
    }
    char name[32];
    std::snprintf(name, sizeof(name), "jindou-%08x", crc32_ieee(members));
    c << "  name: " << quoted(name) << "\n";
    c << "  listen: " << quoted(host_port(o.route_host, o.route_port)) << "\n";
    c << "  routes: [\n";
    for (const auto& route : routes) c << "    " << quoted(route) << "\n";
    c << "  ]\n";
    c << "}\n";
  }
  return c.str();
}

uint16_t NatsChild::monitor_port(uint16_t nats_port) {
  const int port = nats_port + 4000;
  return nats_port == 0 || port > 65535 ? 0 : static_cast<uint16_t>(port);
}

std::string NatsChild::find_binary() {
  if (const char* given = std::getenv("JINDOU_NATS_SERVER"); given != nullptr && *given != '\0') {
    return executable(given) ? std::string(given) : std::string();
  }
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::istringstream dirs(path);
    std::string dir;
    while (std::getline(dirs, dir, ':')) {
      if (dir.empty()) continue;
      std::string candidate = dir + "/nats-server";
      if (executable(candidate)) return candidate;
    }
  }
  for (const char* candidate : {"/usr/sbin/nats-server", "/usr/local/sbin/nats-server"}) {
    if (executable(candidate)) return candidate;
  }
  return {};
}

Status NatsChild::start(milliseconds timeout) {
  {
    std::lock_guard lock(mu_);
    if (supervisor_.joinable() || done_) return Error::internal("nats-server was started before");
  }
  binary_ = find_binary();
  if (binary_.empty()) {
    return Error::unavailable(
        "nats-server not found: install it (Debian: apt install nats-server), put it on PATH or "
        "set JINDOU_NATS_SERVER to its path");
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(options_.data_dir) / "store", ec);
  if (ec) return Error::unavailable("cannot create " + options_.data_dir + ": " + ec.message());
  {
    std::ofstream out(config_path_, std::ios::trunc);
    out << config_text(options_);
    if (!out.flush()) return Error::unavailable("cannot write " + config_path_);
  }

  const std::string client = host_port(options_.nats_host, options_.nats_port);
  spdlog::info("starting nats-server {} on {} (configuration {}, log {})", binary_, client,
               config_path_, log_path_);
  supervisor_ = std::thread([this] { supervise(); });

  const std::string greeting = "\"server_name\":\"" + server_name(options_) + "\"";
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    // Only this child's INFO counts: another server may hold the port this one failed to bind.
    const auto info =
        read_nats_info(dial_host(options_.nats_host), options_.nats_port, milliseconds(500));
    std::unique_lock lock(mu_);
    if (info && info->find(greeting) != std::string::npos && !start_failure_) {
      ready_ = true;
      spdlog::info("nats-server (pid {}) accepts connections on {}", pid_, client);
      return {};
    }
    if (start_failure_) {
      const std::string why = *start_failure_;
      lock.unlock();
      supervisor_.join();
      std::string message = "nats-server " + why;
      message += " before accepting connections on " + client;
      if (const std::string line = last_line(log_path_); !line.empty()) {
        message += " (last log line: " + line + ")";
      }
      message += "; see " + log_path_;
      return Error::unavailable(std::move(message));
    }
    if (Clock::now() >= deadline) {
      lock.unlock();
      stop();
      return Error::unavailable("nats-server did not accept connections on " + client + " within " +
                                std::to_string(timeout.count()) + " ms; see " + log_path_);
    }
    cv_.wait_for(lock, milliseconds(50), [this] { return start_failure_.has_value(); });
  }
}

void NatsChild::stop() {
  std::unique_lock lock(mu_);
  if (!supervisor_.joinable()) return;
  stopping_ = true;
  cv_.notify_all();
  if (pid_ > 0) ::kill(pid_, SIGTERM);
  if (!cv_.wait_for(lock, kStopGrace, [this] { return done_; }) && pid_ > 0) {
    spdlog::warn("nats-server (pid {}) did not exit within {} s of SIGTERM; killing it", pid_,
                 kStopGrace.count());
    ::kill(pid_, SIGKILL);
  }
  lock.unlock();
  supervisor_.join();
}

pid_t NatsChild::pid() const {
  std::lock_guard lock(mu_);
  return pid_;
}

uint64_t NatsChild::restarts() const {
  std::lock_guard lock(mu_);
  return restarts_;
}

void NatsChild::supervise() {
  pthread_setname_np(pthread_self(), "nats-child");
  milliseconds backoff = kFirstBackoff;
  for (;;) {
    const auto started = Clock::now();
    const pid_t pid = spawn();
    int status = 0;
    if (pid > 0) {
      {
        std::lock_guard lock(mu_);
        pid_ = pid;
        // stop() came while this child was being forked: it found no pid to signal.
        if (stopping_) ::kill(pid, SIGTERM);
      }
      status = wait_for_exit(pid);
    }

    std::unique_lock lock(mu_);
    if (stopping_) break;
    const std::string what =
        pid > 0 ? describe_exit(status) : "could not be started (" + binary_ + ")";
    if (!ready_) {
      start_failure_ = what;
      break;
    }
    if (Clock::now() - started >= kStableRun) backoff = kFirstBackoff;
    spdlog::warn("nats-server (pid {}) {}; starting it again in {} ms (its log: {})", pid, what,
                 backoff.count(), log_path_);
    if (cv_.wait_for(lock, backoff, [this] { return stopping_; })) break;
    backoff = std::min(backoff * 2, kMaxBackoff);
    ++restarts_;
  }
  // Only now may this thread end: the child, forked here, has exited and been reaped.
  std::lock_guard lock(mu_);
  done_ = true;
  cv_.notify_all();
}

pid_t NatsChild::spawn() {
  // Everything the child needs is prepared before fork(): after it, only async-signal-safe calls.
  const std::string conf_flag = "-c";
  char* const argv[] = {const_cast<char*>(binary_.c_str()), const_cast<char*>(conf_flag.c_str()),
                        const_cast<char*>(config_path_.c_str()), nullptr};
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) {
    spdlog::error("cannot open {}: {}", log_path_, std::strerror(errno));
    return -1;
  }
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    spdlog::error("cannot fork nats-server: {}", std::strerror(errno));
    ::close(log_fd);
    return -1;
  }
  if (pid == 0) {
    // SIGKILL when the forking thread ends. jindou may have died before this line: then the
    // parent is already someone else and the child must not run at all.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) ::sigaction(sig, &default_action, nullptr);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::close_range(3, ~0U, 0);
    ::execv(argv[0], argv);
    const char msg[] = "jindou: cannot execute nats-server\n";
    const ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)ignored;
    ::_exit(127);
  }
  ::close(log_fd);
  spdlog::info("nats-server started, pid {}", pid);
  return pid;
}

int NatsChild::wait_for_exit(pid_t pid) {
  siginfo_t info{};
  while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
  }
  std::lock_guard lock(mu_);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = 0;
  cv_.notify_all();
  return status;
}

std::optional<std::string> read_nats_info(const std::string& host, uint16_t port,
                                          milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found) != 0) {
    return std::nullopt;
  }
  const auto deadline = Clock::now() + timeout;
  const auto left = [&] {
    return static_cast<int>(std::max<int64_t>(
        0, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count()));
  };
  std::optional<std::string> result;
  for (addrinfo* a = found; a != nullptr && !result; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    pollfd p{fd, POLLOUT, 0};
    int error = 0;
    socklen_t len = sizeof(error);
    const bool connected =
        (::connect(fd, a->ai_addr, a->ai_addrlen) == 0 ||
         (errno == EINPROGRESS && ::poll(&p, 1, left()) == 1 &&
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0));
    std::string line;
    p.events = POLLIN;
    while (connected && line.find("\r\n") == std::string::npos && line.size() < 65536 &&
           ::poll(&p, 1, left()) == 1) {
      char buf[4096];
      const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    if (const auto end = line.find("\r\n");
        end != std::string::npos && line.rfind("INFO ", 0) == 0) {
      result = line.substr(5, end - 5);
    }
  }
  ::freeaddrinfo(found);
  return result;
}

}  // namespace jindou::cluster
