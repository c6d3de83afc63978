#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/collectable.h>

#include "common/status.h"
#include "metrics/web_config.h"

class CivetServer;

namespace huntline::metrics {

/// Serves `/metrics` (Prometheus text format) and `/health` (200 when the engine is consuming,
/// 503 with the reason otherwise). Runs on civetweb's threads; collectables must be thread-safe.
/// With a web configuration's TLS it serves HTTPS only; with its users both paths answer 401
/// without their credentials.
class HttpServer {
 public:
  /// `listen` is `host:port`; the default configuration binds to 127.0.0.1 only. `web` is a
  /// checked web configuration (LoadWebConfig); its TLS files are loaded here.
  static Result<std::unique_ptr<HttpServer>> Start(
      const std::string& listen, std::vector<std::shared_ptr<prometheus::Collectable>> collectables,
      const WebConfig& web = {});
  ~HttpServer();

  /// Health as reported at /health: 200 when healthy, 503 otherwise, with the reason (or "ok")
  /// as the body; a healthy instance may say what it is doing (catching up). Thread-safe.
  void SetHealth(bool healthy, std::string reason);

  /// A request to a route: its method, its path and query as sent, one of its headers, its body.
  struct Request {
    std::string method;
    std::string uri;    // path, and `?query` when there is one
    std::string query;  // without the `?`
    std::string body;
    std::function<std::string(const char* name)> header;  // "" when absent
  };
  struct Response {
    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
  };
  /// Serves `path` (GET and POST) with `handler`, on civetweb's threads, outside the web
  /// configuration's users (a vendor's webhook signs its requests instead). Bodies over
  /// `max_body_bytes` are answered 413 without calling it. Call before requests arrive.
  void Route(const std::string& path, std::function<Response(const Request&)> handler,
             size_t max_body_bytes = size_t{1} << 20);

  class Handlers;

 private:
  HttpServer() = default;
  // Declared first, destroyed last: civetweb uses the TLS context until the server is closed.
  SslCtxPtr tls_;
  std::unique_ptr<Handlers> handlers_;
  std::unique_ptr<CivetServer> server_;
};

}  // namespace huntline::metrics
