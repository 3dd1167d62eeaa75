/// The spans of an NTLMv2 client blob (MS-NLMP `NTLMv2_CLIENT_CHALLENGE`): the part of an NTLMv2
/// response after its 16-byte NTProofStr, which the client builds and the server hashes again.
public enum NTLMv2ClientChallenge {
    /// Bytes before the AV pairs: RespType, HiRespType, six reserved bytes, the timestamp, the
    /// client challenge and four reserved bytes.
    public static let headerLength = 28

    /// Where each field of `blob` sits, offsets plus `base` (16 when the blob follows an
    /// NTProofStr): as much as can be read of a short or malformed blob.
    public static func annotate(_ blob: [UInt8], base: Int = 0, prefix: String = "NTLMv2Blob") -> [FieldSpan] {
        var r = WireReader(blob, base: base, prefix: prefix)
        do {
            _ = try r.u8("RespType") { $0 == 1 ? "1: the only version" : "expected 1" }
            _ = try r.u8("HiRespType") { $0 == 1 ? "1: the only version" : "expected 1" }
            _ = try r.bytes("Reserved1", count: 6, meaning: "zero")
            _ = try r.u64("TimeStamp") { FileTime.describe($0) }
            _ = try r.bytes("ChallengeFromClient", count: 8, meaning: "the client's 8 random bytes")
            _ = try r.bytes("Reserved2", count: 4, meaning: "zero")
            var pairs = WireReader(blob, offset: r.offset, base: base, prefix: prefix + ".AvPairs")
            _ = try? AVPairList.decode(from: &pairs)
            r.append(spans: pairs.spans)
        } catch {
            // A short blob keeps the spans read so far.
        }
        return r.spans
    }
}
