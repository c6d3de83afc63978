"""State follows a partition (issue: scale-out that keeps its state): every task's changes go to a
changelog topic in the commit that stores them, and an instance that is given a partition whose
state its own directory does not hold restores it from there, never from the input, which
retention may have emptied."""
import os
import signal
import subprocess
import sys

import pytest

import harness
from test_live_equals_replay import (Instances, closing_org_snapshot, differences, fresh_topics,
                                     settled_figures)


@pytest.fixture(scope="module")
def stream(tmp_path_factory):
    work = tmp_path_factory.mktemp("changelog-stream")
    events = work / "events.jsonl"
    harness.subprocess.run([harness.HUNTLINE, "generate", "--events", "60000", "--out", str(events)],
                           check=True, capture_output=True)
    lines = [line for line in events.read_text().splitlines() if line.strip()]
    # Every instance reads the org topic: a last org snapshot puts them all at the same engine
    # time, the time replay's figures are taken at.
    lines.append(closing_org_snapshot(lines))
    _, replay = harness.replay_figures(work, lines)
    return lines, replay


def delete_inputs(broker, topics, partitions):
    """Retention passes over the whole input: every crm and people record is deleted."""
    for kind in ("crm", "people"):
        for p in range(partitions):
            harness.delete_records(broker, topics[kind], p)


def restored_records(listen):
    figures = harness.parse_exposition(harness.scrape(listen))
    return sum(v for k, v in figures.items() if k.startswith("huntline_restored_records_total{"))


def records_lost(listen):
    figures = harness.parse_exposition(harness.scrape(listen))
    return sum(v for k, v in figures.items() if k.startswith("huntline_input_records_lost_total{"))


def assert_equals_replay(live, replay):
    diff = differences(live, replay)
    assert diff == [], f"{len(diff)} series differ from replay:\n" + "\n".join(diff[:60])


def test_an_empty_instance_takes_over_after_retention_emptied_the_input(broker, tmp_path, stream):
    lines, replay = stream
    partitions = 4
    topics = fresh_topics(broker, "changelog-takeover", partitions)
    assert harness.produce_lines(broker, lines, topics) == len(lines)
    with Instances(broker, topics, tmp_path, "ab", group="takeover") as instances:
        instances.start("a")
        first = settled_figures([instances.listens["a"]], partitions)
        instances.stop("a")
        assert_equals_replay(first, replay)
        delete_inputs(broker, topics, partitions)
        # b has an empty state directory and the input holds nothing: all it counts comes from
        # the changelogs.
        instances.start("b")
        restored = settled_figures([instances.listens["b"]], partitions)
        assert restored_records(instances.listens["b"]) > 0
        assert records_lost(instances.listens["b"]) == 0, "restored offsets are the input's ends"
    assert_equals_replay(restored, replay)


def test_partitions_move_between_running_instances_with_their_state(broker, tmp_path, stream):
    """Two instances share the partitions; the input is emptied; one leaves and the other takes its
    partitions (and perhaps the crm figures) over from the changelogs; then a third, empty one
    replaces the second. Each time the figures equal replay."""
    lines, replay = stream
    partitions = 4
    topics = fresh_topics(broker, "changelog-moves", partitions)
    assert harness.produce_lines(broker, lines, topics) == len(lines)
    with Instances(broker, topics, tmp_path, "abc", group="moves") as instances:
        instances.start("a")
        instances.start("b")
        both = settled_figures([instances.listens["a"], instances.listens["b"]], partitions)
        assert_equals_replay(both, replay)
        delete_inputs(broker, topics, partitions)
        instances.stop("a")
        after_a = settled_figures([instances.listens["b"]], partitions)
        assert_equals_replay(after_a, replay)
        instances.start("c")
        instances.stop("b")
        after_b = settled_figures([instances.listens["c"]], partitions)
        assert restored_records(instances.listens["c"]) > 0
    assert_equals_replay(after_b, replay)


def engine_figure(listen, name):
    """An engine metric, summed over its labels."""
    figures = harness.parse_exposition(harness.scrape(listen))
    return sum(v for k, v in figures.items() if k == name or k.startswith(name + "{"))


def copies_settled(listen):
    """The instance's standby copies have applied everything: the count stays put for 2 s."""
    def look():
        first = engine_figure(listen, "huntline_standby_records_total")
        harness.time.sleep(2)
        return first > 0 and engine_figure(listen, "huntline_standby_records_total") == first
    harness.wait_for(look, 120, "the standby copies caught up")


