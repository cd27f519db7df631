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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // System libraries: thin shims, nothing else.
        .systemLibrary(name: "CPcap", path: "Sources/CPcap", pkgConfig: "libpcap",
                       providers: [.apt(["libpcap-dev"])]),
        .systemLibrary(name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),

        // The one bounds-checked byte cursor every wire parser (packets, TLS, DER) reads through.
        .target(name: "Wire", swiftSettings: strict),

        // capture → decode → flows → TCP reassembly → TLS handshake → certificate chains
        .target(name: "Sniffer", dependencies: ["Wire", "CPcap"], swiftSettings: strict),

        // X.509 and detection (fingerprints through OpenSSL libcrypto).
        .target(name: "Detector", dependencies: ["Wire", "Sniffer", "COpenSSL"], swiftSettings: strict),

        // The `mitmwatch` executable: commands and outputs.
        .executableTarget(name: "Daemon", dependencies: [
            "Sniffer", "Detector",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),

        .testTarget(name: "WireTests", dependencies: ["Wire"], swiftSettings: strict),
        .testTarget(name: "SnifferTests", dependencies: ["Sniffer", "Wire", "Detector"],
                    exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "PeerCorpusTests", dependencies: ["Sniffer", "Detector"], swiftSettings: strict),
        .testTarget(name: "CLITests", dependencies: ["Daemon"], swiftSettings: strict),
    ]
)
