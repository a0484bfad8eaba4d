// NatsChild: this node's nats-server, run as a child process of jindou and kept running.
//
// start() writes <data_dir>/nats.conf from the ClusterOptions (config_text()), starts
// `nats-server -c <data_dir>/nats.conf` with its stdout and stderr appended to
// <data_dir>/nats-server.log, and returns once the child answers on its client port
// (cluster.natsAddr) with its own INFO line. From then on a supervisor thread restarts the child
// whenever it exits without being asked to, backing off from 0.5 s to 5 s between attempts.
//
// The child never outlives jindou, even when jindou is killed with SIGKILL: it is forked by the
// supervisor thread and asks the kernel (PR_SET_PDEATHSIG) for SIGKILL when that thread ends,
// which is why that thread lives until the child is reaped. The child gets its own process group
// (a Ctrl-C in jindou's terminal is for jindou, which then stops the child in order) and default
// signal handling (jindou blocks SIGTERM and ignores SIGPIPE; exec would keep both).
//
// Threads: start() and stop() on one thread (the server's); pid() and restarts() on any.
// Lifecycle: construct, start(), stop(); the destructor stops. Not restarted after stop().
#pragma once

#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "cluster/cluster_options.h"
#include "model/error.h"

namespace jindou::cluster {

class NatsChild {
 public:
  explicit NatsChild(ClusterOptions options);
  ~NatsChild();
  NatsChild(const NatsChild&) = delete;
  NatsChild& operator=(const NatsChild&) = delete;

  // Starts the child and the supervisor; returns once the child answers on its client port. An
  // error (503) when nats-server is not found, exits before it answers, or does not answer within
  // `timeout`; it names the log file. Then nothing is left running.
  Status start(std::chrono::milliseconds timeout = std::chrono::seconds(20));
  // SIGTERM to the child, SIGKILL when it has not exited 5 s later; reaps it and joins the
  // supervisor. Idempotent.
  void stop();

  // The running child's pid; 0 while there is none (before start, between restarts, after stop).
  pid_t pid() const;
  // How many times the supervisor started the child again after it exited.
  uint64_t restarts() const;

  const std::string& config_path() const { return config_path_; }
  const std::string& log_path() const { return log_path_; }

  // The nats.conf for `options` (options.data_dir as given; the constructor makes it absolute).
  static std::string config_text(const ClusterOptions& options);
  // The child's HTTP monitoring port: the client port + 4000, or 0 (off) beyond 65535.
  static uint16_t monitor_port(uint16_t nats_port);
  // The nats-server binary: $JINDOU_NATS_SERVER when set, else `nats-server` on PATH, else
  // /usr/sbin/nats-server (where Debian installs it, which is not on every user's PATH). Empty
  // when there is none.
  static std::string find_binary();

 private:
  void supervise();
  // Forks and execs the child from the calling (supervisor) thread; -1 on failure.
  pid_t spawn();
  // Blocks until `pid` exits, then reaps it under the lock (so stop() never signals a reaped
  // pid) and returns its wait status.
  int wait_for_exit(pid_t pid);

  ClusterOptions options_;
  std::string config_path_;
  std::string log_path_;
  std::string binary_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  pid_t pid_ = 0;
  uint64_t restarts_ = 0;
  bool ready_ = false;     // start() saw the child answer; from then on exits mean restarts
  bool stopping_ = false;  // stop() was called
  bool done_ = false;      // the supervisor has returned; no child is left
  std::optional<std::string> start_failure_;  // how the child exited before it was ready
  std::thread supervisor_;
};

// Connects to a NATS server's client port and returns the INFO line it greets with (without
// "INFO " and the line end), or nullopt when nothing answers within `timeout`.
std::optional<std::string> read_nats_info(const std::string& host, uint16_t port,
                                          std::chrono::milliseconds timeout);

}  // namespace jindou::cluster
