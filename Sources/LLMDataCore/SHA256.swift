import CCrypto
import Foundation

/// Incremental SHA-256 (OpenSSL's libcrypto).
public final class SHA256 {
    let ctx: OpaquePointer

    public init() {
        ctx = EVP_MD_CTX_new()
        EVP_DigestInit_ex(ctx, EVP_sha256(), nil)
    }

    deinit { EVP_MD_CTX_free(ctx) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count > 0 { EVP_DigestUpdate(ctx, bytes.baseAddress, bytes.count) }
    }

    public func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// Lower-case hex digest.
    public func hexDigest() -> String {
        var out = [UInt8](repeating: 0, count: 32)
        var len: UInt32 = 0
        EVP_DigestFinal_ex(ctx, &out, &len)
        return out.map { String(format: "%02x", $0) }.joined()
    }

    public static func hex(of bytes: [UInt8]) -> String {
        let h = SHA256()
        h.update(bytes)
        return h.hexDigest()
    }

    public static func hex(ofFile path: String) throws -> String {
        let h = SHA256()
        guard let f = fopen(path, "rb") else { throw LLMDataError("\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { fclose(f) }
        var buf = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = buf.withUnsafeMutableBytes { fread($0.baseAddress, 1, $0.count, f) }
            if n == 0 { break }
            buf.withUnsafeBytes { h.update(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
        return h.hexDigest()
    }
}
