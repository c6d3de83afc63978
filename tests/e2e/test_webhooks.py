"""`huntline webhooks` on a real broker: HubSpot's signed batches and Microsoft Graph's
notifications reach their topics byte for byte; a tampered body, a wrong secret, a stale
timestamp or a wrong clientState are refused (401) and reach nothing; Graph's validation
handshake is echoed as text/plain; and what was stored translates into contract events."""
import base64
import hashlib
import hmac
import json
import os
import subprocess
import time

import pytest
import requests

import harness

SECRET = "test-client-secret"
PUBLIC_URL = "https://hooks.acme.example"


def sign_v3(method, uri, body, timestamp, secret=SECRET):
    message = (method + uri + body + timestamp).encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


@pytest.fixture
def receiver(broker, tmp_path, request):
    base = request.node.name.replace("_", "-").lower()[:60]
    topics = {"hubspot": f"{base}.hubspot", "graph": f"{base}.graph"}
    harness.create_topics(broker, {topics["hubspot"]: 1, topics["graph"]: 1})
    listen = f"127.0.0.1:{harness.free_port()}"
    config = tmp_path / "webhooks.json"
    config.write_text(json.dumps({
        "listen": listen,
        "kafka": {"brokers": broker},
        "hubspot": {"topic": topics["hubspot"], "client_secret_env": "TEST_HUBSPOT_SECRET", "public_url": PUBLIC_URL},
        "microsoft_graph": {"topic": topics["graph"], "client_state_env": "TEST_GRAPH_STATE"}}))
    env = dict(os.environ, TEST_HUBSPOT_SECRET=SECRET, TEST_GRAPH_STATE="state-42")
    with harness.process([harness.HUNTLINE, "webhooks", "--config", str(config)], tmp_path / "webhooks.log", env=env):
        harness.wait_for(lambda: requests.get(f"http://{listen}/health", timeout=2).status_code == 200, 30,
                         "the receiver to listen")
        yield f"http://{listen}", topics
    log = (tmp_path / "webhooks.log").read_text()
    assert SECRET not in log and "state-42" not in log  # no secret is ever logged


def test_signed_batches_are_stored_and_forged_ones_refused(broker, receiver, tmp_path):
    url, topics = receiver
    body = json.dumps([{"objectId": 101, "propertyName": "dealstage", "propertyValue": "closedwon", "portalId": 42,
                        "occurredAt": 1772460000000, "subscriptionType": "deal.propertyChange", "attemptNumber": 0}])
    now = str(int(time.time() * 1000))

    def post(data, signature, timestamp=now):
        return requests.post(f"{url}/hubspot?app=1", data=data, timeout=10, headers={
            "Content-Type": "application/json", "X-HubSpot-Signature-v3": signature,
            "X-HubSpot-Request-Timestamp": timestamp})

    good = sign_v3("POST", PUBLIC_URL + "/hubspot?app=1", body, now)
    assert post(body, good).status_code == 200
    assert post(body.replace("closedwon", "closedlost"), good).status_code == 401  # tampered body
    assert post(body, sign_v3("POST", PUBLIC_URL + "/hubspot?app=1", body, now, "other-secret")).status_code == 401
    stale = str(int(time.time() * 1000) - 6 * 60 * 1000)
    assert post(body, sign_v3("POST", PUBLIC_URL + "/hubspot?app=1", body, stale), stale).status_code == 401
    assert requests.post(f"{url}/hubspot", data=body, timeout=10).status_code == 401  # unsigned
    stored = harness.read_topic(broker, topics["hubspot"], "test-webhooks")
    assert [m.value().decode() for m in stored] == [body]
    assert stored[0].key() == b"42"

    # What was stored is what translate reads.
    path = tmp_path / "batch.json"
    path.write_text(stored[0].value().decode())
    result = subprocess.run([harness.HUNTLINE, "translate", "--from", "hubspot", "--input", str(path),
                             "--out", str(tmp_path / "out.jsonl")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    dead = [json.loads(line) for line in (tmp_path / "out.dead.jsonl").read_text().splitlines()]
    assert [d["reason"] for d in dead] == ["missing_state"]  # a one-property change of a deal never read

    metrics = requests.get(f"{url}/metrics", timeout=10).text
    assert 'huntline_webhook_requests_total{result="stored",vendor="hubspot"} 1' in metrics
    assert 'huntline_webhook_requests_total{result="refused_signature",vendor="hubspot"} 4' in metrics


def test_graphs_handshake_is_echoed_and_its_notifications_checked(broker, receiver):
    url, topics = receiver
    answer = requests.post(f"{url}/graph?validationToken=Validation%3A+Testing+client+application+reachability",
                           data="", timeout=10, headers={"Content-Type": "text/plain; charset=utf-8"})
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    assert answer.text == "Validation: Testing client application reachability"
    notification = {"value": [{"subscriptionId": "s-1", "clientState": "state-42", "changeType": "created",
                               "resource": "Users/u-1/Events/e-1", "resourceData": {"id": "e-1"}}]}
    forged = json.loads(json.dumps(notification))
    forged["value"][0]["clientState"] = "guess"
    assert requests.post(f"{url}/graph", json=forged, timeout=10).status_code == 401
    assert requests.post(f"{url}/graph", json=notification, timeout=10).status_code == 202
    stored = harness.read_topic(broker, topics["graph"], "test-webhooks")
    assert [json.loads(m.value()) for m in stored] == [notification]


def test_a_configuration_without_its_secret_names_the_field(tmp_path):
    config = tmp_path / "webhooks.json"
    config.write_text(json.dumps({"kafka": {"brokers": "127.0.0.1:1"},
                                  "hubspot": {"topic": "t", "client_secret_env": "NO_SUCH_VARIABLE_SET",
                                              "public_url": PUBLIC_URL}}))
    env = {k: v for k, v in os.environ.items() if k != "NO_SUCH_VARIABLE_SET"}
    result = subprocess.run([harness.HUNTLINE, "webhooks", "--config", str(config)], capture_output=True, text=True,
                            timeout=30, env=env)
    assert result.returncode == 2
    assert "hubspot.client_secret_env" in result.stderr and "NO_SUCH_VARIABLE_SET" in result.stderr
