#pragma once

#include <atomic>
#include <map>
#include <string>

#include "common/status.h"

namespace huntline::connectors {

/// `huntline webhooks --config FILE` (JSON): where to listen, and where each vendor's requests go.
/// Secrets are read from the environment variables the file names, never from the file.
struct WebhookConfig {
  std::string listen = "127.0.0.1:9465";
  std::string web_config_file;  // TLS for the receiver (Prometheus exporter web configuration)
  std::string brokers;
  std::map<std::string, std::string> kafka_properties;
  struct HubSpot {
    std::string topic;       // empty: HubSpot's requests are not received
    std::string secret;      // the app's client secret (from `client_secret_env`)
    std::string public_url;  // the receiver's URL as HubSpot calls it, without the path (signatures name it)
  } hubspot;
  struct Graph {
    std::string topic;         // empty: Graph's notifications are not received
    std::string client_state;  // from `client_state_env`; empty: not checked
  } graph;
};

/// Reads the configuration; an error names the file and the field.
Result<WebhookConfig> LoadWebhookConfig(const std::string& path);

/// Serves `POST /hubspot` (a webhook batch: signature checked, then the body put on the HubSpot
/// topic), `POST|GET /graph` (the validation handshake answered with its token; a notification
/// batch with its clientState checked, then put on the Graph topic), `/metrics` and `/health`,
/// until `stop`. A request is answered once its body is on Kafka (or with 503 when it cannot be:
/// the vendor sends it again).
Status RunWebhooks(const WebhookConfig& config, const std::atomic<bool>& stop);

}  // namespace huntline::connectors
