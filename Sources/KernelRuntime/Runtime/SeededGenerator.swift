/// A small, fast, seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// The runtime owns one for the program (challenges, MIDs, PIDs) and one for scheduling, so a
/// run is reproducible from its seed. Not cryptographically secure: this is a teaching tool and
/// every random input must be replayable.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable {
    private var s0: UInt64
    private var s1: UInt64
    private var s2: UInt64
    private var s3: UInt64

    public init(seed: UInt64) {
        var seeding = SplitMix64(seed: seed)
        self.init(state: (seeding.next(), seeding.next(), seeding.next(), seeding.next()))
    }

    /// The generator with these four words of state (what ``init(seed:)`` computes with
    /// ``SplitMix64``).
    init(state: (UInt64, UInt64, UInt64, UInt64)) {
        (s0, s1, s2, s3) = state
    }

    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// `count` bytes, eight per 64-bit draw, little-endian.
    public mutating func bytes(_ count: Int) -> [UInt8] {
        guard count > 0 else { return [] }
        var out = [UInt8]()
        out.reserveCapacity(count)
        while out.count < count {
            var word = next()
            for _ in 0..<min(8, count - out.count) {
                out.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return out
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 {
        (x << k) | (x >> (64 - k))
    }
}
