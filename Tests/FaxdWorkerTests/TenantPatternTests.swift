import Testing

@testable import FaxdWorker

/// A shared workspace's `members` patterns, where `*` matches any run of characters, none included.
@Suite struct TenantPatternTests {
    @Test(arguments: [
        ("trial-7", "trial-*", true),
        ("trial-", "trial-*", true),
        ("trial", "trial-*", false),
        ("pro-trial-7", "trial-*", false),
        ("acme.eu", "*.eu", true),
        ("acme.us", "*.eu", false),
        ("a-b-c", "a*b*c", true),
        ("abc", "a*b*c", true),
        ("acb", "a*b*c", false),
        ("aXbYbZc", "a*b*c", true),
        ("abab", "ab*ab", true),
        ("aba", "ab*ab", false),
        ("anything", "*", true),
        ("", "*", true),
        ("t1", "t1", true),
        ("t10", "t1", false),
        ("t1", "**", true),
        ("x-y", "x-**y", true),
        ("mississippi", "m*iss*ppi", true),
        ("mississippi", "m*iss*pi*x", false),
    ])
    func aPatternMatchesWhatItsStarsAllow(id: String, pattern: String, matches: Bool) {
        #expect(TenantsConfiguration.matches(id, pattern: pattern) == matches)
    }
}
