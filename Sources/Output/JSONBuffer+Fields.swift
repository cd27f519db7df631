import Sniffer
import Certificates

// `"key":value` members; a nil value leaves the member out.

extension JSONBuffer {
    public mutating func field(_ key: StaticString, _ value: String?) {
        guard let value else { return }
        self.key(key)
        string(value)
    }

    public mutating func field(_ key: StaticString, _ value: Int?) {
        guard let value else { return }
        self.key(key)
        int(value)
    }

    public mutating func field(_ key: StaticString, _ value: UInt64?) {
        guard let value else { return }
        self.key(key)
        uint64(value)
    }

    public mutating func field(_ key: StaticString, _ value: Bool?) {
        guard let value else { return }
        self.key(key)
        bool(value)
    }

    /// An array of strings (written even when empty; nil leaves it out).
    public mutating func field(_ key: StaticString, _ values: [String]?) {
        guard let values else { return }
        beginArray(key)
        for value in values {
            separate()
            string(value)
        }
        endArray()
    }

    /// An array of integers (written even when empty; nil leaves it out).
    public mutating func field(_ key: StaticString, _ values: [Int]?) {
        guard let values else { return }
        beginArray(key)
        for value in values {
            separate()
            int(value)
        }
        endArray()
    }

    public mutating func field(_ key: StaticString, timestamp: Timestamp) {
        self.key(key)
        self.timestamp(timestamp)
    }

    public mutating func field(_ key: StaticString, fingerprint: CertificateFingerprint) {
        self.key(key)
        self.fingerprint(fingerprint)
    }

    /// An array of fingerprints (written even when empty).
    public mutating func field(_ key: StaticString, fingerprints: [CertificateFingerprint]) {
        beginArray(key)
        for value in fingerprints {
            separate()
            fingerprint(value)
        }
        endArray()
    }

    public mutating func field(_ key: StaticString, ipAddress: IPAddress) {
        self.key(key)
        self.ipAddress(ipAddress)
    }

    public mutating func field(_ key: StaticString, hex4: UInt16) {
        self.key(key)
        self.hex4(hex4)
    }

    public mutating func field(_ key: StaticString, dateSeconds: Int64) {
        self.key(key)
        date(seconds: dateSeconds)
    }

    /// A string element of the open array.
    public mutating func element(_ value: String) {
        separate()
        string(value)
    }

    /// A number member whose name is known only at run time (summary counters).
    public mutating func field(named name: String, _ value: UInt64) {
        key(escaping: name)
        uint64(value)
    }
}
