#!/usr/bin/env python3
"""Enqueue fax jobs with kafka-python (pure Python, not librdkafka) and follow them on fax.status.

    pip install kafka-python
    KAFKA_BOOTSTRAP=localhost:9092 FAXD_TENANT=acme python3 fax_job.py          # two jobs, followed
    python3 fax_job.py vectors                                                   # the key vectors only
    FAXD_PLACEMENT_TOPIC=t python3 fax_job.py place                              # tenant-0…99's partitions

Environment: KAFKA_BOOTSTRAP, FAXD_TENANT, FAXD_JOB_PREFIX (job ids <prefix>-inline and
<prefix>-url), FAXD_DOCUMENT_URL (the second job's document; without it only the inline job),
FAXD_TO (the recipient), FAXD_TIMEOUT (seconds to wait for the final states).
"""

import base64
import json
import os
import sys
import time
import uuid

from kafka import KafkaConsumer, KafkaProducer

# docs/design.md §4: UUIDv5(namespace, tenant_id + ":" + job_id).
NAMESPACE = uuid.UUID("a58da8f1-16c4-5398-a21a-bff26ae388c4")
VECTORS = [
    ("acme", "inv-1", "c020cab0-5fa5-575d-8617-acd6fc49e2c0"),
    ("acme", "inv-2", "2733be4f-79a7-5bef-b33f-cb317324cc94"),
    ("globex", "inv-1", "d6ab83ab-2f50-5feb-bd38-8d5ba607e0aa"),
    ("cust_8xk2m", "9c1a2b3d-4e5f-6789-abcd-ef0123456789", "88bd7e36-35f1-5bc1-a9aa-8025c7fa239e"),
    ("t", "ü-日本", "0fd43369-ae93-5162-affc-8d2d3f901f7f"),
]
FINAL = {"fax.delivered", "fax.failed", "fax.rejected", "fax.dead_lettered", "fax.expired"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def idempotency_key(tenant, job_id):
    return str(uuid.uuid5(NAMESPACE, f"{tenant}:{job_id}"))


def check_vectors():
    for tenant, job_id, key in VECTORS:
        if idempotency_key(tenant, job_id) != key:
            sys.exit(f"key vector {tenant}/{job_id}: got {idempotency_key(tenant, job_id)}, expected {key}")
    print(f"key vectors ok ({len(VECTORS)})")


def producer(bootstrap):
    # kafka-python's default partitioner is the Java client's murmur2, which faxd's own producers use,
    # so every producer puts a tenant's jobs on the same partition.
    return KafkaProducer(bootstrap_servers=bootstrap, acks="all", key_serializer=str.encode)


def place(bootstrap):
    """Produces one record per key tenant-0…tenant-99 and prints where each landed."""
    topic, landed = os.environ["FAXD_PLACEMENT_TOPIC"], {}
    out = producer(bootstrap)
    for index in range(100):
        key = f"tenant-{index}"
        landed[key] = out.send(topic, key=key, value=b"{}").get(timeout=30).partition
    out.close()
    for index in range(100):
        print(f"tenant-{index} {landed[f'tenant-{index}']}")


def main():
    check_vectors()
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP", "localhost:9092")
    if sys.argv[1:] == ["vectors"]:
        return 0
    if sys.argv[1:] == ["place"]:
        place(bootstrap)
        return 0
    tenant = os.environ.get("FAXD_TENANT", "acme")
    prefix = os.environ.get("FAXD_JOB_PREFIX", f"python-kafka-{int(time.time())}")
    documents = {f"{prefix}-inline": {"content_base64": base64.b64encode(PDF).decode(), "filename": "hello.pdf"}}
    if os.environ.get("FAXD_DOCUMENT_URL"):
        documents[f"{prefix}-url"] = {"url": os.environ["FAXD_DOCUMENT_URL"]}

    out = producer(bootstrap)
    for job_id, document in documents.items():
        job = {"job_id": job_id, "tenant_id": tenant, "to": os.environ.get("FAXD_TO", "+15005550001"), "document": document}
        out.send("fax.jobs", key=tenant, value=json.dumps(job).encode()).get(timeout=30)
        print(f"enqueued {tenant}/{job_id} idempotency_key={idempotency_key(tenant, job_id)}")
    out.close()

    # Follow the jobs: a group of our own, from the beginning (a status topic is read by many).
    consumer = KafkaConsumer(
        "fax.status", bootstrap_servers=bootstrap, group_id=f"example-{prefix}", auto_offset_reset="earliest", consumer_timeout_ms=1000)
    pending, deadline = set(documents), time.monotonic() + float(os.environ.get("FAXD_TIMEOUT", "120"))
    while pending and time.monotonic() < deadline:
        for message in consumer:  # ends after a second without records
            event = json.loads(message.value)
            if event["tenant_id"] != tenant or event["job_id"] not in pending:
                continue
            print(f"{event['job_id']} {event['type']}" + (f" {event['error']['code']}" if event.get("error") else ""))
            if event["type"] in FINAL:
                pending.discard(event["job_id"])
                print(f"final {tenant}/{event['job_id']} {event['type']}")
            if not pending:
                break
    consumer.close()
    if pending:
        print(f"no final state for {sorted(pending)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
