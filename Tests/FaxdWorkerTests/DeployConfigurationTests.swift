import FaxdSandbox
import FaxdWorker
import Foundation
import Testing
import Yams

/// The configuration files in deploy/ as faxd itself reads them: what Compose and Kubernetes hand a
/// worker, the ingress and the sandbox must load, with the environment those give it
/// (deploy/validate.py checks the rest of the files offline).
@Suite struct DeployConfigurationTests {
    static let deploy = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy")

    /// A Compose service's environment, with the `x-faxd` anchor's variables merged in.
    static func composeEnvironment(_ service: String) throws -> [String: String] {
        let text = try String(contentsOf: deploy.appendingPathComponent("compose/compose.yaml"), encoding: .utf8)
        let compose = try #require(try Yams.load(yaml: text) as? [String: Any])
        let services = try #require(compose["services"] as? [String: Any])
        let definition = try #require(services[service] as? [String: Any], "no service \(service)")
        let environment = try #require(definition["environment"] as? [String: Any])
        return environment.mapValues { "\($0)" }
    }

    @Test func composeWorkersLoadTheirConfigurationAndTenantsWithStaticMembership() throws {
        let directory = Self.deploy.appendingPathComponent("compose")
        for worker in ["worker-1", "worker-2", "worker-3"] {
            let environment = try Self.composeEnvironment(worker)
            let configuration = try WorkerConfiguration.load(
                path: directory.appendingPathComponent("faxd.yaml").path,
                environment: environment
            )
            #expect(configuration.kafka.groupInstanceID == worker)
            #expect(configuration.kafka.bootstrapServers == "kafka:9092")
            #expect(!configuration.webhooks.enabled)
            let tenants = try TenantDirectory(
                path: directory.appendingPathComponent(configuration.tenants.path).path,
                environment: environment,
                mintfaxEnvironment: configuration.mintfax.environment
            )
            #expect(Set(tenants.listedTenantIDs) == ["acme", "globex"])
        }
    }

    @Test func composeSandboxServesTheKeysTheWorkersSendWith() throws {
        let sandbox = try SandboxConfiguration.load(contentsOfFile: Self.deploy.appendingPathComponent("compose/sandbox.yaml").path)
        #expect(sandbox.host == "0.0.0.0")
        let environment = try Self.composeEnvironment("worker-1")
        let keys = Set(sandbox.environments.map(\.apiKey))
        #expect(keys.contains(try #require(environment["MINTFAX_KEY_ACME"])))
        #expect(keys.contains(try #require(environment["MINTFAX_KEY_GLOBEX"])))
    }

    @Test func kubernetesConfigMapLoadsWithThePodNameAsInstanceIDAndItsSecretsWhereTheyAreMounted() throws {
        let text = try String(contentsOf: Self.deploy.appendingPathComponent("kubernetes/configmap.yaml"), encoding: .utf8)
        let configMap = try #require(try Yams.load(yaml: text) as? [String: Any])
        let data = try #require(configMap["data"] as? [String: String])
        let configuration = try WorkerConfiguration.parse(
            yaml: try #require(data["faxd.yaml"]),
            source: "configmap faxd.yaml",
            environment: ["FAXD_KAFKA_GROUP_INSTANCE_ID": "faxd-worker-0"]
        )
        #expect(configuration.kafka.groupInstanceID == "faxd-worker-0")
        #expect(configuration.mintfax.environment == "live")
        // The Secret volume, mounted at /run/secrets/faxd in the pod, is a scratch directory here.
        let mount = FileManager.default.temporaryDirectory.appendingPathComponent("faxd-deploy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: mount, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: mount) }
        try "mfx_live_globex000000000000000001\n".write(
            to: mount.appendingPathComponent("globex-api-key"),
            atomically: true,
            encoding: .utf8
        )
        try "whsec_Z2xvYmV4LWRlcGxveS10ZXN0LXNlY3JldA\n".write(
            to: mount.appendingPathComponent("globex-webhook-secret"),
            atomically: true,
            encoding: .utf8
        )
        let tenantsFile = mount.appendingPathComponent("tenants.yaml")
        try try #require(data["tenants.yaml"]).replacingOccurrences(of: "/run/secrets/faxd", with: mount.path)
            .write(to: tenantsFile, atomically: true, encoding: .utf8)
        let tenants = try TenantDirectory(
            path: tenantsFile.path,
            environment: [
                "MINTFAX_KEY_ACME": "mfx_live_acme00000000000000000001",
                "MINTFAX_WEBHOOK_SECRET_ACME": "whsec_YWNtZS1kZXBsb3ktdGVzdC1zZWNyZXQ",
            ],
            mintfaxEnvironment: configuration.mintfax.environment
        )
        #expect(Set(tenants.listedTenantIDs) == ["acme", "globex"])
    }
}
