"""Real services for the end-to-end tests, started the way a user starts them.

A Kafka broker (deploy/kafka/broker.sh), Debian's Prometheus, and `huntline run`, each on free
loopback ports, each stopped when its context ends.
"""
import contextlib
import json
import os
import pathlib
import signal
import socket
import subprocess
import tempfile
import time

import requests
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = pathlib.Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared"
EXAMPLES = SHARED / "contract" / "examples"
HUNTLINE = os.environ.get("HUNTLINE_BIN", str(ROOT / "build" / "ci" / "app" / "huntline"))
# Built with the tests, beside the app/ directory of the binary under test.
DELETE_RECORDS = os.environ.get("HUNTLINE_DELETE_RECORDS",
                                str(pathlib.Path(HUNTLINE).parents[1] / "tests" / "delete_records"))

ORG_TYPES = {"org.user.upserted", "crm.account.upserted", "crm.contact.upserted"}
CRM_TYPES = {"crm.lead.upserted", "crm.opportunity.upserted", "crm.activity.logged"}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except Exception as e:  # noqa: BLE001 - retried until the deadline
            last = e
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last})")


@contextlib.contextmanager
def process(args, log_path, env=None):
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, env=env,
                                start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@contextlib.contextmanager
def kafka_broker(workdir):
    port, cport = free_port(), free_port()
    data = pathlib.Path(workdir) / "kafka"
    with process([str(ROOT / "deploy" / "kafka" / "broker.sh"), str(data), str(port), str(cport)],
                 pathlib.Path(workdir) / "kafka.log") as proc:
        bootstrap = f"127.0.0.1:{port}"

        def ready():
            assert proc.poll() is None, (pathlib.Path(workdir) / "kafka.log").read_text()[-2000:]
            AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=2)
            return True

        wait_for(ready, 90, "the Kafka broker")
        yield bootstrap


def create_topics(bootstrap, partitions, compacted=(), config=None):
    """Topics {name: partitions}; those in `compacted` compacted; `config`: more topic settings."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics(
        [NewTopic(name, num_partitions=n, replication_factor=1,
                  config={**({"cleanup.policy": "compact"} if name in compacted else {}), **(config or {})})
         for name, n in partitions.items()])
    for future in futures.values():
        future.result(timeout=30)


def delete_records(bootstrap, topic, partition, before=-1):
    """Deletes the records of a partition below offset `before` (-1: all of them), as retention
    does; returns the partition's first offset after it."""
    run = subprocess.run([DELETE_RECORDS, bootstrap, topic, str(partition), str(before)],
                         capture_output=True, text=True, timeout=90)
    assert run.returncode == 0, run.stderr
    return int(run.stdout)


def contract_key(event):
    """The message key events.md gives each event type."""
    d, t = event["data"], event["type"]
    if t == "org.user.upserted":
        return d["user_id"]
    if t == "crm.account.upserted":
        return d["account_id"]
    if t == "crm.contact.upserted":
        return d["contact_id"]
    if t == "crm.lead.upserted":
        return d.get("account_id") or "lead:" + d["lead_id"]
    if t in ("crm.opportunity.upserted",):
        return d["account_id"]
    if t == "crm.activity.logged":
        return d.get("account_id") or "lead:" + d["lead_id"]
    if t in ("calendar.event.upserted", "calendar.event.cancelled"):
        return d["calendar_id"]
    return d["assignee_id"]


def topic_of(event, topics):
    if event["type"] in ORG_TYPES:
        return topics["org"]
    if event["type"] in CRM_TYPES:
        return topics["crm"]
    return topics["people"]


def producer_for(bootstrap):
    # Keys spread over partitions as Kafka's Java clients do (Huntline's default expectation).
    return Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "compression.type": "lz4",
                     "enable.idempotence": True, "partitioner": "murmur2_random"})



def produce_lines(bootstrap, lines, topics, binary_ids=(), producer=None, on_delivery=None):
    """Produces each JSON line to its topic with its contract key; events whose id is in
    `binary_ids` go in CloudEvents binary mode (ce_* headers, data as the value). A producer that
    stays up (`producer`) writes as a CRM connector does: each message as it is produced.
    `on_delivery(err, message)` is called as each is acknowledged."""
    # Not `producer or …`: a Producer with nothing queued has length 0, so it is false.
    producer = producer if producer is not None else producer_for(bootstrap)
    # The topics' leaders known before the first message: a producer whose connection came up
    # before it had any topic to ask about learns them only at its next periodic scan, a second
    # later, and its messages wait for it. Asked at every call (a few milliseconds): remembering
    # it per producer would need the producer's identity, and an id() is reused once freed.
    for topic in sorted(set(topics.values())):
        producer.list_topics(topic, timeout=10)
    count = 0
    for line in lines:
        if not line.strip():
            continue
        event = json.loads(line)
        if event["id"] in binary_ids:
            headers = [("ce_" + k, str(event[k])) for k in ("specversion", "id", "source", "type", "time")]
            headers.append(("content-type", "application/json"))
            value = json.dumps(event["data"]).encode()
        else:
            headers, value = None, line.encode()
        while True:
            try:
                producer.produce(topic_of(event, topics), value=value,
                                 key=contract_key(event).encode(), headers=headers, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.1)
        count += 1
        if count % 10000 == 0:
            producer.poll(0)
    assert producer.flush(60) == 0
    return count


