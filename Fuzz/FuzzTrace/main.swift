import Foundation
import FuzzDriver
import TraceRender

/// The trace loader (`--replay`, and what a trace diff reads): any bytes as a JSON trace
/// document. One that loads writes itself back and loads again to the same document.
FuzzDriver.main([
    FuzzTarget("trace", "TraceDocument(decoding:): a JSON trace file") { input in
        let document: TraceDocument
        do throws(TraceDocumentError) {
            document = try TraceDocument(decoding: Data(input))
        } catch {
            _ = error.description
            return
        }
        let once = document.encoded()
        do {
            let again = try TraceDocument(decoding: Data(once))
            FuzzCheck.require(again == document, "a loaded trace does not read back as itself")
            FuzzCheck.require(again.encoded() == once, "a loaded trace's encoding is not a fixpoint")
        } catch {
            FuzzCheck.fail("a loaded trace writes a document it cannot load: \(error)")
        }
    },
])
