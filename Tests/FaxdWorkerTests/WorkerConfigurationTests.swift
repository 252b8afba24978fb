import FaxdWorker
import Foundation
import Testing

@Suite struct WorkerConfigurationTests {
    @Test func anEmptyFileGivesTheDefaults() throws {
        let configuration = try WorkerConfiguration.parse(yaml: "", source: "faxd.yaml", environment: [:])
        #expect(configuration == WorkerConfiguration())
        #expect(configuration.kafka.topics.jobs == "fax.jobs")
        #expect(configuration.dispatch.maxInFlight == 64)
    }

    @Test func theFileOverridesDefaultsAndTheEnvironmentOverridesTheFile() throws {
        let yaml = """
            kafka:
              bootstrap_servers: kafka-1:9092,kafka-2:9092
              group_id: workers
              properties:
                security.protocol: SASL_SSL
                linger.ms: 10
            dispatch:
              max_in_flight: 128
              documents:
                allowed_hosts: [files.example.com]
            webhooks:
              public_base_url: https://faxd.example.com
            """
        let configuration = try WorkerConfiguration.parse(
            yaml: yaml,
            source: "faxd.yaml",
            environment: [
                "FAXD_KAFKA_GROUP_ID": "from-env", "FAXD_DISPATCH_MAX_IN_FLIGHT_PER_TENANT": "3",
                "FAXD_DISPATCH_DOCUMENTS_ALLOW_HTTP": "true", "FAXD_MINTFAX_BASE_URL": "http://127.0.0.1:8089/v1",
                "UNRELATED": "x",
            ]
        )
        #expect(configuration.kafka.bootstrapServers == "kafka-1:9092,kafka-2:9092")
        #expect(configuration.kafka.groupID == "from-env")
        #expect(configuration.kafka.properties == ["security.protocol": "SASL_SSL", "linger.ms": "10"])
        #expect(configuration.dispatch.maxInFlight == 128)
        #expect(configuration.dispatch.maxInFlightPerTenant == 3)
        #expect(configuration.dispatch.documents.allowHTTP)
        #expect(configuration.dispatch.documents.allowedHosts == ["files.example.com"])
        #expect(configuration.mintfax.baseURL == "http://127.0.0.1:8089/v1")
        #expect(configuration.webhooks.publicBaseURL == "https://faxd.example.com")
    }

