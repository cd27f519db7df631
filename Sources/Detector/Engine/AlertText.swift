import Sniffer

/// The one-line, plain-words sentence an alert carries (`message`), for people reading a journal.
public enum AlertText {
    public static func message(_ finding: Finding, in report: SessionReport, indicators: IndicatorSet) -> String {
        let session = report.session
        let site = session.serverName ?? session.server.address.description
        let place = "\(site) (\(session.server.description))"
        switch finding.rule {
        case .knownInterceptionCA, .governmentCA:
            guard let index = finding.indicator else { return "\(place): \(finding.rule.name)" }
            let indicator = indicators.indicators[index]
            var who = indicator.name
            if let country = indicator.country { who += " (\(country)" + (indicator.years.map { ", \($0)" } ?? "") + ")" }
            let what: String
            switch finding.matchType {
            case .issuerName, .issuerKeyID:
                what = "was served a certificate issued by \(who)"
            default:
                what = "was served a chain containing \(who)"
            }
            var sentence = "\(place) \(what)"
            if finding.rule == .knownInterceptionCA {
                sentence += ", a known interception CA — traffic to this site is being decrypted"
            } else {
                sentence += ", a state CA that is also used legitimately — check whether this site should use it"
            }
            switch finding.signatureVerified {
            case true?: sentence += " (signature verified with the CA's key)"
            case false?: sentence += " (the issuer name matches but the signature does not verify with the known key)"
            case nil: break
            }
            return sentence
        case .interceptionShape:
            return "\(place) was served a leaf that looks minted on the fly by an interception box ("
                + finding.reasons.joined(separator: ", ") + ")"
        case .untrustedChain:
            return "\(place) presented a chain that does not validate to the trust store ("
                + finding.reasons.joined(separator: ", ") + ") — possible interception"
        case .pinMismatch:
            return "\(place) presented a chain without any of the CA keys pinned for this name — possible interception"
        case .missingSCT:
            return "\(place) presented a publicly trusted certificate without Certificate Transparency proof"
        case .malformedChain:
            return "\(place) sent a malformed certificate chain (" + finding.reasons.joined(separator: ", ")
                + ") — not judged as interception"
        }
    }
}
