#include "server/http/http_api.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <strings.h>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "server/http/routes.hpp"
#include "server/http/views.hpp"

namespace server {
namespace {

using ledger::error_code;

// Connection limits (docs/security.md, "HTTP connections"). libmicrohttpd reads every socket
// on one epoll thread, so a connection that trickles its request or idles holds a slot and
// at most connection_memory_bytes, never a worker thread.
constexpr unsigned connections_max = 1024;
constexpr unsigned connections_per_address_max = 256;
static_assert(connections_per_address_max < connections_max,
              "one address must leave slots for the others");
// A connection that sends nothing for this long (mid-request or idle between requests) is
// closed.
constexpr unsigned connection_idle_seconds = 10;
// The request line and headers must fit here (libmicrohttpd answers 431 or 414 beyond it);
// the body is collected apart, up to http_options::body_bytes_max.
constexpr size_t connection_memory_bytes = 32 * 1024;
// A body over the limit is read on and dropped up to this much, then answered 413: a client
// still sending when the connection closed would see a reset, not the answer. An endless
// body is answered (and the connection closed) as soon as this much was dropped.
constexpr size_t body_drain_bytes_max = 1 << 20;
// Connections the kernel queues before the polling thread accepts them.
constexpr unsigned listen_backlog = 1024;

uint64_t micros_since(std::chrono::steady_clock::time_point start) {
  const auto elapsed = std::chrono::steady_clock::now() - start;
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
}

// Case-insensitive names for headers (HTTP), exact ones for query arguments.
struct header_less {
  bool operator()(const std::string& a, const std::string& b) const {
    return ::strcasecmp(a.c_str(), b.c_str()) < 0;
  }
};

// One request on its way: what the polling thread read, then the worker's answer.
struct request_state {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::string method;
  std::string path;
  std::string remote_address;
  std::map<std::string, std::string, header_less> headers;
  std::map<std::string, std::string> query;
  std::string body;
  bool too_large = false;  // the body passed body_bytes_max: dropped, answered 413
  size_t dropped = 0;      // bytes of it dropped so far
  bool dispatched = false;
  api_response answer;  // set by a worker before it resumes the connection
  route_class route = route_class::unknown;
};

MHD_Result copy_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
  static_cast<request_state*>(cls)->headers.emplace(key, value == nullptr ? "" : value);
  return MHD_YES;
}

// Framing headers, counted: two different Content-Lengths, or a Content-Length with a
// Transfer-Encoding, let a proxy and this server disagree on where a request ends.
struct framing {
  std::string length;
  bool lengths_differ = false;
  bool transfer_encoding = false;
};

MHD_Result note_framing(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* seen = static_cast<framing*>(cls);
  const std::string text = value == nullptr ? "" : value;
  if (::strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
    seen->lengths_differ = seen->lengths_differ || (!seen->length.empty() && seen->length != text);
    seen->length = text;
  }
  if (::strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) seen->transfer_encoding = true;
  return MHD_YES;
}

bool ambiguous_framing(MHD_Connection* connection) {
  framing seen;
  MHD_get_connection_values(connection, MHD_HEADER_KIND, note_framing, &seen);
  return seen.lengths_differ || (seen.transfer_encoding && !seen.length.empty());
}

MHD_Result copy_argument(void* cls, MHD_ValueKind, const char* key, const char* value) {
  static_cast<request_state*>(cls)->query.emplace(key, value == nullptr ? "" : value);
  return MHD_YES;
}

std::string client_address(MHD_Connection* connection) {
  const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return {};
  char text[INET6_ADDRSTRLEN] = {};
  const sockaddr* address = info->client_addr;
  if (address->sa_family == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, text,
                sizeof(text));
  } else if (address->sa_family == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, text,
                sizeof(text));
  }
  return text;
}

// A streamed answer's state (api_response::stream): the producer and its current part.
struct stream_state {
  std::function<api_response::stream_step(std::string&)> produce;
  std::string part;
  size_t sent = 0;  // of part
  bool finished = false;
};
constexpr size_t stream_block_bytes = 64 * 1024;

ssize_t read_stream(void* cls, uint64_t, char* buffer, size_t max) {
  auto* state = static_cast<stream_state*>(cls);
  while (state->sent == state->part.size()) {
    if (state->finished) return MHD_CONTENT_READER_END_OF_STREAM;
    state->part.clear();
    state->sent = 0;
    const auto step = state->produce(state->part);
    if (step == api_response::stream_step::failed) return MHD_CONTENT_READER_END_WITH_ERROR;
    state->finished = step == api_response::stream_step::done;
  }
  const size_t count = std::min(max, state->part.size() - state->sent);
  std::memcpy(buffer, state->part.data() + state->sent, count);
  state->sent += count;
  return static_cast<ssize_t>(count);
}