    @Test func librdkafkaPropertiesComeFromTheEnvironmentToo() throws {
        let configuration = try WorkerConfiguration.parse(
            yaml: "kafka:\n  properties:\n    security.protocol: SASL_SSL\n    sasl.username: faxd\n",
            source: "faxd.yaml",
            environment: [
                "FAXD_KAFKA_PROPERTIES_SASL_PASSWORD": "from-a-secret", "FAXD_KAFKA_PROPERTIES_SASL_USERNAME": "other",
                "FAXD_KAFKA_PROPERTIES_": "x",
            ]
        )
        #expect(
            configuration.kafka.properties == ["security.protocol": "SASL_SSL", "sasl.username": "other", "sasl.password": "from-a-secret"]
        )
    }

    @Test func consumersBoundLibrdkafkasPrefetchQueueUnlessThePropertiesSetIt() {
        var kafka = WorkerConfiguration.Kafka()
        kafka.properties = ["security.protocol": "SSL"]
        #expect(kafka.consumerProperties == ["security.protocol": "SSL", "queued.max.messages.kbytes": "16384"])
        kafka.properties["queued.max.messages.kbytes"] = "65536"
        #expect(kafka.consumerProperties == kafka.properties)
    }

    @Test(arguments: [
        ("kafka:\n  bootstrap_server: x:1\n", "kafka.bootstrap_server: unknown key"),
        ("dispatch:\n  max_in_flight: lots\n", "dispatch.max_in_flight: expected a whole number, got 'lots'"),
        ("dispatch:\n  max_in_flight: 0\n", "dispatch.max_in_flight: must be at least 1, got 0"),
        ("mintfax:\n  environment: staging\n", "mintfax.environment: must be sandbox or live, got 'staging'"),
        ("kafka: [1, 2]\n", "kafka: expected a mapping"),
        ("- just\n- a list\n", "the top level must be a mapping"),
        ("dispatch:\n  idempotency_namespace: nope\n", "dispatch.idempotency_namespace: must be a UUID"),
        // Found by `make fuzz` (worker-configuration): Yams' own description spans three lines and quotes the file.
        ("kafka: [\n", "not valid YAML: line 2, column 1: did not find expected node content (while parsing a flow node"),
        // Found by `make fuzz`: Yams traps on a key that is not plain text.
        ("kafka:\n  ? [a, b]\n  : c\n", "kafka: a key must be plain text"),
        ("? {a: 1}: x\n", "faxd.yaml: a key must be plain text"),
        (Self.aliasBomb, "more than 100000 values"),
        (String(repeating: "[", count: 100) + String(repeating: "]", count: 100), "nested more than 64 levels deep"),
        // Found by `make fuzz`: Yams composes recursively, and thousands of levels overflow the stack.
        ("kafka: " + String(repeating: "{", count: 20_000), "nested more than 64 levels deep"),
        (String(repeating: "- ", count: 20_000) + "x\n", "nested more than 64 levels deep"),
        // Found by `make fuzz`: a key or value quoted from the file with a line break in it.
        ("\"kafka\\nx\": 1\n", #"faxd.yaml: kafka\nx: unknown key"#),
        ("dispatch:\n  max_in_flight: \"1\\r\\n2\"\n", #"expected a whole number, got '1\r\n2'"#),
    ])
    func aBadFileIsNamedInOneLine(yaml: String, expected: String) {
        #expect {
            _ = try WorkerConfiguration.parse(yaml: yaml, source: "faxd.yaml", environment: [:])
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("faxd.yaml: ") && text.contains(expected) && !text.contains("\n")
        }
    }

    /// Six lines that expand to a million values.
    static let aliasBomb =
        "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        + (1...5).map { level in
            let previous = level == 1 ? "a" : "l\(level - 1)"
            return "l\(level): &l\(level) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }.joined()

    @Test func aBadEnvironmentVariableIsNamed() {
        #expect {
            _ = try WorkerConfiguration.parse(yaml: "", source: "faxd.yaml", environment: ["FAXD_DISPATCH_MAX_IN_FLIGHT": "many"])
        } throws: { error in
            "\(error)".contains("environment variable FAXD_DISPATCH_MAX_IN_FLIGHT") && "\(error)".contains("dispatch.max_in_flight")
        }
    }

    @Test(arguments: [
        ("tracing:\n  otlp_protocol: grpc\n", "tracing.otlp_protocol", "must be http/protobuf or http/json, got 'grpc'"),
        (
            "tracing:\n  otlp_traces_endpoint: collector:4318\n", "tracing.otlp_traces_endpoint",
            "must be an http(s) URL, got 'collector:4318'"
        ),
    ])
    func aTracingSettingThatCannotWorkNamesItsKey(yaml: String, path: String, reason: String) {
        let error = #expect(throws: ConfigurationError.self) {
            try WorkerConfiguration.parse(yaml: yaml, source: "faxd.yaml", environment: [:])
        }
        #expect(error?.path == path)
        #expect(error?.reason == reason)
    }

    @Test func tracingIsOffByDefaultAndTheEnvironmentTurnsItOn() throws {
        #expect(try WorkerConfiguration.parse(yaml: "", source: "faxd.yaml", environment: [:]).tracing.otlpTracesEndpoint.isEmpty)
        let traced = try WorkerConfiguration.parse(
            yaml: "",
            source: "faxd.yaml",
            environment: ["FAXD_TRACING_OTLP_TRACES_ENDPOINT": "http://otel:4318/v1/traces"]
        )
        #expect(traced.tracing.otlpTracesEndpoint == "http://otel:4318/v1/traces")
        #expect(traced.tracing.otlpProtocol == "http/protobuf" && traced.tracing.serviceName == "faxd")
    }
}

