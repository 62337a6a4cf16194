#include "tests/testing/http_receiver.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/log.h"

namespace pantau::testing {
namespace {

constexpr size_t kMaxHeaderBytes = 64 << 10;
constexpr size_t kMaxBodyBytes = 64 << 20;
// A client that stops reading must not wedge the server thread (and with it Stop()).
constexpr int kSendTimeoutSeconds = 10;

absl::Status ErrnoStatus(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Status";
  }
}

bool SendAll(int fd, absl::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

std::string Serialize(const HttpReceiver::Response& response, bool close) {
  std::string out =
      absl::StrCat("HTTP/1.1 ", response.status, " ", ReasonPhrase(response.status), "\r\n");
  if (!response.content_type.empty())
    absl::StrAppend(&out, "Content-Type: ", response.content_type, "\r\n");
  for (const auto& [name, value] : response.headers)
    absl::StrAppend(&out, name, ": ", value, "\r\n");
  absl::StrAppend(&out, "Content-Length: ", response.body.size(), "\r\n");
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  out += response.body;
  return out;
}

enum class BodyState { kComplete, kIncomplete, kMalformed };

// Decodes a chunked body starting at `start`; sets *end to the first byte after it.
BodyState Dechunk(absl::string_view buffer, size_t start, std::string* body, size_t* end) {
  size_t pos = start;
  body->clear();
  while (true) {
    const size_t line_end = buffer.find("\r\n", pos);
    if (line_end == absl::string_view::npos) {
      return buffer.size() - pos > 1024 ? BodyState::kMalformed : BodyState::kIncomplete;
    }
    absl::string_view size_text = buffer.substr(pos, line_end - pos);
    size_text = size_text.substr(0, size_text.find(';'));  // chunk extensions
    size_text = absl::StripAsciiWhitespace(size_text);
    uint64_t size = 0;
    if (size_text.empty() || size_text.size() > 15 || !absl::SimpleHexAtoi(size_text, &size)) {
      return BodyState::kMalformed;
    }
    pos = line_end + 2;
    if (size == 0) {
      // Optional trailer fields, then an empty line.
      while (true) {
        const size_t trailer_end = buffer.find("\r\n", pos);
        if (trailer_end == absl::string_view::npos) return BodyState::kIncomplete;
        const bool empty = trailer_end == pos;
        pos = trailer_end + 2;
        if (empty) {
          *end = pos;
          return BodyState::kComplete;
        }
      }
    }
    if (body->size() + size > kMaxBodyBytes) return BodyState::kMalformed;
    if (buffer.size() < pos + size + 2) return BodyState::kIncomplete;
    if (buffer.substr(pos + size, 2) != "\r\n") return BodyState::kMalformed;
    body->append(buffer.data() + pos, size);
    pos += size + 2;
  }
}

}  // namespace

struct HttpReceiver::Connection {
  int fd = -1;
  std::string buffer;
  bool sent_continue = false;
};

std::string HttpReceiver::Request::Header(absl::string_view name) const {
  auto it = headers.find(absl::AsciiStrToLower(name));
  return it == headers.end() ? "" : it->second;
}

absl::StatusOr<std::unique_ptr<HttpReceiver>> HttpReceiver::Start() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoStatus("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 64) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    absl::Status status = ErrnoStatus("bind/listen 127.0.0.1:0");
    ::close(fd);
    return status;
  }
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) {
    absl::Status status = ErrnoStatus("pipe2");
    ::close(fd);
    return status;
  }
  std::unique_ptr<HttpReceiver> receiver(
      new HttpReceiver(fd, wake[0], wake[1], ntohs(addr.sin_port)));
  receiver->thread_ = std::thread([r = receiver.get()] { r->Serve(); });
  return receiver;
}

HttpReceiver::HttpReceiver(int listen_fd, int wake_read_fd, int wake_write_fd, int port)
    : listen_fd_(listen_fd),
      wake_read_fd_(wake_read_fd),
      wake_write_fd_(wake_write_fd),
      port_(port) {}

