/// The state diff of one event, built by assigning through it: each ``set(_:_:_:path:)`` reads the
/// old value from the object, writes the new one, and — only while tracing — records
/// `path old → new`.
///
/// This is the one place a ``StateDiff`` is made from values (a test rejects `StateDiff(` written
/// anywhere else), so a diff can never show an "old" value the object did not hold.
public struct StateChanges {
    /// Whether changes are recorded (the runtime's ``KernelRuntime/isTracing`` when built).
    public let isTracing: Bool
    // Inlinable, so that with tracing off a `set` specialises to a plain store at its call site
    // (unspecialised, the key-path write costs hundreds of nanoseconds: too much per page).
    @usableFromInline var recorded: [StateDiff] = []

    /// The changes recorded so far, in assignment order.
    public var diffs: [StateDiff] { recorded }

    @inlinable
    public init(tracing: Bool) {
        isTracing = tracing
    }

    /// Shorthand for `StateChanges(tracing: runtime.isTracing)`.
    @inlinable
    public init(_ runtime: any KernelRuntime) {
        self.init(tracing: runtime.isTracing)
    }

    /// Writes `new` into `object[keyPath: keyPath]` and records the change when the value differs
    /// (an unchanged value records nothing). Call it under whatever lock guards the field.
    /// `object` is an object, or a handle whose properties write through (a reference-writable
    /// key path), such as a page frame's.
    @inlinable @inline(__always)
    public mutating func set<Root, Value: Equatable>(
        _ object: Root, _ keyPath: ReferenceWritableKeyPath<Root, Value>, _ new: Value,
        path: @autoclosure () -> String
    ) {
        let old = object[keyPath: keyPath]
        object[keyPath: keyPath] = new
        guard isTracing, old != new else { return }
        record(path: path(), old: Self.render(old), new: Self.render(new))
    }

    /// Records that a value came into existence (e.g. a mid added to `pending_mid_q`), rendering
    /// it from the object that now holds it.
    @inlinable
    public mutating func created<Value>(_ value: @autoclosure () -> Value, path: @autoclosure () -> String) {
        guard isTracing else { return }
        record(path: path(), old: nil, new: Self.render(value()))
    }

    /// Records that a value went away (e.g. a page evicted), rendering what it held.
    @inlinable
    public mutating func removed<Value>(_ value: @autoclosure () -> Value, path: @autoclosure () -> String) {
        guard isTracing else { return }
        record(path: path(), old: Self.render(value()), new: nil)
    }

    /// Appends the changes another builder recorded.
    public mutating func append(_ other: StateChanges) {
        recorded.append(contentsOf: other.recorded)
    }

    /// The one place a diff is made from rendered values (tracing only).
    @usableFromInline
    mutating func record(path: String, old: String?, new: String?) {
        recorded.append(StateDiff(path: path, old: old, new: new))
    }

    /// How a value appears in a diff: byte arrays as hex (empty as `""`), everything else as
    /// `String(describing:)`.
    public static func render<Value>(_ value: Value) -> String {
        if let bytes = value as? [UInt8] { return bytes.map { hexDigits($0) }.joined() }
        if let optional = value as? OptionalRendering { return optional.rendered }
        return String(describing: value)
    }

    private static func hexDigits(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}

/// Renders `nil` as `none` instead of Swift's `nil`/`Optional(…)` spelling.
private protocol OptionalRendering { var rendered: String { get } }

extension Optional: OptionalRendering {
    fileprivate var rendered: String {
        switch self {
        case .none: return "none"
        case .some(let value): return StateChanges.render(value)
        }
    }
}
