import Foundation
import Hummingbird

/// What mintfax's API gateway does before any `/v1` handler runs: authenticate the bearer
/// token, then count the request against its environment's sliding window.
///
/// Requests without a known key are counted in one shared window (so even a 401 carries
/// `X-RateLimit-*`), then rejected with 401. A rate-limit storm or a full window gives 429 with
/// `Retry-After`.
struct GatewayMiddleware: RouterMiddleware {
    typealias Context = SandboxRequestContext

    let store: SandboxStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let token = Self.bearerToken(request.headers[.authorization])
        let environment = store.authenticate(token: token)
        let decision = store.admit(environment: environment, now: store.clock.now())
        context.trace.update {
            $0.rateLimit = decision
            $0.environment = environment
            $0.tokenSuffix = token.map { String($0.suffix(4)) }
        }
        if let retryAfter = decision.retryAfterSeconds {
            throw SandboxAPIError.rateLimitExceeded(retryAfterSeconds: retryAfter)
        }
        guard let environment else { throw SandboxAPIError.unauthenticated }
        var context = context
        context.environment = environment
        return try await next(request, context)
    }

    /// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive).
    static func bearerToken(_ header: String?) -> String? {
        guard let header else { return nil }
        let pieces = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard pieces.count == 2, pieces[0].lowercased() == "bearer" else { return nil }
        let token = pieces[1].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
