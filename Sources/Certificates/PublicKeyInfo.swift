import Wire

/// The size in bits of a SubjectPublicKeyInfo's key, as OpenSSL's `EVP_PKEY_get_bits` reports
/// it: the RSA modulus or DSA prime length, the EC group order, 256 for Ed25519 (OpenSSL's
/// `ED25519_BITS`), 253 for X25519, 456 for Ed448, 448 for X448.
enum PublicKeyInfo {
    static func keySize(algorithm: Span<UInt8>, parameters: Span<UInt8>?, key: Span<UInt8>) -> Int? {
        if OID.equals(algorithm, KnownOID.rsaEncryption) || OID.equals(algorithm, KnownOID.rsassaPSS) {
            var cursor = ByteCursor(key)
            guard var rsa = cursor.readASN1(.sequence), let modulus = rsa.readASN1(.integer) else { return nil }
            return integerBits(modulus.bytes)
        }
        if OID.equals(algorithm, KnownOID.ecPublicKey) {
            if let curve = parameters {
                if OID.equals(curve, KnownOID.prime256v1) || OID.equals(curve, KnownOID.secp256k1) { return 256 }
                if OID.equals(curve, KnownOID.secp384r1) { return 384 }
                if OID.equals(curve, KnownOID.secp521r1) { return 521 }
                if OID.equals(curve, KnownOID.secp224r1) { return 224 }
                if OID.equals(curve, KnownOID.prime192v1) { return 192 }
            }
            return nil
        }
        if OID.equals(algorithm, KnownOID.dsa) {
            return nil  // the prime is in the parameters; read by `dsaPrimeBits`
        }
        if OID.equals(algorithm, KnownOID.ed25519) { return 256 }
        if OID.equals(algorithm, KnownOID.x25519) { return 253 }
        if OID.equals(algorithm, KnownOID.ed448) { return 456 }
        if OID.equals(algorithm, KnownOID.x448) { return 448 }
        return nil
    }

    /// RSA public exponent, when it fits 64 bits.
    static func rsaExponent(key: Span<UInt8>) -> UInt64? {
        var cursor = ByteCursor(key)
        guard var rsa = cursor.readASN1(.sequence), rsa.readASN1(.integer) != nil,
              let exponent = rsa.readASN1(.integer) else { return nil }
        var value: UInt64 = 0
        var significant = 0
        for index in 0..<exponent.remaining {
            let byte = exponent.bytes[index]
            if significant == 0 && byte == 0 { continue }
            significant += 1
            guard significant <= 8 else { return nil }
            value = value << 8 | UInt64(byte)
        }
        return value
    }

    /// Bits of a DSA key's prime p, from the algorithm parameters `SEQUENCE { p, q, g }`.
    static func dsaPrimeBits(parametersElement: Span<UInt8>) -> Int? {
        var cursor = ByteCursor(parametersElement)
        guard var parameters = cursor.readASN1(.sequence), let prime = parameters.readASN1(.integer) else { return nil }
        return integerBits(prime.bytes)
    }

    /// Bits of the group order of an EC key with explicit (not named) parameters, as in a
    /// CurveBall-style certificate: `ECParameters ::= SEQUENCE { version, fieldID, curve, base,
    /// order INTEGER, cofactor OPTIONAL }` (SEC 1 §C.2).
    static func ecExplicitOrderBits(parametersElement: Span<UInt8>) -> Int? {
        var cursor = ByteCursor(parametersElement)
        guard var parameters = cursor.readASN1(.sequence), parameters.readASN1(.integer) != nil,
              parameters.readASN1(.sequence) != nil, parameters.readASN1(.sequence) != nil,
              parameters.readASN1(.octetString) != nil, let order = parameters.readASN1(.integer)
        else { return nil }
        return integerBits(order.bytes)
    }

    /// Significant bits of a non-negative INTEGER's content octets.
    static func integerBits(_ bytes: Span<UInt8>) -> Int? {
        var index = 0
        while index < bytes.count && bytes[index] == 0 { index += 1 }
        guard index < bytes.count else { return 0 }
        let top = bytes[index]
        return (bytes.count - index - 1) * 8 + (8 - top.leadingZeroBitCount)
    }
}
