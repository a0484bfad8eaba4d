#include "api/router.h"

#include <openssl/crypto.h>

#include <spdlog/spdlog.h>

#include <algorithm>

namespace jindou::api {

void Router::add(std::string method, std::string path, Handler handler, bool is_public) {
  auto& routes = by_path_[path];
  routes.push_back(
      Route{RouteInfo{std::move(method), std::move(path), is_public}, std::move(handler)});
}

bool Router::authorized(const HttpRequest& request) const {
  auto equal = [this](std::string_view given) {
    return given.size() == token_.size() &&
           CRYPTO_memcmp(given.data(), token_.data(), token_.size()) == 0;
  };
  constexpr std::string_view kBearer = "Bearer ";
  if (request.authorization.size() > kBearer.size() &&
      std::string_view(request.authorization).substr(0, kBearer.size()) == kBearer &&
      equal(std::string_view(request.authorization).substr(kBearer.size()))) {
    return true;
  }
  return !request.token.empty() && equal(request.token);
}

Router::Resolution Router::resolve(const HttpRequest& request) const {
  auto it = by_path_.find(request.path);
  if (it == by_path_.end()) {
    return {nullptr, HttpResponse::error(Error::not_found("no such endpoint: " + request.path))};
  }
  const Route* route = nullptr;
  for (const auto& r : it->second) {
    if (r.info.method == request.method) route = &r;
  }
  if (route == nullptr) {
    auto response = HttpResponse::error(
        Error{405, ReasonCode::kUnknown, request.path + " does not accept " + request.method});
    std::string allow;
    for (const auto& r : it->second) allow += (allow.empty() ? "" : ", ") + r.info.method;
    response.headers.emplace_back("Allow", allow);
    return {nullptr, std::move(response)};
  }
  if (!route->info.is_public && !token_.empty() && !authorized(request)) {
    return {nullptr, HttpResponse::error(Error::unauthorized(
                         "a valid token is required (Authorization: Bearer <token>)"))};
  }
  return {&route->handler, std::nullopt};
}

void Router::dispatch(HttpRequest& request, const Respond& respond) const {
  auto resolved = resolve(request);
  if (resolved.refusal) return respond(std::move(*resolved.refusal));
  try {
    (*resolved.handler)(request, respond);
  } catch (const std::exception& e) {
    // Nothing a client sends should get here; answer and keep serving.
    spdlog::error("{} {}: {}", request.method, request.path, e.what());
    respond(HttpResponse::error(Error::internal("internal error")));
  }
}

std::vector<RouteInfo> Router::routes() const {
  std::vector<RouteInfo> out;
  for (const auto& [path, routes] : by_path_) {
    for (const auto& r : routes) out.push_back(r.info);
  }
  std::sort(out.begin(), out.end(), [](const RouteInfo& a, const RouteInfo& b) {
    return a.path != b.path ? a.path < b.path : a.method < b.method;
  });
  return out;
}

}  // namespace jindou::api
