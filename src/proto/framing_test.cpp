// FrameDecoder: stream splitting, version tracking and every protocol-error rule (§2, §3).
#include <gtest/gtest.h>

#include "proto/codec.h"
#include "proto/test_util.h"

namespace jindou::proto {
namespace {

using testing::drain;
using testing::hex;
using testing::unhex;

// A client's session start on v2: CONNECT, then packets in the v2 layout.
std::vector<Packet> client_stream_packets() {
  return {Connect{2, 1, "0123456789abcdef0123456789abcdefW", "u1", "tok", 1700000000000, "k"},
          testing::vector_send(),
          Ping{},
          Recvack{kFlagRedDot, 5, 6},
          Sub{0, "s", "g", 2, 0, "{}"},
          Ping{},
          Disconnect{ReasonCode::kUnknown, ""}};
}

std::string stream_of(const std::vector<Packet>& packets, uint8_t version) {
  std::string out;
  for (const Packet& p : packets) encode(p, version, out);
  return out;
}

DecodeResult decode_all(std::string_view bytes, DecoderOptions options = {}) {
  FrameDecoder d(options);
  d.append(bytes);
  DecodeResult last;
  drain(d, &last);
  return last;
}

void expect_error(std::string_view bytes, std::string_view fragment, DecoderOptions options = {}) {
  const DecodeResult r = decode_all(bytes, options);
  ASSERT_TRUE(r.failed()) << hex(bytes);
  EXPECT_NE(r.error.find(fragment), std::string::npos) << r.error;
}

TEST(Framing, ManyPacketsInOneAppendAndVersionFromConnect) {
  const auto packets = client_stream_packets();
  FrameDecoder d;
  d.append(stream_of(packets, 2));
  DecodeResult last;
  EXPECT_EQ(drain(d, &last), packets);
  EXPECT_TRUE(last.need_more());
  EXPECT_EQ(d.version(), 2);
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(Framing, SplitAtEveryByteBoundary) {
  const auto packets = client_stream_packets();
  const std::string bytes = stream_of(packets, 2);
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    FrameDecoder d;
    d.append(bytes.data(), cut);
    auto got = drain(d);
    d.append(bytes.data() + cut, bytes.size() - cut);
    auto rest = drain(d);
    got.insert(got.end(), rest.begin(), rest.end());
    ASSERT_EQ(got, packets) << "cut at " << cut;
  }
}

TEST(Framing, OneByteAtATime) {
  for (uint8_t v = 0; v <= 6; ++v) {
    std::vector<Packet> packets = {
        Connack{negotiate_version(v), -5, ReasonCode::kSuccess, "key", "0123456789abcdef", 9},
        Sendack{3, 7, 1, 2, ReasonCode::kSuccess},
        testing::vector_recv(),
        Pong{},
        Suback{"s", "g", 2, 0, ReasonCode::kSuccess},
        Event{"e", "t", 1, "{}"},
        Disconnect{ReasonCode::kConnectKick, "bye"}};
    auto& connack = std::get<Connack>(packets[0]);
    if (v <= 3) {
      connack.server_version = 0;
      connack.node_id = 0;
    }
    const std::string bytes = stream_of(packets, v);
    FrameDecoder d({Side::kClient, v, false});
    std::vector<Packet> got;
    for (const char c : bytes) {
      d.append(&c, 1);
      auto more = drain(d);
      got.insert(got.end(), more.begin(), more.end());
    }
    EXPECT_EQ(got, packets) << "version " << int{v};
  }
}

TEST(Framing, SecondConnectKeepsTheVersion) {
  std::string bytes;
  encode(Connect{4, 1, "d", "u", "t", 0, ""}, 5, bytes);
  encode(Connect{5, 1, "d", "u", "t", 0, ""}, 5, bytes);
  FrameDecoder d;
  d.append(bytes);
  EXPECT_EQ(drain(d).size(), 2u);
  EXPECT_EQ(d.version(), 4);
  FrameDecoder big;
  big.append(encoded(Connect{9, 1, "d", "u", "t", 0, ""}, 5));
  drain(big);
  EXPECT_EQ(big.version(), 5);
}

TEST(Framing, CompactsLongStreams) {
  // 200k packets through one decoder in 64 KiB reads: linear time, bounded buffer.
  std::string chunk;
  for (int i = 0; i < 4000; ++i) encode(Recvack{0, i, static_cast<uint32_t>(i)}, 5, chunk);
  FrameDecoder d;
  d.append(encoded(Connect{5, 1, "d", "u", "t", 0, ""}, 5));
  size_t count = drain(d).size();
  std::string all;
  for (int round = 0; round < 50; ++round) all += chunk;
  for (size_t off = 0; off < all.size(); off += 65536) {
    d.append(std::string_view(all).substr(off, 65536));
    count += drain(d).size();
    EXPECT_LT(d.buffered(), 14u);
  }
  EXPECT_EQ(count, 1u + 50 * 4000);
}

TEST(Framing, PacketStorageIsResetOnReuse) {
  Send with_topic = testing::vector_send();
  with_topic.setting = kSettingTopic;
  with_topic.topic = "t";
  FrameDecoder d;
  d.append(encoded(with_topic, 5));
  d.append(encoded(testing::vector_send(), 5));
  Packet p;
  ASSERT_TRUE(d.next(p).got());
  EXPECT_EQ(std::get<Send>(p).topic, "t");
  ASSERT_TRUE(d.next(p).got());
  EXPECT_EQ(p, Packet(testing::vector_send()));
}

TEST(Framing, UndefinedTypesAreErrors) {
  for (const char* h : {"00", "0f", "d0", "e2", "ff"}) expect_error(unhex(h), "not defined");
}

TEST(Framing, RemainingLengthRules) {
  expect_error(unhex("30 ff ff ff ff 01"), "more than 4 bytes");
  expect_error(unhex("30 80 80 80 80"), "more than 4 bytes");
  expect_error(unhex("30 ff ff ff 7f"), "exceeds 1048576");
  expect_error(unhex("30 81 80 40"), "remaining length 1048577 exceeds 1048576");
  // The largest allowed length only waits for its body.
  EXPECT_TRUE(decode_all(unhex("c0 80 80 40 0000 0000")).need_more());
  EXPECT_TRUE(decode_all(unhex("c0 80 80")).need_more());
  // Every packet with a length has a body: zero reads past its end.
  expect_error(unhex("90 00"), "DISCONNECT: body ends inside reason_code");
}

TEST(Framing, ReadingPastTheBodyIsAnError) {
  expect_error(unhex("60 0b 0000000000000001 000000"), "RECVACK: body ends inside message_seq");
  expect_error(unhex("10 05 05 01 0003 61"), "CONNECT: body ends inside device_id");
  // A string running past the body, even though more stream bytes follow.
  expect_error(unhex("90 04 0c 0005 61 6263646566"), "DISCONNECT: body ends inside reason");
  std::string send = encoded(testing::vector_send(), 5);
  send[1] = static_cast<char>(send[1] - 0x7F);  // 150 -> 23: cut inside client_msg_no
  expect_error(send, "SEND: body ends inside client_msg_no");
}

TEST(Framing, StringLongerThan32767IsAnError) {
  expect_error(unhex("90 03 0c 8000"), "length of reason exceeds 32767");
  expect_error(unhex("a0 03 00 ffff"), "SUB: length of sub_no exceeds 32767");
}

TEST(Framing, SurplusAfterFixedLayoutsIsIgnored) {
  std::string bytes = unhex("62 0e 0000000000000005 00000006 abcd");  // RECVACK + 2 bytes
  bytes += unhex("90 04 0c 0000 ff");                                 // DISCONNECT + 1 byte
  bytes += unhex("10 1b 05 01 0001 64 0001 75 0001 74 0000000000000000 0000 ffffffffffff");
  bytes += unhex("a0 0a 00 0000 0000 01 00 0000 ee");  // SUB + 1 byte
  bytes += "\x70";
  FrameDecoder d;
  d.append(bytes);
  DecodeResult last;
  const auto got = drain(d, &last);
  ASSERT_TRUE(last.need_more()) << last.error;
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0], Packet(Recvack{kFlagRedDot, 5, 6}));
  EXPECT_EQ(got[1], Packet(Disconnect{ReasonCode::kConnectKick, ""}));
  EXPECT_EQ(std::get<Connect>(got[2]).uid, "u");
  EXPECT_EQ(got[3], Packet(Sub{0, "", "", 1, 0, ""}));
  EXPECT_EQ(got[4], Packet(Ping{}));
}

