"""schema/asyncapi.yaml says what docs/design.md §2 and the JSON Schemas say (`make test`)."""

import json
import re
import unittest
from pathlib import Path

import yaml

SCHEMA = Path(__file__).resolve().parent
DESIGN = SCHEMA.parent / "docs" / "design.md"


class AsyncAPIDocument(unittest.TestCase):
    def setUp(self):
        self.document = yaml.safe_load((SCHEMA / "asyncapi.yaml").read_text())

    def resolve(self, reference):
        node = self.document
        for part in reference.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def test_is_asyncapi_3_with_the_designs_public_topics(self):
        self.assertEqual(self.document["asyncapi"], "3.0.0")
        addresses = {channel["address"] for channel in self.document["channels"].values()}
        # The topics table of docs/design.md §2, but for the job ledger (faxd's own).
        table = re.findall(r"^\| `(fax\.[a-z.]+)` \|", DESIGN.read_text(), re.MULTILINE)
        self.assertEqual(addresses, set(table) - {"fax.ledger"})

    def test_every_reference_resolves_and_each_schema_file_is_named_once(self):
        named = []
        for name, message in self.document["components"]["messages"].items():
            payload = message["payload"]
            if "schema" in payload:
                self.assertEqual(payload["schemaFormat"], "application/schema+json;version=draft-2020-12")
                path = SCHEMA / payload["schema"]["$ref"]
                schema = json.loads(path.read_text())
                self.assertEqual(schema["$schema"], "https://json-schema.org/draft/2020-12/schema")
                named.append(path.name)
            self.assertEqual(self.resolve(message["bindings"]["kafka"]["key"]["$ref"])["type"], "string")
        self.assertEqual(sorted(named), sorted(path.name for path in SCHEMA.glob("*.schema.json")))
        for name, operation in self.document["operations"].items():
            channel = self.resolve(operation["channel"]["$ref"])
            for message in operation["messages"]:
                self.assertIn(message["$ref"].rsplit("/", 1)[1], channel["messages"], name)
            self.assertIn(operation["action"], ("send", "receive"))

    def test_dead_letter_headers_are_those_the_docs_name(self):
        headers = set(self.document["components"]["messages"]["deadLetter"]["headers"]["properties"])
        documented = set(re.findall(r"`(faxd\.(?:origin|error|attempts|truncated|original)[a-z0-9.]*)`", (SCHEMA.parent / "docs" / "events.md").read_text()))
        self.assertEqual(headers, documented)


if __name__ == "__main__":
    unittest.main()
