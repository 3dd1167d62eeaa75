/// One call of a traced kernel function, handed to the body of
/// ``KernelRuntime/traced(_:_:buffers:diff:_:)``.
///
/// Events recorded through it carry the function's name, so every event sits inside a frame
/// whose `enter` and `exit` bracket it: that pairing is what lets a stepper offer `next`,
/// `finish` and a backtrace. Set what the exit event says with ``returning(_:buffers:diff:)``.
public struct TracedCall {
    /// The kernel function this call mirrors, e.g. `cifs_readv_receive`.
    public let function: String
    /// The runtime the call records on. Not retained: a call lives only as long as the
    /// `traced` body it is handed to (do not keep it past that), and the runtime outlives it.
    public unowned(unsafe) let runtime: any KernelRuntime
    /// Whether events are recorded at all (checked once, at entry).
    public let isTracing: Bool
    /// The request this call works on, carried by each of its events (``TraceEvent/mid``).
    public let mid: Int?

    // `traced` and these members are inlinable, and the exit's content is one optional
    // reference (allocated only by `returning` while tracing), so that with tracing off a frame
    // costs little more than its `isTracing` check and destroying a call is one optional
    // release: a page read crosses several frames per 4 KiB.
    /// What the exit event says, once ``returning(_:buffers:diff:)`` set it.
    @usableFromInline var exit: Exit?

    /// The content of an exit event (a class, so that an unset exit is one nil reference).
    @usableFromInline
    final class Exit {
        @usableFromInline let message: String
        @usableFromInline let buffers: [TraceBuffer]
        @usableFromInline let diff: [StateDiff]

        @usableFromInline
        init(message: String, buffers: [TraceBuffer], diff: [StateDiff]) {
            self.message = message
            self.buffers = buffers
            self.diff = diff
        }
    }

    @usableFromInline
    init(function: String, runtime: any KernelRuntime, isTracing: Bool, mid: Int? = nil) {
        self.function = function
        self.runtime = runtime
        self.isTracing = isTracing
        self.mid = mid
    }

    /// Records an event of this call (a block, a wake, a send, a receive or a note) between its
    /// enter and its exit.
    @inlinable
    public func event(
        _ phase: TracePhase, _ message: @autoclosure () -> String,
        buffers: @autoclosure () -> [TraceBuffer] = [], diff: @autoclosure () -> [StateDiff] = []
    ) throws {
        guard isTracing else { return }
        try runtime.recordTracepoint(
            function: function, phase: phase, mid: mid, message: message, buffers: buffers, diff: diff)
    }

    /// Records a note of this call. Shorthand for `event(.note, …)`.
    @inlinable
    public func note(
        _ message: @autoclosure () -> String, buffers: @autoclosure () -> [TraceBuffer] = [],
        diff: @autoclosure () -> [StateDiff] = []
    ) throws {
        try event(.note, message(), buffers: buffers(), diff: diff())
    }

    /// What the exit event will say when the body returns normally (last call wins). Nothing is
    /// evaluated when tracing is off.
    @inlinable
    public mutating func returning(
        _ message: @autoclosure () -> String, buffers: @autoclosure () -> [TraceBuffer] = [],
        diff: @autoclosure () -> [StateDiff] = []
    ) {
        guard isTracing else { return }
        exit = Exit(message: message(), buffers: buffers(), diff: diff())
    }
}

extension KernelRuntime {
    /// Runs `body` as one call of the kernel function `function`: records an `enter` event, then
    /// the body (whose events go through the ``TracedCall`` it is given), then an `exit` event —
    /// also when the body throws, with the error in the exit's message, so that enter and exit
    /// always pair. A ``RuntimeAbort`` (the run is being torn down) records nothing more.
    ///
    /// With tracing off this is a plain call of `body`.
    @inlinable @inline(__always)
    public func traced<T>(
        _ function: String, _ message: @autoclosure () -> String = "",
        buffers: @autoclosure () -> [TraceBuffer] = [], diff: @autoclosure () -> [StateDiff] = [],
        _ body: (inout TracedCall) throws -> T
    ) throws -> T {
        var call = TracedCall(function: function, runtime: self, isTracing: isTracing)
        guard call.isTracing else { return try body(&call) }
        return try recordFrame(&call, message: message, buffers: buffers, diff: diff, body)
    }

    /// ``traced(_:_:buffers:diff:_:)`` for a call that works on one request: every event of the
    /// frame carries `mid` (``TraceEvent/mid``), which is what a bare `mid` means in a
    /// stepper's breakpoint condition (`nil`: no request known, as without the argument).
    @inlinable @inline(__always)
    public func traced<T>(
        _ function: String, mid: UInt16?, _ message: @autoclosure () -> String = "",
        buffers: @autoclosure () -> [TraceBuffer] = [], diff: @autoclosure () -> [StateDiff] = [],
        _ body: (inout TracedCall) throws -> T
    ) throws -> T {
        var call = TracedCall(function: function, runtime: self, isTracing: isTracing, mid: mid.map(Int.init))
        guard call.isTracing else { return try body(&call) }
        return try recordFrame(&call, message: message, buffers: buffers, diff: diff, body)
    }

    /// The tracing half of ``traced(_:_:buffers:diff:_:)``: the enter event, the body, the exit
    /// event (kept out of line, so that the disabled path inlined at every call site stays small).
    @usableFromInline
    func recordFrame<T>(
        _ call: inout TracedCall, message: () -> String, buffers: () -> [TraceBuffer], diff: () -> [StateDiff],
        _ body: (inout TracedCall) throws -> T
    ) throws -> T {
        let function = call.function
        try recordTracepoint(function: function, phase: .enter, mid: call.mid, message: message, buffers: buffers, diff: diff)
        let result: T
        do {
            result = try body(&call)
        } catch let abort as RuntimeAbort {
            throw abort
        } catch {
            let failure = error
            try recordTracepoint(
                function: function, phase: .exit, mid: call.mid, message: { "error: \(failure)" }, buffers: { [] }, diff: { [] })
            throw failure
        }
        let exit = call.exit
        try recordTracepoint(
            function: function, phase: .exit, mid: call.mid, message: { exit?.message ?? "" }, buffers: { exit?.buffers ?? [] },
            diff: { exit?.diff ?? [] })
        return result
    }
}
