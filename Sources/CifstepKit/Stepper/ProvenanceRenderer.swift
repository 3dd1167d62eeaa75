import KernelRuntime
import SMBWire
import Stepper
import TraceRender

/// Text for `why`: the walk back from a buffer, one buffer a line, each line saying how the
/// buffer was made from the ones below it (`←`), so a chain of a dozen steps still fits a
/// 100-column projector:
///
/// ```
/// #153 $53 signature = c5193af6164f9ce0 ← the first 8 bytes of $52
/// #152 $52 MD5 digest = c5193af6164f9ce0a5210d8ed9ed38bc ← MD5 of $51
/// #151 $51 MD5 input = 6ec56db2882eeb18… (122 bytes) ← $47 ‖ $50
/// #139 $47 MAC key = 6ec56db2882eeb18… (40 bytes) ← copy of $25
/// ```
///
/// Lines come depth first, each buffer once, indented one space a level.
struct ProvenanceRenderer {
    let color: Bool
    /// The widest line: a buffer's `← how` goes on the next line, further in, when it does not fit.
    var width: Int = TextFit.width

    /// Buffers up to this many bytes are shown whole; longer ones by their first bytes.
    static let wholeValueLimit = 16
    /// Indentation stops growing here, so a deep chain stays on the screen.
    static let maximumIndent = 12

    func lines(_ root: ProvenanceNode) -> [String] {
        var out: [String] = []
        append(root, depth: 0, into: &out)
        return out
    }

    private func paint(_ text: String, _ code: String) -> String {
        color ? "\u{1b}[\(code)m\(text)\u{1b}[0m" : text
    }

    private func append(_ node: ProvenanceNode, depth: Int, into out: inout [String]) {
        guard !node.shownAbove else { return }
        let indent = String(repeating: " ", count: min(depth, Self.maximumIndent))
        let (head, how) = line(node)
        if TextFit.visibleWidth(indent + head + how) <= width {
            out.append(indent + head + how)
        } else {
            out.append(indent + head)
            out.append(indent + "    " + how.drop { $0 == " " })
        }
        for input in node.inputs { append(input, depth: depth + 1, into: &out) }
        for missing in node.missingInputs {
            out.append(String(repeating: " ", count: min(depth + 1, Self.maximumIndent))
                + paint("\(missing): not recorded in this run", "31"))
        }
    }

    /// `#152 $52 MD5 digest = c519…` and ` ← MD5 of $51`.
    private func line(_ node: ProvenanceNode) -> (head: String, how: String) {
        let buffer = node.located.buffer
        let id = buffer.id.map { "\($0) " } ?? ""
        let text = paint("#\(node.located.event)", "2") + " \(id)" + paint(buffer.name, "1") + " = " + value(buffer.bytes)
        guard let derivation = node.derivation else {
            let how: String
            switch node.located.phase {
            case .receive: how = "as received from the wire"
            case .send: how = "as sent on the wire"
            default: how = "recorded with no derivation"
            }
            return (text, paint(" ← \(how) (\(node.located.threadName) \(node.located.function))", "2"))
        }
        if derivation.operation == .given {
            return (text, paint(" ← given: " + (derivation.source ?? "from outside the computation"), "2"))
        }
        return (text, " ← " + Self.phrase(derivation, inputs: node.inputs.map(Self.name)))
    }

    /// `$5[69..<77] (NegotiateResponse.Challenge)`: an input as its buffer, the span used and
    /// the field there.
    private static func name(_ input: ProvenanceNode) -> String {
        let id = input.located.buffer.id.map { "\($0)" } ?? input.located.buffer.name
        guard let range = input.range, range != 0..<input.located.buffer.bytes.count else { return id }
        return "\(id)[\(range.lowerBound)..<\(range.upperBound)]" + (input.field.map { " (\($0))" } ?? "")
    }

    private func value(_ bytes: [UInt8]) -> String {
        if bytes.count <= Self.wholeValueLimit { return bytes.isEmpty ? "(empty)" : Hex.encode(bytes) }
        return Hex.encode(Array(bytes.prefix(8))) + "… (\(bytes.count) bytes)"
    }

    /// One line for a buffer's header in `show`: `← MD5 of $29` or `← given: the mount's password`.
    static func summary(_ d: Derivation) -> String { DerivationText.summary(d) }

    /// How the inputs (named) made the buffer: `MD5 of $51`, `$47 ‖ $50`, `DES of $7 with key $13`.
    static func phrase(_ d: Derivation, inputs: [String]) -> String { DerivationText.phrase(d, inputs: inputs) }
}
