public import Foundation

/// A fax job, version 1: the value of a `fax.jobs` record (DESIGN §3), validated.
///
/// Jobs come only from `parse(value:key:)`, so every `Job` keeps the rules of job v1.
public struct Job: Sendable, Hashable {
    /// `page_size`: the paper size mintfax renders non-PDF content onto.
    public enum PageSize: String, Sendable, Hashable, CaseIterable {
        case letter, legal, a4, b4
    }

    /// `resolution`: the T.30 resolution.
    public enum Resolution: String, Sendable, Hashable, CaseIterable {
        case standard, fine
    }

    /// `optimize_for`: mintfax's rasterizer hint for non-PDF content.
    public enum OptimizeFor: String, Sendable, Hashable, CaseIterable {
        case text, photo
    }

    /// The producer's id for this fax, unique per tenant: 1–128 bytes of UTF-8 without control characters.
    public let jobID: String
    /// The tenant, `[A-Za-z0-9._-]{1,64}`, equal to the record key when one is set.
    public let tenantID: String
    /// The recipient in E.164 form. Log it only through `RecipientMask`.
    public let to: String
    public let document: JobDocument
    /// mintfax's delivery attempts, 1–5; nil leaves mintfax's default (3).
    public let maxAttempts: Int?
    /// The sender CSID, at most 20 characters.
    public let csid: String?
    public let pageSize: PageSize?
    public let resolution: Resolution?
    public let optimizeFor: OptimizeFor?
    /// The producer's tags: at most 8, keys 1–64 characters, values at most 255, never `faxd_tenant`
    /// or `faxd_job` (see `submissionTags`).
    public let tags: [String: String]
    /// A per-fax webhook override, http or https, at most 2048 characters.
    public let webhookURL: URL?
    /// The job is not submitted after this instant; it ends as `fax.expired`.
    public let deadline: Date?

    init(
        jobID: String,
        tenantID: String,
        to: String,
        document: JobDocument,
        maxAttempts: Int?,
        csid: String?,
        pageSize: PageSize?,
        resolution: Resolution?,
        optimizeFor: OptimizeFor?,
        tags: [String: String],
        webhookURL: URL?,
        deadline: Date?
    ) {
        self.jobID = jobID
        self.tenantID = tenantID
        self.to = to
        self.document = document
        self.maxAttempts = maxAttempts
        self.csid = csid
        self.pageSize = pageSize
        self.resolution = resolution
        self.optimizeFor = optimizeFor
        self.tags = tags
        self.webhookURL = webhookURL
        self.deadline = deadline
    }

    /// The tag key faxd adds with the tenant id, so a webhook maps back to the tenant.
    public static let tenantTagKey = "faxd_tenant"
    /// The tag key faxd adds with the job id, so a webhook or a lookup maps back to the job.
    public static let jobTagKey = "faxd_job"

    /// The tenant and job id.
    public var reference: JobReference {
        JobReference(tenantID: tenantID, jobID: jobID)
    }

    /// The job's idempotency key (DESIGN §4) in `namespace`.
    public func idempotencyKey(namespace: UUIDv5 = IdempotencyKey.defaultNamespace) -> IdempotencyKey {
        reference.idempotencyKey(namespace: namespace)
    }

    /// The tags sent to mintfax: the producer's tags plus `faxd_tenant` and `faxd_job` (at most 10,
    /// mintfax's limit).
    public var submissionTags: [String: String] {
        // Set into a copy: merging built a dictionary of faxd's two and then a third (per job).
        var submission = tags
        submission[Self.tenantTagKey] = tenantID
        submission[Self.jobTagKey] = jobID
        return submission
    }

    /// Whether the deadline has passed at `now`: true only when `now` is later than the deadline.
    public func isExpired(at now: Date) -> Bool {
        deadline.map { now > $0 } ?? false
    }
}

extension Job: CustomStringConvertible, CustomDebugStringConvertible {
    /// A description safe for logs: the recipient masked, no document bytes, URLs or tag values.
    public var description: String {
        "Job(tenant: \(tenantID), job: \(jobID), to: \(RecipientMask.mask(to)), document: \(document), tags: \(tags.count))"
    }

    public var debugDescription: String { description }
}
