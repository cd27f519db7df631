/// A TCP connection, keyed without direction: `a` is the lower endpoint, `b` the higher.
/// Stored as two addresses then two ports (36 bytes), not as two `Endpoint`s (48 with padding):
/// every flow entry holds one.
struct FlowKey: Equatable {
    private var addressA: IPAddress
    private var addressB: IPAddress
    private var portA: UInt16
    private var portB: UInt16

    init(a: Endpoint, b: Endpoint) {
        addressA = a.address
        addressB = b.address
        portA = a.port
        portB = b.port
    }

    var a: Endpoint { Endpoint(address: addressA, port: portA) }
    var b: Endpoint { Endpoint(address: addressB, port: portB) }

    /// The key for a segment and the direction it travels in (0: a → b, 1: b → a).
    static func of(_ header: TCPSegmentHeader) -> (FlowKey, direction: Int) {
        let source = Endpoint(address: header.source, port: header.sourcePort)
        let destination = Endpoint(address: header.destination, port: header.destinationPort)
        if (source.address, source.port) <= (destination.address, destination.port) {
            return (FlowKey(a: source, b: destination), 0)
        }
        return (FlowKey(a: destination, b: source), 1)
    }

    /// A keyed hash of the five words of the tuple. The key is random per table, so a sender
    /// cannot choose tuples that collide (a flood aimed at one probe chain); the mixing is a
    /// 64×64→128-bit multiply per word pair, much cheaper than `Hasher`'s SipHash.
    func hash(key: (UInt64, UInt64)) -> UInt64 {
        let ports = UInt64(portA) << 16 | UInt64(portB)
        var h = Self.mix(addressA.high ^ key.0, addressA.low ^ key.1)
        h = Self.mix(h ^ addressB.high, addressB.low ^ key.0)
        return Self.mix(h ^ ports, key.1)
    }

    private static func mix(_ x: UInt64, _ y: UInt64) -> UInt64 {
        let product = x.multipliedFullWidth(by: y ^ 0x9E37_79B9_7F4A_7C15)
        return product.high ^ product.low
    }
}
