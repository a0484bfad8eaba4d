#include "store/encoding.h"

#include <gtest/gtest.h>

namespace jindou::store {
namespace {

Message sample() {
  Message m;
  m.message_id = 1234567890123456789;
  m.message_seq = 42;
  m.client_msg_no = "cmn-1";
  m.from_uid = "alice";
  m.channel = {"bob@alice", kChannelPerson};
  m.header = {false, true, true};
  m.setting = kSettingReceipt | kSettingTopic;
  m.expire = 3600;
  m.timestamp = 1'700'000'000;
  m.stream_no = "s1";
  m.tag_key = "tag";
  m.topic = "topic";
  m.payload = std::string("\0\x01\xffpayload", 10);
  return m;
}

TEST(Encoding, MessageRoundTrip) {
  const Message m = sample();
  const std::string key = message_key(m.channel, m.message_seq);
  const std::string value = encode_message(m);
  auto back = decode_message(key, value);
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->message_id, m.message_id);
  EXPECT_EQ(back->message_seq, 42u);
  EXPECT_EQ(back->channel, m.channel);
  EXPECT_EQ(back->client_msg_no, m.client_msg_no);
  EXPECT_EQ(back->from_uid, m.from_uid);
  EXPECT_EQ(back->header, m.header);
  EXPECT_EQ(back->setting, m.setting);
  EXPECT_EQ(back->expire, m.expire);
  EXPECT_EQ(back->timestamp, m.timestamp);
  EXPECT_EQ(back->stream_no, m.stream_no);
  EXPECT_EQ(back->tag_key, m.tag_key);
  EXPECT_EQ(back->topic, m.topic);
  EXPECT_EQ(back->payload, m.payload);
  // The compaction filter reads these offsets directly.
  EXPECT_EQ(get_u32(value.data() + kMessageExpireOffset), 3600u);
  EXPECT_EQ(get_u64(value.data() + kMessageTimestampOffset), 1'700'000'000u);
}

TEST(Encoding, RejectsTruncatedOrForeignValues) {
  const Message m = sample();
  const std::string key = message_key(m.channel, m.message_seq);
  std::string value = encode_message(m);
  EXPECT_FALSE(decode_message(key, value.substr(0, 10)));
  value[0] = 9;  // unknown format version
  EXPECT_FALSE(decode_message(key, value));
  EXPECT_FALSE(decode_message(key.substr(0, key.size() - 1), encode_message(m)));
}

TEST(Encoding, IndexRoundTrip) {
  const Message m = sample();
  auto e = decode_index(encode_index(m));
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->expires_at, m.timestamp + 3600);
  EXPECT_EQ(e->timestamp, m.timestamp);
  EXPECT_EQ(e->message_id, m.message_id);
  EXPECT_EQ(e->channel, m.channel);
  EXPECT_EQ(e->seq, 42u);
}

TEST(Encoding, MessageKeysOfOneChannelSortBySeqAndStayContiguous) {
  const ChannelKey a{"g1", kChannelGroup};
  const ChannelKey b{"g10", kChannelGroup};
  const ChannelKey c{"g2", kChannelGroup};
  EXPECT_LT(message_key(a, 1), message_key(a, 2));
  EXPECT_LT(message_key(a, 255), message_key(a, 256));
  EXPECT_LT(message_key(a, UINT64_MAX), message_key(c, 0));
  // Different lengths never interleave: every key of one channel is on one side of another's.
  EXPECT_LT(message_key(a, UINT64_MAX), message_key(b, 0));
  EXPECT_LT(message_key(c, UINT64_MAX), message_key(b, 0));
}

TEST(Encoding, ChannelInfoRoundTrip) {
  ChannelInfo info{true, false, true, false, true};
  EXPECT_EQ(decode_channel_info(encode_channel_info(info)), info);
}

}  // namespace
}  // namespace jindou::store
