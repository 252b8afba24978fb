import FaxdCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `POST /v1/faxes`, `GET /v1/faxes`, `GET /v1/faxes/{id}` and `POST /v1/faxes/{id}/resend`.
struct FaxRoutes: Sendable {
    typealias Context = SandboxRequestContext

    /// The largest submission body read, in bytes: a 10 MB file plus the other fields, with room
    /// to spare so an oversized file is answered with a 422 naming `file` rather than cut off.
    static let maximumSubmissionBodyBytes = 32 * 1024 * 1024
    /// The largest JSON body read by resend, in bytes.
    static let maximumJSONBodyBytes = 64 * 1024

    let store: SandboxStore

    /// Adds the routes to the `/v1` group.
    func register(on group: RouterGroup<Context>) {
        group.post("faxes", use: submit)
        group.get("faxes", use: list)
        group.get("faxes/:id", use: get)
        group.post("faxes/:id/resend", use: resend)
    }

    @Sendable func submit(_ request: Request, context: Context) async throws -> Response {
        let environment = try context.requireEnvironment()
        let key = try Self.idempotencyKey(request, trace: context.trace)
        let body: [UInt8]
        do {
            body = try await Self.collect(request, upTo: Self.maximumSubmissionBodyBytes)
        } catch is NIOTooManyBytesError {
            var errors = FieldErrors()
            errors.add("file", "The file field must not be greater than 10240 kilobytes.")
            throw SandboxAPIError.validation(errors)
        }
        guard let contentType = request.headers[.contentType], let boundary = MultipartParser.boundary(fromContentType: contentType),
            let parts = MultipartParser.parse(body, boundary: boundary)
        else {
            var errors = FieldErrors()
            errors.add("body", "The request body must be multipart/form-data with the fields to and file.")
            throw SandboxAPIError.validation(errors)
        }
        let fingerprint = IdempotencyFingerprint.multipart(method: "POST", path: "/v1/faxes", parts: parts)
        context.trace.update { $0.bodyHash = fingerprint }
        let submission: FaxSubmission
        switch FaxSubmission.validate(parts: parts) {
        case .success(let valid): submission = valid
        case .failure(let errors): throw SandboxAPIError.validation(errors)
        }
        context.trace.update { $0.tags = submission.options.tags }
        return try await store.runIdempotently(key: key, fingerprint: fingerprint, environment: environment, trace: context.trace) {
            try await store.injectLatency()
            return try create(
                environment: environment,
                to: submission.to,
                document: submission.document,
                options: submission.options,
                idempotencyKey: key,
                resentFrom: nil,
                trace: context.trace
            )
        }
    }

    @Sendable func resend(_ request: Request, context: Context) async throws -> Response {
        let environment = try context.requireEnvironment()
        let id = try context.parameters.require("id")
        let key = try Self.idempotencyKey(request, trace: context.trace)
        let body: [UInt8]
        do {
            body = try await Self.collect(request, upTo: Self.maximumJSONBodyBytes)
        } catch is NIOTooManyBytesError {
            var errors = FieldErrors()
            errors.add("body", "The request body must not be greater than 64 kilobytes.")
            throw SandboxAPIError.validation(errors)
        }
        let overrides = try ResendRequest.parse(body)
        let fingerprint = IdempotencyFingerprint.json(method: "POST", path: "/v1/faxes/\(id)/resend", body: body)
        context.trace.update { $0.bodyHash = fingerprint }
        return try await store.runIdempotently(key: key, fingerprint: fingerprint, environment: environment, trace: context.trace) {
            try await store.injectLatency()
            guard let original = store.fax(environment: environment, id: id) else { throw SandboxAPIError.notFound("Fax \(id)") }
            if store.isStripped(original, environment: environment) { throw SandboxAPIError.gone("Fax \(id)") }
            var options = original.options
            if let maxAttempts = overrides.maxAttempts { options.maxAttempts = maxAttempts }
            if let webhookURL = overrides.webhookURL { options.webhookURL = webhookURL }
            context.trace.update { $0.tags = options.tags }
            return try create(
                environment: environment,
                to: overrides.to ?? original.to,
                document: original.document,
                options: options,
                idempotencyKey: key,
                resentFrom: original.id,
                trace: context.trace
            )
        }
    }

    @Sendable func get(_ request: Request, context: Context) async throws -> Response {
        let environment = try context.requireEnvironment()
        let id = try context.parameters.require("id")
        try await store.injectLatency()
        guard let fax = store.fax(environment: environment, id: id) else { throw SandboxAPIError.notFound("Fax \(id)") }
        if store.isStripped(fax, environment: environment) { return try .json(ZeroFootprintFax(fax)) }
        return try .json(fax)
    }

    @Sendable func list(_ request: Request, context: Context) async throws -> Response {
        let environment = try context.requireEnvironment()
        let query: FaxListQuery
        switch FaxListQuery.parse(request.uri.query) {
        case .success(let parsed): query = parsed
        case .failure(let errors): throw SandboxAPIError.validation(errors)
        }
        try await store.injectLatency()
        guard let page = store.listFaxes(environment: environment, query: query) else {
            var errors = FieldErrors()
            errors.add("cursor", "The cursor is not a next_cursor of this environment.")
            throw SandboxAPIError.validation(errors)
        }
        return try .json(page)
    }

    /// Applies the rejection scenarios, then creates the fax and encodes the 201.
    private func create(
        environment: EnvironmentHandle,
        to: String,
        document: FaxDocument,
        options: FaxOptions,
        idempotencyKey: String?,
        resentFrom: String?,
        trace: RequestTrace
    ) throws -> StoredResponse {
        if FaxScenario(recipient: to) == .insufficientBalance {
            throw SandboxAPIError.insufficientBalance(
                available: store.balance(environment: environment).available,
                required: store.configuration.pricePerPageCents
            )
        }
        switch store.createFax(
            environment: environment,
            to: to,
            document: document,
            options: options,
            idempotencyKey: idempotencyKey,
            resentFrom: resentFrom
        )
        {
        case .insufficientBalance(let available, let required):
            throw SandboxAPIError.insufficientBalance(available: available, required: required)
        case .created(let fax):
            trace.update { $0.faxID = fax.id }
            store.logger.debug(
                "Fax created",
                metadata: [
                    "fax.id": "\(fax.id)", "fax.to": "\(RecipientMask.mask(fax.to))", "sandbox.environment": "\(environment.name)",
                ]
            )
            return StoredResponse(status: 201, body: FaxSubmissionResource(fax: fax).jsonBytes())
        }
    }

    /// The `Idempotency-Key` header, recorded on the trace for the `X-Idempotency-Key` echo.
    ///
    /// - Throws: 422 naming `idempotency_key` when it is empty or longer than 255 characters.
    static func idempotencyKey(_ request: Request, trace: RequestTrace) throws -> String? {
        guard let key = request.headers[.idempotencyKey] else { return nil }
        guard !key.isEmpty, key.count <= IdempotencyStore.maximumKeyLength else {
            var errors = FieldErrors()
            errors.add(
                "idempotency_key",
                "The Idempotency-Key header must be between 1 and \(IdempotencyStore.maximumKeyLength) characters."
            )
            throw SandboxAPIError.validation(errors)
        }
        trace.update { $0.idempotencyKey = key }
        return key
    }

    /// The whole request body.
    ///
    /// - Throws: `NIOTooManyBytesError` when it is larger than `limit`.
    static func collect(_ request: Request, upTo limit: Int) async throws -> [UInt8] {
        var buffer = try await request.body.collect(upTo: limit)
        return buffer.readBytes(length: buffer.readableBytes) ?? []
    }
}
