import Detector
import Foundation
import Testing

@Suite struct PublicSuffixListTests {
    static let system: PublicSuffixList? = try? PublicSuffixList.system()

    @Test func systemListLoads() throws {
        let list = try PublicSuffixList.system()
        #expect(list.ruleCount > 5000)
    }

    @Test(arguments: [
        ("www.google.com", true), ("google.com", true), ("WWW.Google.COM.", true), ("com", false),
        ("foo.github.io", true), ("github.io", false),                       // private section
        ("bar.ck", false), ("foo.bar.ck", true), ("www.ck", true), ("ck", false), // *.ck, !www.ck
        ("www.bbc.co.uk", true), ("co.uk", false),
        ("xn--55qx5d.cn", false), ("shop.xn--55qx5d.cn", true), ("shop.公司.cn", true),             // 公司.cn, as an A-label
        ("www.bank.example", false), ("10.0.0.1", false), ("::1", false), ("[::1]", false),
        ("2001:db8::1", false), ("intranet", false), ("printer.local", false), ("host.home.arpa", false),
        ("1.0.0.127.in-addr.arpa", false), ("x.test", false), ("x.internal", false), ("x.localhost", false),
        ("x.invalid", false), ("x.onion", false), ("nas.lan", false), ("printer.corp", false), ("a..com", false),
        ("", false), (".", false),
    ])
    func systemScope(name: String, expected: Bool) throws {
        let list = try #require(Self.system, "publicsuffix is not installed (scripts/setup.sh)")
        #expect(list.isUnderPublicSuffix(name) == expected, "\(name)")
    }

    @Test func rulesFromText() {
        let list = PublicSuffixList(text: """
            // ===BEGIN ICANN DOMAINS===
            com
            *.ck
            !www.ck
            *.kawasaki.jp
            !city.kawasaki.jp
            jp
            münchen.example-tld
            // ===BEGIN PRIVATE DOMAINS===
            github.io
            """)
        #expect(list.ruleCount == 8)
        #expect(list.isUnderPublicSuffix("a.com"))
        #expect(!list.isUnderPublicSuffix("bar.ck"))
        #expect(list.isUnderPublicSuffix("foo.bar.ck"))
        #expect(list.isUnderPublicSuffix("www.ck"))
        #expect(!list.isUnderPublicSuffix("x.kawasaki.jp"))
        #expect(list.isUnderPublicSuffix("y.x.kawasaki.jp"))
        #expect(list.isUnderPublicSuffix("city.kawasaki.jp"))
        #expect(list.isUnderPublicSuffix("kawasaki.jp"))
        #expect(list.isUnderPublicSuffix("foo.github.io"))
        #expect(!list.isUnderPublicSuffix("github.io"))
        #expect(list.isUnderPublicSuffix("shop.xn--mnchen-3ya.example-tld"))
        #expect(!list.isUnderPublicSuffix("host.org"))  // no rule: the implicit "*" is not applied
    }

    @Test func scope() throws {
        let list = PublicSuffixList(text: "com\n")
        #expect(isInScope(sni: "www.google.com", scope: .public, publicSuffixes: list))
        #expect(!isInScope(sni: "printer.local", scope: .public, publicSuffixes: list))
        #expect(!isInScope(sni: nil, scope: .public, publicSuffixes: list))
        #expect(isInScope(sni: nil, scope: .all, publicSuffixes: list))
        #expect(isInScope(sni: "printer.local", scope: .all, publicSuffixes: list))
        #expect(UntrustedScope(rawValue: "public") == .public && UntrustedScope(rawValue: "all") == .all)
    }

    @Test func punycode() {
        let list = PublicSuffixList(text: "münchen\n公司.cn\n")
        #expect(list.isUnderPublicSuffix("a.xn--mnchen-3ya"))
        #expect(list.isUnderPublicSuffix("a.xn--55qx5d.cn"))
        #expect(!list.isUnderPublicSuffix("xn--55qx5d.cn"))
    }

    /// A file is read and checked at load (no rule: an error, as before) and parsed when a name
    /// is first checked; the answers are the text parse's.
    @Test func loadedFilesAreCheckedAtOnceAndParsedOnUse() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("psl-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func file(_ name: String, _ text: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
        #expect(throws: PublicSuffixList.LoadError.self) { try PublicSuffixList.load(path: try file("comments", "// only\n\n  // this\n")) }
        #expect(throws: PublicSuffixList.LoadError.self) { try PublicSuffixList.load(path: try file("bare", "!\n*.\n")) }
        let unicode = try PublicSuffixList.load(path: try file("unicode", "// IDN only\n公司.cn\n"))
        #expect(unicode.isUnderPublicSuffix("a.xn--55qx5d.cn") && !unicode.isUnderPublicSuffix("xn--55qx5d.cn"))
        let text = "// c\ncom\n*.ck\n!www.ck\nCO.UK extra words\nmünchen\n"
        let loaded = try PublicSuffixList.load(path: try file("mixed", text)), parsed = PublicSuffixList(text: text)
        for name in ["a.com", "com", "bar.ck", "foo.bar.ck", "www.ck", "a.co.uk", "co.uk", "a.xn--mnchen-3ya", "x.org"] {
            #expect(loaded.isUnderPublicSuffix(name) == parsed.isUnderPublicSuffix(name), "\(name)")
        }
        #expect(loaded.ruleCount == parsed.ruleCount && parsed.ruleCount == 5)
    }

    @Test func hostNames() {
        #expect(HostName.normalise("WWW.Example.COM.") == "www.example.com")
        #expect(HostName.normalise("a..b") == nil)
        #expect(HostName.normalise("") == nil)
        #expect(HostName.isIPLiteral("192.0.2.1") && HostName.isIPLiteral("::1") && HostName.isIPLiteral("[fe80::1]"))
        #expect(!HostName.isIPLiteral("192.0.2.256") && !HostName.isIPLiteral("1.2.3") && !HostName.isIPLiteral("a.b.c.d"))
    }
}
