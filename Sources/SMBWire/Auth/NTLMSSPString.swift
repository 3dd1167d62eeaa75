/// Text in NTLMSSP payloads: UTF-16LE when `NTLMSSP_NEGOTIATE_UNICODE` is negotiated, otherwise
/// the OEM code page.
///
/// Messages store names as the bytes that were sent (so captures re-encode exactly); these
/// helpers convert for people and for building messages. OEM text is treated as UTF-8, which
/// agrees with every OEM code page on ASCII, the only characters the names here use.
public enum NTLMSSPString {
    /// `"alice"` → `61 00 6c 00 …` (Unicode) or `61 6c …` (OEM).
    public static func encode(_ text: String, unicode: Bool) -> [UInt8] {
        guard unicode else { return Array(text.utf8) }
        var out = [UInt8]()
        out.reserveCapacity(text.utf16.count * 2)
        for unit in text.utf16 {
            out.append(UInt8(truncatingIfNeeded: unit))
            out.append(UInt8(truncatingIfNeeded: unit >> 8))
        }
        return out
    }

    /// Decodes for display; invalid sequences become U+FFFD and an odd trailing byte is dropped.
    public static func decode<C: Collection>(_ bytes: C, unicode: Bool) -> String where C.Element == UInt8 {
        guard unicode else { return String(decoding: bytes, as: UTF8.self) }
        var units = [UInt16]()
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

    /// Quoted rendering for span values.
    static func quoted<C: Collection>(_ bytes: C, unicode: Bool) -> String where C.Element == UInt8 {
        "\"" + decode(bytes, unicode: unicode) + "\""
    }
}
