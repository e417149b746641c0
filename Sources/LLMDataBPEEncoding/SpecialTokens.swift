/// Token strings to find in text: a table of the bytes they start with and one of their first two
/// bytes (most positions cost one load, most `<` in HTML two), then a walk down a trie of the
/// tokens that keeps the longest one passed (Llama 3's 256 special tokens all start with `<|`: a
/// `<|` that starts none of them costs a few steps, not 256 comparisons).
struct TokenMatcher {
    let first: [Bool]
    /// Bit (b0 << 8 | b1) set when a token starts with b0 b1 (or is b0 alone).
    let pairs: [UInt64]
    /// Trie nodes: each node's children as (byte, node) sorted by byte, and the id of the token
    /// that ends there (or nil). Node 0 is the root.
    let children: [[(UInt8, Int32)]]
    let ends: [UInt32?]
    let isEmpty: Bool

    init(_ byContent: [String: UInt32]) {
        let tokens = byContent.map { (Array($0.key.utf8), $0.value) }.filter { !$0.0.isEmpty }
        var f = [Bool](repeating: false, count: 256)
        var p = [UInt64](repeating: 0, count: 1024)
        var children: [[(UInt8, Int32)]] = [[]]
        var ends: [UInt32?] = [nil]
        for (t, id) in tokens {
            f[Int(t[0])] = true
            let seconds = t.count > 1 ? [Int(t[1])] : Array(0..<256)
            for b in seconds {
                let k = Int(t[0]) << 8 | b
                p[k >> 6] |= 1 << UInt64(k & 63)
            }
            var node = 0
            for b in t {
                if let c = children[node].first(where: { $0.0 == b }) {
                    node = Int(c.1)
                } else {
                    children.append([])
                    ends.append(nil)
                    children[node].append((b, Int32(children.count - 1)))
                    node = children.count - 1
                }
            }
            ends[node] = id
        }
        for i in children.indices { children[i].sort { $0.0 < $1.0 } }
        first = f
        pairs = p
        self.children = children
        self.ends = ends
        isEmpty = tokens.isEmpty
    }

    /// The longest token that starts at `i`.
    func match(_ t: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Int, UInt32)? {
        if i + 1 < t.count {
            let k = Int(t[i]) << 8 | Int(t[i + 1])
            if pairs[k >> 6] & (1 << UInt64(k & 63)) == 0 { return nil }
        }
        var node = 0
        var best: (Int, UInt32)? = nil
        var j = i
        while j < t.count {
            let b = t[j]
            guard let c = children[node].first(where: { $0.0 == b }) else { break }
            node = Int(c.1)
            j += 1
            if let id = ends[node] { best = (j - i, id) }
        }
        return best
    }
}
