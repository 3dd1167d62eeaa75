import KernelRuntime
import SMBWire
import Stepper

/// Text for `why`: the walk back from a buffer as a tree, one buffer a line with the event that
/// recorded it, each derivation as a phrase above its inputs.
///
/// ```
/// signature $31 = c5193af6164f9ce0  #138 cifs_calculate_signature [reader]
/// └─ first 8 bytes of
///    digest: MD5 digest $30 = 9c1b…  #138 cifs_calculate_signature [reader]
///    └─ MD5 of
/// ```
struct ProvenanceRenderer {
    let color: Bool

    /// Buffers up to this many bytes are shown whole; longer ones by their first bytes.
    static let wholeValueLimit = 16

    func lines(_ root: ProvenanceNode) -> [String] {
        var out: [String] = []
        append(root, lead: "", childLead: "", into: &out)
        return out
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1b}[\(code)m\(text)\u{1b}[0m" : text
    }

    private func append(_ node: ProvenanceNode, lead: String, childLead: String, into out: inout [String]) {
        out.append(lead + describe(node))
        if node.shownAbove {
            return
        }
        guard let derivation = node.derivation else {
            let how: String
            switch node.located.phase {
            case .receive: how = "as received from the wire"
            case .send: how = "as sent on the wire"
            default: how = "recorded with no derivation"
            }
            out.append(childLead + paint("└─ " + how, "2"))
            return
        }
        if derivation.operation == .given {
            out.append(childLead + paint("└─ given: " + (derivation.source ?? "from outside the computation"), "2"))
            return
        }
        out.append(childLead + "└─ " + phrase(derivation))
        let inner = childLead + "   "
        for (position, input) in node.inputs.enumerated() {
            let last = position == node.inputs.count - 1 && node.missingInputs.isEmpty
            append(input, lead: inner + (last ? "└ " : "├ "), childLead: inner + (last ? "  " : "│ "), into: &out)
        }
        for missing in node.missingInputs {
            out.append(inner + "└ " + paint("\(missing): not recorded in this run", "31"))
        }
    }

    private func describe(_ node: ProvenanceNode) -> String {
        let buffer = node.located.buffer
        let id = buffer.id.map { " \($0)" } ?? ""
        var text = node.role.map { paint($0 + ": ", "2") } ?? ""
        if let range = node.range, range != 0..<buffer.bytes.count, range.upperBound <= buffer.bytes.count {
            text += "bytes \(range.lowerBound)..<\(range.upperBound)"
                + (node.field.map { " (\($0))" } ?? "") + " of \(paint(buffer.name, "1"))\(id) = "
                + value(Array(buffer.bytes[range]))
        } else {
            text += "\(paint(buffer.name, "1"))\(id) = " + value(buffer.bytes)
        }
        text += paint("  #\(node.located.event) \(node.located.function) [\(node.located.threadName)]", "2")
        if node.shownAbove { text += paint("  (walked above)", "2") }
        return text
    }

    private func value(_ bytes: [UInt8]) -> String {
        if bytes.count <= Self.wholeValueLimit { return bytes.isEmpty ? "(empty)" : Hex.encode(bytes) }
        return Hex.encode(Array(bytes.prefix(8))) + "… (\(bytes.count) bytes)"
    }

    /// One line for a buffer's header in `show`: `= MD5 of $29` or `given: the mount's password`.
    static func summary(_ d: Derivation) -> String {
        if d.operation == .given { return "given: " + (d.source ?? "from outside the computation") }
        let inputs = d.inputs.map { input in
            "\(input.buffer)" + (input.range.map { "[\($0.lowerBound)..<\($0.upperBound)]" } ?? "") + " (\(input.role))"
        }
        return "= " + ProvenanceRenderer(color: false).phrase(d) + " " + inputs.joined(separator: ", ")
    }

    private func phrase(_ d: Derivation) -> String {
        switch d.operation {
        case .given: return "given"
        case .copy: return "copied from"
        case .concat: return "joined from"
        case .zeroPad: return "padded with zero bytes to \(d.length ?? 0) bytes:"
        case .truncate: return "the first \(d.length ?? 0) bytes of"
        case .passwordUTF16LE: return "at most 128 UTF-8 bytes converted to UTF-16LE (cifs_strtoUTF16):"
        case .utf16LE: return "as UTF-16LE:"
        case .uppercasedUTF16LE: return "uppercased, as UTF-16LE:"
        case .md4: return "MD4 of"
        case .md5: return "MD5 of"
        case .hmacMD5: return "HMAC-MD5, keyed with the first, over the rest:"
        case .desKey: return "7 key bytes spread over 8 (a DES key) from"
        case .desEncrypt: return "DES encryption:"
        case .rc4: return "RC4 encryption:"
        case .sequenceInSignatureField: return "the sequence number written into the signature field of"
        case .compare: return "compared byte for byte (1 = equal):"
        }
    }
}
