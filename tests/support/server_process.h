// ServerProcess: runs the real `jindou` binary for black-box tests.
//
// Each instance owns a fresh temporary directory holding the data directory, an optional wk.yaml
// and the server's log (stdout and stderr). Every listening address the server has (HTTP, client
// TCP, WebSocket, manager, and WebSocket over TLS when asked for) gets a free port of its own, so
// tests can run in parallel. The binary is the one named by the environment variable JINDOU_BINARY.
//
// Lifecycle: construct with options, start() (waits for `GET /health` to answer 200), then
// stop() / kill9() and start() again to restart on the same data directory. The destructor kills
// a running server and removes the directory. Not thread-safe: one test thread drives it; other
// threads may only read the ports. The server is killed (PR_SET_PDEATHSIG) when the thread that
// started it ends, so a test that restarts servers from a thread of its own keeps that thread
// alive while the servers must run.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jindou::testing {

struct ServerOptions {
  // Extra command-line arguments, e.g. {"-o", "message.maxBatch=3"}.
  std::vector<std::string> args;
  // Extra environment variables. WK_* variables of the test's own environment are never passed
  // on, so only these configure the server.
  std::vector<std::pair<std::string, std::string>> env;
  // When set, written to wk.yaml in the server's directory and passed with --config.
  std::optional<std::string> config_yaml;
  // Pass --data-dir data_dir(). When false the server uses its default, which (like any relative
  // path) lands in root_dir(): the server runs with root_dir() as its working directory.
  bool pass_data_dir = true;
  // Also listen for WebSocket over TLS: a fresh self-signed certificate
  // (testing/test_certificate.h) is written to root_dir() and passed with
  // -o wssAddr=<free port>, -o wssConfig.certFile and -o wssConfig.keyFile.
  bool wss = false;
  // How long start() waits for /health.
  std::chrono::milliseconds ready_timeout = std::chrono::seconds(20);
};

class ServerProcess {
 public:
  explicit ServerProcess(ServerOptions options = {});
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server and waits until GET /health answers 200. Throws std::runtime_error with the
  // log when the binary exits or does not become ready in time.
  void start();
  // Starts the binary without waiting for it to become ready (for runs that should fail, or to
  // start several servers at once and wait_ready() for each).
  void spawn();
  // After spawn(): waits, as start() does, until the server logs "jindou started" and GET /health
  // answers 200. Throws std::runtime_error with the log when it exits or is not ready in time
  // (then it is killed).
  void wait_ready();
  // Sends SIGTERM and waits for the exit. Returns the exit code, or 128 + signal number when the
  // process was killed by a signal. Throws when it does not exit within `timeout`.
  int stop(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // SIGKILL, then reaps the process.
  void kill9();
  // Sends `signo` without waiting.
  void signal(int signo);
  // Waits for the process to exit; the status as for stop(), or nullopt on timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  bool running() const { return pid_ > 0; }
  // The server's process id while it runs (for SIGSTOP / SIGCONT), else -1.
  pid_t pid() const { return pid_; }
  // The live (not zombie) child processes of the running server, from /proc; only those whose
  // command name (/proc/<pid>/comm, at most 15 characters) is `name` when it is not empty.
  std::vector<pid_t> child_pids(std::string_view name = {}) const;

  // Everything the server wrote to stdout and stderr, across restarts.
  std::string log() const;

  uint16_t http_port() const { return http_port_; }
  uint16_t tcp_port() const { return tcp_port_; }
  uint16_t ws_port() const { return ws_port_; }
  uint16_t manager_port() const { return manager_port_; }
  uint16_t wss_port() const { return wss_port_; }  // 0 unless ServerOptions::wss
  const std::string& host() const { return host_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& root_dir() const { return root_dir_; }
  // The full command line of the last start, for messages.
  std::string command_line() const;

 private:
  void pick_ports();
  bool health_ok() const;
  // Waits for readiness of the start whose log begins at byte `log_before`; false when the
  // server exited because a port was taken and `may_retry_ports` (pick and spawn again).
  bool wait_ready_since(size_t log_before, bool may_retry_ports);
  std::vector<std::string> argv() const;

  ServerOptions options_;
  std::string binary_;
  std::string host_ = "127.0.0.1";
  std::string root_dir_;
  std::string data_dir_;
  std::string log_path_;
  std::string config_path_;
  uint16_t http_port_ = 0;
  uint16_t tcp_port_ = 0;
  uint16_t ws_port_ = 0;
  uint16_t manager_port_ = 0;
  uint16_t wss_port_ = 0;
  std::string wss_cert_file_;
  std::string wss_key_file_;
  pid_t pid_ = -1;
  size_t spawn_log_offset_ = 0;  // the log's size when the last spawn() began
};

// A loopback TCP port that was free a moment ago (for listeners the options name themselves).
uint16_t free_port();

// Decodes a waitpid() status as ServerProcess::stop() reports it.
int exit_code_of(int wait_status);

}  // namespace jindou::testing
