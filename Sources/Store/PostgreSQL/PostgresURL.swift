import Foundation

/// `postgresql://` and `postgres://` URLs as settings: recognised, checked, and shown with the
/// password masked (messages, logs and `path` never carry it).
public enum PostgresURL {
    /// The value names a server, not a file.
    public static func isURL(_ value: String) -> Bool {
        value.hasPrefix("postgresql://") || value.hasPrefix("postgres://")
    }

    /// The URL with any password (`user:PASSWORD@`, `password=` in the query) as `***`.
    public static func masked(_ url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        var authority = String(rest[..<authorityEnd])
        if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
            authority = String(authority[...colon]) + "***" + String(authority[at...])
        }
        var tail = String(rest[authorityEnd...])
        if let question = tail.firstIndex(of: "?") {
            let query = tail[tail.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false).map { pair in
                pair.lowercased().hasPrefix("password=") ? "password=***" : String(pair)
            }
            tail = String(tail[...question]) + query.joined(separator: "&")
        }
        return String(url[..<scheme.upperBound]) + authority + tail
    }

    /// Why `url` is not a usable PostgreSQL URL (scheme, libpq's parse), or nil when it is.
    public static func problem(_ url: String) -> String? {
        guard isURL(url) else { return "not a postgresql:// or postgres:// URL" }
        return PostgresConnection.check(url: url).map { "not a valid URL (\(hidingPasswords(of: url, in: $0)))" }
    }

    /// `message` with the URL's passwords (as written, percent-encoded or not) as `***`.
    public static func hidingPasswords(of url: String, in message: String) -> String {
        var secrets: [String] = []
        if let scheme = url.range(of: "://") {
            let rest = url[scheme.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" }
            if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
                secrets.append(String(authority[authority.index(after: colon)..<at]))
            }
        }
        for pair in url.split(whereSeparator: { $0 == "?" || $0 == "&" }) where pair.lowercased().hasPrefix("password=") {
            secrets.append(String(pair.dropFirst("password=".count)))
        }
        var shown = message
        for secret in secrets where !secret.isEmpty {
            shown = shown.replacing(secret, with: "***")
            if let decoded = secret.removingPercentEncoding, !decoded.isEmpty { shown = shown.replacing(decoded, with: "***") }
        }
        return shown
    }
}
