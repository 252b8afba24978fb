import ArgumentParser
import FaxdCore

/// `faxd key`: prints the idempotency key of a job (DESIGN §4).
struct KeyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key",
        abstract: "Print the idempotency key faxd sends for a tenant's job."
    )

    @Option(help: "The tenant id.") var tenant: String
    @Option(help: "The producer's job id.") var job: String
    @Option(help: "The deployment's key namespace (a UUID).") var namespace: String = IdempotencyKey.defaultNamespace.description

    func validate() throws {
        if tenant.isEmpty { throw ValidationError("--tenant must not be empty") }
        if job.isEmpty { throw ValidationError("--job must not be empty") }
        if UUIDv5(namespace) == nil { throw ValidationError("--namespace must be a UUID, got '\(namespace)'") }
    }

    func run() {
        let namespace = UUIDv5(namespace)!
        print(IdempotencyKey(tenantID: tenant, jobID: job, namespace: namespace))
    }
}
