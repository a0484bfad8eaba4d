// Typed access to a request's query string (GET routes), with errors that name the parameter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "api/http_types.h"

namespace jindou::api {

// Query-string integer: absent or empty = fallback; anything but a decimal in [min, max] sets
// `error` (the first one) to a 400 naming it and returns nullopt.
std::optional<int64_t> query_int(const HttpRequest& request, std::string_view name,
                                 int64_t fallback, int64_t min, int64_t max,
                                 std::optional<Error>& error);
// Query-string text; absent = empty.
std::string query_string(const HttpRequest& request, std::string_view name);

}  // namespace jindou::api
