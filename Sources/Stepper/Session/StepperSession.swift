import KernelRuntime
import Synchronization

/// One steppable run of a scenario, driven by ``Command``s: forwards and backwards, with
/// breakpoints, watches and per-thread frames.
///
/// The session owns a ``SteppedRuntime`` running a ``StepperProgram`` (by default
/// ``StepperProgram/cifsRead(_:)``: the kernel-shaped client reading the scenario's file from the
/// in-process server). Every command returns a value — events, a ``StopReason``, a ``Report`` —
/// or a ``StepperError``; nothing here prints or reads a terminal.
///
/// ```swift
/// let session = StepperSession(scenario: Scenario(file: "random-256k.bin"))
/// _ = session.execute(.breakpoint(function: "cifs_readv_callback"))
/// let result = try session.execute(.continue).get()   // stops at the callback's enter
/// _ = session.execute(.finish)                          // …and at its exit
/// _ = session.execute(.reverseContinue)                 // back to the breakpoint, by replay
/// ```
///
/// **Going back** is always a replay: a fresh runtime with the same seed follows the decisions
/// recorded so far (the *timeline*, which keeps the recorded future too, so going back and
/// forth shows the same run) and runs to the wanted event; frames and watched values are
/// recomputed on the way. Choosing a thread by hand where the timeline recorded another choice
/// cuts the timeline there.
///
/// Use a session from one thread. Call ``close()`` when done (or let it deinitialise): parked
/// simulated threads are released then.
public final class StepperSession {
    /// The scenario of the current run.
    public private(set) var scenario: Scenario
    /// The tracepoint catalogue breakpoint names are checked against.
    public let catalogue: TracepointCatalogue
    /// The paths `print`, `watch`, `info state` and conditions accept: the program's, then the
    /// session's own (``StatePaths/session``: `mid`, `threads[N].*`).
    public var paths: StatePaths { program.paths.merging(.session) }

    let makeProgram: (Scenario) -> StepperProgram
    var program: StepperProgram
    var runtime: SteppedRuntime
    var run: (any StepperProgramRun)?
    var tracker = FrameTracker()
    /// The longest decision list known to be consistent with the current run.
    var timeline: [SchedulingDecision] = []
    /// The faults armed in this run, by the event after which they were armed (kept with the
    /// timeline: a replay re-arms each at its event).
    public internal(set) var faults: [ArmedFault] = []

    /// The most events one moving command runs before it stops and says so: a run that never
    /// ends (a reconnect retried forever) must not take the machine's memory with it. A 256 MiB
    /// read is about 1.3 million events.
    public static let eventsPerMove = 4_000_000
    /// This session's limit (``eventsPerMove`` unless changed, e.g. by a test).
    public var eventLimit = StepperSession.eventsPerMove
    /// Set by ``interrupt()`` (from any thread, or a signal handler); moves test it between events.
    public let interruption = StepperInterruption()
    /// How many of ``faults`` the current runtime instance has armed.
    var faultsApplied = 0
    var stopPoints: [StopPoint] = []
    var nextBreakpointNumber = 1
    /// The current thread for `next`, `finish` and `backtrace`.
    var selectedThread: Int?
    /// Set once the run is over.
    var ended: RunOutcome?

    /// A session running the client core's read of `scenario.file` (``StepperProgram/cifsRead(_:)``).
    /// - Parameter catalogue: the names `break` accepts (tests inject their own).
    public convenience init(scenario: Scenario = Scenario(), catalogue: TracepointCatalogue = .builtIn) {
        self.init(scenario: scenario, catalogue: catalogue, program: StepperProgram.cifsRead)
    }

    /// A session running any program; `program` is asked again for every `reset`. The scenario
    /// gives the seed and the scheduling policy (and whatever else the program reads from it).
    public convenience init(scenario: Scenario, catalogue: TracepointCatalogue,
                            program: @escaping (Scenario) -> StepperProgram) {
        self.init(scenario: scenario, catalogue: catalogue, replaying: [], program: program)
    }

    /// A session that replays a recorded run: its scenario, its scheduling `decisions` (from a
    /// trace document) and, for a run against a real server, what the server sent (`recording`:
    /// no network is needed). Moving forward follows the decisions; `reset` starts a new run on
    /// the scenario as usual (against a real server: a new connection).
    public convenience init(scenario: Scenario, replaying decisions: [SchedulingDecision],
                            recording: NetworkRecording?, catalogue: TracepointCatalogue = .builtIn) {
        // The first program replays the recording; any later one (a reset) is a new run.
        var saved = recording.map(ServerLink.init(replaying:))
        self.init(scenario: scenario, catalogue: catalogue, replaying: decisions) { scenario in
            if let link = saved, scenario.server != nil {
                saved = nil
                return StepperProgram.cifsRead(scenario, link: link)
            }
            return StepperProgram.cifsRead(scenario)
        }
    }

