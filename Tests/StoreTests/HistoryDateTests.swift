import Testing
@testable import Store

@Suite struct HistoryDateTests {
    @Test func datesAndTimesInUTCOrWithAnOffset() {
        #expect(HistoryDate.parse("1970-01-01") == 0)
        #expect(HistoryDate.parse("2019-07-18") == 1_563_408_000)
        #expect(HistoryDate.parse("2019-07-18T10:00:00Z") == 1_563_444_000)
        #expect(HistoryDate.parse("2019-07-18T10:00Z") == 1_563_444_000)
        #expect(HistoryDate.parse("2019-07-18T10:00:00.123456Z") == 1_563_444_000)
        #expect(HistoryDate.parse("2019-07-18T12:00:00+02:00") == 1_563_444_000)
        #expect(HistoryDate.parse("2019-07-18T05:00:00-0500") == 1_563_444_000)
        #expect(HistoryDate.parse("2024-02-29") != nil)
    }

    @Test func anythingElseIsRefused() {
        for text in ["", "yesterday", "2019-7-18", "2019-02-29", "2019-13-01", "2019-07-18T25:00:00Z", "2019-07-18T10",
                     "2019-07-18Z", "2019-07-18T10:00:00+2", "2019-07-18T10:00:00Zjunk", "١٩٧٠-01-01"] {
            #expect(HistoryDate.parse(text) == nil, "\(text)")
        }
    }
}
