#include "support/server_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/http_client.h"
#include "testing/test_certificate.h"

extern char** environ;

namespace jindou::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Binds port 0 on the loopback address and keeps the socket open, so several calls in a row
// return distinct ports.
int bind_free_port(uint16_t& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw std::runtime_error("cannot find a free port: " + why);
  }
  port = ntohs(addr.sin_port);
  return fd;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string make_root_dir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/jindou-test-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp " + pattern + ": " + std::strerror(errno));
  }
  return pattern;
}

}  // namespace

uint16_t free_port() {
  uint16_t port = 0;
  ::close(bind_free_port(port));
  return port;
}

int exit_code_of(int wait_status) {
  if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) return 128 + WTERMSIG(wait_status);
  return -1;
}

ServerProcess::ServerProcess(ServerOptions options) : options_(std::move(options)) {
  const char* binary = std::getenv("JINDOU_BINARY");
  if (binary == nullptr || *binary == '\0') {
    throw std::runtime_error("JINDOU_BINARY is not set: it must name the jindou server binary");
  }
  // Absolute: the server runs in its own directory.
  binary_ = std::filesystem::absolute(binary).string();
  root_dir_ = make_root_dir();
  data_dir_ = root_dir_ + "/data";
  log_path_ = root_dir_ + "/server.log";
  if (options_.config_yaml) {
    config_path_ = root_dir_ + "/wk.yaml";
    std::ofstream(config_path_) << *options_.config_yaml;
  }
  if (options_.wss) {
    const CertificateFiles files = write_test_certificate(root_dir_);
    wss_cert_file_ = files.cert_file;
    wss_key_file_ = files.key_file;
  }
  pick_ports();
}

ServerProcess::~ServerProcess() {
  if (running()) kill9();
  const char* keep = std::getenv("JINDOU_KEEP_TEST_DIRS");
  if (keep == nullptr || *keep == '\0') {
    std::error_code ignored;
    std::filesystem::remove_all(root_dir_, ignored);
  }
}

void ServerProcess::pick_ports() {
  std::vector<int> fds;
  fds.push_back(bind_free_port(http_port_));
  fds.push_back(bind_free_port(tcp_port_));
  fds.push_back(bind_free_port(ws_port_));
  fds.push_back(bind_free_port(manager_port_));
  if (options_.wss) fds.push_back(bind_free_port(wss_port_));
  for (int fd : fds) ::close(fd);
}

std::vector<std::string> ServerProcess::argv() const {
  const auto addr = [this](uint16_t port) { return host_ + ":" + std::to_string(port); };
  std::vector<std::string> args{binary_,
                                "--http-addr",
                                addr(http_port_),
                                "--addr",
                                addr(tcp_port_),
                                "--ws-addr",
                                addr(ws_port_),
                                "-o",
                                "manager.addr=" + addr(manager_port_)};
  if (options_.wss) {
    args.insert(args.end(),
                {"-o", "wssAddr=" + addr(wss_port_), "-o", "wssConfig.certFile=" + wss_cert_file_,
                 "-o", "wssConfig.keyFile=" + wss_key_file_});
  }
  if (options_.pass_data_dir) {
    args.push_back("--data-dir");
    args.push_back(data_dir_);
  }
  if (!config_path_.empty()) {
    args.push_back("--config");
    args.push_back(config_path_);
  }
  args.insert(args.end(), options_.args.begin(), options_.args.end());
  return args;
}

std::string ServerProcess::command_line() const {
  std::string out;
  for (const auto& a : argv()) out += (out.empty() ? "" : " ") + a;
  return out;
}

