#!/usr/bin/env bash
# Enqueue fax jobs with kcat and follow them on fax.status to their end (Debian: kcat, jq, uuid-runtime).
#
#   KAFKA_BOOTSTRAP=localhost:9092 FAXD_TENANT=acme ./fax-job.sh          # two jobs, followed
#   ./fax-job.sh vectors                                                   # the key vectors only
#   FAXD_PLACEMENT_TOPIC=t ./fax-job.sh place                              # tenant-0…99's partitions
#
# Environment as the other examples (docs/examples/README.md).
set -euo pipefail

namespace=a58da8f1-16c4-5398-a21a-bff26ae388c4   # docs/design.md §4
key() { uuidgen --sha1 --namespace "$namespace" --name "$1:$2"; }

check_vectors() {
  local count=0
  while IFS='|' read -r tenant job expected; do
    local got; got=$(key "$tenant" "$job")
    [ "$got" = "$expected" ] || { echo "key vector $tenant/$job: got $got, expected $expected" >&2; exit 1; }
    count=$((count + 1))
  done <<'VECTORS'
acme|inv-1|c020cab0-5fa5-575d-8617-acd6fc49e2c0
acme|inv-2|2733be4f-79a7-5bef-b33f-cb317324cc94
globex|inv-1|d6ab83ab-2f50-5feb-bd38-8d5ba607e0aa
cust_8xk2m|9c1a2b3d-4e5f-6789-abcd-ef0123456789|88bd7e36-35f1-5bc1-a9aa-8025c7fa239e
t|ü-日本|0fd43369-ae93-5162-affc-8d2d3f901f7f
VECTORS
  echo "key vectors ok ($count)"
}

bootstrap=${KAFKA_BOOTSTRAP:-localhost:9092}
# murmur2_random: the Java client's partitioner, which faxd's own producers use, so that every
# producer puts a tenant's jobs on the same partition (librdkafka's default is CRC32).
produce() { kcat -P -b "$bootstrap" -t "$1" -K $'\t' -X partitioner=murmur2_random -X enable.idempotence=true; }

check_vectors
case "${1:-}" in
  vectors) exit 0 ;;
  place)
    for i in $(seq 0 99); do printf 'tenant-%d\t{}\n' "$i"; done | produce "$FAXD_PLACEMENT_TOPIC"
    kcat -C -b "$bootstrap" -t "$FAXD_PLACEMENT_TOPIC" -o beginning -e -q -f '%k %p\n' | sort -t- -k2 -n
    exit 0 ;;
esac

tenant=${FAXD_TENANT:-acme}
prefix=${FAXD_JOB_PREFIX:-shell-$(date +%s)}
to=${FAXD_TO:-+15005550001}
pdf=$(printf '%%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%%%EOF\n' | base64 -w0)
jobs=("$prefix-inline")
lines=$(jq -cn --arg j "$prefix-inline" --arg t "$tenant" --arg to "$to" --arg pdf "$pdf" \
  '{job_id: $j, tenant_id: $t, to: $to, document: {content_base64: $pdf, filename: "hello.pdf"}}')
if [ -n "${FAXD_DOCUMENT_URL:-}" ]; then
  jobs+=("$prefix-url")
  lines+=$'\n'$(jq -cn --arg j "$prefix-url" --arg t "$tenant" --arg to "$to" --arg url "$FAXD_DOCUMENT_URL" \
    '{job_id: $j, tenant_id: $t, to: $to, document: {url: $url}}')
fi
while IFS= read -r line; do printf '%s\t%s\n' "$tenant" "$line"; done <<<"$lines" | produce fax.jobs
for job in "${jobs[@]}"; do echo "enqueued $tenant/$job idempotency_key=$(key "$tenant" "$job")"; done

# Follow the jobs: read fax.status from the beginning (no group needed) until each has a final event.
pending=" ${jobs[*]} "
deadline=$(( $(date +%s) + ${FAXD_TIMEOUT:-120} ))
while [ -n "${pending// /}" ] && [ "$(date +%s)" -lt "$deadline" ]; do
  while IFS=$'\t' read -r job type code; do
    case "$pending" in *" $job "*) ;; *) continue ;; esac
    case "$type" in
      fax.delivered|fax.failed|fax.rejected|fax.dead_lettered|fax.expired)
        pending=${pending/ $job / }
        echo "final $tenant/$job $type${code:+ $code}" ;;
    esac
  done < <(kcat -C -b "$bootstrap" -t fax.status -o beginning -e -q -f '%s\n' \
    | jq -r --arg t "$tenant" 'select(.tenant_id == $t) | [.job_id, .type, (.error.code // "")] | @tsv')
  [ -n "${pending// /}" ] && sleep 1
done
if [ -n "${pending// /}" ]; then echo "no final state for$pending" >&2; exit 1; fi
