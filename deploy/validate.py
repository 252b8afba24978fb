#!/usr/bin/env python3
"""Checks deploy/ on a machine with no container engine and no cluster (`make deploy-check`).

- Kubernetes: every manifest against the Kubernetes schemas (kubernetes-validate, strict, offline),
  the custom resources (KEDA, Prometheus Operator, Kustomize) field by field, and what ties the files
  together: probes on the right endpoints, a grace period above faxd's drain deadline, static
  membership from the pod name, every secret the tenants file references provided, selectors that
  select, the autoscaler on the workers' group and topic.
- Compose: the services, the KRaft broker, the workers' instance ids and grace periods, the topics
  the one-shot job creates, Prometheus's targets.
- Dockerfile: its stages, the runtime's packages, a non-root user, the entry point, the health check.

The worker and ingress configuration files themselves are parsed by faxd's own loader in the Swift
suite (DeployConfigurationTests). Prints one line per problem and exits 1 if there is any.
"""

import re
import sys
from pathlib import Path

import kubernetes_validate
import yaml

DEPLOY = Path(__file__).resolve().parent
KUBERNETES_VERSIONS = ["1.30.0", kubernetes_validate.latest_version()]
CUSTOM_KINDS = {"ScaledObject", "ServiceMonitor", "Kustomization"}
# KEDA's kafka scaler (keda.sh/docs/scalers/apache-kafka): the trigger metadata it reads.
KEDA_KAFKA_KEYS = {
    "bootstrapServers", "consumerGroup", "topic", "lagThreshold", "activationLagThreshold", "offsetResetPolicy",
    "allowIdleConsumers", "scaleToZeroOnInvalidOffset", "excludePersistentLag", "limitToPartitionsWithLag",
    "partitionLimitation", "version", "sasl", "tls", "unsafeSsl",
}

problems = []


def problem(where, message):
    problems.append(f"{where}: {message}")


def load_all(path):
    with open(path) as file:
        return [document for document in yaml.safe_load_all(file) if document]


def secret_references(tenants):
    """The `{env: …}` and `{file: …}` references of a tenants file."""
    env, files = set(), set()

    def visit(value):
        if isinstance(value, dict):
            if set(value) == {"env"}:
                env.add(value["env"])
            elif set(value) == {"file"}:
                files.add(value["file"])
            else:
                for item in value.values():
                    visit(item)
        elif isinstance(value, list):
            for item in value:
                visit(item)

    visit(tenants)
    return env, files


# MARK: Kubernetes


