// Webhook dead letters: GET /webhook/deadletters, POST /webhook/deadletters/replay,
// POST /webhook/deadletters/delete.
#include "api/json_input.h"
#include "api/query_params.h"
#include "api/routes.h"
#include "json/json_writer.h"
#include "webhook/webhooks.h"

namespace jindou::api {
namespace {

Result<uint64_t> query_number(const HttpRequest& request, std::string_view name, uint64_t fallback,
                              uint64_t max) {
  std::optional<Error> error;
  auto v =
      query_int(request, name, static_cast<int64_t>(fallback), 0, static_cast<int64_t>(max), error);
  if (!v) return *error;
  return static_cast<uint64_t>(*v);
}

void list(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto after = query_number(request, "after", 0, INT64_MAX);
  if (!after.ok()) return respond(HttpResponse::error(after.error()));
  auto limit = query_number(request, "limit", 20, 100);
  if (!limit.ok()) return respond(HttpResponse::error(limit.error()));
  auto letters = ctx.webhooks->dead_letters(*after, *limit == 0 ? 20 : *limit);
  if (!letters.ok()) return respond(HttpResponse::error(letters.error()));
  std::string out;
  JsonWriter w(out);
  w.begin_object();
  w.field("total", static_cast<uint64_t>(ctx.webhooks->stats().dead_letters));
  w.key("dead_letters").begin_array();
  for (const auto& v : *letters) {
    w.begin_object();
    w.field("id", v.letter.id);
    w.field("event", v.event);
    w.field("events", static_cast<uint64_t>(v.events));
    w.field("attempts", static_cast<uint64_t>(v.letter.attempts));
    w.field("failed_at", v.letter.failed_at);
    w.field("last_error", v.letter.last_error);
    w.key("body");
    if (v.body.empty()) {
      w.null();  // the messages expired since
    } else {
      w.raw(v.body);
    }
    w.end_object();
  }
  w.end_array().end_object();
  respond(HttpResponse::json(std::move(out)));
}

// Answers `{"<field>": n}` with the count a dead-letter operation reports.
auto respond_count(Respond respond, const char* field) {
  return [respond = std::move(respond), field](Result<size_t> n) {
    if (!n.ok()) return respond(HttpResponse::error(n.error()));
    std::string out;
    JsonWriter(out).begin_object().field(field, static_cast<uint64_t>(*n)).end_object();
    respond(HttpResponse::json(std::move(out)));
  };
}

void replay(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  const auto ids = f.unsigned_integers("ids");
  if (respond_if_error(f.error(), respond)) return;
  if (!ctx.webhooks->options().enabled()) {
    return respond(HttpResponse::error(Error::bad_request(
        "webhooks are off: set webhook.httpAddr or webhook.grpcAddr to replay dead letters")));
  }
  ctx.webhooks->replay(ids, respond_count(respond, "replayed"));
}

void remove(ApiContext& ctx, HttpRequest& request, const Respond& respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::error(body.error()));
  FieldReader f(*body);
  const auto ids = f.unsigned_integers("ids");
  const bool all = f.flag("all");
  if (respond_if_error(f.error(), respond)) return;
  if (ids.empty() && !all) {
    return respond(HttpResponse::error(
        Error::bad_request("ids is required (or \"all\": 1 to delete every dead letter)")));
  }
  ctx.webhooks->remove(all ? std::vector<uint64_t>{} : ids, respond_count(respond, "deleted"));
}

}  // namespace

void add_webhook_routes(Router& router, ApiContext& ctx) {
  if (ctx.webhooks == nullptr) return;
  router.add("GET", "/webhook/deadletters", bind_route(ctx, list));
  router.add("POST", "/webhook/deadletters/replay", bind_route(ctx, replay));
  router.add("POST", "/webhook/deadletters/delete", bind_route(ctx, remove));
}

}  // namespace jindou::api
