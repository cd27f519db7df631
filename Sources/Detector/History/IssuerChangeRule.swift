import Sniffer

/// `issuer-change` in the rule set: runs last, so it sees what the other rules found on the
/// same chain (a new CA whose chain also fails another rule is high).
struct IssuerChangeRule: DetectionRule {
    let history: HistoryRules

    mutating func evaluate(_ context: borrowing ChainContext, into findings: inout [Finding]) {
        if let finding = history.judgeChain(context, others: findings) { findings.append(finding) }
    }
}
