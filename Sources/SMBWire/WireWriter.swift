/// Appends little-endian fields to a byte buffer.
public struct WireWriter {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
    }
    public mutating func u32(_ v: UInt32) {
        for i in 0..<4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) }
    }
    public mutating func u64(_ v: UInt64) {
        for i in 0..<8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }
    public mutating func u16be(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }
    public mutating func u32be(_ v: UInt32) {
        u16be(UInt16(truncatingIfNeeded: v >> 16))
        u16be(UInt16(truncatingIfNeeded: v))
    }
    public mutating func append<C: Collection>(_ more: C) where C.Element == UInt8 {
        bytes.append(contentsOf: more)
    }
    public mutating func zeros(_ n: Int) {
        if n > 0 { bytes.append(contentsOf: repeatElement(0, count: n)) }
    }

    /// Overwrites one byte at `index`; indices outside the buffer are ignored.
    public mutating func patch8(at index: Int, _ v: UInt8) {
        guard index >= 0, index < bytes.count else { return }
        bytes[index] = v
    }

    /// Overwrites a 16-bit little-endian value at `index` (for lengths and offsets known
    /// only after the body is written). Indices outside the buffer are ignored.
    public mutating func patch16(at index: Int, _ v: UInt16) {
        guard index >= 0, index + 2 <= bytes.count else { return }
        bytes[index] = UInt8(truncatingIfNeeded: v)
        bytes[index + 1] = UInt8(truncatingIfNeeded: v >> 8)
    }
    /// Overwrites a 16-bit big-endian value (network headers' checksums).
    public mutating func patch16be(at index: Int, _ v: UInt16) {
        guard index >= 0, index + 2 <= bytes.count else { return }
        bytes[index] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[index + 1] = UInt8(truncatingIfNeeded: v)
    }
    public mutating func patch32(at index: Int, _ v: UInt32) {
        guard index >= 0, index + 4 <= bytes.count else { return }
        for i in 0..<4 { bytes[index + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt32(i))) }
    }
}
