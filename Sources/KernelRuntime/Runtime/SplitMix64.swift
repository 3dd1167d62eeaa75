/// SplitMix64 (Steele, Lea and Flood, 2014): a 64-bit counter stepped by the golden-ratio
/// constant, then mixed. It seeds ``SeededGenerator`` (whose four words of state are its first
/// four outputs), and it is the one copy the tests use for seeded corruption: small, and the
/// same sequence on every run and platform.
///
/// For seed 0 its first output is 0xe220a8397b1dcdaf, the value the reference implementation
/// publishes (a test asserts it).
public struct SplitMix64: RandomNumberGenerator, Sendable, Equatable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<n` (0 when `n <= 0`, without drawing): the next output modulo `n`,
    /// slightly biased for large `n` — fine for choosing what to corrupt, not for statistics.
    public mutating func below(_ n: Int) -> Int { n <= 0 ? 0 : Int(next() % UInt64(n)) }

    /// The low byte of the next output.
    public mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
}
