/// The name a certificate must be for: a DNS host name, or an IP address in text form (dotted
/// IPv4 or IPv6 without brackets). The caller decides which; OpenSSL checks them differently.
public enum ExpectedName: Sendable, Equatable {
    case host(String)
    case ipAddress(String)
}
