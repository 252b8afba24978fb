import Foundation
import Testing

@testable import FaxdSandbox

/// mintfax Gen C's identifier formats (API.md §1.6), drawn without a system call per character.
@Suite struct IdentifierTests {
    private static let base62 = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
    private static let crockford = Set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    @Test func faxIDsAre22Base62CharactersEveryOneOfThemDrawn() {
        let ids = (0..<2_000).map { _ in Identifier.fax() }
        #expect(Set(ids).count == ids.count)
        var seen = Set<Character>()
        for id in ids {
            #expect(id.hasPrefix("fax_") && id.count == 26)
            let random = id.dropFirst(4)
            #expect(random.allSatisfy(Self.base62.contains), "\(id)")
            seen.formUnion(random)
        }
        // 44,000 characters: each of the 62 (the last ones, above the six-bit draws' 62 and 63,
        // too) is missing with probability below 10^-300.
        #expect(seen == Self.base62)
    }

    @Test func requestIDsAreULIDsThatSortByTime() {
        let earlier = Date(timeIntervalSince1970: 1_780_000_000)
        let ids = (0..<1_000).map { _ in Identifier.request(at: earlier) }
        #expect(Set(ids).count == ids.count)
        var seen = Set<Character>()
        for id in ids {
            #expect(id.hasPrefix("req_") && id.count == 30 && id.dropFirst(4).allSatisfy(Self.crockford.contains), "\(id)")
            #expect(id.dropFirst(4).prefix(10) == ids[0].dropFirst(4).prefix(10))
            seen.formUnion(id.dropFirst(14))
        }
        #expect(seen == Self.crockford)
        #expect(Identifier.request(at: earlier.addingTimeInterval(0.002)) > ids.max()!)
    }
}
