#!/bin/bash
# Creates faxd's topics (docs/design.md §2, docs/deploy.md): the same partition count for the jobs
# topic and the job ledger, which is co-partitioned with it; the ledger compacted. Idempotent.
set -euo pipefail
topics=/opt/kafka/bin/kafka-topics.sh
day=86400000
create() {
  "$topics" --bootstrap-server "$BOOTSTRAP" --create --if-not-exists --topic "$1" \
    --partitions "$PARTITIONS" --replication-factor "$REPLICATION" "${@:2}"
}
create fax.jobs      --config cleanup.policy=delete  --config retention.ms=$((7 * day))
create fax.status    --config cleanup.policy=delete  --config retention.ms=$((7 * day))
create fax.usage     --config cleanup.policy=delete  --config retention.ms=$((30 * day))
create fax.jobs.dlq  --config cleanup.policy=delete  --config retention.ms=$((30 * day))
create fax.ledger    --config cleanup.policy=compact --config min.compaction.lag.ms=$day
"$topics" --bootstrap-server "$BOOTSTRAP" --describe --topic 'fax\..*'
