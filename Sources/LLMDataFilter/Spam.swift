/// `spam`: our rules for what scraping leaves in web text (docs/filters.md):
/// link density, runs of one repeated character, blocklisted phrases (English and Chinese),
/// navigation-bar and forum-chrome lines, and numbered code-listing lines ("  3. foo").
/// With `rewriteLines`, navigation lines are removed and code listings lose their numbers instead
/// of counting against the document.
enum Spam {
    // MARK: Blocklist

    /// Gambling, porn and advertising phrases. English phrases match at a word start, ASCII
    /// case-insensitively; Chinese phrases match anywhere.
    static let defaultBlocklist: [String] = [
        // gambling
        "online casino", "casino bonus", "free spins", "sports betting", "betting odds", "online betting", "slot machine",
        "博彩", "赌场", "百家乐", "六合彩", "时时彩", "娱乐城", "真人娱乐", "老虎机", "赌博网站", "网上赌", "棋牌游戏", "彩票平台", "澳门赌",
        // porn
        "porn", "xxx video", "sex video", "sex cam", "live cams", "nude girls", "escort service", "adult dating", "hot singles",
        "色情", "成人视频", "成人影片", "成人网站", "裸聊", "约炮", "一夜情", "黄色网站", "av女优",
        // advertising and scams
        "viagra", "cialis", "payday loan", "buy followers", "replica watches", "weight loss pills", "work from home and earn",
        "click here to buy", "limited time offer", "casino", "make money fast",
        "代开发票", "办证", "刷单", "加微信", "加qq", "私服", "外挂", "无抵押贷款", "网赚", "兼职日结", "代孕", "发票代开",
    ]

    struct Blocklist {
        /// All phrases, lower-cased, end to end; phrase k is flat[starts[k]..<starts[k + 1]].
        let flat: [UInt32]
        let starts: [Int]
        /// Phrase indices sorted by first character, with the range for each first character.
        let byFirst: [UInt32: Range<Int>]
        let order: [Int]
        /// Prefilters: ASCII phrases by their first two characters (matched at word starts only),
        /// other phrases by their first character.
        let asciiPairs: [Bool]
        let otherFirst: [Bool]

        init(_ list: [String]) {
            let phrases = list.map { $0.lowercased().unicodeScalars.map(\.value) }.filter { $0.count >= 2 }
            var flat: [UInt32] = [], starts: [Int] = [0]
            for p in phrases { flat += p; starts.append(flat.count) }
            let order = phrases.indices.sorted { (phrases[$0][0], $0) < (phrases[$1][0], $1) }
            var byFirst: [UInt32: Range<Int>] = [:]
            var k = 0
            while k < order.count {
                let c = phrases[order[k]][0]
                var e = k
                while e < order.count && phrases[order[e]][0] == c { e += 1 }
                byFirst[c] = k..<e
                k = e
            }
            var asciiPairs = [Bool](repeating: false, count: 128 * 128)
            var otherFirst = [Bool](repeating: false, count: 0x10000)
            for p in phrases {
                if p[0] < 0x80 {
                    if p[1] < 0x80 { asciiPairs[Int(p[0]) * 128 + Int(p[1])] = true }
                } else if p[0] < 0x10000 {
                    otherFirst[Int(p[0])] = true
                }
            }
            self.flat = flat; self.starts = starts; self.byFirst = byFirst; self.order = order
            self.asciiPairs = asciiPairs; self.otherFirst = otherFirst
        }

        @inline(__always) static func lower(_ c: UInt32) -> UInt32 { (c &- 0x41) < 26 ? c | 0x20 : c }

        /// Occurrences of any phrase (the longest at each place; a match consumes its characters).
        func hits(_ t: UnsafeBufferPointer<UInt32>) -> Int {
            asciiPairs.withUnsafeBufferPointer { ap in
                otherFirst.withUnsafeBufferPointer { of in
                    flat.withUnsafeBufferPointer { fl in
                        hits(t, ap, of, fl)
                    }
                }
            }
        }

        private func hits(_ t: UnsafeBufferPointer<UInt32>, _ ap: UnsafeBufferPointer<Bool>, _ of: UnsafeBufferPointer<Bool>,
                          _ fl: UnsafeBufferPointer<UInt32>) -> Int {
            var n = 0
            var i = 0
            let count = t.count
            while i + 1 < count {
                let c = Self.lower(t[i])
                if c < 0x80 {
                    let d = Self.lower(t[i + 1])
                    if d >= 0x80 || !ap[Int(c) * 128 + Int(d)] || (i > 0 && WordSplitter.isAlnumASCII(t[i - 1])) { i += 1; continue }
                } else if c >= 0x10000 || !of[Int(c)] {
                    i += 1
                    continue
                }
                guard let range = byFirst[c] else { i += 1; continue }
                var matched = 0
                for r in range {
                    let k = order[r]
                    let a = starts[k], b = starts[k + 1]
                    let len = b - a
                    guard i + len <= count, len > matched else { continue }
                    var j = 1
                    while j < len && Self.lower(t[i + j]) == fl[a + j] { j += 1 }
                    if j == len { matched = len }
                }
                if matched > 0 { n += 1; i += matched } else { i += 1 }
            }
            return n
        }
    }

