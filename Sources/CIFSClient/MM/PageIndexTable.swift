/// The page cache's index from file page index to page: the model's radix tree, as an
/// open-addressing hash table.
///
/// A `Dictionary<Int, Page>` hashes every key with SipHash, which cost a twentieth of a 256 MiB
/// `get`; page indices need no protection against chosen keys (they come from the file offset
/// the reader asks for, and the table is per file), so a multiplicative hash with linear probing
/// serves. Removal shifts the following entries back, so there are no tombstones.
/// Guarded by the runtime lock, like the rest of ``PageCache``.
struct PageIndexTable {
    /// Slots at the start; doubled whenever the table gets half full.
    static let initialSlots = 64

    /// A key beside its page: a probe reads one slot (24 bytes), not two arrays.
    private struct Slot {
        var key: Int
        var page: Page?
    }

    private var slots: [Slot]
    private var mask: Int
    private var shift: Int
    /// Entries in the table.
    private(set) var count = 0

    init() {
        slots = Array(repeating: Slot(key: 0, page: nil), count: PageIndexTable.initialSlots)
        mask = PageIndexTable.initialSlots - 1
        shift = 64 - PageIndexTable.initialSlots.trailingZeroBitCount
    }

    /// Fibonacci hashing: the top bits of the index times 2^64 / φ.
    @inline(__always)
    private func home(_ index: Int) -> Int {
        Int(truncatingIfNeeded: (UInt64(bitPattern: Int64(index)) &* 0x9E37_79B9_7F4A_7C15) >> UInt64(shift))
    }

    /// The slot holding `index`, or `nil`.
    @inline(__always)
    private func slot(of index: Int) -> Int? {
        var slot = home(index)
        while slots[slot].page != nil {
            if slots[slot].key == index { return slot }
            slot = (slot + 1) & mask
        }
        return nil
    }

    subscript(index: Int) -> Page? {
        get { slot(of: index).flatMap { slots[$0].page } }
        set {
            if let page = newValue { insert(page, at: index) } else { remove(index) }
        }
    }

    private mutating func insert(_ page: Page, at index: Int) {
        if let existing = slot(of: index) {
            slots[existing].page = page
            return
        }
        if (count + 1) * 2 > slots.count { grow() }
        var slot = home(index)
        while slots[slot].page != nil { slot = (slot + 1) & mask }
        slots[slot] = Slot(key: index, page: page)
        count += 1
    }

    private mutating func remove(_ index: Int) {
        guard var hole = slot(of: index) else { return }
        slots[hole].page = nil
        count -= 1
        // Move back any entry of the run after the hole that would no longer be found.
        var slot = (hole + 1) & mask
        while slots[slot].page != nil {
            let wanted = home(slots[slot].key)
            // Whether `wanted` lies cyclically in (hole, slot]: then the entry stays.
            let stays = hole <= slot ? (hole < wanted && wanted <= slot) : (hole < wanted || wanted <= slot)
            if !stays {
                slots[hole] = slots[slot]
                slots[slot].page = nil
                hole = slot
            }
            slot = (slot + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots.compactMap { slot in slot.page.map { (slot.key, $0) } }
        let size = slots.count * 2
        slots = Array(repeating: Slot(key: 0, page: nil), count: size)
        mask = size - 1
        shift = 64 - size.trailingZeroBitCount
        count = 0
        for (key, page) in old { insert(page, at: key) }
    }

    /// Every index in the table, in no particular order.
    var keysInTable: [Int] {
        slots.compactMap { $0.page == nil ? nil : $0.key }
    }

    /// Every page in the table, in no particular order.
    var pagesInTable: [Page] {
        slots.compactMap { $0.page }
    }
}
