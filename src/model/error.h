// The one error type of the server: an HTTP status, a wkproto reason code and an English message.
// Every layer returns it; every ingress (HTTP, wkproto) translates it to its own wire form.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace jindou {

// wkproto reason codes (identical numbering in WuKongIMGoProto and the JS SDKs).
enum class ReasonCode : uint8_t {
  kUnknown = 0,
  kSuccess = 1,
  kAuthFail = 2,
  kSubscriberNotExist = 3,
  kInBlacklist = 4,
  kChannelNotExist = 5,
  kUserNotOnNode = 6,
  kSenderOffline = 7,
  kMsgKeyError = 8,
  kPayloadDecodeError = 9,
  kForwardSendPacketError = 10,
  kNotAllowSend = 11,
  kConnectKick = 12,
  kNotInWhitelist = 13,
  kQueryTokenError = 14,
  kSystemError = 15,
  kChannelIdError = 16,
  kNodeMatchError = 17,
  kNodeNotMatch = 18,
  kBan = 19,
  kNotSupportHeader = 20,
  kClientKeyIsEmpty = 21,
  kRateLimit = 22,
  kNotSupportChannelType = 23,
  kDisband = 24,
  kSendBan = 25,
};

struct Error {
  int status = 500;                          // HTTP status code
  ReasonCode reason = ReasonCode::kUnknown;  // wkproto reason; kUnknown when not a send error
  std::string message;                       // plain English, names the field or rule
  // Cluster mode: nothing was stored because the write reached a node that no longer (or not
  // yet) decides its partition; the same call may be made again at the partition's owner.
  bool moved = false;

  static Error bad_request(std::string msg) { return {400, ReasonCode::kUnknown, std::move(msg)}; }
  static Error unauthorized(std::string msg) { return {401, ReasonCode::kUnknown, std::move(msg)}; }
  static Error forbidden(ReasonCode rc, std::string msg) { return {403, rc, std::move(msg)}; }
  static Error not_found(std::string msg) { return {404, ReasonCode::kUnknown, std::move(msg)}; }
  static Error too_large(std::string msg) { return {413, ReasonCode::kUnknown, std::move(msg)}; }
  static Error internal(std::string msg) { return {500, ReasonCode::kSystemError, std::move(msg)}; }
  static Error unavailable(std::string msg) {
    return {503, ReasonCode::kSystemError, std::move(msg)};
  }
};

// A value or an Error. Small on purpose: `ok()`, `value()`, `error()`.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Result of an operation that yields nothing but may fail.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error)
      : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_{};
  bool ok_ = true;
};

}  // namespace jindou