def test_a_standby_copy_takes_over_a_killed_instances_partitions_without_a_restore(broker, tmp_path, stream):
    """Two instances with `num_standby_replicas: 1` each keep a copy of the partitions the other
    owns. The input is emptied and one is killed: the other takes its partitions over from its
    copies, restoring at most what they lack, and the figures equal replay."""
    lines, replay = stream
    partitions = 4
    topics = fresh_topics(broker, "changelog-standby", partitions)
    assert harness.produce_lines(broker, lines, topics) == len(lines)
    with Instances(broker, topics, tmp_path, "ab", group="standby",
                   extra={"kafka": {"num_standby_replicas": 1}}) as instances:
        instances.start("a")
        instances.start("b")
        harness.wait_for(lambda: all(engine_figure(instances.listens[n], "huntline_assigned_partitions") > 1
                                     for n in "ab"), 120, "both instances owning people partitions")
        both = settled_figures([instances.listens["a"], instances.listens["b"]], partitions)
        assert_equals_replay(both, replay)
        owned_by_a = engine_figure(instances.listens["a"], "huntline_assigned_partitions") - 1
        assert owned_by_a > 0
        assert engine_figure(instances.listens["b"], "huntline_standby_partitions") == owned_by_a
        copies_settled(instances.listens["b"])
        restored_before = restored_records(instances.listens["b"])
        delete_inputs(broker, topics, partitions)
        instances.kill("a")
        after = settled_figures([instances.listens["b"]], partitions)
        assert engine_figure(instances.listens["b"], "huntline_standby_partitions") == 0
        # Everything the copies held: nothing to read again (a's last commit came before the copies
        # settled), where a restore of an empty state reads the whole changelog partition.
        assert restored_records(instances.listens["b"]) == restored_before
        log = "\n".join(path.read_text() for path in tmp_path.glob("b-*.log"))
        assert log.count("stored state at changelog offset") >= owned_by_a, log[-3000:]
    assert_equals_replay(after, replay)


def test_a_standby_copy_follows_a_live_stream_and_takes_over_in_the_middle_of_it(broker, tmp_path, stream):
    """The same while the stream is still being produced: the owner commits a transaction every
    batch while its copies follow, it is killed in the middle, and the survivor takes its
    partitions over from the copies, catching up only what they had not applied; the rest of the
    stream is then read and the figures equal replay."""
    lines, replay = stream
    partitions = 4
    topics = fresh_topics(broker, "changelog-standby-live", partitions)
    half = len(lines) // 2
    assert harness.produce_lines(broker, lines[:half], topics) == half
    # Messages written while the instances run reach them within order_wait_ms of each other on
    # this busy machine, as in test_live_equals_replay's live tests: no org snapshot comes late.
    with Instances(broker, topics, tmp_path, "ab", group="standby-live",
                   extra={"order_wait_ms": 2000, "kafka": {"num_standby_replicas": 1}}) as instances:
        instances.start("a")
        instances.start("b")
        a, b = instances.listens["a"], instances.listens["b"]
        harness.wait_for(lambda: engine_figure(b, "huntline_standby_partitions") > 0 and
                         engine_figure(a, "huntline_standby_partitions") > 0 and
                         engine_figure(a, "huntline_assigned_partitions") > 1 and
                         engine_figure(b, "huntline_assigned_partitions") > 1, 120, "copies on both instances")
        producer = harness.producer_for(broker)
        rest = lines[half:]
        chunk = len(rest) // 20
        for n in range(10):  # half of the rest, in chunks, while both run
            harness.produce_lines(broker, rest[n * chunk:(n + 1) * chunk], topics, producer=producer)
            harness.time.sleep(0.3)
        owned_by_a = engine_figure(a, "huntline_assigned_partitions") - 1
        copied = engine_figure(b, "huntline_standby_records_total")
        assert owned_by_a > 0 and copied > 0
        restored_before = restored_records(b)
        instances.kill("a")
        harness.produce_lines(broker, rest[10 * chunk:], topics, producer=producer)
        after = settled_figures([b], partitions)
        late = engine_figure(b, "huntline_org_changes_late_total")
        restored = restored_records(b) - restored_before
        # What a full restore of a's partitions would read: the messages the copies applied.
        assert restored < copied / 2, (restored, copied)
        log = "\n".join(path.read_text() for path in tmp_path.glob("b-*.log"))
        taken = log[log.rindex("keeping a standby copy"):]
        assert taken.count("stored state at changelog offset") >= owned_by_a, taken[-3000:]
    assert late == 0
    assert_equals_replay(after, replay)


