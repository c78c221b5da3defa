#include "instruments/tcp_transport.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ampbench::instruments {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<Milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(std::max<long long>(0, left));
}

}  // namespace

TcpTransport::TcpTransport(std::string host, std::uint16_t port, Milliseconds connect_timeout)
    : host_(std::move(host)), port_(port), connect_timeout_(connect_timeout) {
  connect();
}

TcpTransport::~TcpTransport() {
  close_socket();
}

std::string TcpTransport::describe() const {
  return host_ + ":" + std::to_string(port_);
}

void TcpTransport::close_socket() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  pending_.clear();
}

void TcpTransport::connect() {
  close_socket();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port_);
  if (const int rc = ::getaddrinfo(host_.c_str(), service.c_str(), &hints, &found); rc != 0)
    throw InstrumentError("instrument at " + describe() + ": " + ::gai_strerror(rc));
  std::string why = "no address";
  const auto deadline = Clock::now() + connect_timeout_;
  for (addrinfo* a = found; a && fd_ < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) continue;
    int rc = ::connect(fd, a->ai_addr, a->ai_addrlen);
    if (rc < 0 && errno == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      rc = ::poll(&p, 1, remaining_ms(deadline));
      if (rc == 0) {
        why = "no answer within " + std::to_string(connect_timeout_.count()) + " ms";
        ::close(fd);
        continue;
      }
      int err = 0;
      socklen_t len = sizeof err;
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      rc = err == 0 ? 0 : -1;
      errno = err;
    }
    if (rc < 0) {
      why = std::strerror(errno);
      ::close(fd);
      continue;
    }
    const int one = 1;  // SCPI is request/reply: Nagle would only add latency
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd_ = fd;
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) throw InstrumentError("instrument at " + describe() + " is not reachable: " + why);
}

bool TcpTransport::send_all(std::string_view data) {
  while (!data.empty()) {
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(connect_timeout_.count())) <= 0) return false;
    const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void TcpTransport::write(std::string_view message) {
  if (fd_ < 0) connect();
  // A peer that closed shows only now: a half-open socket accepts the first send. Look for
  // its end-of-stream first, so a restarted instrument gets the command on a new connection.
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLIN))) {
    char probe;
    const ssize_t n = ::recv(fd_, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN)) connect();
  }
  if (send_all(message)) return;
  connect();
  if (!send_all(message))
    throw InstrumentError("instrument at " + describe() + ": connection lost while sending");
}

std::string TcpTransport::read(Milliseconds timeout) {
  if (fd_ < 0) throw InstrumentError("instrument at " + describe() + ": not connected");
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (const std::size_t nl = pending_.find('\n'); nl != std::string::npos) {
      std::string reply = pending_.substr(0, nl + 1);
      pending_.erase(0, nl + 1);
      return reply;
    }
    pollfd p{fd_, POLLIN, 0};
    const int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc == 0)
      throw InstrumentTimeout("instrument at " + describe() + ": no reply within " +
                              std::to_string(timeout.count()) + " ms");
    if (rc < 0 && errno == EINTR) continue;
    char buffer[4096];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) {
      const std::string why =
          n == 0 ? "the instrument closed the connection" : std::strerror(errno);
      close_socket();
      throw InstrumentError("instrument at " + describe() + ": connection lost (" + why + ")");
    }
    pending_.append(buffer, static_cast<std::size_t>(n));
  }
}

void TcpTransport::clear() {
  connect();
}

}  // namespace ampbench::instruments
