"""A hand-written fortnight of protected prospecting time (October 2026) in two teams, and every
protected-time and meeting figure it must give, worked out by hand below.

hunters-a (New York, managed by mgr-a): rep-a1 protects Tuesday and Thursday 09:00–11:00 as a
series of four (13:00–15:00Z, 20–29 Oct); rep-a2 protects one block on 21 Oct. hunters-b (Berlin,
managed by mgr-b): rep-b1 protects Monday 09:30–11:30 as a series of two, across the end of
daylight-saving time on 25 Oct (19 Oct 07:30Z, 26 Oct 08:30Z). Both managers report to vp.
Engine time ends at 2026-10-30T12:00:00Z (the last event); the allowed lateness is one hour.
"""
import json

from scenario_pipeline import Stream

END = "2026-10-30T12:00:00Z"


def _user(s, uid, role, team, tz, manager=None):
    data = {"user_id": uid, "name": uid, "email": f"{uid}@acme.example", "role": role,
            "team": team, "timezone": tz, "active": True}
    if manager:
        data["manager_id"] = manager
    s.add("org.user.upserted", "2026-10-01T08:00:00Z", data)


def _event(s, time, calendar, event_id, start, end, organizer, attendees=(), **more):
    data = {"calendar_id": calendar, "event_id": event_id, "organizer": organizer,
            "attendees": [{"id_or_email": a, "response": "accepted"} for a in attendees],
            "start": start, "end": end, "show_as": "busy", "protected": False}
    data.update(more)
    s.add("calendar.event.upserted", time, data)
    return data


