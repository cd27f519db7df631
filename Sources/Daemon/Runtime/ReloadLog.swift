/// What reloads say, bounded: a SIGHUP storm (a loop of `kill -HUP`, a misbehaving log rotator)
/// must not flood stderr and the journal. An outcome is said at once unless it repeats the last
/// one said within `window` seconds, or `burst` lines were already said in that window; held
/// outcomes are counted and summed up in one line (the last outcome, with how many were held)
/// once `window` seconds have passed since the last line. So a storm of identical reloads costs
/// one line, then at most one line per window; reloads an operator makes by hand are said at once.
struct ReloadLog {
    static let window = 5.0
    static let burst = 3

    struct Outcome {
        var text: String
        var applied: Bool
        var messageID: String
    }

    /// When the lines of the current window were said.
    private var said: [Double] = []
    private var lastText: String?
    private var lastAt = -Double.infinity
    private var held = 0
    private var heldApplied = 0
    private var heldSince = 0.0
    private var heldLast: Outcome?

    /// Says `outcome` now, or holds it for the next summary.
    mutating func record(_ outcome: Outcome, now: Double) {
        said.removeAll { now - $0 >= Self.window }
        let repeated = outcome.text == lastText && now - lastAt < Self.window
        if repeated || said.count >= Self.burst || held > 0 {
            if held == 0 { heldSince = now }
            held += 1
            if outcome.applied { heldApplied += 1 }
            heldLast = outcome
            return
        }
        Self.say(outcome.text, outcome)
        said.append(now)
        lastText = outcome.text
        lastAt = now
    }

    /// Says the summary of held outcomes when it is due (or at once with `force`, when stopping).
    mutating func tick(now: Double, force: Bool = false) {
        guard held > 0, let last = heldLast, force || now - lastAt >= Self.window else { return }
        let seconds = max(1, Int((now - heldSince).rounded(.up)))
        let rejected = held - heldApplied
        Self.say(last.text + " (the last of \(held) more reload\(held == 1 ? "" : "s") in \(seconds) s: "
                 + "\(heldApplied) applied, \(rejected) rejected)", last)
        said.append(now)
        lastText = last.text
        lastAt = now
        held = 0
        heldApplied = 0
        heldLast = nil
    }

    private static func say(_ text: String, _ outcome: Outcome) {
        if outcome.applied { Log.info(text, id: outcome.messageID) } else { Log.error(text, id: outcome.messageID) }
    }
}
