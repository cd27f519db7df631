import Testing
import Wire

@Suite struct ByteCursorTests {
    @Test func readsIntegersBigEndianAndFailsWithoutConsuming() {
        let bytes: [UInt8] = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07]
        var cursor = ByteCursor(bytes.span)
        let a = cursor.readUInt8(), b = cursor.readUInt16(), c = cursor.readUInt24(), offset = cursor.offset
        #expect(a == 0x01 && b == 0x0203 && c == 0x04_0506 && offset == 6)
        let tooShort = cursor.readUInt16()  // one byte left: fails
        let left = cursor.remaining           // and consumed nothing
        let tooShort32 = cursor.readUInt32()
        let last = cursor.readUInt8(), pastEnd = cursor.readUInt8()
        #expect(tooShort == nil && left == 1 && tooShort32 == nil && last == 0x07 && pastEnd == nil)
    }

    @Test func lengthPrefixedChildrenAreBoundedToTheirLength() {
        let bytes: [UInt8] = [0x00, 0x03, 0xaa, 0xbb, 0xcc, 0xdd]
        var cursor = ByteCursor(bytes.span)
        guard var child = cursor.readUInt16LengthPrefixed() else {
            Issue.record("child")
            return
        }
        let childLength = child.remaining
        let value = child.readUInt24()
        let pastEnd = child.readUInt8()
        let after = cursor.readUInt8()
        #expect(childLength == 3 && value == 0xaa_bbcc && pastEnd == nil && after == 0xdd)
    }

    @Test func lengthPastTheEndFails() {
        let bytes: [UInt8] = [0x00, 0x00, 0x09, 0x01, 0x02]
        var cursor = ByteCursor(bytes.span)
        let overran = cursor.readUInt24LengthPrefixed() == nil
        #expect(overran)
        let left = cursor.remaining
        #expect(left == 5)
        var short = ByteCursor(bytes.span)
        let emptyChild = short.readUInt8LengthPrefixed() != nil  // length 0: empty child
        #expect(emptyChild)
        let skippedTooMuch = short.skip(5)
        let skipped = short.skip(4)
        let empty = short.isEmpty
        #expect(!skippedTooMuch && skipped && empty)
    }

    @Test func derRejectsIndefiniteAndNonMinimalLengths() {
        let good: [UInt8] = [0x30, 0x03, 0x02, 0x01, 0x05]
        var cursor = ByteCursor(good.span)
        guard var sequence = cursor.readASN1(.sequence) else {
            Issue.record("sequence")
            return
        }
        let integer = sequence.readASN1(.integer)?.peek(0)
        #expect(integer == 0x05)
        let indefinite: [UInt8] = [0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00]
        var bad = ByteCursor(indefinite.span)
        let indefiniteRejected = bad.readASN1(.sequence) == nil
        #expect(indefiniteRejected)
        let nonMinimal: [UInt8] = [0x30, 0x81, 0x03, 0x02, 0x01, 0x05]
        var bad2 = ByteCursor(nonMinimal.span)
        let nonMinimalRejected = bad2.readASN1Element() == nil
        #expect(nonMinimalRejected)
        let overrun: [UInt8] = [0x30, 0x82, 0x01, 0x00, 0x02]
        var bad3 = ByteCursor(overrun.span)
        let overrunRejected = bad3.readASN1Element() == nil
        let untouched = bad3.remaining
        #expect(overrunRejected && untouched == 5)
    }

    @Test func derEncodedElementKeepsItsHeader() {
        let bytes: [UInt8] = [0x30, 0x03, 0x02, 0x01, 0x05, 0xff]
        var cursor = ByteCursor(bytes.span)
        let encodedLength = cursor.readASN1Encoded()?.remaining
        #expect(encodedLength == 5)
        #expect(cursor.readUInt8() == 0xff)
    }

    @Test func randomInputNeverTrapsAndAlwaysTerminates() {
        var state: UInt64 = 42
        for _ in 0..<20_000 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            let length = Int(state >> 58)
            var bytes = [UInt8]()
            for index in 0..<length { bytes.append(UInt8(truncatingIfNeeded: state >> (index % 56))) }
            var cursor = ByteCursor(bytes.span)
            var steps = 0
            while !cursor.isEmpty && steps < 1000 {
                steps += 1
                if cursor.readASN1Element() == nil && cursor.readUInt16LengthPrefixed() == nil {
                    _ = cursor.skip(1)
                }
            }
            #expect(steps <= length + 1)
        }
    }
}
