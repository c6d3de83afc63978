#!/usr/bin/env bash
# A single-node Apache Kafka broker in KRaft mode, on loopback, from the jars that
# deploy/local.sh fetched from Maven Central. Runs in the foreground.
#
#   deploy/kafka/broker.sh DATA_DIR [PORT] [CONTROLLER_PORT]
set -euo pipefail
data=${1:?usage: broker.sh DATA_DIR [PORT] [CONTROLLER_PORT]}
port=${2:-9092}
cport=${3:-$((port + 1))}
libs=${HUNTLINE_KAFKA_LIBS:-$HOME/.cache/huntline/kafka-3.9.1/libs}
[ -d "$libs" ] || { echo "broker.sh: no Kafka jars at $libs (run ./deploy/local.sh install)" >&2; exit 1; }

mkdir -p "$data/log"
cat > "$data/server.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$data/log
num.partitions=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
PROPS
cat > "$data/log4j.properties" <<'PROPS'
log4j.rootLogger=WARN, stderr
log4j.appender.stderr=org.apache.log4j.ConsoleAppender
log4j.appender.stderr.Target=System.err
log4j.appender.stderr.layout=org.apache.log4j.PatternLayout
log4j.appender.stderr.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaServer=INFO
PROPS

java_opts=(-Xms256m -Xmx768m -XX:+UseG1GC -Djava.awt.headless=true
           "-Dlog4j.configuration=file:$data/log4j.properties" -cp "$libs/*")
if [ ! -f "$data/log/meta.properties" ]; then
  java "${java_opts[@]}" kafka.tools.StorageTool format -t "$(cat /proc/sys/kernel/random/uuid | tr -d - | head -c 22)" \
    -c "$data/server.properties" --ignore-formatted >/dev/null
fi
exec java "${java_opts[@]}" kafka.Kafka "$data/server.properties"
