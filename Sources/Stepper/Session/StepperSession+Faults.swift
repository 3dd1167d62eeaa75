import KernelRuntime

// Faults: armed by name between steps, kept with the timeline, armed again by every replay.

extension StepperSession {
    func arm(_ fault: StepperFault) throws(StepperError) -> CommandResult {
        if let ended { throw StepperError.faultRefused("the run has ended (\(ended)); go back or reset first") }
        // A run against a real server refuses every fault: let it say so before the timeline
        // is touched.
        if program.link != nil, let run { _ = try run.arm(fault) }
        // What was recorded past this point assumed no such fault (this replays: a new run).
        try cutTimeline()
        guard let run else { throw StepperError.faultRefused("the program is not running") }
        let detail = try run.arm(fault)
        let armed = ArmedFault(afterEvent: position, fault: fault, detail: detail)
        faults.append(armed)
        faultsApplied = faults.count
        return CommandResult(position: position, report: .faultArmed(armed))
    }

    /// The event after which the next fault this runtime has not armed yet was armed.
    var nextFaultEvent: Int? { faultsApplied < faults.count ? faults[faultsApplied].afterEvent : nil }

    /// Arms again, in this runtime, every recorded fault armed after an event up to `sequence`.
    func applyFaults(through sequence: Int) {
        while faultsApplied < faults.count, faults[faultsApplied].afterEvent <= sequence {
            // It was armed once in this same state, so it arms again; failing now is a bug.
            do {
                _ = try run?.arm(faults[faultsApplied].fault)
            } catch {
                assertionFailure("a replay could not arm \(faults[faultsApplied].fault) again: \(error)")
            }
            faultsApplied += 1
        }
    }
}
