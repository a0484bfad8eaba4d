// The value syntaxes every configuration key shares: durations, addresses, booleans, integers.
// Pure functions, no state; ConfigSource uses them and layers may use them for their own checks.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace jindou::config {

struct Address {
  std::string host;
  uint16_t port = 0;
  // "host:port", or "[host]:port" for an IPv6 host.
  std::string to_string() const;
};

// Parses "500ms", "3m", "1h30m", "10s", "7d", "0" (a bare number is seconds).
std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);
// Parses "host:port", "tcp://host:port", "ws://host:port", "[::1]:port"; an empty host is
// 0.0.0.0.
std::optional<Address> parse_address(const std::string& text);
// true/false, 1/0, yes/no, on/off, in any case.
std::optional<bool> parse_bool(const std::string& text);
// A whole decimal number, nothing around it.
std::optional<int64_t> parse_int(const std::string& text);
// "a,b c" -> {"a", "b", "c"}: how a list is written in one environment variable or flag.
std::vector<std::string> split_list(const std::string& text);
// ASCII lower case: keys compare case-insensitively (environment variable names lose their case).
std::string lower(std::string text);

}  // namespace jindou::config
