#include "metrics/http_server.h"

#include <mutex>

#include <CivetServer.h>
#include <prometheus/text_serializer.h>

namespace huntline::metrics {

class HttpServer::Handlers {
 public:
  class Metrics : public CivetHandler {
   public:
    explicit Metrics(std::vector<std::shared_ptr<prometheus::Collectable>> c)
        : collectables_(std::move(c)) {}
    bool handleGet(CivetServer*, struct mg_connection* conn) override {
      std::vector<prometheus::MetricFamily> families;
      for (const auto& c : collectables_) {
        auto more = c->Collect();
        families.insert(families.end(), std::make_move_iterator(more.begin()),
                        std::make_move_iterator(more.end()));
      }
      const std::string body = prometheus::TextSerializer().Serialize(families);
      mg_printf(conn,
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
                "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                body.size());
      mg_write(conn, body.data(), body.size());
      return true;
    }

   private:
    std::vector<std::shared_ptr<prometheus::Collectable>> collectables_;
  };

  class Health : public CivetHandler {
   public:
    bool handleGet(CivetServer*, struct mg_connection* conn) override {
      std::string reason;
      bool healthy;
      {
        std::lock_guard lock(mutex);
        healthy = this->healthy;
        reason = this->reason;
      }
      const std::string body = (healthy && reason.empty() ? "ok" : reason) + "\n";
      mg_printf(conn,
                "HTTP/1.1 %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
                "Connection: close\r\n\r\n",
                healthy ? "200 OK" : "503 Service Unavailable", body.size());
      mg_write(conn, body.data(), body.size());
      return true;
    }
    std::mutex mutex;  // guards healthy and reason
    bool healthy = false;
    std::string reason = "starting";
  };

  explicit Handlers(std::vector<std::shared_ptr<prometheus::Collectable>> c) : metrics(std::move(c)) {}
  Metrics metrics;
  Health health;
};

Result<std::unique_ptr<HttpServer>> HttpServer::Start(
    const std::string& listen, std::vector<std::shared_ptr<prometheus::Collectable>> collectables) {
  std::unique_ptr<HttpServer> server(new HttpServer());
  server->handlers_ = std::make_unique<Handlers>(std::move(collectables));
  std::vector<std::string> options = {"listening_ports", listen, "num_threads", "2"};
  try {
    server->server_ = std::make_unique<CivetServer>(options);
  } catch (const std::exception& e) {
    return Status::Error("cannot listen on " + listen + ": " + e.what());
  }
  server->server_->addHandler("/metrics", &server->handlers_->metrics);
  server->server_->addHandler("/health", &server->handlers_->health);
  return server;
}

HttpServer::~HttpServer() {
  if (server_) server_->close();
}

void HttpServer::SetHealth(bool healthy, std::string reason) {
  std::lock_guard lock(handlers_->health.mutex);
  handlers_->health.healthy = healthy;
  handlers_->health.reason = std::move(reason);
}

}  // namespace huntline::metrics
