// Shared pieces of the black-box tests of the HTTP API: a fixture with one real server per suite,
// request builders and matchers for the contract's answer shapes.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "model/base64.h"
#include "support/http_client.h"
#include "support/server_process.h"

namespace jindou::testing {

namespace json = boost::json;
using jindou::base64_decode;
using jindou::base64_encode;

inline constexpr int kPerson = 1;
inline constexpr int kGroup = 2;

// A /message/send body with `text` as the payload.
inline json::object SendBody(std::string_view from_uid, std::string_view channel_id,
                             int channel_type, std::string_view text = "hello") {
  json::object o;
  o["from_uid"] = from_uid;
  o["channel_id"] = channel_id;
  o["channel_type"] = channel_type;
  o["payload"] = base64_encode(text);
  return o;
}

inline int64_t Int(const json::value& v, std::string_view key) {
  return v.at(key).to_number<int64_t>();
}
inline std::string Str(const json::value& v, std::string_view key) {
  return std::string(v.at(key).as_string());
}
// The payload of a message object, decoded.
inline std::string Text(const json::value& message) {
  return base64_decode(Str(message, "payload")).value_or("<not base64>");
}
// The message_seq of every message of a JSON array, in order.
inline std::vector<int64_t> Seqs(const json::value& messages) {
  std::vector<int64_t> out;
  for (const auto& m : messages.as_array()) out.push_back(Int(m, "message_seq"));
  return out;
}

// An error answer of the contract: HTTP `status`, body {"status": status, "msg": "<non-empty>"},
// `msg` containing `mentions` (when given).
inline ::testing::AssertionResult IsError(const HttpResult& r, int status,
                                          std::string_view mentions = {}) {
  auto fail = [&r](std::string_view why) {
    return ::testing::AssertionFailure()
           << why << "; got HTTP " << r.status << " " << r.body << r.error;
  };
  if (r.status != status) return fail("expected HTTP " + std::to_string(status));
  json::value v;
  try {
    v = r.json();
  } catch (const std::exception&) {
    return fail("the body is not JSON");
  }
  if (!v.is_object()) return fail("the body is not a JSON object");
  const auto& o = v.as_object();
  if (!o.contains("status") || !o.at("status").is_number() ||
      o.at("status").to_number<int64_t>() != status) {
    return fail("body.status must equal the HTTP status");
  }
  if (!o.contains("msg") || !o.at("msg").is_string() || o.at("msg").as_string().empty()) {
    return fail("body.msg must be a non-empty string");
  }
  if (!mentions.empty() &&
      std::string_view(o.at("msg").as_string()).find(mentions) == std::string_view::npos) {
    return fail("body.msg must name '" + std::string(mentions) + "'");
  }
  return ::testing::AssertionSuccess();
}

// A send error: as IsError, plus `reason_code` (equal to `reason_code` when that is >= 0).
inline ::testing::AssertionResult IsSendError(const HttpResult& r, int status,
                                              std::string_view mentions, int reason_code = -1) {
  if (auto e = IsError(r, status, mentions); !e) return e;
  const auto v = r.json();
  if (!v.as_object().contains("reason_code") || !v.at("reason_code").is_number()) {
    return ::testing::AssertionFailure() << "a send error carries reason_code; got " << r.body;
  }
  if (reason_code >= 0 && Int(v, "reason_code") != reason_code) {
    return ::testing::AssertionFailure()
           << "expected reason_code " << reason_code << "; got " << r.body;
  }
  return ::testing::AssertionSuccess();
}

// HTTP 200 with exactly {"status":200}.
inline ::testing::AssertionResult IsOk(const HttpResult& r) {
  if (r.status == 200 && r.body.find('{') != std::string::npos) {
    try {
      if (r.json() == json::parse(R"({"status":200})")) return ::testing::AssertionSuccess();
    } catch (const std::exception&) {
    }
  }
  return ::testing::AssertionFailure()
         << "expected HTTP 200 {\"status\":200}; got HTTP " << r.status << " " << r.body << r.error;
}

// POST /channel: group `g` with exactly `members` as subscribers.
inline ::testing::AssertionResult CreateGroup(HttpClient& http, const std::string& g,
                                              const std::vector<std::string>& members) {
  json::array uids;
  for (const auto& m : members) uids.push_back(json::value(m));
  return IsOk(
      http.post("/channel",
                json::object{{"channel_id", g}, {"channel_type", kGroup}, {"subscribers", uids}}));
}

// Polls `condition` until it holds or `timeout` passes; true when it held.
inline bool Eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

// Base of the suites: one server per suite (StartServer in SetUpTestSuite), one client per test.
class BlackBoxTest : public ::testing::Test {
 protected:
  // StartServer with configuration settings, each "key=value" (passed as -o key=value).
  static void StartServerWith(std::initializer_list<std::string> settings) {
    ServerOptions options;
    for (const auto& setting : settings) {
      options.args.push_back("-o");
      options.args.push_back(setting);
    }
    StartServer(std::move(options));
  }
  static void StartServer(ServerOptions options = {}) {
    start_error_.clear();
    try {
      shared_ = std::make_unique<ServerProcess>(std::move(options));
      shared_->start();
    } catch (const std::exception& e) {
      start_error_ = e.what();
      shared_.reset();
    }
  }
  static void TearDownTestSuite() { shared_.reset(); }

