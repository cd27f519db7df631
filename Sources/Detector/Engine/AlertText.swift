import Sniffer

/// The one-line, plain-words sentence an alert carries (`message`), for people reading a journal.
///
/// The sentence is composed once, as pieces handed to a sink: `message` gathers them into a
/// `String`; the JSON writer puts them straight into its line, escaped, without a string made.
public enum AlertText {
    public static func message(_ finding: Finding, in report: SessionReport, indicators: IndicatorSet) -> String {
        var sentence = StringSink()
        write(finding, in: report, indicators: indicators, into: &sentence)
        return sentence.text
    }

    /// The sentence, piece by piece, into `sink`.
    @inlinable
    public static func write<Sink: AlertTextSink>(_ finding: Finding, in report: SessionReport, indicators: IndicatorSet,
                                                  into sink: inout Sink) {
        let session = report.session
        if report.observation == .probe { sink.appendWords("A probe through this gateway was shown the chain: ") }
        // The place: "<server name or address> (<address:port>)".
        if let name = session.serverName { sink.appendText(name) } else { sink.appendAddress(session.server.address) }
        sink.appendWords(" (")
        sink.appendEndpoint(session.server)
        sink.appendWords(")")
        switch finding.rule {
        case .knownInterceptionCA, .governmentCA:
            guard let index = finding.indicator else {
                sink.appendWords(": ")
                sink.appendText(finding.rule.name)
                return
            }
            let indicator = indicators.indicators[index]
            switch finding.matchType {
            case .issuerName, .issuerKeyID: sink.appendWords(" was served a certificate issued by ")
            default: sink.appendWords(" was served a chain containing ")
            }
            sink.appendText(indicator.name)
            if let country = indicator.country {
                sink.appendWords(" (")
                sink.appendText(country)
                if let years = indicator.years {
                    sink.appendWords(", ")
                    sink.appendText(years)
                }
                sink.appendWords(")")
            }
            if finding.rule == .knownInterceptionCA {
                sink.appendWords(", a known interception CA — traffic to this site is being decrypted")
            } else {
                sink.appendWords(", a state CA that is also used legitimately — check whether this site should use it")
            }
            switch finding.signatureVerified {
            case true?: sink.appendWords(" (signature verified with the CA's key)")
            case false?: sink.appendWords(" (the issuer name matches but the signature does not verify with the known key)")
            case nil: break
            }
        case .interceptionShape:
            sink.appendWords(" was served a leaf that looks minted on the fly by an interception box (")
            appendReasons(finding, into: &sink)
            sink.appendWords(")")
        case .untrustedChain:
            sink.appendWords(" presented a chain that does not validate to the trust store (")
            appendReasons(finding, into: &sink)
            sink.appendWords(") — possible interception")
        case .pinMismatch:
            sink.appendWords(" presented a chain without any of the CA keys pinned for this name — possible interception")
        case .missingSCT:
            sink.appendWords(" presented a publicly trusted certificate without Certificate Transparency proof")
        case .malformedChain:
            sink.appendWords(" sent a malformed certificate chain (")
            appendReasons(finding, into: &sink)
            sink.appendWords(") — not judged as interception")
        case .issuerChange:
            sink.appendWords(" was served a chain from an issuing CA it has not been served by before (")
            if let detail = finding.detail { sink.appendText(detail) }
            sink.appendWords(finding.severity == .high ? ") — likely interception" : ") — a CA migration, or interception")
        case .tlsDowngrade:
            sink.appendWords(" negotiated less than it always has when offered the same (")
            if let detail = finding.detail { sink.appendText(detail) }
            sink.appendWords(") — the trace of a TLS 1.3 interception box")
        case .serverProfileChange:
            sink.appendWords(" answered the same offer with another ServerHello (")
            if let detail = finding.detail { sink.appendText(detail) }
            sink.appendWords(")")
        }
    }

    /// The finding's reason codes, joined by ", ".
    @inlinable
    static func appendReasons<Sink: AlertTextSink>(_ finding: Finding, into sink: inout Sink) {
        for (index, reason) in finding.reasons.enumerated() {
            if index > 0 { sink.appendWords(", ") }
            sink.appendText(reason)
        }
    }
}

/// Where `AlertText` puts its pieces.
public protocol AlertTextSink {
    /// The sentence's own words (compile-time text).
    mutating func appendWords(_ words: StaticString)
    /// Words from the session, the indicator or the evidence.
    mutating func appendText(_ text: String)
    /// An address as `IPAddress.description` writes it.
    mutating func appendAddress(_ address: IPAddress)
    /// An endpoint as `Endpoint.description` writes it.
    mutating func appendEndpoint(_ endpoint: Endpoint)
}

/// The sentence as a `String`.
public struct StringSink: AlertTextSink {
    public var text = ""

    public init() {}

    public mutating func appendWords(_ words: StaticString) { text += words.description }
    public mutating func appendText(_ text: String) { self.text += text }
    public mutating func appendAddress(_ address: IPAddress) { text += address.description }
    public mutating func appendEndpoint(_ endpoint: Endpoint) { text += endpoint.description }
}
