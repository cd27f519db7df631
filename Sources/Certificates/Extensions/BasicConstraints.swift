import Wire

/// basicConstraints (2.5.29.19): `SEQUENCE { cA BOOLEAN DEFAULT FALSE, pathLenConstraint INTEGER OPTIONAL }`.
enum BasicConstraints {
    static func decode(_ value: ByteCursor, into summary: inout ExtensionSummary) -> Bool {
        var outer = value
        guard var sequence = outer.readASN1(.sequence) else { return false }
        summary.basicConstraintsPresent = true
        if sequence.peekASN1Tag() == .boolean {
            guard let flag = sequence.readASN1(.boolean), flag.remaining == 1, let byte = flag.peek(0) else { return false }
            summary.isCA = byte != 0
        }
        if sequence.peekASN1Tag() == .integer {
            guard let integer = sequence.readASN1(.integer), integer.remaining >= 1, integer.remaining <= 8,
                  let first = integer.peek(0), first & 0x80 == 0 else { return false }
            var length = 0
            for index in 0..<integer.remaining { length = length << 8 | Int(integer.peek(index) ?? 0) }
            summary.pathLength = length
        }
        return sequence.isEmpty && outer.isEmpty
    }
}
