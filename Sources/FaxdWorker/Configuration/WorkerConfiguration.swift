public import FaxdCore

/// `config/faxd.yaml` (DESIGN §8): everything a worker needs but the tenants' secrets.
///
/// Every property has a default, so a file only names what differs. Environment variables override
/// the file: `FAXD_` + the upper-cased path with `_` between the parts, e.g.
/// `FAXD_KAFKA_BOOTSTRAP_SERVERS`, `FAXD_MINTFAX_BASE_URL`, `FAXD_DISPATCH_MAX_IN_FLIGHT`.
public struct WorkerConfiguration: Codable, Sendable, Equatable {
    public var kafka = Kafka()
    public var mintfax = Mintfax()
    public var dispatch = Dispatch()
    public var tenants = Tenants()
    public var webhooks = Webhooks()
    public var delivery = Delivery()
    public var balance = Balance()
    public var metrics = Metrics()
    public var console = Console()
    public var tracing = Tracing()

    public init() {}

    public struct Kafka: Codable, Sendable, Equatable {
        /// `host:port[,…]`. Default `localhost:9092`.
        public var bootstrapServers = "localhost:9092"
        /// The workers' consumer group. Default `faxd-workers`.
        public var groupID = "faxd-workers"
        /// Static membership for this replica (`group.instance.id`), e.g. the pod name. Default none.
        public var groupInstanceID: String?
        /// The topics (DESIGN §2): `jobs`, `status`, `usage`, `dead_letters`, `ledger`.
        public var topics = TopicNames()
        /// Raw librdkafka properties (TLS, SASL, tuning), applied last. Default none.
        public var properties: [String: String] = [:]

        public init() {}

        /// `properties` as the worker's consumers (jobs, result topics) get them: librdkafka's
        /// pre-fetch queue is bounded to `queued.max.messages.kbytes` 16,384 (16 MiB; librdkafka's own
        /// default is 64 MiB per consumer), unless `properties` sets it. The worker reads ahead itself
        /// (`dispatch.max_buffered_jobs`, `max_buffered_bytes`); this queue only bridges fetch round
        /// trips. librdkafka lowers `fetch.max.bytes` (50 MB) to the same 16 MiB unless that is set
        /// too; a larger record is still fetched whole.
        public var consumerProperties: [String: String] {
            properties.merging(["queued.max.messages.kbytes": "16384"]) { own, _ in own }
        }

        enum CodingKeys: String, CodingKey {
            case bootstrapServers = "bootstrap_servers"
            case groupID = "group_id"
            case groupInstanceID = "group_instance_id"
            case topics, properties
        }
    }

    public struct Mintfax: Codable, Sendable, Equatable {
        /// The API root including `/v1`. Default `https://api.mintfax.com/v1`.
        public var baseURL = "https://api.mintfax.com/v1"
        /// `sandbox` (keys `mfx_test_`) or `live` (keys `mfx_live_`). Default `sandbox`.
        public var environment = "sandbox"
        /// Connect timeout in milliseconds. Default 5,000.
        public var connectTimeoutMS = 5_000
        /// Whole-request timeout in milliseconds (documents up to 10 MB). Default 30,000.
        public var requestTimeoutMS = 30_000
        public init() {}
        enum CodingKeys: String, CodingKey {
            case baseURL = "base_url"
            case environment
            case connectTimeoutMS = "connect_timeout_ms"
            case requestTimeoutMS = "request_timeout_ms"
        }
    }

