import Wire
import Certificates

/// JSON lines written straight into one reusable byte buffer: keys are compile-time strings,
/// numbers and other values are formatted in place, nothing is built as a `String` on the way.
///
/// A record is `beginRecord()`, members, `endRecord()` (which ends the line with `\n`). Nested
/// objects are `beginObject(key)` … `endObject()`; an object that got no member is taken back
/// out, key and all, as if it had never been begun (records leave out empty objects). `nil`
/// values are left out by the `field` overloads. Arrays are always written, even empty.
///
/// Keys must be plain ASCII without `"` or `\` (they are the record's own names); values are
/// escaped (see JSONBuffer+Strings.swift).
public struct JSONBuffer: Sendable {
    /// Whole lines, plus the record under way if there is one.
    public private(set) var bytes: [UInt8] = []
    /// Lines ended since the buffer was last emptied.
    public private(set) var lines = 0
    private var open: [Container] = []
    /// Whether the innermost open container already has a member (the next one needs a comma).
    private var hasMember = false

    private struct Container: Sendable {
        /// Where the container began in `bytes`, its key and comma included.
        var start: Int
        var parentHadMember: Bool
        /// Arrays, array elements and records stay even when empty.
        var keepWhenEmpty: Bool
        var closer: UInt8
    }

    public init(capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
        open.reserveCapacity(16)
    }

    public var count: Int { bytes.count }
    public var isEmpty: Bool { bytes.isEmpty }

    /// Forgets everything written, keeping the memory for the next records.
    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        open.removeAll(keepingCapacity: true)
        lines = 0
        hasMember = false
    }

    // MARK: Records and containers

    public mutating func beginRecord() {
        precondition(open.isEmpty, "a record begun inside another")
        push(closer: UInt8(ascii: "}"), start: bytes.count, keep: true)
        bytes.append(UInt8(ascii: "{"))
    }

    public mutating func endRecord() {
        end()
        precondition(open.isEmpty, "a record ended with containers still open")
        bytes.append(UInt8(ascii: "\n"))
        lines += 1
    }

    /// Whole records written into another buffer, appended as they are.
    public mutating func append(records other: JSONBuffer) {
        precondition(open.isEmpty && other.open.isEmpty, "records appended inside a record")
        bytes.append(contentsOf: other.bytes)
        lines += other.lines
    }

    /// A line that is not JSON (the text format), written as it is, then `\n`.
    public mutating func appendLine(_ text: String) {
        precondition(open.isEmpty, "a line written inside a record")
        bytes.append(contentsOf: text.utf8.span)
        bytes.append(UInt8(ascii: "\n"))
        lines += 1
    }

    /// An object member; taken out again at `endObject()` if nothing was written into it.
    public mutating func beginObject(_ key: StaticString) {
        let start = bytes.count, had = hasMember
        self.key(key)
        push(closer: UInt8(ascii: "}"), start: start, keep: false, parentHadMember: had)
        bytes.append(UInt8(ascii: "{"))
    }

    /// An object as an element of the open array (kept even when empty).
    public mutating func beginObjectElement() {
        separate()
        push(closer: UInt8(ascii: "}"), start: bytes.count, keep: true)
        bytes.append(UInt8(ascii: "{"))
    }

    public mutating func endObject() { end() }

    /// An object whose `{` and first member `member(_:)` wrote as constant text, open from here
    /// on like one `beginObject` began (it is never empty, so never taken out).
    mutating func continueObject() {
        push(closer: UInt8(ascii: "}"), start: bytes.count, keep: true)
        hasMember = true
    }

    public mutating func beginArray(_ key: StaticString) {
        let start = bytes.count
        self.key(key)
        push(closer: UInt8(ascii: "]"), start: start, keep: true)
        bytes.append(UInt8(ascii: "["))
    }

    public mutating func endArray() { end() }

    private mutating func push(closer: UInt8, start: Int, keep: Bool, parentHadMember: Bool = true) {
        open.append(Container(start: start, parentHadMember: parentHadMember, keepWhenEmpty: keep, closer: closer))
        hasMember = false
    }

    private mutating func end() {
        let container = open.removeLast()
        if !hasMember && !container.keepWhenEmpty {
            bytes.removeLast(bytes.count - container.start)
            hasMember = container.parentHadMember
            return
        }
        bytes.append(container.closer)
        hasMember = true
    }

    // MARK: Keys

    /// `"key":`, after a comma when the container already has a member.
    @inline(__always)
    public mutating func key(_ key: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        bytes.append(key)
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// A key known only at run time (counter names), escaped like a value.
    public mutating func key(escaping name: String) {
        separate()
        string(name)
        bytes.append(UInt8(ascii: ":"))
    }

    /// The comma before a member or element, when one is needed; the container then has a member.
    @inline(__always)
    mutating func separate() {
        if hasMember { bytes.append(UInt8(ascii: ",")) }
        hasMember = true
    }

    /// A member written before (`"key":value`, escaped, as `RuleObjects` keeps them), appended as it is.
    mutating func member(encoded: [UInt8]) {
        separate()
        bytes.append(contentsOf: encoded)
    }

    /// Constant JSON text that begins a member (`"key":…`, perhaps several members and the start
    /// of the next value): one copy instead of a key and a value escaped anew each time. The text
    /// must be valid JSON as it is (the records' own names and constants).
    @inline(__always)
    mutating func member(_ text: StaticString) {
        separate()
        bytes.append(text)
    }

    /// Where the next member's own bytes start (after the comma it may need), for `bytes(from:)`.
    var nextMemberStart: Int { bytes.count + (hasMember ? 1 : 0) }

    /// A copy of what was written from `start` on.
    func bytes(from start: Int) -> [UInt8] { start < bytes.count ? Array(bytes[start...]) : [] }

    /// Encoded leaves' `x509` members (see `LeafFieldsCache`); kept across `removeAll()`.
    var leafFields = LeafFieldsCache()
    /// The date of the last day a time was written on.
    var civilDays = CivilDayCache()

    // MARK: Raw appends for the value writers

    @inline(__always)
    mutating func appendByte(_ byte: UInt8) { bytes.append(byte) }

    @inline(__always)
    mutating func appendStatic(_ text: StaticString) { bytes.append(text) }

    @inline(__always)
    mutating func appendSpan(_ span: Span<UInt8>) { bytes.append(contentsOf: span) }

    /// Appends `count` bytes of `filler`, returning where they start (for digits written back to front).
    @inline(__always)
    mutating func reserve(_ count: Int, filler: UInt8 = UInt8(ascii: "0")) -> Int {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(filler, count: count))
        return start
    }

    /// Up to `maximum` bytes written in one go by `body`: one capacity check instead of one per byte.
    @inline(__always)
    mutating func write(upTo maximum: Int, _ body: (inout OutputSpan<UInt8>) -> Void) {
        bytes.append(addingCapacity: maximum, initializingWith: body)
    }

    /// Takes back what was written after `count` bytes.
    mutating func truncate(to count: Int) { bytes.removeLast(bytes.count - count) }

    @inline(__always)
    mutating func set(_ index: Int, _ byte: UInt8) { bytes[index] = byte }
}
