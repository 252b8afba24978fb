import Foundation
import Synchronization

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

/// A TCP port on `127.0.0.1` that is free, for a process the test starts to listen on (a worker's
/// `metrics.listen` given before it starts).
///
/// Chosen below the kernel's ephemeral range (`net.ipv4.ip_local_port_range`), where no socket bound
/// to port 0 and no outgoing connection is ever given it: a parallel test's server, a mock broker or
/// a client's connection cannot take it between this call and the process binding it. Within this
/// process no port is handed out twice.
public func freeLocalPort() -> Int {
    let ephemeralStart = ephemeralPortRangeStart()
    while true {
        let candidate = Int.random(in: 10_000..<max(ephemeralStart, 10_001))
        guard handedOutPorts.withLock({ $0.insert(candidate).inserted }) else { continue }
        let (descriptor, port) = boundLoopbackSocket(port: candidate)
        if descriptor >= 0 {
            close(descriptor)
            return port
        }
    }
}

private let handedOutPorts = Mutex<Set<Int>>([])

/// The first port of the ephemeral range, 32768 unless `/proc` says otherwise.
private func ephemeralPortRangeStart() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8),
        let first = text.split(whereSeparator: \.isWhitespace).first.flatMap({ Int($0) })
    else { return 32_768 }
    return first
}

/// A socket bound to `127.0.0.1:port` (0: the kernel picks), and its port; descriptor -1 when
/// `port` is taken.
private func boundLoopbackSocket(port: Int = 0) -> (descriptor: Int32, port: Int) {
    #if canImport(Darwin)
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #else
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #endif
    precondition(fd >= 0, "closedLocalPort: socket() failed, errno \(errno)")
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    if bound != 0 && port != 0 {
        close(fd)
        return (-1, port)
    }
    precondition(bound == 0, "closedLocalPort: bind() failed, errno \(errno)")
    let named = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    precondition(named == 0, "closedLocalPort: getsockname() failed, errno \(errno)")
    return (fd, Int(UInt16(bigEndian: address.sin_port)))
}
