"""Two quarters of one small team (FY2026-Q2 and FY2026-Q3, calendar fiscal year), and the figures
the Q3 report must give, worked out by hand below.

rep (quota 100000, manager mgr) hunts target account A1 and looks after customer C1.
Q2: 10 min on A1 (target prospecting), 20 min with C1 (customer management); one protected block,
untouched; deal O1 (seller-sourced, 50000, closing 15 Aug) created on A2.
Q3: 30 min on A1, 10 min with C1; deal O2 (inbound, 30000, closing in November) created; O1 won on
10 Aug; two protected blocks, the first half taken by mgr's meeting. The last event, on 2 October,
carries engine time past the end of Q3.
"""
import json

from scenario_pipeline import Stream

TEAM = "hunters"


def _user(s, uid, role, manager=None, quota=None):
    data = {"user_id": uid, "name": uid, "email": f"{uid}@acme.example", "role": role, "team": TEAM,
            "timezone": "UTC", "active": True}
    if manager:
        data["manager_id"] = manager
    if quota:
        data["quarterly_quota"] = quota
    s.add("org.user.upserted", "2026-04-01T08:00:00Z", data)


def _block(s, time, event_id, day):
    s.add("calendar.event.upserted", time,
          {"calendar_id": "rep", "event_id": event_id, "organizer": "rep",
           "attendees": [{"id_or_email": "rep", "response": "accepted"}],
           "start": f"{day}T13:00:00Z", "end": f"{day}T15:00:00Z", "show_as": "busy",
           "protected": True})


def events():
    s = Stream()
    _user(s, "mgr", "manager")
    _user(s, "rep", "rep", manager="mgr", quota=100000)
    s.account("A1", "prospect", "rep", ["rep"], time="2026-04-01T08:00:00Z")
    s.account("A2", "prospect", "rep", time="2026-04-01T08:00:00Z")
    s.account("C1", "customer", "rep", time="2026-04-01T08:00:00Z")

    # FY2026-Q2
    s.activity("2026-05-05T10:00:00Z", "rep", "connected", account="A1", duration=600)
    s.activity("2026-05-06T10:00:00Z", "rep", "connected", account="C1", duration=1200)
    _block(s, "2026-05-08T09:00:00Z", "blk-q2", "2026-05-12")
    s.deal("2026-05-20T10:00:00Z", "O1", "A2", "rep", "discovery", 50000, "2026-08-15",
           "2026-05-20T10:00:00Z", "seller_sourced")

    # FY2026-Q3
    s.activity("2026-07-07T10:00:00Z", "rep", "connected", account="A1", duration=1800)
    s.activity("2026-07-08T10:00:00Z", "rep", "connected", account="C1", duration=600)
    _block(s, "2026-07-09T09:00:00Z", "blk-q3-1", "2026-07-14")
    _block(s, "2026-07-09T09:00:00Z", "blk-q3-2", "2026-07-21")
    s.deal("2026-07-10T10:00:00Z", "O2", "A2", "rep", "prospecting", 30000, "2026-11-20",
           "2026-07-10T10:00:00Z", "inbound")
    s.add("calendar.event.upserted", "2026-07-10T12:00:00Z",
          {"calendar_id": "rep", "event_id": "review", "organizer": "mgr",
           "attendees": [{"id_or_email": "rep", "response": "accepted"}],
           "start": "2026-07-14T13:00:00Z", "end": "2026-07-14T14:00:00Z", "show_as": "busy",
           "protected": False})
    s.deal("2026-08-10T10:00:00Z", "O1", "A2", "rep", "closed_won", 50000, "2026-08-15",
           "2026-05-20T10:00:00Z", "seller_sourced")

    # FY2026-Q4: engine time passes the end of Q3 — on every key, so that each partition (and
    # each instance, when several share them) sees its clock pass it too.
    for account in ("A1", "A2", "C1"):
        s.activity("2026-10-02T10:00:00Z", "rep", "no_response", account=account)
    for person in ("rep", "mgr"):
        s.add("calendar.event.upserted", "2026-10-02T11:00:00Z",
              {"calendar_id": person, "event_id": f"q4-{person}", "organizer": person,
               "attendees": [{"id_or_email": person, "response": "accepted"}],
               "start": "2026-10-09T13:00:00Z", "end": "2026-10-09T14:00:00Z", "show_as": "busy",
               "protected": False})
    return s.events


def lines():
    return [json.dumps(e) for e in events()]


# The Q3 report's figures (the same for the organisation and for team "hunters": one team).
EXPECTED_Q3 = {
    "behaviour": {
        "seconds": {"target_prospecting": 1800, "customer_management": 600},
        "activities": {"target_prospecting": 1, "customer_management": 1},
        # Shares of time: 1800 / 2400 and 600 / 2400.
        "share": {"target_prospecting": 0.75, "deal_work": 0, "customer_management": 0.25, "other": 0},
    },
    # A1 answered on 7 July, then nothing for 45 days: gone cold by 21 August (and already cold
    # at the start: its Q2 answer was on 5 May). Nobody else is a prospect.
    "prospects": {"start": {"gone_cold/in_play": 1}, "end": {"gone_cold/in_play": 1}},
    # A1 is on rep's list; his last activity there (7 July) is more than 30 days before 30 Sept.
    "target_accounts": {"accounts": 1, "touched": 0, "engaged": 0},
    "pipeline": {
        "created_amount": {"inbound": 30000},
        "created_amount_total": 30000,
        "seller_sourced_share": 0,
        "quota": 100000,
        # O1 (50000, closing 15 August) open as Q3 began; O2 (30000, November) lined up for Q4.
        "coverage_start": 0.5,
        "coverage_next_quarter_at_end": 0.3,
        "flow": {"open_at_start": 50000, "created": 0, "increased": 0, "moved_in": 0, "reopened": 0,
                 "decreased": 0, "moved_out": 0, "won": -50000, "lost": 0, "open_at_end": 0},
        "closed": {"won/none": 1},
        "won_amount": 50000,  # at the end of Q3 "this quarter" is still Q3, and O1 closes in it
    },
    "protected_time": {
        "protected_seconds": 14400,
        "lost_seconds": {"manager_meeting": 3600},
        "lost_seconds_total": 3600,
        "integrity": 0.75,
        "interruptions": {"manager_meeting": 1},
        "manager_seconds_total": 3600,
    },
}

# Q2, for the comparisons: integrity 1 (nothing lost), hunting 600 / 1800 of the time, 50000
# created.
EXPECTED_PREVIOUS = {"protected_integrity": 1.0, "hunting_share": 600 / 1800,
                     "pipeline_created_amount": 50000}

# The executive summary, largest change first: hunting share up 42 pts (0.75 − 0.33), pipeline
# created down 40% (30000 against 50000), integrity down 25 pts, coverage 0.5× → 0.3×.
EXPECTED_SUMMARY_KEYS = ["hunting_share", "pipeline_created", "protected_time", "coverage"]
