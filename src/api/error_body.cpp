#include "api/error_body.h"

#include "api/http_types.h"

namespace jindou::api {

void write_error(JsonWriter& w, const Error& e, ReasonCodeField reason_code,
                 std::optional<uint64_t> index) {
  w.begin_object().field("status", e.status).field("msg", e.message);
  if (reason_code == ReasonCodeField::kAlways || e.reason != ReasonCode::kUnknown) {
    w.field("reason_code", static_cast<int>(e.reason));
  }
  if (index) w.field("index", *index);
  w.end_object();
}

HttpResponse HttpResponse::error(const Error& e) {
  std::string body;
  JsonWriter w(body);
  write_error(w, e);
  return json(std::move(body), e.status);
}

HttpResponse HttpResponse::send_error(const Error& e, std::optional<size_t> index) {
  std::string body;
  JsonWriter w(body);
  write_error(w, e, ReasonCodeField::kAlways,
              index ? std::optional<uint64_t>(*index) : std::nullopt);
  return json(std::move(body), e.status);
}

}  // namespace jindou::api
