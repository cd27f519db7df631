@testable import Sniffer
import TestSupport
import Testing
import Wire

/// The ServerHello's profile for the history rules: extension types in order, the ALPN chosen,
/// bounded inline.
@Suite struct ServerHelloProfileTests {
    static func parse(_ message: [UInt8]) -> ServerHello? {
        let body = Array(message.dropFirst(4))  // the handshake header
        return ServerHello(body: ByteCursor(body.span))
    }

    @Test func typesInOrderAndTheChosenProtocol() throws {
        let hello = try #require(Self.parse(TLSBytes.serverHello(supportedVersion: nil, alpn: "h2", emptyExtensions: [0xff01, 23])))
        #expect(hello.profile.extensionTypes == [0xff01, 23, 16])
        #expect(hello.profile.alpn == "h2")
        let plain = try #require(Self.parse(TLSBytes.serverHello(supportedVersion: 0x0304)))
        #expect(plain.profile.extensionTypes == [43] && plain.profile.alpn == nil)
        #expect(hello.profile != plain.profile)
    }

    @Test func longListsAndNamesAreBounded() throws {
        let many = Array(100..<120)
        let hello = try #require(Self.parse(TLSBytes.serverHello(alpn: "a-very-long-protocol-name", emptyExtensions: many)))
        #expect(hello.profile.extensionTypes == many.prefix(ServerHelloProfile.maxTypes).map(UInt16.init))
        #expect(hello.profile.moreTypes == UInt8(many.count + 1 - ServerHelloProfile.maxTypes))
        #expect(hello.profile.alpn == "a-very-l")
    }
}
