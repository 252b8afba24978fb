/// Builds job v1 JSON for tests from members given as JSON text, in order.
struct JobJSON {
    private var members: [(name: String, json: String)]

    /// A minimal valid job: acme / inv-1 to +12125551234 with a PDF URL.
    init() {
        members = [
            ("job_id", #""inv-1""#),
            ("tenant_id", #""acme""#),
            ("to", #""+12125551234""#),
            ("document", #"{"url":"https://files.example.com/invoices/123.pdf"}"#),
        ]
    }

    /// This job with member `name` set to `json` (appended when new), or removed when `json` is nil.
    func setting(_ name: String, _ json: String?) -> JobJSON {
        var copy = self
        if let index = copy.members.firstIndex(where: { $0.name == name }) {
            if let json { copy.members[index].json = json } else { copy.members.remove(at: index) }
        } else if let json {
            copy.members.append((name, json))
        }
        return copy
    }

    var text: String {
        "{" + members.map { "\"\($0.name)\":\($0.json)" }.joined(separator: ",") + "}"
    }

    var bytes: [UInt8] { Array(text.utf8) }
}
