extension StateSnapshot {
    /// `rdata[K].*`: the reads ``TreeConnection/tracedReads`` lists, `K` counting from 0 in
    /// allocation order (the order of the `cifs_readdata_alloc` events).
    static let readDataPatterns: [PathPattern] = [
        PathPattern("rdata[N].state", .text(names: ReadDataStage.allCases.map(\.rawValue)),
                    "where the read stands: allocated, sent, received, completing, completed"),
        PathPattern("rdata[N].offset", .integer, "file offset of its first page (offset)"),
        PathPattern("rdata[N].bytesAsked", .integer, "bytes asked for: its pages × 4096"),
        PathPattern("rdata[N].bytes", .integer, "bytes asked for, then bytes received (bytes)"),
        PathPattern("rdata[N].firstPage", .integer, "index of its first page"),
        PathPattern("rdata[N].pageCount", .integer, "pages it was allocated with"),
        PathPattern("rdata[N].mid", .integer, "the MID its READ_ANDX went out with (0 until sent)"),
        PathPattern("rdata[N].result", .integer, "0, or the negative errno it failed with (result)"),
        PathPattern("rdata[N].error", .text(names: nil), "why it failed, when it did"),
    ]

    /// Reads between steps: a read's fields belong to whichever thread holds it, and all are
    /// parked then.
    static func collectReadData(_ reads: [ReadData], into c: inout Collector) {
        let wanted = c.wantedIndex(section: "rdata")
        for (index, rdata) in reads.enumerated() where wanted == nil || index == wanted {
            let root = "rdata[\(index)]."
            guard c.wants(section: root) else { continue }
            c.add(root + "state", .text(rdata.stage.rawValue))
            c.add(root + "offset", .integer(Int(clamping: rdata.offset)))
            c.add(root + "bytesAsked", .integer(rdata.bytesAsked))
            c.add(root + "bytes", .integer(rdata.bytes))
            c.add(root + "firstPage", .integer(rdata.firstIndex))
            c.add(root + "pageCount", .integer(rdata.pageCount))
            c.add(root + "mid", .integer(Int(rdata.mid)))
            c.add(root + "result", .integer(Int(rdata.result?.errno ?? 0)))
            if let error = rdata.result { c.add(root + "error", .text(error.description)) }
        }
    }
}
