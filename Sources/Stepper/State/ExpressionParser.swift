/// Why a condition did not parse or check: where (1-based column), what was expected there,
/// and what was found.
public struct ExpressionError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based column, in characters, of the offending token (one past the end for "end of input").
    public var column: Int
    /// What would have been accepted there.
    public var expected: String
    /// What was there (`end of input` at the end).
    public var found: String
    /// One line for people.
    public var message: String

    public init(column: Int, expected: String, found: String, message: String? = nil) {
        self.column = column
        self.expected = expected
        self.found = found
        self.message = message ?? "expected \(expected), found \(found)"
    }

    /// `column 18: expected a value after '==', found end of input`.
    public var description: String { "column \(column): \(message)" }
}

/// One token of a condition, with its 1-based column.
struct ExpressionToken: Equatable {
    enum Kind: Equatable {
        /// A name or a path: letters, digits, `_`, `.`, `[`, `]`, starting with a letter or `_`.
        case word(String)
        case integer(Int)
        case hex(String)
        case string(String)
        case op(StateComparison.Operator)
        case leftParen, rightParen
        case end
    }

    var kind: Kind
    var column: Int

    var text: String {
        switch kind {
        case let .word(w): return "'\(w)'"
        case let .integer(v): return "'\(v)'"
        case let .hex(d): return "'0x\(d)'"
        case let .string(s): return "\"\(s)\""
        case let .op(op): return "'\(op.rawValue)'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .end: return "end of input"
        }
    }
}

/// The hand-written tokenizer and recursive-descent parser of ``StateExpression``.
struct ExpressionParser {
    /// The deepest nesting of parentheses and `not` accepted. The parser recurses once per level;
    /// a bound keeps a pasted or generated condition from exhausting the stack, and no real
    /// condition comes near it.
    static let maximumNesting = 64

    private let tokens: [ExpressionToken]
    private var position = 0
    private var nesting = 0

    init(_ text: String) throws(ExpressionError) {
        tokens = try Self.tokenize(text)
    }

    // MARK: Grammar

    mutating func parseCondition() throws(ExpressionError) -> StateExpression {
        var left = try parseAnd()
        while isKeyword("or") {
            position += 1
            left = .or(left, try parseAnd())
        }
        return left
    }

    private mutating func parseAnd() throws(ExpressionError) -> StateExpression {
        var left = try parseUnary()
        while isKeyword("and") {
            position += 1
            left = .and(left, try parseUnary())
        }
        return left
    }

    private mutating func parseUnary() throws(ExpressionError) -> StateExpression {
        guard isKeyword("not") || current.kind == .leftParen else { return .comparison(try parseComparison()) }
        guard nesting < Self.maximumNesting else {
            throw ExpressionError(
                column: current.column, expected: "at most \(Self.maximumNesting) nested 'not' or '('",
                found: current.text)
        }
        nesting += 1
        defer { nesting -= 1 }
        if isKeyword("not") {
            position += 1
            return .not(try parseUnary())
        }
        position += 1
        let inner = try parseCondition()
        guard current.kind == .rightParen else { throw unexpected("')' or 'and' / 'or'") }
        position += 1
        return inner
    }

    private mutating func parseComparison() throws(ExpressionError) -> StateComparison {
        let pathToken = current
        guard case let .word(path) = pathToken.kind, !Self.keywords.contains(path) else {
            throw unexpected("a state path (e.g. server.sequenceNumber)")
        }
        try Self.validatePath(path, column: pathToken.column)
        position += 1
        let opToken = current
        let op: StateComparison.Operator
        switch opToken.kind {
        case let .op(o): op = o
        case .word("has"): op = .has
        default: throw unexpected("an operator (==, !=, <, >, <=, >=, has)")
        }
        position += 1
        let literalToken = current
        let literal: StateComparison.Literal
        switch literalToken.kind {
        case let .integer(v): literal = .integer(v)
        case let .hex(d): literal = .hex(d)
        case let .string(s): literal = .string(s)
        case .word("true"): literal = .bool(true)
        case .word("false"): literal = .bool(false)
        case let .word(w) where !Self.keywords.contains(w) && !w.contains(".") && !w.contains("["):
            literal = .word(w)
        default: throw unexpected("a value after '\(op.rawValue)' (a number, true/false, a name or a \"string\")")
        }
        position += 1
        return StateComparison(
            path: path, op: op, literal: literal, pathColumn: pathToken.column, operatorColumn: opToken.column,
            literalColumn: literalToken.column)
    }

    mutating func expectEnd() throws(ExpressionError) {
        guard current.kind == .end else { throw unexpected("'and', 'or' or the end of the condition") }
    }

    // MARK: Helpers

    private static let keywords: Set<String> = ["and", "or", "not", "has", "true", "false"]

    private var current: ExpressionToken { tokens[min(position, tokens.count - 1)] }

    private func isKeyword(_ word: String) -> Bool { current.kind == .word(word) }

    private func unexpected(_ expected: String) -> ExpressionError {
        ExpressionError(column: current.column, expected: expected, found: current.text)
    }