void free_stream(void* cls) {
  delete static_cast<stream_state*>(cls);
}

MHD_Response* create_response(const api_response& response) {
  if (!response.stream) {
    return MHD_create_response_from_buffer(
        response.body.size(), const_cast<char*>(response.body.data()), MHD_RESPMEM_MUST_COPY);
  }
  auto* state = new stream_state{response.stream, {}, 0, false};
  MHD_Response* out = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, stream_block_bytes,
                                                        &read_stream, state, &free_stream);
  if (out == nullptr) delete state;
  return out;
}

MHD_Result queue(MHD_Connection* connection, const api_response& response) {
  MHD_Response* out = create_response(response);
  if (out == nullptr) return MHD_NO;
  MHD_add_response_header(out, MHD_HTTP_HEADER_CONTENT_TYPE, response.content_type.c_str());
  if (!response.allow.empty()) MHD_add_response_header(out, "Allow", response.allow.c_str());
  // No answer is to be guessed at by type, and account data is not to be cached: the
  // console's files set their own Cache-Control (revalidate by ETag).
  MHD_add_response_header(out, "X-Content-Type-Options", "nosniff");
  bool cache_control = false;
  for (const auto& [name, value] : response.headers) {
    MHD_add_response_header(out, name.c_str(), value.c_str());
    cache_control = cache_control || ::strcasecmp(name.c_str(), "Cache-Control") == 0;
  }
  if (!cache_control) MHD_add_response_header(out, "Cache-Control", "no-store");
  const MHD_Result queued =
      MHD_queue_response(connection, static_cast<unsigned>(response.status), out);
  MHD_destroy_response(out);
  return queued;
}

// The listening address for `host` (a name or a literal, IPv4 or IPv6) and `port`.
bool resolve(const std::string& host, uint16_t port, sockaddr_storage& out, socklen_t& length) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &found) != 0 || found == nullptr) {
    return false;
  }
  std::memcpy(&out, found->ai_addr, found->ai_addrlen);
  length = found->ai_addrlen;
  ::freeaddrinfo(found);
  return true;
}

}  // namespace

struct http_api::impl {
  impl(caf::actor_system& system, actors::node& node, http_options opts)
      : options(std::move(opts)), handlers(system, node, options, counters) {}

  const http_options options;
  http_metrics counters;
  routes handlers;
  MHD_Daemon* daemon = nullptr;
  uint16_t port = 0;

  std::mutex state_mutex;
  bool started = false;  // guarded by state_mutex
  bool stopped = false;  // guarded by state_mutex

  // The workers: complete requests wait here, each on its suspended connection.
  std::mutex queue_mutex;
  std::condition_variable queue_ready;
  std::deque<std::pair<MHD_Connection*, request_state*>> waiting;  // guarded by queue_mutex
  bool workers_stopping = false;                                   // guarded by queue_mutex
  std::vector<std::thread> workers;

  static MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url,
                               const char* method, const char* version, const char* upload_data,
                               size_t* upload_data_size, void** request_context);
  static void on_completed(void* cls, MHD_Connection* connection, void** request_context,
                           MHD_RequestTerminationCode code);
  static MHD_Result on_accept(void* cls, const sockaddr* address, socklen_t length);
  static void on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                            MHD_ConnectionNotificationCode code);
  static void on_library_message(void* cls, const char* format, va_list arguments);

  void take_body(request_state& state, const char* data, size_t* size) const;
  MHD_Result refuse_too_large(MHD_Connection* connection);
  MHD_Result dispatch(MHD_Connection* connection, request_state& state);
  void work();
  void serve(request_state& state);
};

MHD_Result http_api::impl::refuse_too_large(MHD_Connection* connection) {
  const api_response refused = error_response(
      views::http_payload_too_large, error_code::limit_exceeded,
      "the body is larger than " + std::to_string(options.body_bytes_max) + " bytes");
  counters.record(route_class::unknown, refused.status, 0);
  return queue(connection, refused);
}

void http_api::impl::take_body(request_state& state, const char* data, size_t* size) const {
  if (!state.too_large && state.body.size() + *size <= options.body_bytes_max) {
    state.body.append(data, *size);
  } else {
    state.too_large = true;
    state.dropped += state.body.size() + *size;
    std::string{}.swap(state.body);
  }
  *size = 0;
}

