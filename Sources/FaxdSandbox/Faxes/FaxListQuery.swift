import Foundation

/// The filters and page of `GET /v1/faxes` (API.md §2.3), validated.
///
/// Pagination is a cursor: `next_cursor` is the id of the last fax of a page and the next page
/// holds the faxes created before it, newest first (the response's cursor fields are not
/// documented by mintfax; this is the sandbox's choice).
struct FaxListQuery: Sendable, Equatable {
    /// The default page size.
    static let defaultPerPage = 20

    var status: FaxStatus?
    var to: String?
    var createdAfter: Date?
    var createdBefore: Date?
    var errorCode: String?
    /// `tag[KEY]=VALUE` filters, all of which must match.
    var tags: [String: String] = [:]
    var cursor: String?
    /// 1–100.
    var perPage = FaxListQuery.defaultPerPage

    /// Parses a raw (percent-encoded) query string, reporting problems per parameter.
    static func parse(_ query: String?) -> Result<FaxListQuery, FieldErrors> {
        var result = FaxListQuery()
        var errors = FieldErrors()
        for (name, value) in pairs(query) {
            switch name {
            case "status":
                if let status = FaxStatus(rawValue: value) {
                    result.status = status
                } else {
                    errors.add(
                        "status",
                        "The selected status is invalid; allowed: \(FaxStatus.allCases.map(\.rawValue).joined(separator: ", "))."
                    )
                }
            case "to":
                if FaxSubmission.isE164(value) {
                    result.to = value
                } else {
                    errors.add("to", "The to field must be a valid E.164 phone number.")
                }
            case "created_after", "created_before":
                if let date = Timestamp.parse(value) {
                    if name == "created_after" { result.createdAfter = date } else { result.createdBefore = date }
                } else {
                    errors.add(name, "The \(name) field must be an ISO 8601 date-time.")
                }
            case "error_code":
                if value.count <= 64 {
                    result.errorCode = value
                } else {
                    errors.add("error_code", "The error_code field must not be greater than 64 characters.")
                }
            case "cursor":
                result.cursor = value
            case "per_page":
                if let perPage = Int(value), (1...100).contains(perPage) {
                    result.perPage = perPage
                } else {
                    errors.add("per_page", "The per_page field must be an integer between 1 and 100.")
                }
            default:
                if name.hasPrefix("tag["), name.hasSuffix("]"), name.count > 5 {
                    if value.count <= FaxSubmission.maximumTagLength {
                        result.tags[String(name.dropFirst(4).dropLast())] = value
                    } else {
                        errors.add(name, "The \(name) filter must not be greater than \(FaxSubmission.maximumTagLength) characters.")
                    }
                }
            }
        }
        return errors.isEmpty ? .success(result) : .failure(errors)
    }

    /// Whether `fax` passes every filter.
    func matches(_ fax: FaxRecord) -> Bool {
        if let status, fax.status != status { return false }
        if let to, fax.to != to { return false }
        if let createdAfter, fax.createdAt <= createdAfter { return false }
        if let createdBefore, fax.createdAt >= createdBefore { return false }
        if let errorCode, fax.errorCode != errorCode { return false }
        for (key, value) in tags where fax.options.tags[key] != value { return false }
        return true
    }

    /// The decoded `name=value` pairs of a query string (`+` is a space).
    private static func pairs(_ query: String?) -> [(String, String)] {
        guard let query, !query.isEmpty else { return [] }
        return query.split(separator: "&").map { pair in
            let pieces = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(pieces[0]), pieces.count > 1 ? decode(pieces[1]) : "")
        }
    }
}
