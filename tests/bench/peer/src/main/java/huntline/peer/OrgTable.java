package huntline.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The global table of the org topic: every user's and account's snapshots with their times, so
 * that a look-up is as of the activity's time (metrics.md "As of a time"), which a GlobalKTable
 * (latest value per key only, and no versioned store for global tables) cannot give. Kept by
 * the global thread in a RocksDB store, read by the stream threads.
 *
 * <p>Keys: {@code u/<user_id>}, {@code a/<account_id>}, and {@code s/<source>\u001f<id>} for
 * each org event seen (a repeat changes nothing). Values: the time of the first snapshot, then
 * the versions in time order. A snapshot older than the latest held is stale and ignored; one at
 * the same time replaces it (events.md "Upserts are snapshots").
 */
final class OrgTable {
  static final String STORE = "org-versions";
  static final AtomicLong APPLIED = new AtomicLong();
  static final AtomicLong STALE = new AtomicLong();

  private OrgTable() {}

  static final class User {
    final String team;
    final String role;

    User(String team, String role) {
      this.team = team;
      this.role = role;
    }
  }

  static final class Account {
    final boolean customer;
    final boolean icpA;
    final List<String> targetOf;

    Account(boolean customer, boolean icpA, List<String> targetOf) {
      this.customer = customer;
      this.icpA = icpA;
      this.targetOf = targetOf;
    }
  }

  /** One entity's versions, decoded from the store. */
  private static final class Versions {
    long first;
    final List<Long> times = new ArrayList<>();
    final List<byte[]> rows = new ArrayList<>();

    static Versions decode(byte[] bytes) {
      final Versions v = new Versions();
      if (bytes == null) return v;
      final Bytes.In in = new Bytes.In(bytes);
      v.first = in.i64();
      final int n = in.i32();
      for (int i = 0; i < n; i++) {
        v.times.add(in.i64());
        v.rows.add(in.blob());
      }
      return v;
    }

    byte[] encode() {
      final Bytes.Out out = new Bytes.Out().i64(first).i32(times.size());
      for (int i = 0; i < times.size(); i++) {
        out.i64(times.get(i)).blob(rows.get(i));
      }
      return out.take();
    }

    /** False when stale. */
    boolean append(long time, byte[] row) {
      final int n = times.size();
      if (n > 0 && time < times.get(n - 1)) return false;
      if (n == 0) first = time;
      if (n > 0 && time == times.get(n - 1)) {
        rows.set(n - 1, row);  // the later read wins
      } else {
        times.add(time);
        rows.add(row);
      }
      return true;
    }

    /** The last version taking effect at or before `time`; null before the first. */
    byte[] asOf(long time) {
      if (times.isEmpty() || time < first) return null;
      byte[] found = null;
      for (int i = 0; i < times.size() && times.get(i) <= time; i++) found = rows.get(i);
      return found;
    }
  }

  static User userAsOf(ReadOnlyKeyValueStore<String, byte[]> store, String userId, long time) {
    final byte[] row = Versions.decode(store.get("u/" + userId)).asOf(time);
    if (row == null) return null;
    final Bytes.In in = new Bytes.In(row);
    return new User(in.str(), in.str());
  }

  static Account accountAsOf(ReadOnlyKeyValueStore<String, byte[]> store, String accountId, long time) {
    final byte[] row = Versions.decode(store.get("a/" + accountId)).asOf(time);
    if (row == null) return null;
    final Bytes.In in = new Bytes.In(row);
    final boolean customer = in.bool();
    final boolean icpA = in.bool();
    final int n = in.i32();
    final List<String> targets = new ArrayList<>(n);
    for (int i = 0; i < n; i++) targets.add(in.str());
    return new Account(customer, icpA, targets);
  }

  /** The global store's update processor: parses each org event with Jackson. */
  static final class Updater implements Processor<String, byte[], Void, Void> {
    private final ObjectMapper mapper = new ObjectMapper();
    private KeyValueStore<String, byte[]> store;

    @Override
    public void init(ProcessorContext<Void, Void> context) {
      store = context.getStateStore(STORE);
    }

    @Override
    public void process(Record<String, byte[]> record) {
      if (record.value() == null) return;  // a tombstone: the generated stream has none
      final JsonNode event;
      final long time;
      try {
        event = mapper.readTree(record.value());
        time = CrmRecord.parseTime(event.get("time").asText());
      } catch (Exception e) {
        return;  // not a contract event: Huntline dead-letters it
      }
      final String seen = "s/" + event.path("source").asText() + "\u001f" + event.path("id").asText();
      if (store.get(seen) != null) return;
      store.put(seen, new byte[0]);
      final JsonNode data = event.path("data");
      final String key;
      final byte[] row;
      switch (event.path("type").asText()) {
        case "org.user.upserted":
          key = "u/" + data.path("user_id").asText();
          row = new Bytes.Out().str(data.path("team").asText()).str(data.path("role").asText()).take();
          break;
        case "crm.account.upserted": {
          key = "a/" + data.path("account_id").asText();
          final Bytes.Out out = new Bytes.Out().bool("customer".equals(data.path("relationship").asText()))
              .bool("A".equals(data.path("icp_tier").asText()));
          final JsonNode targets = data.path("target_of");
          out.i32(targets.size());
          for (JsonNode t : targets) out.str(t.asText());
          row = out.take();
          break;
        }
        default:
          return;  // contacts: not needed by the activity counters
      }
      final Versions versions = Versions.decode(store.get(key));
      if (!versions.append(time, row)) {
        STALE.incrementAndGet();
        return;
      }
      store.put(key, versions.encode());
      APPLIED.incrementAndGet();
    }
  }
}
