#!/usr/bin/env python3
"""A billing consumer: fax.usage into your own database, each event counted once (docs/billing.md).

    pip install confluent-kafka
    KAFKA_BOOTSTRAP=localhost:9092 python3 usage_ledger.py --database billing.sqlite3            # follows
    KAFKA_BOOTSTRAP=localhost:9092 python3 usage_ledger.py --database billing.sqlite3 --until-end

It reads `fax.usage` with a consumer group of its own and keeps, per tenant, the faxes held, captured
(and their pages: what to bill) and released. The event and its effect are written in one database
transaction, keyed by `event_id`, before the offset is committed: a repeated event (a replay, a
re-drive, a restart before the commit) changes nothing, so the totals are exact however often Kafka
delivers. This is the shared-workspace pattern's "track credit per customer in your own database":
one mintfax workspace pays, and this table says which tenant used what.
"""

import argparse
import json
import os
import sqlite3
import sys

from confluent_kafka import Consumer, TopicPartition

SCHEMA = """
CREATE TABLE IF NOT EXISTS usage_events (
    event_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, type TEXT NOT NULL, fax_id TEXT, pages INTEGER, occurred_at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tenant_usage (
    tenant_id TEXT PRIMARY KEY, held INTEGER NOT NULL DEFAULT 0, captured INTEGER NOT NULL DEFAULT 0,
    pages_captured INTEGER NOT NULL DEFAULT 0, released INTEGER NOT NULL DEFAULT 0);
"""
# What each type adds to its tenant's row; usage.balance is a notice, not a charge.
EFFECTS = {
    "usage.hold": "held = held + 1",
    "usage.capture": "captured = captured + 1, pages_captured = pages_captured + :pages",
    "usage.release": "released = released + 1",
}


def apply(database, event):
    """Records `event` once. - Returns: whether it was new."""
    with database:  # one transaction: the event and its effect, or neither
        inserted = database.execute(
            "INSERT OR IGNORE INTO usage_events VALUES (:event_id, :tenant_id, :type, :fax_id, :pages, :occurred_at)", event
        ).rowcount
        if inserted and event["type"] in EFFECTS:
            database.execute("INSERT OR IGNORE INTO tenant_usage (tenant_id) VALUES (:tenant_id)", event)
            database.execute(f"UPDATE tenant_usage SET {EFFECTS[event['type']]} WHERE tenant_id = :tenant_id", {**event, "pages": event["pages"] or 0})
    return bool(inserted)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", required=True, help="the SQLite file")
    parser.add_argument("--group", default="billing", help="the consumer group (default: billing)")
    parser.add_argument("--until-end", action="store_true", help="stop at the end the topic had when the partitions were assigned")
    arguments = parser.parse_args()
    database = sqlite3.connect(arguments.database)
    database.executescript(SCHEMA)
    consumer = Consumer({
        "bootstrap.servers": os.environ.get("KAFKA_BOOTSTRAP", "localhost:9092"), "group.id": arguments.group,
        "auto.offset.reset": "earliest", "enable.auto.commit": False,
    })
    ends = {}

    def assigned(consumer, partitions):
        for partition in partitions:
            ends[partition.partition] = consumer.get_watermark_offsets(partition, timeout=10)[1]

    consumer.subscribe(["fax.usage"], on_assign=assigned)
    new = repeated = 0
    while True:
        message = consumer.poll(1.0)
        if message is not None and not message.error():
            if apply(database, json.loads(message.value())):
                new += 1
            else:
                repeated += 1
            consumer.commit(message=message, asynchronous=False)  # after the database: at least once, counted once
        if arguments.until_end and ends:
            positions = consumer.position([TopicPartition("fax.usage", partition) for partition in ends])
            if all(position.offset >= ends[position.partition] or ends[position.partition] == 0 for position in positions):
                break
    consumer.close()
    for row in database.execute("SELECT tenant_id, held, captured, pages_captured, released FROM tenant_usage ORDER BY tenant_id"):
        tenant, held, captured, pages, released = row
        print(json.dumps({"tenant_id": tenant, "held": held, "captured": captured, "pages_captured": pages, "released": released,
                          "open": held - captured - released}))
    print(json.dumps({"new_events": new, "repeated_events": repeated}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
