"""`/metrics` and `/health` behind the Prometheus exporter web configuration (`web_config_file`):
HTTPS with a certificate from the test's own CA, basic auth with a bcrypt hash, client
certificates; scraped by a real Prometheus from `huntline run` on a real Kafka broker. A bad web
configuration stops start-up naming the file and the field, and no secret reaches a log."""
import json
import socket
import ssl
import subprocess
import warnings

import pytest
import requests

import harness

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # Python 3.11's, over libxcrypt: bcrypt hashes as htpasswd -B writes them

PASSWORD = "scrape-me-9Xq"


def bcrypt_hash(password):
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=2 ** 10))


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_pki(directory):
    """A CA; a server certificate it signed for 127.0.0.1 with its key; a client certificate it
    signed; and a client certificate signed by nobody the server knows."""
    directory.mkdir(parents=True, exist_ok=True)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
            "-days", "2", "-subj", "/CN=huntline-test-ca", cwd=directory)
    (directory / "server.ext").write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n")
    (directory / "client.ext").write_text("extendedKeyUsage=clientAuth\n")
    for name, ext in (("server", "server.ext"), ("client", "client.ext")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                "-subj", f"/CN={name}", cwd=directory)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-days", "2", "-extfile", ext, "-out", f"{name}.crt", cwd=directory)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "stranger.key", "-out",
            "stranger.crt", "-days", "2", "-subj", "/CN=stranger", cwd=directory)
    return directory


def plain_http_answer(listen, path="/metrics"):
    """What a plain HTTP request gets from the port: b"" when the server closes without an HTTP
    answer."""
    host, port = listen.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {listen}\r\nConnection: close\r\n\r\n".encode())
        received = b""
        try:
            while chunk := s.recv(4096):
                received += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    return received


def test_prometheus_scrapes_over_https_with_basic_auth(broker, topics, tmp_path):
    lines = (harness.EXAMPLES / "small-org.jsonl").read_text().splitlines()
    assert harness.produce_lines(broker, lines, topics) == 12
    pki = make_pki(tmp_path / "pki")
    hashed = bcrypt_hash(PASSWORD)
    assert hashed.startswith("$2b$")
    # Paths inside the web configuration are relative to its own directory, as for node_exporter.
    web = tmp_path / "web.yml"
    web.write_text("tls_server_config:\n"
                   "  cert_file: pki/server.crt\n"
                   "  key_file: pki/server.key\n"
                   "basic_auth_users:\n"
                   f"  prometheus: '{hashed}'\n"
                   # htpasswd's prefix for the same algorithm
                   f"  grafana: '{'$2y$' + hashed[4:]}'\n")
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(tmp_path / "huntline.json", broker, topics, tmp_path / "state", listen,
                                  extra={"engine_time": "event_time", "web_config_file": str(web)})
    ca = str(pki / "ca.crt")
    right = ("prometheus", PASSWORD)
    password_file = tmp_path / "scrape-password"
    password_file.write_text(PASSWORD + "\n")
    log = tmp_path / "huntline.log"
    with harness.huntline_run(config, log, listen, scheme="https", verify=ca, auth=right), \
            harness.prometheus(tmp_path, [listen], scheme="https", ca_file=ca, username="prometheus",
                               password_file=password_file) as prom:
        url = f"https://{listen}"
        for path in ("/metrics", "/health"):
            refused = requests.get(url + path, verify=ca, timeout=10)
            assert refused.status_code == 401, path
            assert refused.headers["WWW-Authenticate"] == 'Basic realm="huntline"'
            assert "huntline_" not in refused.text
            for user, password in (("prometheus", "wrong"), ("prometheus", PASSWORD + "x"),
                                   ("nobody", PASSWORD), ("Prometheus", PASSWORD)):
                assert requests.get(url + path, verify=ca, auth=(user, password),
                                    timeout=10).status_code == 401, (path, user)
        metrics = requests.get(url + "/metrics", verify=ca, auth=right, timeout=10)
        assert metrics.status_code == 200
        assert "huntline_build_info" in metrics.text
        assert requests.get(url + "/health", verify=ca, auth=("grafana", PASSWORD),
                            timeout=10).status_code == 200
        # Plain HTTP on the same port is not served, with or without credentials.
        assert b"HTTP/1.1" not in plain_http_answer(listen)
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(f"http://{listen}/metrics", auth=right, timeout=10)
        # A client that does not trust the test's CA does not get through the handshake.
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(url + "/metrics", auth=right, timeout=10)

        # Prometheus scrapes over HTTPS with basic auth; the figures arrive.
        harness.wait_for(lambda: harness.query(prom, "up") == {frozenset(): 1.0}, 60,
                         "Prometheus's target up")
        harness.wait_until_caught_up(prom, 12)
        assert harness.query(prom, "sum without (partition) (huntline_activities_total)") == {
            frozenset({"team": "east-hunters", "role": "rep", "behaviour": "target_prospecting",
                       "outcome": "connected"}.items()): 1.0}
        targets = requests.get(prom + "/api/v1/targets", timeout=10).json()["data"]["activeTargets"]
        assert [(t["scrapeUrl"], t["health"]) for t in targets] == [(f"https://{listen}/metrics", "up")]

    text = log.read_text()
    assert f"metrics at https://{listen}/metrics" in text
    for secret in (PASSWORD, hashed, hashed[7:], (pki / "server.key").read_text().splitlines()[1]):
        assert secret not in text


