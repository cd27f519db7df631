/// An `Int` kept in 32 bits, saturating: a count or length of one flow's parser, which the limits
/// keep far below 4 GiB (`SnifferContext` caps them at 1 GiB) — half the bytes of an `Int` in the
/// state every followed handshake carries.
@propertyWrapper
struct Saturating32 {
    private var stored: UInt32

    init(wrappedValue: Int) { stored = UInt32(clamping: wrappedValue) }

    var wrappedValue: Int {
        get { Int(stored) }
        set { stored = UInt32(clamping: newValue) }
    }
}
