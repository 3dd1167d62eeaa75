import CIFSClient

/// One inspectable value of a run's state, typed so that a condition can compare it.
///
/// Values render exactly as the trace's state diffs render them (``description``), so what
/// `print` shows, what a watch reports and what a diff says about one field read alike.
public enum StateValue: Equatable, Hashable, Sendable, Codable, CustomStringConvertible {
    case integer(Int)
    case bool(Bool)
    case bytes([UInt8])
    /// An enum case name (`good`, `submitted`) or a string (a path, a user name).
    case text(String)
    /// The names of the set flags, in the flag type's own order (`page[3].flags`).
    case flags([String])

    /// Integers decimal, `true`/`false`, bytes as lowercase hex, names as they are, flags joined
    /// by `|` (`-` when none is set).
    public var description: String { StateSnapshot.Value(self).description }

    /// The kind of value this is (for messages).
    public var kindName: String {
        switch self {
        case .integer: return "an integer"
        case .bool: return "a boolean"
        case .bytes: return "bytes"
        case .text: return "a name"
        case .flags: return "a flag set"
        }
    }
}

/// A value at a dotted path, e.g. `server.sequenceNumber = 4`.
public struct StateEntry: Equatable, Sendable, Codable, CustomStringConvertible {
    public var path: String
    public var value: StateValue

    public init(path: String, value: StateValue) {
        self.path = path
        self.value = value
    }

    public var description: String { "\(path) = \(value)" }
}

/// What kind of value a path holds, for checking a condition before it runs.
public enum StateKind: Equatable, Sendable, Codable {
    case integer
    case bool
    case bytes
    /// Text; `names` lists the allowed values when the field is an enum.
    case text(names: [String]?)
    /// A flag set and every flag name it may hold.
    case flags(names: [String])
}

/// A path a program's state may hold. `[N]` stands for any index: `mid[N].state`, `page[N].flags`.
public struct StatePathPattern: Equatable, Sendable, Codable {
    public var pattern: String
    public var kind: StateKind
    /// One line for people.
    public var summary: String

    public init(_ pattern: String, kind: StateKind, summary: String = "") {
        self.pattern = pattern
        self.kind = kind
        self.summary = summary
    }
}

// MARK: - Bridging the client core's snapshot

extension StateValue {
    /// The stepper's value for a client-core snapshot value.
    public init(_ value: StateSnapshot.Value) {
        switch value {
        case let .integer(v): self = .integer(v)
        case let .bool(v): self = .bool(v)
        case let .bytes(v): self = .bytes(v)
        case let .text(v): self = .text(v)
        case let .flags(v): self = .flags(v)
        }
    }
}

extension StateSnapshot.Value {
    init(_ value: StateValue) {
        switch value {
        case let .integer(v): self = .integer(v)
        case let .bool(v): self = .bool(v)
        case let .bytes(v): self = .bytes(v)
        case let .text(v): self = .text(v)
        case let .flags(v): self = .flags(v)
        }
    }
}

extension StateKind {
    init(_ kind: StateSnapshot.Kind) {
        switch kind {
        case .integer: self = .integer
        case .bool: self = .bool
        case .bytes: self = .bytes
        case let .text(names): self = .text(names: names)
        case let .flags(names): self = .flags(names: names)
        }
    }
}
