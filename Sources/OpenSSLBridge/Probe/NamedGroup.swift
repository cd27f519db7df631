import COpenSSL

/// The IANA TLS named-group codes of the groups OpenSSL reports as NIDs.
enum NamedGroup {
    /// The IANA code for what `SSL_get_negotiated_group` returned: from the table for a known NID,
    /// the code itself for a group OpenSSL has no NID for, nil for none or an unmapped NID.
    static func ianaCode(negotiated nid: Int32) -> UInt16? {
        if nid & Int32(TLSEXT_nid_unknown) != 0 { return UInt16(truncatingIfNeeded: nid & 0xFFFF) }
        switch nid {
        case NID_X25519: return 29
        case NID_X448: return 30
        case NID_X9_62_prime256v1: return 23
        case NID_secp384r1: return 24
        case NID_secp521r1: return 25
        case NID_ffdhe2048: return 256
        case NID_ffdhe3072: return 257
        case NID_ffdhe4096: return 258
        case NID_ffdhe6144: return 259
        case NID_ffdhe8192: return 260
        default: return nil
        }
    }
}
