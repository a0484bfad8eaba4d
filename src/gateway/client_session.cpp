#include "gateway/client_session.h"

#include <utility>

namespace jindou::gateway {

void ClientSession::connect_received() {
  if (state_ == SessionState::kPreAuth) state_ = SessionState::kAuthenticating;
}

void ClientSession::accepted(Clock::time_point now) {
  if (state_ != SessionState::kAuthenticating) return;
  state_ = SessionState::kAuthenticated;
  last_inbound_ = now;
}

void ClientSession::refused(Clock::time_point now) {
  if (state_ == SessionState::kClosed) return;
  start_closing();
  end_when_written_ = true;
  ending_reason_ = "refused";
  const auto at = now + kRefusalGrace;
  if (!deadline_ || at < *deadline_) deadline_ = at;
}

void ClientSession::kicked(Clock::time_point now, std::chrono::milliseconds close_after) {
  if (state_ == SessionState::kClosed) return;
  start_closing();
  const auto at = now + close_after;
  if (!deadline_ || at < *deadline_) deadline_ = at;
}

void ClientSession::shutting_down(bool sends_pending) {
  if (state_ == SessionState::kClosed) return;
  start_closing();
  ending_reason_ = "server shutting down";
  end_when_answered_ = sends_pending;
  end_when_written_ = !sends_pending;
}

bool ClientSession::sends_answered() {
  if (state_ != SessionState::kClosing || !end_when_answered_) return false;
  end_when_answered_ = false;
  end_when_written_ = true;
  return true;
}

std::optional<std::string> ClientSession::expired(Clock::time_point now) const {
  switch (state_) {
    case SessionState::kClosed:
      return std::nullopt;
    case SessionState::kPreAuth:
      if (now - accepted_at_ >= timeouts_.preauth) {
        return "no CONNECT within the pre-auth timeout";
      }
      return std::nullopt;
    case SessionState::kAuthenticating:
      if (now - accepted_at_ >= timeouts_.preauth) {
        return "the CONNECT was not checked within the pre-auth timeout";
      }
      return std::nullopt;
    case SessionState::kAuthenticated:
      if (now - last_inbound_ >= timeouts_.idle) return "idle for longer than connIdleTime";
      return std::nullopt;
    case SessionState::kClosing:
      if (deadline_ && now >= *deadline_) {
        return ending_reason_.empty() ? std::string("kicked") : ending_reason_;
      }
      return std::nullopt;
  }
  return std::nullopt;
}

bool ClientSession::close() {
  if (state_ == SessionState::kClosed) return false;
  state_ = SessionState::kClosed;
  return true;
}

void ClientSession::start_closing() {
  state_ = SessionState::kClosing;
}

}  // namespace jindou::gateway
