package huntline.peer;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.OffsetDateTime;

/**
 * A crm topic event reduced to what the activity counters need (events.md): parsed once with
 * Jackson by the first sub-topology, carried to the merging task in this compact form.
 */
final class CrmRecord {
  static final int LEAD = 1;
  static final int OPPORTUNITY = 2;
  static final int ACTIVITY = 3;
  /** The end of a crm partition's backlog (ActivityCounts.END_OFFSETS). */
  static final int END = 4;
  static final byte[] END_MARKER = {END};

  int kind;
  String source;
  String id;
  long time;
  // lead: id, account?, source, status; opportunity: id, account, type, stage;
  // activity: actor, account?, lead?, direction, outcome.
  String entityId;
  String accountId;
  String leadId;
  String a;
  String b;
  String actorId;

  /** Event time in epoch milliseconds (RFC 3339 with offset). */
  static long parseTime(String text) {
    return OffsetDateTime.parse(text).toInstant().toEpochMilli();
  }

  private static String text(JsonNode node, String field) {
    final JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  private static String required(JsonNode node, String field) {
    final String v = text(node, field);
    if (v == null) throw new IllegalArgumentException("missing " + field);
    return v;
  }

  /** Null for an event of another type (org or people events never reach here on the crm topic). */
  static CrmRecord fromJson(JsonNode event) {
    final String type = required(event, "type");
    final JsonNode data = event.get("data");
    if (data == null || !data.isObject()) throw new IllegalArgumentException("no data");
    final CrmRecord r = new CrmRecord();
    switch (type) {
      case "crm.lead.upserted":
        r.kind = LEAD;
        r.entityId = required(data, "lead_id");
        r.accountId = text(data, "account_id");
        r.a = required(data, "source");
        r.b = required(data, "status");
        break;
      case "crm.opportunity.upserted":
        r.kind = OPPORTUNITY;
        r.entityId = required(data, "opportunity_id");
        r.accountId = required(data, "account_id");
        r.a = required(data, "type");
        r.b = required(data, "stage");
        break;
      case "crm.activity.logged":
        r.kind = ACTIVITY;
        r.entityId = required(data, "activity_id");
        r.actorId = required(data, "actor_id");
        r.accountId = text(data, "account_id");
        r.leadId = text(data, "lead_id");
        if (r.accountId == null && r.leadId == null) throw new IllegalArgumentException("no account_id nor lead_id");
        r.a = required(data, "direction");
        r.b = required(data, "outcome");
        break;
      default:
        return null;
    }
    r.source = required(event, "source");
    r.id = required(event, "id");
    r.time = parseTime(required(event, "time"));
    return r;
  }

  byte[] encode() {
    return new Bytes.Out().u8(kind).str(source).str(id).i64(time).str(entityId).opt(accountId)
        .opt(leadId).str(a).str(b).opt(actorId).take();
  }

  static CrmRecord decode(byte[] bytes) {
    final Bytes.In in = new Bytes.In(bytes);
    final CrmRecord r = new CrmRecord();
    r.kind = in.u8();
    if (r.kind == END) return r;
    r.source = in.str();
    r.id = in.str();
    r.time = in.i64();
    r.entityId = in.str();
    r.accountId = in.opt();
    r.leadId = in.opt();
    r.a = in.str();
    r.b = in.str();
    r.actorId = in.opt();
    return r;
  }
}