    // MARK: Navigation lines

    static let navTerms: Set<String> = [
        "首页", "登录", "登陆", "注册", "立即注册", "找回密码", "忘记密码", "搜索", "热搜", "发帖", "发新帖", "发回帖", "回帖", "回复", "收藏",
        "分享", "举报", "返回顶部", "返回列表", "返回首页", "上一篇", "下一篇", "上一页", "下一页", "关于我们", "联系我们", "版权所有",
        "网站地图", "积分", "好友", "主题", "帖子", "粉丝", "关注", "私信", "设为首页", "加入收藏", "用户名", "密码", "自动登录",
        "快捷导航", "门户", "论坛", "导航", "菜单", "点赞", "评论", "阅读", "浏览", "查看", "扫一扫", "微信", "微博", "打印", "字号",
        "相关文章", "推荐阅读", "热门文章", "最新文章", "免责声明", "隐私政策", "广告", "发表于", "楼主", "只看该作者", "电梯直达",
        "本帖最后由", "编辑", "复制链接", "天前", "小时前", "分钟前", "标签", "分类", "来源", "作者", "责任编辑", "投稿", "订阅",
        "home", "login", "log", "in", "out", "sign", "up", "register", "search", "menu", "contact", "us", "about", "privacy",
        "policy", "terms", "of", "use", "skip", "to", "content", "main", "share", "tweet", "facebook", "twitter", "linkedin",
        "pinterest", "email", "print", "next", "previous", "prev", "back", "top", "subscribe", "newsletter", "reply", "comments",
        "comment", "tags", "categories", "category", "archives", "read", "more", "posted", "by", "on", "views", "likes",
        "»", "«", "›", "‹", "→", "←",
    ]

    /// Keys of the navigation terms (ASCII letters lower-cased), with a bitmap prefilter.
    static let navKeys: Set<UInt64> = Set(navTerms.map { navKey($0.lowercased().unicodeScalars.map(\.value)[...]) })
    static let navFilter: [Bool] = {
        var f = [Bool](repeating: false, count: 4096)
        for k in navKeys { f[Int(k & 4095)] = true }
        return f
    }()

    @inline(__always) static func navKey<C: Collection>(_ s: C) -> UInt64 where C.Element == UInt32 {
        var h: UInt64 = 0
        var n = 0
        for c in s { h = PolyHash.step(h, (c &- 0x41) < 26 ? c | 0x20 : c); n += 1 }
        return PolyHash.key(h, length: n)
    }

    static let separators: Set<UInt32> = Set("|｜·•»«›‹>/,，、:：-–—()（）[]【】".unicodeScalars.map(\.value))

    @inline(__always) static func isSeparator(_ c: UInt32) -> Bool {
        if c < 0x80 {
            switch c {
            case 0x7C, 0x3E, 0x2F, 0x2C, 0x3A, 0x2D, 0x28, 0x29, 0x5B, 0x5D: return true
            default: return false
            }
        }
        return separators.contains(c)
    }

    enum LineKind { case blank, nav, number, codeListing(number: Int, prefixEnd: Int, code: Bool), text }

