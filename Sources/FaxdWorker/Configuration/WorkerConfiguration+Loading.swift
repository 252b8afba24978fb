import Foundation

extension WorkerConfiguration {
    /// Every optional set, so that the loader knows each key.
    static var schema: WorkerConfiguration {
        var schema = WorkerConfiguration()
        schema.kafka.groupInstanceID = ""
        schema.webhooks.publicBaseURL = ""
        schema.tenants.directory = ""
        return schema
    }

    /// Parses `yaml` over the defaults, then applies `FAXD_…` variables from `environment`.
    /// - Throws: `ConfigurationError` naming the key and the problem.
    public static func parse(yaml: String, source: String, environment: [String: String]) throws(ConfigurationError) -> WorkerConfiguration
    {
        let loader = ConfigurationLoader(
            defaults: WorkerConfiguration(),
            schema: schema,
            openMaps: ["kafka.properties"],
            environmentPrefix: "FAXD_"
        )
        let configuration = try loader.load(yaml: yaml, source: source, environment: environment)
        try configuration.validate(source: source)
        return configuration
    }

    /// Reads and parses the file at `path` (a missing file is an error).
    public static func load(path: String, environment: [String: String]) throws(ConfigurationError) -> WorkerConfiguration {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(source: path, path: "", reason: "cannot read the file (\(error.localizedDescription))")
        }
        return try parse(yaml: text, source: path, environment: environment)
    }

    /// Checks what types alone cannot say.
    func validate(source: String) throws(ConfigurationError) {
        func fail(_ path: String, _ reason: String) -> ConfigurationError { ConfigurationError(source: source, path: path, reason: reason) }
        guard !kafka.bootstrapServers.isEmpty else { throw fail("kafka.bootstrap_servers", "must not be empty") }
        guard !kafka.groupID.isEmpty else { throw fail("kafka.group_id", "must not be empty") }
        guard ["sandbox", "live"].contains(mintfax.environment) else {
            throw fail("mintfax.environment", "must be sandbox or live, got '\(mintfax.environment)'")
        }
        guard let url = URL(string: mintfax.baseURL), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw fail("mintfax.base_url", "must be an http(s) URL, got '\(mintfax.baseURL)'")
        }
        for (path, value) in [
            ("dispatch.max_in_flight", dispatch.maxInFlight), ("dispatch.max_in_flight_per_tenant", dispatch.maxInFlightPerTenant),
            ("dispatch.rate_limit_per_minute", dispatch.rateLimitPerMinute), ("dispatch.retry_budget_seconds", dispatch.retryBudgetSeconds),
            ("dispatch.max_buffered_jobs", dispatch.maxBufferedJobs), ("dispatch.max_buffered_bytes", dispatch.maxBufferedBytes),
            ("dispatch.max_buffered_jobs_per_tenant", dispatch.maxBufferedJobsPerTenant),
            ("dispatch.max_publishing", dispatch.maxPublishing),
            ("dispatch.breaker_failures", dispatch.breakerFailures),
            ("dispatch.breaker_open_seconds", dispatch.breakerOpenSeconds), ("dispatch.documents.max_bytes", dispatch.documents.maxBytes),
            ("mintfax.request_timeout_ms", mintfax.requestTimeoutMS), ("mintfax.connect_timeout_ms", mintfax.connectTimeoutMS),
            ("webhooks.tolerance_seconds", webhooks.toleranceSeconds), ("webhooks.max_body_bytes", webhooks.maxBodyBytes),
            ("delivery.reconcile_after_seconds", delivery.reconcileAfterSeconds),
            ("delivery.reconcile_interval_seconds", delivery.reconcileIntervalSeconds),
            ("delivery.forget_after_minutes", delivery.forgetAfterMinutes),
            ("tenants.watch_interval_seconds", tenants.watchIntervalSeconds),
        ] where value < 1 {
            throw fail(path, "must be at least 1, got \(value)")
        }
        guard balance.intervalSeconds >= 0 else {
            throw fail("balance.interval_seconds", "must be 0 (off) or more, got \(balance.intervalSeconds)")
        }
        guard UUID(uuidString: dispatch.idempotencyNamespace) != nil else {
            throw fail("dispatch.idempotency_namespace", "must be a UUID, got '\(dispatch.idempotencyNamespace)'")
        }
        guard HostPort(metrics.listen) != nil else { throw fail("metrics.listen", "must be host:port, got '\(metrics.listen)'") }
        if let problem = console.problem { throw fail("console.token", problem) }
        guard ["http/protobuf", "http/json"].contains(tracing.otlpProtocol) else {
            throw fail("tracing.otlp_protocol", "must be http/protobuf or http/json, got '\(tracing.otlpProtocol)'")
        }
        if !tracing.otlpTracesEndpoint.isEmpty {
            guard let url = URL(string: tracing.otlpTracesEndpoint), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
                throw fail("tracing.otlp_traces_endpoint", "must be an http(s) URL, got '\(tracing.otlpTracesEndpoint)'")
            }
        }
    }
}

extension WorkerConfiguration.Console {
    /// What is wrong with `token`, nil when nothing. The token itself is never repeated: a secret.
    public var problem: String? {
        if token.isEmpty { return nil }
        if token.count < 16 { return "must be at least 16 characters (or empty: no console), got \(token.count)" }
        if !token.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-._~".contains($0)) }) {
            return "must use only letters, digits and - . _ ~ (it travels in a URL and a cookie)"
        }
        return nil
    }
}

/// `host:port`.
public struct HostPort: Sendable, Equatable {
    public var host: String
    public var port: Int

    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        let host = String(text[..<colon])
        guard !host.isEmpty else { return nil }
        self.host = host
        self.port = port
    }
}
