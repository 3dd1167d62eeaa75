/// Why a page-cache operation failed. Each case names the negative errno the kernel used.
public enum PageCacheError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The index is already cached (`add_to_page_cache_locked`'s -EEXIST).
    case exists(index: Int)
    /// The page is still not uptodate after a synchronous `readpage` that reported no error
    /// (`do_generic_file_read`'s -EIO).
    case io(index: Int)
    /// `add_to_page_cache_locked` on a page that is not locked (a kernel BUG_ON): -EINVAL here.
    case notLocked(index: Int)
    /// Inserting a page that is already cached or free, or already locked where it must not be
    /// (a page not handed out by readahead or a reader's allocation): -EINVAL.
    case notInsertable(index: Int)
    /// The page stayed locked longer than ``PageCache/lockTimeout`` (its I/O never completed).
    case lockTimedOut(index: Int)

    /// The negative errno the kernel used in the same place.
    public var errno: Int32 {
        switch self {
        case .exists: return -17  // EEXIST
        case .io: return -5  // EIO
        case .notLocked, .notInsertable: return -22  // EINVAL
        case .lockTimedOut: return -110  // ETIMEDOUT
        }
    }

    public var description: String {
        switch self {
        case let .exists(index): return "page[\(index)] is already in the page cache (-EEXIST)"
        case let .io(index): return "page[\(index)] is not uptodate after readpage (-EIO)"
        case let .notLocked(index): return "page[\(index)] must be locked before add_to_page_cache_locked"
        case let .notInsertable(index): return "page[\(index)] was not allocated for insertion"
        case let .lockTimedOut(index): return "page[\(index)] stayed locked: its read never completed"
        }
    }
}
