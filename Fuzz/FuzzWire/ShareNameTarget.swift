import FuzzDriver
import SMBWire

/// The server's share-name parser (SMBServer's SharePath.swift and ShareError.swift, compiled
/// here through symbolic links: both are self-contained, and SMBServer's types are internal).
/// A name that passes must yield components the file system reads as one name each inside the
/// share: no separator or NUL byte in any, none `.` or `..` by its bytes, none empty.
enum ShareNameTarget {
    static func run(_ input: [UInt8]) {
        // Names arrive as UTF-16LE (Unicode sessions) or OEM bytes; try the input both ways.
        check(SMBString.decodeUnicode(input))
        check(SMBString.decodeOEM(input))
    }

    static func check(_ name: String) {
        let components: [String]
        do throws(ShareError) {
            components = try SharePath.components(of: name)
        } catch {
            return
        }
        FuzzCheck.require(name.utf8.first != UInt8(ascii: "/"), "an absolute name passed: \(Array(name.unicodeScalars))")
        for component in components {
            let bytes = Array(component.utf8)
            FuzzCheck.require(!bytes.isEmpty, "an empty component from \(Array(name.unicodeScalars))")
            FuzzCheck.require(!bytes.contains { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "\\") || $0 == 0 },
                              "a separator or NUL inside component \(Array(component.unicodeScalars))")
            FuzzCheck.require(bytes != [0x2E] && bytes != [0x2E, 0x2E], "a . or .. component from \(Array(name.unicodeScalars))")
        }
    }
}
