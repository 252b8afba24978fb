import FaxdCore

extension UsageReport {
    /// The report as text for people: a header, a row per tenant and environment, a `total` row, and a
    /// last line saying what happened to the records read. Columns are separated by at least two
    /// spaces; numbers are right-aligned.
    ///
    /// ```
    /// tenant  environment  held  open holds  captured  pages captured  released  pages released  latest balance (cents)
    /// acme    sandbox         5           1         3               6         1               0  available 5000, held 300 at 2026-11-27T10:10:00Z
    /// total                   5           1         3               6         1               0
    /// 14 records read: 12 counted, 1 duplicate dropped, 0 before --since, 0 of an unknown type, 1 skipped (not a usage event)
    /// ```
    func tableLines() -> [String] {
        let header = [
            "tenant", "environment", "held", "open holds", "captured", "pages captured", "released", "pages released",
            "latest balance (cents)",
        ]
        let numeric = Set(2...7)
        func numbers(_ counts: Counts) -> [String] {
            [counts.held, counts.openHolds, counts.captured, counts.pagesCaptured, counts.released, counts.pagesReleased].map(String.init)
        }
        var rows = tenants.map { tenant in
            [tenant.tenantID, tenant.environment.rawValue] + numbers(tenant.counts) + [Self.describe(tenant.balance)]
        }
        rows.append(["total", ""] + numbers(totals) + [""])

        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            let padded = cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return numeric.contains(column) ? padding + cell : cell + padding
            }
            var text = padded.joined(separator: "  ")
            while text.last == " " { text.removeLast() }
            return text
        }

        var sinceText = "before --since"
        if let since { sinceText += " " + RFC3339Timestamp.format(wholeSeconds: since) }
        let summary =
            "\(records.read) records read: \(records.counted) counted, "
            + "\(records.duplicatesDropped) \(records.duplicatesDropped == 1 ? "duplicate" : "duplicates") dropped, "
            + "\(records.beforeSince) \(sinceText), \(records.unknownType) of an unknown type, "
            + "\(records.skipped) skipped (not a usage event)"
        return [line(header)] + rows.map(line) + [summary]
    }

    private static func describe(_ balance: Balance?) -> String {
        guard let balance else { return "-" }
        return "available \(balance.available), held \(balance.held) at \(RFC3339Timestamp.format(wholeSeconds: balance.occurredAt))"
    }
}
