/// Builds compact JSON as UTF-8 bytes, one value after another, for documents too large to go
/// through a tree of values first (a 16 MiB read is over 30,000 events and 60 MiB of hex).
///
/// The writer does not reorder anything: callers write object keys in sorted order themselves
/// (``key(_:)`` checks it in debug builds), so the output never depends on hashing order.
struct JSONWriter {
    /// The bytes so far.
    var bytes: [UInt8] = []
    /// For each open container: whether a value was written in it yet (a comma goes before the
    /// next), and for objects the last key (to check the order).
    private var open: [(hasValue: Bool, lastKey: String?)] = []
    /// Set by ``key(_:)``: the next value belongs to that key and needs no comma of its own.
    private var afterKey = false

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    init(reservingCapacity capacity: Int = 0) {
        bytes.reserveCapacity(capacity)
    }

    // MARK: Containers

    mutating func beginObject() {
        separate()
        bytes.append(UInt8(ascii: "{"))
        open.append((false, nil))
    }

    mutating func endObject() {
        open.removeLast()
        bytes.append(UInt8(ascii: "}"))
    }

    mutating func beginArray() {
        separate()
        bytes.append(UInt8(ascii: "["))
        open.append((false, nil))
    }

    mutating func endArray() {
        open.removeLast()
        bytes.append(UInt8(ascii: "]"))
    }

    /// Writes `"key":`; the next value written is its value. Keys of one object must come in
    /// ascending order (code point order, what `JSONEncoder`'s `.sortedKeys` gives for ASCII).
    mutating func key(_ key: String) {
        separate()
        if let previous = open[open.count - 1].lastKey {
            assert(previous < key, "JSON keys out of order: \(previous) before \(key)")
        }
        open[open.count - 1].lastKey = key
        appendQuoted(key)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    // MARK: Scalars

    mutating func string(_ value: String) {
        separate()
        appendQuoted(value)
    }

    mutating func integer<I: BinaryInteger>(_ value: I) {
        separate()
        bytes.append(contentsOf: String(value).utf8)
    }

    /// Bytes as one string of lowercase hex digits, written straight into the output.
    mutating func hex(_ value: [UInt8]) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: value.count * 2))
        bytes.withUnsafeMutableBufferPointer { out in
            value.withUnsafeBufferPointer { input in
                Self.hexDigits.withUnsafeBufferPointer { digits in
                    var i = start
                    for byte in input {
                        out[i] = digits[Int(byte >> 4)]
                        out[i + 1] = digits[Int(byte & 0x0f)]
                        i += 2
                    }
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    /// A value already encoded as compact JSON with sorted keys (e.g. by `JSONEncoder` with
    /// `.sortedKeys`), written as is.
    mutating func raw(_ json: [UInt8]) {
        separate()
        bytes.append(contentsOf: json)
    }

    // MARK: Helpers

    /// The comma between values of one container (nothing after a key or before the first).
    private mutating func separate() {
        if afterKey {
            afterKey = false
            return
        }
        guard !open.isEmpty else { return }
        if open[open.count - 1].hasValue { bytes.append(UInt8(ascii: ",")) }
        open[open.count - 1].hasValue = true
    }

    /// A JSON string: `"` and `\` escaped, control characters as `\n`, `\t`, `\r` or `\u00XX`,
    /// everything else as its UTF-8 bytes.
    private mutating func appendQuoted(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            // Most strings need no escape: copy them whole.
            if !utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
                bytes.append(contentsOf: utf8)
                return
            }
            for byte in utf8 {
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case UInt8(ascii: "\n"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case UInt8(ascii: "\r"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case UInt8(ascii: "\t"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case 0..<0x20:
                    bytes.append(contentsOf: Array("\\u00".utf8))
                    bytes.append(Self.hexDigits[Int(byte >> 4)])
                    bytes.append(Self.hexDigits[Int(byte & 0x0f)])
                default:
                    bytes.append(byte)
                }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