// Hands a complete request to a worker: the connection is suspended (its socket is not
// polled) until the worker has the answer and resumes it.
// Once stop() has begun, no worker may be left to resume it: answered 503 at once instead.
MHD_Result http_api::impl::dispatch(MHD_Connection* connection, request_state& state) {
  MHD_get_connection_values(connection, MHD_HEADER_KIND, copy_header, &state);
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, copy_argument, &state);
  state.remote_address = client_address(connection);
  {
    std::lock_guard lock(queue_mutex);
    if (workers_stopping) {
      return queue(connection, error_response(views::http_unavailable, error_code::limit_exceeded,
                                              "the server is stopping"));
    }
    state.dispatched = true;
    MHD_suspend_connection(connection);
    waiting.emplace_back(connection, &state);
  }
  queue_ready.notify_one();
  return MHD_YES;
}

MHD_Result http_api::impl::on_request(void* cls, MHD_Connection* connection, const char* url,
                                      const char* method, const char*, const char* upload_data,
                                      size_t* upload_data_size, void** request_context) {
  auto* self = static_cast<impl*>(cls);
  auto* state = static_cast<request_state*>(*request_context);
  if (state == nullptr) {  // the headers are in; the body (if any) comes next
    state = new request_state;
    state->method = method;
    state->path = url;
    *request_context = state;
    if (!ambiguous_framing(connection)) return MHD_YES;
    api_response refused = error_response(
        error_code::malformed_request,
        "conflicting Content-Length headers, or Content-Length with Transfer-Encoding");
    refused.headers.emplace_back("Connection", "close");  // nothing after it is read
    self->counters.record(route_class::unknown, refused.status, 0);
    return queue(connection, refused);
  }
  if (*upload_data_size > 0) {
    self->take_body(*state, upload_data, upload_data_size);
    // Past the drain: answered now; libmicrohttpd reads no more of it and closes the
    // connection after the answer, so an endless body costs at most body_bytes_max of memory.
    if (state->dropped > body_drain_bytes_max) return self->refuse_too_large(connection);
    return MHD_YES;
  }
  if (state->too_large) return self->refuse_too_large(connection);
  if (state->dispatched) {  // resumed by its worker
    const MHD_Result queued = queue(connection, state->answer);
    self->counters.record(state->route, state->answer.status, micros_since(state->started));
    return queued;
  }
  return self->dispatch(connection, *state);
}

void http_api::impl::on_completed(void*, MHD_Connection*, void** request_context,
                                  MHD_RequestTerminationCode) {
  delete static_cast<request_state*>(*request_context);
  *request_context = nullptr;
}

MHD_Result http_api::impl::on_accept(void* cls, const sockaddr*, socklen_t) {
  static_cast<impl*>(cls)->counters.connection_accepted();
  return MHD_YES;  // the limits are libmicrohttpd's own; seen here: not asked for those it refuses
}

void http_api::impl::on_connection(void* cls, MHD_Connection*, void**,
                                   MHD_ConnectionNotificationCode code) {
  auto& counters = static_cast<impl*>(cls)->counters;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) counters.connection_started();
  if (code == MHD_CONNECTION_NOTIFY_CLOSED) counters.connection_closed();
}

// libmicrohttpd's own messages: a request it refused before routing is counted by status;
// the rest is logged at debug (under attack it says the same thing many times a second).
void http_api::impl::on_library_message(void* cls, const char* format, va_list arguments) {
  char text[512];
  std::vsnprintf(text, sizeof(text), format, arguments);
  const std::string_view message{text};
  constexpr std::string_view refused = "Error processing request (HTTP response code is ";
  if (message.rfind(refused, 0) == 0) {
    static_cast<impl*>(cls)->counters.refused_by_library(std::atoi(text + refused.size()));
    return;
  }
  spdlog::debug("http: libmicrohttpd: {}", message.substr(0, message.find_last_not_of('\n') + 1));
}

