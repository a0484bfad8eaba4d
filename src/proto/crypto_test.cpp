// Session crypto against the known answers of wkproto.md §6.7 and the handshake rules of §6.2.
#include "proto/crypto.h"

#include <openssl/evp.h>

#include <gtest/gtest.h>

#include <set>

#include "model/base64.h"
#include "proto/codec.h"
#include "proto/test_util.h"

namespace jindou::proto {
namespace {

using testing::hex;
using testing::unhex;

constexpr std::string_view kClientPrivate =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr std::string_view kServerPrivate =
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
constexpr std::string_view kClientKey = "hSDwCYkwp1R0i33ctD73Wg2/Og0mOBr066SpjqqbTmo=";
constexpr std::string_view kServerKey = "3p7bfXt9wbTTW2HC7OQ1Nz+DQ8hbeGdNrfx+FG+IK08=";
constexpr std::string_view kSalt = "dkTF0TbLRb8LTslZ";
constexpr std::string_view kPlaintext =
    "{\"content\":\"h\xc3\xa9llo \xe4\xb8\x96\xe7\x95\x8c\",\"type\":1}";

SessionCrypto vector_session() {
  return SessionCrypto::with_key("f4352fa7b6166624", kSalt);
}

TEST(Crypto, KeyAgreementKnownAnswer) {
  auto client = ClientCrypto::from_private_key(unhex(kClientPrivate));
  ASSERT_TRUE(client.has_value());
  EXPECT_EQ(client->client_key(), kClientKey);

  auto server = SessionCrypto::accept(kClientKey, unhex(kServerPrivate), kSalt);
  ASSERT_TRUE(server.ok()) << server.error().message;
  EXPECT_EQ(server->server_key(), kServerKey);
  EXPECT_EQ(server->salt(), kSalt);
  EXPECT_EQ(server->aes_key(), "0c15fdbf4d09bc6c");

  auto session = client->establish(kServerKey, kSalt);
  ASSERT_TRUE(session.ok()) << session.error().message;
  EXPECT_EQ(session->aes_key(), "0c15fdbf4d09bc6c");
  EXPECT_EQ(session->salt(), kSalt);
}

TEST(Crypto, MessageVectors) {
  SessionCrypto s = vector_session();
  EXPECT_EQ(hex(kPlaintext),
            "7b22636f6e74656e74223a2268c3a96c6c6f20e4b896e7958c222c2274797065223a317d");
  EXPECT_EQ(s.encrypt(kPlaintext), testing::kPayload);
  EXPECT_EQ(s.decrypt(testing::kPayload), std::string(kPlaintext));

  const std::string send_sign =
      "1" + std::string(testing::kClientMsgNo) + "u11" + std::string(testing::kPayload);
  EXPECT_EQ(
      s.encrypt(send_sign),
      "YJPSEYna8+EPUKsF3UvClZPb6z6nQHBNxs5HHcVuilG39LhQ4vGk2kXolKrAUNr8mxZmPmlBwEsk8KUwWsQ0kfgX"
      "PU5BcShANf00MzQQdBYxelWl7SiWlR7uh6QUTOhXxL15xSHjTqPWwqnyC0Yk/A==");
  EXPECT_EQ(s.send_msg_key(1, testing::kClientMsgNo, "u1", 1, testing::kPayload),
            testing::kSendMsgKey);
  EXPECT_EQ(s.recv_msg_key(1000000000000000001, 1, testing::kClientMsgNo, 1795766053, "u1", "u1", 1,
                           testing::kPayload),
            testing::kRecvMsgKey);
  EXPECT_TRUE(s.verify_send(testing::vector_send()));
}

TEST(Crypto, ServerOpensTheVectorSendAndSealsTheVectorRecv) {
  SessionCrypto s = vector_session();
  FrameDecoder d;
  d.append(unhex(testing::kSendV5Hex));
  Packet p;
  ASSERT_TRUE(d.next(p).got());
  EXPECT_EQ(s.open_send(std::get<Send>(p)), std::string(kPlaintext));

  Recv r = testing::vector_recv();
  r.payload.clear();
  r.msg_key.clear();
  std::string payload;
  std::string msg_key;
  ASSERT_TRUE(s.seal_recv(RecvView::of(r), kPlaintext, payload, msg_key));
  RecvView view = RecvView::of(r);
  view.payload = payload;
  view.msg_key = msg_key;
  std::string out;
  encode(view, 5, out);
  EXPECT_EQ(hex(out), testing::kRecvV5Hex);

  // The client side of the same vectors.
  Send send = testing::vector_send();
  send.payload.clear();
  send.msg_key.clear();
  ASSERT_TRUE(s.seal_send(send, kPlaintext));
  EXPECT_EQ(hex(encoded(send, 5)), testing::kSendV5Hex);
  EXPECT_EQ(s.open_recv(testing::vector_recv()), std::string(kPlaintext));
}

TEST(Crypto, TamperedSendOrRecvIsRefused) {
  SessionCrypto s = vector_session();
  Send send = testing::vector_send();
  send.client_seq = 2;  // covered by msg_key
  EXPECT_FALSE(s.open_send(send).has_value());
  send = testing::vector_send();
  send.msg_key[0] = 'b';
  EXPECT_FALSE(s.verify_send(send));
  send.msg_key = "";
  EXPECT_FALSE(s.verify_send(send));
  send = testing::vector_send();
  send.expire = 99;  // not covered
  send.topic = "x";
  EXPECT_TRUE(s.open_send(send).has_value());
  Recv recv = testing::vector_recv();
  recv.channel_id = "u2";
  EXPECT_FALSE(s.open_recv(recv).has_value());
}

TEST(Crypto, DecryptFailures) {
  SessionCrypto s = vector_session();
  EXPECT_FALSE(s.decrypt("not base64!").has_value());
  EXPECT_FALSE(s.decrypt("").has_value());
  EXPECT_FALSE(s.decrypt(base64_encode(std::string(15, 'x'))).has_value());  // not 16n bytes
  // Blocks whose plaintext ends in an invalid PKCS#7 byte (0x00, 0x11) or inconsistent padding.
  for (const std::string& block :
       {std::string(16, '\0'), std::string(15, 'a') + "\x11", std::string(14, 'a') + "\x01\x02"}) {
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    ASSERT_EQ(EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), nullptr,
                                 reinterpret_cast<const unsigned char*>("f4352fa7b6166624"),
                                 reinterpret_cast<const unsigned char*>(kSalt.data())),
              1);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    unsigned char raw[16];
    int n = 0;
    ASSERT_EQ(
        EVP_EncryptUpdate(ctx, raw, &n, reinterpret_cast<const unsigned char*>(block.data()), 16),
        1);
    EVP_CIPHER_CTX_free(ctx);
    const std::string text = base64_encode(std::string_view(reinterpret_cast<char*>(raw), 16));
    EXPECT_FALSE(s.decrypt(text).has_value()) << hex(block);
  }
  // A failed decryption leaves the session usable.
  EXPECT_EQ(s.decrypt(testing::kPayload), std::string(kPlaintext));
}

