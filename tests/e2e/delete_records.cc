// Deletes the records of a partition below an offset, as retention does (Kafka's DeleteRecords
// request, which Debian's confluent-kafka for Python does not offer). Prints the partition's
// first offset after the deletion.
//
//   delete_records BOOTSTRAP TOPIC PARTITION OFFSET    (OFFSET -1: the partition's end)
#include <cstdio>
#include <cstdlib>

#include <librdkafka/rdkafka.h>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: delete_records BOOTSTRAP TOPIC PARTITION OFFSET\n");
    return 2;
  }
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], error, sizeof(error)) !=
      RD_KAFKA_CONF_OK) {
    std::fprintf(stderr, "delete_records: %s\n", error);
    return 2;
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof(error));
  if (!rk) {
    std::fprintf(stderr, "delete_records: %s\n", error);
    return 1;
  }
  rd_kafka_topic_partition_list_t* before = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(before, argv[2], std::atoi(argv[3]))->offset =
      std::atoll(argv[4]);
  rd_kafka_DeleteRecords_t* del = rd_kafka_DeleteRecords_new(before);
  rd_kafka_topic_partition_list_destroy(before);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(rk);
  rd_kafka_DeleteRecords(rk, &del, 1, nullptr, queue);
  rd_kafka_DeleteRecords_destroy(del);

  int status = 1;
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, 60000);
  if (!event) {
    std::fprintf(stderr, "delete_records: no answer within 60 s\n");
  } else if (rd_kafka_event_error(event)) {
    std::fprintf(stderr, "delete_records: %s\n", rd_kafka_event_error_string(event));
  } else {
    const rd_kafka_topic_partition_list_t* result =
        rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(event));
    const rd_kafka_topic_partition_t& tp = result->elems[0];
    if (tp.err) {
      std::fprintf(stderr, "delete_records: %s [%d]: %s\n", tp.topic, tp.partition,
                   rd_kafka_err2str(tp.err));
    } else {
      std::printf("%lld\n", static_cast<long long>(tp.offset));
      status = 0;
    }
  }
  if (event) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_destroy(rk);
  return status;
}
