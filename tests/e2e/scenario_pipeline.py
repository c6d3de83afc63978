"""A hand-written quarter of two sales teams (FY2026-Q3, July–September 2026), and every prospect,
target-coverage, pipeline and activity figure it must give, worked out by hand below.

Hunters: u-h1 hunts ten target accounts A1–A10; u-h2 chases four inbound leads on B1–B4 (deals
on B1–B3) and also has A10 on his target list. Farmers: u-f1 manages customer C1 and owns one
neglected partner deal on D1. Engine time ends at 2026-09-30T12:00:00Z (the last event), so the
30-day window starts 2026-08-31T12:00Z, the 45-day one 2026-08-16T12:00Z, the 90-day one
2026-07-02T12:00Z.
"""
import json

END = "2026-09-30T12:00:00Z"


class Stream:
    def __init__(self):
        self.events = []

    def add(self, type_, time, data, id_=None):
        event = {"specversion": "1.0", "id": id_ or f"sc-{len(self.events) + 1}",
                 "source": "scenario", "type": type_, "time": time, "data": data}
        self.events.append(event)
        return event

    def user(self, uid, role, team, quota=None, active=True, manager=None):
        data = {"user_id": uid, "name": uid, "email": f"{uid}@acme.example", "role": role,
                "team": team, "timezone": "UTC", "active": active}
        if quota is not None:
            data["quarterly_quota"] = quota
        if manager:
            data["manager_id"] = manager
        self.add("org.user.upserted", "2026-07-01T08:00:00Z", data)

    def account(self, aid, relationship, owner, targets=(), tier="B", time="2026-07-01T08:00:00Z"):
        self.add("crm.account.upserted", time,
                 {"account_id": aid, "name": aid, "domains": [f"{aid.lower()}.example"],
                  "relationship": relationship, "owner_id": owner, "icp_tier": tier,
                  "target_of": list(targets)})

    def contact(self, cid, account, role):
        self.add("crm.contact.upserted", "2026-07-01T08:00:00Z",
                 {"contact_id": cid, "account_id": account, "buying_role": role})

    def activity(self, time, actor, outcome, account=None, lead=None, contact=None, duration=None):
        data = {"activity_id": f"act-{len(self.events) + 1}", "actor_id": actor, "channel": "call",
                "direction": "outbound", "outcome": outcome}
        for key, value in (("account_id", account), ("lead_id", lead), ("contact_id", contact),
                           ("duration_s", duration)):
            if value is not None:
                data[key] = value
        return self.add("crm.activity.logged", time, data)

    def deal(self, time, oid, account, owner, stage, amount, close, created, origin,
             type_="new_business", loss_reason=None, priority=False, id_=None):
        data = {"opportunity_id": oid, "account_id": account, "owner_id": owner, "type": type_,
                "origin": origin, "stage": stage, "amount": amount, "close_date": close,
                "created_at": created, "customer_priority": priority}
        if loss_reason:
            data["loss_reason"] = loss_reason
        self.add("crm.opportunity.upserted", time, data, id_)


