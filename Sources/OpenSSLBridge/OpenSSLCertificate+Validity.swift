import COpenSSL

extension OpenSSLCertificate {
    /// Whether its notBefore or notAfter lies within `window` (Unix seconds), that is whether it
    /// may be valid at one end of the window and not at the other. True when a time is missing.
    public func validityChanges(within window: ClosedRange<Int64>) -> Bool {
        // unsafe: reads the two times of this certificate, alive for the call.
        unsafe mw_validity_changes_between(pointer, window.lowerBound, window.upperBound) != 0
    }
}
