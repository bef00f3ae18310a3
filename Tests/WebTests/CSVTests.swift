import Foundation
import HTTPServer
import Testing
import Views

extension Response {
    /// The whole body of a streamed response, produced as the server would (tests call `App.handle` directly).
    func streamedText() throws -> String {
        var bytes: [UInt8] = []
        try stream?({ bytes.append(contentsOf: $0) })
        return String(decoding: bytes, as: UTF8.self)
    }
}

@Suite("CSV: RFC 4180 quoting and formula neutralisation")
struct CSVTests {
    @Test func plainCellsStayAsTheyAre() {
        #expect(CSV.field("Anna Doctor") == "Anna Doctor")
        #expect(CSV.field("") == "")
        #expect(CSV.field("42") == "42")
    }

    @Test func commasQuotesAndLineBreaksAreQuotedWithQuotesDoubled() {
        #expect(CSV.field("Smith, John") == "\"Smith, John\"")
        #expect(CSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSV.field("line 1\nline 2") == "\"line 1\nline 2\"")
        #expect(CSV.field("a\r\nb") == "\"a\r\nb\"")
        #expect(CSV.field("only\rcr") == "\"only\rcr\"")
    }

    @Test func cellsThatASpreadsheetWouldRunAsFormulasArePrefixedWithAQuote() {
        #expect(CSV.field("=1+2") == "'=1+2")
        #expect(CSV.field("+49 30 1234") == "'+49 30 1234")
        #expect(CSV.field("-5") == "'-5")
        #expect(CSV.field("@SUM(A1)") == "'@SUM(A1)")
        #expect(CSV.field("\tTAB") == "'\tTAB")
        #expect(CSV.field("\rX") == "\"'\rX\"")
        #expect(CSV.field("\r\nX") == "\"'\r\nX\"")
        // Neutralised first, then quoted because of the comma and quotes inside.
        #expect(CSV.field("=HYPERLINK(\"http://x\",\"y\")") == "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"")
        // Only the first character matters.
        #expect(CSV.field("a=b") == "a=b")
    }

    @Test func rowsEndWithCRLFAndJoinWithCommas() {
        #expect(CSV.row(["a", "b,c", "=d"]) == "a,\"b,c\",'=d\r\n")
        var bytes: [UInt8] = []
        CSV.append(["x"], to: &bytes)
        #expect(bytes == Array("x\r\n".utf8))
    }
}