def events():
    s = Stream()
    s.user("u-vp", "executive", "leadership")
    s.user("u-m1", "manager", "hunters", manager="u-vp")
    s.user("u-h1", "rep", "hunters", quota=200000, manager="u-m1")
    s.user("u-h2", "rep", "hunters", quota=150000, manager="u-m1")
    s.user("u-f1", "rep", "farmers", quota=100000, manager="u-vp")
    s.user("u-f2", "rep", "farmers", quota=50000, active=False, manager="u-vp")
    for i in range(1, 10):
        s.account(f"A{i}", "prospect", "u-h1", ["u-h1"])
    s.account("A10", "prospect", "u-h1", ["u-h1", "u-h2"])
    for i in range(1, 5):
        s.account(f"B{i}", "prospect", "u-h2", tier="C")
    s.account("C1", "customer", "u-f1")
    s.account("D1", "prospect", "u-f1", tier="C")
    s.contact("c-A8-dm", "A8", "decision_maker")
    s.contact("c-A9-dm", "A9", "decision_maker")
    s.contact("c-A9-inf", "A9", "influencer")
    s.contact("c-B1-user", "B1", "user")
    for i in range(1, 5):
        s.add("crm.lead.upserted", "2026-07-01T09:00:00Z",
              {"lead_id": f"L{i}", "account_id": f"B{i}", "owner_id": "u-h2", "source": "inbound",
               "status": "working"})

    # A neglected partner deal on D1 (never any activity there), tied to a customer priority.
    s.deal("2026-07-01T10:00:00Z", "o-F1", "D1", "u-f1", "prospecting", 25000, "2026-09-30",
           "2026-07-01T10:00:00Z", "partner", priority=True)
    # u-h1 calls A1–A4 every day of 6–20 July, and A5–A7 every day of 1–15 September: nobody answers.
    first = None
    for day in range(6, 21):
        for i in range(1, 5):
            e = s.activity(f"2026-07-{day:02d}T14:00:00Z", "u-h1", "no_response", account=f"A{i}")
            first = first or e
    s.activity("2026-07-15T15:00:00Z", "u-h1", "connected", account="A8", contact="c-A8-dm")
    # Inbound deals on B1–B3.
    s.deal("2026-07-20T10:00:00Z", "o-B1", "B1", "u-h2", "proposal", 50000, "2026-09-25",
           "2026-07-20T10:00:00Z", "inbound")
    s.deal("2026-07-21T10:00:00Z", "o-B2", "B2", "u-h2", "solution", 40000, "2026-09-28",
           "2026-07-21T10:00:00Z", "inbound")
    s.deal("2026-07-22T10:00:00Z", "o-B3", "B3", "u-h2", "negotiation", 30000, "2026-09-15",
           "2026-07-22T10:00:00Z", "rfp")
    # An expansion on the customer: not new-business pipeline.
    s.deal("2026-07-23T10:00:00Z", "o-C1", "C1", "u-f1", "proposal", 20000, "2026-09-30",
           "2026-07-23T10:00:00Z", "seller_sourced", type_="expansion")
    for day in range(1, 21):
        s.activity(f"2026-08-{day:02d}T16:00:00Z", "u-f1", "connected", account="C1", duration=300)
    # o-B1 slips: into Q4, within Q4, into FY2027-Q1.
    s.deal("2026-08-10T10:00:00Z", "o-B1", "B1", "u-h2", "proposal", 50000, "2026-10-20",
           "2026-07-20T10:00:00Z", "inbound")
    for day in range(1, 16):
        for i in range(5, 8):
            s.activity(f"2026-09-{day:02d}T14:00:00Z", "u-h1", "no_response", account=f"A{i}")
    for day in range(1, 6):
        for i in range(1, 5):
            s.activity(f"2026-09-{day:02d}T15:00:00Z", "u-h2", "connected", account=f"B{i}",
                       lead=f"L{i}")
    s.deal("2026-09-10T10:00:00Z", "o-B1", "B1", "u-h2", "proposal", 50000, "2026-11-30",
           "2026-07-20T10:00:00Z", "inbound")
    s.deal("2026-09-12T10:00:00Z", "o-B1", "B1", "u-h2", "proposal", 50000, "2027-01-20",
           "2026-07-20T10:00:00Z", "inbound")
    s.deal("2026-09-15T10:00:00Z", "o-B3", "B3", "u-h2", "closed_lost", 30000, "2026-09-15",
           "2026-07-22T10:00:00Z", "rfp", loss_reason="competitor")
    # A9: the decision maker books a meeting, the influencer connects, a deal opens, work goes on.
    s.activity("2026-09-20T14:00:00Z", "u-h1", "meeting_booked", account="A9", contact="c-A9-dm")
    s.activity("2026-09-21T14:00:00Z", "u-h1", "connected", account="A9", contact="c-A9-inf")
    s.deal("2026-09-22T10:00:00Z", "o-A9", "A9", "u-h1", "discovery", 100000, "2026-12-15",
           "2026-09-22T10:00:00Z", "seller_sourced")
    s.activity("2026-09-23T14:00:00Z", "u-h1", "connected", account="A9", contact="c-A9-dm")
    # o-B2 is won for a little more than its amount; a late copy of an old snapshot changes nothing.
    s.deal("2026-09-28T10:00:00Z", "o-B2", "B2", "u-h2", "closed_won", 45000, "2026-09-28",
           "2026-07-21T10:00:00Z", "inbound")
    s.deal("2026-07-01T00:00:00Z", "o-B2", "B2", "u-h2", "closed_lost", 40000, "2026-09-28",
           "2026-07-21T10:00:00Z", "inbound")
    # A call about a lead nobody has recorded, with no account.
    s.activity("2026-09-29T09:00:00Z", "u-h2", "no_response", lead="L-ghost")
    # A redelivery, and the last event (an unchanged account snapshot) that sets engine time.
    s.events.append(dict(first))
    s.account("C1", "customer", "u-f1", time=END)
    return s.events


