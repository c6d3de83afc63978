#!/usr/bin/env bash
# Huntline on one Debian 12 machine.
#
#   ./deploy/local.sh demo    install what is missing, build, run the embedded demo (and a
#                             Prometheus with Huntline's rules scraping it, on :9090)
#   ./deploy/local.sh test    install what is missing, build, run every test
#   ./deploy/local.sh install only install (Debian packages, the Kafka broker's jars)
#   ./deploy/local.sh build   only build (release preset)
#   ./deploy/local.sh cluster [N]  a local broker, a simulated organisation and N (3) instances
#                             of one group (deploy/cluster.py)
#
# Idempotent: a second run installs nothing and rebuilds only what changed.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export HUNTLINE_CACHE=${HUNTLINE_CACHE:-$HOME/.cache/huntline}
KAFKA_VERSION=3.9.1
export HUNTLINE_KAFKA_LIBS="$HUNTLINE_CACHE/kafka-$KAFKA_VERSION/libs"

PACKAGES=(
  # build
  g++ cmake ninja-build pkg-config
  # fuzz targets (tests/fuzz): clang, and libFuzzer with the sanitizer runtimes
  clang libclang-rt-dev
  # libraries (Debian 12)
  librdkafka-dev librocksdb-dev prometheus-cpp-dev libcivetweb-dev nlohmann-json3-dev
  libsimdjson-dev libcli11-dev libical-dev tzdata libssl-dev libgtest-dev libgmock-dev libbenchmark-dev
  # /metrics behind TLS and basic auth: the web configuration's YAML, bcrypt through libxcrypt
  libyaml-cpp-dev libcrypt-dev
  # the allocator: a long run's heap without fragmentation
  libjemalloc-dev
  # real services for the end-to-end tests and the demo
  prometheus openjdk-17-jre-headless maven
  # test harness
  python3 python3-confluent-kafka python3-requests python3-pytest python3-yaml python3-jsonschema curl procps time
  openssl
  # reports: PDF through headless Chromium, its pages checked as PNG
  chromium poppler-utils
)

log() { printf '\033[1m[huntline]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  fi
  # Debian starts its own Prometheus on :9090 after installing it; Huntline runs its own.
  if systemctl is-active --quiet prometheus 2>/dev/null; then
    as_root systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
}

install_kafka() {
  if [ -f "$HUNTLINE_KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar" ]; then return; fi
  log "fetching Apache Kafka $KAFKA_VERSION broker jars from Maven Central"
  mkdir -p "$HUNTLINE_KAFKA_LIBS"
  mvn -q -B -f "$ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies \
    -Dkafka.version="$KAFKA_VERSION" -DoutputDirectory="$HUNTLINE_KAFKA_LIBS"
}

install() {
  install_packages
  install_kafka
}

build() {
  local preset=$1
  log "building ($preset)"
  cmake --preset "$preset" -S "$ROOT" >/dev/null
  cmake --build --preset "$preset" -j "$(nproc)"
}

run_tests() {
  build ci
  log "unit tests"
  ctest --preset ci -j "$(nproc)"
  log "end-to-end tests (real Kafka broker, RocksDB and Prometheus)"
  HUNTLINE_BIN="$ROOT/build/ci/app/huntline" /usr/bin/python3 -m pytest -q "$ROOT/tests/e2e"
  log "fuzz targets, ${HUNTLINE_FUZZ_SECONDS:-45}s each"
  "$ROOT/tests/fuzz/run.sh" "${HUNTLINE_FUZZ_SECONDS:-45}"
}

# The demo engine, and Debian's Prometheus scraping it with Huntline's rules loaded, so the
# rules evaluate and alerts fire (http://127.0.0.1:9090/alerts).
demo() {
  local prom_dir="$HUNTLINE_CACHE/demo-prometheus" prom_port=${HUNTLINE_PROMETHEUS_PORT:-9090}
  rm -rf "$prom_dir"
  mkdir -p "$prom_dir"
  cp "$ROOT/deploy/prometheus/prometheus.yml" "$ROOT/deploy/prometheus/huntline-rules.yml" "$prom_dir/"
  sed -i "s/scrape_interval: 15s/scrape_interval: 5s/; s/evaluation_interval: 15s/evaluation_interval: 5s/" \
    "$prom_dir/prometheus.yml"
  prometheus --config.file="$prom_dir/prometheus.yml" --storage.tsdb.path="$prom_dir/tsdb" \
    --web.listen-address="127.0.0.1:$prom_port" >"$prom_dir/prometheus.log" 2>&1 &
  DEMO_PROMETHEUS_PID=$!
  trap 'kill "$DEMO_PROMETHEUS_PID" 2>/dev/null || true' EXIT
  log "Prometheus with Huntline's rules: http://127.0.0.1:$prom_port/alerts (log: $prom_dir/prometheus.log)"
  "$ROOT/build/release/app/huntline" demo "$@"
}

cmd=${1:-}
case "$cmd" in
  install) install ;;
  build) install; build release ;;
  test) install; run_tests ;;
  cluster)
    install
    build release
    shift
    exec /usr/bin/python3 "$ROOT/deploy/cluster.py" "$@"
    ;;
  demo)
    install
    build release
    shift
    demo "$@"
    ;;
  *)
    sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
