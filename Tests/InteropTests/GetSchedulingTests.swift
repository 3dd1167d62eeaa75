import Foundation
import KernelRuntime
import Testing

/// `cifstep get` runs its simulated kernel threads under `SCHED_BATCH` (a bulk copy: a woken
/// thread does not preempt the running one), read from `/proc` while it waits for a server.
@Suite struct GetSchedulingTests {
    /// Linux's `SCHED_BATCH`.
    static let batchPolicy = 3

    @Test func itsThreadsRunUnderBatchScheduling() throws {
        let listener = try TCPListener(host: "127.0.0.1", port: 0)
        // If `get` never connects, accept would wait for ever: the guard closes the listener.
        let guardTimer = DispatchWorkItem { listener.close() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 30, execute: guardTimer)
        defer {
            guardTimer.cancel()
            listener.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Peers.cifstep)
        process.arguments = ["get", "//127.0.0.1:\(listener.port)/data/file.bin", "-o", "-",
                             "--user", "alice", "--password", "Wonderland-42"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            process.terminate()
            process.waitUntilExit()
        }
        let connection = try listener.accept()
        defer { connection.close() }
        // The NEGOTIATE has arrived: the reader is up and waits for the answer.
        #expect(try !connection.receive(maxBytes: 4096).isEmpty)

        // cifsd may start just after the NEGOTIATE went out: look until it is there.
        var policies: [String: Int] = [:]
        let deadline = Date().addingTimeInterval(30)
        repeat {
            policies = try Self.schedulingPolicies(of: process.processIdentifier)
            if policies["cifsd"] != nil { break }
            usleep(10_000)
        } while Date() < deadline
        // The runtime names its threads for the system (`top -H`, perf) as in the trace;
        // cifsiod starts later, with the first read.
        for thread in ["reader", "cifsd"] {
            #expect(policies[thread] == Self.batchPolicy, "\(thread): \(policies)")
        }
        #expect(policies.values.allSatisfy { $0 == Self.batchPolicy }, "\(policies)")
    }

    /// Each thread's scheduling policy (`/proc/PID/task/TID/stat`, field 41), by thread name.
    static func schedulingPolicies(of pid: Int32) throws -> [String: Int] {
        var policies: [String: Int] = [:]
        for task in try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task") {
            let directory = "/proc/\(pid)/task/\(task)"
            guard let name = try? String(contentsOfFile: "\(directory)/comm", encoding: .utf8),
                  let stat = try? String(contentsOfFile: "\(directory)/stat", encoding: .utf8),
                  let end = stat.lastIndex(of: ")") else { continue }
            // Fields after the name, which is in parentheses: the third field (state) first,
            // the 41st (policy) at 38.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            guard fields.count > 38, let policy = Int(fields[38]) else { continue }
            policies[name.trimmingCharacters(in: .whitespacesAndNewlines)] = policy
        }
        return policies
    }
}