def read_topic(bootstrap, topic, group):
    """Every message of a one-partition topic, from its beginning to its end as it stands now."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "auto.offset.reset": "earliest", "enable.partition.eof": True})
    consumer.subscribe([topic])
    messages = []
    try:
        while True:
            message = consumer.poll(10.0)
            assert message is not None, f"{topic} did not reach its end"
            if message.error():
                return messages  # the end of its partition
            messages.append(message)
    finally:
        consumer.close()


def write_config(path, bootstrap, topics, state_dir, listen, group="huntline", extra=None):
    config = {
        "kafka": {"brokers": bootstrap, "group_id": group, "dead_letter_topic": topics["dead_letter"],
                  "properties": {"session.timeout.ms": "10000"}},
        "topics": {"org": topics["org"], "crm": topics["crm"], "people": topics["people"],
                   "history": topics["history"]},
        "state_dir": str(state_dir),
        "listen": listen,
        "batch": {"max_events": 5000, "max_wait_ms": 100},
    }
    extra = dict(extra or {})
    # Kafka properties are added to the defaults, not put in their place.
    config["kafka"]["properties"].update(extra.pop("kafka_properties", {}))
    config["kafka"].update(extra.pop("kafka", {}))
    config.update(extra)
    pathlib.Path(path).write_text(json.dumps(config, indent=2))
    return path


@contextlib.contextmanager
def huntline_run(config_path, log_path, listen, scheme="http", healthy_within=90, **request_options):
    """`request_options` (verify, auth, cert) are for the requests that wait for /health, when
    the instance's web configuration asks for TLS or credentials; `healthy_within` seconds."""
    with process([HUNTLINE, "run", "--config", str(config_path)], log_path) as proc:
        def healthy():
            assert proc.poll() is None, pathlib.Path(log_path).read_text()[-3000:]
            return requests.get(f"{scheme}://{listen}/health", timeout=2,
                                **request_options).status_code == 200

        wait_for(healthy, healthy_within, "huntline run to become healthy")
        proc.listen = listen
        yield proc


@contextlib.contextmanager
def prometheus(workdir, targets, rule_files=(), scheme="http", ca_file=None, username=None,
               password_file=None):
    """Debian's Prometheus scraping `targets` as job `huntline`; over HTTPS trusting `ca_file`,
    with basic auth (`username`, `password_file`) when given."""
    port = free_port()
    workdir = pathlib.Path(workdir)
    config = workdir / "prometheus.yml"
    lines = ["global:", "  scrape_interval: 1s", "  evaluation_interval: 1s"]
    if rule_files:
        lines.append("rule_files:")
        lines += [f"  - {f}" for f in rule_files]
    lines += ["scrape_configs:", "  - job_name: huntline", "    honor_labels: true", f"    scheme: {scheme}"]
    if ca_file:
        lines += ["    tls_config:", f"      ca_file: {ca_file}"]
    if username:
        lines += ["    basic_auth:", f"      username: {username}", f"      password_file: {password_file}"]
    lines += ["    static_configs:", "      - targets: [" + ", ".join(f"'{t}'" for t in targets) + "]"]
    config.write_text("\n".join(lines) + "\n")
    with process(["prometheus", f"--config.file={config}", f"--storage.tsdb.path={workdir / 'tsdb'}",
                  f"--web.listen-address=127.0.0.1:{port}"], workdir / "prometheus.log") as proc:
        url = f"http://127.0.0.1:{port}"

        def ready():
            assert proc.poll() is None, (workdir / "prometheus.log").read_text()[-2000:]
            return requests.get(url + "/-/ready", timeout=2).status_code == 200

        wait_for(ready, 60, "Prometheus")
        yield url


def query(url, promql):
    """Instant query through Prometheus's HTTP API: {frozenset(labels): value}."""
    r = requests.get(url + "/api/v1/query", params={"query": promql}, timeout=10)
    r.raise_for_status()
    body = r.json()
    assert body["status"] == "success", body
    out = {}
    for sample in body["data"]["result"]:
        labels = {k: v for k, v in sample["metric"].items() if k not in ("instance", "job", "__name__")}
        out[frozenset(labels.items())] = float(sample["value"][1])
    return out


def scrape(listen):
    return requests.get(f"http://{listen}/metrics", timeout=10).text


