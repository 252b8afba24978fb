/// A validated `POST /v1/faxes` request: the recipient, the uploaded file and the options.
struct FaxSubmission: Sendable {
    var to: String
    var document: FaxDocument
    var options: FaxOptions
}
