/// What an operator sees of a `DispatchStateMachine` (`view(now:)`), for the worker's metrics.
extension DispatchStateMachine {
    /// `view(now:)`'s answer.
    public struct View: Sendable, Equatable {
        public struct Tenant: Sendable, Equatable {
            /// Queued, in flight, throttled; `circuitOpen` also while its key's breaker is open or
            /// its credentials' or balance's circuit is.
            public var activity = TenantActivity(queued: 0, inFlight: 0, throttled: false, circuitOpen: false)
            /// Jobs waiting for a retry's delay.
            public var retrying = 0
            /// The record time of its first queued job, the one that waited longest to start.
            public var oldestQueuedTime: Int64?

            public init() {}
        }

        public struct Partition: Sendable, Equatable {
            /// Records read and not yet done (waiting, running, or publishing).
            public var unfinished: Int
            /// Records read and not taken in: no room in the read-ahead, so the partition is paused.
            public var held: Int
            /// The record time of the lowest unfinished offset: how far behind the partition's
            /// committed offset is, in time.
            public var oldestUnfinishedTime: Int64?

            public init(unfinished: Int, held: Int, oldestUnfinishedTime: Int64?) {
                self.unfinished = unfinished
                self.held = held
                self.oldestUnfinishedTime = oldestUnfinishedTime
            }
        }

        public var tenants: [String: Tenant]
        public var partitions: [Int32: Partition]

        public init(tenants: [String: Tenant], partitions: [Int32: Partition]) {
            self.tenants = tenants
            self.partitions = partitions
        }
    }
}
