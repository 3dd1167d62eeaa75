import CIFSClient
import Foundation
import KernelRuntime
import SMBCrypto
import Testing

/// Throughput of the pieces of the async read path, printed only: run with
/// `CIFSTEP_BENCH=1 swift test -c release --filter ReadaheadBenchmarks`. No timing assertions
/// (the machine is shared); the checks only guard correctness.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["CIFSTEP_BENCH"] != nil))
struct ReadaheadBenchmarks {
    /// swift-crypto's MD5 alone, as cifsd feeds it: the signature of 256 MiB of READ_ANDX data in
    /// 4 KiB page updates (the floor of a signed read's client CPU).
    @Test func md5OfTwoHundredFiftySixMebibytes() throws {
        let page = [UInt8](repeating: 0x5A, count: 4096)
        let header = [UInt8](repeating: 0, count: 64)
        let start = DispatchTime.now().uptimeNanoseconds
        var signature: [UInt8] = []
        for _ in 0..<256 {
            var stream = SMB1SignatureStream(macKey: [UInt8](repeating: 1, count: 16), sequence: 3)
            stream.update(header)
            page.withUnsafeBytes { bytes in
                for _ in 0..<256 { stream.update(bytes) }
            }
            signature = stream.finalize()
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(String(format: "BENCH MD5 (SMB1SignatureStream, 4 KiB updates): 256 MiB in %.3f s = %.0f MB/s",
                     seconds, Double(256 << 20) / seconds / 1e6))
        #expect(signature.count == 8)
    }

    /// The whole path against the in-process server over a pipe (both ends in this process).
    @Test(arguments: [false, true])
    func pipeServerRead(signed: Bool) throws {
        let content = Harness.pattern(64 << 20, seed: 3)
        let start = DispatchTime.now().uptimeNanoseconds
        let run = try ReadaheadHarness.readFromPipeServer(
            FreeRunRuntime(seed: 1), content: content, sign: signed, signing: signed ? .required : .auto)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        print(String(format: "BENCH page-cache read of 64 MiB from the in-process server over a pipe, %@: %.3f s = %.0f MB/s, %d reads, at most %d in flight",
                     signed ? "signed" : "unsigned", seconds, Double(64 << 20) / seconds / 1e6,
                     run.statistics.asyncReads, run.statistics.maxInFlight))
        #expect(run.bytes == content)
    }
}
