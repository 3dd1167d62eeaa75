import FuzzDriver
import SMBWire

/// The frame decoder as a socket reader drives it: arbitrary pieces, `next()` until nil.
///
/// Input: byte 0 picks the cap (2^(b % 25) bytes), byte 1 seeds the piece sizes, the rest is
/// the stream.
enum NBSSTarget {
    static func run(_ input: [UInt8]) {
        guard input.count >= 2 else { return }
        let cap = 1 << Int(input[0] % 25)
        var piece = UInt32(input[1]) | 1
        let stream = input.dropFirst(2)
        var decoder = NBSSDecoder(maxMessageLength: cap)
        var at = stream.startIndex
        var delivered = 0
        var failure: WireError?
        while at < stream.endIndex, failure == nil {
            piece = piece &* 1_103_515_245 &+ 12_345
            let n = min(1 + Int((piece >> 16) % 300), stream.endIndex - at)
            decoder.feed(stream[at..<(at + n)])
            at += n
            do {
                while let message = try decoder.next() {
                    FuzzCheck.require(message.count <= cap, "a \(message.count)-byte message passed the \(cap)-byte cap")
                    delivered += NBSSFrame.headerSize + message.count
                }
                FuzzCheck.require(decoder.bytesNeeded > 0, "next() returned nil but bytesNeeded is 0")
            } catch let error as WireError {
                failure = error
            } catch {
                FuzzCheck.fail("NBSSDecoder threw \(error), not a WireError")
            }
            FuzzCheck.require(delivered + decoder.bufferedByteCount <= at - stream.startIndex,
                              "more bytes delivered and buffered than fed")
        }
        if let failure {
            // Out of sync for good: every later call repeats the error, even with more bytes.
            decoder.feed([0, 0, 0, 0])
            do {
                _ = try decoder.next()
                FuzzCheck.fail("next() succeeded after \(failure)")
            } catch let error as WireError {
                FuzzCheck.require(error == failure, "a later error \(error) differs from \(failure)")
            } catch {
                FuzzCheck.fail("NBSSDecoder threw \(error), not a WireError")
            }
        }
    }
}
