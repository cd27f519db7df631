import Detector
import Sniffer

/// The record of a probe that could not complete (`event.dataset: mitmwatch.probe`,
/// `event.outcome: failure`): refused, timed out, handshake failed, name not resolved — in
/// `error.type` and, in words, `error.message`.
public enum ProbeFailureRecord {
    public static func write(target: String, address: IPAddress?, port: UInt16, serverName: String?,
                             offeredVersions: [String], kind: String, detail: String, at time: Timestamp,
                             trigger: ProbeDetails.Trigger = .cli, into json: inout JSONBuffer) {
        json.beginRecord()
        json.field("@timestamp", timestamp: time)
        json.field("message", "probe \(target) could not complete: \(detail)")
        json.member(#""event":{"kind":"event","category":["network"],"type":["connection"],"dataset":"mitmwatch.probe","outcome":"failure"}"#)
        json.probeTarget(address: address, port: port, serverName: serverName)
        json.beginObject("error")
        json.field("type", kind)
        json.field("message", detail)
        json.endObject()
        json.beginObject("mitmwatch")
        json.field("observation", "probe")
        json.beginObject("probe")
        json.field("trigger", trigger.rawValue)
        json.field("target", target)
        json.field("offered_versions", offeredVersions)
        json.endObject()
        json.endObject()
        json.endRecord()
    }
}