@Suite struct TenantsConfigurationTests {
    @Test func theDesignExampleParses() throws {
        let yaml = """
            tenants:
              - id: acme
                api_key: { env: MINTFAX_KEY_ACME }
                webhook_secret: { file: /run/secrets/acme/webhook_secret }
                rate_limit_per_minute: 60
                max_in_flight: 8
              - id: globex
                api_key: { env: MINTFAX_KEY_GLOBEX }
            shared_workspace:
              api_key: { env: MINTFAX_SHARED_KEY }
              webhook_secret: { env: MINTFAX_SHARED_WEBHOOK_SECRET }
            """
        let tenants = try TenantsConfiguration.parse(yaml: yaml, source: "tenants.yaml")
        #expect(tenants.tenants.map(\.id) == ["acme", "globex"])
        #expect(tenants.tenants[0].apiKey == .environment("MINTFAX_KEY_ACME"))
        #expect(tenants.tenants[0].webhookSecret == SecretReferences([.file("/run/secrets/acme/webhook_secret")]))
        #expect(tenants.tenants[0].maxInFlight == 8)
        #expect(tenants.tenants[1].rateLimitPerMinute == nil)
        #expect(tenants.sharedWorkspace?.apiKey == .environment("MINTFAX_SHARED_KEY"))
    }

    @Test(arguments: [
        ("tenants:\n  - id: acme\n    api_key: mfx_test_inline\n", "tenants.0.api_key"),
        ("tenants:\n  - id: acme\n    api_key: { env: A, file: /b }\n", "exactly one of"),
        ("tenants:\n  - id: 'bad id'\n    api_key: { env: A }\n", "tenants.0.id"),
        ("tenants:\n  - id: a\n    api_key: { env: A }\n  - id: a\n    api_key: { env: B }\n", "listed twice"),
        ("tenants:\n  - api_key: { env: A }\n", "tenants.0.id: missing"),
        ("tenants:\n  - id: a\n    api_key: { env: A }\n    max_in_flight: 0\n", "tenants.0.max_in_flight: must be at least 1, got 0"),
        (
            "tenants:\n  - id: a\n    api_key: { env: A }\n  - id: b\n    api_key: { env: B }\n    rate_limit_per_minute: -5\n",
            "tenants.1.rate_limit_per_minute: must be at least 1, got -5"
        ),
        (
            "tenants:\n  - id: a\n    api_key: { env: A }\n    balance_threshold_cents: -1\n",
            "tenants.0.balance_threshold_cents: must be at least 0"
        ),
        ("tenants:\n  - id: a\n    api_key: { env: A }\n    max_in_flight: many\n", "tenants.0.max_in_flight"),
        ("tenants: [\n", "not valid YAML: line 2, column 1: did not find expected node content"),
        ("tenants:\n  - id: a\n    ? [x]\n    : y\n", "tenants.0: a key must be plain text"),
        (WorkerConfigurationTests.aliasBomb, "more than 100000 values"),
        ("tenants:\n  - id: a\n\tapi_key: x\n", "not valid YAML: line 3, column 1: found a tab character that violates indentation"),
    ])
    func aBadTenantsFileIsNamedInOneLine(yaml: String, expected: String) {
        #expect {
            _ = try TenantsConfiguration.parse(yaml: yaml, source: "tenants.yaml")
        } throws: { error in
            "\(error)".contains(expected) && !"\(error)".contains("mfx_test_inline") && !"\(error)".contains("\n")
        }
    }

    /// SIGHUP's reload: a bad file is refused in one line naming the key, and the tenants in force stay.
    @Test func aBadReloadKeepsTheTenantsInForce() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tenants-\(UUID()).yaml").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "tenants:\n  - id: acme\n    api_key: { env: KEY }\n    max_in_flight: 4\n".write(
            toFile: path,
            atomically: true,
            encoding: .utf8
        )
        let directory = try TenantDirectory(path: path, environment: ["KEY": "mfx_test_abc"], mintfaxEnvironment: "sandbox")
        try "tenants:\n  - id: acme\n    api_key: { env: KEY }\n    max_in_flight: 0\n".write(
            toFile: path,
            atomically: true,
            encoding: .utf8
        )
        #expect {
            try directory.reload()
        } throws: { error in
            "\(error)" == "\(path): tenants.0.max_in_flight: must be at least 1, got 0"
        }
        #expect(directory.tenant("acme")?.maxInFlight == 4)
    }

    @Test func secretsResolveFromTheEnvironmentAndNeverShowTheirValue() throws {
        let reference = SecretReference.environment("MINTFAX_KEY_ACME")
        #expect(try reference.resolve(environment: ["MINTFAX_KEY_ACME": " mfx_test_abc \n"], relativeTo: "/") == "mfx_test_abc")
        #expect("\(reference)" == "env MINTFAX_KEY_ACME")
        #expect(throws: ConfigurationError.self) { try reference.resolve(environment: [:], relativeTo: "/") }
    }
}
