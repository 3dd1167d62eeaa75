@testable import CIFSClient
import KernelRuntime
import Testing

/// The page cache's index (open addressing, linear probing, removal by shifting back) against a
/// `Dictionary` doing the same inserts and removals.
@Suite struct PageIndexTableTests {
    @Test("random inserts, replacements and removals: the same contents as a Dictionary", arguments: [1, 2, 3])
    func agreesWithADictionary(seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        var table = PageIndexTable()
        var model: [Int: Page] = [:]
        let frameTable = PageFrameTable()
        defer { withExtendedLifetime(frameTable) {} }
        let frames = (0..<64).map { _ in frameTable.addFrame() }
        // Keys from a narrow range (long probe runs, many collisions and removals inside runs),
        // a sliding window (what a sequential read does) and anywhere (negative and huge too).
        for step in 0..<20_000 {
            let key: Int
            switch Int.random(in: 0..<3, using: &generator) {
            case 0: key = Int.random(in: 0..<200, using: &generator)
            case 1: key = step / 4 + Int.random(in: 0..<300, using: &generator)
            default: key = Int.random(in: Int.min...Int.max, using: &generator)
            }
            if Int.random(in: 0..<5, using: &generator) < 3 {
                let page = frames[Int.random(in: 0..<frames.count, using: &generator)]
                table[key] = page
                model[key] = page
            } else {
                table[key] = nil
                model[key] = nil
            }
            if step % 997 == 0 {
                #expect(table.count == model.count)
                #expect(table.keysInTable.sorted() == model.keys.sorted())
            }
        }
        #expect(table.count == model.count)
        for (key, page) in model { #expect(table[key] == page) }
        for key in 0..<200 where model[key] == nil { #expect(table[key] == nil) }
        // Emptied, it finds nothing.
        for key in model.keys { table[key] = nil }
        #expect(table.count == 0)
        #expect(table.keysInTable.isEmpty)
    }
}
