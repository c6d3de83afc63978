package huntline.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.GlobalKTable;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The minimal application ({@code --topology minimal}): a GlobalKTable of users, the crm
 * stream parsed with Jackson, joined on the actor, groupBy(team, role, behaviour, outcome).count()
 * into RocksDB. Its counts are not Huntline's (see README.md, "The minimal topology"):
 *
 * <ul>
 *   <li>each user's team and role are those of the last {@code org.user.upserted} on the org
 *       topic (a GlobalKTable holds the latest value of a key), not as of the activity's time;
 *   <li>no account, lead or deal state: every activity is classified as metrics.md classifies one
 *       whose account (or lead) is unknown, so rules 1–5 never match and the direction decides:
 *       {@code outbound} is {@code opportunistic_prospecting} (rule 6), anything else
 *       {@code other} (rule 7);
 *   <li>the crm partitions are read as they come, each on its own task; no (source, id)
 *       deduplication.
 * </ul>
 */
final class MinimalTopology {
  static final String USERS = "users";
  static final AtomicLong CRM_EVENTS = new AtomicLong();
  static final AtomicLong ACTIVITIES = new AtomicLong();
  static final AtomicLong REJECTED = new AtomicLong();

  private MinimalTopology() {}

  /** The fields of one crm.activity.logged the count needs. */
  static final class Activity {
    final String actorId;
    final String direction;
    final String outcome;

    Activity(String actorId, String direction, String outcome) {
      this.actorId = actorId;
      this.direction = direction;
      this.outcome = outcome;
    }
  }

  /**
   * The org topic's values as the GlobalKTable reads them: an {@code org.user.upserted} event is a
   * User, any other org event (accounts, contacts) nothing. Kafka Streams fills a GlobalKTable's
   * store with the topic's bytes as they are (no deserialization while it loads) and deserializes
   * at each look-up, so the store holds every org entity by its id and a look-up by an actor id
   * finds a user or nothing. The serializer writes an event this deserializer reads back (used
   * only for records the global thread applies after the load).
   */
  static final class UserSerde implements Serde<OrgTable.User> {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Override
    public Serializer<OrgTable.User> serializer() {
      return (topic, user) -> {
        if (user == null) return null;
        final ObjectNode event = MAPPER.createObjectNode().put("type", "org.user.upserted");
        event.putObject("data").put("team", user.team).put("role", user.role);
        try {
          return MAPPER.writeValueAsBytes(event);
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      };
    }

    @Override
    public Deserializer<OrgTable.User> deserializer() {
      return (topic, bytes) -> {
        if (bytes == null) return null;
        try {
          final JsonNode event = MAPPER.readTree(bytes);
          if (!"org.user.upserted".equals(event.path("type").asText())) return null;
          final JsonNode data = event.path("data");
          return new OrgTable.User(data.path("team").asText(), data.path("role").asText());
        } catch (Exception e) {
          return null;  // not a contract event: ignored
        }
      };
    }
  }

  /** Jackson over one crm value: the activity's fields, or nothing for another type. */
  static List<Activity> parse(ObjectMapper mapper, byte[] value) {
    ActivityCounts.recordRead();
    CRM_EVENTS.incrementAndGet();
    if (value == null) return List.of();
    try {
      final JsonNode event = mapper.readTree(value);
      if (!"crm.activity.logged".equals(event.path("type").asText())) return List.of();
      final JsonNode data = event.get("data");
      final String actor = data.get("actor_id").asText();
      final String direction = data.get("direction").asText();
      final String outcome = data.get("outcome").asText();
      ACTIVITIES.incrementAndGet();
      return List.of(new Activity(actor, direction, outcome));
    } catch (Exception e) {
      REJECTED.incrementAndGet();
      return List.of();
    }
  }

  /** metrics.md rules 6 and 7: all that can match without the account, its leads and deals. */
  static String behaviour(Activity a) {
    return "outbound".equals(a.direction) ? "opportunistic_prospecting" : "other";
  }

  static void build(StreamsBuilder builder, String orgTopic, String crmTopic) {
    final GlobalKTable<String, OrgTable.User> users = builder.globalTable(orgTopic,
        Consumed.with(Serdes.String(), new UserSerde()),
        Materialized.<String, OrgTable.User, KeyValueStore<Bytes, byte[]>>as(USERS)
            .withKeySerde(Serdes.String()).withValueSerde(new UserSerde()));
    final ObjectMapper mapper = new ObjectMapper();
    builder.stream(crmTopic, Consumed.with(Serdes.String(), Serdes.ByteArray()))
        .flatMapValues(value -> parse(mapper, value))
        .leftJoin(users, (key, activity) -> activity.actorId, (activity, user) -> String.join("|",
            user == null ? "unknown" : user.team, user == null ? "unknown" : user.role, behaviour(activity),
            activity.outcome))
        .groupBy((key, group) -> group, Grouped.with("by-group", Serdes.String(), Serdes.String()))
        .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as(ActivityCounts.COUNTS)
            .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()));
  }
}
