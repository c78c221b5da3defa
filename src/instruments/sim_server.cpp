#include "instruments/sim_server.hpp"

#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <vector>

namespace ampbench::instruments {

SimInstrumentServer::SimInstrumentServer(const std::string& host, std::uint16_t port,
                                         std::shared_ptr<SimInstrument> instrument,
                                         std::string log_path)
    : instrument_(std::move(instrument)), log_path_(std::move(log_path)) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0)
    throw InstrumentError("cannot listen on " + host + ":" + service + ": " + ::gai_strerror(rc));
  std::string why = "no address";
  for (addrinfo* a = found; a && listen_fd_ < 0; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, 0);
    if (fd < 0) continue;
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 8) == 0) {
      listen_fd_ = fd;
      sockaddr_storage bound{};
      socklen_t len = sizeof bound;
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
      port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    } else {
      why = std::strerror(errno);
      ::close(fd);
    }
  }
  ::freeaddrinfo(found);
  if (listen_fd_ < 0)
    throw InstrumentError("cannot listen on " + host + ":" + service + ": " + why);
}

SimInstrumentServer::~SimInstrumentServer() {
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

void SimInstrumentServer::serve(const std::atomic<bool>& stop, long stall_after_lines) {
  long lines = 0;
  std::ofstream log;
  if (!log_path_.empty()) log.open(log_path_, std::ios::app);
  std::map<int, std::string> clients;  // fd → bytes of an unfinished line
  while (!stop.load()) {
    std::vector<pollfd> fds{{listen_fd_, POLLIN, 0}};
    for (const auto& [fd, pending] : clients) fds.push_back({fd, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), 100) <= 0) continue;
    if (fds[0].revents & POLLIN) {
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd >= 0) clients[fd];
    }
    for (std::size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      const int fd = fds[i].fd;
      char buffer[4096];
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) {
        ::close(fd);
        clients.erase(fd);
        continue;
      }
      std::string& pending = clients[fd];
      pending.append(buffer, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = pending.find('\n')) != std::string::npos;) {
        std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (log.is_open()) log << line << '\n' << std::flush;
        if (stall_after_lines > 0 && ++lines > stall_after_lines) continue;
        if (const auto reply = instrument_->handle(line)) {
          const std::string out = *reply + "\n";
          ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
        }
      }
    }
  }
  for (const auto& [fd, pending] : clients) ::close(fd);
}

}  // namespace ampbench::instruments
