import Hummingbird

extension Response {
    /// A response with a JSON body.
    static func json(status: Int, bytes: [UInt8]) -> Response {
        Response(
            status: HTTPResponse.Status(code: status),
            headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    /// A response with `value` encoded as JSON.
    static func json(status: Int = 200, _ value: some Encodable) throws -> Response {
        json(status: status, bytes: try JSONBody.encode(value))
    }
}
