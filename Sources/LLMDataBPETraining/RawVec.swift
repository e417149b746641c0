import Foundation

/// A growable array of trivial values kept in one `realloc`ed block. Large blocks grow in place
/// or by remapping pages (glibc `mremap`), so growth does not briefly hold the old and the new
/// copy as Swift arrays do: the trainer's peak memory stays close to what it holds.
final class RawVec<T> {
    private(set) var base: UnsafeMutablePointer<T>
    private(set) var count = 0
    private(set) var capacity: Int

    init(capacity: Int = 16) {
        precondition(_isPOD(T.self))
        self.capacity = max(16, capacity)
        base = RawVec.allocate(self.capacity)
    }

    deinit { free(base) }

    private static func allocate(_ n: Int) -> UnsafeMutablePointer<T> {
        guard let p = malloc(n * MemoryLayout<T>.stride) else { fatalError("out of memory") }
        return p.assumingMemoryBound(to: T.self)
    }

    func reserve(_ n: Int) {
        if n <= capacity { return }
        var c = capacity
        while c < n { c += c / 2 + 16 }
        guard let p = realloc(base, c * MemoryLayout<T>.stride) else { fatalError("out of memory") }
        base = p.assumingMemoryBound(to: T.self)
        capacity = c
    }

    @inline(__always) subscript(i: Int) -> T {
        get { base[i] }
        set { base[i] = newValue }
    }

    @inline(__always) func append(_ v: T) {
        if count == capacity { reserve(count + 1) }
        base[count] = v
        count += 1
    }

    /// Appends `n` copies of `v`.
    func append(repeating v: T, count n: Int) {
        reserve(count + n)
        (base + count).initialize(repeating: v, count: n)
        count += n
    }

    func removeLast() -> T {
        count -= 1
        return base[count]
    }

    func truncate(to n: Int) { count = min(count, n) }

    /// Counts `n` more elements, already written past `count` (after `reserve`).
    @inline(__always) func advance(by n: Int) { count += n }

    /// Frees the storage; the vector is empty afterwards.
    func release() {
        free(base)
        capacity = 16
        base = RawVec.allocate(capacity)
        count = 0
    }

    /// Gives back the memory above `count + count / 8` (large blocks shrink in place).
    func shrinkToFit() {
        let c = max(16, count + count / 8)
        if c >= capacity { return }
        guard let p = realloc(base, c * MemoryLayout<T>.stride) else { return }
        base = p.assumingMemoryBound(to: T.self)
        capacity = c
    }

    /// Exchanges the storage of two vectors.
    func swapContents(with other: RawVec<T>) {
        swap(&base, &other.base)
        swap(&count, &other.count)
        swap(&capacity, &other.capacity)
    }

    /// Moves `n` elements from `from` to `to` (ranges may overlap).
    func move(from: Int, to: Int, count n: Int) {
        if n > 0 && from != to { memmove(base + to, base + from, n * MemoryLayout<T>.stride) }
    }
}
