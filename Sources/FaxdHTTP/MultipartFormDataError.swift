/// The error thrown by ``MultipartFormData/encode()``.
public struct MultipartFormDataError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String

        private init(_ name: String) {
            self.name = name
        }

        /// The encoded body would exceed ``MultipartFormData/maximumSize``.
        public static let tooLarge = Code("tooLarge")
        /// A file part's content type contains CR, LF or NUL and would inject part headers.
        public static let invalidContentType = Code("invalidContentType")

        public var description: String { name }
    }

    /// The kind of failure.
    public let code: Code
    /// A human-readable explanation, for logs.
    public let reason: String

    /// Creates an error.
    public init(code: Code, reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "MultipartFormDataError(\(code)): \(reason)" }
}
