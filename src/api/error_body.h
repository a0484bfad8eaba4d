// The JSON error body of the HTTP API — `{"status":N,"msg":"..."}`, with `reason_code` and, for
// a batch, `index` — written here and nowhere else. HttpResponse::error and
// HttpResponse::send_error (http_types.h) answer with it; a batch writes it in place of an item.
#pragma once

#include <cstdint>
#include <optional>

#include "json/json_writer.h"
#include "model/error.h"

namespace jindou::api {

// Whether the body carries the wkproto reason code when the error has none (kUnknown, 0).
// Send and stream errors always do, as WuKongIM clients read it there.
enum class ReasonCodeField { kWhenKnown, kAlways };

// `index` names the first bad item of a /message/sendbatch.
void write_error(JsonWriter& w, const Error& e,
                 ReasonCodeField reason_code = ReasonCodeField::kWhenKnown,
                 std::optional<uint64_t> index = std::nullopt);

}  // namespace jindou::api
