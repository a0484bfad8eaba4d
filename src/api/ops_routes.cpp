// Operations: /health, /docs, /docs/openapi.json.
#include "api/assets.h"
#include "api/cluster_presence.h"
#include "api/routes.h"

namespace jindou::api {

void add_ops_routes(Router& router, ApiContext& ctx) {
  router.add(
      "GET", "/health",
      [&ctx](HttpRequest&, const Respond& respond) {
        if (!ctx.engine.healthy()) {
          return respond(HttpResponse::json(
              "{\"status\":\"unavailable\",\"msg\":\"storage refuses writes; see the log\"}", 503));
        }
        // Cluster::healthy() may wait for the partition logs' lock: not on this io thread.
        with_cluster(ctx, [respond](cluster::Cluster* cluster) {
          if (cluster != nullptr && !cluster->healthy()) {
            // {"status":503,"msg":...}: no reason_code, this is not a send.
            return respond(HttpResponse::error(
                Error{503, ReasonCode::kUnknown,
                      "cluster unavailable: this node cannot reach NATS or JetStream; see the "
                      "log"}));
          }
          respond(HttpResponse::json("{\"status\":\"ok\"}"));
        });
      },
      true);
  router.add(
      "GET", "/docs",
      [](HttpRequest&, const Respond& respond) {
        HttpResponse r;
        r.content_type = "text/html; charset=utf-8";
        r.body = std::string(docs_html());
        respond(std::move(r));
      },
      true);
  router.add(
      "GET", "/docs/openapi.json",
      [](HttpRequest&, const Respond& respond) {
        respond(HttpResponse::json(std::string(openapi_json())));
      },
      true);
}

}  // namespace jindou::api
