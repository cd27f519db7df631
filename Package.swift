// swift-tools-version: 6.2
import PackageDescription

// Every module is compiled in the Swift 6 language mode (strict concurrency) and with strict
// memory safety, so any use of an unsafe construct must be spelled `unsafe` and stands out.
let strict: [SwiftSetting] = [
    .enableExperimentalFeature("Lifetimes"),
    .strictMemorySafety(),
]

let package = Package(
    name: "mitmwatch",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "mitmwatch", targets: ["Daemon"]),
        .executable(name: "mitmwatch-bench", targets: ["Bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Benchmark baseline only (the Bench target); nothing in the daemon depends on it.
        .package(url: "https://github.com/apple/swift-certificates", from: "1.21.0"),
    ],
    targets: [
        // System libraries: thin shims, nothing else.
        .systemLibrary(name: "CPcap", path: "Sources/CPcap", pkgConfig: "libpcap",
                       providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "CLinux", path: "Sources/CLinux"),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSQLite", path: "Sources/CSQLite", pkgConfig: "sqlite3",
                       providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq",
                       providers: [.apt(["libpq-dev"])]),

        // The one bounds-checked byte cursor every wire parser (packets, TLS, DER) reads through.
        .target(name: "Wire", swiftSettings: strict),

        // The one Swift module that calls OpenSSL (libcrypto and libssl): digests, certificates, the
        // trust store, chain verification, name checks, OCSP, object names, and the probes' TLS
        // client; safe wrappers, no domain.
        .target(name: "OpenSSLBridge", dependencies: ["COpenSSL", "Wire"], swiftSettings: strict),

        // The zero-copy X.509 view, certificate fingerprints and the certificate cache
        // (digests and object names through OpenSSLBridge).
        .target(name: "Certificates", dependencies: ["Wire", "OpenSSLBridge"], swiftSettings: strict),

        // capture → decode → flows → TCP reassembly → TLS handshake → certificate chains
        // (Capture also reads AF_PACKET rings through CLinux.)
        .target(name: "Sniffer", dependencies: ["Wire", "Certificates", "CPcap", "CLinux"], swiftSettings: strict),

        // Detection: indicators, chain validation, the rules and the engine that runs them.
        .target(name: "Detector", dependencies: ["Wire", "Certificates", "Sniffer", "OpenSSLBridge"], swiftSettings: strict),

        // OpenSSL's own X.509 parser behind two C calls: the reference the certificate view is
        // checked against (X509Tests) and timed against (Bench).
        .target(name: "OpenSSLReference", path: "Sources/OpenSSLReference",
                linkerSettings: [.linkedLibrary("crypto")]),

        // JSON records (sessions, alerts, certificates) written straight into byte buffers.
        .target(name: "Output", dependencies: ["Wire", "Certificates", "Sniffer", "Detector"], swiftSettings: strict),

        // The observation store: each name's history in SQLite (C API behind Store/SQLite) or a
        // shared PostgreSQL (libpq behind Store/PostgreSQL), the aggregator that folds reports
        // into it, the writer thread, the history queries.
        .target(name: "Store", dependencies: ["CSQLite", "CLibPQ", "Certificates", "Sniffer", "Detector", "OpenSSLBridge"],
                swiftSettings: strict),

        // The `mitmwatch` executable: commands and outputs.
        .executableTarget(name: "Daemon", dependencies: [
            "Certificates", "Sniffer", "Detector", "Output", "OpenSSLBridge", "CLinux", "Store",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),

        // `mitmwatch-bench`: X.509 parse speed and allocations against OpenSSL and swift-certificates.
        .target(name: "BenchAllocationCounter", path: "Sources/BenchAllocationCounter"),
        .executableTarget(name: "Bench", dependencies: [
            "Wire", "Certificates", "Sniffer", "Detector", "Output", "OpenSSLReference", "BenchAllocationCounter",
            .product(name: "X509", package: "swift-certificates"),
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/Bench", swiftSettings: strict),

        // Test helpers shared by the test targets (crafted TCP segments, TLS bytes, openssl-made PKI,
        // Wireshark-made captures, libpcap's offline reader as the capture-file reader's reference).
        .target(name: "TestSupport", dependencies: ["Certificates", "Sniffer", "Detector", "Wire", "CPcap"], path: "Sources/TestSupport",
                swiftSettings: strict),

        .testTarget(name: "WireTests", dependencies: ["Wire"], swiftSettings: strict),
        // The OpenSSL wrappers on their own: digests, certificates made with the openssl command,
        // verification, the object-name table.
        .testTarget(name: "OpenSSLBridgeTests", dependencies: ["OpenSSLBridge", "TestSupport"], swiftSettings: strict),
        .testTarget(name: "SnifferTests", dependencies: ["Certificates", "Sniffer", "Wire", "Detector", "TestSupport"],
                    exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "PeerCorpusTests", dependencies: ["Certificates", "Sniffer", "Detector"], swiftSettings: strict),
        // The JSON encoder and records: hostile strings, the previous writer as the oracle, real parsers.
        .testTarget(name: "OutputTests", dependencies: ["Output", "Certificates", "Detector", "Sniffer", "Wire", "TestSupport"],
                    swiftSettings: strict),
        // The observation store: schema and migrations, aggregation, the writer, damage, crashes.
        .testTarget(name: "StoreTests", dependencies: ["Store", "Certificates", "Detector", "Sniffer", "TestSupport"],
                    swiftSettings: strict),
        .testTarget(name: "CLITests", dependencies: ["Daemon", "Certificates", "Detector", "Sniffer", "TestSupport", "Store"],
                    swiftSettings: strict),
        // The certificate view against OpenSSL over every certificate available offline.
        .testTarget(name: "X509Tests", dependencies: ["Certificates", "Detector", "Sniffer", "Wire", "OpenSSLReference", "TestSupport"],
                    exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "DetectorTests", dependencies: ["Certificates", "Detector", "Sniffer", "Wire", "TestSupport"],
                    swiftSettings: strict),
        // untrusted-chain's engine: chains made with the openssl command at test time, the PSL scope.
        .testTarget(name: "ValidationTests", dependencies: ["Certificates", "Detector", "TestSupport"], swiftSettings: strict),
    ]
)

// libFuzzer targets (Sources/Fuzz, run by scripts/fuzz.sh). Their entry point calls libFuzzer's
// `LLVMFuzzerRunDriver`, which only exists when they are linked with `-sanitize=fuzzer`, so a plain
// `swift build` could not link them: they are declared only when MITMWATCH_FUZZ is set.
if Context.environment["MITMWATCH_FUZZ"] != nil {
    package.targets.append(.target(
        name: "FuzzSupport", path: "Sources/Fuzz/FuzzSupport",
        swiftSettings: strict + [.enableExperimentalFeature("Extern")]))
    for name in ["FuzzCertificate", "FuzzTLSHandshake", "FuzzPacket", "FuzzConfig", "FuzzCaptureFile"] {
        package.targets.append(.executableTarget(
            // FuzzConfig compiles the daemon's configuration, which names the store's locations.
            name: name, dependencies: ["Wire", "Certificates", "Sniffer", "Detector", "FuzzSupport"] + (name == "FuzzConfig" ? ["Store"] : []),
            path: "Sources/Fuzz/\(name)",
            swiftSettings: strict + [.enableExperimentalFeature("Extern"), .unsafeFlags(["-parse-as-library"])]))
    }
}
