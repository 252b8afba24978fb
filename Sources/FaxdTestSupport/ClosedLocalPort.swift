#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP port on `127.0.0.1` with nothing listening on it, for connection-refused tests.
///
/// Binds a socket to `127.0.0.1:0` and reads the port the kernel chose. The socket never listens
/// and stays open until the process exits: a connection to the port is refused, and no other
/// socket — a mock broker's, another test's server — can be bound to it meanwhile (closing it would
/// hand the port back to the ephemeral range, where a parallel test once took it).
///
/// - Returns: the port, in 1...65535.
/// - Precondition: the machine can create and bind a loopback TCP socket (a test fixture
///   stops loudly rather than hand back a port that would make a test pass for the wrong reason).
public func closedLocalPort() -> Int {
    boundLoopbackSocket().port
}

/// A TCP port on `127.0.0.1` that was free a moment ago, for a process the test starts to listen on
/// (a worker's `metrics.listen` given before it starts). Another socket could take it first; use it
/// only where the process cannot be asked for the port it bound.
public func freeLocalPort() -> Int {
    let (descriptor, port) = boundLoopbackSocket()
    close(descriptor)
    return port
}

/// A socket bound to `127.0.0.1:0`, and its port.
private func boundLoopbackSocket() -> (descriptor: Int32, port: Int) {
    #if canImport(Darwin)
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #else
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #endif
    precondition(fd >= 0, "closedLocalPort: socket() failed, errno \(errno)")
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
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}
