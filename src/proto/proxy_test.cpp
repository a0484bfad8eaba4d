// PROXY protocol v1/v2 header parsing (wkproto.md §1.4).
#include "proto/proxy.h"

#include <gtest/gtest.h>

#include "proto/test_util.h"

namespace jindou::proto {
namespace {

using testing::unhex;

ProxyParseResult parse(std::string_view data, ProxyHeader& h) {
  return parse_proxy_header(data, h);
}

TEST(Proxy, V1Tcp4AndTcp6) {
  ProxyHeader h;
  const std::string line = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
  auto r = parse(line + "\x10", h);
  ASSERT_EQ(r.kind, ProxyParseResult::kGot) << r.error;
  EXPECT_EQ(r.consumed, line.size());
  EXPECT_EQ(h, (ProxyHeader{1, true, "192.168.0.1", 56324, "192.168.0.11", 443}));

  r = parse("PROXY TCP6 2001:db8::1 ::1 65535 0\r\n", h);
  ASSERT_EQ(r.kind, ProxyParseResult::kGot) << r.error;
  EXPECT_EQ(h, (ProxyHeader{1, true, "2001:db8::1", 65535, "::1", 0}));

  r = parse("PROXY UNKNOWN whatever follows\r\n", h);
  ASSERT_EQ(r.kind, ProxyParseResult::kGot);
  EXPECT_FALSE(h.has_address);
  EXPECT_EQ(h.version, 1);
}

TEST(Proxy, V1Errors) {
  ProxyHeader h;
  for (const char* bad : {
           "PROXY TCP4 192.168.0.1 192.168.0.11 56324\r\n",        // missing port
           "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443 1\r\n",  // extra field
           "PROXY TCP4 2001:db8::1 192.168.0.11 1 2\r\n",          // family mismatch
           "PROXY TCP6 192.168.0.1 ::1 1 2\r\n",                   // family mismatch
           "PROXY TCP4 1.2.3.4 5.6.7.8 65536 1\r\n",               // port range
           "PROXY TCP4 1.2.3.4 5.6.7.8 -1 1\r\n",                  // port sign
           "PROXY TCP4  1.2.3.4 5.6.7.8 1 1\r\n",                  // double space
           "PROXY UDP4 1.2.3.4 5.6.7.8 1 1\r\n",                   // protocol
           "PROXY \r\n",
       }) {
    EXPECT_EQ(parse(bad, h).kind, ProxyParseResult::kError) << bad;
  }
  // No CRLF within 107 bytes.
  EXPECT_EQ(parse("PROXY TCP4 " + std::string(100, '1'), h).kind, ProxyParseResult::kError);
  EXPECT_EQ(parse("PROXY TCP4 " + std::string(90, '1'), h).kind, ProxyParseResult::kNeedMore);
}

TEST(Proxy, V2Inet) {
  ProxyHeader h;
  const std::string v4 = unhex("0d0a0d0a000d0a515549540a 21 11 000c c0a80001 c0a8000b dc04 01bb");
  auto r = parse(v4 + unhex("10 00"), h);
  ASSERT_EQ(r.kind, ProxyParseResult::kGot) << r.error;
  EXPECT_EQ(r.consumed, 28u);
  EXPECT_EQ(h, (ProxyHeader{2, true, "192.168.0.1", 56324, "192.168.0.11", 443}));

  const std::string v6 = unhex(
      "0d0a0d0a000d0a515549540a 21 21 0028"
      "20010db8000000000000000000000001 00000000000000000000000000000001 1388 13ec"
      "03 0001 ff");  // a TLV after the addresses is skipped
  r = parse(v6, h);
  ASSERT_EQ(r.kind, ProxyParseResult::kGot) << r.error;
  EXPECT_EQ(r.consumed, 56u);
  EXPECT_EQ(h, (ProxyHeader{2, true, "2001:db8::1", 5000, "::1", 5100}));

  // Every prefix waits for more.
  for (size_t n = 0; n < v6.size(); ++n) {
    EXPECT_EQ(parse(v6.substr(0, n), h).kind, ProxyParseResult::kNeedMore) << n;
  }
}

TEST(Proxy, V2LocalAndUnspecifiedKeepThePeer) {
  ProxyHeader h;
  auto r = parse(unhex("0d0a0d0a000d0a515549540a 20 00 0000"), h);
  ASSERT_EQ(r.kind, ProxyParseResult::kGot);
  EXPECT_EQ(r.consumed, 16u);
  EXPECT_FALSE(h.has_address);
  r = parse(unhex("0d0a0d0a000d0a515549540a 20 11 000c 000000000000000000000000"), h);
  ASSERT_EQ(r.kind, ProxyParseResult::kGot);
  EXPECT_FALSE(h.has_address);
  r = parse(unhex("0d0a0d0a000d0a515549540a 21 31 00d8") + std::string(216, '\0'), h);
  ASSERT_EQ(r.kind, ProxyParseResult::kGot);
  EXPECT_FALSE(h.has_address);
}

TEST(Proxy, V2Errors) {
  ProxyHeader h;
  const std::string sig = unhex("0d0a0d0a000d0a515549540a");
  EXPECT_EQ(parse(sig + unhex("11 11 000c") + std::string(12, '\0'), h).kind,
            ProxyParseResult::kError);  // version 1 nibble
  EXPECT_EQ(parse(sig + unhex("22 11 000c") + std::string(12, '\0'), h).kind,
            ProxyParseResult::kError);  // command 2
  EXPECT_EQ(parse(sig + unhex("21 41 000c") + std::string(12, '\0'), h).kind,
            ProxyParseResult::kError);  // family 4
  EXPECT_EQ(parse(sig + unhex("21 11 0008") + std::string(8, '\0'), h).kind,
            ProxyParseResult::kError);  // short IPv4 block
  EXPECT_EQ(parse(sig + unhex("21 21 000c") + std::string(12, '\0'), h).kind,
            ProxyParseResult::kError);  // short IPv6 block
}

TEST(Proxy, NotAProxyHeader) {
  ProxyHeader h;
  EXPECT_EQ(parse(unhex("10 18 05"), h).kind, ProxyParseResult::kNotProxy);
  EXPECT_EQ(parse("PROXX", h).kind, ProxyParseResult::kNotProxy);
  EXPECT_EQ(parse("PRO", h).kind, ProxyParseResult::kNeedMore);
  EXPECT_EQ(match_proxy_signature("PROXY "), ProxyParseResult::kGot);
  EXPECT_EQ(match_proxy_signature(unhex("0d0a0d")), ProxyParseResult::kNeedMore);
  EXPECT_EQ(match_proxy_signature(unhex("0d0a0e")), ProxyParseResult::kNotProxy);
}

}  // namespace
}  // namespace jindou::proto
