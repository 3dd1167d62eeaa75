import KernelRuntime

/// What a ``StepperSession`` steps through: a program that spawns its simulated threads on a
/// fresh ``SteppedRuntime`` and can then be asked about its state.
///
/// The session starts the program once per run — again for every replay (going back) and every
/// `reset` — so `start` must build everything from scratch and depend on nothing but its
/// arguments: the same runtime seed and decisions must give the same events.
/// ``StepperProgram/cifsRead(_:)`` is the one the REPL runs; tests also step small synthetic
/// programs with it.
public struct StepperProgram: Sendable {
    /// The state paths the program can show (for checking watches, `print` and conditions).
    public var paths: StatePaths
    /// Spawns the program's threads on `runtime` (they run when the session steps) and returns
    /// the handle to its state. Throws when the program cannot start (e.g. the server's
    /// configuration is refused): the run then ends at once with ``RunOutcome/couldNotStart(_:)``.
    public var start: @Sendable (SteppedRuntime) throws -> any StepperProgramRun
    /// The connection to a real server every run of this program shares, with what it logged;
    /// `nil` for a program that needs none (the embedded server).
    public var link: ServerLink?

    public init(paths: StatePaths, link: ServerLink? = nil,
                start: @escaping @Sendable (SteppedRuntime) throws -> any StepperProgramRun) {
        self.paths = paths
        self.link = link
        self.start = start
    }
}

/// One started instance of a ``StepperProgram``. The session calls it only between steps, from
/// the thread that drives the session.
public protocol StepperProgramRun: AnyObject {
    /// Every value now, in the program's fixed order; only paths starting with `prefix` if given.
    func state(prefix: String?) -> [StateEntry]
    /// The value at exactly `path` now, or `nil` when nothing is there.
    func value(at path: String) -> StateValue?
    /// What the program has produced so far (the reader's bytes).
    var output: [UInt8] { get }
    /// The failure the program reported, if any (e.g. the reader's open error), with its cause.
    var failure: ProgramFailure? { get }
    /// When the bytes at `path` are a buffer the trace recorded (a message as sent), that buffer
    /// with its field spans and the event that carried it. The default: `nil`.
    func buffer(at path: String) -> (buffer: TraceBuffer, event: TraceEvent)?
    /// Arms `fault` now (between steps), counting from this point; returns what it targets,
    /// for people. The default refuses: a program without a server to misbehave has no faults.
    func arm(_ fault: StepperFault) throws(StepperError) -> String
    /// Where the bytes produced so far first differ from what the program was reading (a
    /// short read under 3.8's zero fill); `nil` when they agree or nothing says. Default `nil`.
    var firstWrongByte: Int? { get }
}

extension StepperProgramRun {
    public func buffer(at path: String) -> (buffer: TraceBuffer, event: TraceEvent)? { nil }

    public var firstWrongByte: Int? { nil }

    public func arm(_ fault: StepperFault) throws(StepperError) -> String {
        throw StepperError.faultRefused("this program has no server to inject \(fault.name) into")
    }
}

/// A program's own failure: which thread, and the error it met.
public struct ProgramFailure: Equatable, Sendable, Codable, CustomStringConvertible {
    /// The thread that failed, e.g. `reader`.
    public var thread: String
    /// The error, e.g. `STATUS_OBJECT_NAME_NOT_FOUND from NT_CREATE_ANDX`.
    public var error: String
    /// The negative errno the 3.8 kernel returned in the same place, when known.
    public var errno: Int32?

    public init(thread: String, error: String, errno: Int32? = nil) {
        self.thread = thread
        self.error = error
        self.errno = errno
    }

    public var description: String {
        "\(thread): \(error)" + (errno.map { " (\($0))" } ?? "")
    }
}

/// A ``StepperProgramRun`` built from closures, for small programs (tests, demonstrations).
public final class ClosureProgramRun: StepperProgramRun {
    private let read: () -> [StateEntry]
    private let produced: () -> [UInt8]
    private let failed: () -> ProgramFailure?

    /// - Parameters:
    ///   - state: every value now, in order.
    ///   - output: what the program produced.
    ///   - failure: the program's failure, if any.
    public init(state: @escaping () -> [StateEntry] = { [] }, output: @escaping () -> [UInt8] = { [] },
                failure: @escaping () -> ProgramFailure? = { nil }) {
        read = state
        produced = output
        failed = failure
    }

    public func state(prefix: String?) -> [StateEntry] {
        let all = read()
        guard let prefix else { return all }
        return all.filter { $0.path.hasPrefix(prefix) }
    }

    public func value(at path: String) -> StateValue? {
        read().first { $0.path == path }?.value
    }

    public var output: [UInt8] { produced() }
    public var failure: ProgramFailure? { failed() }
}
