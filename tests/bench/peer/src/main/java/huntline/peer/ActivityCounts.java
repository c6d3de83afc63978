package huntline.peer;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.IntegerSerializer;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The Kafka Streams peer of Huntline's activity counters (issue 16): huntline_activities_total by
 * (team, role, behaviour, outcome), computed from the same org and crm topics. See README.md.
 * {@code --topology exact} (the default) computes the contract's counts; {@code --topology
 * minimal} is the minimal application (MinimalTopology), whose counts are not the
 * contract's.
 *
 * <pre>
 * java -jar huntline-streams-peer.jar --bootstrap HOST:PORT --org-topic T --crm-topic T
 *     --application-id ID --state-dir DIR --expect-activities N [--topology exact|minimal]
 *     [--threads 2] [--commit-interval-ms 30000] [--cache-max-bytes 10485760]
 *     [--max-task-idle-ms 60000 (exact; minimal: Kafka Streams' default)] [--timeout-s 600]
 * </pre>
 *
 * Prints JSON lines on stdout: {"event":"running",…} once the global table is loaded and the
 * threads run, {"event":"progress",…} each second, then {"event":"done",…,"counts":{…}} once the
 * count store holds N activities, and exits (status 2 if N was not reached in time).
 */
public final class ActivityCounts {
  static final String COUNTS = "activity-counts";
  static final AtomicLong FIRST_RECORD_NANOS = new AtomicLong();
  /** The process's CPU time (utime+stime, every thread) when the first crm record was read. */
  static final AtomicLong FIRST_RECORD_CPU_NANOS = new AtomicLong();
  private static final ObjectMapper JSON = new ObjectMapper();

  private ActivityCounts() {}

  /** Called with each crm record read: notes the first one's time and the CPU spent until then. */
  static void recordRead() {
    if (FIRST_RECORD_NANOS.get() == 0 && FIRST_RECORD_NANOS.compareAndSet(0, System.nanoTime())) {
      FIRST_RECORD_CPU_NANOS.set(processCpuNanos());
    }
  }

  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  /**
   * Each crm partition's end offset when the peer started: the peer reads the backlog present at
   * its start (records produced later are merged after it). The merging task waits for every
   * input partition to hold data (max.task.idle.ms, long by default) so that it merges them in
   * event-time order whatever the stalls of the first sub-topology; after a partition's last
   * record the first sub-topology sends an end marker stamped with the largest timestamp, which
   * stays at the head of that input until the others are drained too, so the end of the backlog
   * costs no wait.
   */
  static final Map<Integer, Long> END_OFFSETS = new java.util.concurrent.ConcurrentHashMap<>();
  static final long END_TIME = Long.MAX_VALUE;

  /** First sub-topology, one task per crm partition: parses each event with Jackson. */
  static final class Parse implements Processor<String, byte[], Integer, byte[]> {
    private final ObjectMapper mapper = new ObjectMapper();
    private ProcessorContext<Integer, byte[]> context;
    static final AtomicLong REJECTED = new AtomicLong();

    @Override
    public void init(ProcessorContext<Integer, byte[]> context) {
      this.context = context;
    }

    @Override
    public void process(Record<String, byte[]> record) {
      recordRead();
      final RecordMetadata metadata = context.recordMetadata().orElseThrow();
      final int partition = metadata.partition();
      CrmRecord r = null;
      try {
        r = record.value() == null ? null : CrmRecord.fromJson(mapper.readTree(record.value()));
      } catch (Exception e) {
        REJECTED.incrementAndGet();  // Huntline dead-letters it
      }
      // Keyed by the crm partition it came from; stamped with its event time, by which the
      // merging task orders its input partitions.
      if (r != null) context.forward(new Record<>(partition, r.encode(), r.time));
      if (metadata.offset() + 1 == END_OFFSETS.getOrDefault(partition, -1L)) {
        context.forward(new Record<>(partition, CrmRecord.END_MARKER, END_TIME));
      }
    }
  }

  static Map<String, String> parseArgs(String[] args) {
    final Map<String, String> a = new LinkedHashMap<>();
    a.put("topology", "exact");
    a.put("threads", "2");
    a.put("commit-interval-ms", "30000");   // Kafka Streams' default under at_least_once
    a.put("cache-max-bytes", "10485760");   // Kafka Streams' default statestore.cache.max.bytes
    a.put("timeout-s", "600");
    for (int i = 0; i < args.length; i++) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) usage("bad argument " + args[i]);
      a.put(args[i].substring(2), args[++i]);
    }
    if (!List.of("exact", "minimal").contains(a.get("topology"))) usage("--topology is exact or minimal");
    // The exact topology's merging task waits for data on every input; the minimal one has no
    // merge and keeps Kafka Streams' default unless told otherwise.
    if (a.get("topology").equals("exact")) a.putIfAbsent("max-task-idle-ms", "60000");
    for (String required : List.of("bootstrap", "org-topic", "crm-topic", "application-id", "state-dir",
        "expect-activities")) {
      if (!a.containsKey(required)) usage("missing --" + required);
    }
    return a;
  }

  static void usage(String why) {
    System.err.println("huntline-streams-peer: " + why + "\nusage: --bootstrap B --org-topic T --crm-topic T "
        + "--application-id ID --state-dir DIR --expect-activities N [--topology exact|minimal] [--threads 2] "
        + "[--commit-interval-ms 30000] [--cache-max-bytes 10485760] [--max-task-idle-ms 60000] [--timeout-s 600]");
    System.exit(64);
  }

  static KStream<String, byte[]> classified(StreamsBuilder builder, String orgTopic, String crmTopic, int partitions) {
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(OrgTable.STORE), Serdes.String(),
            Serdes.ByteArray()).withLoggingDisabled(),
        orgTopic, Consumed.with(Serdes.String(), Serdes.ByteArray()), OrgTable.Updater::new);
    for (String store : Classifier.STORES) {
      // Cached like the DSL's stores (the Processor API's are not by default): a key written
      // several times between commits goes once to RocksDB and to its changelog topic.
      builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store),
          Serdes.String(), Serdes.ByteArray()).withCachingEnabled());
    }
    final KStream<Integer, byte[]> parsed = builder
        .stream(crmTopic, Consumed.with(Serdes.String(), Serdes.ByteArray()).withName("crm"))
        .process(Parse::new);
    // Each crm partition to a one-partition topic of its own; merged, they make one task,
    // which Kafka Streams feeds from its input partitions in timestamp (event-time) order.
    KStream<Integer, byte[]> merged = null;
    for (int p = 0; p < partitions; p++) {
      final int partition = p;
      final KStream<Integer, byte[]> one = parsed.filter((k, v) -> k == partition)
          .repartition(Repartitioned.<Integer, byte[]>as("crm-" + p).withKeySerde(Serdes.Integer())
              .withValueSerde(Serdes.ByteArray()).withNumberOfPartitions(1));
      merged = merged == null ? one : merged.merge(one);
    }
    return merged.process(Classifier::new, Classifier.STORES);
  }

  /**
   * Creates the repartition topics before Kafka Streams starts. Left to Kafka Streams, a first
   * start on a broker could hand the merging task its input partitions before every one of
   * those topics was known (its creation still propagating), and the task then read the other
   * partitions ahead in event time until the missing one was added by a later rebalance.
   */
  static void createRepartitionTopics(Admin admin, String applicationId, int partitions) throws Exception {
    final Map<String, String> config = Map.of("cleanup.policy", "delete", "retention.ms", "-1",
        "segment.bytes", "52428800", "message.timestamp.type", "CreateTime",
        "message.timestamp.after.max.ms", String.valueOf(Long.MAX_VALUE));  // the end markers
    final List<NewTopic> topics = new ArrayList<>();
    for (int p = 0; p < partitions; p++) {
      topics.add(new NewTopic(applicationId + "-crm-" + p + "-repartition", 1, (short) -1).configs(config));
    }
    topics.add(new NewTopic(applicationId + "-by-group-repartition", partitions, (short) -1).configs(config));
    for (Map.Entry<String, KafkaFuture<Void>> created : admin.createTopics(topics).values().entrySet()) {
      try {
        created.getValue().get();
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) throw e;
      }
    }
    final List<String> names = topics.stream().map(NewTopic::name).collect(Collectors.toList());
    final long deadline = System.nanoTime() + 30_000_000_000L;
    while (true) {
      try {
        admin.describeTopics(names).allTopicNames().get();
        return;
      } catch (ExecutionException e) {
        if (System.nanoTime() > deadline) throw e;
        Thread.sleep(100);
      }
    }
  }

  /** A crm partition with no record gets its end marker from here: nothing else would send it. */
  static void endEmptyPartitions(String bootstrap, String applicationId, int partitions) {
    final Properties props = new Properties();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (KafkaProducer<Integer, byte[]> producer = new KafkaProducer<>(props, new IntegerSerializer(),
        new ByteArraySerializer())) {
      for (int p = 0; p < partitions; p++) {
        if (END_OFFSETS.getOrDefault(p, 0L) == 0) {
          producer.send(new ProducerRecord<>(applicationId + "-crm-" + p + "-repartition", 0, END_TIME, p,
              CrmRecord.END_MARKER));
        }
      }
    }
  }

  public static void main(String[] args) throws Exception {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    // Says when the merging task gave up waiting for a partition (possible disorder).
    System.setProperty("org.slf4j.simpleLogger.log.org.apache.kafka.streams.processor.internals.PartitionGroup", "info");
    final long start = System.nanoTime();
    final Map<String, String> a = parseArgs(args);
    final long expected = Long.parseLong(a.get("expect-activities"));
    final String crmTopic = a.get("crm-topic");
    final boolean exact = a.get("topology").equals("exact");

    final StreamsBuilder builder = new StreamsBuilder();
    Integer partitions = null;  // the minimal topology asks the broker nothing before it starts
    if (exact) {
      final Properties adminProps = new Properties();
      adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, a.get("bootstrap"));
      try (Admin admin = Admin.create(adminProps)) {
        partitions = admin.describeTopics(List.of(crmTopic)).allTopicNames().get().get(crmTopic).partitions().size();
        final Map<TopicPartition, OffsetSpec> latest = new java.util.HashMap<>();
        for (int p = 0; p < partitions; p++) latest.put(new TopicPartition(crmTopic, p), OffsetSpec.latest());
        admin.listOffsets(latest).all().get().forEach((tp, info) -> END_OFFSETS.put(tp.partition(), info.offset()));
        createRepartitionTopics(admin, a.get("application-id"), partitions);
        endEmptyPartitions(a.get("bootstrap"), a.get("application-id"), partitions);
      }
      // groupBy(team, role, behaviour, outcome).count(), the groups spread over as many
      // partitions as the crm topic has (a plain groupBy would inherit the merged stream's one
      // partition).
      classified(builder, a.get("org-topic"), crmTopic, partitions)
          .repartition(Repartitioned.<String, byte[]>as("by-group").withKeySerde(Serdes.String())
              .withValueSerde(Serdes.ByteArray()).withNumberOfPartitions(partitions))
          .groupByKey(Grouped.with(Serdes.String(), Serdes.ByteArray()))
          .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as(COUNTS)
              .withKeySerde(Serdes.String()).withValueSerde(Serdes.Long()));
    } else {
      MinimalTopology.build(builder, a.get("org-topic"), crmTopic);
    }

    final Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, a.get("application-id"));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, a.get("bootstrap"));
    props.put(StreamsConfig.STATE_DIR_CONFIG, a.get("state-dir"));
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, Integer.parseInt(a.get("threads")));
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.parseLong(a.get("commit-interval-ms")));
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, Long.parseLong(a.get("cache-max-bytes")));
    if (a.containsKey("max-task-idle-ms")) {
      props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, Long.parseLong(a.get("max-task-idle-ms")));
    }
    props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");

    final KafkaStreams streams = new KafkaStreams(builder.build(props), props);
    final Integer partitionCount = partitions;
    final long[] runningAt = {0};
    streams.setStateListener((now, before) -> {
      System.err.println("huntline-streams-peer: " + before + " -> " + now + " at " + (System.nanoTime() - start) / 1_000_000 + " ms");
      if (now == KafkaStreams.State.RUNNING && runningAt[0] == 0) {
        runningAt[0] = System.nanoTime();
        final Map<String, Object> running = new LinkedHashMap<>();
        running.put("event", "running");
        running.put("topology", a.get("topology"));
        running.put("ms", (runningAt[0] - start) / 1_000_000);
        if (exact) {
          running.put("crm_partitions", partitionCount);
          running.put("org_snapshots", OrgTable.APPLIED.get());
        }
        emit(running);
      }
    });
    streams.setUncaughtExceptionHandler(e -> {
      e.printStackTrace();
      return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
          .SHUTDOWN_CLIENT;
    });
    streams.start();

    final long deadline = start + Long.parseLong(a.get("timeout-s")) * 1_000_000_000L;
    long lastProgress = System.nanoTime();
    Map<String, Long> counts = new TreeMap<>();
    long total = 0;
    while (System.nanoTime() < deadline) {
      if (streams.state() == KafkaStreams.State.ERROR || streams.state() == KafkaStreams.State.NOT_RUNNING
          || streams.state() == KafkaStreams.State.PENDING_ERROR) {
        break;
      }
      try {
        final ReadOnlyKeyValueStore<String, Long> store = streams.store(
            StoreQueryParameters.fromNameAndType(COUNTS, QueryableStoreTypes.keyValueStore()));
        final Map<String, Long> now = new TreeMap<>();
        long sum = 0;
        try (KeyValueIterator<String, Long> it = store.all()) {
          while (it.hasNext()) {
            final KeyValue<String, Long> kv = it.next();
            now.put(kv.key, kv.value);
            sum += kv.value;
          }
        }
        counts = now;
        total = sum;
      } catch (InvalidStateStoreException e) {
        // not queryable yet (starting, rebalancing)
      }
      if (total >= expected) break;
      if (System.nanoTime() - lastProgress >= 1_000_000_000L) {
        lastProgress = System.nanoTime();
        emit(Map.of("event", "progress", "ms", (lastProgress - start) / 1_000_000, "counted", total,
            "classified", exact ? Classifier.ACTIVITIES.get() : MinimalTopology.ACTIVITIES.get(),
            "crm_events", exact ? Classifier.EVENTS.get() : MinimalTopology.CRM_EVENTS.get()));
      }
      Thread.sleep(50);
    }
    final long done = System.nanoTime();
    final Map<String, Object> out = new LinkedHashMap<>();
    out.put("event", "done");
    out.put("topology", a.get("topology"));
    out.put("complete", total == expected);
    out.put("activities", total);
    out.put("expected", expected);
    out.put("ms", (done - start) / 1_000_000);
    out.put("running_ms", runningAt[0] == 0 ? null : (runningAt[0] - start) / 1_000_000);
    out.put("first_record_ms", FIRST_RECORD_NANOS.get() == 0 ? null : (FIRST_RECORD_NANOS.get() - start) / 1_000_000);
    out.put("first_record_cpu_ms", FIRST_RECORD_NANOS.get() == 0 ? null : FIRST_RECORD_CPU_NANOS.get() / 1_000_000);
    if (exact) {
      out.put("crm_events", Classifier.EVENTS.get());
      out.put("crm_duplicates", Classifier.DUPLICATES.get());
      out.put("crm_stale", Classifier.STALE.get());
      out.put("crm_behind", Classifier.BEHIND.get());
      out.put("crm_rejected", Parse.REJECTED.get());
      out.put("org_snapshots", OrgTable.APPLIED.get());
      out.put("org_stale", OrgTable.STALE.get());
    } else {
      out.put("crm_events", MinimalTopology.CRM_EVENTS.get());
      out.put("crm_activities", MinimalTopology.ACTIVITIES.get());
      out.put("crm_rejected", MinimalTopology.REJECTED.get());
    }
    out.put("config", Map.of("num.stream.threads", props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG),
        "processing.guarantee", props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG),
        "commit.interval.ms", props.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG),
        "statestore.cache.max.bytes", props.get(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG),
        "max.task.idle.ms", props.getOrDefault(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, "default (0)")));
    out.put("counts", counts);
    emit(out);
    streams.close(Duration.ofSeconds(30));
    System.exit(total == expected ? 0 : 2);
  }

  static synchronized void emit(Map<String, ?> line) {
    try {
      System.out.println(JSON.writeValueAsString(line));
      System.out.flush();
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }
}
