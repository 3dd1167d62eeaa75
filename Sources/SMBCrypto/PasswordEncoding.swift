/// How a password becomes the UTF-16LE string whose MD4 is the NT hash.
///
/// The two choices differ only for passwords longer than 128 UTF-8 bytes, for passwords
/// containing a NUL, and (with ``kernel``) for raw bytes that are not valid UTF-8.
public enum PasswordEncoding: Sendable, Equatable {
    /// What the Linux 3.x kernel client computes with `iocharset=utf8` (the usual
    /// `CONFIG_NLS_DEFAULT`): `E_md4hash` calls `cifs_strtoUTF16(wpwd, password, 128, utf8)`.
    /// See ``NTLM/cifsStrToUTF16(_:maxBytes:)`` for the exact rules, including the
    /// one-character-at-a-time fallback that writes `?` when the 128-byte cut splits a
    /// character.
    case kernel
    /// What Windows and Samba compute: the whole password, UTF-16LE, characters outside the
    /// Basic Multilingual Plane as surrogate pairs, no length limit.
    case untruncated
}

extension NTLM {
    /// The number of password bytes the kernel converts: `E_md4hash` passes 128 to
    /// `cifs_strtoUTF16`.
    public static let kernelPasswordByteLimit = 128

    /// The UTF-16 code units the NT hash is computed over, for `password` under `encoding`.
    public static func passwordUTF16(_ password: String, encoding: PasswordEncoding) -> [UInt16] {
        switch encoding {
        case .kernel:
            return cifsStrToUTF16(Array(password.utf8), maxBytes: kernelPasswordByteLimit).units
        case .untruncated:
            return Array(password.utf16)
        }
    }

    /// The same for a password given as raw bytes (what a mount option string really is).
    /// For ``PasswordEncoding/untruncated`` invalid UTF-8 is decoded with U+FFFD replacement
    /// characters, as a Swift `String` would be.
    public static func passwordUTF16(utf8 password: [UInt8], encoding: PasswordEncoding) -> [UInt16] {
        switch encoding {
        case .kernel:
            return cifsStrToUTF16(password, maxBytes: kernelPasswordByteLimit).units
        case .untruncated:
            return Array(String(decoding: password, as: UTF8.self).utf16)
        }
    }

    /// Converts UTF-8 bytes to UTF-16 exactly as the Linux 3.8 kernel's `cifs_strtoUTF16` does
    /// with the `utf8` NLS table, reading at most `maxBytes` bytes. Mirrors `cifs_strtoUTF16`.
    ///
    /// The rules, in order:
    /// 1. Only `bytes[0 ..< maxBytes]` is read, and reading stops early at the first NUL byte
    ///    (the kernel's string is NUL-terminated).
    /// 2. **Whole-string pass** (`utf8s_to_utf16s`): each UTF-8 sequence must be well formed
    ///    (no overlong forms, no encoded surrogates, nothing above U+10FFFF) and lie entirely
    ///    within the bytes read. Characters in the BMP become one unit, others a surrogate
    ///    pair. If every sequence decodes, that is the result.
    /// 3. **Fallback** (when any sequence fails — normally because the 128-byte cut splits a
    ///    multi-byte character): the kernel starts again from the first byte and converts one
    ///    character at a time with the NLS `char2uni`, which cannot return anything outside
    ///    the BMP. A BMP character becomes its unit. Anything else yields one `?` (U+003F) and
    ///    advances by **one byte**: so an undecodable byte is one `?`, and a character outside
    ///    the BMP (4 bytes) becomes four `?` — one for its lead byte, then one for each
    ///    continuation byte, which cannot start a character. Note that the fallback rewrites
    ///    the whole password, not just its tail: an emoji early in a long password is a
    ///    surrogate pair when the cut falls cleanly and `????` when it does not.
    ///
    /// - Returns: the code units (without the kernel's terminating zero) and whether the
    ///   fallback ran.
    public static func cifsStrToUTF16(_ bytes: [UInt8], maxBytes: Int) -> (units: [UInt16], usedFallback: Bool) {
        let limit = max(0, min(maxBytes, bytes.count))
        let end = bytes[..<limit].firstIndex(of: 0) ?? limit

        // Whole-string pass (utf8s_to_utf16s).
        var units: [UInt16] = []
        units.reserveCapacity(end)
        var index = 0
        var failed = false
        while index < end {
            guard let (scalar, length) = decodeKernelUTF8(bytes, at: index, end: end) else {
                failed = true
                break
            }
            appendUTF16(scalar, to: &units)
            index += length
        }
        if !failed { return (units, false) }

        // Fallback: one character at a time through the NLS char2uni, '?' on failure.
        units.removeAll(keepingCapacity: true)
        index = 0
        while index < end {
            if let (scalar, length) = decodeKernelUTF8(bytes, at: index, end: end), scalar <= 0xFFFF {
                units.append(UInt16(scalar))
                index += length
            } else {
                units.append(0x003F)
                index += 1
            }
        }
        return (units, true)
    }

    /// Decodes one UTF-8 sequence at `start`, as the kernel's `utf8_to_utf32` does: nil unless
    /// the sequence is well formed and ends at or before `end`. (The kernel's table also has
    /// 5- and 6-byte forms, but every value they can carry is above U+10FFFF and is rejected.)
    static func decodeKernelUTF8(_ bytes: [UInt8], at start: Int, end: Int) -> (UInt32, Int)? {
        let lead = bytes[start]
        let length: Int
        let minimum: UInt32
        var value: UInt32
        switch lead {
        case 0x00...0x7F: return (UInt32(lead), 1)
        case 0xC0...0xDF: (length, minimum, value) = (2, 0x80, UInt32(lead & 0x1F))
        case 0xE0...0xEF: (length, minimum, value) = (3, 0x800, UInt32(lead & 0x0F))
        case 0xF0...0xF7: (length, minimum, value) = (4, 0x1_0000, UInt32(lead & 0x07))
        default: return nil  // a continuation byte, or a 5/6-byte or invalid lead
        }
        guard end - start >= length else { return nil }
        for offset in 1..<length {
            let byte = bytes[start + offset]
            guard byte & 0xC0 == 0x80 else { return nil }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard value >= minimum, value <= 0x10_FFFF, !(0xD800...0xDFFF).contains(value) else { return nil }
        return (value, length)
    }

    private static func appendUTF16(_ scalar: UInt32, to units: inout [UInt16]) {
        if scalar < 0x1_0000 {
            units.append(UInt16(scalar))
        } else {
            let offset = scalar - 0x1_0000
            units.append(UInt16(0xD800 | (offset >> 10)))
            units.append(UInt16(0xDC00 | (offset & 0x3FF)))
        }
    }

    /// UTF-16 code units as little-endian bytes, the wire form of SMB Unicode strings.
    public static func utf16LE(_ units: [UInt16]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(units.count * 2)
        for unit in units {
            bytes.append(UInt8(truncatingIfNeeded: unit))
            bytes.append(UInt8(truncatingIfNeeded: unit >> 8))
        }
        return bytes
    }

    /// `string` as UTF-16LE bytes.
    public static func utf16LE(_ string: String) -> [UInt8] {
        utf16LE(Array(string.utf16))
    }
}