HttpReceiver::~HttpReceiver() { Stop(); }

void HttpReceiver::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    if (stopped_) return;
    stopped_ = true;
  }
  const char byte = 1;
  while (::write(wake_write_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  if (thread_.joinable()) thread_.join();
  ::close(listen_fd_);
  ::close(wake_read_fd_);
  ::close(wake_write_fd_);
}

std::string HttpReceiver::Url(absl::string_view path) const {
  return absl::StrCat("http://127.0.0.1:", port_, absl::StartsWith(path, "/") ? "" : "/", path);
}

void HttpReceiver::SetResponse(const std::string& prefix, int status, std::string body,
                               std::string content_type) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = std::move(content_type);
  SetResponse(prefix, std::move(response));
}

void HttpReceiver::SetResponse(const std::string& prefix, Response response) {
  SetHandler(prefix, [response](const Request&) { return response; });
}

void HttpReceiver::SetHandler(const std::string& prefix, Handler handler) {
  absl::MutexLock lock(&mutex_);
  handlers_[prefix] = std::move(handler);
}

std::vector<HttpReceiver::Request> HttpReceiver::Requests() const {
  absl::MutexLock lock(&mutex_);
  return requests_;
}

absl::StatusOr<std::vector<HttpReceiver::Request>> HttpReceiver::WaitForRequests(
    size_t count, absl::Duration timeout) {
  absl::MutexLock lock(&mutex_);
  auto enough = [this, count]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) { return requests_.size() >= count; };
  if (!mutex_.AwaitWithTimeout(absl::Condition(&enough), timeout)) {
    return absl::DeadlineExceededError(
        absl::StrCat("HttpReceiver: ", requests_.size(), " requests within ",
                     absl::FormatDuration(timeout), ", wanted ", count));
  }
  return requests_;
}

void HttpReceiver::ClearRequests() {
  absl::MutexLock lock(&mutex_);
  requests_.clear();
}

HttpReceiver::Response HttpReceiver::Answer(const Request& request) {
  Handler handler;
  {
    absl::MutexLock lock(&mutex_);
    requests_.push_back(request);
    size_t best = 0;
    for (const auto& [prefix, h] : handlers_) {
      if (absl::StartsWith(request.target, prefix) && (!handler || prefix.size() >= best)) {
        handler = h;
        best = prefix.size();
      }
    }
  }
  if (handler) return handler(request);
  Response response;
  response.body = R"({"ok":true,"result":true})";
  return response;
}

