// Loaded into the process (by HttpServer, before civetweb's TLS starts) under the soname
// `libssl.so`, so that Debian 12's civetweb 1.15 finds it when it dlopen()s "libssl.so" and looks
// its OpenSSL functions up in it and in its dependency, the real libssl.so.3.
//
// Why: that civetweb looks up OpenSSL 1.1's SSL_get_peer_certificate, which OpenSSL 3 renamed to
// SSL_get1_peer_certificate (the old name is a macro now, not a symbol). Without it civetweb's
// OpenSSL initialisation fails, and an HTTPS request calls a null pointer.
#include <openssl/ssl.h>

#undef SSL_get_peer_certificate

extern "C" {

// OpenSSL 1.1's function already returned a new reference: the same contract as get1.
__attribute__((visibility("default"))) X509* SSL_get_peer_certificate(const SSL* ssl) {
  return SSL_get1_peer_certificate(ssl);
}

}
