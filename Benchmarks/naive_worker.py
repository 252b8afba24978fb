"""The fax worker a team would write without faxd, for `make bench` to compare with (issue #16).

One job at a time: poll a record, submit it to mintfax with `requests` (multipart, the job's
idempotency key), publish `fax.submitted` and wait for Kafka's acknowledgement, commit the offset,
then the next record. Never part of faxd; only its rate is of interest.

    naive_worker.py --bootstrap HOST:PORT --mintfax http://127.0.0.1:PORT/v1 --api-key KEY --jobs N

Prints one line: `<jobs> jobs in <seconds> s: <rate> jobs/s`, timed from the first record to the
last commit.
"""

import argparse
import base64
import json
import sys
import time
import uuid

import requests
from confluent_kafka import Consumer, Producer

NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--mintfax", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--jobs", type=int, required=True)
    parser.add_argument("--topic", default="fax.jobs")
    parser.add_argument("--status-topic", default="fax.status")
    args = parser.parse_args()

    consumer = Consumer({
        "bootstrap.servers": args.bootstrap,
        "group.id": "naive-worker",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    })
    consumer.subscribe([args.topic])
    producer = Producer({"bootstrap.servers": args.bootstrap, "enable.idempotence": True})
    session = requests.Session()
    headers = {"Authorization": f"Bearer {args.api_key}", "Accept": "application/json"}

    done = 0
    started = None
    while done < args.jobs:
        message = consumer.poll(1.0)
        if message is None or message.error():
            continue
        if started is None:
            started = time.monotonic()
        job = json.loads(message.value())
        document = job["document"]
        key = uuid.uuid5(NAMESPACE, f"{job['tenant_id']}/{job['job_id']}")
        response = session.post(
            f"{args.mintfax}/faxes",
            headers={**headers, "Idempotency-Key": str(key)},
            data={"to": job["to"], "tag[faxd_tenant]": job["tenant_id"], "tag[faxd_job]": job["job_id"]},
            files={"file": (document.get("filename", "document.pdf"),
                            base64.b64decode(document["content_base64"]), "application/pdf")},
            timeout=30,
        )
        response.raise_for_status()
        event = {"type": "fax.submitted", "job_id": job["job_id"], "tenant_id": job["tenant_id"],
                 "fax_id": response.json()["id"], "idempotency_key": str(key)}
        producer.produce(args.status_topic, key=job["tenant_id"].encode(), value=json.dumps(event).encode())
        producer.flush()
        consumer.commit(message=message, asynchronous=False)
        done += 1

    seconds = time.monotonic() - started
    consumer.close()
    print(f"{done} jobs in {seconds:.2f} s: {done / seconds:.1f} jobs/s")


if __name__ == "__main__":
    sys.exit(main())
