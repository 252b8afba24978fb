import FaxdCore
import FaxdKafka
import Foundation

/// What the console shows of one worker at one moment (`GET /console/api/state` and each message of
/// `GET /console/events`): its tenants — with work now, or with outcomes in the last five minutes —
/// and its partitions of the jobs topic.
struct ConsoleSnapshot: Encodable, Sendable, Equatable {
    struct Tenant: Encodable, Sendable, Equatable {
        var tenant: String
        var queued = 0
        var inFlight = 0
        var retrying = 0
        var throttled = false
        var circuitOpen = false
        /// Seconds the first queued job has waited to start.
        var oldestQueuedSeconds: Double?
        var submittedLastMinute = 0
        /// Jobs rejected, dead-lettered or expired and attempts retried, over ``RecentOutcomes/window``.
        var failing = 0
        var submitted = 0
        var rejected = 0
        var deadLettered = 0
        var expired = 0
        var retried = 0

        enum CodingKeys: String, CodingKey {
            case tenant, queued, retrying, throttled, failing, submitted, rejected, expired, retried
            case inFlight = "in_flight"
            case circuitOpen = "circuit_open"
            case oldestQueuedSeconds = "oldest_queued_seconds"
            case submittedLastMinute = "submitted_last_minute"
            case deadLettered = "dead_lettered"
        }
    }

    struct Partition: Encodable, Sendable, Equatable {
        var partition: Int32
        /// Records after the committed offset: read or not, not yet done.
        var lag: Int64
        /// Read and not yet done.
        var unfinished = 0
        /// Seconds since the record time of the lowest unfinished offset.
        var oldestUnfinishedSeconds: Double?

        enum CodingKeys: String, CodingKey {
            case partition, lag, unfinished
            case oldestUnfinishedSeconds = "oldest_unfinished_seconds"
        }
    }

    var group: String
    var topic: String
    var ready: Bool
    var generatedAt: String
    var tenants: [Tenant]
    var partitions: [Partition]

    enum CodingKeys: String, CodingKey {
        case group, topic, ready, tenants, partitions
        case generatedAt = "generated_at"
    }

    init(
        view: DispatchStateMachine<Dispatcher.PendingJob>.View,
        lag: [KafkaTopicPartition: Int64],
        recent: [String: RecentOutcomes.Counts],
        group: String,
        topic: String,
        ready: Bool,
        now: Date
    ) {
        let nowMS = Int64(now.timeIntervalSince1970 * 1000)
        func age(_ time: Int64?) -> Double? { time.map { Double(max(0, nowMS - $0)) / 1000 } }
        var tenants: [String: Tenant] = [:]
        for (id, row) in view.tenants {
            var tenant = Tenant(tenant: id)
            tenant.queued = row.activity.queued
            tenant.inFlight = row.activity.inFlight
            tenant.retrying = row.retrying
            tenant.throttled = row.activity.throttled
            tenant.circuitOpen = row.activity.circuitOpen
            tenant.oldestQueuedSeconds = age(row.oldestQueuedTime)
            tenants[id] = tenant
        }
        for (id, counts) in recent {
            var tenant = tenants[id] ?? Tenant(tenant: id)
            tenant.submittedLastMinute = counts.submittedLastMinute
            tenant.failing = counts.failing
            tenant.submitted = counts.submitted
            tenant.rejected = counts.rejected
            tenant.deadLettered = counts.deadLettered
            tenant.expired = counts.expired
            tenant.retried = counts.retried
            tenants[id] = tenant
        }
        var partitions: [Int32: Partition] = [:]
        for (partition, records) in lag where partition.topic == topic {
            partitions[partition.partition] = Partition(partition: partition.partition, lag: records)
        }
        for (id, row) in view.partitions {
            var partition = partitions[id] ?? Partition(partition: id, lag: 0)
            partition.unfinished = row.unfinished
            partition.oldestUnfinishedSeconds = age(row.oldestUnfinishedTime)
            partitions[id] = partition
        }
        self.group = group
        self.topic = topic
        self.ready = ready
        self.generatedAt = RFC3339Timestamp.format(wholeSeconds: now)
        self.tenants = tenants.values.sorted { $0.tenant < $1.tenant }
        self.partitions = partitions.values.sorted { $0.partition < $1.partition }
    }
}