    static func classify(_ a: Analysis, _ s: Int, _ e: Int) -> LineKind {
        let t = a.text
        let (ls, le) = a.stripped(s, e)
        if ls == le { return .blank }
        // a number alone (forum counters such as "226" next to "积分")
        if le - ls <= 8 && (ls..<le).allSatisfy({ (t[$0] &- 0x30) < 10 }) { return .number }
        // "  3. foo": a code-listing line if numbered
        var d = ls
        while d < le && (t[d] &- 0x30) < 10 && d - ls < 4 { d += 1 }
        if d > ls && d < le && t[d] == 0x2E && (d + 1 == le || t[d + 1] == 0x20 || t[d + 1] == 0x09) {
            var n = 0
            for k in ls..<d { n = n * 10 + Int(t[k] - 0x30) }
            var p = d + 1
            while p < le && (t[p] == 0x20 || t[p] == 0x09) { p += 1 }
            return .codeListing(number: n, prefixEnd: p, code: looksLikeCode(t, p, le))
        }
        guard le - ls <= 60 else { return .text }
        // split into tokens at spaces and separators; numbers don't count
        var tokens = 0, nav = 0
        var i = ls
        var firstIsLabel = false
        while i < le {
            while i < le && (a.isSpace(i) || isSeparator(t[i])) { i += 1 }
            let w = i
            while i < le && !(a.isSpace(i) || isSeparator(t[i])) { i += 1 }
            guard i > w else { continue }
            if (w..<i).allSatisfy({ (t[$0] &- 0x30) < 10 }) { continue }
            tokens += 1
            let key = navKey(UnsafeBufferPointer(rebasing: t[w..<i]))
            if navFilter[Int(key & 4095)] && navKeys.contains(key) {
                nav += 1
                // "热搜: Java Python", "Tags: a, b": a navigation label heads the line
                if tokens == 1 && i < le && (t[i] == 0x3A || t[i] == 0xFF1A) { firstIsLabel = true }
            }
        }
        if tokens == 0 { return .text }
        if firstIsLabel || 3 * nav >= 2 * tokens { return .nav }
        return .text
    }

    static let codeKeywords: [[UInt32]] = ["import ", "from ", "def ", "class ", "return", "for ", "if ", "else", "while ", "print",
                                           "#include", "public ", "private ", "var ", "let ", "const ", "function", "}", "{", "//", "#"]
        .map { $0.unicodeScalars.map(\.value) }

    static func looksLikeCode(_ t: UnsafeBufferPointer<UInt32>, _ s: Int, _ e: Int) -> Bool {
        for k in s..<e {
            switch t[k] {
            case 0x28, 0x29, 0x7B, 0x7D, 0x3D, 0x3B, 0x5F, 0x5B, 0x5D: return true
            default: continue
            }
        }
        return codeKeywords.contains { kw in e - s >= kw.count && WordSplitter.equals(t, s, s + kw.count, kw) }
    }

    // MARK: Links

    /// Characters inside URLs and e-mail addresses, and how many there are.
    static func links(_ a: Analysis) -> (chars: Int, count: Int) {
        let t = a.text
        let n = a.count
        var chars = 0, count = 0
        var i = 0
        @inline(__always) func urlChar(_ c: UInt32) -> Bool {
            c > 0x20 && c < 0x7F && c != 0x22 && c != 0x3C && c != 0x3E && c != 0x60
        }
        while i < n {
            let c = t[i]
            if (c == 0x68 || c == 0x77) && (i == 0 || !urlChar(t[i - 1]) || t[i - 1] == 0x28) {
                let isURL = WordSplitter.urlPrefixes.contains { p in i + p.count <= n && WordSplitter.equals(t, i, i + p.count, p) }
                if isURL {
                    var e = i
                    while e < n && urlChar(t[e]) { e += 1 }
                    chars += e - i
                    count += 1
                    i = e
                    continue
                }
            } else if c == 0x40 && i > 0 && i + 1 < n {
                // local@domain.tld
                var l = i
                while l > 0 && (WordSplitter.isAlnumASCII(t[l - 1]) || t[l - 1] == 0x2E || t[l - 1] == 0x5F || t[l - 1] == 0x2D || t[l - 1] == 0x2B) { l -= 1 }
                var r = i + 1
                var dot = false
                while r < n && (WordSplitter.isAlnumASCII(t[r]) || t[r] == 0x2E || t[r] == 0x2D) { if t[r] == 0x2E { dot = true }; r += 1 }
                while r > i + 1 && t[r - 1] == 0x2E { r -= 1 }
                if l < i && dot && r > i + 3 {
                    chars += r - l
                    count += 1
                    i = r
                    continue
                }
            }
            i += 1
        }
        return (chars, count)
    }

    /// Layout characters whose runs are rules, underlines and dot leaders, not spam.
    @inline(__always) static func isLayout(_ c: UInt32) -> Bool {
        switch c {
        case 0x2D, 0x3D, 0x5F, 0x2A, 0x7E, 0x23, 0x2E, 0x2B, 0x60, 0x5E, 0x2F, 0x5C, 0x7C, 0x3C, 0x3E, 0x2500...0x259F, 0x2014, 0x2015, 0x2026, 0x00B7, 0x30FB:
            return true
        default:
            return false
        }
    }

    /// Characters in runs of at least `minRun` of one character that is neither space nor layout
    /// (`!!!!!!`, `哈哈哈哈哈`, `aaaaaa`, `$$$$$`; not `=====` or `.......`).
    static func repeatedChars(_ a: Analysis, minRun: Int) -> Int {
        let t = a.text
        let n = a.count
        var total = 0
        var i = 0
        while i < n {
            let c = t[i]
            var e = i + 1
            while e < n && t[e] == c { e += 1 }
            if e - i >= minRun && !a.isSpace(i) && !isLayout(c) { total += e - i }
            i = e
        }
        return total
    }

