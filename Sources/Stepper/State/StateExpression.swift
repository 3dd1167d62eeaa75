/// A condition on a run's state: the one expression grammar for breakpoint conditions (and,
/// later, lesson checkpoints).
///
/// ```text
/// condition  := or
/// or         := and ("or" and)*
/// and        := unary ("and" unary)*
/// unary      := "not" unary | "(" condition ")" | comparison
/// comparison := PATH OP LITERAL
/// OP         := == | != | < | > | <= | >= | has
/// LITERAL    := decimal (-1, 4096) | hex (0x1f, also bytes: 0x0011aabb) | true | false
///             | bare word (good, locked, responseReceived) | "quoted string"
/// PATH       := name ("." name | "[" decimal "]")*       e.g. server.sequenceNumber, page[3].flags
/// ```
///
/// `has` tests flag membership (`page[3].flags has locked`). Comparing with a path that holds
/// nothing now (a mid already freed, a page not cached) is false, whatever the operator; `not`
/// of it is true. Parse with ``parse(_:paths:)``; given the program's path patterns, a condition
/// is also checked before it ever runs (unknown path, a name the field cannot hold, `<` on a
/// name, `has` on a number).
public indirect enum StateExpression: Equatable, Sendable {
    case comparison(StateComparison)
    case and(StateExpression, StateExpression)
    case or(StateExpression, StateExpression)
    case not(StateExpression)

    /// Parses `text`; with `paths`, also checks every comparison against the path's kind.
    public static func parse(_ text: String, paths: StatePaths? = nil) throws(ExpressionError) -> StateExpression {
        var parser = try ExpressionParser(text)
        let expression = try parser.parseCondition()
        try parser.expectEnd()
        if let paths { try expression.check(against: paths) }
        return expression
    }

    /// Evaluates the condition; `lookup` returns the value at a path now, or `nil`.
    public func evaluate(_ lookup: (String) -> StateValue?) -> Bool {
        switch self {
        case let .comparison(comparison): return comparison.evaluate(lookup(comparison.path))
        case let .and(a, b): return a.evaluate(lookup) && b.evaluate(lookup)
        case let .or(a, b): return a.evaluate(lookup) || b.evaluate(lookup)
        case let .not(a): return !a.evaluate(lookup)
        }
    }

    /// Every path the condition reads, in order of appearance.
    public var paths: [String] {
        switch self {
        case let .comparison(comparison): return [comparison.path]
        case let .and(a, b), let .or(a, b): return a.paths + b.paths
        case let .not(a): return a.paths
        }
    }

    func check(against paths: StatePaths) throws(ExpressionError) {
        switch self {
        case let .comparison(comparison): try comparison.check(against: paths)
        case let .and(a, b), let .or(a, b):
            try a.check(against: paths)
            try b.check(against: paths)
        case let .not(a): try a.check(against: paths)
        }
    }
}

/// `PATH OP LITERAL`.
public struct StateComparison: Equatable, Sendable {
    /// `==`, `!=`, `<`, `>`, `<=`, `>=` (ordering only for integers), `has` (flag membership).
    public enum Operator: String, Equatable, Sendable, CaseIterable {
        case equal = "==", notEqual = "!=", less = "<", greater = ">", lessOrEqual = "<=", greaterOrEqual = ">="
        case has
    }

    /// The value a path is compared with, as written.
    public enum Literal: Equatable, Sendable, CustomStringConvertible {
        case integer(Int)
        /// `0x…`: the hex digits as typed (an integer, or bytes when compared with bytes).
        case hex(String)
        case bool(Bool)
        /// A bare word: an enum name or a flag name.
        case word(String)
        case string(String)

        public var description: String {
            switch self {
            case let .integer(v): return String(v)
            case let .hex(digits): return "0x" + digits
            case let .bool(v): return String(v)
            case let .word(w): return w
            case let .string(s): return "\"" + s + "\""
            }
        }
    }

    public var path: String
    public var op: Operator
    public var literal: Literal
    /// 1-based columns of the path, operator and literal in the parsed text (for errors).
    public var pathColumn: Int
    public var operatorColumn: Int
    public var literalColumn: Int

    public init(path: String, op: Operator, literal: Literal, pathColumn: Int = 1, operatorColumn: Int = 1,
                literalColumn: Int = 1) {
        self.path = path
        self.op = op
        self.literal = literal
        self.pathColumn = pathColumn
        self.operatorColumn = operatorColumn
        self.literalColumn = literalColumn
    }

    public static func == (a: StateComparison, b: StateComparison) -> Bool {
        a.path == b.path && a.op == b.op && a.literal == b.literal
    }

