import KernelRuntime

/// How a derived buffer was made, in words — one phrasing for the REPL's `why` and `show`, the
/// Markdown handout and the HTML page.
public enum DerivationText {
    /// One line for a buffer's header: `← MD5 of $29`, `← $47 ‖ $50[0..<8]` or
    /// `← given: the mount's password`.
    public static func summary(_ d: Derivation) -> String {
        if d.operation == .given { return "← given: " + (d.source ?? "from outside the computation") }
        let inputs = d.inputs.map { input in
            "\(input.buffer)" + (input.range.map { "[\($0.lowerBound)..<\($0.upperBound)]" } ?? "")
        }
        return "← " + phrase(d, inputs: inputs)
    }

    /// How the inputs (as named by the caller) made the buffer: `MD5 of $51`, `$47 ‖ $50`,
    /// `DES of $7 with key $13`.
    public static func phrase(_ d: Derivation, inputs: [String]) -> String {
        let all = inputs.joined(separator: ", ")
        let first = inputs.first ?? "?"
        let rest = inputs.dropFirst().joined(separator: " ‖ ")
        switch d.operation {
        case .given: return "given"
        case .copy: return "copy of \(first)"
        case .concat: return inputs.joined(separator: " ‖ ")
        case .zeroPad: return "\(first) padded with zero bytes to \(d.length ?? 0)"
        case .truncate: return "the first \(d.length ?? 0) bytes of \(first)"
        case .passwordUTF16LE: return "\(first) as UTF-16LE, 128 bytes at most (cifs_strtoUTF16)"
        case .utf16LE: return "\(first) as UTF-16LE"
        case .uppercasedUTF16LE: return "\(first) uppercased, as UTF-16LE"
        case .md4: return "MD4 of \(inputs.joined(separator: " ‖ "))"
        case .md5: return "MD5 of \(inputs.joined(separator: " ‖ "))"
        case .hmacMD5: return "HMAC-MD5 keyed with \(first) over \(rest)"
        case .desKey: return "\(first) spread over 8 bytes (a DES key)"
        case .desEncrypt: return "DES of \(inputs.dropFirst().first ?? "?") with key \(first)"
        case .rc4: return "RC4 of \(inputs.dropFirst().first ?? "?") with key \(first)"
        case .sequenceInSignatureField:
            return "\(first) with sequence number \(inputs.dropFirst().first ?? "?") in its signature field"
        case .compare: return "\(all) compared (01 = equal)"
        }
    }
}
