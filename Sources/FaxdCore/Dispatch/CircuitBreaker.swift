/// Stops submissions while mintfax fails broadly, and finds out with one request at a time when it
/// answers again (DESIGN §6 step 4).
///
/// Closed, it counts failures in a row; `failureThreshold` of them open it. Open, nothing may start
/// until `openFor` has passed; then one probe may (half-open). The probe's success closes it; its
/// failure opens it again for twice as long, up to `maxOpenFor`. A pure value: the caller passes the
/// time in.
public struct CircuitBreaker: Sendable, Hashable {
    public typealias Instant = ContinuousClock.Instant

    public struct Configuration: Sendable, Hashable {
        /// Failures in a row (with no answer between) that open the breaker. Default 5.
        public var failureThreshold: Int
        /// How long the breaker stays open the first time. Default 5 s.
        public var openFor: Duration
        /// The longest it stays open after failed probes. Default 60 s.
        public var maxOpenFor: Duration

        /// - Precondition: `failureThreshold` ≥ 1, `openFor` > 0, `maxOpenFor` ≥ `openFor`.
        public init(failureThreshold: Int = 5, openFor: Duration = .seconds(5), maxOpenFor: Duration = .seconds(60)) {
            precondition(failureThreshold >= 1, "failureThreshold must be at least 1")
            precondition(openFor > .zero, "openFor must be positive")
            precondition(maxOpenFor >= openFor, "maxOpenFor must be at least openFor")
            self.failureThreshold = failureThreshold
            self.openFor = openFor
            self.maxOpenFor = maxOpenFor
        }
    }

    /// What may start now.
    public enum Admission: Sendable, Hashable {
        /// Anything: the breaker is closed.
        case allowed
        /// One request, the probe: call `probeStarted(at:)` when it goes out.
        case probe
        /// Nothing before this instant; nil while a probe is out (wait for its answer).
        case blocked(until: Instant?)
    }

    private enum State: Sendable, Hashable {
        case closed(failures: Int)
        case open(until: Instant, period: Duration)
        case probing(period: Duration)
    }

    public let configuration: Configuration
    private var state = State.closed(failures: 0)
    /// When the current open spell began; nil while closed.
    private var openedAt: Instant?
    /// The length of the spells open before the current one.
    private var earlierOutages = Duration.zero

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Whether the breaker is open or probing.
    public var isOpen: Bool { openedAt != nil }

    public func admission(at now: Instant) -> Admission {
        switch state {
        case .closed: .allowed
        case .open(let until, _): until <= now ? .probe : .blocked(until: until)
        case .probing: .blocked(until: nil)
        }
    }

    /// The probe went out: nothing else starts until its answer.
    public mutating func probeStarted(at now: Instant) {
        guard case .open(let until, let period) = state, until <= now else { return }
        state = .probing(period: period)
    }

    /// The probe ended without asking mintfax (its job needed no request): another may go.
    public mutating func probeAbandoned(at now: Instant) {
        guard case .probing(let period) = state else { return }
        state = .open(until: now, period: period)
    }

    /// mintfax answered (whatever it said): closed again.
    public mutating func succeeded(at now: Instant) {
        if let openedAt { earlierOutages += now - openedAt }
        openedAt = nil
        state = .closed(failures: 0)
    }

    /// A request failed broadly (5xx, time-out, no connection). `mayOpen` false counts the failure
    /// without opening the breaker yet (the caller's own condition, e.g. more than one key failing).
    /// - Returns: true when this failure opened the breaker.
    @discardableResult
    public mutating func failed(at now: Instant, mayOpen: Bool = true) -> Bool {
        switch state {
        case .closed(let failures):
            guard failures + 1 >= configuration.failureThreshold, mayOpen else {
                state = .closed(failures: failures + 1)
                return false
            }
            openedAt = now
            state = .open(until: now + configuration.openFor, period: configuration.openFor)
            return true
        case .probing(let period):
            let longer = min(period * 2, configuration.maxOpenFor)
            state = .open(until: now + longer, period: longer)
            return false
        case .open:
            // A request that started before the breaker opened.
            return false
        }
    }

    /// The time the breaker has been open (or probing), over its whole life, up to `now`.
    public func outageTime(at now: Instant) -> Duration {
        earlierOutages + (openedAt.map { now - $0 } ?? .zero)
    }
}