def test_client_certificates_are_required_and_verified(broker, topics, tmp_path):
    pki = make_pki(tmp_path / "pki")
    web = tmp_path / "web.yml"
    web.write_text(f"tls_server_config:\n"
                   f"  cert_file: {pki / 'server.crt'}\n"
                   f"  key_file: {pki / 'server.key'}\n"
                   f"  client_ca_file: {pki / 'ca.crt'}\n"
                   f"  client_auth_type: RequireAndVerifyClientCert\n"
                   f"  min_version: TLS13\n")
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(tmp_path / "huntline.json", broker, topics, tmp_path / "state", listen,
                                  extra={"web_config_file": str(web)})
    ca = str(pki / "ca.crt")
    client = (str(pki / "client.crt"), str(pki / "client.key"))
    with harness.huntline_run(config, tmp_path / "huntline.log", listen, scheme="https", verify=ca,
                              cert=client):
        url = f"https://{listen}/metrics"
        ok = requests.get(url, verify=ca, cert=client, timeout=10)
        assert ok.status_code == 200 and "huntline_build_info" in ok.text
        for cert in (None, (str(pki / "stranger.crt"), str(pki / "stranger.key"))):
            with pytest.raises(requests.exceptions.ConnectionError):  # SSLError is one
                requests.get(url, verify=ca, cert=cert, timeout=10)
        # min_version TLS13: a TLS 1.2 client is refused in the handshake.
        host, port = listen.rsplit(":", 1)
        context = ssl.create_default_context(cafile=ca)
        context.load_cert_chain(*client)
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        with pytest.raises(ssl.SSLError):
            with socket.create_connection((host, int(port)), timeout=5) as raw:
                with context.wrap_socket(raw, server_hostname="127.0.0.1"):
                    pass


@pytest.mark.parametrize("content, expected", [
    (None, "cannot read web configuration file {web}"),
    ("tls_server_config:\n  cert_file: pki/server.crt\n  key_file: pki/server.key\n"
     "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
     "{web}: tls_server_config.cipher_suites: not supported by Huntline"),
    ("tls_server_config:\n  cert_file: pki/server.crt\n", "{web}: tls_server_config.key_file: is required"),
    ("tls_server_config:\n  cert_file: pki/server.crt\n  key_file: pki/client.key\n",
     "{web}: tls_server_config.key_file: {pki}/client.key is not the key of the certificate in cert_file"),
    ("tls_server_config:\n  cert_file: pki/missing.crt\n  key_file: pki/server.key\n",
     "{web}: tls_server_config.cert_file: cannot read {pki}/missing.crt"),
    ("basic_auth_users:\n  prometheus: " + PASSWORD + "\n",
     "{web}: basic_auth_users.prometheus: must be a bcrypt hash"),
    ("http_server_config:\n  http2: false\n", "{web}: http_server_config: not supported by Huntline"),
    ("basic_auth_users:\n  prometheus: '$2b$10$short'\n  - x\n", "{web}: not valid YAML"),
])
def test_a_bad_web_configuration_stops_start_up(tmp_path, content, expected):
    pki = make_pki(tmp_path / "pki")
    web = tmp_path / "web.yml"
    if content is not None:
        web.write_text(content)
    config = tmp_path / "huntline.json"
    config.write_text(json.dumps({"kafka": {"brokers": "127.0.0.1:1"}, "state_dir": str(tmp_path / "state"),
                                  "web_config_file": str(web)}))
    run = subprocess.run([harness.HUNTLINE, "run", "--config", str(config)], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 2, run.stderr
    assert expected.format(web=web, pki=pki) in run.stderr, run.stderr
    assert PASSWORD not in run.stderr
    assert (pki / "server.key").read_text().splitlines()[1] not in run.stderr
    assert not (tmp_path / "state").exists()  # refused before anything was opened
