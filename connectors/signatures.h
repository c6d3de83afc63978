#pragma once

#include <string>
#include <string_view>

#include "common/time.h"

namespace huntline::connectors {

/// A HubSpot webhook request as signed (MAPPING.md, "Receiving webhooks: signatures").
struct HubSpotRequest {
  std::string method;
  std::string uri;        // the full URL HubSpot called, query included
  std::string body;
  std::string signature;  // X-HubSpot-Signature-v3, else X-HubSpot-Signature
  std::string version;    // "v3" with X-HubSpot-Signature-v3; else X-HubSpot-Signature-Version (v1, v2)
  std::string timestamp;  // X-HubSpot-Request-Timestamp, epoch ms (v3)
};

/// Why the request is not HubSpot's, or "" when its signature holds: v3 is
/// base64(HMAC-SHA256(secret, method + uri + body + timestamp)) with a timestamp at most five
/// minutes from `now`; v2 hex(SHA-256(secret + method + uri + body)); v1 hex(SHA-256(secret + body)).
/// Compared in constant time.
std::string CheckHubSpotSignature(const HubSpotRequest& request, std::string_view secret, Timestamp now);

/// `%XX` and `+` decoded (a query parameter's value).
std::string UrlDecode(std::string_view text);

}  // namespace huntline::connectors
