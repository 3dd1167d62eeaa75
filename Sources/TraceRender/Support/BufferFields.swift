import KernelRuntime
import SMBWire

/// A buffer cut into rows for tables: each recorded field span, in byte order, and the bytes no
/// span covers as rows of their own (`name` nil), so the rows account for every byte.
struct BufferFields {
    struct Row {
        var range: Range<Int>
        /// The span's index in the buffer's ``TraceBuffer/spans``; nil for uncovered bytes.
        var span: Int?
        var name: String?
        var value: String
        var meaning: String?
    }

    /// Fields up to this many bytes show all their bytes; longer ones their first and last.
    static let wholeBytes = 32
    static let headBytes = 16
    static let tailBytes = 8

    var rows: [Row] = []

    init(_ buffer: TraceBuffer) {
        let count = buffer.bytes.count
        let order = buffer.spans.indices.sorted {
            (buffer.spans[$0].range.lowerBound, $0) < (buffer.spans[$1].range.lowerBound, $1)
        }
        var covered = 0
        for index in order {
            let span = buffer.spans[index]
            let lower = min(max(0, span.range.lowerBound), count), upper = min(max(lower, span.range.upperBound), count)
            if lower > covered { rows.append(Row(range: covered..<lower, span: nil, name: nil, value: "")) }
            rows.append(Row(range: lower..<upper, span: index, name: span.name, value: span.value, meaning: span.meaning))
            covered = max(covered, upper)
        }
        if count > covered { rows.append(Row(range: covered..<count, span: nil, name: nil, value: "")) }
    }

    /// `ff 53 4d 42`, or for a long range its first and last bytes with the count between.
    static func hex(_ bytes: [UInt8], _ range: Range<Int>) -> String {
        let slice = bytes[range]
        func spaced(_ part: ArraySlice<UInt8>) -> String { part.map { Hex.encode([$0]) }.joined(separator: " ") }
        if slice.count <= wholeBytes { return spaced(slice) }
        return spaced(slice.prefix(headBytes)) + " … " + spaced(slice.suffix(tailBytes))
            + " (\(slice.count) bytes)"
    }
}

/// Where each buffer id of a run was first recorded: the event and the buffer.
struct BufferIndex {
    private var located: [Int: (event: Int, name: String, count: Int)] = [:]

    init(_ events: [TraceEvent]) {
        for event in events {
            for buffer in event.buffers {
                guard let id = buffer.id, located[id.rawValue] == nil else { continue }
                located[id.rawValue] = (event.sequence, buffer.name, buffer.bytes.count)
            }
        }
    }

    func event(of id: TraceBufferID) -> Int? { located[id.rawValue]?.event }

    /// `$51 “MD5 input” (#151)`, with the range used when not the whole buffer.
    func name(_ input: DerivationInput, quote: (String) -> String = { "“\($0)”" }) -> String {
        var text = "\(input.buffer)"
        if let range = input.range { text += "[\(range.lowerBound)..<\(range.upperBound)]" }
        if let found = located[input.buffer.rawValue] { text += " \(quote(found.name)) (#\(found.event))" }
        return text
    }

    /// The derivation in words, inputs named by ``name(_:quote:)``.
    func provenance(_ d: Derivation, quote: (String) -> String = { "“\($0)”" }) -> String {
        if d.operation == .given { return "given: " + (d.source ?? "from outside the computation") }
        return DerivationText.phrase(d, inputs: d.inputs.map { name($0, quote: quote) })
    }
}

extension TraceDocument {
    /// `sec=ntlmssp, signing on, hello.txt, seed 1` — the scenario in a few words, for titles.
    var scenarioTitle: String {
        guard let s = scenario else { return recording.map { "a run against \($0.server)" } ?? "a run" }
        var parts: [String] = []
        if let auth = s["auth"] { parts.append("sec=\(auth)") }
        if let signing = s["signing"] { parts.append("signing \(signing)") }
        if let file = s["file"] { parts.append(file) }
        if let seed = s["seed"] { parts.append("seed \(seed)") }
        if let faults = s["faults"] { parts.append("faults \(faults)") }
        return parts.joined(separator: ", ")
    }

    /// The threads of the run by id, each with its name, in id order.
    var threads: [(id: Int, name: String)] {
        var names: [Int: String] = [:]
        for event in events where names[event.threadID] == nil { names[event.threadID] = event.threadName }
        return names.keys.sorted().map { ($0, names[$0] ?? "") }
    }
}
