// ClientSession: where one client's session stands, as explicit states, and the deadlines that
// end it.
//
//   kPreAuth --CONNECT--> kAuthenticating --accepted--> kAuthenticated
//       |                       |   \--refused--> kClosing (CONNACK, then close)
//       |                       |                     ^
//       +-----------------------+---------------------+-- kick, shutdown --> kClosing
//   any state --close()--> kClosed
//
// Only the pre-auth and authenticated states read packets; while the CONNECT is being checked
// nothing more is decoded. A closing session reads nothing and ends in one of three ways: at its
// deadline (kicked, or a refused client that never reads its CONNACK), once its output is
// written (after a refusal's CONNACK), or once the SENDs it took are answered and written
// (shutdown). The pre-auth timeout covers authenticating too, so a slow check cannot keep a
// connection that never logged in alive.
//
// Thread: owned by one connection, used on its io thread only; `now` is passed in so the
// deadlines can be tested without waiting.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>

namespace jindou::gateway {

using Clock = std::chrono::steady_clock;

enum class SessionState { kPreAuth, kAuthenticating, kAuthenticated, kClosing, kClosed };

struct SessionTimeouts {
  std::chrono::milliseconds preauth{std::chrono::seconds(10)};
  std::chrono::milliseconds idle{std::chrono::minutes(3)};
};

class ClientSession {
 public:
  // How long a refused client has to read its CONNACK before the connection closes anyway.
  static constexpr std::chrono::seconds kRefusalGrace{5};

  ClientSession(SessionTimeouts timeouts, Clock::time_point accepted_at)
      : timeouts_(timeouts), accepted_at_(accepted_at), last_inbound_(accepted_at) {}

  SessionState state() const { return state_; }
  bool closed() const { return state_ == SessionState::kClosed; }
  // Packets are decoded and handled (otherwise they stay buffered, or are dropped once closing).
  bool reads_packets() const {
    return state_ == SessionState::kPreAuth || state_ == SessionState::kAuthenticated;
  }
  // Bytes from the client are still worth keeping for later.
  bool buffers_input() const { return reads_packets() || state_ == SessionState::kAuthenticating; }
  // RECVs, EVENTs and resends go out.
  bool authenticated() const { return state_ == SessionState::kAuthenticated; }

  // Anything arrived from the client (idle timeout).
  void heard_from_client(Clock::time_point now) { last_inbound_ = now; }

  // The CONNECT arrived: its check begins. Only from kPreAuth.
  void connect_received();
  // The check's verdict came back. False when the session no longer waits for one (it closed
  // or started closing meanwhile): the verdict is then ignored.
  bool verdict_wanted() const { return state_ == SessionState::kAuthenticating; }
  // Logged in at `now` (the idle timeout counts from here).
  void accepted(Clock::time_point now);
  // The CONNECT was refused: close once its CONNACK is written, or after kRefusalGrace.
  void refused(Clock::time_point now);
  // Kicked: close after `close_after` (or earlier when already due).
  void kicked(Clock::time_point now, std::chrono::milliseconds close_after);
  // Server shutdown: read nothing more, close once the SENDs taken are answered and written.
  // `sends_pending`: some SENDs still await their SENDACK.
  void shutting_down(bool sends_pending);
  // The last pending SENDACK was released: a shutting-down session may now end once written.
  // True when that changed what the session waits for.
  bool sends_answered();
  // The session ends as soon as its output is written.
  bool ends_when_written() const { return state_ == SessionState::kClosing && end_when_written_; }
  const std::string& ending_reason() const { return ending_reason_; }

  // In the presence table: the engine delivers to it.
  bool online() const { return online_; }
  void went_online() { online_ = true; }
  // Leaves the presence table (kicked or closed). True when it was online until now.
  bool went_offline() { return std::exchange(online_, false); }

  // Why the session must close at `now` (a deadline or timeout passed), if it must.
  std::optional<std::string> expired(Clock::time_point now) const;
  // Closes. False when it already was closed.
  bool close();

 private:
  void start_closing();

  SessionTimeouts timeouts_;
  SessionState state_ = SessionState::kPreAuth;
  Clock::time_point accepted_at_;
  Clock::time_point last_inbound_;
  std::optional<Clock::time_point> deadline_;  // closing: close by then at the latest
  bool end_when_written_ = false;
  bool end_when_answered_ = false;
  std::string ending_reason_;
  bool online_ = false;
};

}  // namespace jindou::gateway
