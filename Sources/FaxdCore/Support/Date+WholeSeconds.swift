public import Foundation

extension Date {
    /// This instant with the fraction of its second dropped (rounding down), as events carry it.
    public var wholeSeconds: Date {
        Date(timeIntervalSince1970: timeIntervalSince1970.rounded(.down))
    }
}
