// Channel management: /channel, /channel/info, /channel/delete, subscriber and
// denylist/allowlist changes, GET /channel/whitelist.
#include "api/channel_fields.h"
#include "api/json_input.h"
#include "api/routes.h"
#include "json/json_writer.h"
#include "model/validation.h"

namespace jindou::api {
namespace {

using Mode = engine::MemberChange::Mode;

ChannelInfo read_info(FieldReader& f) {
  ChannelInfo info;
  info.ban = f.flag("ban");
  info.disband = f.flag("disband");
  info.send_ban = f.flag("send_ban");
  info.large = f.flag("large");
  info.allow_stranger = f.flag("allow_stranger");
  return info;
}

// Reads the uid list at `key`, each a valid uid, at most `limit`; `required` rejects an empty list.
std::optional<Error> read_uids(FieldReader& f, std::string_view key, size_t limit, bool required,
                               std::vector<std::string>& out) {
  out = f.strings(key);
  if (f.error()) return f.error();
  if (required && out.empty()) return Error::bad_request(std::string(key) + " must not be empty");
  if (out.size() > limit) {
    return Error::bad_request(std::string(key) + " has more than " + std::to_string(limit) +
                              " uids");
  }
  for (const auto& uid : out) {
    if (auto e = check_id(uid, key)) return e;
  }
  return std::nullopt;
}

void create_or_update(ApiContext& ctx, HttpRequest& request, const Respond& respond,
                      bool with_members) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  auto key = managed_channel(f);
  if (!key.ok()) return respond(HttpResponse::error(key.error()));
  ChannelInfo info = read_info(f);
  std::optional<engine::MemberChange> members;
  if (with_members) {
    const bool reset = f.flag("reset");
    std::vector<std::string> uids;
    if (respond_if_error(read_uids(f, "subscribers", ctx.limits.max_subscribers, false, uids),
                         respond)) {
      return;
    }
    if (reset || !uids.empty()) {
      members = engine::MemberChange{
          MemberRole::kSubscriber,
          reset ? (uids.empty() ? Mode::kRemoveAll : Mode::kSet) : Mode::kAdd, std::move(uids)};
    }
  }
  if (respond_if_error(f.error(), respond)) return;
  const bool banned_user = key->is_person() && info.ban;
  ctx.engine.change_channel(*key, info, std::move(members),
                            [&ctx, uid = key->id, banned_user, respond](const Status& s) {
                              if (s.ok() && banned_user) {
                                // A banned user's open sessions end too (new CONNECTs are refused
                                // with reason 19).
                                ctx.engine.kick(uid, {}, ReasonCode::kConnectKick, "banned", false,
                                                std::chrono::seconds(2));
                              }
                              respond(s.ok() ? HttpResponse::ok() : HttpResponse::error(s.error()));
                            });
}

void delete_channel(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  auto key = managed_channel(f);
  if (!key.ok()) return respond(HttpResponse::error(key.error()));
  ctx.engine.disband_channel(*key, respond_status(respond));
}

// One member-list endpoint: which role, which change, which field carries the uids.
struct MemberRoute {
  const char* path;
  MemberRole role;
  Mode mode;
  const char* field;
};

void change_members(ApiContext& ctx, HttpRequest& request, const Respond& respond,
                    const MemberRoute& route) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  auto key = managed_channel(f);
  if (!key.ok()) return respond(HttpResponse::error(key.error()));
  Mode mode = route.mode;
  if (route.role == MemberRole::kSubscriber && mode == Mode::kAdd && f.flag("reset")) {
    mode = Mode::kSet;
  }
  std::vector<std::string> uids;
  if (mode != Mode::kRemoveAll &&
      respond_if_error(read_uids(f, route.field, ctx.limits.max_subscribers,
                                 mode != Mode::kSet || route.role == MemberRole::kSubscriber, uids),
                       respond)) {
    return;
  }
  if (respond_if_error(f.error(), respond)) return;
  ctx.engine.change_channel(*key, std::nullopt,
                            engine::MemberChange{route.role, mode, std::move(uids)},
                            respond_status(respond));
}

void get_allowlist(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  const std::string* id = request.query_param("channel_id");
  const std::string* type = request.query_param("channel_type");
  boost::json::object o;
  if (id != nullptr) o["channel_id"] = *id;
  if (type != nullptr) {
    try {
      o["channel_type"] = std::stoll(*type);
    } catch (const std::exception&) {
      return respond(HttpResponse::error(Error::bad_request("channel_type must be an integer")));
    }
  }
  FieldReader f(o);
  auto key = managed_channel(f);
  if (!key.ok()) return respond(HttpResponse::error(key.error()));
  auto uids = ctx.engine.members(*key, MemberRole::kAllowlist);
  if (!uids.ok()) return respond(HttpResponse::error(uids.error()));
  std::string out;
  JsonWriter(out).string_array(*uids);
  respond(HttpResponse::json(std::move(out)));
}

constexpr MemberRoute kMemberRoutes[] = {
    {"/channel/subscriber_add", MemberRole::kSubscriber, Mode::kAdd, "subscribers"},
    {"/channel/subscriber_remove", MemberRole::kSubscriber, Mode::kRemove, "subscribers"},
    {"/channel/subscriber_remove_all", MemberRole::kSubscriber, Mode::kRemoveAll, "subscribers"},
    {"/channel/blacklist_add", MemberRole::kDenylist, Mode::kAdd, "uids"},
    {"/channel/blacklist_set", MemberRole::kDenylist, Mode::kSet, "uids"},
    {"/channel/blacklist_remove", MemberRole::kDenylist, Mode::kRemove, "uids"},
    {"/channel/blacklist_remove_all", MemberRole::kDenylist, Mode::kRemoveAll, "uids"},
    {"/channel/whitelist_add", MemberRole::kAllowlist, Mode::kAdd, "uids"},
    {"/channel/whitelist_set", MemberRole::kAllowlist, Mode::kSet, "uids"},
    {"/channel/whitelist_remove", MemberRole::kAllowlist, Mode::kRemove, "uids"},
    {"/channel/whitelist_remove_all", MemberRole::kAllowlist, Mode::kRemoveAll, "uids"},
};

}  // namespace

void add_channel_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/channel", [&ctx](HttpRequest& req, const Respond& respond) {
    create_or_update(ctx, req, respond, true);
  });
  router.add("POST", "/channel/info", [&ctx](HttpRequest& req, const Respond& respond) {
    create_or_update(ctx, req, respond, false);
  });
  router.add("POST", "/channel/delete", [&ctx](HttpRequest& req, const Respond& respond) {
    delete_channel(ctx, req, respond);
  });
  for (const auto& route : kMemberRoutes) {
    router.add("POST", route.path, [&ctx, &route](HttpRequest& req, const Respond& respond) {
      change_members(ctx, req, respond, route);
    });
  }
  router.add("GET", "/channel/whitelist", bind_read_route(ctx, get_allowlist));
}

}  // namespace jindou::api
