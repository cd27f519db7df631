import OpenSSLBridge
import Testing

@Suite struct DigestTests {
    private static let abc = Array("abc".utf8)

    @Test func sha256MatchesTheFIPSVectors() {
        let hasher = SHA256Hasher()
        let empty: [UInt8] = []
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        // The same context, reused, for each.
        #expect(hasher.hash(Self.abc.span).description == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hasher.hash(empty.span).description == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hasher.hash(long.span).description == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hasher.hash(Self.abc.span) == SHA256Hasher.hash(Self.abc.span))
    }

    @Test func sha256BytesAreTheWordsInOrder() {
        let digest = SHA256Hasher.hash(Self.abc.span)
        #expect(digest.bytes.count == 32)
        #expect(Array(digest.bytes.prefix(4)) == [0xba, 0x78, 0x16, 0xbf])
        #expect(digest.words.0 == 0xba78_16bf_8f01_cfea)
        let hex: String = digest.bytes.map { (byte: UInt8) -> String in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }.joined()
        #expect(hex == digest.description)
    }

    @Test func sha1MatchesTheFIPSVector() {
        #expect(SHA1.hex(Self.abc.span) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.digest(Self.abc.span).count == 20)
    }
}
