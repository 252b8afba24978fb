"""validate.py catches what it is there to catch: each case breaks one thing in a copy of deploy/
and expects validate.py to fail naming it (`make deploy-check` runs this after validate.py)."""

import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

DEPLOY = Path(__file__).resolve().parent

# (file, text, replacement, a part of the expected line)
CASES = [
    ("kubernetes/workers.yaml", "terminationGracePeriodSeconds: 45", "terminationGracePeriodSeconds: 30", "must be above dispatch.shutdown_timeout_seconds"),
    ("kubernetes/workers.yaml", "path: /healthz\n              port: metrics\n            periodSeconds: 10",
     "path: /readyz\n              port: metrics\n            periodSeconds: 10", "livenessProbe asks /readyz"),
    ("kubernetes/workers.yaml", "fieldPath: metadata.name", "fieldPath: metadata.namespace", "from the pod name"),
    ("kubernetes/workers.yaml", "mountPath: /run/secrets/faxd", "mountPath: /run/secrets/other", "which is in no mounted Secret"),
    ("kubernetes/workers.yaml", "replicas: 2", "replicas: two", "is not of type 'integer'"),
    ("kubernetes/webhooks.yaml", "name: MINTFAX_KEY_ACME", "name: MINTFAX_KEY_ACM", "no secretKeyRef provides"),
    ("kubernetes/webhooks.yaml", "path: /webhooks/mintfax", "path: /", "only /webhooks/ belongs on the public listener"),
    ("kubernetes/webhooks.yaml", "targetPort: http", "targetPort: metrics", "not the webhook listener"),
    ("kubernetes/webhooks.yaml", "containerPort: 8080", "containerPort: 9464", "container port http is 9464"),
    ("compose/compose.yaml", 'ports: ["8080:8080"]', 'ports: ["8080:8080", "9464:9464"]', "must publish its webhook listener (8080) alone"),
    ("kubernetes/autoscaling.yaml", "consumerGroup: faxd-workers", "consumerGroup: other", "is not kafka.group_id"),
    ("kubernetes/autoscaling.yaml", "lagThreshold: \"2000\"", "lagTreshold: \"2000\"", "no metadata key lagTreshold"),
    ("kubernetes/disruption-budgets.yaml", "app.kubernetes.io/name: faxd-worker", "app.kubernetes.io/name: faxd-workers", "selects no pod"),
    ("compose/compose.yaml", "KAFKA_PROCESS_ROLES: broker,controller", "KAFKA_PROCESS_ROLES: broker", "KRaft mode"),
    ("compose/compose.yaml", "FAXD_KAFKA_GROUP_INSTANCE_ID: worker-3", "FAXD_KAFKA_GROUP_INSTANCE_ID: worker-2", "its own FAXD_KAFKA_GROUP_INSTANCE_ID"),
    ("compose/compose.yaml", "stop_grace_period: 45s", "stop_grace_period: 10s", "stop_grace_period 10s must be above"),
    ("compose/create-topics.sh", "cleanup.policy=compact", "cleanup.policy=delete", "it must be compacted"),
    ("compose/create-topics.sh", "create fax.jobs.dlq", "create fax.dlq", "does not create fax.jobs.dlq"),
    ("compose/prometheus.yml", "\"worker-3:9464\"", "\"worker-4:9464\"", "does not scrape worker-3:9464"),
    ("Dockerfile", "USER 10001:10001", "USER root", "non-root user"),
    ("Dockerfile", "librdkafka1 ", "", "does not install librdkafka1"),
    ("Dockerfile", "HEALTHCHECK", "# HEALTHCHECK", "needs a HEALTHCHECK"),
]


class ValidateCatches(unittest.TestCase):
    def test_every_case(self):
        for file, text, replacement, expected in CASES:
            with self.subTest(file=file, text=text), tempfile.TemporaryDirectory() as scratch:
                copy = Path(scratch) / "deploy"
                shutil.copytree(DEPLOY, copy, ignore=shutil.ignore_patterns("__pycache__"))
                original = (copy / file).read_text()
                self.assertIn(text, original, f"the case no longer matches {file}")
                (copy / file).write_text(original.replace(text, replacement, 1))
                run = subprocess.run([sys.executable, str(copy / "validate.py")], capture_output=True, text=True)
                self.assertEqual(run.returncode, 1, run.stdout + run.stderr)
                self.assertIn(expected, run.stdout)

    def test_the_files_as_committed_pass(self):
        run = subprocess.run([sys.executable, str(DEPLOY / "validate.py")], capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)


if __name__ == "__main__":
    unittest.main()
