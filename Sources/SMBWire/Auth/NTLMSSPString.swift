/// Text in NTLMSSP payloads: UTF-16LE when `NTLMSSP_NEGOTIATE_UNICODE` is negotiated, otherwise
/// the OEM code page.
///
/// Messages store names as the bytes that were sent (so captures re-encode exactly); these
/// helpers convert for people and for building messages. OEM text is treated as UTF-8, which
/// agrees with every OEM code page on ASCII, the only characters the names here use.
public enum NTLMSSPString {
    /// `"alice"` → `61 00 6c 00 …` (Unicode) or `61 6c …` (OEM).
    public static func encode(_ text: String, unicode: Bool) -> [UInt8] {
        unicode ? SMBString.encode(text, unicode: true, terminated: false) : Array(text.utf8)
    }

    /// Decodes for display; invalid sequences become U+FFFD and an odd trailing byte is dropped.
    public static func decode<C: Collection>(_ bytes: C, unicode: Bool) -> String where C.Element == UInt8 {
        unicode ? SMBString.decodeUnicode(bytes) : String(decoding: bytes, as: UTF8.self)
    }

    /// Quoted rendering for span values.
    static func quoted<C: Collection>(_ bytes: C, unicode: Bool) -> String where C.Element == UInt8 {
        "\"" + decode(bytes, unicode: unicode) + "\""
    }
}
