/// The MD4 message digest (RFC 1320), which NTLM uses for the NT hash and the NTLMv1 session key.
///
/// swift-crypto has no MD4, so this is a small, straightforward implementation. MD4 is broken
/// as a general hash; it is here only because the protocol requires it.
public enum MD4 {
    /// Returns the 16-byte MD4 digest of `message`. Mirrors the kernel's `mdfour`.
    public static func hash(_ message: [UInt8]) -> [UInt8] {
        var state: (UInt32, UInt32, UInt32, UInt32) = (0x6745_2301, 0xEFCD_AB89, 0x98BA_DCFE, 0x1032_5476)

        // Padding: a 1 bit, zeros up to 56 mod 64 bytes, then the bit length as a LE u64.
        var padded = message
        padded.append(0x80)
        while padded.count % 64 != 56 { padded.append(0) }
        let bitLength = UInt64(truncatingIfNeeded: message.count) &* 8
        for shift in stride(from: 0, to: 64, by: 8) {
            padded.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
        }

        var words = [UInt32](repeating: 0, count: 16)
        for blockStart in stride(from: 0, to: padded.count, by: 64) {
            for i in 0..<16 {
                let b = blockStart + 4 * i
                words[i] = UInt32(padded[b]) | UInt32(padded[b + 1]) << 8
                    | UInt32(padded[b + 2]) << 16 | UInt32(padded[b + 3]) << 24
            }
            processBlock(&state, words)
        }

        var digest: [UInt8] = []
        digest.reserveCapacity(16)
        for word in [state.0, state.1, state.2, state.3] {
            for shift: UInt32 in [0, 8, 16, 24] { digest.append(UInt8(truncatingIfNeeded: word >> shift)) }
        }
        return digest
    }

    /// One 64-byte block: three rounds of sixteen operations (RFC 1320 §3.4).
    private static func processBlock(_ state: inout (UInt32, UInt32, UInt32, UInt32), _ x: [UInt32]) {
        var (a, b, c, d) = state

        // Round 1: F(x,y,z) = (x & y) | (~x & z), words in order.
        func r1(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ k: Int, _ s: UInt32) {
            a = rotl(a &+ ((b & c) | (~b & d)) &+ x[k], s)
        }
        for k in stride(from: 0, to: 16, by: 4) {
            r1(&a, b, c, d, k, 3); r1(&d, a, b, c, k + 1, 7)
            r1(&c, d, a, b, k + 2, 11); r1(&b, c, d, a, k + 3, 19)
        }

        // Round 2: G(x,y,z) = majority, words by column, constant 0x5A827999 (√2).
        func r2(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ k: Int, _ s: UInt32) {
            a = rotl(a &+ ((b & c) | (b & d) | (c & d)) &+ x[k] &+ 0x5A82_7999, s)
        }
        for k in 0..<4 {
            r2(&a, b, c, d, k, 3); r2(&d, a, b, c, k + 4, 5)
            r2(&c, d, a, b, k + 8, 9); r2(&b, c, d, a, k + 12, 13)
        }

        // Round 3: H(x,y,z) = x ^ y ^ z, words in bit-reversed order, constant 0x6ED9EBA1 (√3).
        func r3(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ k: Int, _ s: UInt32) {
            a = rotl(a &+ (b ^ c ^ d) &+ x[k] &+ 0x6ED9_EBA1, s)
        }
        for k in [0, 2, 1, 3] {
            r3(&a, b, c, d, k, 3); r3(&d, a, b, c, k + 8, 9)
            r3(&c, d, a, b, k + 4, 11); r3(&b, c, d, a, k + 12, 15)
        }

        state = (state.0 &+ a, state.1 &+ b, state.2 &+ c, state.3 &+ d)
    }

    @inline(__always)
    private static func rotl(_ value: UInt32, _ count: UInt32) -> UInt32 {
        (value << count) | (value >> (32 - count))
    }
}
