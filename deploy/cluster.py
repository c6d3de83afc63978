"""Several `huntline run` instances of one group on this machine, on a local broker, over a
simulated organisation: to watch partitions and their state move between instances.

    ./deploy/local.sh cluster [INSTANCES] [--events N] [--standbys N]

Starts a single-node Kafka broker (deploy/kafka/broker.sh) on 127.0.0.1:9092 with its data in
$HUNTLINE_CACHE/cluster, creates the input topics (6 crm and 6 people partitions) and writes
`huntline generate --events N` to them the first time, then starts INSTANCES (3) instances of
build/release/app/huntline, each with its own state directory and port (127.0.0.1:9461, 9462, …)
and `kafka.num_standby_replicas` N (1): a copy of every people partition on another instance.
Every 10 s it prints what each instance holds. Stop an instance with `kill PID` (the PIDs are
printed) and watch the others take its partitions over; Ctrl-C stops all.
"""
import argparse
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
import urllib.request

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

ROOT = pathlib.Path(__file__).resolve().parents[1]
HUNTLINE = pathlib.Path(os.environ.get("HUNTLINE_BIN", ROOT / "build" / "release" / "app" / "huntline"))
WORK = pathlib.Path(os.environ.get("HUNTLINE_CACHE", pathlib.Path.home() / ".cache" / "huntline")) / "cluster"
BROKER = "127.0.0.1:9092"
TOPICS = {"org": "huntline.org", "crm": "huntline.crm", "people": "huntline.people"}
ORG_TYPES = {"org.user.upserted", "crm.account.upserted", "crm.contact.upserted"}
CRM_TYPES = {"crm.lead.upserted", "crm.opportunity.upserted", "crm.activity.logged"}


def contract_key(event):
    """The message key docs/contract/events.md gives each event type."""
    d, t = event["data"], event["type"]
    keys = {"org.user.upserted": "user_id", "crm.account.upserted": "account_id",
            "crm.contact.upserted": "contact_id", "crm.opportunity.upserted": "account_id",
            "calendar.event.upserted": "calendar_id", "calendar.event.cancelled": "calendar_id",
            "crm.task.assigned": "assignee_id"}
    if t in ("crm.lead.upserted", "crm.activity.logged"):
        return d.get("account_id") or "lead:" + d["lead_id"]
    return d[keys[t]]


def topic_of(event):
    if event["type"] in ORG_TYPES:
        return TOPICS["org"]
    return TOPICS["crm"] if event["type"] in CRM_TYPES else TOPICS["people"]


def broker_up():
    try:
        with socket.create_connection(("127.0.0.1", 9092), timeout=1):
            return True
    except OSError:
        return False


def start_broker(procs):
    if broker_up():
        print("cluster: using the broker already at " + BROKER)
        return
    (WORK / "broker").mkdir(parents=True, exist_ok=True)
    log = open(WORK / "broker.log", "ab")
    procs.append(subprocess.Popen([str(ROOT / "deploy" / "kafka" / "broker.sh"), str(WORK / "broker"), "9092"],
                                  stdout=log, stderr=log, start_new_session=True))
    for _ in range(120):
        if broker_up():
            return
        time.sleep(1)
    sys.exit(f"cluster: the broker did not start; see {WORK / 'broker.log'}")


