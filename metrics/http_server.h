#pragma once

#include <memory>
#include <string>
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

  class Handlers;

 private:
  HttpServer() = default;
  // Declared first, destroyed last: civetweb uses the TLS context until the server is closed.
  SslCtxPtr tls_;
  std::unique_ptr<Handlers> handlers_;
  std::unique_ptr<CivetServer> server_;
};

}  // namespace huntline::metrics