    init(scenario: Scenario, catalogue: TracepointCatalogue, replaying decisions: [SchedulingDecision],
         program: @escaping (Scenario) -> StepperProgram) {
        self.scenario = scenario
        self.catalogue = catalogue
        self.makeProgram = program
        self.program = program(scenario)
        self.timeline = decisions
        self.runtime = SteppedRuntime(
            seed: scenario.seed, policy: scenario.policy.schedulingPolicy(seed: scenario.seed), replaying: decisions)
        startProgram()
    }

    deinit {
        runtime.abort()
        program.link?.close()
    }

    /// Ends the run and releases its threads. The session answers every later move with the
    /// end of the run.
    public func close() {
        runtime.abort()
        program.link?.close()
        if ended == nil { ended = .runtimeFailed("the session was closed") }
    }

    /// Whether the current command is waiting in real time for a real server (for a "waiting
    /// for the server" indicator). Safe from any thread.
    public var isWaitingForServer: Bool { runtime.isWaitingForNetwork }

    /// The connection to a real server (``Scenario/server``) with what it logged so far; `nil`
    /// when the run reads from the embedded server.
    public var serverLink: ServerLink? { program.link }

    /// Makes the run's wait for a real server, if one is in progress or comes before the current
    /// command ends, stop with ``StopReason/interrupted(waiting:)``. Safe from any thread and
    /// from a signal handler (one atomic store).
    public func interruptNetworkWait() {
        runtime.interrupt()
    }

    // MARK: What the run shows

    /// Every event of the run so far, in order (going back drops the later ones).
    public var events: [TraceEvent] { runtime.trace.events }

    /// Events recorded so far: the current event's sequence number (0 before the first).
    public var position: Int { runtime.recordedEventCount }

    /// The scheduling decisions that produced the run so far (replaying them with the scenario's
    /// seed reproduces it, whatever chose the threads).
    public var decisions: [SchedulingDecision] { runtime.decisions }

    /// How the run ended; `nil` while it can go on.
    public var outcome: RunOutcome? { ended }

    /// Where the bytes read so far first differ from the file on the share (3.8's zero fill
    /// after a short read); `nil` when they agree.
    public var firstWrongByte: Int? { run?.firstWrongByte }

    /// What the program produced so far (the bytes the reader read).
    public var output: [UInt8] { run?.output ?? [] }

    /// The breakpoints and watches, by number.
    public var breakpoints: [Breakpoint] { stopPoints.map(\.breakpoint) }

    /// The current thread's id (that of the last event, or the one chosen with `selectThread`).
    public var currentThread: Int? { selectedThread }

    /// Every spawned thread, by id.
    public var threads: [ThreadSnapshot] { runtime.threads }

    // MARK: Commands

    /// Runs one command.
    public func execute(_ command: Command) -> Result<CommandResult, StepperError> {
        // An interruption asked for before this command began is not this command's.
        interruption.clear()
        do {
            return .success(try perform(command))
        } catch {
            return .failure(error)
        }
    }

    private func perform(_ command: Command) throws(StepperError) -> CommandResult {
        switch command {
        case let .step(count):
            try requirePositive(count, "step: expected a positive number of events")
            return moved(advance(.steps(count), honourStops: true))
        case let .stepThread(id, count):
            try requirePositive(count, "step thread: expected a positive number of events")
            return try stepThread(id, count: count)
        case .next:
            return try next()
        case .finish:
            return try finish()
        case .continue:
            return moved(advance(.forever, honourStops: true))
        case let .goto(event):
            guard event >= 0 else { throw StepperError.badNumber(event, what: "goto: expected an event number ≥ 0") }
            return goto(event)
        case let .reverseStep(count):
            try requirePositive(count, "reverse-step: expected a positive number of events")
            return goto(max(0, position - count))
        case .reverseContinue:
            return reverseContinue()
        case let .reset(settings):
            return try reset(settings)
        case let .breakpoint(function, condition):
            return try setBreakpoint(function, condition: condition)
        case let .temporaryBreakpoint(function, condition):
            return try setBreakpoint(function, condition: condition, temporary: true)
        case let .watch(path):
            return try setWatch(path)
        case let .delete(target):
            return try delete(target)
        case let .selectThread(id):
            return try selectThread(id)
        case let .backtrace(thread):
            return try backtrace(thread)
        case .threads:
            return CommandResult(position: position, report: .threads(threadInfos()))
        case let .print(path):
            return try print(path)
        case let .why(target):
            return try why(target)
        case let .fault(fault):
            return try arm(fault)
        case .infoFaults:
            return CommandResult(position: position, report: .faults(faults))
        case let .examine(target):
            return try examine(target)
        case let .infoFunctions(text):
            return CommandResult(position: position, report: .functions(catalogue.entries(matching: text)))
        case let .infoState(prefix):
            return try infoState(prefix)
        case .infoBreakpoints:
            return CommandResult(position: position, report: .breakpoints(breakpoints))
        case let .evaluate(condition):
            return try evaluate(condition)
        }
    }

