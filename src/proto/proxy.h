// PROXY protocol v1 (text) and v2 (binary) headers that a load balancer puts in front of a raw TCP
// stream (wkproto.md §1.4). Parsing only; whether to trust the header is the listener's choice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace jindou::proto {

struct ProxyHeader {
  uint8_t version = 0;  // 1 (text) or 2 (binary)
  // False for v1 UNKNOWN, v2 LOCAL, and v2 address families without an IP (unspecified, unix):
  // the connection keeps its socket peer address then.
  bool has_address = false;
  std::string source_ip;  // textual IPv4 / IPv6 address
  uint16_t source_port = 0;
  std::string dest_ip;
  uint16_t dest_port = 0;

  friend bool operator==(const ProxyHeader&, const ProxyHeader&) = default;
};

struct ProxyParseResult {
  enum Kind : uint8_t {
    kNotProxy,  // the data does not start with a PROXY header
    kNeedMore,  // a prefix of a header; wait for more bytes
    kGot,       // `consumed` bytes form a complete header
    kError,     // a malformed header
  };
  Kind kind = kNotProxy;
  size_t consumed = 0;
  std::string error;
};

// Longest v1 header, CRLF included (the protocol's limit).
inline constexpr size_t kProxyV1MaxBytes = 107;

// Looks for a PROXY header at the start of `data`; fills `out` when kGot.
ProxyParseResult parse_proxy_header(std::string_view data, ProxyHeader& out);

// Signature check only: kGot when `data` starts with a complete v1 ("PROXY ") or v2 signature,
// kNeedMore when all of `data` is a proper prefix of one, kNotProxy otherwise.
ProxyParseResult::Kind match_proxy_signature(std::string_view data);

}  // namespace jindou::proto
