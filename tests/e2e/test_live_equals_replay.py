"""Live equals replay (metrics.md): the same events through `huntline run` on a real broker, read
as a backlog over any number of partitions, give the figures `huntline replay` gives for them,
and for the contract's example the figures of its expected file."""
import contextlib
import datetime
import json
import pathlib
import signal

import pytest

import harness

MEDIUM = harness.EXAMPLES / "medium-org.jsonl"


def fresh_topics(broker, name, partitions):
    names = {"org": f"{name}.org", "crm": f"{name}.crm", "people": f"{name}.people",
             "dead_letter": f"{name}.dead-letter", "history": f"{name}.history"}
    harness.create_topics(broker, {names["org"]: 1, names["crm"]: partitions, names["people"]: partitions,
                                   names["dead_letter"]: 1, names["history"]: 1},
                          compacted=[names["history"]])
    return names


def differences(got, want, rel=1e-9):
    """Series whose values differ between two {family: {labels: value}} maps, as readable lines."""
    out = []
    for family in sorted(set(got) | set(want)):
        g, w = got.get(family, {}), want.get(family, {})
        for labels in sorted(set(g) | set(w), key=sorted):
            a, b = g.get(labels, 0.0), w.get(labels, 0.0)
            if abs(a - b) > rel * max(abs(a), abs(b), 1.0):
                out.append(f"{family}{dict(sorted(labels))}: live {a} replay {b}")
    return out


@pytest.mark.parametrize("partitions", [1, 3, 8])
def test_contract_example_as_a_backlog_equals_replay_and_the_contract(broker, tmp_path, partitions):
    lines = [line for line in MEDIUM.read_text().splitlines() if line.strip()]
    live = backlog_figures(broker, tmp_path, lines, f"medium-backlog-{partitions}", partitions)
    _, replay = harness.replay_figures(tmp_path, lines)
    expected = harness.computed_figures((harness.EXAMPLES / "medium-org.expected.prom").read_text())
    assert differences(replay, expected) == []
    diff = differences(live, replay)
    assert diff == [], f"{len(diff)} series differ from replay:\n" + "\n".join(diff[:60])


# A generated quarter in which reps change teams, prospects become customers, deals move between
# accounts, activities name only a lead and leads get an account later.
GENERATED_EVENTS = 100_000


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    work = tmp_path_factory.mktemp("generated")
    events = work / "events.jsonl"
    harness.subprocess.run([harness.HUNTLINE, "generate", "--events", str(GENERATED_EVENTS), "--out",
                            str(events)], check=True, capture_output=True)
    lines = [line for line in events.read_text().splitlines() if line.strip()]
    _, replay = harness.replay_figures(work, lines)
    return lines, replay


def combined(figures_per_instance):
    """Figures of several instances combined as metrics.md says: partial sums added, figures from
    the global tables (max) taken once."""
    out = {}
    for figures in figures_per_instance:
        for family, series in figures.items():
            how = harness.COMPUTED_FAMILIES[family]
            into = out.setdefault(family, {})
            for labels, value in series.items():
                into[labels] = max(into.get(labels, value), value) if how == "max" else into.get(labels, 0) + value
    return out


def run_once(broker, topics, tmp_path, people_partitions, extra=None):
    """One `huntline run` (engine time following event time) over what `topics` hold: its settled
    figures, its exposition then, and its configuration file. It must still be running then."""
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(pathlib.Path(tmp_path) / "huntline.json", broker, topics,
                                  pathlib.Path(tmp_path) / "state", listen,
                                  extra={"engine_time": "event_time", **(extra or {})})
    with harness.huntline_run(config, pathlib.Path(tmp_path) / "huntline.log", listen) as proc:
        figures = settled_figures([listen], people_partitions)
        exposition = harness.scrape(listen)
        assert proc.poll() is None
    return figures, exposition, config


def settled_figures(listens, people_partitions, timeout=300):
    """The combined figures of the running instances once every people partition is owned, no task
    is catching up, nothing is left to read and two looks 2 s apart agree."""
    def look():
        figures = []
        owned = publishers = 0
        for listen in listens:
            exposition = harness.scrape(listen)
            engine = harness.parse_exposition(exposition)
            if engine.get("huntline_catching_up_partitions") != 0:
                return None
            if any(v != 0 for k, v in engine.items() if k.startswith("huntline_consumer_lag_messages")):
                return None
            owned += engine.get("huntline_assigned_partitions", 0) - 1  # the crm task is everyone's
            publishers += engine.get("huntline_crm_publisher", 0)
            figures.append(harness.computed_figures(exposition))
        return combined(figures) if owned == people_partitions and publishers == 1 else None

    def stable():
        first = look()
        if first is None:
            return None
        harness.time.sleep(2)
        second = look()
        return second if second == first else None

    return harness.wait_for(stable, timeout, "every partition owned, caught up and stable")