TEST(Crypto, EncryptEmptyAndLarge) {
  SessionCrypto s = vector_session();
  const std::string empty = s.encrypt("");
  EXPECT_EQ(empty.size(), 24u);  // one full padding block
  EXPECT_EQ(s.decrypt(empty), std::string());
  const std::string big(100000, 'z');
  EXPECT_EQ(s.decrypt(s.encrypt(big)), big);
  std::string out = "prefix";
  ASSERT_TRUE(s.encrypt_to("abc", out));
  EXPECT_EQ(out.substr(0, 6), "prefix");
  EXPECT_EQ(s.decrypt(std::string_view(out).substr(6)), "abc");
}

TEST(Crypto, HandshakeRefusals) {
  auto r = SessionCrypto::accept("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().reason, ReasonCode::kClientKeyIsEmpty);
  for (const std::string& key :
       {std::string("not base64"), std::string("hSDwCYkwp1R0i33c"),
        base64_encode(std::string(31, 'k')), base64_encode(std::string(32, '\0')),
        base64_encode(unhex("01") + std::string(31, '\0'))}) {
    auto refused = SessionCrypto::accept(key);
    ASSERT_FALSE(refused.ok()) << key;
    EXPECT_EQ(refused.error().reason, ReasonCode::kAuthFail) << key;
  }
  // Longer keys use their first 32 bytes.
  auto longer = SessionCrypto::accept(base64_encode(*base64_decode(kClientKey) + "extra"),
                                      unhex(kServerPrivate), kSalt);
  ASSERT_TRUE(longer.ok());
  EXPECT_EQ(longer->aes_key(), "0c15fdbf4d09bc6c");
}

TEST(Crypto, FreshServerKeysAndSalts) {
  ClientCrypto client;
  EXPECT_EQ(client.client_key().size(), 44u);
  std::set<char> seen;
  std::set<std::string> keys;
  for (int i = 0; i < 200; ++i) {
    auto s = SessionCrypto::accept(client.client_key());
    ASSERT_TRUE(s.ok()) << s.error().message;
    EXPECT_EQ(s->server_key().size(), 44u);
    EXPECT_EQ(base64_decode(s->server_key())->size(), 32u);
    ASSERT_EQ(s->salt().size(), kSaltChars);
    for (const char c : s->salt()) {
      ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
      seen.insert(c);
    }
    keys.insert(s->server_key());
  }
  EXPECT_EQ(keys.size(), 200u);
  EXPECT_EQ(seen.size(), 62u);  // 3200 draws: missing a character has probability ~1e-20
}

TEST(Crypto, ClientAndServerAgree) {
  ClientCrypto client;
  auto server = SessionCrypto::accept(client.client_key());
  ASSERT_TRUE(server.ok());
  // The SDKs take the first 16 chars of a longer salt.
  auto session = client.establish(server->server_key(), server->salt() + "tail");
  ASSERT_TRUE(session.ok()) << session.error().message;
  EXPECT_EQ(session->aes_key(), server->aes_key());

  Send send;
  send.client_seq = 42;
  send.client_msg_no = "m";
  send.channel_id = "u2";
  send.channel_type = 1;
  ASSERT_TRUE(session->seal_send(send, "{\"type\":1}"));
  EXPECT_EQ(server->open_send(send), "{\"type\":1}");

  Recv recv;
  recv.message_id = 7;
  recv.message_seq = 8;
  recv.client_msg_no = "m";
  recv.timestamp = 1700000000;
  recv.from_uid = "u1";
  recv.channel_id = "u1";
  recv.channel_type = 1;
  ASSERT_TRUE(server->seal_recv(RecvView::of(recv), "hello", recv.payload, recv.msg_key));
  EXPECT_EQ(session->open_recv(recv), "hello");

  EXPECT_FALSE(client.establish("", server->salt()).ok());
  EXPECT_FALSE(client.establish(server->server_key(), "short").ok());
  EXPECT_FALSE(ClientCrypto::from_private_key("short").has_value());
}

TEST(Crypto, SessionsMove) {
  SessionCrypto a = vector_session();
  SessionCrypto b = std::move(a);
  EXPECT_EQ(b.encrypt(kPlaintext), testing::kPayload);
  a = std::move(b);
  EXPECT_EQ(a.encrypt(kPlaintext), testing::kPayload);
}

}  // namespace
}  // namespace jindou::proto
