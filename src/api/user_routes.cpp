// Users: /user/token.
#include "api/route_helpers.h"
#include "api/routes.h"
#include "model/validation.h"

namespace jindou::api {
namespace {

void set_token(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  const std::string uid = f.string("uid");
  const std::string token = f.string("token");
  const auto device_flag = static_cast<uint8_t>(f.integer("device_flag", 0, 0, 255));
  const auto device_level = static_cast<uint8_t>(f.integer("device_level", 0, 0, 1));
  if (respond_if_error(f.error(), respond)) return;
  if (auto e = check_id(uid, "uid")) return respond(HttpResponse::error(*e));
  if (token.empty()) return respond(HttpResponse::error(Error::bad_request("token is required")));
  if (token.size() > 1024) {
    return respond(HttpResponse::error(Error::bad_request("token is longer than 1024 bytes")));
  }
  ctx.engine.set_user_token(uid, device_flag, store::UserToken{token, device_level},
                            respond_status(respond));
}

}  // namespace

void add_user_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/user/token", [&ctx](HttpRequest& req, const Respond& respond) {
    set_token(ctx, req, respond);
  });
}

}  // namespace jindou::api
