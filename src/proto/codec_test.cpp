// Encoders and body decoders against hand-built byte vectors (wkproto.md §4, §6.7(c)).
#include "proto/codec.h"

#include <gtest/gtest.h>

#include "proto/test_util.h"
#include "proto/wire.h"

namespace jindou::proto {
namespace {

using testing::hex;
using testing::unhex;

// Decodes one complete encoded packet (header, length, body) with decode_body.
Packet decode_one(std::string_view bytes, uint8_t version) {
  FrameDecoder decoder({Side::kClient, version, false});
  decoder.append(bytes);
  Packet p;
  DecodeResult r = decoder.next(p);
  EXPECT_TRUE(r.got()) << r.error;
  EXPECT_EQ(decoder.buffered(), 0u);
  return p;
}

std::string send_v2_hex() {
  // §6.7(c) for v2: the four expire bytes go, remaining length 150 - 4 = 146 = 92 01.
  std::string h(testing::kSendV5Hex);
  const size_t expire_at = (3 + 1 + 4 + 2 + 36 + 4 + 1) * 2;
  h.erase(expire_at, 8);
  return "329201" + h.substr(6);
}

std::string recv_v2_hex() {
  std::string h(testing::kRecvV5Hex);
  const size_t expire_at = (3 + 1 + 34 + 4 + 4 + 1) * 2;
  h.erase(expire_at, 8);
  return "52a201" + h.substr(6);
}

TEST(Codec, SendKnownAnswerV5) {
  const std::string bytes = encoded(testing::vector_send(), 5);
  EXPECT_EQ(hex(bytes), testing::kSendV5Hex);
  EXPECT_EQ(bytes.size(), 153u);
  EXPECT_EQ(decode_one(bytes, 5), Packet(testing::vector_send()));
  // v3 and v4 share the v5 layout for a SEND without stream bits.
  EXPECT_EQ(hex(encoded(testing::vector_send(), 3)), testing::kSendV5Hex);
  EXPECT_EQ(hex(encoded(testing::vector_send(), 4)), testing::kSendV5Hex);
}

TEST(Codec, SendKnownAnswerV2) {
  const std::string bytes = encoded(testing::vector_send(), 2);
  EXPECT_EQ(bytes.size(), 149u);
  EXPECT_EQ(hex(bytes), send_v2_hex());
  EXPECT_EQ(decode_one(bytes, 2), Packet(testing::vector_send()));
  EXPECT_EQ(hex(encoded(testing::vector_send(), 1)), send_v2_hex());
}

TEST(Codec, RecvKnownAnswerV5) {
  const std::string bytes = encoded(testing::vector_recv(), 5);
  EXPECT_EQ(hex(bytes), testing::kRecvV5Hex);
  EXPECT_EQ(bytes.size(), 169u);
  EXPECT_EQ(decode_one(bytes, 5), Packet(testing::vector_recv()));
  EXPECT_EQ(hex(encoded(testing::vector_recv(), 4)), testing::kRecvV5Hex);
}

TEST(Codec, RecvKnownAnswerV2) {
  const std::string bytes = encoded(testing::vector_recv(), 2);
  EXPECT_EQ(bytes.size(), 165u);
  EXPECT_EQ(hex(bytes), recv_v2_hex());
  EXPECT_EQ(decode_one(bytes, 2), Packet(testing::vector_recv()));
}

TEST(Codec, RecvSettingAndTopicPerVersion) {
  Recv r;
  r.setting = 0x8A;  // receipt | topic | stream
  r.from_uid = "a";
  r.channel_id = "b";
  r.channel_type = 1;
  r.expire = 60;
  r.client_msg_no = "c";
  r.message_id = 2;
  r.message_seq = 3;
  r.timestamp = 4;
  r.topic = "tp";
  r.payload = "x";
  const std::string tail = "0001 63 0000000000000002 00000003 00000004 0002 7470 78";
  EXPECT_EQ(hex(encoded(r, 5)), hex(unhex("50 26 8a 0000 0001 61 0001 62 01 0000003c" + tail)));
  EXPECT_EQ(hex(encoded(r, 4)), hex(unhex("50 26 88 0000 0001 61 0001 62 01 0000003c" + tail)));
  EXPECT_EQ(hex(encoded(r, 2)), hex(unhex("50 22 88 0000 0001 61 0001 62 01" + tail)));
  r.setting = 0x04;  // the legacy stream bit is never sent
  r.topic.clear();
  EXPECT_EQ(static_cast<uint8_t>(encoded(r, 5)[2]), 0x00);
}

TEST(Codec, RecvDecodesStreamFieldsBeforeV5) {
  const std::string v4 = unhex(
      "52 2f 02 0000 0001 61 0001 62 01 00000000 0001 63"
      "01 0002 7331 0000000000000009"  // stream_flag, stream_no, stream_id
      "0000000000000002 00000003 00000004 78");
  const auto p = std::get<Recv>(decode_one(v4, 4));
  EXPECT_EQ(p.stream_flag, 1);
  EXPECT_EQ(p.stream_no, "s1");
  EXPECT_EQ(p.stream_id, 9u);
  EXPECT_EQ(p.message_id, 2);
  EXPECT_EQ(p.payload, "x");
}

TEST(Codec, RecvEncoderDoesNotAllocateWithCapacity) {
  const Recv r = testing::vector_recv();
  const RecvView view = RecvView::of(r);
  std::string out;
  out.reserve(4096);
  const char* data = out.data();
  for (int i = 0; i < 20; ++i) encode(view, 5, out);
  EXPECT_EQ(out.data(), data);
  EXPECT_EQ(out.size(), 20 * encoded_size(view, 5));
  EXPECT_EQ(encoded_size(view, 2), 165u);
}

TEST(Codec, ConnackShapes) {
  Connack c;
  c.server_version = 5;
  c.time_diff = -1;
  c.server_key = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=";
  c.salt = "dkTF0TbLRb8LTslZ";
  c.node_id = 7;
  const std::string key_salt =
      hex(std::string("\x00\x2c", 2) + c.server_key + std::string("\x00\x10", 2) + c.salt);
  const std::string v5 =
      "2152"
      "05"
      "ffffffffffffffff"
      "01" +
      key_salt + "0000000000000007";
  EXPECT_EQ(hex(encoded(c, 5)), v5);
  EXPECT_EQ(encoded(c, 5).size(), 84u);  // body 82
  EXPECT_EQ(hex(encoded(c, 6)), v5);     // c = 6 is answered as 5 by the caller's server_version
  EXPECT_EQ(decode_one(encoded(c, 5), 5), Packet(c));

  Connack c2 = c;
  c2.server_version = 0;
  c2.node_id = 0;
  const std::string v2 =
      "2049"
      "ffffffffffffffff"
      "01" +
      key_salt;
  EXPECT_EQ(hex(encoded(c2, 2)), v2);
  EXPECT_EQ(hex(encoded(c2, 3)), v2);  // c = 3: no server_version, no node_id
  EXPECT_EQ(decode_one(encoded(c2, 2), 2), Packet(c2));

  Connack c4 = c;
  c4.server_version = 4;
  EXPECT_EQ(hex(encoded(c4, 4)), "215204" + v5.substr(6));

  Connack failure;
  failure.server_version = 5;
  failure.reason_code = ReasonCode::kAuthFail;
  EXPECT_EQ(hex(encoded(failure, 5)),
            hex(unhex("21 16 05 0000000000000000 02 0000 0000 0000000000000000")));
}

TEST(Codec, ClientDecodesConnackByHeaderFlag) {
  // Flag set: server_version is read even on a v3 decoder; node_id follows the decoder version.
  const auto p = std::get<Connack>(
      decode_one(unhex("21 16 05 0000000000000001 01 0000 0000 0000000000000003"), 5));
  EXPECT_EQ(p.server_version, 5);
  EXPECT_EQ(p.node_id, 3u);
  const auto q = std::get<Connack>(decode_one(unhex("20 0d 0000000000000001 01 0000 0000"), 2));
  EXPECT_EQ(q.server_version, 0);
  EXPECT_EQ(q.time_diff, 1);
}

TEST(Codec, FixedPackets) {
  Connect c{5, 1, "d1", "u1", "t", 0x0102030405060708, "k"};
  EXPECT_EQ(hex(encoded(c, 5)), hex(unhex("10 18 05 01 0002 6431 0002 7531 0001 74"
                                          "0102030405060708 0001 6b")));
  EXPECT_EQ(encoded(c, 2), encoded(c, 5));

  Sendack sa{kFlagNoPersist | kFlagRedDot, 0x0DE0B6B3A7640001, 1, 0, ReasonCode::kSuccess};
  EXPECT_EQ(hex(encoded(sa, 5)), "43110de0b6b3a7640001000000010000000001");

  Recvack ra{kFlagRedDot, 0x0DE0B6B3A7640001, 1};
  EXPECT_EQ(hex(encoded(ra, 5)), "620c0de0b6b3a764000100000001");

  EXPECT_EQ(hex(encoded(Ping{}, 5)), "70");
  EXPECT_EQ(hex(encoded(Pong{}, 2)), "80");

  Disconnect d{ReasonCode::kConnectKick, "login in other device"};
  EXPECT_EQ(hex(encoded(d, 5)), "90180c0015" + hex("login in other device"));

  Sub s{0, "s1", "g1", 2, 0, ""};
  EXPECT_EQ(hex(encoded(s, 5)), "a00d00000273310002673102000000");

  Suback sb{"s1", "g1", 2, 1, ReasonCode::kSuccess};
  EXPECT_EQ(hex(encoded(sb, 5)), "b00b0002733100026731020101");

  Event e{"e1", "t", 1000, "{}"};
  EXPECT_EQ(hex(encoded(e, 5)),
            "c01100026531000174"
            "00000000000003e8"
            "7b7d");

  // None of these layouts depends on the version.
  for (const Packet& p : {Packet(c), Packet(sa), Packet(ra), Packet(Ping{}), Packet(Pong{}),
                          Packet(d), Packet(s), Packet(sb), Packet(e)}) {
    for (uint8_t v = 0; v <= 6; ++v) {
      EXPECT_EQ(hex(encoded(p, v)), hex(encoded(p, 5))) << int{v};
      EXPECT_EQ(decode_one(encoded(p, v), v), p) << hex(encoded(p, v));
    }
  }
}

TEST(Codec, SendTopicAndFlags) {
  Send s = testing::vector_send();
  s.flags = kFlagNoPersist | kFlagRedDot | kFlagSyncOnce | kFlagDup;
  s.setting = kSettingTopic | kSettingReceipt;
  s.expire = 0x01020304;
  s.topic = "news";
  const std::string bytes = encoded(s, 5);
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0x3F);
  EXPECT_NE(hex(bytes).find("01020304"
                            "0020" +
                            hex(testing::kSendMsgKey) + "00046e657773"),
            std::string::npos);
  EXPECT_EQ(decode_one(bytes, 5), Packet(s));
  // No expire below v3: decoded as 0.
  Send v2 = s;
  v2.expire = 0;
  EXPECT_EQ(decode_one(encoded(s, 2), 2), Packet(v2));
}

TEST(Codec, SendStreamBitIsReadAndDroppedBeforeV5) {
  Send s = testing::vector_send();
  s.setting = kSettingStream | kSettingReceipt;
  s.stream_no = "st";
  for (uint8_t v : {2, 3, 4}) {
    const std::string bytes = encoded(s, v);
    EXPECT_EQ(bytes.size(), encoded(testing::vector_send(), v).size() + 4) << int{v};
    auto p = std::get<Send>(decode_one(bytes, v));
    EXPECT_EQ(p.setting, kSettingReceipt);
    EXPECT_EQ(p.stream_no, "");
    EXPECT_EQ(p.channel_id, "u1");
    EXPECT_EQ(p.payload, testing::kPayload);
    EXPECT_FALSE(p.legacy_stream);
  }
  // v5 and v1 have no stream field: the bit stays, nothing is read.
  for (uint8_t v : {1, 5}) {
    EXPECT_EQ(encoded(s, v).size(), encoded(testing::vector_send(), v).size());
    EXPECT_EQ(std::get<Send>(decode_one(encoded(s, v), v)).setting, s.setting);
  }
}

TEST(Codec, SendLegacyStreamBit) {
  // SDK 1.0.4: setting 0x04, stream_no right after client_msg_no, v2 (no expire).
  const std::string bytes = unhex(
      "32 1e 04 00000007 0002 6d31 0002 7331 0002 7531 01 0000"
      "7b2274797065223a317d");
  const auto p = std::get<Send>(decode_one(bytes, 2));
  EXPECT_TRUE(p.legacy_stream);
  EXPECT_EQ(p.client_seq, 7u);
  EXPECT_EQ(p.client_msg_no, "m1");
  EXPECT_EQ(p.stream_no, "s1");
  EXPECT_EQ(p.channel_id, "u1");
  EXPECT_EQ(p.payload, "{\"type\":1}");
  // Our encoder writes the same layout, so the test client can play SDK 1.0.4.
  Send legacy = p;
  EXPECT_EQ(hex(encoded(legacy, 2)), hex(bytes));
  // Decoded on a v5 connection the rest misparses, yet client_seq is recovered.
  const auto q = std::get<Send>(decode_one(bytes, 5));
  EXPECT_TRUE(q.legacy_stream);
  EXPECT_EQ(q.client_seq, 7u);
  // Truncated right after client_seq.
  const auto t = std::get<Send>(decode_one(unhex("32 05 04 00000009"), 5));
  EXPECT_TRUE(t.legacy_stream);
  EXPECT_EQ(t.client_seq, 9u);
  EXPECT_EQ(t.payload, "");
}

TEST(Codec, RemainingLengthShortestForm) {
  const auto header_of = [](size_t body) {
    Event e;
    e.data.assign(body - 12, 'x');  // id "" + type "" + timestamp = 12 bytes
    const std::string bytes = encoded(e, 5);
    EXPECT_EQ(bytes.size(), 1 + wire::varint_size(static_cast<uint32_t>(body)) + body);
    return hex(bytes.substr(0, 1 + wire::varint_size(static_cast<uint32_t>(body))));
  };
  EXPECT_EQ(header_of(17), "c011");
  EXPECT_EQ(header_of(127), "c07f");
  EXPECT_EQ(header_of(128), "c08001");
  EXPECT_EQ(header_of(150), "c09601");
  EXPECT_EQ(header_of(16383), "c0ff7f");
  EXPECT_EQ(header_of(16384), "c0808001");
  EXPECT_EQ(header_of(kMaxRemainingLength), "c0808040");
  EXPECT_EQ(wire::varint_size(268435455), 4u);
}

TEST(Codec, OverlongStringsAreClipped) {
  Disconnect d{ReasonCode::kConnectKick, std::string(40000, 'r')};
  const std::string bytes = encoded(d, 5);
  const auto p = std::get<Disconnect>(decode_one(bytes, 5));
  EXPECT_EQ(p.reason.size(), kMaxStringBytes);
}

TEST(Codec, DecodeBodyRejectsUndefinedTypes) {
  std::string error;
  Packet p;
  for (uint8_t header : {0x00, 0xD0, 0xE0, 0xF5}) {
    EXPECT_FALSE(decode_body(header, "x", 5, p, error));
    EXPECT_NE(error.find("not defined"), std::string::npos);
  }
  EXPECT_FALSE(decode_body(0x60, unhex("0000000000000001 000000"), 5, p, error));
  EXPECT_EQ(error, "RECVACK: body ends inside message_seq");
  EXPECT_FALSE(decode_body(0x90, unhex("0c 8000"), 5, p, error));
  EXPECT_EQ(error, "DISCONNECT: length of reason exceeds 32767 bytes");
}

TEST(Codec, PacketNames) {
  EXPECT_EQ(packet_name(PacketType::kSend), "SEND");
  EXPECT_EQ(packet_name(type_of(Packet(Suback{}))), "SUBACK");
  EXPECT_EQ(type_of(Packet(Event{})), PacketType::kEvent);
}

}  // namespace
}  // namespace jindou::proto
