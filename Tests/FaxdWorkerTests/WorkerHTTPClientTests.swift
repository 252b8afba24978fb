import FaxdHTTP
import Testing

@testable import FaxdWorker

/// The worker's HTTP client as its configuration makes it.
@Suite struct WorkerHTTPClientTests {
    /// Every dispatch slot has a connection to mintfax: a slot's request goes out at once rather
    /// than waiting behind other slots' requests for one of the client's default 64.
    @Test(arguments: [1, 64, 65, 256, 1_000])
    func everySlotHasAConnectionToMintfax(slots: Int) {
        var configuration = WorkerConfiguration()
        configuration.dispatch.maxInFlight = slots
        #expect(configuration.httpClient.maxConnectionsPerHost == max(64, slots))
    }

    @Test func timeoutsAndTheBodyLimitComeFromTheConfiguration() {
        var configuration = WorkerConfiguration()
        configuration.mintfax.connectTimeoutMS = 1_500
        configuration.mintfax.requestTimeoutMS = 7_000
        configuration.dispatch.documents.maxBytes = 1_000
        let client = configuration.httpClient
        #expect(client.connectTimeout == .milliseconds(1_500))
        #expect(client.totalTimeout == .milliseconds(7_000))
        #expect(client.maxResponseBodyBytes == 1_001)
    }
}
