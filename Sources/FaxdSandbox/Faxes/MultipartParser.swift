import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Parses `multipart/form-data` request bodies (RFC 7578) held in memory.
///
/// Boundaries are found with `memchr`/`memcmp`, so a 10 MB upload parses in milliseconds even in
/// a debug build. Field names and filenames are unescaped the way browsers escape them (`%22`,
/// `%0D`, `%0A`).
package enum MultipartParser {
    /// The `boundary` parameter of a `multipart/form-data` content type, or `nil` when the
    /// content type is another one or has no boundary.
    package static func boundary(fromContentType contentType: String) -> String? {
        let pieces = HeaderParameters.split(contentType)
        guard let mediaType = pieces.first?.lowercased(), mediaType == "multipart/form-data" else { return nil }
        for piece in pieces.dropFirst() {
            let (name, value) = HeaderParameters.nameAndValue(piece)
            if name.lowercased() == "boundary", let value, !value.isEmpty, value.utf8.count <= 200 {
                return value
            }
        }
        return nil
    }

    /// Splits `body` into its parts.
    ///
    /// - Returns: the parts in order, or `nil` when the body is not a well-formed multipart body
    ///   for `boundary` (no opening delimiter, a part without a header block or without a
    ///   `form-data` name, or no closing delimiter).
    package static func parse(_ body: [UInt8], boundary: String) -> [MultipartPart]? {
        let delimiter = Array("--\(boundary)".utf8)
        let separator = Array("\r\n--\(boundary)".utf8)
        let headerEnd: [UInt8] = [13, 10, 13, 10]
        var parts: [MultipartPart] = []
        // The first delimiter opens the body (a preamble before it is allowed).
        var position: Int
        if body.starts(with: delimiter) {
            position = delimiter.count
        } else if let found = find(separator, in: body, from: 0) {
            position = found + separator.count
        } else {
            return nil
        }
        while true {
            // After a delimiter: "--" closes the body, CRLF starts a part.
            if body.count >= position + 2, body[position] == 45, body[position + 1] == 45 { return parts }
            guard body.count >= position + 2, body[position] == 13, body[position + 1] == 10 else { return nil }
            position += 2
            guard let headersEnd = find(headerEnd, in: body, from: position) else { return nil }
            let contentStart = headersEnd + headerEnd.count
            guard let contentEnd = find(separator, in: body, from: contentStart) else { return nil }
            guard var part = headers(body[position..<headersEnd]) else { return nil }
            part.bytes = Array(body[contentStart..<contentEnd])
            parts.append(part)
            position = contentEnd + separator.count
        }
    }

    /// A part with name, filename and content type from its header block, content still empty.
    ///
    /// The block is split into lines, and each line at its first colon, as bytes (no UTF-8 sequence
    /// contains CR, LF or a colon): going by `Character`, grapheme cluster by grapheme cluster, was
    /// the sandbox's largest cost per request (issue #16, docs/benchmarks.md).
    private static func headers(_ block: ArraySlice<UInt8>) -> MultipartPart? {
        var name: String?
        var filename: String?
        var contentType: String?
        for line in lines(block) {
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { continue }
            let field = HeaderParameters.trim(String(decoding: line[..<colon], as: UTF8.self)).lowercased()
            let value = HeaderParameters.trim(String(decoding: line[(colon + 1)...], as: UTF8.self))
            switch field {
            case "content-disposition":
                let pieces = HeaderParameters.split(value)
                guard pieces.first?.lowercased() == "form-data" else { return nil }
                for piece in pieces.dropFirst() {
                    let (parameter, parameterValue) = HeaderParameters.nameAndValue(piece)
                    switch parameter.lowercased() {
                    case "name": name = parameterValue.map(unescape)
                    case "filename": filename = parameterValue.map(unescape)
                    default: break
                    }
                }
            case "content-type":
                contentType = value
            default:
                break
            }
        }
        guard let name else { return nil }
        return MultipartPart(name: name, filename: filename, contentType: contentType, bytes: [])
    }

    /// The non-empty lines of `block`, split at each CRLF.
    private static func lines(_ block: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var lines: [ArraySlice<UInt8>] = []
        var start = block.startIndex
        var index = block.startIndex
        while index < block.endIndex {
            if block[index] == 13, index + 1 < block.endIndex, block[index + 1] == 10 {
                if index > start { lines.append(block[start..<index]) }
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        if start < block.endIndex { lines.append(block[start..<block.endIndex]) }
        return lines
    }

    private static func unescape(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "%")) else { return text }
        return text.replacingOccurrences(of: "%22", with: "\"")
            .replacingOccurrences(of: "%0D", with: "\r")
            .replacingOccurrences(of: "%0A", with: "\n")
    }

    /// The index of the first occurrence of `pattern` in `bytes` at or after `start`.
    static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard !pattern.isEmpty, bytes.count - start >= pattern.count else { return nil }
        return bytes.withUnsafeBufferPointer { haystack -> Int? in
            pattern.withUnsafeBufferPointer { needle -> Int? in
                guard let base = haystack.baseAddress, let needleBase = needle.baseAddress else { return nil }
                let last = haystack.count - needle.count
                var index = start
                while index <= last {
                    guard let hit = memchr(base + index, Int32(needle[0]), last - index + 1) else { return nil }
                    let offset = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(base + offset, needleBase, needle.count) == 0 { return offset }
                    index = offset + 1
                }
                return nil
            }
        }
    }
}
