package huntline.peer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The one task that sees every crm partition, merged in event-time order: keeps the leads and
 * opportunities (RocksDB stores), classifies each activity as metrics.md "Classifying one
 * activity" says (the same rules, in the same order, as Huntline's processors/classify.cc) and
 * forwards it keyed by {@code team|role|behaviour|outcome} for the count.
 */
final class Classifier implements Processor<Integer, byte[], String, byte[]> {
  static final String SEEN = "crm-seen";
  static final String LEADS = "crm-leads";
  static final String OPPORTUNITIES = "crm-opportunities";
  static final String ACCOUNTS = "crm-accounts";
  static final String[] STORES = {SEEN, LEADS, OPPORTUNITIES, ACCOUNTS};

  static final AtomicLong EVENTS = new AtomicLong();
  static final AtomicLong DUPLICATES = new AtomicLong();
  static final AtomicLong STALE = new AtomicLong();
  static final AtomicLong ACTIVITIES = new AtomicLong();
  /** Records older than one already processed: a partition merged late (0 on the generated
   * stream, whose crm partitions each hold their events in time order). */
  static final AtomicLong BEHIND = new AtomicLong();

  private static final long NO_TIME = Long.MIN_VALUE;
  private static final long LOST_DEAL_FOLLOWUP_MS = 365L * 24 * 3600 * 1000;  // thresholds default
  private static final int OPEN = 0;
  private static final int WON = 1;
  private static final int LOST = 2;
  private static final byte[] EMPTY = new byte[0];

  private ProcessorContext<String, byte[]> context;
  private ReadOnlyKeyValueStore<String, byte[]> org;
  private KeyValueStore<String, byte[]> seen;
  private KeyValueStore<String, byte[]> leads;
  private KeyValueStore<String, byte[]> opportunities;
  private KeyValueStore<String, byte[]> accounts;
  /** Processing order, for "ties broken by processing order". In memory: a restart starts again. */
  private long seq;
  private long latest = Long.MIN_VALUE;

  /** A lead as this task holds it. */
  private static final class Lead {
    long updated;
    String accountId;
    boolean inboundSource;  // source inbound or rfp
    boolean live;           // status neither disqualified nor converted

    static Lead decode(byte[] bytes) {
      if (bytes == null) return null;
      final Bytes.In in = new Bytes.In(bytes);
      final Lead l = new Lead();
      l.updated = in.i64();
      l.accountId = in.opt();
      l.inboundSource = in.bool();
      l.live = in.bool();
      return l;
    }

    byte[] encode() {
      return new Bytes.Out().i64(updated).opt(accountId).bool(inboundSource).bool(live).take();
    }
  }

  /** An opportunity as this task holds it. */
  private static final class Opportunity {
    String id;
    long updated;
    String accountId;
    boolean newBusiness;
    int stage;
    long closedAt = NO_TIME;
    long seq;

    long orderTime() {
      return stage == OPEN ? updated : closedAt;
    }

    static Opportunity read(Bytes.In in) {
      final Opportunity o = new Opportunity();
      o.id = in.str();
      o.updated = in.i64();
      o.accountId = in.str();
      o.newBusiness = in.bool();
      o.stage = in.u8();
      o.closedAt = in.i64();
      o.seq = in.i64();
      return o;
    }

    void write(Bytes.Out out) {
      out.str(id).i64(updated).str(accountId).bool(newBusiness).u8(stage).i64(closedAt).i64(seq);
    }
  }

  /** What the classification reads of an account: its opportunities and leads (the index by account). */
  private static final class AccountCrm {
    final List<Opportunity> opportunities = new ArrayList<>();
    final List<String> leadIds = new ArrayList<>();
    final List<Boolean> leadCounts = new ArrayList<>();  // live and of an inbound source

    static AccountCrm decode(byte[] bytes) {
      final AccountCrm a = new AccountCrm();
      if (bytes == null) return a;
      final Bytes.In in = new Bytes.In(bytes);
      for (int n = in.i32(); n > 0; n--) a.opportunities.add(Opportunity.read(in));
      for (int n = in.i32(); n > 0; n--) {
        a.leadIds.add(in.str());
        a.leadCounts.add(in.bool());
      }
      return a;
    }

