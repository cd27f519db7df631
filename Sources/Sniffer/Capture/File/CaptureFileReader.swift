/// Reads a capture (classic pcap or pcapng) held in memory: the parser behind `PcapFile`, over
/// any borrowed bytes — a mapped file, a buffer, a fuzzer's input.
///
/// Everything is read through `ByteCursor`; packets are handed over as views into `bytes`
/// (nothing copied, nothing allocated per packet).
public enum CaptureFileReader {
    /// Hands every packet of `bytes` to `body`, in file order, and says what else it found and
    /// how reading ended. Throws only when `bytes` are not a capture at all (then nothing was
    /// handed over).
    public static func read(_ bytes: Span<UInt8>, _ body: CapturePacketHandler) throws(CaptureFormatError)
        -> CaptureReadReport
    {
        var report = CaptureReadReport()
        switch try CaptureFormat.of(bytes) {
        case .pcap(let header): PcapReader.read(bytes, header: header, into: &report, body)
        case .pcapng: PcapngReader.read(bytes, into: &report, body)
        }
        return report
    }
}
