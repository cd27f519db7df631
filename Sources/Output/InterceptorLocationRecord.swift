import Detector
import Sniffer

/// The record that follows a probe's alert once the interceptor was looked for at rising TTL
/// (`event.action: interceptor-located` or `interceptor-not-located`): how many hops away the
/// forged chain came from (`mitmwatch.probe.interceptor_hops`) and every TTL tried. Written
/// after the alert, never instead of it.
public enum InterceptorLocationRecord {
    public static func write(_ location: InterceptorLocation, into json: inout JSONBuffer) {
        json.beginRecord()
        json.field("@timestamp", timestamp: location.end)
        json.field("message", text(location))
        json.beginObject("event")
        json.field("kind", "event")
        json.field("category", ["network"])
        json.field("type", ["info"])
        json.field("dataset", "mitmwatch.probe")
        json.field("action", location.hops == nil ? "interceptor-not-located" : "interceptor-located")
        json.field("outcome", location.hops == nil ? "failure" : "success")
        json.endObject()
        json.probeTarget(address: location.server.address, port: location.server.port, serverName: location.serverName)
        json.beginObject("mitmwatch")
        json.field("session_id", location.probeSession)
        json.field("observation", "probe")
        json.beginObject("probe")
        json.field("trigger", location.trigger.rawValue)
        json.field("session_id", location.triggeringSession)
        json.field("interceptor_hops", location.hops)
        json.field("locate_ended", location.ending.rawValue)
        json.field("max_hops", location.maxHops)
        json.beginArray("hop_tries")
        for attempt in location.tries {
            json.beginObjectElement()
            json.field("ttl", attempt.ttl)
            json.field("outcome", attempt.outcome.rawValue)
            json.field("detail", attempt.detail)
            json.endObject()
        }
        json.endArray()
        json.endObject()
        json.endObject()
        json.endRecord()
    }

    /// One sentence: "the interceptor of example.kz at 10.0.3.2:443 is 2 hops from this gateway
    /// (TTL 1: time exceeded; TTL 2: the forged chain)".
    public static func text(_ location: InterceptorLocation) -> String {
        let server = location.server.description
        let subject = location.serverName.map { "the interceptor of \($0) at \(server)" } ?? "the interceptor of \(server)"
        let tries = location.tries.map { "TTL \($0.ttl): \(words($0))" }.joined(separator: "; ")
        let finding: String
        if let hops = location.hops {
            finding = "is \(hops) \(hops == 1 ? "hop" : "hops") from this gateway"
        } else {
            finding = switch location.ending {
            case .located, .maxHops: "was not located: the forged chain did not come back within \(location.maxHops) hops"
            case .otherChain: "was not located: another chain came back first (the genuine server is nearer than the "
                + "interceptor, or the interception is intermittent)"
            case .deadline: "was not located: the time allowed for looking ran out"
            case .unreachable: "was not located: a new connection to the server could not be made"
            }
        }
        return "\(subject) \(finding)" + (tries.isEmpty ? "" : " (\(tries))")
    }

    private static func words(_ attempt: InterceptorLocation.Try) -> String {
        switch attempt.outcome {
        case .timeExceeded: "time exceeded"
        case .noAnswer: "no answer"
        case .forgedChain: "the forged chain"
        case .otherChain: "another chain"
        case .failed: "failed"
        case .unreachable: "no connection"
        }
    }
}
