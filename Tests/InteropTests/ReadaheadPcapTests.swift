import Foundation
import Testing

/// `cifstep get --pcap` from smbd: tshark sees several READ_ANDX requests in flight at once —
/// the async readahead path on the wire.
@Suite("Readahead on the wire", .serialized)
struct ReadaheadPcapTests {
    /// Outstanding READ_ANDX after each message, in capture order: a request adds its MID, a
    /// response removes it. Returns the most at once and how many requests preceded the first
    /// response.
    static func inFlight(_ lines: [Substring]) -> (most: Int, beforeFirstResponse: Int) {
        var outstanding: Set<String> = []
        var most = 0
        var beforeFirst = 0
        var sawResponse = false
        for line in lines {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 3 else { continue }
            // One frame may carry several SMB messages: the values come comma-separated.
            let responses = fields[1].split(separator: ",")
            let mids = fields[2].split(separator: ",")
            for (response, mid) in zip(responses, mids) {
                if response == "1" || response == "True" {
                    sawResponse = true
                    outstanding.remove(String(mid))
                } else {
                    outstanding.insert(String(mid))
                    if !sawResponse { beforeFirst += 1 }
                    most = max(most, outstanding.count)
                }
            }
        }
        return (most, beforeFirst)
    }

    @Test("get big-8m.bin with 60 KiB reads: at some point 2 or more READ_ANDX are outstanding",
          .enabled(if: Peers.isCI || (Peers.samba != nil && Peers.hasTshark)))
    func severalReadsInFlight() throws {
        guard let samba = Peers.samba, let tshark = Peers.tool("tshark") else {
            Issue.record("CIFSTEP_SAMBA or tshark missing under CI")
            return
        }
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let pcap = dir.appendingPathComponent("get.pcap").path
        let trace = dir.appendingPathComponent("get.json").path
        let output = dir.appendingPathComponent("big-8m.bin").path
        let get = try Peers.run(
            Peers.cifstep,
            ["get", "//\(samba)/share/big-8m.bin", "--user", Peers.user, "--rsize", "61440", "-o", output,
             "--pcap", pcap, "--trace", trace],
            environment: ["CIFSTEP_PASSWORD": Peers.password], timeout: 120)
        #expect(get.status == 0, "\(get.stderr)")
        #expect(get.stderr.contains("0 readpage fallbacks"), "\(get.stderr)")
        let data = try Data(contentsOf: URL(fileURLWithPath: output))
        #expect(data.count == 8 << 20)
        // The first MiB of big-8m.bin is random-1m.bin (the same keystream).
        #expect(Peers.sha256(data.prefix(1 << 20)) == Peers.random1mSHA256)

        // READ_ANDX messages, in capture order: response flag and MID.
        let fields = try Peers.run(tshark, [
            "-r", pcap, "-Y", "smb.cmd == 0x2e", "-T", "fields", "-E", "occurrence=a", "-E", "aggregator=,",
            "-e", "frame.number", "-e", "smb.flags.response", "-e", "smb.mid",
        ], timeout: 120)
        #expect(fields.status == 0, "\(fields.stderr)")
        let lines = fields.text.split(separator: "\n")
        // 2048 pages in runs of at most 15: at least 137 requests and as many responses.
        #expect(lines.count >= 274)
        let (most, beforeFirst) = Self.inFlight(lines)
        #expect(most >= 2, "at most \(most) READ_ANDX outstanding")
        _ = beforeFirst  // capture order depends on scheduling: the trace says what the reader did
        // The first readahead window goes out as several READ_ANDX before the reader first waits
        // for a page: in the reader's own order of events, which no scheduling can change.
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: trace))) as? [String: Any]
        let events = (document?["events"] as? [[String: Any]] ?? []).filter { $0["threadName"] as? String == "reader" }
        let firstWait = try #require(events.firstIndex { $0["function"] as? String == "lock_page_killable" })
        let sentFirst = events[..<firstWait].filter { $0["function"] as? String == "cifs_async_readv" && $0["phase"] as? String == "enter" }
        #expect(sentFirst.count >= 2, "\(sentFirst.count) READ_ANDX sent before the reader first waited for a page")
        // No more than smbd's MaxMpxCount (50).
        #expect(most <= 50)
        // And tshark found nothing malformed.
        let malformed = try Peers.run(tshark, ["-r", pcap, "-Y", "_ws.malformed || _ws.expert.severity == error"])
        #expect(malformed.text.isEmpty, "\(malformed.text)")
    }

    @Test("the in-flight count of a scripted capture")
    func countingRule() {
        let lines: [Substring] = ["17\t0\t7", "18\t0\t8", "19\t1\t7", "20\t0\t9", "21\t1,1\t8,9"]
        let (most, before) = Self.inFlight(lines)
        #expect(most == 2)
        #expect(before == 2)
    }
}
