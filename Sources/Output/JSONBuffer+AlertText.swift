import Detector
import Sniffer

// An alert's sentence written straight into the open JSON string of its `message` member: the
// pieces `AlertText` hands over are escaped as they come (escaping valid UTF-8 piece by piece
// gives the bytes escaping the joined sentence would), so no `String` is made for it.

extension JSONBuffer: AlertTextSink {
    /// The sentence's own words have nothing to escape (checked in debug builds and by the tests
    /// that parse every alert): they are copied as they are.
    public mutating func appendWords(_ words: StaticString) {
        assert(words.description.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x7f && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") })
        appendStatic(words)
    }

    public mutating func appendText(_ text: String) { utf8Contents(text.utf8.span) }

    public mutating func appendAddress(_ address: IPAddress) { ipAddress(address, quoted: false) }

    /// `a.b.c.d:port`, or `[v6]:port`, as `Endpoint.description`.
    public mutating func appendEndpoint(_ endpoint: Endpoint) {
        let v6 = !endpoint.address.isIPv4
        if v6 { appendByte(UInt8(ascii: "[")) }
        ipAddress(endpoint.address, quoted: false)
        if v6 { appendByte(UInt8(ascii: "]")) }
        appendByte(UInt8(ascii: ":"))
        uint64(UInt64(endpoint.port))
    }

    /// `"message":"…"`: the alert's sentence.
    mutating func message(_ finding: Finding, report: SessionReport, indicators: IndicatorSet) {
        key("message")
        appendByte(UInt8(ascii: "\""))
        AlertText.write(finding, in: report, indicators: indicators, into: &self)
        appendByte(UInt8(ascii: "\""))
    }
}