def check_kubernetes():
    directory = DEPLOY / "kubernetes"
    kustomization = load_all(directory / "kustomization.yaml")[0]
    resources = {}
    for name in kustomization.get("resources", []):
        path = directory / name
        if not path.exists():
            problem("kubernetes/kustomization.yaml", f"resource {name} does not exist")
            continue
        for document in load_all(path):
            resources.setdefault(document["kind"], []).append((name, document))
            if document["kind"] in CUSTOM_KINDS:
                continue
            for version in KUBERNETES_VERSIONS:
                try:
                    kubernetes_validate.validate(document, version, strict=True)
                except kubernetes_validate.ValidationError as error:
                    problem(f"kubernetes/{name}", f"{document['kind']}/{document['metadata']['name']} against {version}: {error.message} at {list(error.path)}")
    listed = set(kustomization.get("resources", []))
    for path in directory.glob("*.yaml"):
        if path.name != "kustomization.yaml" and path.name not in listed:
            problem("kubernetes/kustomization.yaml", f"{path.name} is not among its resources")

    def one(kind, name):
        for file, document in resources.get(kind, []):
            if document["metadata"]["name"] == name:
                return file, document
        problem("kubernetes", f"no {kind} named {name}")
        return None, None

    _, config_map = one("ConfigMap", "faxd-config")
    faxd = yaml.safe_load(config_map["data"]["faxd.yaml"])
    tenants = yaml.safe_load(config_map["data"]["tenants.yaml"])
    shutdown = faxd["dispatch"]["shutdown_timeout_seconds"]
    metrics_port = int(faxd["metrics"]["listen"].rsplit(":", 1)[1])
    env_references, file_references = secret_references(tenants)

    _, workers = one("StatefulSet", "faxd-worker")
    _, webhooks = one("Deployment", "faxd-webhooks")
    for label, workload, role in [("StatefulSet/faxd-worker", workers, "worker"), ("Deployment/faxd-webhooks", webhooks, "webhooks")]:
        check_pod(label, workload["spec"]["template"]["spec"], role, shutdown, metrics_port, env_references, file_references)
    environment = {item["name"]: item for item in workers["spec"]["template"]["spec"]["containers"][0].get("env", [])}
    instance = environment.get("FAXD_KAFKA_GROUP_INSTANCE_ID", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
    if instance != "metadata.name":
        problem("StatefulSet/faxd-worker", "FAXD_KAFKA_GROUP_INSTANCE_ID must come from the pod name (metadata.name)")
    if workers["spec"].get("podManagementPolicy") != "Parallel":
        problem("StatefulSet/faxd-worker", "podManagementPolicy should be Parallel (workers need no start order)")

    services = {document["metadata"]["name"]: document for _, document in resources.get("Service", [])}
    pods = {"faxd-worker": workers["spec"]["template"], "faxd-webhooks": webhooks["spec"]["template"]}

    def selected(selector):
        labels = selector.get("matchLabels", selector) if "matchExpressions" not in selector else None
        chosen = []
        for name, template in pods.items():
            pod_labels = template["metadata"]["labels"]
            if labels is not None and all(pod_labels.get(key) == value for key, value in labels.items()):
                chosen.append(name)
            elif labels is None and all(
                pod_labels.get(expression["key"]) in expression["values"] for expression in selector["matchExpressions"]
            ):
                chosen.append(name)
        return chosen

    if workers["spec"]["serviceName"] not in services:
        problem("StatefulSet/faxd-worker", f"serviceName {workers['spec']['serviceName']} is not a Service here")
    for name, service in services.items():
        if not selected(service["spec"]["selector"]):
            problem(f"Service/{name}", "selects no pod")
    for file, budget in resources.get("PodDisruptionBudget", []):
        if not selected(budget["spec"]["selector"]):
            problem(f"PodDisruptionBudget/{budget['metadata']['name']}", "selects no pod")
    for file, ingress in resources.get("Ingress", []):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                if not path["path"].startswith("/webhooks/"):
                    problem(f"Ingress/{ingress['metadata']['name']}", f"exposes {path['path']}: only /webhooks/ belongs on the public listener")
                if path["backend"]["service"]["name"] != "faxd-webhooks":
                    problem(f"Ingress/{ingress['metadata']['name']}", "must route to the faxd-webhooks Service")

    # The Ingress reaches the ingress's webhook listener, never its admin listener.
    webhook_port = int(faxd["webhooks"].get("listen", "0.0.0.0:8080").rsplit(":", 1)[1])
    if webhook_port == metrics_port:
        problem("kubernetes/configmap.yaml", "webhooks.listen and metrics.listen must differ: /metrics must not face the internet")
    container = webhooks["spec"]["template"]["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
    if ports.get("http") != webhook_port:
        problem("Deployment/faxd-webhooks", f"container port http is {ports.get('http')}, webhooks.listen's port is {webhook_port}")
    for file, ingress in resources.get("Ingress", []):
        for rule in ingress["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                backend = path["backend"]["service"]
                service_ports = {port["name"]: port for port in services.get(backend["name"], {}).get("spec", {}).get("ports", [])}
                target = service_ports.get(backend["port"].get("name"), {}).get("targetPort")
                if ports.get(target, target) != webhook_port:
                    problem(f"Ingress/{ingress['metadata']['name']}", f"routes to {target}, not the webhook listener ({webhook_port})")

    check_service_monitor(resources, services)
    check_scaled_object(resources, faxd)


def check_pod(label, pod, role, shutdown, metrics_port, env_references, file_references):
    grace = pod.get("terminationGracePeriodSeconds", 30)
    if role == "worker" and grace <= shutdown:
        problem(label, f"terminationGracePeriodSeconds {grace} must be above dispatch.shutdown_timeout_seconds {shutdown}")
    security = pod.get("securityContext", {})
    if not security.get("runAsNonRoot") or security.get("runAsUser", 0) == 0:
        problem(label, "must run as a non-root user")
    container = pod["containers"][0]
    if container["args"][0] != role:
        problem(label, f"runs faxd {container['args'][0]}, expected faxd {role}")
    ports = {port["name"]: port["containerPort"] for port in container.get("ports", [])}
    for probe_name, expected in [("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")]:
        probe = container.get(probe_name)
        if probe is None:
            problem(label, f"has no {probe_name}")
            continue
        path = probe["httpGet"]["path"]
        if path != expected:
            problem(label, f"{probe_name} asks {path}, expected {expected} (a Kafka outage must not restart pods)")
        port = probe["httpGet"]["port"]
        if ports.get(port, port) != metrics_port:
            problem(label, f"{probe_name} is not on metrics.listen's port {metrics_port}")
    if "memory" not in container.get("resources", {}).get("limits", {}):
        problem(label, "has no memory limit")
    if container.get("securityContext", {}).get("readOnlyRootFilesystem") is not True:
        problem(label, "should have a read-only root file system (faxd writes no files)")
    defined = {item["name"] for item in container.get("env", []) if "secretKeyRef" in item.get("valueFrom", {})}
    for name in sorted(env_references - defined):
        problem(label, f"the tenants file reads {name}, which no secretKeyRef provides")
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    secret_mounts = [
        mount["mountPath"].rstrip("/") + "/" for mount in container.get("volumeMounts", []) if "secret" in volumes.get(mount["name"], {})
    ]
    for path in sorted(file_references):
        if not any(path.startswith(mount) for mount in secret_mounts):
            problem(label, f"the tenants file reads {path}, which is in no mounted Secret")
    mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}
    if "configMap" not in volumes.get(mounts.get("/etc/faxd", ""), {}):
        problem(label, "/etc/faxd must be the faxd-config ConfigMap")


def check_service_monitor(resources, services):
    for file, monitor in resources.get("ServiceMonitor", []):
        label = f"ServiceMonitor/{monitor['metadata']['name']}"
        if monitor.get("apiVersion") != "monitoring.coreos.com/v1":
            problem(label, "apiVersion must be monitoring.coreos.com/v1")
        expressions = monitor["spec"]["selector"].get("matchExpressions", [])
        names = set(expressions[0]["values"]) if expressions else set()
        chosen = [name for name, service in services.items() if service["metadata"].get("labels", {}).get("app.kubernetes.io/name") in names]
        if len(chosen) != len(services):
            problem(label, f"selects {sorted(chosen)}, not every Service {sorted(services)}")
        ports = {port["name"] for service in services.values() for port in service["spec"]["ports"]}
        for endpoint in monitor["spec"]["endpoints"]:
            if endpoint.get("port") not in ports:
                problem(label, f"endpoint port {endpoint.get('port')} is no Service port")
            if endpoint.get("path") != "/metrics":
                problem(label, "endpoints scrape /metrics")


def check_scaled_object(resources, faxd):
    for file, scaled in resources.get("ScaledObject", []):
        label = f"ScaledObject/{scaled['metadata']['name']}"
        spec = scaled["spec"]
        if scaled.get("apiVersion") != "keda.sh/v1alpha1":
            problem(label, "apiVersion must be keda.sh/v1alpha1")
        target = spec["scaleTargetRef"]
        if (target.get("kind"), target.get("name")) != ("StatefulSet", "faxd-worker"):
            problem(label, "must scale StatefulSet/faxd-worker")
        if not 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]:
            problem(label, "needs 1 ≤ minReplicaCount ≤ maxReplicaCount")
        for trigger in spec["triggers"]:
            if trigger["type"] != "kafka":
                problem(label, f"trigger type {trigger['type']}, expected kafka")
                continue
            metadata = trigger["metadata"]
            for key in sorted(set(metadata) - KEDA_KAFKA_KEYS):
                problem(label, f"the kafka scaler has no metadata key {key}")
            if not all(isinstance(value, str) for value in metadata.values()):
                problem(label, "trigger metadata values must be strings")
            if metadata.get("consumerGroup") != faxd["kafka"]["group_id"]:
                problem(label, f"consumerGroup {metadata.get('consumerGroup')} is not kafka.group_id {faxd['kafka']['group_id']}")
            if metadata.get("topic") != faxd["kafka"].get("topics", {}).get("jobs", "fax.jobs"):
                problem(label, "topic must be the jobs topic")
            if metadata.get("bootstrapServers") != faxd["kafka"]["bootstrap_servers"]:
                problem(label, "bootstrapServers differ from kafka.bootstrap_servers")
            if not str(metadata.get("lagThreshold", "")).isdigit():
                problem(label, "lagThreshold must be a whole number")
            if metadata.get("allowIdleConsumers") != "false":
                problem(label, "allowIdleConsumers must stay false: a replica beyond the partition count owns nothing")


# MARK: Compose


def check_compose():
    directory = DEPLOY / "compose"
    compose = load_all(directory / "compose.yaml")[0]
    services = compose["services"]
    for name in ["kafka", "topics", "sandbox", "worker-1", "worker-2", "worker-3", "webhooks", "prometheus"]:
        if name not in services:
            problem("compose.yaml", f"has no service {name}")
    kafka = services["kafka"]
    if not kafka["image"].startswith("apache/kafka:"):
        problem("compose.yaml", "kafka must be the official apache/kafka image")
    environment = kafka["environment"]
    roles = set(str(environment.get("KAFKA_PROCESS_ROLES", "")).split(","))
    if roles != {"broker", "controller"}:
        problem("compose.yaml", "kafka must run in KRaft mode as broker and controller")
    if f"{environment.get('KAFKA_NODE_ID')}@" not in str(environment.get("KAFKA_CONTROLLER_QUORUM_VOTERS", "")):
        problem("compose.yaml", "KAFKA_CONTROLLER_QUORUM_VOTERS must name the node's id")
    if any("ZOOKEEPER" in key for key in environment):
        problem("compose.yaml", "no ZooKeeper settings in KRaft mode")
    if "CONTROLLER" not in str(environment.get("KAFKA_CONTROLLER_LISTENER_NAMES")):
        problem("compose.yaml", "KAFKA_CONTROLLER_LISTENER_NAMES must be set")

    faxd = yaml.safe_load((directory / "faxd.yaml").read_text())
    shutdown = faxd["dispatch"]["shutdown_timeout_seconds"]
    instance_ids = []
    for name, service in services.items():
        command = service.get("command", [])
        if command[:1] != ["worker"]:
            continue
        instance_ids.append(service.get("environment", {}).get("FAXD_KAFKA_GROUP_INSTANCE_ID"))
        grace = int(str(service.get("stop_grace_period", "10s")).rstrip("s"))
        if grace <= shutdown:
            problem("compose.yaml", f"{name}: stop_grace_period {grace}s must be above dispatch.shutdown_timeout_seconds {shutdown}")
        if "topics" not in service.get("depends_on", {}):
            problem("compose.yaml", f"{name} must wait for the topics job")
        if service.get("ports"):
            problem("compose.yaml", f"{name} publishes a port: only the webhook ingress should")
    if None in instance_ids or len(set(instance_ids)) != len(instance_ids):
        problem("compose.yaml", f"each worker needs its own FAXD_KAFKA_GROUP_INSTANCE_ID, got {instance_ids}")
    if faxd["webhooks"]["enabled"] is not False or "webhooks" not in faxd["webhooks"].get("public_base_url", ""):
        problem("compose/faxd.yaml", "the workers leave the ingress to the webhooks service (enabled: false, public_base_url)")
    webhook_port = faxd["webhooks"]["listen"].rsplit(":", 1)[1]
    published = [str(port).split(":")[-1] for port in services["webhooks"].get("ports", [])]
    if published != [webhook_port]:
        problem("compose.yaml", f"the webhooks service must publish its webhook listener ({webhook_port}) alone, publishes {published}")

    script = (directory / "create-topics.sh").read_text()
    topics = {"jobs": "fax.jobs", "status": "fax.status", "usage": "fax.usage", "dead_letters": "fax.jobs.dlq", "ledger": "fax.ledger"}
    topics.update(faxd["kafka"].get("topics", {}))
    for key, topic in topics.items():
        line = next((line for line in script.splitlines() if re.match(rf"create {re.escape(topic)}\s", line)), None)
        if line is None:
            problem("compose/create-topics.sh", f"does not create {topic} (kafka.topics.{key})")
        elif key == "ledger" and "cleanup.policy=compact" not in line:
            problem("compose/create-topics.sh", f"{topic} is the job ledger: it must be compacted")
        elif key == "jobs" and "retention.ms" not in line:
            problem("compose/create-topics.sh", f"{topic} needs a retention long enough to replay (≥ 7 days)")
    prometheus = yaml.safe_load((directory / "prometheus.yml").read_text())
    targets = {target for job in prometheus["scrape_configs"] for config in job["static_configs"] for target in config["targets"]}
    port = faxd["metrics"]["listen"].rsplit(":", 1)[1]
    for name, service in services.items():
        if service.get("command", [""])[0] in ("worker", "webhooks") and f"{name}:{port}" not in targets:
            problem("compose/prometheus.yml", f"does not scrape {name}:{port}")


# MARK: Dockerfile


def check_dockerfile():
    lines = []
    for raw in (DEPLOY / "Dockerfile").read_text().replace("\\\n", " ").splitlines():
        if raw.strip() and not raw.lstrip().startswith("#"):
            lines.append(raw.strip())
    stages = [line for line in lines if line.upper().startswith("FROM ")]
    names = [line.split()[-1] for line in stages if " AS " in line.upper()]
    if len(stages) < 2 or names[:1] != ["build"]:
        problem("Dockerfile", f"must be a multi-stage build (build → runtime), has {names}")
        return
    final = lines[lines.index(stages[-1]):]
    joined = "\n".join(final)
    if "--from=build" not in joined:
        problem("Dockerfile", "the runtime stage must copy faxd from the build stage")
    for package in ["librdkafka1", "libcurl4", "libjemalloc2", "ca-certificates"]:
        if not re.search(rf"apt-get install[^\n]*\b{re.escape(package)}\b", joined):
            problem("Dockerfile", f"the runtime stage does not install {package}")
    if re.search(r"apt-get install[^\n]*(-dev\b|swift)", joined):
        problem("Dockerfile", "the runtime stage installs build-time packages")
    users = [line.split()[1] for line in final if line.upper().startswith("USER ")]
    if not users or users[-1].split(":")[0] in ("0", "root"):
        problem("Dockerfile", "the runtime stage must end as a non-root user")
    entry = [line for line in final if line.upper().startswith("ENTRYPOINT ")]
    if not entry or entry[-1] != 'ENTRYPOINT ["faxd"]':
        problem("Dockerfile", 'the entry point must be ["faxd"]')
    if not any(line.upper().startswith("HEALTHCHECK ") and "/healthz" in line for line in final):
        problem("Dockerfile", "needs a HEALTHCHECK on /healthz")
    if not any(line.upper().startswith("LABEL ") and "org.opencontainers.image.title" in line for line in final):
        problem("Dockerfile", "needs OCI labels")
    build = "\n".join(lines[: lines.index(stages[-1])])
    if "--static-swift-stdlib" not in build or "-c release" not in build:
        problem("Dockerfile", "the build stage must build faxd in release with the Swift runtime linked statically")


check_kubernetes()
check_compose()
check_dockerfile()
for line in problems:
    print(f"deploy: {line}")
if problems:
    sys.exit(1)
print(f"deploy: Kubernetes manifests valid for {', '.join(KUBERNETES_VERSIONS)}; Compose file and Dockerfile checked")
