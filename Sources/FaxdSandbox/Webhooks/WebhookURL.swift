import Foundation

/// The rule for webhook URLs, registered or per fax: an absolute `http` or `https` URL with a
/// host, at most 2048 characters.
enum WebhookURL {
    /// The longest URL accepted, in characters.
    static let maximumLength = 2048

    /// Whether `text` is an acceptable webhook URL.
    static func isValid(_ text: String) -> Bool {
        guard text.count <= maximumLength, let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty
        else { return false }
        return true
    }
}