void http_api::impl::serve(request_state& state) {
  api_request in;
  in.method = state.method == "HEAD" ? "GET" : state.method;
  in.path = state.path;
  in.body = &state.body;
  in.remote_address = state.remote_address;
  in.query = [&state](const std::string& name) -> std::optional<std::string> {
    auto found = state.query.find(name);
    if (found == state.query.end()) return std::nullopt;
    return found->second;
  };
  in.header = [&state](const std::string& name) -> std::optional<std::string> {
    auto found = state.headers.find(name);
    if (found == state.headers.end()) return std::nullopt;
    return found->second;
  };
  try {
    state.answer = handlers.handle(in, state.route);
  } catch (const std::exception& e) {
    // A bug, not bad input: bad input is answered without exceptions. The body is not
    // logged: it may hold a card number.
    spdlog::error("http: {} {}: {}", state.method, to_string(state.route), e.what());
    state.answer = error_response(error_code::internal_error, "internal error");
  }
}

// A worker: answers requests until stop, and then those still waiting (each is bounded by
// the request timeout), so that every suspended connection is resumed before the daemon
// stops.
void http_api::impl::work() {
  for (;;) {
    std::pair<MHD_Connection*, request_state*> job;
    {
      std::unique_lock lock(queue_mutex);
      queue_ready.wait(lock, [this] { return workers_stopping || !waiting.empty(); });
      if (waiting.empty()) return;
      job = waiting.front();
      waiting.pop_front();
    }
    serve(*job.second);
    MHD_resume_connection(job.first);
  }
}

http_api::http_api(caf::actor_system& system, actors::node& node, http_options options)
    : impl_(std::make_unique<impl>(system, node, std::move(options))) {}

http_api::~http_api() {
  stop();
}

ledger::status http_api::start() {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  if (impl_->started || impl_->stopped)
    return ledger::status::bug("the HTTP API was already started");
  const std::string& host = impl_->options.host;
  const auto cannot_listen = [&] {
    return ledger::status::failure("cannot listen on " + host + ":" +
                                   std::to_string(impl_->options.port));
  };
  sockaddr_storage address{};
  socklen_t length = 0;
  if (!resolve(host, impl_->options.port, address, length)) return cannot_listen();
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
                   MHD_USE_ERROR_LOG;
  if (address.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
  // Without MHD_OPTION_LISTENING_ADDRESS_REUSE libmicrohttpd sets SO_REUSEADDR only, not
  // SO_REUSEPORT: a second ledgerd cannot bind the same port and take half the connections.
  impl_->daemon = MHD_start_daemon(
      flags, impl_->options.port, &impl::on_accept, impl_.get(), &impl::on_request, impl_.get(),
      MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&address), MHD_OPTION_CONNECTION_LIMIT,
      connections_max, MHD_OPTION_PER_IP_CONNECTION_LIMIT, connections_per_address_max,
      MHD_OPTION_CONNECTION_TIMEOUT, connection_idle_seconds, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
      connection_memory_bytes, MHD_OPTION_LISTEN_BACKLOG_SIZE, listen_backlog,
      MHD_OPTION_NOTIFY_COMPLETED, &impl::on_completed, impl_.get(), MHD_OPTION_NOTIFY_CONNECTION,
      &impl::on_connection, impl_.get(), MHD_OPTION_EXTERNAL_LOGGER, &impl::on_library_message,
      impl_.get(), MHD_OPTION_END);
  if (impl_->daemon == nullptr) return cannot_listen();
  const auto* bound = MHD_get_daemon_info(impl_->daemon, MHD_DAEMON_INFO_BIND_PORT);
  impl_->port = bound == nullptr ? impl_->options.port : bound->port;
  const size_t threads = std::max<size_t>(impl_->options.threads, 1);
  for (size_t i = 0; i < threads; ++i)
    impl_->workers.emplace_back([state = impl_.get()] { state->work(); });
  impl_->started = true;
  spdlog::info("http: listening on {}:{}", host, impl_->port);
  return ledger::status::success();
}

uint16_t http_api::port() const {
  return impl_->port;
}

// Stops accepting, lets the workers answer what is queued (and resume those connections),
// then stops the daemon, which closes every connection left: idle or slow ones are not
// waited for.
void http_api::stop() {
  std::lock_guard<std::mutex> lock(impl_->state_mutex);
  if (impl_->stopped) return;
  impl_->stopped = true;
  if (!impl_->started) return;
  const MHD_socket listening = MHD_quiesce_daemon(impl_->daemon);
  {
    std::lock_guard queue_lock(impl_->queue_mutex);
    impl_->workers_stopping = true;
  }
  impl_->queue_ready.notify_all();
  for (auto& worker : impl_->workers)
    worker.join();
  MHD_stop_daemon(impl_->daemon);
  if (listening != MHD_INVALID_SOCKET) ::close(listening);
  spdlog::info("http: stopped");
}

}  // namespace server
