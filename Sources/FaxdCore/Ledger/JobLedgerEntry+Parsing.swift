import Foundation

extension JobLedgerEntry {
    /// Reads a record value; nil for bytes that are not an entry of a version this build reads.
    ///
    /// A worker restoring its partitions reads every entry they hold, so the entry's own flat shape
    /// (string, integer and null values, the `origin` object) is scanned directly — about fifty times
    /// faster than `JSONDecoder`, which would make restoring a million entries take over a minute.
    /// Anything else a JSON parser accepts (other whitespace, a value of another type) goes to
    /// `JSONDecoder`, so both read the same entries.
    public static func parse(_ value: [UInt8]) -> JobLedgerEntry? {
        if let fields = FlatJSON.fields(value), let entry = JobLedgerEntry(fields) { return entry }
        return try? JSONDecoder().decode(JobLedgerEntry.self, from: Data(value))
    }

    private init?(_ fields: [String: FlatJSON.Value]) {
        guard case .integer(1) = fields["v"], case .string(let tenantID) = fields["tenant_id"], case .string(let jobID) = fields["job_id"],
            case .string(let key) = fields["idempotency_key"], let idempotencyKey = UUIDv5(key), case .string(let state) = fields["state"]
        else { return nil }
        func string(_ name: String) -> String?? {
            switch fields[name] {
            case .string(let text): text
            case .null, nil: .some(nil)
            default: nil
            }
        }
        func integer(_ name: String) -> Int64?? {
            switch fields[name] {
            case .integer(let number): number
            case .null, nil: .some(nil)
            default: nil
            }
        }
        guard let faxID = string("fax_id"), let first = integer("first_attempt_at"), let submitted = integer("submitted_at"),
            let attempt = integer("attempt"), let pages = integer("pages")
        else { return nil }
        var origin: Origin?
        switch fields["origin"] {
        case .object(let partition, let offset):
            guard let partition = Int32(exactly: partition) else { return nil }
            origin = Origin(partition: partition, offset: offset)
        case .null, nil:
            origin = nil
        default:
            return nil
        }
        guard let attemptValue = attempt.map({ Int(exactly: $0) }), let pagesValue = pages.map({ Int(exactly: $0) }) else { return nil }
        self.init(
            job: JobReference(tenantID: tenantID, jobID: jobID),
            idempotencyKey: idempotencyKey,
            state: State(rawValue: state),
            faxID: faxID,
            firstAttemptAt: first.map { Date(timeIntervalSince1970: TimeInterval($0)) },
            submittedAt: submitted.map { Date(timeIntervalSince1970: TimeInterval($0)) },
            attempt: attemptValue,
            pages: pagesValue,
            origin: origin
        )
    }
}

/// A scanner for one flat JSON object: string, integer and null values, and objects of exactly
/// `partition` and `offset` integers (a ledger entry's `origin`). Nil for anything else.
enum FlatJSON {
    enum Value: Equatable {
        case string(String)
        case integer(Int64)
        case null
        case object(partition: Int64, offset: Int64)
    }

    static func fields(_ bytes: [UInt8]) -> [String: Value]? {
        var scanner = Scanner(bytes: bytes)
        guard let fields = scanner.object(nested: false), scanner.atEnd else { return nil }
        return fields
    }

    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        var atEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// `{"k":v,...}`; inside `origin` only integer values.
        mutating func object(nested: Bool) -> [String: Value]? {
            guard take(UInt8(ascii: "{")) else { return nil }
            var fields: [String: Value] = [:]
            if take(UInt8(ascii: "}")) { return fields }
            repeat {
                guard let key = string(), take(UInt8(ascii: ":")), let value = value(nested: nested),
                    fields.updateValue(value, forKey: key) == nil
                else { return nil }
            } while take(UInt8(ascii: ","))
            return take(UInt8(ascii: "}")) ? fields : nil
        }

        mutating func value(nested: Bool) -> Value? {
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""):
                return nested ? nil : string().map(Value.string)
            case UInt8(ascii: "n"):
                guard bytes[index...].starts(with: Array("null".utf8)) else { return nil }
                index += 4
                return .null
            case UInt8(ascii: "{"):
                guard !nested, let inner = object(nested: true), inner.count == 2, case .integer(let partition) = inner["partition"],
                    case .integer(let offset) = inner["offset"]
                else { return nil }
                return .object(partition: partition, offset: offset)
            default:
                return integer().map(Value.integer)
            }
        }

        mutating func integer() -> Int64? {
            let negative = take(UInt8(ascii: "-"))
            var number: Int64 = 0
            var digits = 0
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) {
                let (times, overflowA) = number.multipliedReportingOverflow(by: 10)
                let (sum, overflowB) = times.addingReportingOverflow(Int64(bytes[index] - UInt8(ascii: "0")))
                guard !overflowA, !overflowB else { return nil }
                number = sum
                digits += 1
                index += 1
            }
            // No leading zeros, fractions or exponents: those go to JSONDecoder.
            guard digits > 0, digits == 1 || bytes[index - digits] != UInt8(ascii: "0") else { return nil }
            if index < bytes.count, [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E")].contains(bytes[index]) { return nil }
            return negative ? -number : number
        }

        /// A string without escapes; one with escapes (or a control character) goes to JSONDecoder.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    let text = String(validating: bytes[start..<index], as: UTF8.self)
                    index += 1
                    return text
                }
                if byte == UInt8(ascii: "\\") || byte < 0x20 { return nil }
                index += 1
            }
            return nil
        }
    }
}