void ServerProcess::spawn() {
  if (running()) throw std::runtime_error("the server is already running");
  // Everything the child needs is prepared before fork(): after it only exec-safe calls.
  const std::vector<std::string> args = argv();
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "WK_", 3) != 0) env.emplace_back(*e);
  }
  for (const auto& [k, v] : options_.env) env.push_back(k + "=" + v);
  std::vector<char*> c_args;
  for (const auto& a : args) c_args.push_back(const_cast<char*>(a.c_str()));
  c_args.push_back(nullptr);
  std::vector<char*> c_env;
  for (const auto& e : env) c_env.push_back(const_cast<char*>(e.c_str()));
  c_env.push_back(nullptr);

  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) throw std::runtime_error("cannot open " + log_path_);
  spawn_log_offset_ = log().size();
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(log_fd);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    // A test binary killed by a timeout must not leave servers behind.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent || ::chdir(root_dir_.c_str()) != 0) ::_exit(127);
    ::dup2(log_fd, STDOUT_FILENO);
    ::dup2(log_fd, STDERR_FILENO);
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
    ::close_range(3, ~0U, 0);
    ::execve(c_args[0], c_args.data(), c_env.data());
    const char msg[] = "exec of JINDOU_BINARY failed\n";
    ssize_t ignored = ::write(STDERR_FILENO, msg, sizeof(msg) - 1);
    (void)ignored;
    ::_exit(127);
  }
  ::close(log_fd);
  pid_ = pid;
}

bool ServerProcess::health_ok() const {
  HttpClient client(host_, http_port_, std::chrono::seconds(2));
  return client.get("/health").status == 200;
}

void ServerProcess::start() {
  for (int attempt = 0;; ++attempt) {
    spawn();
    if (wait_ready_since(spawn_log_offset_, attempt < 3)) return;
    pick_ports();
  }
}

void ServerProcess::wait_ready() {
  if (!running()) throw std::runtime_error("wait_ready(): the server is not running");
  wait_ready_since(spawn_log_offset_, false);
}

bool ServerProcess::wait_ready_since(size_t log_before, bool may_retry_ports) {
  const auto deadline = Clock::now() + options_.ready_timeout;
  while (Clock::now() < deadline) {
    // Ready only when this process says so: a /health answer alone could come from another
    // server that took the port this one failed to bind.
    if (running() && log().find("jindou started", log_before) != std::string::npos && health_ok()) {
      return true;
    }
    if (auto status = wait_exit(std::chrono::milliseconds(50))) {
      const std::string output = log().substr(std::min(log_before, log().size()));
      // Another process took one of the ports between picking and binding: pick again.
      if (may_retry_ports && (output.find("cannot listen") != std::string::npos ||
                              output.find("in use") != std::string::npos)) {
        return false;
      }
      throw std::runtime_error("jindou exited with status " + std::to_string(*status) +
                               " before it was ready\ncommand: " + command_line() + "\nlog:\n" +
                               output);
    }
  }
  if (running()) kill9();
  throw std::runtime_error("jindou did not answer GET /health with 200 within " +
                           std::to_string(options_.ready_timeout.count()) +
                           " ms\ncommand: " + command_line() + "\nlog:\n" +
                           log().substr(std::min(log_before, log().size())));
}

std::vector<pid_t> ServerProcess::child_pids(std::string_view name) const {
  std::vector<pid_t> out;
  if (!running()) return out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string dir = entry.path().filename().string();
    if (dir.empty() || dir.find_first_not_of("0123456789") != std::string::npos) continue;
    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
    const std::string stat = read_file(entry.path().string() + "/stat");
    const size_t open = stat.find('(');
    const size_t close = stat.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) continue;
    const std::string comm = stat.substr(open + 1, close - open - 1);
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    long ppid = 0;
    if (!(rest >> state >> ppid) || ppid != pid_ || state == "Z") continue;
    if (!name.empty() && comm != name) continue;
    out.push_back(static_cast<pid_t>(std::stol(dir)));
  }
  return out;
}

void ServerProcess::signal(int signo) {
  if (running()) ::kill(pid_, signo);
}

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (!running()) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return exit_code_of(status);
    }
    if (r < 0 && errno != EINTR) {
      pid_ = -1;
      return -1;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int ServerProcess::stop(std::chrono::milliseconds timeout) {
  if (!running()) throw std::runtime_error("stop(): the server is not running");
  signal(SIGTERM);
  if (auto status = wait_exit(timeout)) return *status;
  kill9();
  throw std::runtime_error("jindou did not exit within " + std::to_string(timeout.count()) +
                           " ms of SIGTERM\nlog:\n" + log());
}

void ServerProcess::kill9() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

std::string ServerProcess::log() const {
  return read_file(log_path_);
}

}  // namespace jindou::testing
