// Users: /user/token, /user/device_quit, /user/onlinestatus.
#include "api/cluster_presence.h"
#include "api/json_input.h"
#include "api/routes.h"
#include "json/json_writer.h"
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
                            [&ctx, uid, device_flag, device_level, respond](const Status& s) {
                              if (!s.ok()) return respond(HttpResponse::error(s.error()));
                              if (device_level != 1) return respond(HttpResponse::ok());
                              // A master token replaces the sessions this device type already
                              // has, on every node.
                              kick_everywhere(ctx, uid, {device_flag}, ReasonCode::kConnectKick,
                                              "login in other device", false,
                                              std::chrono::seconds(10),
                                              [respond](size_t) { respond(HttpResponse::ok()); });
                            });
}

// device_flag -1 means every device type (0 app, 1 web, 2 pc).
std::vector<uint8_t> device_flags(int64_t flag) {
  if (flag < 0) return {0, 1, 2};
  return {static_cast<uint8_t>(flag)};
}

void device_quit(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  const std::string uid = f.string("uid");
  const int64_t flag = f.integer("device_flag", -1, -1, 255);
  if (respond_if_error(f.error(), respond)) return;
  if (auto e = check_id(uid, "uid")) return respond(HttpResponse::error(*e));
  const auto flags = device_flags(flag);
  ctx.engine.clear_user_tokens(uid, flags, [&ctx, uid, flags, respond](const Status& s) {
    if (!s.ok()) return respond(HttpResponse::error(s.error()));
    kick_everywhere(ctx, uid, flags, ReasonCode::kConnectKick, "", false, std::chrono::seconds(2),
                    [respond](size_t) { respond(HttpResponse::ok()); });
  });
}

void online_status(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto v = parse_json(request.body);
  if (!v.ok()) return respond(HttpResponse::error(v.error()));
  if (!v->is_array()) {
    return respond(HttpResponse::error(Error::bad_request("the body must be an array of uids")));
  }
  if (v->get_array().size() > ctx.limits.max_subscribers) {
    return respond(HttpResponse::error(Error::bad_request(
        "at most " + std::to_string(ctx.limits.max_subscribers) + " uids per call")));
  }
  auto uids = std::make_shared<std::vector<std::string>>();
  uids->reserve(v->get_array().size());
  for (const auto& item : v->get_array()) {
    if (!item.is_string()) {
      return respond(HttpResponse::error(Error::bad_request("the body must be an array of uids")));
    }
    uids->emplace_back(item.get_string());
  }
  // In cluster mode the other nodes are asked too, off this thread.
  online_everywhere(ctx, uids, [uids, respond](OnlineDevices devices) {
    std::string out;
    JsonWriter w(out);
    w.begin_array();
    for (size_t i = 0; i < uids->size(); ++i) {
      for (uint8_t flag : devices[i]) {  // one entry per device type
        w.begin_object().field("uid", (*uids)[i]).field("device_flag", static_cast<int>(flag));
        w.field("online", 1).end_object();
      }
    }
    w.end_array();
    respond(HttpResponse::json(std::move(out)));
  });
}

}  // namespace

void add_user_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/user/token", bind_route(ctx, set_token));
  router.add("POST", "/user/device_quit", bind_route(ctx, device_quit));
  router.add("POST", "/user/onlinestatus", bind_route(ctx, online_status));
}

}  // namespace jindou::api
