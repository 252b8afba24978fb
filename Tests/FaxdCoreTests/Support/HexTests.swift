import FaxdCore
import Foundation
import Testing

@Suite struct HexTests {
    @Test func twoLowerCaseDigitsAByteInOrder() {
        #expect(Hex.string([UInt8]()) == "")
        #expect(Hex.string([0x00, 0x0F, 0xF0, 0xFF, 0xA5]) == "000ff0ffa5")
        #expect(Hex.string(Data([0xDE, 0xAD, 0xBE, 0xEF])) == "deadbeef")
        #expect(Hex.string(Array(0...255)).count == 512)
    }
}