def test_an_instance_frozen_past_its_session_carries_on_and_counts_nothing_twice(broker, tmp_path, stream):
    """An instance frozen (SIGSTOP) in the middle of a live stream for longer than the group's
    session timeout, as in a long pause or while the brokers are away, loses its membership: the
    other takes its partitions. When it wakes, its partitions are lost to it (dropped with what it
    did since its last commit) or its next transaction is refused (it drops every task and joins
    the groups again); it never stops, and the figures equal replay."""
    lines, replay = stream
    partitions = 4
    topics = fresh_topics(broker, "changelog-paused", partitions)
    half = len(lines) // 2
    assert harness.produce_lines(broker, lines[:half], topics) == half
    with Instances(broker, topics, tmp_path, "ab", group="paused", extra={"order_wait_ms": 2000}) as instances:
        instances.start("a")
        instances.start("b")
        a, b = instances.listens["a"], instances.listens["b"]
        settled_figures([a, b], partitions)
        proc = instances.running["a"][1]
        producer = harness.producer_for(broker)
        rest = lines[half:]
        chunk = len(rest) // 20
        for n in range(20):
            harness.produce_lines(broker, rest[n * chunk:(n + 1) * chunk], topics, producer=producer)
            if n == 4:
                proc.send_signal(signal.SIGSTOP)  # while it reads what was just written
            if n == 10:
                # The session timeout is 10 s: b is given every partition meanwhile.
                try:
                    harness.wait_for(lambda: engine_figure(b, "huntline_assigned_partitions") == partitions + 1, 60,
                                     "b owning every partition while a is frozen")
                finally:
                    proc.send_signal(signal.SIGCONT)
            harness.time.sleep(0.2)
        harness.produce_lines(broker, rest[20 * chunk:], topics, producer=producer)
        after = settled_figures([a, b], partitions)
        log = (tmp_path / "a-1.log").read_text()
        assert proc.poll() is None, log[-3000:]
        assert "lost (this instance's session expired)" in log or "joining them again" in log, log[-3000:]
        late = engine_figure(a, "huntline_org_changes_late_total") + engine_figure(b, "huntline_org_changes_late_total")
    assert late == 0
    assert_equals_replay(after, replay)


def test_the_cluster_script_runs_three_instances_and_one_takes_over_from_another(tmp_path):
    """The README's `./deploy/local.sh cluster 3` (its script, on the built binary): three
    instances share the partitions; one is killed and the others take its partitions over."""
    script = harness.ROOT / "deploy" / "cluster.py"
    env = dict(os.environ, HUNTLINE_BIN=harness.HUNTLINE, HUNTLINE_CACHE=str(tmp_path))
    log = open(tmp_path / "cluster.out", "w")
    proc = subprocess.Popen([sys.executable, "-u", str(script), "3", "--events", "20000"],
                                    stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        def statuses():
            lines = (tmp_path / "cluster.out").read_text().splitlines()
            last = {}
            for line in lines:
                if line.startswith("  instance "):
                    last[int(line.split()[1].rstrip(":"))] = line
            return last

        def pids():
            return {int(line.split()[2].rstrip(":")): int(line.split()[4].rstrip(","))
                    for line in (tmp_path / "cluster.out").read_text().splitlines()
                    if line.startswith("cluster: instance ")}

        def tasks(line):
            return int(line.split("tasks ")[1].split()[0])

        def shared():
            s = statuses()
            return len(s) == 3 and sum(tasks(line) for line in s.values()) == 3 + 6 and \
                sum("publishes crm: yes" in line for line in s.values()) == 1
        harness.wait_for(shared, 240, "three instances sharing 6 people partitions, one publishing crm")
        victim = 2
        os.kill(pids()[victim], signal.SIGKILL)

        def taken_over():
            s = statuses()
            alive = [line for i, line in s.items() if i != victim]
            return "stopped" in s.get(victim, "") and all("tasks" in line for line in alive) and \
                sum(tasks(line) for line in alive) == 2 + 6 and \
                sum("publishes crm: yes" in line for line in alive) == 1
        harness.wait_for(taken_over, 240, "the two others holding every partition")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
        log.close()