    static func evaluate(_ a: Analysis, _ o: SpamOptions, _ blocklist: Blocklist, _ e: inout Eval, rewritten: inout [UInt32]?) {
        let n = a.count
        let (linkChars, linkCount) = links(a)
        e.signal("link_char_ratio", ratio(linkChars, n))
        if e.fail(o.maxLinkCharRatio > 0 && ratio(linkChars, n) > o.maxLinkCharRatio, "link_char_ratio") { return }
        e.signal("links_per_word", ratio(linkCount, a.wordCount))
        if e.fail(o.maxLinksPerWord > 0 && ratio(linkCount, a.wordCount) > o.maxLinksPerWord, "links_per_word") { return }
        let rep = ratio(repeatedChars(a, minRun: max(o.repeatRunLength, 2)), n)
        e.signal("repeated_char_ratio", rep)
        if e.fail(o.maxRepeatedCharRatio > 0 && rep > o.maxRepeatedCharRatio, "repeated_chars") { return }
        let hits = blocklist.hits(a.text)
        e.signal("blocklist_hits", hits)
        if e.fail(o.maxBlocklistHits >= 0 && hits > o.maxBlocklistHits, "blocklist") { return }

        // lines: classify, then let numbers next to navigation count as navigation, and numbered
        // lines count as a code listing in runs of three or more consecutive numbers of which
        // at least half look like code
        var ranges: [(Int, Int)] = []
        var kinds: [LineKind] = []
        a.forEachLine { s, end in ranges.append((s, end)); kinds.append(classify(a, s, end)) }
        var isNav = [Bool](repeating: false, count: kinds.count)
        var isListing = [Bool](repeating: false, count: kinds.count)
        var nonBlank = 0
        for (k, kind) in kinds.enumerated() {
            switch kind {
            case .blank: continue
            case .nav: isNav[k] = true
            default: break
            }
            nonBlank += 1
        }
        func neighbourIsNav(_ k: Int, _ step: Int) -> Bool {
            var j = k + step
            while j >= 0 && j < kinds.count {
                if case .blank = kinds[j] { j += step; continue }
                if case .number = kinds[j] { j += step; continue }
                return isNav[j]
            }
            return false
        }
        for (k, kind) in kinds.enumerated() {
            if case .number = kind, neighbourIsNav(k, -1) || neighbourIsNav(k, 1) { isNav[k] = true }
        }
        var k = 0
        while k < kinds.count {
            guard case let .codeListing(first, _, _) = kinds[k] else { k += 1; continue }
            var end = k + 1, expect = first + 1, codeLines = 0
            if case let .codeListing(_, _, code) = kinds[k], code { codeLines += 1 }
            while end < kinds.count, case let .codeListing(num, _, code) = kinds[end], num == expect {
                if code { codeLines += 1 }
                expect += 1
                end += 1
            }
            if end - k >= 3 && 2 * codeLines >= end - k { for j in k..<end { isListing[j] = true } }
            k = end
        }
        let navLines = isNav.filter { $0 }.count
        let listingLines = isListing.filter { $0 }.count
        e.signal("nav_line_ratio", ratio(navLines, nonBlank))
        e.signal("code_listing_ratio", ratio(listingLines, nonBlank))
        if o.rewriteLines {
            if navLines == 0 && listingLines == 0 { return }
            let t = a.text
            var out: [UInt32] = []
            out.reserveCapacity(n)
            var emitted = false
            for (j, (s, end)) in ranges.enumerated() {
                if isNav[j] { continue }
                if emitted { out.append(0x0A) }
                emitted = true
                if isListing[j], case let .codeListing(_, prefixEnd, _) = kinds[j] {
                    out.append(contentsOf: t[prefixEnd..<end])
                } else {
                    out.append(contentsOf: t[s..<end])
                }
            }
            var lo = 0, hi = out.count
            while lo < hi && CharTable.flags(out[lo]) & CharTable.space != 0 { lo += 1 }
            while hi > lo && CharTable.flags(out[hi - 1]) & CharTable.space != 0 { hi -= 1 }
            if e.fail(lo == hi, "empty_after_cleaning") { return }
            rewritten = Array(out[lo..<hi])
            return
        }
        if e.fail(o.maxNavLineRatio > 0 && ratio(navLines, nonBlank) > o.maxNavLineRatio, "nav_lines") { return }
        if e.fail(o.maxCodeListingRatio > 0 && ratio(listingLines, nonBlank) > o.maxCodeListingRatio, "code_listing") { return }
    }
}