def lines():
    return [json.dumps(e) for e in events()]


def _series(**labels):
    return frozenset(labels.items())


H, F = "hunters", "farmers"

# Every non-zero series of every computed family, by hand.
EXPECTED = {
    "huntline_activities_total": {
        # A1–A4 15 days × 4 + A5–A7 15 days × 3, all on u-h1's target list, before any deal.
        _series(team=H, role="rep", behaviour="target_prospecting", outcome="no_response"): 105,
        _series(team=H, role="rep", behaviour="target_prospecting", outcome="connected"): 2,  # A8, A9
        _series(team=H, role="rep", behaviour="target_prospecting", outcome="meeting_booked"): 1,
        # A9 after its deal opened (1) and B1–B3 while their deals were open (3 × 5).
        _series(team=H, role="rep", behaviour="deal_work", outcome="connected"): 16,
        _series(team=H, role="rep", behaviour="inbound_followup", outcome="connected"): 5,  # B4
        _series(team=H, role="rep", behaviour="opportunistic_prospecting", outcome="no_response"): 1,
        _series(team=F, role="rep", behaviour="customer_management", outcome="connected"): 20,
    },
    "huntline_activity_seconds_total": {
        _series(team=F, role="rep", behaviour="customer_management"): 20 * 300,
    },
    "huntline_rep_activities_total": {
        _series(team=H, rep="u-h1", behaviour="target_prospecting"): 108,
        _series(team=H, rep="u-h1", behaviour="deal_work"): 1,
        _series(team=H, rep="u-h2", behaviour="deal_work"): 15,
        _series(team=H, rep="u-h2", behaviour="inbound_followup"): 5,
        _series(team=H, rep="u-h2", behaviour="opportunistic_prospecting"): 1,
        _series(team=F, rep="u-f1", behaviour="customer_management"): 20,
    },
    "huntline_prospects": {
        _series(team=H, engagement="unresponsive", outcome="in_play"): 7,  # A1–A7
        _series(team=H, engagement="gone_cold", outcome="in_play"): 1,  # A8: answered 15 July
        _series(team=H, engagement="multi_threaded", outcome="opportunity"): 1,  # A9
        _series(team=H, engagement="untouched", outcome="in_play"): 1,  # A10
        _series(team=H, engagement="responsive", outcome="opportunity"): 1,  # B1
        _series(team=H, engagement="responsive", outcome="won"): 1,  # B2
        _series(team=H, engagement="responsive", outcome="lost_competitor"): 1,  # B3
        _series(team=H, engagement="responsive", outcome="in_play"): 1,  # B4
        _series(team="unknown", engagement="unresponsive", outcome="in_play"): 1,  # lead:L-ghost
        # D1 is no prospect: no lead, on no target list, no prospecting activity.
    },
    "huntline_target_accounts": {
        _series(team=H, rep="u-h1"): 10,
        _series(team=H, rep="u-h2"): 1,
    },
    "huntline_target_accounts_touched": {
        _series(team=H, rep="u-h1"): 4,  # A5–A7 (to 15 Sep) and A9
    },
    "huntline_target_accounts_engaged": {
        _series(team=H, rep="u-h1"): 2,  # A8 (DM, 15 Jul) and A9 (DM, 20 and 23 Sep)
    },
    "huntline_pipeline_open_amount": {
        _series(team=H, stage_band="early", origin="seller_sourced"): 100000,  # o-A9
        _series(team=H, stage_band="mid", origin="inbound"): 50000,  # o-B1
        _series(team=F, stage_band="early", origin="partner"): 25000,  # o-F1
    },
    "huntline_pipeline_open_deals": {
        _series(team=H, stage_band="early", origin="seller_sourced"): 1,
        _series(team=H, stage_band="mid", origin="inbound"): 1,
        _series(team=F, stage_band="early", origin="partner"): 1,
    },
    "huntline_pipeline_created_amount_total": {
        _series(team=H, origin="seller_sourced"): 100000,
        _series(team=H, origin="inbound"): 90000,  # o-B1 50000 + o-B2 40000
        _series(team=H, origin="rfp"): 30000,
        _series(team=F, origin="partner"): 25000,
    },
    "huntline_pipeline_created_deals_total": {
        _series(team=H, origin="seller_sourced"): 1,
        _series(team=H, origin="inbound"): 2,
        _series(team=H, origin="rfp"): 1,
        _series(team=F, origin="partner"): 1,
    },
    "huntline_pipeline_quarter_amount": {
        _series(team=F): 25000,  # o-F1 closes 30 Sep; o-A9 and o-B1 close in later quarters
    },
    "huntline_won_quarter_amount": {
        _series(team=H): 45000,  # o-B2, closing 28 Sep
    },
    "huntline_quota_quarter_amount": {
        _series(team=H): 350000,
        _series(team=F): 100000,  # u-f2 is inactive
    },
    "huntline_close_date_pushes_total": {
        _series(team=H): 3,  # o-B1, three times
    },
    "huntline_pipeline_slipped_deals": {
        _series(team=H): 1,  # o-B1 crossed into Q4, then into FY2027-Q1
    },
    "huntline_pipeline_stale_deals": {
        _series(team=F): 1,  # o-F1: created 1 Jul, no activity on D1 ever
    },
    "huntline_pipeline_priority_linked_amount": {
        _series(team=F): 25000,
    },
    "huntline_deals_closed_total": {
        _series(team=H, origin="inbound", result="won", reason="none"): 1,
        _series(team=H, origin="rfp", result="lost", reason="competitor"): 1,
    },
    "huntline_pipeline_flow_amount_total": {
        _series(team=H, quarter="FY2026-Q3", change="created"): 120000,  # o-B1, o-B2, o-B3
        _series(team=H, quarter="FY2026-Q3", change="moved_out"): 50000,  # o-B1 to Q4
        _series(team=H, quarter="FY2026-Q3", change="increased"): 5000,  # o-B2 won at 45000
        _series(team=H, quarter="FY2026-Q3", change="won"): 45000,
        _series(team=H, quarter="FY2026-Q3", change="lost"): 30000,
        _series(team=H, quarter="FY2026-Q4", change="created"): 100000,  # o-A9
        _series(team=H, quarter="FY2026-Q4", change="moved_in"): 50000,
        _series(team=H, quarter="FY2026-Q4", change="moved_out"): 50000,
        _series(team=H, quarter="FY2027-Q1", change="moved_in"): 50000,
        _series(team=F, quarter="FY2026-Q3", change="created"): 25000,
    },
}
