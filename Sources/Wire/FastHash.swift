/// A fast seeded 64-bit hash of bytes (a multiply-fold in the style of wyhash), used to find a
/// certificate in the cache before comparing its bytes exactly. Not cryptographic: callers must
/// confirm a hit by comparing the bytes (the certificate cache does), so a crafted collision
/// costs one comparison and nothing else.
public enum FastHash {
    @inline(__always)
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let product = a.multipliedFullWidth(by: b)
        return product.high ^ product.low
    }

    public static func hash(_ bytes: Span<UInt8>, seed: UInt64) -> UInt64 {
        let raw = unsafe bytes.bytes  // unsafe: a raw view of the same bytes, read below within bounds
        let count = raw.byteCount
        var state = seed ^ 0xa076_1d64_78bd_642f ^ UInt64(count)
        var offset = 0
        if count >= 64 {
            // Four independent lanes of 16 bytes: the multiplies of one round do not wait for
            // each other, so long inputs go about four times faster than one chain of mixes.
            var lanes = (state, state ^ 0x8ebc_6af0_9c88_c6e3, state ^ 0x5899_65cc_7537_4cc3, state ^ 0x1d8e_4e27_c47d_124f)
            while offset + 64 <= count {
                // unsafe: eight 8-byte loads, all inside `raw` (offset + 64 <= count).
                let a0 = unsafe raw.unsafeLoadUnaligned(fromByteOffset: offset, as: UInt64.self)
                let b0 = unsafe raw.unsafeLoadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
                let a1 = unsafe raw.unsafeLoadUnaligned(fromByteOffset: offset + 16, as: UInt64.self)
                let b1 = unsafe raw.unsafeLoadUnaligned(fromByteOffset: offset + 24, as: UInt64.self)
                let a2 = unsafe raw.unsafeLoadUnaligned(fromByteOffset: offset + 32, as: UInt64.self)
                let b2 = unsafe raw.unsafeLoadUnaligned(fromByteOffset: offset + 40, as: UInt64.self)
                let a3 = unsafe raw.unsafeLoadUnaligned(fromByteOffset: offset + 48, as: UInt64.self)
                let b3 = unsafe raw.unsafeLoadUnaligned(fromByteOffset: offset + 56, as: UInt64.self)
                lanes.0 = mix(a0 ^ 0xe703_7ed1_a0b4_28db ^ lanes.0, b0 ^ 0x8ebc_6af0_9c88_c6e3)
                lanes.1 = mix(a1 ^ 0xe703_7ed1_a0b4_28db ^ lanes.1, b1 ^ 0x8ebc_6af0_9c88_c6e3)
                lanes.2 = mix(a2 ^ 0xe703_7ed1_a0b4_28db ^ lanes.2, b2 ^ 0x8ebc_6af0_9c88_c6e3)
                lanes.3 = mix(a3 ^ 0xe703_7ed1_a0b4_28db ^ lanes.3, b3 ^ 0x8ebc_6af0_9c88_c6e3)
                offset += 64
            }
            state = mix(lanes.0 ^ lanes.1, 0x5899_65cc_7537_4cc3 ^ lanes.2) ^ mix(lanes.2 ^ lanes.3, 0xe703_7ed1_a0b4_28db ^ lanes.1)
        }
        while offset + 16 <= count {
            // unsafe: both 8-byte loads lie inside `raw` (offset + 16 <= count); unaligned loads
            // of a trivial integer type are defined.
            let a = unsafe raw.unsafeLoadUnaligned(fromByteOffset: offset, as: UInt64.self)
            let b = unsafe raw.unsafeLoadUnaligned(fromByteOffset: offset + 8, as: UInt64.self)
            state = mix(a ^ 0xe703_7ed1_a0b4_28db ^ state, b ^ 0x8ebc_6af0_9c88_c6e3)
            offset += 16
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while offset < count {
            tail |= UInt64(bytes[offset]) << shift
            shift += 8
            offset += 1
            if shift == 64 {
                state = mix(state ^ tail, 0x5899_65cc_7537_4cc3)
                tail = 0
                shift = 0
            }
        }
        return mix(state ^ tail ^ 0x1d8e_4e27_c47d_124f, 0xe703_7ed1_a0b4_28db ^ UInt64(count))
    }
}
