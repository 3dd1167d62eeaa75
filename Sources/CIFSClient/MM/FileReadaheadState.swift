/// A reader's readahead window for one open file: the model of the kernel's
/// `struct file_ra_state` (`file->f_ra`).
///
/// The current window is pages `start ..< start + size`; its last `asyncSize` pages are the
/// asynchronous part, and the page at `start + size - asyncSize` carries `PG_readahead`, so
/// reaching it starts the next window while the rest of this one is still being read.
///
/// Only the reading thread changes it (the kernel does not lock `f_ra` either); an inspector may
/// read it between steps.
public final class FileReadaheadState: @unchecked Sendable, CustomStringConvertible {
    /// The VM's default maximum window, `VM_MAX_READAHEAD` (128 KiB) in 4 KiB pages: what a
    /// file system on a block device got in 3.8. A cifs mount did not use it: see
    /// ``cifsMountPages(rsize:)``.
    public static let vmMaxReadaheadPages = 32

    /// The maximum window a 3.8 cifs mount used: `cifs_mount` set `bdi.ra_pages = rsize /
    /// PAGE_CACHE_SIZE`, so 15 pages with the default rsize of 61,440 bytes (no UNIX
    /// extensions). A large read's first window is then twice that, 30 pages
    /// (``PageCache/ondemandReadahead(_:operations:hitReadaheadMarker:index:requestPages:)``
    /// merges the first asynchronous window into it): two READ_ANDX in flight.
    public static func cifsMountPages(rsize: Int) -> Int {
        max(rsize, 0) / Page.size
    }

    /// First page of the current window.
    public var start = 0
    /// Pages in the current window.
    public var size = 0
    /// Pages at the end of the window read asynchronously (the `PG_readahead` page starts them).
    public var asyncSize = 0
    /// Maximum window in pages (`ra_pages`); 0 turns readahead off. `shrink_readahead_size_eio`
    /// divides it by 4 after an I/O error.
    public var raPages: Int
    /// Where the last read stopped, in bytes: page `prevPos >> 12`, offset `prevPos & 4095`;
    /// -1 before the first read (`file_ra_state_init`).
    public var prevPos: Int64 = -1

    /// Mirrors `file_ra_state_init`.
    public init(raPages: Int = FileReadaheadState.vmMaxReadaheadPages) {
        self.raPages = max(raPages, 0)
    }

    /// `ra start 4 size 8 async 8 max 32 prev_pos 4096`.
    public var description: String {
        "ra start \(start) size \(size) async \(asyncSize) max \(raPages) prev_pos \(prevPos)"
    }

    // MARK: Window sizes (pure)

    /// The first window for a read of `requestPages` pages with maximum `max`: the request
    /// rounded up to a power of two, then ×4 if that is at most max/32, ×2 if at most max/4,
    /// otherwise `max`. Mirrors `get_init_ra_size`.
    public static func initialWindowSize(requestPages: Int, max: Int) -> Int {
        let rounded = roundUpToPowerOfTwo(requestPages)
        if rounded <= max / 32 { return rounded * 4 }
        if rounded <= max / 4 { return rounded * 2 }
        return max
    }

    /// The window after one of `currentSize` pages: ×4 while below max/16, else ×2, capped at
    /// `max`. Mirrors `get_next_ra_size`.
    public static func nextWindowSize(currentSize: Int, max: Int) -> Int {
        let current = Swift.min(Swift.max(currentSize, 0), Swift.max(max, 0))
        let grown = current < max / 16 ? 4 * current : 2 * current
        return Swift.min(grown, max)
    }

    /// The kernel's `roundup_pow_of_two` (1 for 0 and 1).
    static func roundUpToPowerOfTwo(_ value: Int) -> Int {
        guard value > 1 else { return 1 }
        guard value <= 1 << 61 else { return 1 << 62 }
        return 1 << (Int.bitWidth - (value - 1).leadingZeroBitCount)
    }
}