def create_topics_and_events(events):
    admin = AdminClient({"bootstrap.servers": BROKER})
    existing = set(admin.list_topics(timeout=30).topics)
    wanted = [NewTopic(TOPICS["org"], 1, 1, config={"cleanup.policy": "compact"}),
              NewTopic(TOPICS["crm"], 6, 1), NewTopic(TOPICS["people"], 6, 1),
              NewTopic("huntline.history", 1, 1, config={"cleanup.policy": "compact"}),
              NewTopic("huntline.dead-letter", 1, 1)]
    missing = [t for t in wanted if t.topic not in existing]
    if missing:
        for future in admin.create_topics(missing).values():
            future.result(timeout=30)
    if TOPICS["crm"] in existing:
        return
    path = WORK / "events.jsonl"
    subprocess.run([str(HUNTLINE), "generate", "--events", str(events), "--out", str(path)], check=True)
    producer = Producer({"bootstrap.servers": BROKER, "linger.ms": 20, "compression.type": "lz4",
                         "enable.idempotence": True, "partitioner": "murmur2_random"})
    with path.open() as f:
        for n, line in enumerate(f):
            event = json.loads(line)
            while True:
                try:
                    producer.produce(topic_of(event), value=line.rstrip("\n").encode(),
                                     key=contract_key(event).encode())
                    break
                except BufferError:
                    producer.poll(0.1)
            if n % 10000 == 0:
                producer.poll(0)
    producer.flush(60)
    print(f"cluster: {events} events written to {', '.join(TOPICS.values())}")


def engine_figures(listen):
    try:
        with urllib.request.urlopen(f"http://{listen}/metrics", timeout=2) as r:
            text = r.read().decode()
    except OSError:
        return None
    out = {}
    for line in text.splitlines():
        if line.startswith("huntline_") and " " in line:
            name, value = line.rsplit(" ", 1)
            family = name.split("{", 1)[0]
            if family in ("huntline_assigned_partitions", "huntline_crm_publisher",
                          "huntline_catching_up_partitions", "huntline_restored_records_total",
                          "huntline_standby_partitions"):
                out[family] = out.get(family, 0) + float(value)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("instances", nargs="?", type=int, default=3)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--standbys", type=int, default=1, help="kafka.num_standby_replicas of each instance")
    args = parser.parse_args()
    # Ctrl-C (and SIGTERM) stop everything, even when started where SIGINT was ignored (nohup, `&`).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    WORK.mkdir(parents=True, exist_ok=True)
    procs, instances = [], {}
    try:
        start_broker(procs)
        create_topics_and_events(args.events)
        for i in range(1, args.instances + 1):
            listen = f"127.0.0.1:{9460 + i}"
            config = WORK / f"instance-{i}.json"
            config.write_text(json.dumps({"kafka": {"brokers": BROKER, "group_id": "huntline",
                                                    "num_standby_replicas": args.standbys},
                                          "state_dir": str(WORK / f"state-{i}"), "listen": listen}, indent=2))
            log = open(WORK / f"instance-{i}.log", "ab")
            proc = subprocess.Popen([str(HUNTLINE), "run", "--config", str(config)], stdout=log, stderr=log)
            procs.append(proc)
            instances[i] = (proc, listen)
            print(f"cluster: instance {i}: pid {proc.pid}, http://{listen}/metrics, log {WORK}/instance-{i}.log")
        print("cluster: stop one with `kill PID`; Ctrl-C stops everything")
        while True:
            time.sleep(10)
            for i, (proc, listen) in instances.items():
                if proc.poll() is not None:
                    print(f"  instance {i}: stopped (exit status {proc.returncode})")
                    continue
                f = engine_figures(listen) or {}
                print(f"  instance {i}: tasks {f.get('huntline_assigned_partitions', 0):.0f} "
                      f"(the crm task and its people partitions), publishes crm: "
                      f"{'yes' if f.get('huntline_crm_publisher') else 'no'}, "
                      f"catching up: {f.get('huntline_catching_up_partitions', 0):.0f}, "
                      f"standby copies: {f.get('huntline_standby_partitions', 0):.0f}, "
                      f"records restored from changelogs: {f.get('huntline_restored_records_total', 0):.0f}")
    except KeyboardInterrupt:
        pass
    finally:
        # Instances first (each commits and leaves the group), then the broker.
        for proc in reversed(procs):
            if proc.poll() is not None:
                continue
            if proc.args[0].endswith("broker.sh"):
                os.killpg(proc.pid, signal.SIGTERM)
            else:
                proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

if __name__ == "__main__":
    main()
