/// Helpers for Windows FILETIME values: 100-nanosecond ticks since 1601-01-01 UTC.
public enum FileTime {
    /// FILETIME of the Unix epoch (1970-01-01 UTC).
    public static let unixEpoch: UInt64 = 116_444_736_000_000_000

    /// FILETIME for Unix seconds + nanoseconds (earlier than 1601 clamps to 0).
    public static func from(unixSeconds: Int64, nanoseconds: Int = 0) -> UInt64 {
        let ticks = Int64(unixEpoch) &+ unixSeconds &* 10_000_000 &+ Int64(nanoseconds / 100)
        return ticks < 0 ? 0 : UInt64(ticks)
    }

    /// Seconds since the Unix epoch (may be negative), dropping sub-second ticks.
    public static func unixSeconds(_ fileTime: UInt64) -> Int64 {
        (Int64(bitPattern: fileTime) - Int64(unixEpoch)) / 10_000_000
    }

    /// `"2024-05-01 12:34:56.1234567 UTC"`, or `"not set"` for 0.
    public static func describe(_ fileTime: UInt64) -> String {
        if fileTime == 0 { return "not set" }
        if fileTime >= 0x7FFF_FFFF_FFFF_FFFF { return "never / max" }
        let totalSeconds = Int64(fileTime / 10_000_000)
        let fraction = Int(fileTime % 10_000_000)
        // Days since 1601-01-01, then a proleptic Gregorian civil-from-days conversion
        // (1601 starts a 400-year cycle, which keeps the arithmetic simple).
        let days = totalSeconds / 86_400
        let secondOfDay = Int(totalSeconds % 86_400)
        var cycles = days / 146_097
        var rest = days % 146_097
        var year = 1601 + 400 * cycles
        cycles = min(rest / 36_524, 3); rest -= cycles * 36_524; year += 100 * cycles
        cycles = rest / 1_461; rest -= cycles * 1_461; year += 4 * cycles
        cycles = min(rest / 365, 3); rest -= cycles * 365; year += cycles
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let monthLengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        var month = 0
        var day = Int(rest)
        while month < 11 && day >= monthLengths[month] {
            day -= monthLengths[month]
            month += 1
        }
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        var frac = String(fraction)
        frac = String(repeating: "0", count: 7 - frac.count) + frac
        return "\(year)-\(two(month + 1))-\(two(day + 1)) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)).\(frac) UTC"
    }
}

extension WireReader {
    /// Reads a FILETIME, recording its date as the meaning.
    mutating func fileTime(_ field: String) throws -> UInt64 {
        try u64(field, meaning: { FileTime.describe($0) })
    }

    /// Reads a 16-byte GUID, recorded in its usual text form.
    mutating func guid(_ field: String) throws -> [UInt8] {
        let g = try bytes(field, count: 16)
        if recordsSpans, let last = spans.indices.last {
            spans[last].value = GUIDText.format(g)
        }
        return g
    }
}

enum GUIDText {
    /// Mixed-endian text form: first three groups little-endian, the rest as bytes.
    static func format(_ g: [UInt8]) -> String {
        guard g.count == 16 else { return Hex.encode(g) }
        let a = Hex.encode(g[0..<4].reversed()), b = Hex.encode(g[4..<6].reversed())
        let c = Hex.encode(g[6..<8].reversed()), d = Hex.encode(g[8..<10]), e = Hex.encode(g[10..<16])
        return "\(a)-\(b)-\(c)-\(d)-\(e)"
    }
}
