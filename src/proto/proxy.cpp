#include "proto/proxy.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace jindou::proto {
namespace {

constexpr std::string_view kV1Signature = "PROXY ";
constexpr std::string_view kV2Signature{"\r\n\r\n\0\r\nQUIT\n", 12};
constexpr size_t kV2FixedBytes = 16;

ProxyParseResult error(std::string text) {
  return {ProxyParseResult::kError, 0, "PROXY header: " + std::move(text)};
}

// kGot: `data` starts with `sig`; kNeedMore: `data` is a proper prefix of `sig`.
ProxyParseResult::Kind match(std::string_view data, std::string_view sig) {
  const size_t n = std::min(data.size(), sig.size());
  if (data.substr(0, n) != sig.substr(0, n)) return ProxyParseResult::kNotProxy;
  return n == sig.size() ? ProxyParseResult::kGot : ProxyParseResult::kNeedMore;
}

bool parse_port(std::string_view text, uint16_t& port) {
  if (text.empty() || text.size() > 5) return false;
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

// Accepts only canonical addresses of `family`; `out` gets the text as given.
bool parse_ip(int family, std::string_view text, std::string& out) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return false;
  char z[INET6_ADDRSTRLEN] = {};
  std::copy(text.begin(), text.end(), z);
  std::array<unsigned char, 16> addr{};
  if (inet_pton(family, z, addr.data()) != 1) return false;
  out.assign(text);
  return true;
}

std::string format_ip(int family, const unsigned char* addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (inet_ntop(family, addr, text, sizeof(text)) == nullptr) return {};
  return text;
}

ProxyParseResult parse_v1(std::string_view data, ProxyHeader& out) {
  const size_t eol = data.substr(0, kProxyV1MaxBytes).find("\r\n");
  if (eol == std::string_view::npos) {
    if (data.size() >= kProxyV1MaxBytes) return error("v1 line longer than 107 bytes");
    return {ProxyParseResult::kNeedMore, 0, {}};
  }
  std::string_view line = data.substr(kV1Signature.size(), eol - kV1Signature.size());
  std::array<std::string_view, 5> fields;
  size_t count = 0;
  while (!line.empty() && count < fields.size()) {
    const size_t sp = line.find(' ');
    fields[count++] = line.substr(0, sp);
    line = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
  }
  ProxyHeader h;
  h.version = 1;
  // UNKNOWN may be followed by anything; the receiver keeps the real peer.
  if (count >= 1 && fields[0] == "UNKNOWN") {
    out = std::move(h);
    return {ProxyParseResult::kGot, eol + 2, {}};
  }
  if (count != 5 || !line.empty()) return error("v1 line needs protocol, 2 addresses, 2 ports");
  int family = 0;
  if (fields[0] == "TCP4") {
    family = AF_INET;
  } else if (fields[0] == "TCP6") {
    family = AF_INET6;
  } else {
    return error("v1 protocol must be TCP4, TCP6 or UNKNOWN");
  }
  if (!parse_ip(family, fields[1], h.source_ip) || !parse_ip(family, fields[2], h.dest_ip)) {
    return error("v1 address does not match its protocol");
  }
  if (!parse_port(fields[3], h.source_port) || !parse_port(fields[4], h.dest_port)) {
    return error("v1 port is not a number in 0..65535");
  }
  h.has_address = true;
  out = std::move(h);
  return {ProxyParseResult::kGot, eol + 2, {}};
}

ProxyParseResult parse_v2(std::string_view data, ProxyHeader& out) {
  if (data.size() < kV2FixedBytes) return {ProxyParseResult::kNeedMore, 0, {}};
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const unsigned ver = p[12] >> 4;
  const unsigned command = p[12] & 0x0F;
  const unsigned family = p[13] >> 4;
  const unsigned transport = p[13] & 0x0F;
  const size_t length = (size_t{p[14]} << 8) | p[15];
  if (ver != 2) return error("v2 version nibble is not 2");
  if (command > 1) return error("v2 command is neither LOCAL nor PROXY");
  if (family > 3 || transport > 2) return error("v2 unknown address family or transport");
  if (data.size() < kV2FixedBytes + length) return {ProxyParseResult::kNeedMore, 0, {}};

  ProxyHeader h;
  h.version = 2;
  const unsigned char* addr = p + kV2FixedBytes;
  // LOCAL (health checks from the balancer itself) carries no client address.
  if (command == 1 && family == 1) {
    if (length < 12) return error("v2 IPv4 address block shorter than 12 bytes");
    h.source_ip = format_ip(AF_INET, addr);
    h.dest_ip = format_ip(AF_INET, addr + 4);
    h.source_port = static_cast<uint16_t>((addr[8] << 8) | addr[9]);
    h.dest_port = static_cast<uint16_t>((addr[10] << 8) | addr[11]);
    h.has_address = true;
  } else if (command == 1 && family == 2) {
    if (length < 36) return error("v2 IPv6 address block shorter than 36 bytes");
    h.source_ip = format_ip(AF_INET6, addr);
    h.dest_ip = format_ip(AF_INET6, addr + 16);
    h.source_port = static_cast<uint16_t>((addr[32] << 8) | addr[33]);
    h.dest_port = static_cast<uint16_t>((addr[34] << 8) | addr[35]);
    h.has_address = true;
  } else if (command == 1 && family == 3 && length < 216) {
    return error("v2 unix address block shorter than 216 bytes");
  }
  out = std::move(h);
  return {ProxyParseResult::kGot, kV2FixedBytes + length, {}};
}

}  // namespace

ProxyParseResult::Kind match_proxy_signature(std::string_view data) {
  if (data.empty()) return ProxyParseResult::kNeedMore;
  const auto v1 = match(data, kV1Signature);
  return v1 != ProxyParseResult::kNotProxy ? v1 : match(data, kV2Signature);
}

ProxyParseResult parse_proxy_header(std::string_view data, ProxyHeader& out) {
  if (match(data, kV1Signature) == ProxyParseResult::kGot) return parse_v1(data, out);
  if (match(data, kV2Signature) == ProxyParseResult::kGot) return parse_v2(data, out);
  const auto kind = match_proxy_signature(data);
  return {kind == ProxyParseResult::kNeedMore ? ProxyParseResult::kNeedMore
                                              : ProxyParseResult::kNotProxy,
          0,
          {}};
}

}  // namespace jindou::proto
