#include "connectors/signatures.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cctype>
#include <cstdlib>

namespace huntline::connectors {
namespace {

constexpr Timestamp kMaxAge = 5 * kMillisPerMinute;

std::string Hex(const unsigned char* data, size_t size) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  return Hex(digest, sizeof digest);
}

std::string HmacBase64(std::string_view key, std::string_view text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(text.data()),
       text.size(), digest, &size);
  unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
  const int length = EVP_EncodeBlock(encoded, digest, static_cast<int>(size));
  return std::string(reinterpret_cast<char*>(encoded), static_cast<size_t>(length));
}

bool SameInConstantTime(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

/// HubSpot's v3 URI: the escapes it decodes before signing.
std::string DecodeSignedUri(std::string_view uri) {
  static const std::string_view kDecoded = ":/?@!$'()*,;";
  std::string out;
  for (size_t i = 0; i < uri.size(); ++i) {
    if (uri[i] == '%' && i + 2 < uri.size()) {
      const int value = static_cast<int>(std::strtol(std::string(uri.substr(i + 1, 2)).c_str(), nullptr, 16));
      if (kDecoded.find(static_cast<char>(value)) != std::string_view::npos) {
        out += static_cast<char>(value);
        i += 2;
        continue;
      }
    }
    out += uri[i];
  }
  return out;
}

}  // namespace

std::string CheckHubSpotSignature(const HubSpotRequest& request, std::string_view secret, Timestamp now) {
  if (request.signature.empty()) return "no X-HubSpot-Signature";
  if (request.version == "v3") {
    char* end = nullptr;
    const long long timestamp = std::strtoll(request.timestamp.c_str(), &end, 10);
    if (request.timestamp.empty() || *end != '\0') return "X-HubSpot-Request-Timestamp is not a time";
    if (now - timestamp > kMaxAge || timestamp - now > kMaxAge) return "stale: signed more than 5 minutes from now";
    const std::string expected = HmacBase64(secret, request.method + DecodeSignedUri(request.uri) + request.body + request.timestamp);
    return SameInConstantTime(expected, request.signature) ? "" : "signature v3 does not match";
  }
  std::string expected;
  if (request.version == "v2") {
    expected = Sha256Hex(std::string(secret) + request.method + request.uri + request.body);
  } else if (request.version == "v1" || request.version.empty()) {
    expected = Sha256Hex(std::string(secret) + request.body);
  } else {
    return "unknown signature version " + request.version;
  }
  std::string given = request.signature;
  for (char& c : given) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return SameInConstantTime(expected, given) ? "" : "signature " + (request.version.empty() ? std::string("v1") : request.version) + " does not match";
}

std::string UrlDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && std::isxdigit(static_cast<unsigned char>(text[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(text[i + 2]))) {
      out += static_cast<char>(std::strtol(std::string(text.substr(i + 1, 2)).c_str(), nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace huntline::connectors