  void SetUp() override {
    ASSERT_NE(shared_, nullptr) << "the server did not start: " << start_error_;
  }

  static ServerProcess& server() { return *shared_; }
  HttpClient& http() {
    if (!http_) http_ = std::make_unique<HttpClient>(server().host(), server().http_port());
    return *http_;
  }

  // An id unique to this test: Id("g") -> "g-<TestName>-<n>".
  std::string Id(std::string_view prefix) {
    std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (char& c : name) {
      if (c == '/') c = '_';
    }
    return std::string(prefix) + "-" + name + "-" + std::to_string(++ids_);
  }

  // POST /channel: group `g` with exactly `members` as subscribers (the test fails otherwise).
  void Group(const std::string& g, const std::vector<std::string>& members) {
    ASSERT_TRUE(CreateGroup(http(), g, members));
  }

  // POST /message/send expecting 200; the response (null after a reported failure).
  json::value Send(const json::object& body) {
    const HttpResult r = http().post("/message/send", body);
    if (r.status != 200) {
      ADD_FAILURE() << "POST /message/send " << json::serialize(body) << " -> HTTP " << r.status
                    << " " << r.body << r.error;
      return nullptr;
    }
    return r.json();
  }
  json::value Send(std::string_view from, std::string_view channel, int type,
                   std::string_view text = "hello") {
    return Send(SendBody(from, channel, type, text));
  }

  // POST `path` expecting 200; the parsed response (null after a reported failure).
  json::value PostOk(std::string_view path, const json::value& body) {
    const HttpResult r = http().post(path, json::serialize(body));
    if (r.status != 200) {
      ADD_FAILURE() << "POST " << path << " " << json::serialize(body) << " -> HTTP " << r.status
                    << " " << r.body << r.error;
      return nullptr;
    }
    return r.json();
  }

  // GET /channel/max_message_seq; -1 after a reported failure.
  int64_t MaxSeq(std::string_view channel_id, int type, std::string_view login_uid = {}) {
    std::string target = "/channel/max_message_seq?channel_id=" + std::string(channel_id) +
                         "&channel_type=" + std::to_string(type);
    if (!login_uid.empty()) target += "&login_uid=" + std::string(login_uid);
    const HttpResult r = http().get(target);
    if (r.status != 200) {
      ADD_FAILURE() << "GET " << target << " -> HTTP " << r.status << " " << r.body << r.error;
      return -1;
    }
    return Int(r.json(), "message_seq");
  }

  // POST /channel/messagesync with the given fields; the response object.
  json::value SyncChannel(std::string_view login_uid, std::string_view channel_id, int type,
                          json::object extra = {}) {
    extra["login_uid"] = login_uid;
    extra["channel_id"] = channel_id;
    extra["channel_type"] = type;
    return PostOk("/channel/messagesync", extra);
  }

 private:
  static inline std::unique_ptr<ServerProcess> shared_;
  static inline std::string start_error_;
  std::unique_ptr<HttpClient> http_;
  int ids_ = 0;
};

}  // namespace jindou::testing
