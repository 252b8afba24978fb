import FaxdCore
import FaxdHTTP
import Foundation

/// Turns a job's document into bytes in memory: inline documents as they are, URLs downloaded under
/// the deployment's rules (https only unless `allowHTTP`, hosts from the allow-list, size and time
/// limits). Nothing is written to disk.
struct DocumentFetcher: Sendable {
    let http: HTTPClient
    let rules: WorkerConfiguration.Dispatch.Documents

    struct Document: Sendable {
        var bytes: [UInt8]
        var filename: String
        var contentType: String
    }

    /// Why a document could not be had: `permanent` failures reject the job, others are retried.
    struct Failure: Error, Sendable {
        var error: ErrorInfo
        var permanent: Bool
    }

    func fetch(_ document: JobDocument) async -> Result<Document, Failure> {
        switch document {
        case .inline(let bytes, let filename, let contentType):
            return .success(Document(bytes: bytes, filename: filename, contentType: contentType))
        case .url(let url, let contentType):
            return await download(url, declaredType: contentType)
        }
    }

    private func download(_ url: URL, declaredType: String?) async -> Result<Document, Failure> {
        func permanent(_ code: String, _ message: String) -> Result<Document, Failure> {
            .failure(Failure(error: ErrorInfo(code: code, message: message, retryable: false, httpStatus: nil), permanent: true))
        }
        let scheme = url.scheme?.lowercased() ?? ""
        guard scheme == "https" || (scheme == "http" && rules.allowHTTP) else {
            return permanent("document_url_scheme", "Document URLs must use https in this deployment.")
        }
        guard let host = url.host?.lowercased(), rules.allowedHosts.contains(where: { $0.lowercased() == host }) else {
            return permanent("document_host_not_allowed", "The document's host is not on this deployment's allow-list.")
        }
        let response: HTTPResponse
        do {
            response = try await http.execute(HTTPRequest(method: .GET, url: url.absoluteString), timeout: .milliseconds(rules.timeoutMS))
        } catch let error as HTTPClientError where error.code == .responseTooLarge {
            return permanent("document_too_large", "The document is larger than \(rules.maxBytes) bytes.")
        } catch {
            return .failure(
                Failure(
                    error: ErrorInfo(
                        code: "document_fetch_failed",
                        message: "The document could not be downloaded.",
                        retryable: true,
                        httpStatus: nil
                    ),
                    permanent: false
                )
            )
        }
        guard (200..<300).contains(response.status) else {
            let transient = response.status >= 500 || response.status == 429 || response.status == 408
            return .failure(
                Failure(
                    error: ErrorInfo(
                        code: "document_fetch_failed",
                        message: "The document URL answered \(response.status).",
                        retryable: transient,
                        httpStatus: response.status
                    ),
                    permanent: !transient
                )
            )
        }
        guard response.body.count <= rules.maxBytes else {
            return permanent("document_too_large", "The document is larger than \(rules.maxBytes) bytes.")
        }
        let served = response.headers["content-type"].flatMap { DocumentType(mimeType: $0)?.mimeType }
        guard let contentType = declaredType ?? served else {
            return permanent("document_type_unsupported", "The document's type is not one mintfax accepts.")
        }
        let name = url.lastPathComponent.isEmpty || url.lastPathComponent == "/" ? "document" : url.lastPathComponent
        return .success(Document(bytes: response.body, filename: name, contentType: contentType))
    }
}