def events():
    s = Stream()
    ny, berlin = "America/New_York", "Europe/Berlin"
    _user(s, "vp", "executive", "leadership", ny)
    _user(s, "mgr-a", "manager", "hunters-a", ny, manager="vp")
    _user(s, "rep-a1", "rep", "hunters-a", ny, manager="mgr-a")
    _user(s, "rep-a2", "rep", "hunters-a", ny, manager="mgr-a")
    _user(s, "mgr-b", "manager", "hunters-b", berlin, manager="vp")
    _user(s, "rep-b1", "rep", "hunters-b", berlin, manager="mgr-b")
    _user(s, "am-1", "account_manager", "accounts", ny, manager="vp")
    s.account("initech", "customer", "am-1")
    s.account("globex", "prospect", "rep-a1")

    # The blocks.
    _event(s, "2026-10-15T08:00:00Z", "rep-a1", "blk-a1", "2026-10-20T13:00:00Z",
           "2026-10-20T15:00:00Z", "rep-a1", ["rep-a1"], protected=True,
           rrule="FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4", timezone=ny, title="Prospecting block")
    _event(s, "2026-10-15T08:00:00Z", "rep-a2", "blk-a2", "2026-10-21T13:00:00Z",
           "2026-10-21T15:00:00Z", "rep-a2", ["rep-a2"], protected=True)
    _event(s, "2026-10-15T08:00:00Z", "rep-b1", "blk-b1", "2026-10-19T07:30:00Z",
           "2026-10-19T09:30:00Z", "rep-b1", ["rep-b1"], protected=True,
           rrule="FREQ=WEEKLY;BYDAY=MO;COUNT=2", timezone=berlin)

    # 20 Oct, rep-a1 — the README's example: the manager's half-hour sync inside the block, and a
    # customer call overlapping it.
    _event(s, "2026-10-16T09:00:00Z", "rep-a1", "sync-1", "2026-10-20T13:30:00Z",
           "2026-10-20T14:00:00Z", "mgr-a", ["rep-a1", "mgr-a"], title="Quick forecast sync")
    _event(s, "2026-10-16T10:00:00Z", "rep-a1", "call-1", "2026-10-20T13:45:00Z",
           "2026-10-20T14:30:00Z", "rep-a1", ["rep-a1", "buyer@initech.example"])
    # 21 Oct, rep-a2: mgr-a moves the block an hour later; rep-a2 books himself into it; mgr-a
    # assigns a report during it (14:10, 10 minutes).
    _event(s, "2026-10-20T09:00:00Z", "rep-a2", "blk-a2", "2026-10-21T14:00:00Z",
           "2026-10-21T16:00:00Z", "rep-a2", ["rep-a2"], protected=True, updated_by="mgr-a")
    _event(s, "2026-10-20T10:00:00Z", "rep-a2", "own-1", "2026-10-21T14:30:00Z",
           "2026-10-21T15:00:00Z", "rep-a2", ["rep-a2"])
    s.add("crm.task.assigned", "2026-10-21T14:10:00Z",
          {"task_id": "task-1", "assignee_id": "rep-a2", "assigned_by": "mgr-a", "kind": "report",
           "effort_minutes": 10})
    # 22 Oct, rep-a1: mgr-a cancels that occurrence.
    s.add("calendar.event.cancelled", "2026-10-21T20:00:00Z",
          {"calendar_id": "rep-a1", "event_id": "blk-a1", "original_start": "2026-10-22T13:00:00Z",
           "cancelled_by": "mgr-a"})
    # 23 Oct: mgr-a meets a prospect.
    _event(s, "2026-10-22T09:00:00Z", "mgr-a", "lm-1", "2026-10-23T15:00:00Z",
           "2026-10-23T16:00:00Z", "mgr-a", ["mgr-a", "buyer@globex.example"])
    # 26 Oct, rep-b1 (now 08:30–10:30Z): mgr-b's pipeline review overlaps the first half hour; a
    # partner's meeting the last half hour.
    _event(s, "2026-10-23T09:00:00Z", "rep-b1", "review-1", "2026-10-26T08:00:00Z",
           "2026-10-26T09:00:00Z", "mgr-b", ["rep-b1", "mgr-b"])
    _event(s, "2026-10-23T10:00:00Z", "rep-b1", "ext-1", "2026-10-26T10:00:00Z",
           "2026-10-26T11:00:00Z", "partner@channel.example", ["rep-b1"])
    # 27 Oct, rep-a1: a meeting he declined, then a customer fire-drill from am-1 at 13:20.
    declined = _event(s, "2026-10-26T09:00:00Z", "rep-a1", "allhands", "2026-10-27T14:00:00Z",
                      "2026-10-27T15:00:00Z", "vp", ["vp"])
    declined["attendees"].append({"id_or_email": "rep-a1@acme.example", "response": "declined"})
    s.add("crm.task.assigned", "2026-10-27T13:20:00Z",
          {"task_id": "task-2", "assignee_id": "rep-a1", "assigned_by": "am-1",
           "kind": "customer_issue", "account_id": "initech", "effort_minutes": 30})
    # 28 Oct: vp meets a customer's CFO.
    _event(s, "2026-10-27T09:00:00Z", "vp", "exec-1", "2026-10-28T16:00:00Z",
           "2026-10-28T16:30:00Z", "vp", ["vp", "cfo@initech.example"])
    # 29 Oct, rep-a1 moves his own block to 15:00–17:00Z: the reference follows him, and rep-a2's
    # meeting at the old time no longer touches it.
    _event(s, "2026-10-28T09:00:00Z", "rep-a1", "blk-a1-1029", "2026-10-29T15:00:00Z",
           "2026-10-29T17:00:00Z", "rep-a1", ["rep-a1"], protected=True, series_id="blk-a1",
           original_start="2026-10-29T13:00:00Z")
    _event(s, "2026-10-28T10:00:00Z", "rep-a1", "pair-1", "2026-10-29T14:00:00Z",
           "2026-10-29T14:30:00Z", "rep-a2", ["rep-a1", "rep-a2"])

    # Upcoming: rep-a2 protects 4 Nov and mgr-a books over it; rep-b1 protects 2 Nov and books a
    # customer call into it.
    _event(s, "2026-10-30T08:00:00Z", "rep-a2", "blk-a2-nov", "2026-11-04T14:00:00Z",
           "2026-11-04T16:00:00Z", "rep-a2", ["rep-a2"], protected=True)
    _event(s, "2026-10-30T09:00:00Z", "rep-a2", "sync-nov", "2026-11-04T14:00:00Z",
           "2026-11-04T14:30:00Z", "mgr-a", ["rep-a2", "mgr-a"])
    _event(s, "2026-10-30T09:00:00Z", "rep-b1", "blk-b1-nov", "2026-11-02T08:30:00Z",
           "2026-11-02T10:30:00Z", "rep-b1", ["rep-b1"], protected=True)
    # Too late: a meeting over rep-a2's settled 21 Oct block, booked afterwards.
    _event(s, "2026-10-30T10:00:00Z", "rep-a2", "late-1", "2026-10-21T14:00:00Z",
           "2026-10-21T14:30:00Z", "mgr-a", ["rep-a2", "mgr-a"])
    _event(s, END, "rep-b1", "call-nov", "2026-11-02T09:00:00Z", "2026-11-02T10:30:00Z",
           "rep-b1", ["rep-b1", "buyer@initech.example"])
    return s.events


