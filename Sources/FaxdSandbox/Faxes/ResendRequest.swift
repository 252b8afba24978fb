import Foundation

/// The optional JSON body of `POST /v1/faxes/{id}/resend`: `to`, `webhook_url`, `max_attempts`,
/// each `null` or absent to keep the original's.
struct ResendRequest: Sendable, Equatable {
    var to: String?
    var webhookURL: String?
    var maxAttempts: Int?

    /// Parses and validates a body (empty means `{}`).
    ///
    /// - Throws: 422 `validation_failed` naming each bad field, or `body` when it is not a JSON object.
    static func parse(_ body: [UInt8]) throws(SandboxAPIError) -> ResendRequest {
        var errors = FieldErrors()
        guard !body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) else { return ResendRequest() }
        guard let object = (try? JSONDecoder().decode(JSONValue.self, from: Data(body)))?.objectValue else {
            errors.add("body", "The request body must be a JSON object.")
            throw SandboxAPIError.validation(errors)
        }
        var result = ResendRequest()
        switch object["to"] {
        case nil, .null?: break
        case .string(let to)?:
            if let problem = FaxSubmission.recipientProblem(to) { errors.add("to", problem) } else { result.to = to }
        default: errors.add("to", "The to field must be a string.")
        }
        switch object["webhook_url"] {
        case nil, .null?: break
        case .string(let url)?:
            if let problem = FaxSubmission.webhookURLProblem(url) { errors.add("webhook_url", problem) } else { result.webhookURL = url }
        default: errors.add("webhook_url", "The webhook_url field must be a string.")
        }
        switch object["max_attempts"] {
        case nil, .null?: break
        case .int(let attempts)? where (1...5).contains(attempts): result.maxAttempts = attempts
        case .string(let text)? where Int(text).map({ (1...5).contains($0) }) == true: result.maxAttempts = Int(text)
        default: errors.add("max_attempts", "The max_attempts field must be an integer between 1 and 5.")
        }
        guard errors.isEmpty else { throw SandboxAPIError.validation(errors) }
        return result
    }
}