def backlog_figures(broker, tmp_path, lines, name, partitions):
    """`lines` written to fresh topics, then read as a backlog by one `huntline run` in event time:
    its figures once settled."""
    topics = fresh_topics(broker, name, partitions)
    assert harness.produce_lines(broker, lines, topics) == len(lines)
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(tmp_path / "huntline.json", broker, topics, tmp_path / "state", listen,
                                  extra={"engine_time": "event_time"})
    with harness.huntline_run(config, tmp_path / "huntline.log", listen):
        return settled_figures([listen], partitions)


@pytest.mark.parametrize("partitions", [1, 3, 8])
def test_generated_quarter_as_a_backlog_equals_replay(broker, tmp_path, generated, partitions):
    lines, replay = generated
    live = backlog_figures(broker, tmp_path, lines, f"generated-backlog-{partitions}", partitions)
    diff = differences(live, replay)
    assert diff == [], f"{len(diff)} series differ from replay:\n" + "\n".join(diff[:60])


class Instances:
    """`huntline run` instances of one group, each with its own state directory and port, started,
    killed (SIGKILL) and stopped by name; the ones still running stop with the context."""

    def __init__(self, broker, topics, workdir, names, group, extra=None):
        self.workdir = pathlib.Path(workdir)
        self.listens = {name: f"127.0.0.1:{harness.free_port()}" for name in names}
        self.configs = {name: harness.write_config(self.workdir / f"{name}.json", broker, topics,
                                                   self.workdir / f"state-{name}", self.listens[name],
                                                   group=group,
                                                   extra={"engine_time": "event_time", **(extra or {})})
                        for name in names}
        self.running = {}
        self.starts = 0

    def start(self, name):
        self.starts += 1
        stack = contextlib.ExitStack()
        log = self.workdir / f"{name}-{self.starts}.log"
        proc = stack.enter_context(harness.huntline_run(self.configs[name], log, self.listens[name]))
        self.running[name] = (stack, proc)

    def kill(self, name):
        stack, proc = self.running.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        stack.close()

    def stop(self, name):
        self.running.pop(name)[0].close()

    def __enter__(self):
        return self

    def __exit__(self, *_):
        for stack, _ in self.running.values():
            stack.close()


def closing_org_snapshot(lines):
    """The first user snapshot again, unchanged, at the time of the last event."""
    first = next(json.loads(line) for line in lines if json.loads(line)["type"] == "org.user.upserted")
    times = [json.loads(line)["time"] for line in lines[-50:]]
    last_time = max(times, key=lambda t: datetime.datetime.fromisoformat(t.replace("Z", "+00:00")))
    return json.dumps(dict(first, id="closing-snapshot", time=last_time))