    public struct Dispatch: Codable, Sendable, Equatable {
        /// Jobs submitting at once in this worker. Default 64.
        public var maxInFlight = 64
        /// Jobs submitting at once per tenant, unless the tenant sets its own. Default 8.
        public var maxInFlightPerTenant = 8
        /// Requests per minute per tenant key, unless the tenant sets its own (mintfax's default
        /// limit is 60). Default 60.
        public var rateLimitPerMinute = 60
        /// Time a job may spend retrying transient failures before it is dead-lettered, seconds.
        /// Default 600.
        public var retryBudgetSeconds = 600
        /// The idempotency-key namespace (a UUID). Default DESIGN §4's.
        public var idempotencyNamespace = "a58da8f1-16c4-5398-a21a-bff26ae388c4"
        /// Jobs read ahead and waiting in the scheduler; reading stops above it (and the consumer then
        /// pauses fetching). The read-ahead is what lets a small tenant's jobs pass a large tenant's
        /// backlog in the same partition. Default 20,000.
        public var maxBufferedJobs = 20_000
        /// Bytes of job records waiting in the scheduler (inline documents count); reading stops above
        /// it. Default 64 MiB.
        public var maxBufferedBytes = 64 * 1024 * 1024
        /// Jobs of one tenant read ahead and waiting (to start, to retry, to be parked): a record of a
        /// tenant at its share pauses its partition, so one stuck tenant fills only its share.
        /// Default 5,000.
        public var maxBufferedJobsPerTenant = 5_000
        /// Jobs whose request ended and whose events wait for Kafka's acknowledgement: a job gives
        /// its `max_in_flight` slot back when mintfax answers, and starts stop while this many wait
        /// (Kafka slow or away). Default 256.
        public var maxPublishing = 256
        /// Broad mintfax failures in a row (5xx, time-outs, no connection) that open a breaker: the
        /// tenant's, or all mintfax's when two or more tenants fail. Default 5.
        public var breakerFailures = 5
        /// How long a breaker stays open before its first probe, seconds; doubles per failed probe, up
        /// to 60 (or this, if longer). Default 5.
        public var breakerOpenSeconds = 5
        /// How long revoked partitions' in-flight jobs may take to finish, seconds. Default 20.
        public var drainTimeoutSeconds = 20
        /// How long SIGTERM may take, seconds. Default 30.
        public var shutdownTimeoutSeconds = 30
        /// A job whose first request went out longer ago than this (by the job ledger) is looked up at
        /// mintfax before any request is sent again: mintfax keeps idempotency keys 24 h. Hours.
        /// Default 23.
        public var lateReplayAfterHours = 23
        public var documents = Documents()
        public init() {}

        public struct Documents: Codable, Sendable, Equatable {
            /// Allow `http://` document URLs (only for local sandboxes). Default false.
            public var allowHTTP = false
            /// Hosts documents may be downloaded from; empty allows none by URL. Default empty.
            public var allowedHosts: [String] = []
            /// Largest document, bytes. Default 10 MB.
            public var maxBytes = 10 * 1024 * 1024
            /// Download timeout, milliseconds. Default 15,000.
            public var timeoutMS = 15_000
            public init() {}
            enum CodingKeys: String, CodingKey {
                case allowHTTP = "allow_http"
                case allowedHosts = "allowed_hosts"
                case maxBytes = "max_bytes"
                case timeoutMS = "timeout_ms"
            }
        }

        enum CodingKeys: String, CodingKey {
            case maxInFlight = "max_in_flight"
            case maxInFlightPerTenant = "max_in_flight_per_tenant"
            case rateLimitPerMinute = "rate_limit_per_minute"
            case retryBudgetSeconds = "retry_budget_seconds"
            case idempotencyNamespace = "idempotency_namespace"
            case maxBufferedJobs = "max_buffered_jobs"
            case maxBufferedBytes = "max_buffered_bytes"
            case maxBufferedJobsPerTenant = "max_buffered_jobs_per_tenant"
            case maxPublishing = "max_publishing"
            case breakerFailures = "breaker_failures"
            case breakerOpenSeconds = "breaker_open_seconds"
            case drainTimeoutSeconds = "drain_timeout_seconds"
            case shutdownTimeoutSeconds = "shutdown_timeout_seconds"
            case lateReplayAfterHours = "late_replay_after_hours"
            case documents
        }
    }

    public struct Tenants: Codable, Sendable, Equatable {
        /// The tenants file (DESIGN §7), relative to the configuration file. Default `tenants.yaml`.
        public var path = "tenants.yaml"
        /// A directory of one `<id>.yaml` per tenant (a Kubernetes Secret or ConfigMap volume), relative
        /// to the configuration file, watched for changes. Default none.
        public var directory: String?
        /// How often the tenants directory is looked at, seconds. Default 2.
        public var watchIntervalSeconds = 2
        public init() {}
        enum CodingKeys: String, CodingKey {
            case path, directory
            case watchIntervalSeconds = "watch_interval_seconds"
        }
    }

