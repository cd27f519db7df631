import Detector

/// How a session was observed (`mitmwatch.observation`: `passive` for what the sniffer saw,
/// `probe` for a chain mitmwatch fetched itself) and, for a probe, why and with what offer
/// (`mitmwatch.probe.*`). Shared by session records and alerts.
enum ObservationFields {
    /// Inside the `mitmwatch` object.
    static func write(_ observation: Observation, probe: ProbeDetails?, into json: inout JSONBuffer) {
        json.field("observation", observation.rawValue)
        guard let probe else { return }
        json.beginObject("probe")
        json.field("trigger", probe.trigger.rawValue)
        json.field("offered_versions", probe.offeredVersions)
        json.field("session_id", probe.triggeringSession)
        json.endObject()
    }

    /// Inside the `tls` object: ECS `tls.next_protocol`, the protocol the server chose.
    static func nextProtocol(_ probe: ProbeDetails?, into json: inout JSONBuffer) {
        json.field("next_protocol", probe?.negotiatedALPN)
    }
}
