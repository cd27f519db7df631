import Foundation

/// TLS sessions whose strings are hostile bytes: server names with controls, quotes, backslashes
/// and invalid UTF-8, and a chain whose names and alternative names carry the same in UTF8String,
/// BMPString, UniversalString and IA5String. The chain is made by openssl with placeholder names,
/// then the placeholders are overwritten in the DER (same lengths, so the structure stays valid;
/// the signatures no longer verify, which nothing here needs). The leaf has RSA exponent 3, so
/// `interception-shape` alerts on it.
public enum HostileCapture {
    /// Server names sent in the ClientHellos, one session each.
    public static let serverNames: [[UInt8]] = [
        Array("plain.example.com".utf8),
        [0x61, 0x00, 0x01, 0x0a, 0x0d, 0x09, 0x1b, 0x1f, 0x7f, 0x62],
        Array(#"quo"te\back\\slash""#.utf8),
        [0x61, 0xed, 0xa0, 0x80, 0x62, 0xc0, 0xaf, 0x63],
        [0xf8, 0x88, 0x80, 0x80, 0x80, 0xfc, 0x84, 0x80, 0x80, 0x80, 0x80, 0x2e, 0x63, 0x6f, 0x6d],
        [0x65, 0x78, 0xe2, 0x80, 0xa8, 0xe2, 0x80, 0xa9, 0xc3, 0xa9, 0xf0, 0x9f, 0x98, 0x80],
        [0x74, 0x72, 0x75, 0x6e, 0x63, 0xe2, 0x82],
        [0x74, 0x72, 0x75, 0x6e, 0x63, 0xf0, 0x9f, 0x98],
    ]

    static let placeholderCN1 = "CNONECNONECNONECNONE", placeholderCN2 = "CNTWOCNTWOCNTWOCNTWO"
    static let placeholderCN3 = "CNTHREECNTHREECNTHREE", placeholderSAN = "sanonesanonesanone.example"
    static let placeholderIssuer = "ISSUERISSUERISSUERIS"

    /// What each placeholder becomes: (placeholder, new string tag or nil to keep it, bytes).
    public static let patches: [(placeholder: String, tag: UInt8?, bytes: [UInt8])] = [
        // UTF8String: controls, a quote, a backslash, invalid UTF-8 (20 bytes).
        (placeholderCN1, nil, [0x22, 0x5c, 0x00, 0x0a, 0x7f, 0xed, 0xa0, 0x80, 0xc0, 0xaf, 0xf8, 0x88, 0x80, 0x80, 0x80,
                               0x2c, 0x2b, 0x3c, 0xe2, 0x82]),
        // BMPString: a lone high surrogate, a lone low one, a pair, a quote, NUL (20 bytes).
        (placeholderCN2, 0x1e, [0xd8, 0x3d, 0x00, 0x41, 0xdc, 0x00, 0xd8, 0x3d, 0xde, 0x00, 0x00, 0x22, 0x00, 0x00,
                                0x20, 0x28, 0x00, 0x5c, 0x00, 0x7f]),
        // UniversalString: a surrogate, a value above U+10FFFF, a newline, U+1F600, a trailing byte (21 bytes).
        (placeholderCN3, 0x1c, [0x00, 0x00, 0xd8, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x01,
                                0xf6, 0x00, 0x00, 0x00, 0x00, 0x22, 0xff]),
        // IA5String SAN, read as Latin-1: high bytes, controls, a quote (26 bytes).
        (placeholderSAN, nil, [0x78, 0xff, 0x80, 0x00, 0x1f, 0x22, 0x5c, 0xe9, 0x2e, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c,
                               0x65, 0xc3, 0xa9, 0x0d, 0x0a, 0x7f, 0x20, 0x23, 0x2c, 0x3b, 0x3d]),
        // The issuer's name, in the root and in the leaf's issuer field alike.
        (placeholderIssuer, nil, [0x49, 0x73, 0x73, 0x75, 0x65, 0x72, 0x22, 0x0a, 0xc3, 0x28, 0x5c, 0xff, 0xfe, 0x00,
                                  0x2b, 0x3d, 0x23, 0x20, 0xe2, 0x80]),
    ]

    /// The leaf and the root, patched.
    public static func chain(kit: OpenSSLKit) throws -> [[UInt8]] {
        try kit.key("hostile-ca")
        try kit.key("hostile-leaf", exponent: 3)
        try kit.root("hostile-ca", key: "hostile-ca", subject: "/O=Hostile Test/CN=\(placeholderIssuer)")
        try kit.issue("hostile-leaf", key: "hostile-leaf",
                      subject: "/CN=\(placeholderCN1)/CN=\(placeholderCN2)/CN=\(placeholderCN3)/O=Hostile Test",
                      issuer: "hostile-ca", issuerKey: "hostile-ca",
                      extensions: ["subjectAltName=DNS:\(placeholderSAN),DNS:ok.example,IP:192.0.2.7,IP:2001:db8::1"])
        return [try patch(kit.der("hostile-leaf")), try patch(kit.der("hostile-ca"))]
    }

    static func patch(_ der: [UInt8]) throws -> [UInt8] {
        var out = der
        for (placeholder, tag, bytes) in patches {
            let needle = Array(placeholder.utf8)
            precondition(needle.count == bytes.count, "patch of \(placeholder) changes the length")
            var index = 0
            while index + needle.count <= out.count {
                if Array(out[index..<index + needle.count]) == needle {
                    out.replaceSubrange(index..<index + needle.count, with: bytes)
                    if let tag { out[index - 2] = tag }  // the string's tag, before its one-byte length
                    index += needle.count
                } else {
                    index += 1
                }
            }
        }
        return out
    }

    /// Raw IPv4 frames of one TLS 1.2 handshake per server name (client port 50000 + index),
    /// each served `chain`.
    public static func frames(chain: [[UInt8]]) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        for (index, name) in serverNames.enumerated() {
            var script = SegmentScript()
            script.client = (0x0a00_0001, UInt16(50000 + index))
            script.handshake()
            let hello = TLSBytes.record(22, TLSBytes.clientHello(sniBytes: name))
            let server = TLSBytes.records(22, TLSBytes.serverHello() + TLSBytes.certificate(chain) + TLSBytes.serverHelloDone)
            script.segments += script.cut(hello, fromClient: true, size: 1400)
            script.segments += script.cut(server, fromClient: false, size: 1400)
            frames += script.segments.map(script.frame)
        }
        return frames
    }

    /// A classic pcap file (LINKTYPE_RAW) of the frames, one microsecond apart.
    public static func pcap(_ frames: [[UInt8]]) -> [UInt8] {
        func u32(_ value: UInt32) -> [UInt8] { [UInt8(value & 0xff), UInt8(value >> 8 & 0xff), UInt8(value >> 16 & 0xff), UInt8(value >> 24)] }
        var file = u32(0xa1b2_c3d4) + [2, 0, 4, 0] + u32(0) + u32(0) + u32(65535) + u32(101)
        for (index, frame) in frames.enumerated() {
            file += u32(1_700_000_000) + u32(UInt32(index)) + u32(UInt32(frame.count)) + u32(UInt32(frame.count)) + frame
        }
        return file
    }
}
