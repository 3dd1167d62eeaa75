/// String encodings used in SMB1 messages: UTF-16LE when FLAGS2_UNICODE is set, otherwise
/// an 8-bit OEM code page. OEM bytes are mapped 1:1 to U+0000…U+00FF (ISO-8859-1) so any
/// byte string round-trips; characters above U+00FF encode as `?`.
public enum SMBString {
    public static func encode(_ s: String, unicode: Bool, terminated: Bool = true) -> [UInt8] {
        var out: [UInt8] = []
        if unicode {
            out.reserveCapacity(2 * s.utf16.count + 2)
            for unit in s.utf16 {
                out.append(UInt8(truncatingIfNeeded: unit))
                out.append(UInt8(truncatingIfNeeded: unit >> 8))
            }
            if terminated { out.append(contentsOf: [0, 0]) }
        } else {
            out.reserveCapacity(s.unicodeScalars.count + 1)
            for scalar in s.unicodeScalars {
                out.append(scalar.value <= 0xFF ? UInt8(scalar.value) : UInt8(ascii: "?"))
            }
            if terminated { out.append(0) }
        }
        return out
    }

    /// Decodes UTF-16LE (an odd trailing byte is ignored; invalid surrogates become U+FFFD).
    public static func decodeUnicode<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var units: [UInt16] = []
        units.reserveCapacity(bytes.count / 2)
        var low: UInt8?
        for b in bytes {
            if let l = low {
                units.append(UInt16(l) | UInt16(b) << 8)
                low = nil
            } else {
                low = b
            }
        }
        return String(decoding: units, as: UTF16.self)
    }

    /// Decodes OEM bytes as ISO-8859-1.
    public static func decodeOEM<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var scalars = String.UnicodeScalarView()
        for b in bytes { scalars.append(Unicode.Scalar(b)) }
        return String(scalars)
    }

    public static func decode<C: Collection>(_ bytes: C, unicode: Bool) -> String where C.Element == UInt8 {
        unicode ? decodeUnicode(bytes) : decodeOEM(bytes)
    }
}

/// How one string in a run of trailing strings is laid out.
struct SMBStringSpec {
    var name: String
    var unicode: Bool
    /// A Unicode string here is aligned to 2 bytes from the header start with one pad byte.
    var aligned: Bool = true
}

/// How a peer laid out a run of null-terminated strings at the end of a message, kept so a
/// decoded message re-encodes to the same bytes. A freshly built value uses the defaults,
/// which mean "as the encoder would lay it out".
public struct SMBStringLayout: Equatable, Sendable {
    /// Pad bytes before string N, where they differ from the usual alignment pad.
    public var padOverrides: [Int: [UInt8]]
    /// The last string present ran to the end of the data without a terminator.
    public var lastUnterminated: Bool
    /// Bytes after the last string (an odd byte, junk, an extra terminator).
    public var trailing: [UInt8]

    public init(padOverrides: [Int: [UInt8]] = [:], lastUnterminated: Bool = false, trailing: [UInt8] = []) {
        self.padOverrides = padOverrides
        self.lastUnterminated = lastUnterminated
        self.trailing = trailing
    }
}

extension WireReader {
    /// Reads a null-terminated string up to `limit`; a string that runs to `limit` without a
    /// terminator is returned with `terminated == false`.
    mutating func smbString(_ field: String, unicode: Bool) throws -> (String, terminated: Bool) {
        let start = offset
        let unit = unicode ? 2 : 1
        guard remaining >= unit else {
            throw WireError.truncated(field: prefix + field, needed: unit, available: remaining)
        }
        var end = start
        var terminated = false
        while end + unit <= limit {
            if bytes[end] == 0 && (!unicode || bytes[end + 1] == 0) {
                terminated = true
                break
            }
            end += unit
        }
        let text = SMBString.decode(bytes[start..<end], unicode: unicode)
        let consumed = end - start + (terminated ? unit : 0)
        try skipSilently(consumed)
        record(field, from: start, value: "\"\(text)\"",
               meaning: (unicode ? "UTF-16LE" : "OEM") + (terminated ? "" : ", no terminator"))
        return (text, terminated)
    }

    /// Advances without recording a span (the caller records one covering more).
    mutating func skipSilently(_ count: Int) throws {
        let saved = recordsSpans
        recordsSpans = false
        defer { recordsSpans = saved }
        try skip("", count: count)
    }

    /// Reads up to `specs.count` trailing strings, tolerating what real peers send: missing
    /// strings at the end, a last string without terminator, odd leftover bytes.
    mutating func stringRun(_ specs: [SMBStringSpec]) throws -> ([String?], SMBStringLayout) {
        var values: [String?] = []
        var layout = SMBStringLayout()
        var stopped = false
        for (i, spec) in specs.enumerated() {
            if stopped { values.append(nil); continue }
            let needsPad = spec.unicode && spec.aligned && offset % 2 == 1
            let unit = spec.unicode ? 2 : 1
            // A string needs room for pad + one unit (its terminator); otherwise it is absent
            // and whatever is left becomes trailing bytes.
            guard remaining >= (needsPad ? 1 : 0) + unit else {
                values.append(nil)
                stopped = true
                continue
            }
            if needsPad {
                let pad = try bytes("Pad", count: 1, meaning: "align to 2 bytes")
                if pad != [0] { layout.padOverrides[i] = pad }
            }
            let (text, terminated) = try smbString(spec.name, unicode: spec.unicode)
            values.append(text)
            if !terminated {
                layout.lastUnterminated = true
                stopped = true
            }
        }
        if remaining > 0 {
            layout.trailing = try bytes("Trailing", count: remaining, meaning: "bytes after the last string")
        }
        return (values, layout)
    }
}

extension SMBPacketEncoder {
    /// Writes a run of trailing strings as ``WireReader/stringRun(_:)`` reads them. A nil
    /// followed by a present string is written as an empty string.
    mutating func stringRun(_ values: [String?], specs: [SMBStringSpec], layout: SMBStringLayout) {
        let lastPresent = values.lastIndex(where: { $0 != nil }) ?? -1
        if lastPresent >= 0 {
            for i in 0...lastPresent where i < specs.count {
                let spec = specs[i]
                if let pad = layout.padOverrides[i] {
                    append(pad)
                } else if spec.unicode && spec.aligned && position % 2 == 1 {
                    u8(0)
                }
                let terminated = !(layout.lastUnterminated && i == lastPresent)
                string(values[i] ?? "", unicode: spec.unicode, terminated: terminated)
            }
        }
        append(layout.trailing)
    }
}
