import Foundation
import Testing

/// Peak memory of `cifstep serve` under each attack of issue 13, for one or more builds of it
/// (Benchmarks/serve-attacks.sh runs it with the build before the limits and the one after).
/// A benchmark, not a test: opt-in with `CIFSTEP_BENCH=1`; it prints a table and asserts
/// nothing about the figures.
///
/// `CIFSTEP_SERVE_BINS=label=/path/to/cifstep,label=/path…` (default: `this build`).
@Suite(.enabled(if: ProcessInfo.processInfo.environment["CIFSTEP_BENCH"] == "1"))
struct ServeAttackBenchmarks {
    static var builds: [(label: String, path: String)] {
        guard let spec = Peers.env["CIFSTEP_SERVE_BINS"] else { return [("this build", Peers.cifstep)] }
        return spec.split(separator: ",").compactMap { item -> (label: String, path: String)? in
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { return nil }
            return (String(parts[0]), String(parts[1]))
        }
    }

    static func mib(_ kib: Int?) -> String {
        guard let kib else { return "–" }
        return String(format: "%.0f MiB", Double(kib) / 1024)
    }

    @Test func peakMemoryUnderEachAttack() throws {
        let root = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let share = root.appendingPathComponent("share")
        try ServeAttack.makeShare(at: share)
        var rows = ["| attack | build | RSS at start | peak RSS | RSS after it closed | good client during | answers |",
                    "| --- | --- | ---: | ---: | ---: | --- | --- |"]
        for attack in ServeAttack.allCases {
            for build in Self.builds {
                let server = try ServeProcess(["--share", "data=\(share.path)", "--user", "alice:Wonderland-42"],
                                              executable: build.path)
                let start = server.memoryKiB("VmRSS")
                var good = "no"
                let counts: [String: Int]
                do {
                    counts = try attack.run(port: server.port) {
                        good = try Self.goodClient(server.port, root) ? "yes" : "no"
                    }
                } catch {
                    counts = ["attack failed: \(error)": 1]
                }
                let peak = server.memoryKiB("VmHWM")
                // After the attack's connections closed (the server logs each one).
                let connections = server.count(": opened from")
                server.waitForLog(timeout: 30) { text in
                    text.split(separator: "\n").filter { $0.contains(": closed (") }.count >= connections
                }
                let after = server.memoryKiB("VmRSS")
                _ = server.stop()
                let answers = counts.sorted { $0.key < $1.key }.map { "\($0.value)× \($0.key)" }.joined(separator: ", ")
                rows.append("| \(attack.rawValue) | \(build.label) | \(Self.mib(start)) | \(Self.mib(peak)) | "
                            + "\(Self.mib(after)) | \(good) | \(answers) |")
            }
        }
        for build in Self.builds { rows.append(try Self.connectBurst(build, share: share, root: root)) }
        print("\nserve under attack (peak RSS = VmHWM of a fresh server per attack):\n" + rows.joined(separator: "\n"))
    }

    static func goodClient(_ port: UInt16, _ root: URL) throws -> Bool {
        guard let tool = Peers.tool("smbclient") else { return false }
        let out = root.appendingPathComponent("good-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try Peers.run(tool, ["//127.0.0.1/data", "-p", "\(port)", "-U", "alice%Wonderland-42", "-m", "NT1",
                                     "--option=client min protocol=NT1", "-c", "get hello.txt \(out)"])
        return r.status == 0 && FileManager.default.contents(atPath: out) == Data(Peers.helloText.utf8)
    }

    /// 500 connects at once that then stay silent: the slowest connect (a SYN dropped for a
    /// full backlog is retried after 1 s), the server's threads once it has seen them all (or
    /// 30 s later: a connection whose handshake the kernel dropped for a full backlog never
    /// reaches the server), how many were refused or evicted, and whether smbclient is then
    /// served.
    static func connectBurst(_ build: (label: String, path: String), share: URL, root: URL) throws -> String {
        let server = try ServeProcess(["--share", "data=\(share.path)", "--user", "alice:Wonderland-42"],
                                      executable: build.path)
        let count = 500
        var fds: [Int32] = []
        var started: [UInt64] = []
        var connected = [UInt64](repeating: 0, count: count)
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = server.port.bigEndian
            started.append(DispatchTime.now().uptimeNanoseconds)
            _ = withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            fds.append(fd)
        }
        defer { for fd in fds { close(fd) } }
        var pending = Set(0..<count)
        let deadline = DispatchTime.now().uptimeNanoseconds + 20_000_000_000
        while !pending.isEmpty && DispatchTime.now().uptimeNanoseconds < deadline {
            var polls = pending.sorted().map { pollfd(fd: fds[$0], events: Int16(POLLOUT), revents: 0) }
            let ready = poll(&polls, nfds_t(polls.count), 100)
            guard ready > 0 else { continue }
            let now = DispatchTime.now().uptimeNanoseconds
            for (slot, index) in pending.sorted().enumerated() where polls[slot].revents != 0 {
                connected[index] = now
                pending.remove(index)
            }
        }
        let slowest = (0..<count).filter { connected[$0] > 0 }.map { connected[$0] - started[$0] }.max() ?? 0
        server.waitForLog(timeout: 30) { text in
            let lines = text.split(separator: "\n")
            return lines.filter { $0.contains(": opened from") || $0.contains("refused a connection") }.count >= count
        }
        let threads = (try? String(contentsOfFile: "/proc/\(server.pid)/status", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("Threads:") }.map { String($0.dropFirst(8)).trimmingCharacters(in: .whitespaces) } ?? "?"
        let refused = server.count("refused a connection")
        let evicted = server.count(": closed (evicted")
        let good = try goodClient(server.port, root) ? "yes" : "no"
        _ = server.stop()
        return "| 500 connects at once, then silent | \(build.label) | slowest connect "
            + String(format: "%.3f s", Double(slowest) / 1e9) + ", \(pending.count) never connected | threads \(threads) | "
            + "\(refused) refused, \(evicted) evicted | \(good) | |"
    }
}