    /// `name ("." name | "[" digits "]")*`.
    static func validatePath(_ path: String, column: Int) throws(ExpressionError) {
        let chars = Array(path)
        var i = 0
        func fail(_ expected: String) -> ExpressionError {
            let found = i < chars.count ? "'\(chars[i])'" : "end of path"
            return ExpressionError(column: column + i, expected: expected, found: found,
                                   message: "bad state path '\(path)': expected \(expected), found \(found)")
        }
        func name() throws(ExpressionError) {
            guard i < chars.count, chars[i].isLetter || chars[i] == "_" else { throw fail("a field name") }
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" { i += 1 }
        }
        try name()
        while i < chars.count {
            switch chars[i] {
            case ".":
                i += 1
                try name()
            case "[":
                i += 1
                let start = i
                while i < chars.count, chars[i].isASCII, chars[i].isNumber { i += 1 }
                guard i > start else { throw fail("an index (decimal digits)") }
                guard i < chars.count, chars[i] == "]" else { throw fail("']'") }
                i += 1
            default:
                throw fail("'.' or '['")
            }
        }
    }

    // MARK: Tokenizer

    static func tokenize(_ text: String) throws(ExpressionError) -> [ExpressionToken] {
        let chars = Array(text)
        var tokens: [ExpressionToken] = []
        var i = 0
        while i < chars.count {
            let c = chars[i]
            let column = i + 1
            if c == " " || c == "\t" {
                i += 1
                continue
            }
            if c.isLetter || c == "_" {
                var j = i
                while j < chars.count, chars[j].isLetter || chars[j].isNumber || "_.[]".contains(chars[j]) { j += 1 }
                tokens.append(ExpressionToken(kind: .word(String(chars[i..<j])), column: column))
                i = j
                continue
            }
            if c.isASCII && c.isNumber || (c == "-" && i + 1 < chars.count && chars[i + 1].isASCII && chars[i + 1].isNumber) {
                if c == "0", i + 1 < chars.count, chars[i + 1] == "x" || chars[i + 1] == "X" {
                    var j = i + 2
                    while j < chars.count, chars[j].isHexDigit { j += 1 }
                    guard j > i + 2 else {
                        throw ExpressionError(column: i + 3, expected: "hex digits after 0x",
                                              found: j < chars.count ? "'\(chars[j])'" : "end of input")
                    }
                    if j < chars.count, chars[j].isLetter || chars[j].isNumber {
                        throw ExpressionError(column: j + 1, expected: "hex digits", found: "'\(chars[j])'")
                    }
                    tokens.append(ExpressionToken(kind: .hex(String(chars[(i + 2)..<j])), column: column))
                    i = j
                    continue
                }
                var j = i + 1
                while j < chars.count, chars[j].isASCII, chars[j].isNumber { j += 1 }
                if j < chars.count, chars[j].isLetter || chars[j] == "_" {
                    throw ExpressionError(column: j + 1, expected: "a digit or a space", found: "'\(chars[j])'")
                }
                let digits = String(chars[i..<j])
                guard let value = Int(digits) else {
                    throw ExpressionError(column: column, expected: "a number that fits 64 bits", found: digits)
                }
                tokens.append(ExpressionToken(kind: .integer(value), column: column))
                i = j
                continue
            }
            if c == "\"" {
                var j = i + 1
                var value = ""
                var closed = false
                while j < chars.count {
                    if chars[j] == "\\", j + 1 < chars.count {
                        value.append(chars[j + 1])
                        j += 2
                        continue
                    }
                    if chars[j] == "\"" {
                        closed = true
                        break
                    }
                    value.append(chars[j])
                    j += 1
                }
                guard closed else {
                    throw ExpressionError(column: chars.count + 1, expected: "a closing '\"' for the string at column \(column)",
                                          found: "end of input")
                }
                tokens.append(ExpressionToken(kind: .string(value), column: column))
                i = j + 1
                continue
            }
            if c == "(" || c == ")" {
                tokens.append(ExpressionToken(kind: c == "(" ? .leftParen : .rightParen, column: column))
                i += 1
                continue
            }
            let two = i + 1 < chars.count ? String(chars[i...(i + 1)]) : ""
            if let op = StateComparison.Operator(rawValue: two), two.count == 2 {
                tokens.append(ExpressionToken(kind: .op(op), column: column))
                i += 2
                continue
            }
            if c == "<" || c == ">" {
                tokens.append(ExpressionToken(kind: .op(c == "<" ? .less : .greater), column: column))
                i += 1
                continue
            }
            if c == "=" || c == "!" {
                throw ExpressionError(column: column, expected: c == "=" ? "'==' (comparison)" : "'!='",
                                      found: "'\(c)'")
            }
            throw ExpressionError(column: column, expected: "a path, an operator, a value or a parenthesis",
                                  found: "'\(c)'")
        }
        tokens.append(ExpressionToken(kind: .end, column: chars.count + 1))
        return tokens
    }
}