    public struct Webhooks: Codable, Sendable, Equatable {
        /// Serve the webhook ingress (`POST /webhooks/mintfax/{tenant}` and `/webhooks/mintfax`) on
        /// `listen`. Default true.
        public var enabled = true
        /// `host:port` of the webhook ingress, the only listener meant for the internet: it serves the
        /// two webhook routes and nothing else. Default `0.0.0.0:8080`.
        public var listen = "0.0.0.0:8080"
        /// The public URL mintfax posts to; each fax's `webhook_url` is this + `/webhooks/mintfax/{tenant}`,
        /// unless the job brings its own. Default none (faxes get no webhook URL from faxd).
        public var publicBaseURL: String?
        /// How far a delivery's `webhook-timestamp` may be from now, seconds. Default 300.
        public var toleranceSeconds = 300
        /// The largest delivery body accepted, bytes. Default 1 MiB.
        public var maxBodyBytes = 1024 * 1024
        public init() {}
        enum CodingKeys: String, CodingKey {
            case enabled, listen
            case publicBaseURL = "public_base_url"
            case toleranceSeconds = "tolerance_seconds"
            case maxBodyBytes = "max_body_bytes"
        }
    }

    /// Delivery tracking: the reconciler and what the result topics are remembered for.
    public struct Delivery: Codable, Sendable, Equatable {
        /// A submitted fax with no final event this long after `fax.submitted` is looked up with
        /// `GET /v1/faxes/{id}`, seconds. Default 900 (mintfax: most faxes finish in 1–5 minutes).
        public var reconcileAfterSeconds = 900
        /// How often the reconciler looks for overdue faxes, and the least time between two lookups
        /// of one fax, seconds. Default 60.
        public var reconcileIntervalSeconds = 60
        /// Finished faxes and acknowledged webhook ids are remembered this long for deduplication, and
        /// the result topics' last this-many minutes are read at start-up, minutes. Default 30
        /// (mintfax's own redelivery schedule spans about 18 minutes).
        public var forgetAfterMinutes = 30
        public init() {}
        enum CodingKeys: String, CodingKey {
            case reconcileAfterSeconds = "reconcile_after_seconds"
            case reconcileIntervalSeconds = "reconcile_interval_seconds"
            case forgetAfterMinutes = "forget_after_minutes"
        }
    }

    /// Balance watch: each tenant's `GET /v1/environment/balance`.
    public struct Balance: Codable, Sendable, Equatable {
        /// How often each tenant's balance is read, seconds; 0 turns the watch off. Default 300.
        public var intervalSeconds = 300
        /// A `usage.balance` event is published when a tenant's available balance crosses this, cents,
        /// unless the tenant sets `balance_threshold_cents`. Default 1,000.
        public var thresholdCents = 1_000
        public init() {}
        enum CodingKeys: String, CodingKey {
            case intervalSeconds = "interval_seconds"
            case thresholdCents = "threshold_cents"
        }
    }

    public struct Metrics: Codable, Sendable, Equatable {
        /// `host:port` of the admin listener: `/metrics`, `/healthz`, `/readyz`; keep it off the
        /// internet. Default `0.0.0.0:9464`.
        public var listen = "0.0.0.0:9464"
        /// Per-tenant series (`faxd_tenant_*{tenant}`) for the tenants with work; false leaves only the
        /// counts over all tenants, for deployments with thousands of tenants. Default true.
        public var tenantLabels = true
        public init() {}
        enum CodingKeys: String, CodingKey {
            case listen
            case tenantLabels = "tenant_labels"
        }
    }

    /// The live console on the admin listener (`/console`, docs/worker.md).
    public struct Console: Codable, Sendable, Equatable {
        /// The token the console asks for, at least 16 characters; empty (the default) turns the
        /// console off. Set it with `FAXD_CONSOLE_TOKEN` rather than in the file.
        public var token = ""
        public init() {}
    }

    /// Traces over OTLP/HTTP (swift-otel): a `faxd job` span per attempt, a child of the producer's
    /// `traceparent`, and a client span per mintfax submission, whose context is sent on.
    public struct Tracing: Codable, Sendable, Equatable {
        /// The collector's traces URL, used as it is, e.g. `http://otel-collector:4318/v1/traces`;
        /// empty (the default) exports nothing. swift-otel's `OTEL_*` variables apply too.
        public var otlpTracesEndpoint = ""
        /// `http/protobuf` (the default) or `http/json`.
        public var otlpProtocol = "http/protobuf"
        /// The `service.name` resource attribute. Default `faxd`.
        public var serviceName = "faxd"
        public init() {}
        enum CodingKeys: String, CodingKey {
            case otlpTracesEndpoint = "otlp_traces_endpoint"
            case otlpProtocol = "otlp_protocol"
            case serviceName = "service_name"
        }
    }
}
