import Detector
import Foundation
import Sniffer
import Wire
import Certificates

/// One certificate to check, and where it came from.
struct SourcedCertificate {
    /// `system`, `indicators`, `corpus` or `generated`.
    var source: String
    /// A file name (or capture path) for messages and the quirk table.
    var name: String
    var der: [UInt8]
}

/// Every certificate available offline: the system trust store, the indicator roots, every
/// certificate seen in the shared peer corpus, and the generated fixtures.
enum CertificateSources {
    static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the project root, or `$MITMWATCH_SHARED`.
    static let shared = ProcessInfo.processInfo.environment["MITMWATCH_SHARED"]
        ?? projectRoot.deletingLastPathComponent().appendingPathComponent("shared").path

    static let generatedDirectory = projectRoot.appendingPathComponent("Tests/X509Tests/Fixtures/generated").path

    /// `/etc/ssl/certs/*.pem`; nil when the directory does not exist (say so, use the rest).
    static func system() -> [SourcedCertificate]? {
        pemDirectory("/etc/ssl/certs", source: "system")
    }

    static func indicators() -> [SourcedCertificate]? {
        pemDirectory(shared + "/indicators/certs", source: "indicators")
    }

    static func generated() -> [SourcedCertificate] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: generatedDirectory)) ?? []
        return files.filter { $0.hasSuffix(".der") }.sorted().compactMap { file in
            guard let data = FileManager.default.contents(atPath: generatedDirectory + "/" + file) else { return nil }
            return SourcedCertificate(source: "generated", name: String(file.dropLast(4)), der: [UInt8](data))
        }
    }

    /// Every certificate of every capture listed in the peer corpus manifest, each distinct
    /// DER once (first capture that carried it names it). Nil when the corpus is missing.
    static func corpus() throws -> [SourcedCertificate]? {
        let root = shared + "/corpus/peers"
        guard let data = FileManager.default.contents(atPath: root + "/manifest.json") else { return nil }
        let manifest = try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
        let files = (manifest["captures"] as? [[String: Any]] ?? []).compactMap { $0["file"] as? String }
        var seen = Set<[UInt8]>()
        var certificates: [SourcedCertificate] = []
        for file in files {
            for der in try Self.certificates(inCapture: root + "/" + file) where seen.insert(der).inserted {
                certificates.append(SourcedCertificate(source: "corpus", name: file, der: der))
            }
        }
        return certificates
    }

    /// Runs one capture through the `Pipeline` and copies every certificate it hands over.
    static func certificates(inCapture path: String) throws -> [[UInt8]] {
        let file = try PcapFile(path: path)
        let collector = Collector()
        var pipeline = Pipeline(observer: CopyingObserver(collector: collector))
        _ = file.forEachPacket { frame, length, time, linkType in
            pipeline.process(frame: frame, originalLength: length, linkType: linkType, at: time)
        }
        pipeline.finish()
        return collector.certificates
    }

    final class Collector {
        var certificates: [[UInt8]] = []
    }

    struct CopyingObserver: TLSObserver {
        let collector: Collector

        mutating func certificates(
            _ chain: borrowing CertificateChainView, known: [KnownCertificate], from sender: EndpointRole,
            session: borrowing TLSSession, at time: Timestamp
        ) -> (any SessionAnnotation)? {
            chain.forEach { der in collector.certificates.append(Array(copying: der)) }
            return nil
        }

        mutating func sessionEnded(_ session: TLSSession) {}
    }

    // MARK: PEM

    private static func pemDirectory(_ path: String, source: String) -> [SourcedCertificate]? {
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: path) else { return nil }
        var seen = Set<[UInt8]>()
        var certificates: [SourcedCertificate] = []
        for file in files.filter({ $0.hasSuffix(".pem") }).sorted() {
            guard let data = FileManager.default.contents(atPath: path + "/" + file) else { continue }
            for der in pemCertificates(String(decoding: data, as: UTF8.self)) where seen.insert(der).inserted {
                certificates.append(SourcedCertificate(source: source, name: file, der: der))
            }
        }
        return certificates
    }

    /// The DER of every `CERTIFICATE` block in PEM text.
    static func pemCertificates(_ text: String) -> [[UInt8]] {
        var result: [[UInt8]] = []
        var body: String?
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed == "-----BEGIN CERTIFICATE-----" {
                body = ""
            } else if trimmed.hasPrefix("-----END ") {
                if let base64 = body, let data = Data(base64Encoded: base64) { result.append([UInt8](data)) }
                body = nil
            } else if body != nil {
                body! += trimmed
            }
        }
        return result
    }
}
