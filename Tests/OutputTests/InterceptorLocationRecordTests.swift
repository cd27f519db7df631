import Detector
import Foundation
import Output
import Sniffer
import Testing

/// The record that follows an alert once the interceptor was looked for: ECS fields, parsed back
/// by Foundation's JSON parser, and the sentence of the text format.
@Suite struct InterceptorLocationRecordTests {
    static func location(ending: InterceptorLocation.Ending, tries: [InterceptorLocation.Try], ipv6: Bool = false,
                         serverName: String? = "example.kz") -> InterceptorLocation {
        let address = ipv6 ? IPAddress(high: 0xFD71_0003_0000_0000, low: 2) : IPAddress(ipv4: 0x0A00_0302)
        return InterceptorLocation(server: Endpoint(address: address, port: 443), serverName: serverName, probeSession: 4,
                                   triggeringSession: ipv6 ? 99 : nil, trigger: ipv6 ? .unobservedSession : .cli,
                                   tries: tries, ending: ending, maxHops: 30, end: Timestamp(seconds: 1_700_000_000))
    }

    static func parsed(_ location: InterceptorLocation) throws -> [String: Any] {
        var json = JSONBuffer()
        InterceptorLocationRecord.write(location, into: &json)
        #expect(json.lines == 1 && json.bytes.last == UInt8(ascii: "\n"))
        return try #require(try JSONSerialization.jsonObject(with: Data(json.bytes)) as? [String: Any])
    }

    @Test func aLocatedInterceptorHasItsHopsAndEveryTry() throws {
        let location = Self.location(ending: .located, tries: [
            .init(ttl: 1, outcome: .timeExceeded, detail: "time-exceeded: an ICMP error \"quoted\""),
            .init(ttl: 2, outcome: .forgedChain),
        ])
        #expect(location.hops == 2)
        let record = try Self.parsed(location)
        #expect((record["@timestamp"] as? String)?.hasPrefix("2023-11-14T22:13:20") == true)
        let event = record["event"] as? [String: Any]
        #expect(event?["kind"] as? String == "event")
        #expect(event?["action"] as? String == "interceptor-located")
        #expect(event?["outcome"] as? String == "success")
        #expect(event?["dataset"] as? String == "mitmwatch.probe")
        #expect(record["destination"] as? [String: Any] as NSDictionary? == ["ip": "10.0.3.2", "port": 443] as NSDictionary)
        #expect(((record["tls"] as? [String: Any])?["client"] as? [String: Any])?["server_name"] as? String == "example.kz")
        let mitmwatch = try #require(record["mitmwatch"] as? [String: Any])
        #expect(mitmwatch["session_id"] as? Int == 4)
        #expect(mitmwatch["observation"] as? String == "probe")
        let probe = try #require(mitmwatch["probe"] as? [String: Any])
        #expect(probe["trigger"] as? String == "cli")
        #expect(probe["session_id"] == nil)
        #expect(probe["interceptor_hops"] as? Int == 2)
        #expect(probe["locate_ended"] as? String == "located")
        #expect(probe["max_hops"] as? Int == 30)
        let tries = try #require(probe["hop_tries"] as? [[String: Any]])
        #expect(tries.count == 2)
        #expect(tries[0]["ttl"] as? Int == 1 && tries[0]["outcome"] as? String == "time-exceeded")
        #expect(tries[0]["detail"] as? String == "time-exceeded: an ICMP error \"quoted\"")
        #expect(tries[1]["ttl"] as? Int == 2 && tries[1]["outcome"] as? String == "forged-chain" && tries[1]["detail"] == nil)
        let sentence = "the interceptor of example.kz at 10.0.3.2:443 is 2 hops from this gateway "
            + "(TTL 1: time exceeded; TTL 2: the forged chain)"
        #expect(record["message"] as? String == sentence)
        #expect(InterceptorLocationRecord.text(location) == sentence)
    }

    @Test func notLocatedSaysWhyAndHasNoHops() throws {
        let other = Self.location(ending: .otherChain, tries: [
            .init(ttl: 1, outcome: .noAnswer, detail: "timeout: …"), .init(ttl: 2, outcome: .otherChain),
        ], ipv6: true, serverName: nil)
        #expect(other.hops == nil)
        let record = try Self.parsed(other)
        #expect((record["event"] as? [String: Any])?["action"] as? String == "interceptor-not-located")
        #expect((record["event"] as? [String: Any])?["outcome"] as? String == "failure")
        #expect(record["tls"] == nil)
        let probe = (record["mitmwatch"] as? [String: Any])?["probe"] as? [String: Any]
        #expect(probe?["interceptor_hops"] == nil)
        #expect(probe?["session_id"] as? Int == 99)
        #expect(probe?["trigger"] as? String == "unobserved-session")
        #expect(probe?["locate_ended"] as? String == "other-chain")
        #expect(InterceptorLocationRecord.text(other) == "the interceptor of [fd71:3::2]:443 was not located: another chain "
            + "came back first (the genuine server is nearer than the interceptor, or the interception is intermittent) "
            + "(TTL 1: no answer; TTL 2: another chain)")

        let late = Self.location(ending: .deadline, tries: [])
        #expect(InterceptorLocationRecord.text(late)
            == "the interceptor of example.kz at 10.0.3.2:443 was not located: the time allowed for looking ran out")
        #expect(try Self.parsed(late)["mitmwatch"].flatMap { ($0 as? [String: Any])?["probe"] as? [String: Any] }?["hop_tries"]
            as? [Any] != nil)
        let far = Self.location(ending: .maxHops, tries: [.init(ttl: 1, outcome: .failed, detail: "connection-closed: reset")])
        #expect(InterceptorLocationRecord.text(far).hasSuffix("did not come back within 30 hops (TTL 1: failed)"))
    }
}
