import FaxdCore
import Testing

@Suite struct RecipientMaskTests {
    @Test(arguments: [
        ("+12125551234", "+1••••••••34"),
        ("+15005550001", "+1••••••••01"),
        ("2125551234", "2•••••••34"),
        ("+123", "••••"),
        ("", ""),
        // Not ASCII (never a valid recipient): masked by Character, the same rule.
        ("+１２１２５５５１２３４", "+１••••••••３４"),
        ("+1212555é1", "+1••••••é1"),
    ])
    func masksAllButTheEdges(number: String, masked: String) {
        #expect(RecipientMask.mask(number) == masked)
    }

    @Test func theSubscriberDigitsNeverSurvive() {
        let masked = RecipientMask.mask("+12125551234")
        #expect(!masked.contains("555"))
        #expect(!masked.contains("2125"))
    }
}