    private func requirePositive(_ count: Int, _ what: String) throws(StepperError) {
        guard count > 0 else { throw StepperError.badNumber(count, what: what) }
    }

    /// Asks the move running now to stop at the next event boundary, or to stop waiting for a
    /// real server (``StopReason/interrupted(events:waiting:)``). Safe from any thread and from a
    /// signal handler (it only sets an atomic flag); a request made while no command runs is
    /// dropped when the next one starts. Replays that going back makes always finish, so the
    /// session stays consistent.
    public func interrupt() {
        interruption.request()
    }

    /// The result of a move: its events and stop; the current thread becomes the last event's.
    /// A temporary breakpoint that stopped the move is deleted (reported as `.deleted`).
    func moved(_ outcome: (events: [TraceEvent], stop: StopReason)) -> CommandResult {
        if let last = outcome.events.last { selectedThread = last.threadID }
        var report = Report.none
        if case let .breakpoint(number, _, _) = outcome.stop,
           let index = stopPoints.firstIndex(where: { $0.breakpoint.number == number && $0.breakpoint.temporary }) {
            report = .deleted([stopPoints.remove(at: index).breakpoint])
        }
        return CommandResult(events: outcome.events, stop: outcome.stop, position: position, report: report)
    }

    // MARK: Starting runs

    /// Aborts the current runtime and starts the program on a fresh one that replays `decisions`.
    func restart(replaying decisions: [SchedulingDecision]) {
        runtime.abort()
        runtime = SteppedRuntime(
            seed: scenario.seed, policy: scenario.policy.schedulingPolicy(seed: scenario.seed), replaying: decisions)
        tracker = FrameTracker()
        ended = nil
        faultsApplied = 0
        startProgram()
        applyFaults(through: 0)
    }

    private func startProgram() {
        // Ctrl-C also ends a wait for a real server (the runtime polls this while it waits).
        runtime.alsoInterruptedWhen = { [interruption] in interruption.isRequested }
        do {
            run = try program.start(runtime)
        } catch {
            run = nil
            ended = .couldNotStart(String(describing: error))
            runtime.abort()
        }
        refreshWatches()
    }

    private func reset(_ settings: [String]) throws(StepperError) -> CommandResult {
        let changed: Scenario
        do {
            changed = try scenario.applying(settings)
        } catch {
            throw StepperError.badSetting(error)
        }
        // A run against a real server always starts on a new connection: the old one's server
        // has seen the old run's requests.
        if changed != scenario || program.link != nil || changed.server != nil {
            runtime.abort()
            program.link?.close()
            scenario = changed
            program = makeProgram(changed)
        }
        timeline = []
        faults = []
        selectedThread = nil
        restart(replaying: [])
        let stop: StopReason = ended.map { .end($0) } ?? .start
        return CommandResult(stop: stop, position: position, report: .scenario(scenario))
    }
}

/// A breakpoint or watch with what the session needs to test it.
struct StopPoint {
    var breakpoint: Breakpoint
    /// The parsed condition of a function breakpoint.
    var condition: StateExpression?
    /// A watch's value at the current event.
    var watchedValue: StateValue?

    var watchedPath: String? {
        if case let .watch(path) = breakpoint.kind { return path }
        return nil
    }

    var function: String? {
        if case let .function(name, _) = breakpoint.kind { return name }
        return nil
    }
}

/// A thread-safe request to stop a running move, for a driver's Ctrl-C: ``request()`` only
/// stores to an atomic flag, so a signal handler may call it.
public final class StepperInterruption: Sendable {
    private let requested = Atomic<Bool>(false)

    public init() {}

    /// Asks the running move to stop at the next event boundary.
    public func request() {
        requested.store(true, ordering: .relaxed)
    }

    /// Whether a stop was asked for and not yet taken.
    public var isRequested: Bool { requested.load(ordering: .relaxed) }

    func clear() {
        requested.store(false, ordering: .relaxed)
    }
}
