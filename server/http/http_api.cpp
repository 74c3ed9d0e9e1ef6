#include "server/http/http_api.hpp"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <strings.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "server/http/routes.hpp"
#include "server/http/views.hpp"

namespace server {
namespace {

using ledger::error_code;

// Connection limits (docs/security.md, "HTTP connections"). libmicrohttpd reads every socket
// on one epoll thread, so a connection that trickles its request or idles holds a slot and
// at most connection_memory_bytes, never a worker thread. One address beyond its share is
// closed at once by on_accept, which counts it. With every slot taken, a new connection
// closes the one that has waited longest on its request (slow clients cannot keep honest
// ones waiting for the request deadline), or is closed itself when none has waited
// eviction_age_min.
constexpr unsigned connections_max = 1024;
constexpr unsigned connections_per_address_max = 256;
static_assert(connections_per_address_max < connections_max,
              "one address must leave slots for the others");
// Connections closed to make room but not yet gone: libmicrohttpd's own limit is
// connections_max plus these (beyond it, new connections wait in the listen backlog).
constexpr unsigned connections_closing_max = 64;
// A connection is closed to make room only after its request has taken this long: a client
// sending its request at once is never closed for a newer one.
constexpr std::chrono::milliseconds eviction_age_min{1000};
static_assert(eviction_age_min * 2 <= request_deadline_default,
              "slow connections are closed to make room well before their deadline");
// A connection that sends nothing for this long (mid-request or idle between requests) is
// closed by libmicrohttpd. The request deadline (http_options::request_deadline, 10 s by
// default) closes a connection that keeps speaking without finishing its request.
constexpr unsigned connection_idle_seconds = 10;
static_assert(request_deadline_default <= std::chrono::seconds(connection_idle_seconds),
              "by default the deadline is the tighter bound; silence bounds a longer one");
// The request deadline is checked this often at most (and ten times per deadline at least):
// an overdue connection is closed within this of its deadline.
constexpr std::chrono::milliseconds deadline_check_interval_max{500};
constexpr std::chrono::milliseconds deadline_check_interval_min{10};
static_assert(deadline_check_interval_min < deadline_check_interval_max);
// The request line and headers must fit here (libmicrohttpd answers 431 or 414 beyond it);
// the body is collected apart, up to http_options::body_bytes_max.
constexpr size_t connection_memory_bytes = 32 * 1024;
// A chunked body over the limit is read on and dropped up to this much, then answered 413
// when it ends: a client still sending when the connection closed would see a reset, not
// the answer. An endless one is answered (and the connection closed) as soon as this much
// was dropped. (A body whose Content-Length is over the limit is answered 413 before it is
// read.)
constexpr size_t body_drain_bytes_max = 1 << 20;
// Connections the kernel queues before the polling thread accepts them.
constexpr unsigned listen_backlog = 1024;
static_assert(listen_backlog >= connections_closing_max,
              "connections waiting for an evicted one to go are held by the kernel");

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

// One request on its way: what the polling thread read, then the worker's answer. Made when
// the request line arrives (on_request_line), deleted when the request ends (on_completed).
struct request_state {
  std::chrono::steady_clock::time_point started;  // the headers were read
  std::string method;
  std::string path;  // as sent: percent-escapes are not decoded, so routes see what was sent
  std::string remote_address;
  std::map<std::string, std::string, header_less> headers;
  std::map<std::string, std::string> query;
  std::vector<std::string> query_names;  // in order, a name given twice listed twice
  std::string body;
  bool headers_in = false;  // the headers were read (on_request was called)
  bool too_large = false;   // the body passed body_bytes_max: dropped, answered 413
  size_t dropped = 0;       // bytes of it dropped so far
  bool dispatched = false;
  api_response answer;  // set by a worker before it resumes the connection
  route_class route = route_class::unknown;
};

// One connection, from its start to its close (the socket context of libmicrohttpd): what
// the request deadline needs. Guarded by impl::connections_mutex.
struct connection_record {
  MHD_socket fd = MHD_INVALID_SOCKET;
  std::string address;  // the client's, for the per-address limit
  std::chrono::steady_clock::time_point clock_started = std::chrono::steady_clock::now();
  bool with_worker = false;  // a worker is answering: no deadline
  bool shut_down = false;    // overdue: shut down, libmicrohttpd closes it
};

MHD_Result copy_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
  static_cast<request_state*>(cls)->headers.emplace(key, value == nullptr ? "" : value);
  return MHD_YES;
}

// Headers that hold one value each, so that a second one is refused rather than one of them
// read (a proxy may have read the other; RFC 9112 asks 400 for a second Host).
constexpr std::array<const char*, 4> single_headers = {
    MHD_HTTP_HEADER_HOST, MHD_HTTP_HEADER_AUTHORIZATION, "X-Platform-Key",
    MHD_HTTP_HEADER_CONTENT_TYPE};

// Framing headers, counted: two different Content-Lengths, or a Content-Length with a
// Transfer-Encoding, let a proxy and this server disagree on where a request ends.
struct framing {
  std::string length;
  bool lengths_differ = false;
  std::vector<std::string> transfer_codings;  // lower case, in order, over every header
  std::array<bool, single_headers.size()> single_seen{};
  const char* repeated = nullptr;  // a single header given twice
};

void add_codings(std::string_view list, std::vector<std::string>& codings) {
  while (!list.empty()) {
    const size_t comma = std::min(list.find(','), list.size());
    std::string_view item = list.substr(0, comma);
    list.remove_prefix(std::min(comma + 1, list.size()));
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
      item.remove_suffix(1);
    std::string coding{item};
    for (char& c : coding)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    codings.push_back(std::move(coding));
  }
}

MHD_Result note_framing(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* seen = static_cast<framing*>(cls);
  const std::string text = value == nullptr ? "" : value;
  if (::strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
    seen->lengths_differ = seen->lengths_differ || (!seen->length.empty() && seen->length != text);
    seen->length = text;
  }
  if (::strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
    add_codings(text, seen->transfer_codings);
    if (text.empty()) seen->transfer_codings.emplace_back();
  }
  for (size_t i = 0; i < single_headers.size(); ++i) {
    if (::strcasecmp(key, single_headers[i]) != 0) continue;
    if (seen->single_seen[i] && seen->repeated == nullptr) seen->repeated = single_headers[i];
    seen->single_seen[i] = true;
  }
  return MHD_YES;
}

// True when `length` (a Content-Length: decimal digits) is over `max`. A length that is not
// digits libmicrohttpd refuses itself before the request is seen (400).
bool length_over(std::string_view length, size_t max) {
  if (length.empty()) return false;
  uint64_t value = 0;
  for (char c : length) {
    if (c < '0' || c > '9') return false;
    if (value > (std::numeric_limits<uint64_t>::max() - 9) / 10) return true;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  return value > max;
}

// The refusal of a request whose framing cannot be trusted, or with a single header given
// twice; nothing otherwise. libmicrohttpd reads a body only as Content-Length bytes or as
// plain "chunked": any other Transfer-Encoding it would take as a body without end. Each
// refusal closes the connection: nothing after it can be told apart from the body.
std::optional<api_response> framing_refusal(MHD_Connection* connection, size_t body_bytes_max) {
  framing seen;
  MHD_get_connection_values(connection, MHD_HEADER_KIND, note_framing, &seen);
  const auto& codings = seen.transfer_codings;
  std::optional<api_response> refused;
  if (seen.repeated != nullptr) {
    refused = error_response(error_code::malformed_request,
                             std::string{"the "} + seen.repeated + " header is given twice");
  } else if (seen.lengths_differ || (!codings.empty() && !seen.length.empty())) {
    refused = error_response(
        error_code::malformed_request,
        "conflicting Content-Length headers, or Content-Length with Transfer-Encoding");
  } else if (!codings.empty() && codings.back() != "chunked") {
    refused = error_response(error_code::malformed_request,
                             "Transfer-Encoding must be chunked (and chunked must come last)");
  } else if (codings.size() > 1) {
    const bool chunked_twice = std::count(codings.begin(), codings.end(), "chunked") > 1;
    refused =
        chunked_twice
            ? error_response(error_code::malformed_request, "Transfer-Encoding names chunked twice")
            : error_response(views::http_not_implemented, error_code::malformed_request,
                             "the only transfer coding taken is chunked");
  } else if (length_over(seen.length, body_bytes_max)) {
    refused =
        error_response(views::http_payload_too_large, error_code::limit_exceeded,
                       "the body is larger than " + std::to_string(body_bytes_max) + " bytes");
  }
  if (refused) refused->headers.emplace_back("Connection", "close");
  return refused;
}

// With their lengths: a %00 in a name or value is kept (and then refused by the strict
// parsers of the routes) instead of cutting the text short.
MHD_Result copy_argument(void* cls, MHD_ValueKind, const char* key, size_t key_size,
                         const char* value, size_t value_size) {
  auto* state = static_cast<request_state*>(cls);
  std::string name(key, key_size);
  state->query.emplace(name, value == nullptr ? std::string{} : std::string(value, value_size));
  state->query_names.push_back(std::move(name));
  return MHD_YES;
}

// The text of an address (IPv4 or IPv6); empty for another family.
std::string address_text(const sockaddr* address) {
  if (address == nullptr) return {};
  char text[INET6_ADDRSTRLEN] = {};
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

std::string client_address(MHD_Connection* connection) {
  const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  return info == nullptr ? std::string{} : address_text(info->client_addr);
}

connection_record* record_of(MHD_Connection* connection) {
  const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info == nullptr ? nullptr : static_cast<connection_record*>(info->socket_context);
}

// The answer to a request still sending its body, written to the socket before the
// connection is closed. libmicrohttpd 0.9.75 takes a response only before the body is read
// or after all of it (MHD_queue_response answers MHD_NO in between), and nothing else is
// written to the socket while it reads a body. Best effort: the socket's buffer is empty, so
// a short answer fits; what does not is dropped.
void write_last_answer(MHD_Connection* connection, const api_response& answer) {
  const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (info == nullptr) return;
  const char* reason = MHD_get_reason_phrase_for(static_cast<unsigned>(answer.status));
  std::string text = "HTTP/1.1 " + std::to_string(answer.status) + " " + reason +
                     "\r\nContent-Type: " + answer.content_type +
                     "\r\nContent-Length: " + std::to_string(answer.body.size()) +
                     "\r\nConnection: close\r\nX-Content-Type-Options: nosniff"
                     "\r\nCache-Control: no-store\r\n\r\n" +
                     answer.body;
  const ssize_t sent =
      ::send(info->connect_fd, text.data(), text.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (sent < 0) spdlog::debug("http: the last answer could not be written: {}", errno);
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

// Every HTTP connection is a descriptor, and the storage keeps its files open too: with an
// open-file limit of 1,024 (a common default) a client could take the descriptors the
// storage needs. Said once at start, for the operator.
void warn_if_few_descriptors() {
  constexpr rlim_t wanted = 4 * (connections_max + connections_closing_max);
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) != 0 || files.rlim_cur >= wanted) return;
  spdlog::warn(
      "http: the open-file limit is {} descriptors; {} HTTP connections need {} of them, and "
      "the storage more: raise it to {} or more (ulimit -n, LimitNOFILE=)",
      files.rlim_cur, connections_max + connections_closing_max,
      connections_max + connections_closing_max, wanted);
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

  // Every open connection, for the request deadline, and how many each address has open.
  // A record is removed before libmicrohttpd closes its socket (MHD_CONNECTION_NOTIFY_CLOSED
  // comes first), so the watchdog never shuts down a socket number taken by a later
  // connection.
  std::mutex connections_mutex;
  std::unordered_set<connection_record*> connections;          // guarded by connections_mutex
  std::unordered_map<std::string, unsigned> open_per_address;  // guarded by connections_mutex
  size_t connections_live = 0;  // not shut down; guarded by connections_mutex
  std::condition_variable watchdog_wake;
  bool watchdog_stopping = false;  // guarded by connections_mutex
  std::thread watchdog;

  static void* on_request_line(void* cls, const char* uri, MHD_Connection* connection);
  static MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url,
                               const char* method, const char* version, const char* upload_data,
                               size_t* upload_data_size, void** request_context);
  static void on_completed(void* cls, MHD_Connection* connection, void** request_context,
                           MHD_RequestTerminationCode code);
  static MHD_Result on_accept(void* cls, const sockaddr* address, socklen_t length);
  static void on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                            MHD_ConnectionNotificationCode code);
  static void on_library_message(void* cls, const char* format, va_list arguments);

  MHD_Result on_headers(MHD_Connection* connection, request_state& state, const char* method);
  void take_body(request_state& state, const char* data, size_t* size) const;
  api_response too_large() const;
  MHD_Result dispatch(MHD_Connection* connection, request_state& state);
  // Restarts the connection's deadline; `with_worker`: stops it until the next restart.
  void restart_clock(MHD_Connection* connection, bool with_worker);
  void watch_deadlines();
  // Shuts down `record`'s socket (libmicrohttpd then closes the connection). Needs
  // connections_mutex.
  void shut_down(connection_record& record);
  // Shuts down the connection that has waited longest on its request (at least
  // eviction_age_min, and no worker answering it); false when there is none. Needs
  // connections_mutex.
  bool evict_oldest();
  void work();
  void serve(request_state& state);
};

api_response http_api::impl::too_large() const {
  return error_response(
      views::http_payload_too_large, error_code::limit_exceeded,
      "the body is larger than " + std::to_string(options.body_bytes_max) + " bytes");
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

void http_api::impl::restart_clock(MHD_Connection* connection, bool with_worker) {
  connection_record* record = record_of(connection);
  if (record == nullptr) return;
  std::lock_guard lock(connections_mutex);
  record->clock_started = std::chrono::steady_clock::now();
  record->with_worker = with_worker;
}

// Hands a complete request to a worker: the connection is suspended (its socket is not
// polled) until the worker has the answer and resumes it.
// Once stop() has begun, no worker may be left to resume it: answered 503 at once instead.
MHD_Result http_api::impl::dispatch(MHD_Connection* connection, request_state& state) {
  MHD_get_connection_values(connection, MHD_HEADER_KIND, copy_header, &state);
  MHD_get_connection_values_n(connection, MHD_GET_ARGUMENT_KIND, copy_argument, &state);
  state.remote_address = client_address(connection);
  {
    std::lock_guard lock(queue_mutex);
    if (workers_stopping) {
      return queue(connection, error_response(views::http_unavailable, error_code::limit_exceeded,
                                              "the server is stopping"));
    }
    state.dispatched = true;
    restart_clock(connection, true);
    MHD_suspend_connection(connection);
    waiting.emplace_back(connection, &state);
  }
  queue_ready.notify_one();
  return MHD_YES;
}

// The request line is in: the request's state starts here, with the path as sent (the
// `url` of on_request has its percent-escapes decoded: "/v1/accounts/1%2F2" would route as
// four segments).
void* http_api::impl::on_request_line(void*, const char* uri, MHD_Connection*) {
  auto* state = new request_state;
  const std::string_view raw{uri == nullptr ? "" : uri};
  state->path = std::string{raw.substr(0, raw.find('?'))};
  return state;
}

// The headers are in. A request whose framing cannot be trusted, or whose announced body is
// over the limit, is answered now and its connection closed: its body is not read, and an
// "Expect: 100-continue" is not answered 100 (libmicrohttpd sends that only when the first
// call queued nothing).
MHD_Result http_api::impl::on_headers(MHD_Connection* connection, request_state& state,
                                      const char* method) {
  state.headers_in = true;
  state.started = std::chrono::steady_clock::now();  // latency counts from the headers
  state.method = method;
  auto refused = framing_refusal(connection, options.body_bytes_max);
  if (!refused) return MHD_YES;
  counters.record(route_class::unknown, refused->status, 0);
  return queue(connection, *refused);
}

MHD_Result http_api::impl::on_request(void* cls, MHD_Connection* connection, const char*,
                                      const char* method, const char*, const char* upload_data,
                                      size_t* upload_data_size, void** request_context) {
  auto* self = static_cast<impl*>(cls);
  auto* state = static_cast<request_state*>(*request_context);
  if (state == nullptr) return MHD_NO;  // on_request_line made one for every request
  if (!state->headers_in) return self->on_headers(connection, *state, method);
  if (*upload_data_size > 0) {
    self->take_body(*state, upload_data, upload_data_size);
    if (state->dropped <= body_drain_bytes_max) return MHD_YES;
    // Past the drain: answered now and closed (MHD_NO), so an endless body costs at most
    // body_bytes_max of memory.
    const api_response refused = self->too_large();
    write_last_answer(connection, refused);
    self->counters.record(route_class::unknown, refused.status, 0);
    return MHD_NO;
  }
  if (state->too_large) {
    const api_response refused = self->too_large();
    self->counters.record(route_class::unknown, refused.status, 0);
    return queue(connection, refused);
  }
  if (state->dispatched) {  // resumed by its worker
    self->restart_clock(connection, false);
    const MHD_Result queued = queue(connection, state->answer);
    self->counters.record(state->route, state->answer.status, micros_since(state->started));
    return queued;
  }
  return self->dispatch(connection, *state);
}

// The request ended (answered, or its connection closed): the next request's clock starts.
void http_api::impl::on_completed(void* cls, MHD_Connection* connection, void** request_context,
                                  MHD_RequestTerminationCode) {
  delete static_cast<request_state*>(*request_context);
  *request_context = nullptr;
  static_cast<impl*>(cls)->restart_clock(connection, false);
}

// Every connection libmicrohttpd would take, before it takes it: one address beyond its
// share is refused here; with every slot taken, the connection that has waited longest on
// its request is closed to make room, or, when none can be, the new one is refused. Each
// refusal and closure is counted.
MHD_Result http_api::impl::on_accept(void* cls, const sockaddr* address, socklen_t) {
  auto* self = static_cast<impl*>(cls);
  const std::string from = address_text(address);
  std::lock_guard lock(self->connections_mutex);
  auto found = self->open_per_address.find(from);
  if (found != self->open_per_address.end() && found->second >= connections_per_address_max) {
    self->counters.connection_refused_per_address();
    return MHD_NO;
  }
  if (self->connections_live >= connections_max && !self->evict_oldest()) {
    self->counters.connection_refused_at_limit();
    return MHD_NO;
  }
  self->counters.connection_accepted();
  return MHD_YES;
}

void http_api::impl::shut_down(connection_record& record) {
  record.shut_down = true;
  --connections_live;
  if (record.fd != MHD_INVALID_SOCKET) ::shutdown(record.fd, SHUT_RDWR);
}

bool http_api::impl::evict_oldest() {
  const auto now = std::chrono::steady_clock::now();
  connection_record* oldest = nullptr;
  for (connection_record* record : connections) {
    if (record->with_worker || record->shut_down || now - record->clock_started < eviction_age_min)
      continue;
    if (oldest == nullptr || record->clock_started < oldest->clock_started) oldest = record;
  }
  if (oldest == nullptr) return false;
  shut_down(*oldest);
  counters.connection_evicted();
  return true;
}

// A connection starts (right after on_accept, on the same thread: no other connection comes
// between) or closes (before its socket is closed).
void http_api::impl::on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                                   MHD_ConnectionNotificationCode code) {
  auto* self = static_cast<impl*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    self->counters.connection_started();
    auto* record = new connection_record;
    const auto* fd = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    record->fd = fd == nullptr ? MHD_INVALID_SOCKET : fd->connect_fd;
    record->address = client_address(connection);
    *socket_context = record;
    std::lock_guard lock(self->connections_mutex);
    self->connections.insert(record);
    ++self->open_per_address[record->address];
    ++self->connections_live;
    return;
  }
  if (code != MHD_CONNECTION_NOTIFY_CLOSED) return;
  self->counters.connection_closed();
  auto* record = static_cast<connection_record*>(*socket_context);
  *socket_context = nullptr;
  if (record == nullptr) return;
  {
    std::lock_guard lock(self->connections_mutex);
    self->connections.erase(record);
    if (!record->shut_down) --self->connections_live;
    auto count = self->open_per_address.find(record->address);
    if (count != self->open_per_address.end() && --count->second == 0) {
      self->open_per_address.erase(count);
    }
  }
  delete record;
}

