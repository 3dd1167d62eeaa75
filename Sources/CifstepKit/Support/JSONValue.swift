/// A small JSON value that keeps object keys in the order they were added, so output is
/// byte-identical from run to run (Foundation's encoder does not promise key order).
public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool { a.rendered() == b.rendered() }

    /// Renders compact (`pretty == false`) or indented JSON.
    public func rendered(pretty: Bool = true, indent: String = "") -> String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .string(let s): return JSONValue.quote(s)
        case .array(let items):
            if items.isEmpty { return "[]" }
            let inner = indent + "  "
            let parts = items.map { $0.rendered(pretty: pretty, indent: inner) }
            return pretty
                ? "[\n" + parts.map { inner + $0 }.joined(separator: ",\n") + "\n" + indent + "]"
                : "[" + parts.joined(separator: ",") + "]"
        case .object(let pairs):
            if pairs.isEmpty { return "{}" }
            let inner = indent + "  "
            let parts = pairs.map { key, value in
                JSONValue.quote(key) + (pretty ? ": " : ":") + value.rendered(pretty: pretty, indent: inner)
            }
            return pretty
                ? "{\n" + parts.map { inner + $0 }.joined(separator: ",\n") + "\n" + indent + "}"
                : "{" + parts.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let h = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