TEST(Framing, PingAndPongAreOneByteWithAnyFlags) {
  FrameDecoder d({Side::kClient, 5, false});
  d.append(unhex("80 8f 7a 20"));
  const auto got = drain(d);
  EXPECT_EQ(got, (std::vector<Packet>{Pong{}, Pong{}, Ping{}}));
  EXPECT_EQ(d.buffered(), 1u);
}

TEST(Framing, JsonRpcIsRefused) {
  expect_error("{\"jsonrpc\":\"2.0\"}", "JSON-RPC");
  // 0x7B later in the stream is just a PING with flags.
  FrameDecoder d;
  d.append(encoded(Connect{5, 1, "d", "u", "t", 0, ""}, 5) + "{");
  EXPECT_EQ(drain(d).size(), 2u);
}

TEST(Framing, ErrorsAreFinal) {
  FrameDecoder d;
  d.append(unhex("00"));
  Packet p;
  EXPECT_TRUE(d.next(p).failed());
  d.append(encoded(Ping{}, 5));
  const DecodeResult again = d.next(p);
  EXPECT_TRUE(again.failed());
  EXPECT_NE(again.error.find("not defined"), std::string::npos);
}

TEST(Framing, UndrainedBufferIsCapped) {
  FrameDecoder d;
  const std::string chunk(64 * 1024, '\x70');
  for (size_t total = 0; total < kMaxFrameSize + chunk.size(); total += chunk.size()) {
    d.append(chunk);
  }
  Packet p;
  const DecodeResult r = d.next(p);
  ASSERT_TRUE(r.failed());
  EXPECT_NE(r.error.find("undecoded bytes"), std::string::npos);
}