bool HttpReceiver::ServeBuffered(Connection* c) {
  while (true) {
    const size_t header_end = c->buffer.find("\r\n\r\n");
    if (header_end == std::string::npos) {
      if (c->buffer.size() > kMaxHeaderBytes) {
        Response too_large;
        too_large.status = 431;
        too_large.content_type = "text/plain";
        SendAll(c->fd, Serialize(too_large, true));
        return false;
      }
      return true;  // wait for more
    }
    Request request;
    std::vector<absl::string_view> lines =
        absl::StrSplit(absl::string_view(c->buffer).substr(0, header_end), "\r\n");
    std::vector<absl::string_view> request_line = absl::StrSplit(lines[0], ' ');
    bool malformed = request_line.size() != 3 || !absl::StartsWith(request_line[2], "HTTP/1.");
    const bool http10 = !malformed && request_line[2] == "HTTP/1.0";
    if (!malformed) {
      request.method = std::string(request_line[0]);
      request.target = std::string(request_line[1]);
      const size_t question = request.target.find('?');
      request.path = request.target.substr(0, question);
      if (question != std::string::npos) request.query = request.target.substr(question + 1);
    }
    for (size_t i = 1; i < lines.size() && !malformed; ++i) {
      const size_t colon = lines[i].find(':');
      if (colon == absl::string_view::npos || colon == 0) {
        malformed = true;
        break;
      }
      const std::string name = absl::AsciiStrToLower(lines[i].substr(0, colon));
      const std::string value(absl::StripAsciiWhitespace(lines[i].substr(colon + 1)));
      auto [it, inserted] = request.headers.emplace(name, value);
      if (!inserted) absl::StrAppend(&it->second, ", ", value);
    }
    // Body.
    size_t end = header_end + 4;
    BodyState state = BodyState::kComplete;
    if (!malformed) {
      if (absl::StrContains(absl::AsciiStrToLower(request.Header("transfer-encoding")),
                            "chunked")) {
        state = Dechunk(c->buffer, header_end + 4, &request.body, &end);
      } else if (const std::string length = request.Header("content-length"); !length.empty()) {
        uint64_t n = 0;
        if (!absl::SimpleAtoi(length, &n) || n > kMaxBodyBytes) {
          state = BodyState::kMalformed;
        } else if (c->buffer.size() < header_end + 4 + n) {
          state = BodyState::kIncomplete;
        } else {
          request.body = c->buffer.substr(header_end + 4, n);
          end = header_end + 4 + n;
        }
      }
    }
    if (malformed || state == BodyState::kMalformed) {
      Response bad;
      bad.status = 400;
      bad.content_type = "text/plain";
      bad.body = "malformed request\n";
      SendAll(c->fd, Serialize(bad, true));
      return false;
    }
    if (state == BodyState::kIncomplete) {
      if (!c->sent_continue && absl::EqualsIgnoreCase(request.Header("expect"), "100-continue")) {
        c->sent_continue = true;
        if (!SendAll(c->fd, "HTTP/1.1 100 Continue\r\n\r\n")) return false;
      }
      return true;
    }
    c->buffer.erase(0, end);
    c->sent_continue = false;
    const bool close = http10 || absl::EqualsIgnoreCase(request.Header("connection"), "close");
    Response response = Answer(request);
    if (response.drop_connection) return false;
    if (!SendAll(c->fd, Serialize(response, close))) return false;
    if (close) return false;
  }
}

void HttpReceiver::Serve() {
  std::vector<std::unique_ptr<Connection>> connections;
  while (true) {
    std::vector<pollfd> fds;
    fds.push_back({wake_read_fd_, POLLIN, 0});
    fds.push_back({listen_fd_, POLLIN, 0});
    for (const auto& c : connections) fds.push_back({c->fd, POLLIN, 0});
    const int ready = ::poll(fds.data(), fds.size(), -1);
    if (ready < 0) {
      if (errno == EINTR) continue;
      PANTAU_LOG(ERROR) << "HttpReceiver: poll: " << std::strerror(errno);
      break;
    }
    if (fds[0].revents != 0) break;  // Stop()
    // Connections first: indices in `fds` match `connections` only before accept adds one.
    std::vector<std::unique_ptr<Connection>> open;
    for (size_t i = 0; i < connections.size(); ++i) {
      std::unique_ptr<Connection>& c = connections[i];
      bool keep = true;
      if (fds[i + 2].revents != 0) {
        char buffer[16384];
        const ssize_t n = ::recv(c->fd, buffer, sizeof(buffer), 0);
        if (n < 0 && errno == EINTR) {
          keep = true;
        } else if (n <= 0) {
          keep = false;
        } else {
          c->buffer.append(buffer, static_cast<size_t>(n));
          keep = ServeBuffered(c.get());
        }
      }
      if (keep) {
        open.push_back(std::move(c));
      } else {
        ::close(c->fd);
      }
    }
    connections = std::move(open);
    if (fds[1].revents & POLLIN) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) {
        timeval send_timeout{kSendTimeoutSeconds, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
        auto c = std::make_unique<Connection>();
        c->fd = fd;
        connections.push_back(std::move(c));
      }
    }
  }
  for (const auto& c : connections) ::close(c->fd);
}

}  // namespace pantau::testing
