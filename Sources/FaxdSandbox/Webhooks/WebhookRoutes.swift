import Foundation
import Hummingbird
import NIOCore

/// `POST /v1/webhooks`: registers an endpoint and shows its signing secret once.
struct WebhookRoutes: Sendable {
    typealias Context = SandboxRequestContext

    /// The longest `description`, in characters.
    static let maximumDescriptionLength = 255

    let store: SandboxStore

    /// Adds the routes to the `/v1` group.
    func register(on group: RouterGroup<Context>) {
        group.post("webhooks", use: create)
    }

    @Sendable func create(_ request: Request, context: Context) async throws -> Response {
        let environment = try context.requireEnvironment()
        var errors = FieldErrors()
        let body: [UInt8]
        do {
            body = try await FaxRoutes.collect(request, upTo: FaxRoutes.maximumJSONBodyBytes)
        } catch is NIOTooManyBytesError {
            errors.add("body", "The request body must not be greater than 64 kilobytes.")
            throw SandboxAPIError.validation(errors)
        }
        guard let object = (try? JSONDecoder().decode(JSONValue.self, from: Data(body)))?.objectValue else {
            errors.add("body", "The request body must be a JSON object with a url.")
            throw SandboxAPIError.validation(errors)
        }
        var url: String?
        switch object["url"] {
        case .string(let text)?:
            if WebhookURL.isValid(text) {
                url = text
            } else {
                errors.add("url", "The url field must be an http or https URL of at most 2048 characters.")
            }
        case nil, .null?: errors.add("url", "The url field is required.")
        default: errors.add("url", "The url field must be a string.")
        }
        var events: [String]?
        switch object["events"] {
        case nil, .null?: break
        case .array(let items)?:
            let names = items.compactMap { item -> String? in if case .string(let name) = item { return name } else { return nil } }
            if names.count == items.count, !names.isEmpty, names.allSatisfy(WebhookEventType.allowedNames.contains) {
                events = names
            } else {
                errors.add(
                    "events",
                    "The events field must list event types from: \(WebhookEventType.allowedNames.sorted().joined(separator: ", "))."
                )
            }
        default: errors.add("events", "The events field must be an array or null.")
        }
        var description: String?
        switch object["description"] {
        case nil, .null?: break
        case .string(let text)? where text.count <= Self.maximumDescriptionLength: description = text
        default: errors.add("description", "The description field must be a string of at most \(Self.maximumDescriptionLength) characters.")
        }
        guard errors.isEmpty, let url else { throw SandboxAPIError.validation(errors) }
        try await store.injectLatency()
        let endpoint = store.addEndpoint(environment: environment, url: url, events: events, description: description)
        return try .json(status: 201, WebhookEndpointCreated(data: endpoint))
    }
}
