#include "bench/ledger-bench/channel.hpp"

namespace bench {
namespace {

class stream_channel final : public batch_channel {
 public:
  explicit stream_channel(std::unique_ptr<client::stream_client> client)
      : client_(std::move(client)) {}

  ledger::status queue(const std::vector<protocol::debit>& debits, uint64_t& request_id) override {
    client_->queue(debits, request_id);
    return ledger::status::success();
  }
  ledger::status queue_holds(const std::vector<protocol::hold_operation>& operations,
                             uint64_t& request_id) override {
    client_->queue_holds(operations, request_id);
    return ledger::status::success();
  }
  ledger::status flush() override { return client_->flush(); }
  ledger::expected<batch_results> receive(std::chrono::milliseconds timeout) override {
    return client_->receive(timeout);
  }
  ledger::expected<std::optional<batch_results>> receive_buffered() override {
    return client_->receive_buffered();
  }

 private:
  std::unique_ptr<client::stream_client> client_;
};

}  // namespace

ledger::expected<std::unique_ptr<batch_channel>> connect_stream(const std::string& host,
                                                                uint16_t port) {
  auto connected = client::stream_client::connect(host, port);
  if (!connected) return connected.error();
  return std::unique_ptr<batch_channel>{std::make_unique<stream_channel>(std::move(*connected))};
}

}  // namespace bench