def lines():
    return [json.dumps(e) for e in events()]


def _series(**labels):
    return frozenset(labels.items())


A, B = "hunters-a", "hunters-b"

# Every non-zero series of every computed family, by hand (no CRM events: the others are empty).
EXPECTED = {
    "huntline_protected_seconds_total": {
        _series(team=A, rep="rep-a1"): 4 * 7200,  # 20, 22, 27 and 29 (as he moved it) Oct
        _series(team=A, rep="rep-a2"): 7200,       # 21 Oct, reference 13:00–15:00Z
        _series(team=B, rep="rep-b1"): 2 * 7200,   # 19 and 26 Oct
    },
    "huntline_protected_lost_seconds_total": {
        # 20 Oct: 13:30–14:00 to the manager's sync (first cause), 14:00–14:30 to the call.
        _series(team=A, rep="rep-a1", cause="manager_meeting"): 1800,
        _series(team=A, rep="rep-a1", cause="customer_meeting"): 1800,
        _series(team=A, rep="rep-a1", cause="manager_cancelled"): 7200,     # 22 Oct
        _series(team=A, rep="rep-a1", cause="customer_issue_task"): 1800,   # 27 Oct 13:20–13:50
        # 21 Oct: 13:00–14:00 moved away by mgr-a; 14:30–15:00 his own meeting; 14:10–14:20 task.
        _series(team=A, rep="rep-a2", cause="manager_cancelled"): 3600,
        _series(team=A, rep="rep-a2", cause="self_scheduled"): 1800,
        _series(team=A, rep="rep-a2", cause="manager_task"): 600,
        # 26 Oct: 08:30–09:00 to mgr-b's review, 10:00–10:30 to the partner's meeting.
        _series(team=B, rep="rep-b1", cause="manager_meeting"): 1800,
        _series(team=B, rep="rep-b1", cause="other_meeting"): 1800,
    },
    "huntline_interruptions_total": {
        _series(team=A, cause="manager_meeting"): 1,
        _series(team=A, cause="customer_meeting"): 1,
        _series(team=A, cause="manager_cancelled"): 2,
        _series(team=A, cause="customer_issue_task"): 1,
        _series(team=A, cause="self_scheduled"): 1,
        _series(team=A, cause="manager_task"): 1,
        _series(team=B, cause="manager_meeting"): 1,
        _series(team=B, cause="other_meeting"): 1,
    },
    "huntline_manager_interruptions_total": {
        _series(team=A, interrupter="mgr-a"): 4,  # sync, cancel, move, task
        _series(team=B, interrupter="mgr-b"): 1,
    },
    "huntline_manager_interruption_seconds_total": {
        _series(team=A, interrupter="mgr-a"): 1800 + 7200 + 3600 + 600,
        _series(team=B, interrupter="mgr-b"): 1800,
    },
    "huntline_protected_conflicts_upcoming": {
        _series(team=A, cause="manager_meeting"): 1,   # 4 Nov
        _series(team=B, cause="customer_meeting"): 1,  # 2 Nov
    },
    "huntline_meeting_seconds_total": {
        # rep-a1: sync 1800 + pair 1800 internal, call 2700 customer (the all-hands declined);
        # rep-a2: his own 1800 (the late one never counts).
        _series(team=A, role="rep", counterpart="internal"): 5400,
        _series(team=A, role="rep", counterpart="customer"): 2700,
        _series(team=B, role="rep", counterpart="internal"): 3600,
        _series(team=B, role="rep", counterpart="external"): 3600,
        _series(team=A, role="manager", counterpart="prospect"): 3600,
        _series(team="leadership", role="executive", counterpart="customer"): 1800,
    },
    "huntline_leader_meeting_seconds_total": {
        _series(team=A, leader="mgr-a", counterpart="prospect"): 3600,
        _series(team="leadership", leader="vp", counterpart="customer"): 1800,
    },
}

# Protected-time integrity per team, 1 - lost / protected, as the README's PromQL computes it.
INTEGRITY = {
    _series(team=A): 1 - (1800 + 1800 + 7200 + 1800 + 3600 + 1800 + 600) / (5 * 7200),
    _series(team=B): 1 - 3600 / 14400,
}
