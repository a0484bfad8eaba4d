// WebSocket over TLS (`wssAddr`, wkproto.md §1.1, §1.3) on the real server: a certificate made at
// run time (testing/test_certificate.h), WkClient with Transport::kWebSocketTls (certificate not
// verified), messages between wss and tcp clients, and a start that must fail when the
// certificate or key cannot be used.
#include <gtest/gtest.h>

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "model/channel.h"
#include "testing/test_certificate.h"
#include "wkproto_test.h"

namespace jindou::client {
namespace {

namespace json = boost::json;

class WssTest : public WkClientTest {
 protected:
  static void SetUpTestSuite() {
    ServerOptions options;
    options.wss = true;
    StartServer(std::move(options));
  }

  // A sends `text` to B and B receives it: SENDACK 1, RECV from A with the same ids and bytes.
  void Exchange(WkClient& a, WkClient& b, std::string_view text) {
    const std::string b_uid = b.options().uid;
    const PreparedSend sent = a.prepare_send(b_uid, kChannelPerson, text);
    a.send_raw(sent.bytes);
    const auto ack = a.wait_sendack(sent.client_seq, kWait);
    ASSERT_TRUE(ack) << a.close_reason();
    EXPECT_EQ(ack->reason_code, ReasonCode::kSuccess);
    const auto recv = b.wait_recv(kWait);
    ASSERT_TRUE(recv) << b.close_reason();
    EXPECT_EQ(recv->from_uid, a.options().uid);
    EXPECT_EQ(recv->channel_id, a.options().uid);
    EXPECT_EQ(recv->client_msg_no, sent.client_msg_no);
    EXPECT_EQ(recv->message_id, ack->message_id);
    EXPECT_EQ(recv->payload, text);
    EXPECT_EQ(recv->msg_key.size(), 32u) << "the payload travels encrypted with a msg_key";
  }
};

TEST_F(WssTest, EncryptedPersonMessagesFlowBetweenWssAndTcp) {
  ASSERT_NE(server().wss_port(), 0);
  WkClient over_wss = Connected(Options(Id("a"), Transport::kWebSocketTls, 5));
  WkClient over_tcp = Connected(Options(Id("b"), Transport::kTcp, 4));
  Exchange(over_wss, over_tcp, kText);
  Exchange(over_tcp, over_wss, R"({"content":"reply over TLS 🔒","type":1})");
  EXPECT_TRUE(over_wss.ping(kWait));
}

// What SDK 1.0.4 does over wss://: version 2, device_flag 1 (web).
TEST_F(WssTest, Version2WebClientSendsAndReceives) {
  ClientOptions o = Options(Id("web"), Transport::kWebSocketTls, 2);
  o.device_flag = 1;
  WkClient web = Connected(o);
  WkClient app = Connected(Options(Id("app"), Transport::kWebSocket, 5));
  Exchange(web, app, kText);
  Exchange(app, web, kText);
  const std::string from = Id("http");
  Send(from, web.options().uid, kChannelPerson, std::string(kText));
  const auto recv = web.wait_recv(kWait);
  ASSERT_TRUE(recv) << web.close_reason();
  EXPECT_EQ(recv->from_uid, from);
  EXPECT_EQ(recv->payload, kText);
}

TEST_F(WssTest, ConnzNamesTheWssTransport) {
  const std::string uid = Id("u");
  WkClient client = Connected(Options(uid, Transport::kWebSocketTls, 4));
  const auto r = http().get("/connz?uid=" + uid);
  ASSERT_EQ(r.status, 200) << r.body;
  const json::value page = r.json();
  const auto& conns = page.at("connections").as_array();
  ASSERT_EQ(conns.size(), 1u) << r.body;
  EXPECT_EQ(Str(conns[0], "uid"), uid);
  EXPECT_EQ(Str(conns[0], "transport"), "wss");
  EXPECT_EQ(Int(conns[0], "version"), 4);
}

TEST_F(WssTest, PlainClientsOnTheTlsPortFailWithoutHarm) {
  ClientOptions ws = Options(Id("plain"), Transport::kWebSocket);
  ws.port = server().wss_port();
  ws.io_timeout = kWait;
  WkClient plain_ws(ws);
  EXPECT_THROW(plain_ws.connect(), std::runtime_error);

  ClientOptions tcp = Options(Id("raw"), Transport::kTcp);
  tcp.port = server().wss_port();
  WkClient raw(tcp);
  raw.open();
  raw.send_raw(std::string(64, '\x10'));  // not a TLS record
  EXPECT_TRUE(raw.wait_closed(kWait));

  WkClient good = Connected(Options(Id("good"), Transport::kWebSocketTls));
  EXPECT_TRUE(good.ping(kWait)) << good.close_reason();
}

// --- start-up with an unusable certificate --------------------------------------------------

// A temporary directory, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "jindou-cert-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> LinesContaining(const std::string& log, std::string_view needle) {
  std::vector<std::string> out;
  std::istringstream in(log);
  for (std::string line; std::getline(in, line);) {
    if (line.find(needle) != std::string::npos) out.push_back(line);
  }
  return out;
}

TEST(WssStartTest, UnusableCertificateOrKeyStopsTheStart) {
  TempDir dir;
  const auto good = jindou::testing::write_test_certificate(dir.path());
  const std::string other_dir = dir.path() + "/other";
  std::filesystem::create_directory(other_dir);
  const auto other = jindou::testing::write_test_certificate(other_dir);
  const std::string garbage = dir.path() + "/garbage.pem";
  std::ofstream(garbage) << "this is not a PEM certificate\n";
  struct Case {
    std::string name;
    std::string cert;
    std::string key;
    bool cert_at_fault;  // else the key file is
  };
  const std::vector<Case> cases = {
      {"missing certificate file", dir.path() + "/absent.pem", good.key_file, true},
      {"certificate path is a directory", other_dir, good.key_file, true},
      {"certificate file is not PEM", garbage, good.key_file, true},
      {"missing key file", good.cert_file, dir.path() + "/absent-key.pem", false},
      {"key file is not PEM", good.cert_file, garbage, false},
      {"key of another certificate", good.cert_file, other.key_file, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ServerOptions options;
    options.args = {"-o", "wssAddr=127.0.0.1:" + std::to_string(jindou::testing::free_port()),
                    "-o", "wssConfig.certFile=" + c.cert,
                    "-o", "wssConfig.keyFile=" + c.key};
    ServerProcess server(options);
    server.spawn();
    const auto status = server.wait_exit(std::chrono::seconds(20));
    ASSERT_TRUE(status.has_value()) << "the server kept running\n" << server.log();
    EXPECT_NE(*status, 0) << server.log();
    EXPECT_LT(*status, 128) << "an orderly exit, not a crash\n" << server.log();
    // One line says what is wrong (configuration.md: "one line naming the key"): it names the
    // setting or the path of the file that cannot be used.
    const auto lines = LinesContaining(server.log(), "wssConfig");
    ASSERT_EQ(lines.size(), 1u) << server.log();
    const std::string& file = c.cert_at_fault ? c.cert : c.key;
    const std::string key = c.cert_at_fault ? "wssConfig.certFile" : "wssConfig.keyFile";
    EXPECT_TRUE(lines[0].find(key) != std::string::npos || lines[0].find(file) != std::string::npos)
        << "the line names neither " << key << " nor " << file << ":\n"
        << lines[0];
  }
}

TEST(WssStartTest, WssAddrWithoutCertificateIsAConfigurationError) {
  ServerOptions options;
  options.args = {"-o", "wssAddr=127.0.0.1:" + std::to_string(jindou::testing::free_port())};
  ServerProcess server(options);
  server.spawn();
  const auto status = server.wait_exit(std::chrono::seconds(20));
  ASSERT_TRUE(status.has_value()) << server.log();
  EXPECT_EQ(*status, 2) << server.log();  // configuration.md: invalid values exit 2
  const auto lines = LinesContaining(server.log(), "wssAddr");
  ASSERT_EQ(lines.size(), 1u) << server.log();
  EXPECT_NE(lines[0].find("certFile"), std::string::npos) << lines[0];
}

}  // namespace
}  // namespace jindou::client
