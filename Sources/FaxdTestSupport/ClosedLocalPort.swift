#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP port on `127.0.0.1` with nothing listening on it, for connection-refused tests.
///
/// Binds a socket to `127.0.0.1:0`, reads the port the kernel chose, and closes the socket
/// without listening. Another process could take the port afterwards, but the ephemeral range
/// makes that unlikely within a test.
///
/// - Returns: the port, in 1...65535.
/// - Precondition: the machine can create and bind a loopback TCP socket (a test fixture
///   stops loudly rather than hand back a port that would make a test pass for the wrong reason).
public func closedLocalPort() -> Int {
    #if canImport(Darwin)
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #else
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #endif
    precondition(fd >= 0, "closedLocalPort: socket() failed, errno \(errno)")
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    precondition(bound == 0, "closedLocalPort: bind() failed, errno \(errno)")
    let named = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    precondition(named == 0, "closedLocalPort: getsockname() failed, errno \(errno)")
    return Int(UInt16(bigEndian: address.sin_port))
}
