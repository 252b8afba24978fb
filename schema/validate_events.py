#!/usr/bin/env python3
"""Validates the status and usage events the end-to-end suites produced against schema/.

`make test` runs the Swift suite with FAXD_E2E_EVENTS_DIR set (PipelineHarness writes every event of
each run there, one JSON value per line), then this, which fails unless there are events of both
kinds and every one is valid. Strict: fields the schema does not list are errors here (the schemas
themselves let consumers ignore fields a later version adds).
"""

import json
import sys
from collections import Counter
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

SCHEMA = Path(__file__).resolve().parent


def strict(schema):
    schema = dict(schema)
    schema["unevaluatedProperties"] = False
    return schema


def main(directory):
    validators = {
        kind: Draft202012Validator(strict(json.loads((SCHEMA / f"{kind}-event-v1.schema.json").read_text())), format_checker=FormatChecker())
        for kind in ("status", "usage")
    }
    counts, types, problems = Counter(), Counter(), []
    for path in sorted(Path(directory).glob("*.jsonl")):
        kind = path.name.rsplit(".", 2)[-2]
        for number, line in enumerate(path.read_text().splitlines(), 1):
            try:
                event = json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(f"{path.name}:{number}: not JSON ({error})")
                continue
            counts[kind] += 1
            types[event.get("type")] += 1
            for error in validators[kind].iter_errors(event):
                problems.append(f"{path.name}:{number}: {event.get('type')}: {'/'.join(map(str, error.absolute_path)) or '(event)'}: {error.message}")
    for problem in problems[:50]:
        print(f"events: {problem}")
    if problems:
        print(f"events: {len(problems)} problems in {sum(counts.values())} events")
        return 1
    if not counts["status"] or not counts["usage"]:
        print(f"events: no status or no usage events in {directory}: did the end-to-end suites run with FAXD_E2E_EVENTS_DIR?")
        return 1
    print(f"events: {counts['status']} status and {counts['usage']} usage events valid ({', '.join(f'{t} {n}' for t, n in sorted(types.items()))})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
