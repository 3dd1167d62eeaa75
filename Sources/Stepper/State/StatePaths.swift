import CIFSClient

/// The state paths a program can show, for checking a path before it is watched, printed or
/// tested in a condition.
public struct StatePaths: Sendable, Equatable {
    /// Every pattern, in the program's order.
    public let patterns: [StatePathPattern]

    public init(_ patterns: [StatePathPattern]) {
        self.patterns = patterns
    }

    /// The client core's paths (``StateSnapshot/patterns``).
    public static let clientCore = StatePaths(StateSnapshot.patterns.map {
        StatePathPattern($0.pattern, kind: StateKind($0.kind), summary: $0.summary)
    })

    /// These patterns followed by `other`'s (a pattern already here is not repeated).
    public func merging(_ other: StatePaths) -> StatePaths {
        let known = Set(patterns.map(\.pattern))
        return StatePaths(patterns + other.patterns.filter { !known.contains($0.pattern) })
    }

    /// Whether `path` names an object whose fields are paths (`rdata[0]`, `threads`, `server`)
    /// rather than a value: some pattern continues it with `.` or `[`.
    public func isObject(_ path: String) -> Bool {
        let shape = Self.shape(of: path)
        return patterns.contains { $0.pattern.hasPrefix(shape + ".") || $0.pattern.hasPrefix(shape + "[") }
    }

    /// The pattern `path` is an instance of (`page[12].locked` → `page[N].locked`), if any.
    public func pattern(for path: String) -> StatePathPattern? {
        let shape = Self.shape(of: path)
        return patterns.first { $0.pattern == shape }
    }

    /// Whether `prefix` begins some path (for `info state PREFIX`): `page`, `page[3]`, `server.seq`.
    public func admitsPrefix(_ prefix: String) -> Bool {
        let shape = Self.shape(of: prefix)
        return patterns.contains { $0.pattern.hasPrefix(shape) }
    }

    /// The patterns nearest to a misspelt path.
    public func suggestions(for path: String) -> [String] {
        EditDistance.closest(to: Self.shape(of: path), among: patterns.map(\.pattern))
    }

    /// `path` with every bracketed decimal index replaced by `N`.
    static func shape(of path: String) -> String {
        var out = ""
        var chars = path[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            out.append(c)
            guard c == "[" else { continue }
            let digits = chars.prefix { $0.isASCII && $0.isNumber }
            if !digits.isEmpty, chars.dropFirst(digits.count).first == "]" {
                out.append("N")
                chars = chars.dropFirst(digits.count)
            }
        }
        return out
    }
}
