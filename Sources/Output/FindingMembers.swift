import Detector

// `mitmwatch.verdict` and `mitmwatch.reasons` written from the findings' typed evidence, without
// the `[String]` arrays `SessionReport.verdict` and `Finding.reasons` make.

extension JSONBuffer {
    /// `"verdict":[…]`: the rule ids that fired, each once, in rule order (as `SessionReport.verdict`).
    mutating func verdict(of findings: [Finding]) {
        beginArray("verdict")
        if !findings.isEmpty {
            var fired: UInt32 = 0
            for finding in findings { fired |= 1 << UInt32(FindingWords.position(finding.rule)) }
            for position in FindingWords.quoted.indices where fired & (1 << UInt32(position)) != 0 {
                member(encoded: FindingWords.quoted[position])
            }
        }
        endArray()
    }

    /// `"reasons":[…]` as `Finding.reasons` has them, left out when there is none.
    mutating func reasons(of finding: Finding) {
        switch finding.evidence {
        case .noCertificateTransparency:
            member(encoded: FindingWords.noCertificateTransparencyReasons)
        case .indicator(let match):
            beginArray("reasons")
            element(match.kind.rawValue)
            endArray()
        case .shape(let traits) where !traits.isEmpty:
            beginArray("reasons")
            for trait in traits { element(trait.rawValue) }
            endArray()
        case .untrusted(let reasons, _) where !reasons.isEmpty:
            beginArray("reasons")
            for reason in reasons { element(reason.rawValue) }
            endArray()
        case .shape, .untrusted:
            break
        case .pinMismatch, .malformed, .history:
            let reasons = finding.reasons
            field("reasons", reasons.isEmpty ? nil : reasons)
        }
    }
}

/// Rule ids and constant reason lists, quoted once.
enum FindingWords {
    static let rules: [Rule] = Rule.allCases
    static let quoted: [[UInt8]] = rules.map { rule in
        var json = JSONBuffer(capacity: 64)
        json.string(rule.rawValue)
        return json.bytes
    }
    static let noCertificateTransparencyReasons: [UInt8] = {
        var json = JSONBuffer(capacity: 128)
        json.beginRecord()
        let start = json.nextMemberStart
        json.field("reasons", Evidence.noCertificateTransparency.reasonCodes)
        return json.bytes(from: start)
    }()

    @inline(__always)
    static func position(_ rule: Rule) -> Int { rules.firstIndex(of: rule) ?? 0 }
}
