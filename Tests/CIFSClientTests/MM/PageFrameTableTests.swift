@testable import CIFSClient
import KernelRuntime
import Testing

/// The frame table behind ``Page`` handles: frames in chunks that never move.
@Suite struct PageFrameTableTests {
    @Test("handles stay valid while the table grows across chunks; each frame has its own state and bytes")
    func handlesSurviveGrowth() {
        let table = PageFrameTable()
        defer { withExtendedLifetime(table) {} }  // handles do not keep their table alive
        let count = 3 * PageFrameTable.framesPerChunk + 5
        var pages: [Page] = []
        for frame in 0..<count {
            let page = table.addFrame()
            #expect(page.frame == frame)
            #expect(page.index == -1 && page.flags.isEmpty && page.residency == .free)
            // Written as soon as it exists: later growth must not move or clobber it.
            page.index = 1000 + frame
            page.withUnsafeMutableBytes { bytes in
                bytes[0] = UInt8(truncatingIfNeeded: frame)
                bytes[Page.size - 1] = UInt8(truncatingIfNeeded: frame &* 7)
            }
            pages.append(page)
        }
        #expect(table.count == count)
        for (frame, page) in pages.enumerated() {
            #expect(page.index == 1000 + frame)
            let (first, last) = page.withUnsafeBytes { ($0[0], $0[Page.size - 1]) }
            #expect(first == UInt8(truncatingIfNeeded: frame))
            #expect(last == UInt8(truncatingIfNeeded: frame &* 7))
        }
        // Handles compare by frame; a copy is the same frame and writes through.
        let copy = pages[70]
        copy.isLocked = true
        #expect(pages[70].isLocked)
        #expect(pages[70] == copy && pages[70] != pages[71])
        // Every frame has its own wait queue.
        #expect(pages[0].queue !== pages[1].queue)
        #expect(pages[0].queue === pages[0].queue)
    }

    @Test("a new frame's bytes are zero; zero(from:) clears only the tail")
    func freshFramesAreZeroed() {
        let table = PageFrameTable()
        defer { withExtendedLifetime(table) {} }
        let page = table.addFrame()
        #expect(page.withUnsafeBytes { $0.allSatisfy { $0 == 0 } })
        page.withUnsafeMutableBytes { _ = $0.initializeMemory(as: UInt8.self, repeating: 0xEE) }
        page.zero(from: 100)
        #expect(page.withUnsafeBytes { Array($0[0..<100]) } == [UInt8](repeating: 0xEE, count: 100))
        #expect(page.withUnsafeBytes { $0[100...].allSatisfy { $0 == 0 } })
    }
}
