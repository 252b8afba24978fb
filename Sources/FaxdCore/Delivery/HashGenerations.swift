/// A map from 64-bit hashes to small values, kept in generations of bounded size so that old
/// members can be forgotten a whole generation at a time.
///
/// Inserts go to the newest generation; when it holds ``generationCapacity`` members a new one
/// starts. Each generation remembers the latest time (whole seconds) of its members, and
/// ``forget(before:)`` drops the generations whose latest time is before a horizon — members stay
/// at least until their own time passes the horizon, at most one generation longer.
///
/// Why not one dictionary: dropping old members from one dictionary copies all the others, and
/// growing it past a power of two briefly holds the old and the new storage — for a million
/// members tens of megabytes at once. Here every generation is allocated once at its final size
/// (``generationCapacity`` is three quarters of a power of two, the dictionary's largest load) and
/// freed as a whole. A lookup checks every generation, newest first: O(members / capacity).
///
/// A value type without I/O.
struct HashGenerations<Value: Sendable>: Sendable {
    private struct Generation: Sendable {
        var members: [UInt64: Value]
        var latest: UInt32 = 0
    }

    /// Members per generation: 49,152 (three quarters of 65,536) by default.
    let generationCapacity: Int
    /// Oldest first.
    private var generations: [Generation] = []

    init(generationCapacity: Int = 49_152) {
        self.generationCapacity = max(1, generationCapacity)
    }

    /// Members over all generations.
    var count: Int { generations.reduce(0) { $0 + $1.members.count } }

    /// The value of `key`, searching the newest generation first.
    subscript(key: UInt64) -> Value? {
        for generation in generations.reversed() {
            if let value = generation.members[key] { return value }
        }
        return nil
    }

    /// Changes the value of a member in place, wherever it is, and returns whether it was found.
    mutating func modify(_ key: UInt64, _ change: (inout Value) -> Void) -> Bool {
        for index in generations.indices.reversed() where generations[index].members[key] != nil {
            change(&generations[index].members[key]!)
            return true
        }
        return false
    }

    /// Adds or replaces `key` in the newest generation (starting one when it is full), as of `seconds`.
    /// The caller makes sure `key` is not in an older generation (``modify(_:_:)`` first).
    mutating func insert(_ key: UInt64, _ value: Value, at seconds: UInt32) {
        if generations.last.map({ $0.members.count >= generationCapacity }) ?? true {
            generations.append(Generation(members: Dictionary(minimumCapacity: generationCapacity)))
        }
        generations[generations.count - 1].members[key] = value
        generations[generations.count - 1].latest = max(generations[generations.count - 1].latest, seconds)
    }

    /// Drops every generation whose members' latest time is before `horizon`.
    mutating func forget(before horizon: UInt32) {
        generations.removeAll { $0.latest < horizon }
    }
}
