/// A pointer to a librdkafka object that librdkafka documents as thread-safe: a client handle
/// (`rd_kafka_t *`) or a mock cluster (`rd_kafka_mock_cluster_t *`).
///
/// - Important: this is the adapter's only `@unchecked Sendable`. Every `rd_kafka_*` call on these
///   objects may be made from any thread. The owner destroys the object exactly once
///   (`rd_kafka_destroy`, `rd_kafka_mock_cluster_destroy`), after stopping its poll thread, and nothing
///   uses the pointer afterwards.
struct RDKafkaPointer: @unchecked Sendable {
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }
}
