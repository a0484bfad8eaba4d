// Router: (method, path) -> handler, with the token check in front.
//
// Thread: built before the server starts, then read-only; dispatch() runs on io threads.
#pragma once

#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/http_types.h"

namespace jindou::api {

struct RouteInfo {
  std::string method;
  std::string path;
  bool is_public = false;  // served without the manager token
};

class Router {
 public:
  // An empty token is no-auth mode.
  explicit Router(std::string manager_token) : token_(std::move(manager_token)) {}

  void add(std::string method, std::string path, Handler handler, bool is_public = false);
  // The route for `request` (only method, path and the auth headers are looked at), or the
  // 404 / 405 / 401 answer. The server calls it before reading a body it would refuse anyway.
  struct Resolution {
    const Handler* handler = nullptr;
    std::optional<HttpResponse> refusal;
  };
  Resolution resolve(const HttpRequest& request) const;
  // resolve(), then run the handler or answer the refusal.
  void dispatch(HttpRequest& request, const Respond& respond) const;
  std::vector<RouteInfo> routes() const;
  bool auth_enabled() const { return !token_.empty(); }

 private:
  struct Route {
    RouteInfo info;
    Handler handler;
  };
  bool authorized(const HttpRequest& request) const;

  std::string token_;
  std::unordered_map<std::string, std::vector<Route>> by_path_;
};

}  // namespace jindou::api