// The watchdog: shuts down the socket of every connection past its request deadline
// (libmicrohttpd then reads its end and closes it). A connection with a worker is skipped:
// its clock restarts when the answer is ready.
void http_api::impl::watch_deadlines() {
  const auto deadline = options.request_deadline;
  const auto interval = std::clamp<std::chrono::milliseconds>(
      deadline / 10, deadline_check_interval_min, deadline_check_interval_max);
  std::unique_lock lock(connections_mutex);
  while (!watchdog_wake.wait_for(lock, interval, [this] { return watchdog_stopping; })) {
    const auto now = std::chrono::steady_clock::now();
    for (connection_record* record : connections) {
      if (record->with_worker || record->shut_down || now - record->clock_started < deadline) {
        continue;
      }
      shut_down(*record);
      counters.connection_closed_at_deadline();
    }
  }
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
  in.query_names = state.query_names;
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
  if (impl_->options.request_deadline.count() <= 0) {
    return ledger::status::refused(error_code::malformed_request,
                                   "the HTTP request deadline must be positive");
  }
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
      connections_max + connections_closing_max, MHD_OPTION_CONNECTION_TIMEOUT,
      connection_idle_seconds, MHD_OPTION_CONNECTION_MEMORY_LIMIT, connection_memory_bytes,
      MHD_OPTION_LISTEN_BACKLOG_SIZE, listen_backlog, MHD_OPTION_URI_LOG_CALLBACK,
      &impl::on_request_line, impl_.get(), MHD_OPTION_NOTIFY_COMPLETED, &impl::on_completed,
      impl_.get(), MHD_OPTION_NOTIFY_CONNECTION, &impl::on_connection, impl_.get(),
      MHD_OPTION_EXTERNAL_LOGGER, &impl::on_library_message, impl_.get(), MHD_OPTION_END);
  if (impl_->daemon == nullptr) return cannot_listen();
  const auto* bound = MHD_get_daemon_info(impl_->daemon, MHD_DAEMON_INFO_BIND_PORT);
  impl_->port = bound == nullptr ? impl_->options.port : bound->port;
  const size_t threads = std::max<size_t>(impl_->options.threads, 1);
  for (size_t i = 0; i < threads; ++i)
    impl_->workers.emplace_back([state = impl_.get()] { state->work(); });
  impl_->watchdog = std::thread([state = impl_.get()] { state->watch_deadlines(); });
  impl_->started = true;
  spdlog::info("http: listening on {}:{}", host, impl_->port);
  warn_if_few_descriptors();
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
  {
    std::lock_guard watchdog_lock(impl_->connections_mutex);
    impl_->watchdog_stopping = true;
  }
  impl_->watchdog_wake.notify_all();
  impl_->watchdog.join();
  MHD_stop_daemon(impl_->daemon);
  if (listening != MHD_INVALID_SOCKET) ::close(listening);
  spdlog::info("http: stopped");
}

}  // namespace server
