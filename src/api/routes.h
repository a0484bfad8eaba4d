// Route families of the HTTP API. Each registers its endpoints on the router.
#pragma once

#include "api/api_context.h"
#include "api/router.h"

namespace jindou::api {

// A route handler that calls `fn(ctx, request, respond)`.
template <class Context, class Fn>
Handler bind_route(Context& ctx, Fn fn) {
  return [&ctx, fn](HttpRequest& request, const Respond& respond) { fn(ctx, request, respond); };
}

// A route handler that reads the store: it runs on ctx.reads, so that no io thread waits for
// the disk; its answer goes back to the connection's thread like any other. The request stays
// valid until the answer is given (the connection reads nothing else meanwhile).
template <class Fn>
Handler bind_read_route(ApiContext& ctx, Fn fn) {
  return [&ctx, fn](HttpRequest& request, const Respond& respond) {
    if (ctx.reads == nullptr) return fn(ctx, request, respond);
    ctx.reads->post([&ctx, fn, &request, respond] {
      // Off the connection's thread, outside its exception guard: answer even when it fails.
      try {
        fn(ctx, request, respond);
      } catch (const std::exception&) {
        respond(HttpResponse::error(Error::internal("internal error")));
      }
    });
  };
}

void add_message_routes(Router& router, ApiContext& ctx);       // sending
void add_read_routes(Router& router, ApiContext& ctx);          // reading, search, deprecated sync
void add_channel_routes(Router& router, ApiContext& ctx);       // channels and member lists
void add_user_routes(Router& router, ApiContext& ctx);          // tokens, presence
void add_conn_routes(Router& router, ApiContext& ctx);          // /connz, /varz, /conn/kick
void add_conversation_routes(Router& router, ApiContext& ctx);  // chat lists, unread counts
void add_webhook_routes(Router& router, ApiContext& ctx);       // webhook dead letters
void add_stream_routes(Router& router, ApiContext& ctx);        // streams, /event
void add_cluster_routes(Router& router, ApiContext& ctx);       // /route, /cluster/nodes
// /health, /docs, /docs/openapi.json. Call last: the docs list the router's routes.
void add_ops_routes(Router& router, ApiContext& ctx);

// Every route of the HTTP API.
inline void add_all_routes(Router& router, ApiContext& ctx) {
  add_message_routes(router, ctx);
  add_read_routes(router, ctx);
  add_channel_routes(router, ctx);
  add_user_routes(router, ctx);
  add_conn_routes(router, ctx);
  add_conversation_routes(router, ctx);
  add_webhook_routes(router, ctx);
  add_stream_routes(router, ctx);
  add_cluster_routes(router, ctx);
  add_ops_routes(router, ctx);
}

}  // namespace jindou::api
