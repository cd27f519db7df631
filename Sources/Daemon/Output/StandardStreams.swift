#if canImport(Glibc)
import Glibc
#endif

/// Unbuffered line output on stdout and stderr, so records and messages keep their order and
/// a record is out the moment it is final.
enum StandardStreams {
    static func writeLine(_ text: String, fileDescriptor: Int32 = 1) {
        var line = text + "\n"
        line.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = unsafe Glibc.write(fileDescriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 && errno == EINTR { continue }
                guard written > 0 else { return }
                offset += written
            }
        }
    }
}

func printToStandardError(_ text: String) {
    StandardStreams.writeLine(text, fileDescriptor: 2)
}