    byte[] encode() {
      final Bytes.Out out = new Bytes.Out().i32(opportunities.size());
      for (Opportunity o : opportunities) o.write(out);
      out.i32(leadIds.size());
      for (int i = 0; i < leadIds.size(); i++) out.str(leadIds.get(i)).bool(leadCounts.get(i));
      return out.take();
    }

    boolean empty() {
      return opportunities.isEmpty() && leadIds.isEmpty();
    }
  }

  @Override
  public void init(ProcessorContext<String, byte[]> context) {
    this.context = context;
    org = context.getStateStore(OrgTable.STORE);
    seen = context.getStateStore(SEEN);
    leads = context.getStateStore(LEADS);
    opportunities = context.getStateStore(OPPORTUNITIES);
    accounts = context.getStateStore(ACCOUNTS);
  }

  private void putAccount(String accountId, AccountCrm crm) {
    if (crm.empty()) {
      accounts.delete(accountId);
    } else {
      accounts.put(accountId, crm.encode());
    }
  }

  private boolean applyLead(CrmRecord r) {
    final Lead held = Lead.decode(leads.get(r.entityId));
    if (held != null && r.time < held.updated) return false;
    final Lead lead = new Lead();
    lead.updated = r.time;
    lead.accountId = r.accountId;
    lead.inboundSource = "inbound".equals(r.a) || "rfp".equals(r.a);
    lead.live = !"disqualified".equals(r.b) && !"converted".equals(r.b);
    leads.put(r.entityId, lead.encode());
    final String old = held == null ? null : held.accountId;
    if (old != null && !old.equals(lead.accountId)) {
      final AccountCrm a = AccountCrm.decode(accounts.get(old));
      final int i = a.leadIds.indexOf(r.entityId);
      if (i >= 0) {
        a.leadIds.remove(i);
        a.leadCounts.remove(i);
      }
      putAccount(old, a);
    }
    if (lead.accountId != null) {
      final AccountCrm a = AccountCrm.decode(accounts.get(lead.accountId));
      final int i = a.leadIds.indexOf(r.entityId);
      final boolean counts = lead.live && lead.inboundSource;
      if (i >= 0) {
        a.leadCounts.set(i, counts);
      } else {
        a.leadIds.add(r.entityId);
        a.leadCounts.add(counts);
      }
      putAccount(lead.accountId, a);
    }
    return true;
  }

  private static int stageOf(String stage) {
    switch (stage) {
      case "closed_won":
        return WON;
      case "closed_lost":
        return LOST;
      default:
        return OPEN;
    }
  }

  private boolean applyOpportunity(CrmRecord r) {
    final byte[] heldBytes = opportunities.get(r.entityId);
    final Opportunity held = heldBytes == null ? null : Opportunity.read(new Bytes.In(heldBytes));
    if (held != null && r.time < held.updated) return false;
    final Opportunity o = new Opportunity();
    o.id = r.entityId;
    o.updated = r.time;
    o.accountId = r.accountId;
    o.newBusiness = "new_business".equals(r.a);
    o.stage = stageOf(r.b);
    o.seq = seq;
    final boolean wasOpen = held == null || held.stage == OPEN;
    if (o.stage == OPEN) {
      o.closedAt = NO_TIME;
    } else if (wasOpen) {
      o.closedAt = r.time;  // moved into a closed stage (from open, or first seen closed)
    } else {
      o.closedAt = held.closedAt;
    }
    final Bytes.Out out = new Bytes.Out();
    o.write(out);
    opportunities.put(o.id, out.take());
    if (held != null && !held.accountId.equals(o.accountId)) {
      final AccountCrm a = AccountCrm.decode(accounts.get(held.accountId));
      a.opportunities.removeIf(x -> x.id.equals(o.id));
      putAccount(held.accountId, a);
    }
    final AccountCrm a = AccountCrm.decode(accounts.get(o.accountId));
    boolean replaced = false;
    for (int i = 0; i < a.opportunities.size(); i++) {
      if (a.opportunities.get(i).id.equals(o.id)) {
        a.opportunities.set(i, o);
        replaced = true;
      }
    }
    if (!replaced) a.opportunities.add(o);
    putAccount(o.accountId, a);
    return true;
  }

