#include "support/grpc_webhook_receiver.h"

#include <grpcpp/grpcpp.h>

#include <atomic>

#include "webhook/webhook.grpc.pb.h"

namespace jindou::testing {

struct GrpcWebhookReceiver::Impl final : public wkhook::WebhookService::Service {
  explicit Impl(GrpcWebhookReceiver& owner) : receiver(owner) {}

  grpc::Status SendWebhook(grpc::ServerContext* context, const wkhook::EventReq* request,
                           wkhook::EventResp* response) override {
    WebhookCall call;
    call.event = request->event();
    call.body = request->data();
    for (const auto& [key, value] : context->client_metadata()) {
      call.headers[std::string(key.data(), key.size())] = std::string(value.data(), value.size());
    }
    call.accepted = success.load();
    response->set_status(call.accepted ? wkhook::Success : wkhook::Error);
    receiver.record(std::move(call));
    return grpc::Status::OK;
  }

  GrpcWebhookReceiver& receiver;
  std::atomic<bool> success{true};
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

GrpcWebhookReceiver::GrpcWebhookReceiver() : impl_(std::make_unique<Impl>(*this)) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &impl_->port);
  builder.RegisterService(impl_.get());
  impl_->server = builder.BuildAndStart();
}

GrpcWebhookReceiver::~GrpcWebhookReceiver() {
  impl_->server->Shutdown();
}

std::string GrpcWebhookReceiver::address() const {
  return "127.0.0.1:" + std::to_string(impl_->port);
}

void GrpcWebhookReceiver::set_success(bool success) {
  impl_->success = success;
}

}  // namespace jindou::testing
