import Sniffer

extension JSONBuffer {
    /// `destination.ip`/`port` and `tls.client.server_name`: the server a probe's event is about
    /// (failure, path check, interceptor search).
    mutating func probeTarget(address: IPAddress?, port: UInt16, serverName: String?) {
        beginObject("destination")
        if let address { field("ip", ipAddress: address) }
        field("port", Int(port))
        endObject()
        guard let serverName else { return }
        beginObject("tls")
        beginObject("client")
        field("server_name", serverName)
        endObject()
        endObject()
    }
}
