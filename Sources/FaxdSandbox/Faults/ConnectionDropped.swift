/// Thrown after a fault closed the request's connection: there is nobody left to answer.
struct ConnectionDropped: Error, Sendable {}