def test_generated_quarter_across_instances_a_crash_and_rebalances(broker, tmp_path, generated):
    """The quarter read as a backlog by instances that come and go: one is killed (SIGKILL) in the
    middle and restarted, a third joins and the second leaves. The figures combined over the
    instances still running equal replay's, and no counter series ever went down."""
    lines, _ = generated
    # Engine time is the latest event time an instance has read (metrics.md), and each reads only
    # its own people partitions: a last org snapshot, read by every instance, puts them all at
    # the same engine time, the time replay's figures are taken at.
    lines = lines + [closing_org_snapshot(lines)]
    _, replay = harness.replay_figures(tmp_path, lines)
    partitions = 8
    topics = fresh_topics(broker, "generated-instances", partitions)
    assert harness.produce_lines(broker, lines, topics) == len(lines)

    instances = Instances(broker, topics, tmp_path, "abc", group="instances",
                          extra={"batch": {"max_events": 500, "max_wait_ms": 50}})

    def handled(name):
        figures = harness.parse_exposition(harness.scrape(instances.listens[name]))
        return sum(v for k, v in figures.items() if k.startswith("huntline_events_total{"))

    with harness.prometheus(tmp_path, list(instances.listens.values())) as prom, instances:
        instances.start("a")
        instances.start("b")
        harness.wait_for(lambda: handled("a") > len(lines) // 4, 120, "a quarter of the stream read by a")
        instances.kill("a")  # what it had not committed is read again, counted once
        instances.start("a")
        instances.start("c")
        harness.wait_for(lambda: handled("c") > len(lines) // 4, 120, "a quarter of the stream read by c")
        instances.stop("b")  # b leaves the group
        live = settled_figures([instances.listens["a"], instances.listens["c"]], partitions)
        harness.time.sleep(3)  # scraped settled
        went_down = {}
        for family in harness.COMPUTED_FAMILIES:
            if family.endswith("_total"):
                resets = harness.query(prom, f"sum(resets({family}[1h]))").get(frozenset(), 0)
                if resets:
                    went_down[family] = resets
    diff = differences(live, replay)
    assert diff == [], f"{len(diff)} series differ from replay:\n" + "\n".join(diff[:60])
    assert went_down == {}, f"counter series that went down: {went_down}"


def test_generated_quarter_on_the_wall_clock_equals_replay_as_of_the_end(broker, tmp_path, generated):
    """With the wall clock, a backlog is read on its own events' time and only then follows the
    clock: the figures equal a replay as of the engine time they were taken at."""
    lines, _ = generated
    topics = fresh_topics(broker, "generated-wall-clock", 3)
    assert harness.produce_lines(broker, lines, topics) == len(lines)
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(tmp_path / "huntline.json", broker, topics, tmp_path / "state", listen)
    with harness.huntline_run(config, tmp_path / "huntline.log", listen):
        settled_figures([listen], 3)
        exposition = harness.scrape(listen)  # figures and the engine time they are taken at, at once
    live = harness.computed_figures(exposition)
    as_of = harness.parse_exposition(exposition)["huntline_engine_time_seconds"]
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(lines) + "\n")
    out = tmp_path / "replay.prom"
    stamp = harness.time.strftime("%Y-%m-%dT%H:%M:%S", harness.time.gmtime(int(as_of)))
    stamp += ".%03dZ" % round((as_of - int(as_of)) * 1000)
    run = harness.subprocess.run([harness.HUNTLINE, "replay", "--input", str(events), "--as-of", stamp,
                                  "--metrics-out", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    diff = differences(live, harness.computed_figures(out.read_text()))
    assert diff == [], f"{len(diff)} series differ from replay as of {stamp}:\n" + "\n".join(diff[:60])


def counter_samples(prom, family, start, end):
    """Every Prometheus series of a counter family with its raw samples in (start, end]:
    [(labels, [(time, value), ...])]."""
    r = harness.requests.get(prom + "/api/v1/query", timeout=30,
                             params={"query": f"{family}[{int(end - start) + 1}s]", "time": f"{end:.3f}"})
    r.raise_for_status()
    return [(s["metric"], [(float(t), float(v)) for t, v in s["values"]]) for s in r.json()["data"]["result"]]


def increase_through_prometheus(prom, family, start, end, scrape_interval=1.0):
    """The increase of a counter family over (start, end] as Prometheus holds it: for each series,
    what it went up by between its samples (increase() without its extrapolation to the ends of
    the range), and the whole value of a series first seen after `start` (it was 0 before).
    Also the series that ever went down."""
    total, went_down = 0.0, []
    for labels, samples in counter_samples(prom, family, start, end):
        values = [v for _, v in samples]
        if samples[0][0] > start + 1.5 * scrape_interval:
            total += values[0]
        for (t0, before), (t1, after) in zip(samples, samples[1:]):
            if after < before:
                went_down.append((labels, before, after, f"between {t0:.3f} and {t1:.3f}"))
            total += max(0.0, after - before)
    return total, went_down


def quarter_report(*source, out):
    """`huntline report` of the generated quarter (FY2026-Q3, complete: the stream runs into
    October) as JSON."""
    run = harness.subprocess.run([harness.HUNTLINE, "report", *map(str, source), "--quarter", "FY2026-Q3",
                                  "--format", "json", "--out", str(out)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return json.loads(pathlib.Path(out).read_text())


def produce_second_half_with_churn(broker, topics, lines, instances):
    """With instances a and b running on the first half of `lines` (already produced), writes the
    rest in 2,000-event chunks from a producer that stays up while a is killed (SIGKILL) and
    restarted, c joins and b leaves. Returns the listen addresses of the instances left."""
    cuts = [len(lines) * k // 8 for k in range(9)]
    producer = harness.producer_for(broker)

    def produce(first, last):
        for i in range(cuts[first], cuts[last], 2000):
            harness.produce_lines(broker, lines[i:min(i + 2000, cuts[last])], topics, producer=producer)
            harness.time.sleep(0.2)

    produce(4, 5)
    instances.kill("a")
    instances.start("a")
    instances.start("c")
    produce(5, 6)
    instances.stop("b")
    produce(6, 8)
    return [instances.listens["a"], instances.listens["c"]]


def test_generated_quarter_produced_live_across_instances_equals_replay(broker, tmp_path, generated):
    """Half the quarter as a backlog, the rest written by a producer that stays up while the
    instances come and go: one killed (SIGKILL) and restarted, a third joining, the second
    leaving. The figures equal replay's, no org snapshot arrives late, and through Prometheus
    every counter's increase over the live half equals what the figures grew by: the series of
    a partition carry on across its moves, none ever goes down. The quarter's report from the
    history topic equals the report of replay's history."""
    lines, _ = generated
    lines = lines + [closing_org_snapshot(lines)]
    _, replay = harness.replay_figures(tmp_path, lines)
    partitions = 8
    topics = fresh_topics(broker, "generated-live", partitions)
    half = len(lines) * 4 // 8
    assert harness.produce_lines(broker, lines[:half], topics) == half

    # Writes made on this busy machine now and then land a second after they are made: the
    # instances give them two.
    instances = Instances(broker, topics, tmp_path, "abc", group="live", extra={"order_wait_ms": 2000})
    with harness.prometheus(tmp_path, list(instances.listens.values())) as prom, instances:
        instances.start("a")
        instances.start("b")
        before = settled_figures([instances.listens["a"], instances.listens["b"]], partitions)
        harness.time.sleep(3)  # scraped settled
        start = harness.time.time()
        harness.time.sleep(3)
        listens = produce_second_half_with_churn(broker, topics, lines, instances)
        live = settled_figures(listens, partitions)
        late = sum(v for listen in listens
                   for k, v in harness.parse_exposition(harness.scrape(listen)).items()
                   if k.startswith("huntline_org_changes_late_total"))
        # The quarter's report from the daily history the instances wrote to the history topic.
        live_report = quarter_report("--config", instances.configs["a"], "--from-kafka", out=tmp_path / "live.json")
        harness.time.sleep(3)  # scraped settled
        end = harness.time.time()
        counted = {}
        went_down = {}
        for family in harness.COMPUTED_FAMILIES:
            if family.endswith("_total"):
                counted[family], went_down[family] = increase_through_prometheus(prom, family, start, end)
    diff = differences(live, replay)
    assert diff == [], f"{len(diff)} series differ from replay:\n" + "\n".join(diff[:60])
    assert late == 0
    history = tmp_path / "replay-history"
    run = harness.subprocess.run([harness.HUNTLINE, "replay", "--input", str(tmp_path / "scenario.jsonl"),
                                  "--history-dir", str(history), "--metrics-out", str(tmp_path / "replay.prom")],
                                 capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    replay_report = quarter_report("--history-dir", history, out=tmp_path / "replay.json")
    assert replay_report["complete"] and replay_report["has_data"]
    assert live_report == replay_report
    down = {f: [(dict(sorted((k, v) for k, v in labels.items() if k not in ("__name__", "job"))), *rest)
                for labels, *rest in d[:3]] for f, d in went_down.items() if d}
    assert down == {}, "counter series that went down: " + str(down)
    grew = {f: sum(live.get(f, {}).values()) - sum(before.get(f, {}).values()) for f in counted}
    assert any(grew.values())
    wrong = {f: (counted[f], grew[f]) for f in counted if abs(counted[f] - grew[f]) > 1e-6 * max(1.0, grew[f])}
    assert wrong == {}, "increase through Prometheus (counted, true): " + str(wrong)


def test_people_read_ahead_stays_within_its_limit_and_loses_nothing(broker, tmp_path, generated):
    """Messages written within `order_wait_ms` (15 s here: those written in the last seconds of the
    production) wait for their turn: the people partitions are
    paused once `limits.read_ahead_messages` of them are queued and resumed as they drain, and the
    figures are replay's."""
    lines, replay = generated
    limit, partitions = 500, 3
    people = sum(1 for line in lines if harness.topic_of(json.loads(line), {"org": "o", "crm": "c", "people": "p"}) == "p")
    assert people > 4 * limit
    topics = fresh_topics(broker, "read-ahead", partitions)
    assert harness.produce_lines(broker, lines, topics) == len(lines)
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(tmp_path / "huntline.json", broker, topics, tmp_path / "state", listen,
                                  extra={"engine_time": "event_time", "order_wait_ms": 15000,
                                         "limits": {"read_ahead_messages": limit}})
    with harness.huntline_run(config, tmp_path / "huntline.log", listen):
        seen = []
        for _ in range(40):
            engine = harness.parse_exposition(harness.scrape(listen))
            seen.append(engine.get("huntline_read_ahead_messages", 0))
            harness.time.sleep(0.25)
        # The crm reader holds up to 256 per partition besides.
        assert limit <= max(seen) <= limit + 256 * partitions, seen
        live = settled_figures([listen], partitions)
    diff = differences(live, replay)
    assert diff == [], f"{len(diff)} series differ from replay:\n" + "\n".join(diff[:60])


def event(id_, type_, time, data):
    return json.dumps({"specversion": "1.0", "id": id_, "source": "test", "type": type_, "time": time,
                       "data": data})


def test_a_meeting_written_just_before_the_start_settles_as_in_replay_with_a_long_order_wait(broker, tmp_path):
    """Four events written just before `huntline run` starts, with `order_wait_ms` 15000: a rep,
    a prospect account, a 45-minute meeting with it in the rep's calendar, and an activity an hour
    after the meeting ends on a crm partition. The activity is the latest event time: the rep's
    people task, caught up, follows it and the meeting settles. Asking the brokers where the
    partitions end must not wait behind a consumer's idle fetch (it lasted a quarter of the order
    wait in the org consumer): the check that moves engine time runs every 250 ms, so once the
    events are counted and the figures hold still, they are replay's."""
    lines = [
        event("u", "org.user.upserted", "2026-10-06T08:00:00Z",
              {"user_id": "u-rep", "name": "Rep", "email": "u-rep@acme.example", "role": "rep",
               "team": "emea-hunters", "timezone": "Europe/Paris", "active": True}),
        event("a", "crm.account.upserted", "2026-10-06T08:00:00Z",
              {"account_id": "a-1", "name": "Prospect", "domains": ["prospect.example"],
               "relationship": "prospect", "icp_tier": "B", "target_of": []}),
        event("m", "calendar.event.upserted", "2026-10-06T09:00:00Z",
              {"calendar_id": "u-rep", "event_id": "m-1", "organizer": "u-rep",
               "attendees": [{"id_or_email": "u-rep", "response": "accepted"},
                             {"id_or_email": "buyer@prospect.example", "response": "accepted"}],
               "start": "2026-10-06T14:00:00Z", "end": "2026-10-06T14:45:00Z", "show_as": "busy",
               "protected": False}),
        event("c", "crm.activity.logged", "2026-10-06T15:46:53Z",
              {"activity_id": "act-1", "actor_id": "u-rep", "account_id": "a-1", "channel": "call",
               "direction": "outbound", "outcome": "connected", "duration_s": 60}),
    ]
    _, replay = harness.replay_figures(tmp_path, lines)
    assert replay["huntline_meeting_seconds_total"] == {
        frozenset({("team", "emea-hunters"), ("role", "rep"), ("counterpart", "prospect")}): 2700.0}
    partitions = 3
    topics = fresh_topics(broker, "fresh-meeting", partitions)
    assert harness.produce_lines(broker, lines, topics) == len(lines)
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(tmp_path / "huntline.json", broker, topics, tmp_path / "state", listen,
                                  extra={"engine_time": "event_time", "order_wait_ms": 15000})
    with harness.huntline_run(config, tmp_path / "huntline.log", listen):
        def counted():
            engine = harness.parse_exposition(harness.scrape(listen))
            return sum(v for k, v in engine.items()
                       if k.startswith("huntline_events_total{") and 'result="accepted"' in k) == len(lines)
        harness.wait_for(counted, 60, "every event counted")
        live = settled_figures([listen], partitions)
    diff = differences(live, replay)
    assert diff == [], f"{len(diff)} series differ from replay:\n" + "\n".join(diff[:60])


def test_messages_that_land_past_the_order_wait_are_counted_and_said(broker, tmp_path):
    """An activity on crm partition 1 at 10:00 is applied. An activity at 09:15 written after it on
    partition 0 is the producer's order, not a late landing: not counted. Then an opportunity at
    09:00 lands on partition 0 and the account's snapshot at 09:30 on the org topic, both stamped
    five seconds before the first activity was written: they landed long past `order_wait_ms`, too
    late for the merge to put them before it. Each is counted once
    (`huntline_crm_out_of_order_total`, `huntline_org_changes_late_total`) and the log says it
    landed late; a later activity in order adds to neither."""
    user = event("u", "org.user.upserted", "2026-10-06T08:00:00Z",
                 {"user_id": "u-rep", "name": "Rep", "email": "u-rep@acme.example", "role": "rep",
                  "team": "emea-hunters", "timezone": "Europe/Paris", "active": True})
    activity = lambda id_, time: event(id_, "crm.activity.logged", time, {
        "activity_id": id_, "actor_id": "u-rep", "account_id": "a-2", "channel": "call",
        "direction": "outbound", "outcome": "connected", "duration_s": 60})
    opportunity = event("o", "crm.opportunity.upserted", "2026-10-06T09:00:00Z", {
        "opportunity_id": "o-1", "account_id": "a-1", "owner_id": "u-rep", "type": "new_business", "origin": "seller_sourced",
        "stage": "discovery", "amount": 1000, "close_date": "2026-12-01", "created_at": "2026-10-06T09:00:00Z"})
    account = event("a", "crm.account.upserted", "2026-10-06T09:30:00Z",
                    {"account_id": "a-2", "name": "Customer", "domains": ["customer.example"],
                     "relationship": "customer", "icp_tier": "B", "target_of": []})
    topics = fresh_topics(broker, "landed-late", 2)
    harness.produce_lines(broker, [user], topics)
    listen = f"127.0.0.1:{harness.free_port()}"
    config = harness.write_config(tmp_path / "huntline.json", broker, topics, tmp_path / "state", listen,
                                  extra={"engine_time": "event_time"})
    log = tmp_path / "huntline.log"
    producer = harness.producer_for(broker)

    def produce(line, topic, partition, timestamp_ms):
        producer.produce(topics[topic], value=line.encode(), key=harness.contract_key(json.loads(line)).encode(),
                         partition=partition, timestamp=timestamp_ms)
        assert producer.flush(10) == 0

    def accepted(n):
        def check():
            engine = harness.parse_exposition(harness.scrape(listen))
            return sum(v for k, v in engine.items()
                       if k.startswith("huntline_events_total{") and 'result="accepted"' in k) >= n
        return check

    def counter(name):
        engine = harness.parse_exposition(harness.scrape(listen))
        return sum(v for k, v in engine.items() if k == name or k.startswith(name + "{"))

    with harness.huntline_run(config, log, listen):
        harness.wait_for(accepted(1), 60, "the user")
        written = int(datetime.datetime.now().timestamp() * 1000)
        produce(activity("act-1", "2026-10-06T10:00:00Z"), "crm", 1, written)
        harness.wait_for(accepted(2), 60, "the activity")
        produce(activity("act-0", "2026-10-06T09:15:00Z"), "crm", 0, int(datetime.datetime.now().timestamp() * 1000))
        harness.wait_for(accepted(3), 60, "the activity written later with an earlier time")
        assert counter("huntline_crm_out_of_order_total") == 0
        produce(opportunity, "crm", 0, written - 5000)
        produce(account, "org", 0, written - 5000)
        harness.wait_for(accepted(5), 60, "the opportunity and the account")
        produce(activity("act-2", "2026-10-06T11:00:00Z"), "crm", 1, int(datetime.datetime.now().timestamp() * 1000))
        harness.wait_for(accepted(6), 60, "the second activity")
        assert counter("huntline_crm_out_of_order_total") == 1
        # Once for the crm task (each people task past 09:30 counts it too).
        crm_late = [v for k, v in harness.parse_exposition(harness.scrape(listen)).items()
                    if k.startswith("huntline_org_changes_late_total{") and f'topic="{topics["crm"]}"' in k]
        assert crm_late == [1]
    text = log.read_text()
    assert "landed past order_wait_ms" in text, text
    assert "was not yet in its partition" in text, text
