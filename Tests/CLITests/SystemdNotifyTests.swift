@testable import Daemon
import Foundation
import Testing

/// sd_notify datagrams against real AF_UNIX sockets (a path and an abstract name); the environment
/// is passed explicitly, so the process environment is never touched.
@Suite struct SystemdNotifyTests {
    @Test(arguments: [DatagramReceiver.temporaryPath(), "@mitmwatch-test-\(UUID().uuidString)"])
    func sendsTheExactDatagrams(socketName: String) throws {
        let receiver = try DatagramReceiver(name: socketName)
        let notify = SystemdNotify(environment: ["NOTIFY_SOCKET": socketName])
        #expect(notify.isEnabled)

        #expect(notify.ready())
        #expect(receiver.receive() == "READY=1")
        #expect(notify.status("capturing on eth0\nand wlan0"))
        #expect(receiver.receive() == "STATUS=capturing on eth0 and wlan0")
        #expect(notify.watchdog())
        #expect(receiver.receive() == "WATCHDOG=1")
        #expect(notify.stopping())
        #expect(receiver.receive() == "STOPPING=1")

        let before = SystemdNotify.monotonicMicroseconds()
        #expect(notify.reloading())
        let after = SystemdNotify.monotonicMicroseconds()
        let reloading = try #require(receiver.receive())
        let lines = reloading.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 2)
        #expect(lines.first == "RELOADING=1")
        let stamp = try #require(lines.last.flatMap { $0.hasPrefix("MONOTONIC_USEC=") ? UInt64($0.dropFirst(15)) : nil })
        #expect(stamp >= before && stamp <= after)
    }

    @Test func withoutANotifySocketEverythingIsANoOp() {
        for environment in [[:], ["NOTIFY_SOCKET": ""], ["NOTIFY_SOCKET": "relative/path"],
                            ["NOTIFY_SOCKET": "vsock:2:1234"], ["NOTIFY_SOCKET": "@"],
                            ["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 120)]] {
            let notify = SystemdNotify(environment: environment)
            #expect(!notify.isEnabled, "\(environment)")
            #expect(!notify.ready())
            #expect(!notify.status("x"))
            #expect(!notify.watchdog())
            #expect(!notify.stopping())
            #expect(!notify.reloading())
        }
    }

    @Test func aMissingSocketFailsWithoutBlocking() {
        let notify = SystemdNotify(environment: ["NOTIFY_SOCKET": DatagramReceiver.temporaryPath()])
        #expect(notify.isEnabled)
        #expect(!notify.ready())
    }

    @Test func watchdogIntervalIsHalfOfWatchdogUsecForThisProcess() {
        let pid: Int32 = 4242
        #expect(SystemdNotify(environment: ["WATCHDOG_USEC": "30000000"], processID: pid).watchdogInterval == .seconds(15))
        #expect(SystemdNotify(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4242"], processID: pid)
            .watchdogInterval == .seconds(15))
        #expect(SystemdNotify(environment: ["WATCHDOG_USEC": "1001", "NOTIFY_SOCKET": "@x"], processID: pid)
            .watchdogInterval == .microseconds(500))
        #expect(SystemdNotify(environment: ["WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "4243"], processID: pid)
            .watchdogInterval == nil)
        #expect(SystemdNotify(environment: ["WATCHDOG_USEC": "0"], processID: pid).watchdogInterval == nil)
        #expect(SystemdNotify(environment: ["WATCHDOG_USEC": "soon"], processID: pid).watchdogInterval == nil)
        #expect(SystemdNotify(environment: ["WATCHDOG_PID": "4242"], processID: pid).watchdogInterval == nil)
        #expect(SystemdNotify(environment: [:]).watchdogInterval == nil)
    }
}
