// Transport-neutral HTTP request/response as the routes see them.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/error.h"

namespace jindou::api {

struct HttpRequest {
  std::string method;                                      // "GET", "POST", ...
  std::string path;                                        // without the query
  std::vector<std::pair<std::string, std::string>> query;  // percent-decoded
  std::string body;
  std::string authorization;  // Authorization header
  std::string token;          // WuKongIM's `token` header

  // The first value of query parameter `name`; nullptr when absent.
  const std::string* query_param(std::string_view name) const {
    for (const auto& [k, v] : query) {
      if (k == name) return &v;
    }
    return nullptr;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  static HttpResponse json(std::string body, int status = 200) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
  }
  // `{"status":200}` for endpoints that return nothing.
  static HttpResponse ok() { return json("{\"status\":200}"); }
  // `{"status":N,"msg":"..."}`, plus `reason_code` when the error has one (error_body.h).
  static HttpResponse error(const Error& e);
  // Send and stream errors: `reason_code` always (0 when none applies), and the `index` of the
  // first bad item of a batch.
  static HttpResponse send_error(const Error& e, std::optional<size_t> index = std::nullopt);
};

// Called exactly once, from any thread.
using Respond = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest& request, Respond respond)>;

// Responds with `error` and returns true when it is set.
inline bool respond_if_error(const std::optional<Error>& error, const Respond& respond) {
  if (!error) return false;
  respond(HttpResponse::error(*error));
  return true;
}

// Answers a metadata change: `{"status":200}` or the error.
inline auto respond_status(Respond respond) {
  return [respond = std::move(respond)](const Status& s) {
    respond(s.ok() ? HttpResponse::ok() : HttpResponse::error(s.error()));
  };
}

}  // namespace jindou::api