def parse_exposition(text, prefix="huntline_"):
    """{series line without value: value} for the samples of an exposition."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(prefix):
            continue
        series, value = line.rsplit(" ", 1)
        out[series] = float(value)
    return out


def print_table(rows):
    """A benchmark's results as the Markdown table the bench README keeps: (measure, result, notes)."""
    print("| measure | result | notes |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


@contextlib.contextmanager
def workdir(name):
    with tempfile.TemporaryDirectory(prefix=f"huntline-{name}-") as d:
        yield pathlib.Path(d)


# The metric families Huntline computes so far, with how instances combine them (metrics.md):
# partial sums add up, figures from the global tables are whole on every instance.
COMPUTED_FAMILIES = {
    "huntline_activities_total": "sum", "huntline_activity_seconds_total": "sum",
    "huntline_rep_activities_total": "sum", "huntline_prospects": "sum",
    "huntline_target_accounts": "max", "huntline_target_accounts_touched": "sum",
    "huntline_target_accounts_engaged": "sum", "huntline_pipeline_open_amount": "sum",
    "huntline_pipeline_open_deals": "sum", "huntline_pipeline_created_amount_total": "sum",
    "huntline_pipeline_created_deals_total": "sum", "huntline_pipeline_quarter_amount": "sum",
    "huntline_won_quarter_amount": "sum", "huntline_quota_quarter_amount": "max",
    "huntline_close_date_pushes_total": "sum", "huntline_pipeline_slipped_deals": "sum",
    "huntline_pipeline_stale_deals": "sum", "huntline_pipeline_priority_linked_amount": "sum",
    "huntline_deals_closed_total": "sum", "huntline_pipeline_flow_amount_total": "sum",
    "huntline_protected_seconds_total": "sum", "huntline_protected_lost_seconds_total": "sum",
    "huntline_interruptions_total": "sum", "huntline_manager_interruptions_total": "sum",
    "huntline_manager_interruption_seconds_total": "sum",
    "huntline_protected_conflicts_upcoming": "sum", "huntline_meeting_seconds_total": "sum",
    "huntline_leader_meeting_seconds_total": "sum",
}


def computed_figures(exposition):
    """{family: {frozenset(labels): value}} of the non-zero samples of the computed families, the
    `partition` and `instance` labels of a live run's task series summed away (as dashboards do)."""
    out = {}
    for series, value in parse_exposition(exposition).items():
        name, _, rest = series.partition("{")
        if name not in COMPUTED_FAMILIES:
            continue
        labels = dict(pair.split("=", 1) for pair in rest.rstrip("}").split(",")) if rest else {}
        labels.pop("partition", None)
        labels.pop("instance", None)
        key = frozenset((k, v.strip('"')) for k, v in labels.items())
        family = out.setdefault(name, {})
        family[key] = family.get(key, 0.0) + value
    return {name: {k: v for k, v in family.items() if v != 0} for name, family in out.items()
            if any(v != 0 for v in family.values())}


def assert_figures_through_prometheus(prom, expected):
    """Every computed family, aggregated across instances as metrics.md says (sum or max), equals
    `expected` ({family: {frozenset(labels): value}}), zero series left out."""
    for family, how in COMPUTED_FAMILIES.items():
        want = expected.get(family, {})
        if not want:
            assert query(prom, f"{family} != 0") == {}, family
            continue
        labels = ",".join(sorted({k for series in want for k, _ in series}))
        assert query(prom, f"{how} by ({labels}) ({family}) != 0") == want, family


def replay_figures(tmp_path, lines):
    """`huntline replay` over `lines`: (its summary on stderr, the computed figures)."""
    events = pathlib.Path(tmp_path) / "scenario.jsonl"
    events.write_text("\n".join(lines) + "\n")
    out = pathlib.Path(tmp_path) / "metrics.prom"
    run = subprocess.run([HUNTLINE, "replay", "--input", str(events), "--metrics-out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return run.stderr, computed_figures(out.read_text())


@contextlib.contextmanager
def scenario_through_kafka(broker, topics, tmp_path, lines):
    """`lines` produced to Kafka, one `huntline run` (engine time following event time) and a
    Prometheus scraping it; yields Prometheus's URL once every event is counted there."""
    assert produce_lines(broker, lines, topics) == len(lines)
    listen = f"127.0.0.1:{free_port()}"
    config = write_config(pathlib.Path(tmp_path) / "huntline.json", broker, topics,
                          pathlib.Path(tmp_path) / "state", listen, extra={"engine_time": "event_time"})
    with huntline_run(config, pathlib.Path(tmp_path) / "huntline.log", listen), \
            prometheus(tmp_path, [listen]) as prom:
        wait_until_caught_up(prom, len(lines))
        yield prom


def wait_until_caught_up(prom, events, timeout=60):
    """Waits until Prometheus has scraped every one of `events` counted and no partition catching
    up: a task settles its figures as of engine time only once it has read its backlog."""
    def caught_up():
        counted = query(prom, "sum(huntline_events_total)").get(frozenset(), 0)
        catching_up = query(prom, "max(huntline_catching_up_partitions)").get(frozenset())
        return counted == events and catching_up == 0

    wait_for(caught_up, timeout, f"all {events} events counted and every partition caught up")

