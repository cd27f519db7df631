import Sniffer

#if canImport(Glibc)
import Glibc
#endif

/// Addresses as text, for the prober: parsing numeric ones and resolving names (getaddrinfo).
enum HostAddress {
    /// A numeric IPv4 or IPv6 address (inet_pton's syntax), or nil.
    static func parse(_ text: String) -> IPAddress? {
        var v4 = in_addr()
        // unsafe: inet_pton writes at most sizeof(in_addr) into the local it is given.
        if unsafe inet_pton(AF_INET, text, &v4) == 1 { return IPAddress(ipv4: UInt32(bigEndian: v4.s_addr)) }
        var v6 = in6_addr()
        // unsafe: as above, sizeof(in6_addr).
        guard unsafe inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = unsafe withUnsafeBytes(of: v6) { unsafe Array($0) }  // unsafe: a copy of the local's 16 bytes
        var high: UInt64 = 0, low: UInt64 = 0
        for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
        for index in 8..<16 { low = low << 8 | UInt64(bytes[index]) }
        return IPAddress(high: high, low: low)
    }

    /// "192.0.2.1:443" or "[2001:db8::1]:443" (as `Endpoint.description` writes them), or nil.
    static func endpoint(_ text: String) -> Endpoint? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else { return nil }
        var host = text[..<colon]
        let bracketed = host.hasPrefix("[") && host.hasSuffix("]")
        if bracketed { host = host.dropFirst().dropLast() }
        guard let address = parse(String(host)), bracketed == !address.isIPv4 else { return nil }
        return Endpoint(address: address, port: port)
    }

    struct ResolveError: Error, CustomStringConvertible {
        var name: String
        var reason: String
        var description: String { "cannot resolve \(name): \(reason)" }
    }

    /// The numeric addresses `name` resolves to (IPv4 and IPv6, as getaddrinfo orders them),
    /// each once.
    static func resolve(_ name: String) throws(ResolveError) -> [String] {
        // unsafe: addrinfo holds C pointers; this one is zeroed hints, nothing is followed.
        var hints = unsafe addrinfo()
        unsafe hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        unsafe hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        // unsafe: getaddrinfo fills `list`, freed below with freeaddrinfo.
        let status = unsafe getaddrinfo(name, nil, &hints, &list)
        guard status == 0 else {
            // unsafe: gai_strerror returns a static string.
            throw ResolveError(name: name, reason: unsafe String(cString: gai_strerror(status)))
        }
        defer { unsafe freeaddrinfo(list) }
        var addresses: [String] = []
        var entry = unsafe list
        while let current = unsafe entry {
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            // unsafe: getnameinfo reads the entry's own address and writes at most text.count bytes.
            if unsafe getnameinfo(current.pointee.ai_addr, current.pointee.ai_addrlen, &text, socklen_t(text.count),
                                  nil, 0, NI_NUMERICHOST) == 0 {
                let address = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
                if !addresses.contains(address) { addresses.append(address) }
            }
            unsafe entry = unsafe current.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw ResolveError(name: name, reason: "no address") }
        return addresses
    }
}