    /// Whether `value` satisfies the comparison (`nil`, or a value of another kind: false).
    public func evaluate(_ value: StateValue?) -> Bool {
        guard let value else { return false }
        switch (value, op) {
        case let (.integer(v), _):
            guard op != .has, let n = literal.integerValue else { return false }
            return compare(v, n)
        case let (.bool(v), .equal), let (.bool(v), .notEqual):
            guard case let .bool(b) = literal else { return false }
            return (v == b) == (op == .equal)
        case let (.bytes(v), .equal), let (.bytes(v), .notEqual):
            guard let b = literal.bytesValue else { return false }
            return (v == b) == (op == .equal)
        case let (.text(v), .equal), let (.text(v), .notEqual):
            guard let t = literal.textValue else { return false }
            return (v == t) == (op == .equal)
        case let (.flags(set), .has):
            guard let name = literal.textValue else { return false }
            return set.contains(name)
        case let (.flags(set), .equal), let (.flags(set), .notEqual):
            guard let wanted = literal.flagSetValue else { return false }
            return (Set(set) == wanted) == (op == .equal)
        default:
            return false
        }
    }

    private func compare(_ a: Int, _ b: Int) -> Bool {
        switch op {
        case .equal: return a == b
        case .notEqual: return a != b
        case .less: return a < b
        case .greater: return a > b
        case .lessOrEqual: return a <= b
        case .greaterOrEqual: return a >= b
        case .has: return false
        }
    }

    func check(against paths: StatePaths) throws(ExpressionError) {
        guard let pattern = paths.pattern(for: path) else {
            let nearest = paths.suggestions(for: path)
            throw ExpressionError(
                column: pathColumn, expected: "a state path" + (nearest.isEmpty ? "" : " such as " + nearest.joined(separator: ", ")),
                found: path, message: "unknown state path '\(path)'")
        }
        func mismatch(_ expected: String) -> ExpressionError {
            ExpressionError(column: literalColumn, expected: expected, found: literal.description,
                            message: "\(path) holds \(pattern.kind.summary): expected \(expected), found \(literal)")
        }
        func badOperator(_ allowed: String) -> ExpressionError {
            ExpressionError(column: operatorColumn, expected: allowed, found: op.rawValue,
                            message: "\(path) holds \(pattern.kind.summary): expected \(allowed), found \(op.rawValue)")
        }
        switch pattern.kind {
        case .integer:
            guard op != .has else { throw badOperator("==, !=, <, >, <= or >=") }
            guard literal.integerValue != nil else { throw mismatch("a number (decimal or 0x…)") }
        case .bool:
            guard op == .equal || op == .notEqual else { throw badOperator("== or !=") }
            guard case .bool = literal else { throw mismatch("true or false") }
        case .bytes:
            guard op == .equal || op == .notEqual else { throw badOperator("== or !=") }
            guard literal.bytesValue != nil else { throw mismatch("bytes as hex (0x0011… or \"0011…\")") }
        case let .text(names):
            guard op == .equal || op == .notEqual else { throw badOperator("== or !=") }
            guard let text = literal.textValue else { throw mismatch("a name or a \"quoted string\"") }
            if let names, !names.contains(text) { throw mismatch("one of " + names.joined(separator: ", ")) }
        case let .flags(names):
            switch op {
            case .has:
                guard let name = literal.textValue, names.contains(name) else {
                    throw mismatch("a flag name: " + names.joined(separator: ", "))
                }
            case .equal, .notEqual:
                guard let set = literal.flagSetValue, set.isSubset(of: Set(names)) else {
                    throw mismatch("flag names joined by | (\"locked|uptodate\"), a single flag, or \"-\" for none")
                }
            default:
                throw badOperator("has, == or !=")
            }
        }
    }
}

extension StateComparison.Literal {
    var integerValue: Int? {
        switch self {
        case let .integer(v): return v
        case let .hex(digits):
            guard digits.count <= 16, let v = UInt64(digits, radix: 16), v <= UInt64(Int.max) else { return nil }
            return Int(v)
        default: return nil
        }
    }

    var bytesValue: [UInt8]? {
        switch self {
        case let .hex(digits), let .string(digits): return Self.decodeHex(digits)
        default: return nil
        }
    }

    var textValue: String? {
        switch self {
        case let .word(w): return w
        case let .string(s): return s
        default: return nil
        }
    }

    /// A flag set written as one flag, `"a|b"`, or `-` / `"-"` for none.
    var flagSetValue: Set<String>? {
        guard let text = textValue else { return nil }
        if text == "-" || text.isEmpty { return [] }
        let names = text.split(separator: "|", omittingEmptySubsequences: false).map {
            String($0).trimming(" ")
        }
        guard !names.contains(where: \.isEmpty) else { return nil }
        return Set(names)
    }

    private static func decodeHex(_ digits: String) -> [UInt8]? {
        let chars = Array(digits.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let hi = hexNibble(chars[i]), let lo = hexNibble(chars[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }

    private static func hexNibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}

extension StateKind {
    /// `an integer`, `a name (good, exiting, …)`, … for messages.
    var summary: String {
        switch self {
        case .integer: return "an integer"
        case .bool: return "a boolean"
        case .bytes: return "bytes"
        case let .text(names): return names.map { "a name (\($0.joined(separator: ", ")))" } ?? "text"
        case .flags: return "a flag set"
        }
    }
}

extension String {
    /// The string without leading and trailing characters from `set`.
    func trimming(_ set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s = s.dropFirst() }
        while let l = s.last, chars.contains(l) { s = s.dropLast() }
        return String(s)
    }
}