TEST(Framing, MaximumSizePacketIsAccepted) {
  Event e;
  e.data.assign(kMaxRemainingLength - 12, 'x');
  const std::string bytes = encoded(e, 5);
  EXPECT_EQ(bytes.size(), kMaxFrameSize - 1);
  FrameDecoder d({Side::kClient, 5, false});
  for (size_t off = 0; off < bytes.size(); off += 65536) {
    d.append(std::string_view(bytes).substr(off, 65536));
    DecodeResult last;
    const auto got = drain(d, &last);
    ASSERT_FALSE(last.failed()) << last.error;
    if (!got.empty()) {
      EXPECT_EQ(got, std::vector<Packet>{e});
    }
  }
  EXPECT_EQ(d.buffered(), 0u);
}

TEST(Framing, ProxyHeaderWhenTrusted) {
  const std::string v1 = "PROXY TCP4 203.0.113.7 198.51.100.1 56324 5100\r\n";
  const std::string connect = encoded(Connect{5, 1, "d", "u", "t", 0, ""}, 5);
  const std::string bytes = v1 + connect + encoded(Ping{}, 5);
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    FrameDecoder d({Side::kServer, 5, true});
    d.append(bytes.data(), cut);
    auto got = drain(d);
    d.append(bytes.data() + cut, bytes.size() - cut);
    DecodeResult last;
    auto rest = drain(d, &last);
    got.insert(got.end(), rest.begin(), rest.end());
    ASSERT_TRUE(last.need_more()) << cut << ": " << last.error;
    ASSERT_EQ(got.size(), 2u) << cut;
    ASSERT_TRUE(d.proxy_header().has_value());
    EXPECT_EQ(d.proxy_header()->source_ip, "203.0.113.7");
    EXPECT_EQ(d.proxy_header()->source_port, 56324);
  }
  // Trusted but absent: the stream is plain wkproto.
  FrameDecoder plain({Side::kServer, 5, true});
  plain.append(connect);
  EXPECT_EQ(drain(plain).size(), 1u);
  EXPECT_FALSE(plain.proxy_header().has_value());
}

TEST(Framing, ProxyHeaderWhenNotTrusted) {
  expect_error("PROXY TCP4 203.0.113.7 198.51.100.1 56324 5100\r\n", "PROXY protocol header");
  expect_error(unhex("0d0a0d0a000d0a515549540a 21 11 000c"), "PROXY protocol header");
  EXPECT_TRUE(decode_all("PROX").need_more());
  expect_error("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n", "PROXY", {Side::kServer, 5, true});
}

}  // namespace
}  // namespace jindou::proto