  private String behaviour(CrmRecord r) {
    Lead named = r.leadId == null ? null : Lead.decode(leads.get(r.leadId));
    final String accountId = r.accountId != null ? r.accountId : named == null ? null : named.accountId;
    final OrgTable.Account account = accountId == null ? null : OrgTable.accountAsOf(org, accountId, r.time);
    // 1. customer_management: the account's relationship is customer (as of the activity).
    if (account != null && account.customer) return "customer_management";
    final AccountCrm crm = accountId == null ? null : AccountCrm.decode(accounts.get(accountId));
    if (crm != null) {
      // 2. deal_work: an open opportunity of any type.
      for (Opportunity o : crm.opportunities) {
        if (o.stage == OPEN) return "deal_work";
      }
      // 3. lost_deal_followup: the latest new-business deal closed lost, at most 365 days before
      // (latest: by its time, a closed deal by its closed-at time; ties by processing order).
      Opportunity latest = null;
      for (Opportunity o : crm.opportunities) {
        if (o.newBusiness && (latest == null || o.orderTime() > latest.orderTime()
            || (o.orderTime() == latest.orderTime() && o.seq > latest.seq))) {
          latest = o;
        }
      }
      if (latest != null && latest.stage == LOST && latest.closedAt <= r.time
          && r.time - latest.closedAt <= LOST_DEAL_FOLLOWUP_MS) {
        return "lost_deal_followup";
      }
    }
    // 4. inbound_followup: the named lead's source, else any live lead of the account.
    if (named != null) {
      if (named.inboundSource) return "inbound_followup";
    } else if (crm != null && crm.leadCounts.contains(Boolean.TRUE)) {
      return "inbound_followup";
    }
    if (!"outbound".equals(r.a)) return "other";
    // 5. target_prospecting: the actor is in target_of, or ICP tier A.
    if (account != null && (account.icpA || account.targetOf.contains(r.actorId))) return "target_prospecting";
    return "opportunistic_prospecting";
  }

  @Override
  public void process(Record<Integer, byte[]> record) {
    final CrmRecord r = CrmRecord.decode(record.value());
    if (r.kind == CrmRecord.END) return;
    EVENTS.incrementAndGet();
    if (record.timestamp() < latest && BEHIND.incrementAndGet() <= 5) {
      System.err.println("huntline-streams-peer: merged out of event-time order: " + context.recordMetadata()
          .map(m -> m.topic() + "/" + m.partition() + "@" + m.offset()).orElse("?") + " at " + record.timestamp()
          + " after " + latest);
    }
    latest = Math.max(latest, record.timestamp());
    final String id = r.source + "\u001f" + r.id;
    if (seen.get(id) != null) {
      DUPLICATES.incrementAndGet();
      return;
    }
    seen.put(id, EMPTY);
    ++seq;
    switch (r.kind) {
      case CrmRecord.LEAD:
        if (!applyLead(r)) STALE.incrementAndGet();
        return;
      case CrmRecord.OPPORTUNITY:
        if (!applyOpportunity(r)) STALE.incrementAndGet();
        return;
      case CrmRecord.ACTIVITY: {
        final OrgTable.User actor = OrgTable.userAsOf(org, r.actorId, r.time);
        final String group = String.join("|", actor == null ? "unknown" : actor.team,
            actor == null ? "unknown" : actor.role, behaviour(r), r.b);
        ACTIVITIES.incrementAndGet();
        context.forward(new Record<>(group, EMPTY, record.timestamp()));
        return;
      }
      default:
    }
  }
}
