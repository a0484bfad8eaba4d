// Routes that send messages: /message/send, /message/sendbatch.
#include "api/error_body.h"
#include "api/json_input.h"
#include "api/message_json.h"
#include "api/routes.h"
#include "api/stream_json.h"

namespace jindou::api {
namespace {

Error chunk_in_batch() {
  return Error::bad_request("stream chunks are sent one at a time, with /message/send");
}

void send_one(ApiContext& ctx, HttpRequest& request, Respond respond) {
  auto body = body_object(request);
  if (!body.ok()) return respond(HttpResponse::send_error(body.error()));
  if (const auto* stream_no = body->if_contains("stream_no");
      stream_no != nullptr && !(stream_no->is_string() && stream_no->get_string().empty())) {
    return send_chunk(ctx, *body, respond);
  }
  auto send = parse_send_request(*body, ctx.limits);
  if (!send.ok()) return respond(HttpResponse::send_error(send.error()));
  ctx.engine.send(std::move(*send), [respond = std::move(respond)](const engine::SendResult& r) {
    if (!r.status.ok()) return respond(HttpResponse::send_error(r.status.error()));
    std::string out;
    JsonWriter w(out);
    write_send_result(w, r);
    respond(HttpResponse::json(std::move(out)));
  });
}

// Form A: an array of send bodies -> an array of results in the same order.
void send_array(ApiContext& ctx, const boost::json::array& items, Respond respond) {
  if (items.size() > ctx.limits.max_batch) {
    return respond(HttpResponse::send_error(Error::too_large(
        "a batch holds at most " + std::to_string(ctx.limits.max_batch) + " items")));
  }
  std::vector<engine::SendRequest> requests;
  requests.reserve(items.size());
  std::vector<std::optional<Error>> refused(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string prefix = "[" + std::to_string(i) + "].";
    Result<engine::SendRequest> r =
        items[i].is_object() ? parse_send_request(items[i].get_object(), ctx.limits, prefix)
                             : Result<engine::SendRequest>(Error::bad_request(
                                   "[" + std::to_string(i) + "] must be a JSON object"));
    if (!r.ok()) return respond(HttpResponse::send_error(r.error(), i));
    if (!r->stream_no.empty()) refused[i] = chunk_in_batch();
    requests.push_back(std::move(*r));
  }
  // Items refused before sending keep their place in the answer.
  std::vector<engine::SendRequest> to_send;
  std::vector<size_t> positions;
  for (size_t i = 0; i < requests.size(); ++i) {
    if (refused[i]) continue;
    positions.push_back(i);
    to_send.push_back(std::move(requests[i]));
  }
  ctx.engine.send_batch(std::move(to_send), [respond = std::move(respond), refused,
                                             positions](std::vector<engine::SendResult> results) {
    std::vector<engine::SendResult> all(refused.size());
    for (size_t k = 0; k < positions.size(); ++k) all[positions[k]] = std::move(results[k]);
    for (size_t i = 0; i < refused.size(); ++i) {
      if (refused[i]) all[i].status = *refused[i];
    }
    std::string out;
    JsonWriter w(out);
    w.begin_array();
    for (const auto& r : all) {
      if (r.status.ok()) {
        write_send_result(w, r);
      } else {
        write_error(w, r.status.error(), ReasonCodeField::kAlways);
      }
    }
    w.end_array();
    respond(HttpResponse::json(std::move(out)));
  });
}

// Form B (WuKongIM v2): one person message from from_uid to each uid of subscribers.
void send_to_subscribers(ApiContext& ctx, const boost::json::object& body, Respond respond) {
  auto base = parse_send_request(body, ctx.limits);
  if (!base.ok()) return respond(HttpResponse::send_error(base.error()));
  if (base->subscribers.empty()) {
    return respond(HttpResponse::send_error(Error::bad_request("subscribers is required")));
  }
  if (base->subscribers.size() > ctx.limits.max_batch) {
    return respond(HttpResponse::send_error(Error::too_large(
        "subscribers: a batch holds at most " + std::to_string(ctx.limits.max_batch) + " items")));
  }
  std::vector<std::string> uids = std::move(base->subscribers);
  base->subscribers.clear();
  std::vector<engine::SendRequest> requests;
  requests.reserve(uids.size());
  for (const auto& uid : uids) {
    engine::SendRequest r = *base;
    r.channel_id = uid;
    r.channel_type = kChannelPerson;
    r.client_msg_no.clear();  // one client_msg_no cannot name several messages
    requests.push_back(std::move(r));
  }
  ctx.engine.send_batch(std::move(requests), [respond = std::move(respond),
                                              uids](std::vector<engine::SendResult> results) {
    std::vector<std::string> fail_uids;
    std::vector<std::string> reasons;
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].status.ok()) continue;
      fail_uids.push_back(uids[i]);
      reasons.push_back(results[i].status.error().message);
    }
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.key("fail_uids").string_array(fail_uids);
    w.key("reason").string_array(reasons);
    w.end_object();
    respond(HttpResponse::json(std::move(out)));
  });
}

void send_batch(ApiContext& ctx, HttpRequest& request, Respond respond) {
  auto v = parse_json(request.body);
  if (!v.ok()) return respond(HttpResponse::send_error(v.error()));
  if (v->is_array()) return send_array(ctx, v->get_array(), std::move(respond));
  if (v->is_object()) return send_to_subscribers(ctx, v->get_object(), std::move(respond));
  respond(HttpResponse::send_error(
      Error::bad_request("the request body must be a JSON array of messages")));
}

}  // namespace

void add_message_routes(Router& router, ApiContext& ctx) {
  router.add("POST", "/message/send",
             [&ctx](HttpRequest& req, Respond respond) { send_one(ctx, req, std::move(respond)); });
  router.add("POST", "/message/sendbatch", [&ctx](HttpRequest& req, Respond respond) {
    send_batch(ctx, req, std::move(respond));
  });
}

}  // namespace jindou::api
