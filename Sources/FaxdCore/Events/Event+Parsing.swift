import Foundation

extension StatusEvent {
    /// The event in a `fax.status` record value; nil when it is not one. Records as faxd writes them
    /// are read without `JSONDecoder` (a worker reads back every event it publishes); anything else is
    /// decoded by it, so both paths read the same.
    public static func parse(_ value: [UInt8]) -> StatusEvent? {
        if let fields = FlatJSON.fields(value), let event = StatusEvent(fields) { return event }
        return try? JSONDecoder().decode(StatusEvent.self, from: Data(value))
    }

    private init?(_ fields: [String: FlatJSON.Value]) {
        guard case .string(let eventID) = fields["event_id"], let eventID = UUIDv5(eventID), case .string(let type) = fields["type"],
            case .string(let tenantID) = fields["tenant_id"], case .string(let jobID) = fields["job_id"],
            case .string(let key) = fields["idempotency_key"], let idempotencyKey = UUIDv5(key),
            case .string(let occurred) = fields["occurred_at"], let occurredAt = RFC3339Timestamp.parse(occurred),
            case .string(let source) = fields["source"], let faxID = FlatJSON.optionalString(fields["fax_id"]),
            let attempt = FlatJSON.optionalInt(fields["attempt"]), let pages = FlatJSON.optionalInt(fields["pages"]),
            let nextAttemptAt = FlatJSON.optionalString(fields["next_attempt_at"])
        else { return nil }
        var error: ErrorInfo?
        switch fields["error"] {
        case .object(let inner):
            guard case .string(let code) = inner["code"], case .string(let message) = inner["message"],
                case .bool(let retryable) = inner["retryable"], let httpStatus = FlatJSON.optionalInt(inner["http_status"])
            else { return nil }
            error = ErrorInfo(code: code, message: message, retryable: retryable, httpStatus: httpStatus)
        case .null, nil:
            error = nil
        default:
            return nil
        }
        var next: Date?
        if let nextAttemptAt {
            guard let date = RFC3339Timestamp.parse(nextAttemptAt) else { return nil }
            next = date
        }
        self.init(
            eventID: eventID,
            type: Kind(rawValue: type),
            tenantID: tenantID,
            jobID: jobID,
            idempotencyKey: idempotencyKey,
            faxID: faxID,
            occurredAt: occurredAt,
            attempt: attempt,
            pages: pages,
            error: error,
            nextAttemptAt: next,
            source: Source(rawValue: source)
        )
    }
}

extension UsageEvent {
    /// The event in a `fax.usage` record value; nil when it is not one (as `StatusEvent.parse`).
    public static func parse(_ value: [UInt8]) -> UsageEvent? {
        if let fields = FlatJSON.fields(value), let event = UsageEvent(fields) { return event }
        return try? JSONDecoder().decode(UsageEvent.self, from: Data(value))
    }

    private init?(_ fields: [String: FlatJSON.Value]) {
        guard case .string(let eventID) = fields["event_id"], let eventID = UUIDv5(eventID), case .string(let type) = fields["type"],
            case .string(let tenantID) = fields["tenant_id"], case .string(let environment) = fields["environment"],
            case .string(let occurred) = fields["occurred_at"], let occurredAt = RFC3339Timestamp.parse(occurred),
            let jobID = FlatJSON.optionalString(fields["job_id"]), let faxID = FlatJSON.optionalString(fields["fax_id"]),
            let pages = FlatJSON.optionalInt(fields["pages"]), let available = FlatJSON.optionalInt(fields["available"]),
            let held = FlatJSON.optionalInt(fields["held"])
        else { return nil }
        self.init(
            eventID: eventID,
            type: Kind(rawValue: type),
            tenantID: tenantID,
            jobID: jobID,
            faxID: faxID,
            pages: pages,
            environment: Environment(rawValue: environment),
            occurredAt: occurredAt,
            available: available,
            held: held
        )
    }
}

extension FlatJSON {
    /// A string, or nil for null or absent (`.some(nil)`); nil for any other value.
    static func optionalString(_ value: Value?) -> String?? {
        switch value {
        case .string(let text): text
        case .null, nil: .some(nil)
        default: nil
        }
    }

    /// An integer that fits `Int`, or nil for null or absent (`.some(nil)`); nil for any other value.
    static func optionalInt(_ value: Value?) -> Int?? {
        switch value {
        case .integer(let number):
            guard let number = Int(exactly: number) else { return nil }
            return number
        case .null, nil:
            return .some(nil)
        default:
            return nil
        }
    }
}
