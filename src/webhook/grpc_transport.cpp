#include "webhook/grpc_transport.h"

#include <grpcpp/grpcpp.h>

#include "model/clock.h"
#include "webhook/signature.h"
#include "webhook/webhook.grpc.pb.h"

namespace jindou::webhook {

struct GrpcTransport::Client {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<wkhook::WebhookService::Stub> stub;
  std::string secret;
  std::chrono::milliseconds timeout{};
};

GrpcTransport::GrpcTransport(const std::string& address, std::string secret,
                             std::chrono::milliseconds timeout)
    : client_(std::make_unique<Client>()) {
  std::string target = address;
  if (auto scheme = target.find("://"); scheme != std::string::npos) {
    target = target.substr(scheme + 3);
  }
  client_->channel = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
  client_->stub = wkhook::WebhookService::NewStub(client_->channel);
  client_->secret = std::move(secret);
  client_->timeout = timeout;
}

GrpcTransport::~GrpcTransport() = default;

Status GrpcTransport::deliver(std::string_view event, const std::string& body) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + client_->timeout);
  if (!client_->secret.empty()) {
    const int64_t now = unix_seconds();
    context.AddMetadata("x-wk-timestamp", std::to_string(now));
    context.AddMetadata("x-wk-signature", signature(client_->secret, now, body));
  }
  wkhook::EventReq request;
  request.set_event(std::string(event));
  request.set_data(body);
  wkhook::EventResp response;
  const grpc::Status status = client_->stub->SendWebhook(&context, request, &response);
  if (!status.ok()) {
    return Error::unavailable("gRPC call failed: " + status.error_message() + " (code " +
                              std::to_string(static_cast<int>(status.error_code())) + ")");
  }
  if (response.status() != wkhook::Success) {
    return Error::unavailable("the receiver answered status Error");
  }
  return {};
}

}  // namespace jindou::webhook
