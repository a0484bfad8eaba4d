#include "api/query_params.h"

#include <charconv>

namespace jindou::api {

std::optional<int64_t> query_int(const HttpRequest& request, std::string_view name,
                                 int64_t fallback, int64_t min, int64_t max,
                                 std::optional<Error>& error) {
  const std::string* v = request.query_param(name);
  if (v == nullptr || v->empty()) return fallback;
  int64_t out = 0;
  auto r = std::from_chars(v->data(), v->data() + v->size(), out);
  if (r.ec != std::errc() || r.ptr != v->data() + v->size() || out < min || out > max) {
    if (!error) {
      error = Error::bad_request(std::string(name) + " must be an integer between " +
                                 std::to_string(min) + " and " + std::to_string(max));
    }
    return std::nullopt;
  }
  return out;
}

std::string query_string(const HttpRequest& request, std::string_view name) {
  const std::string* v = request.query_param(name);
  return v == nullptr ? std::string() : *v;
}

}  // namespace jindou::api
