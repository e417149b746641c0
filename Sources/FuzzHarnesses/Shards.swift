import Foundation
import LLMDataCore
import LLMDataShards

/// The token shard reader (LLMDataShards/ShardReader.swift): `manifest.json`, the shard index
/// (`ShardIndex` layout checks), zstd frames, record ids; `verify`, `document(_:)`, ids and both
/// exports, as `llmdata shards verify|decode|export` run them.
///
/// Input: byte 0, then length-prefixed sections (`[u32 LE length][bytes]`): manifest.json,
/// shard-00000.idx, shard-00000.tok.zst, shard-00000.ids (a missing section: no such file).
///   bit 0 of byte 0: after decoding the manifest, set shard 0's sizes and SHA-256s to those of
///   the files (the fuzzer cannot forge a hash: without this every path past the checksum
///   checks would be out of reach). The manifest's file names are always set to the canonical
///   ones (`shard-NNNNN.*`), so a fuzzed name cannot point outside the directory.
enum ShardsHarness {
    static func run(_ input: [UInt8]) {
        guard let flags = input.first else { return }
        var sections = Sections(input.dropFirst())
        let dirName = "shards"
        Scratch.remove(dirName)
        Scratch.remove("export")
        let dir = Scratch.path(dirName)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let manifestBytes = sections.next() ?? []
        let files: [(name: String, bytes: ArraySlice<UInt8>?)] = [
            ("shard-00000.idx", sections.next()), ("shard-00000.tok.zst", sections.next()), ("shard-00000.ids", sections.next()),
        ]
        for f in files { if let b = f.bytes { Scratch.write("\(dirName)/\(f.name)", b) } }
        var manifestOut = Array(manifestBytes)
        if var m = try? JSONDecoder().decode(Manifest.self, from: Data(manifestBytes)) {
            for i in m.shards.indices {
                let stem = String(format: "shard-%05d", i)
                m.shards[i].file = stem + ".tok.zst"
                m.shards[i].index = stem + ".idx"
                if m.shards[i].ids != nil { m.shards[i].ids = stem + ".ids" }
            }
            if flags & 1 != 0, !m.shards.isEmpty {
                func sha(_ b: ArraySlice<UInt8>?) -> String { SHA256.hex(of: Array(b ?? [])) }
                m.shards[0].index_sha256 = sha(files[0].bytes)
                m.shards[0].sha256 = sha(files[1].bytes)
                m.shards[0].bytes = files[1].bytes?.count ?? 0
                if m.shards[0].ids != nil { m.shards[0].ids_sha256 = sha(files[2].bytes) }
            }
            if let d = try? m.encoded() { manifestOut = Array(d) }
        }
        Scratch.write("\(dirName)/manifest.json", manifestOut)

        guard let reader = try? ShardReader(dir: dir) else { return }
        let m = reader.manifest
        _ = reader.verify()
        for n in [0, 1, 2, m.documents - 1, m.documents, -1] {
            _ = try? reader.document(n)
            _ = try? reader.id(ofDocument: n)
        }
        _ = try? reader.document(withID: "a")
        if !m.shards.isEmpty, let idx = try? reader.index(shard: 0) {
            _ = idx.documents
            for f in 0..<min(idx.frames.count, 4) { _ = try? reader.frameTokens(shard: 0, frame: f) }
        }
        _ = try? reader.exportMegatron(prefix: Scratch.path("export/megatron"))
        _ = try? reader.exportDatatrove(outDir: Scratch.path("export/datatrove"), overwrite: true)
    }
}
