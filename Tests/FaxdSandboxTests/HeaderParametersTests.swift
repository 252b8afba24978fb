import Testing

@testable import FaxdSandbox

/// `Content-Disposition` and `Content-Type` parameters as the sandbox reads them.
@Suite struct HeaderParametersTests {
    @Test func piecesSplitAtUnquotedSemicolonsTrimmedOfBlanks() {
        #expect(HeaderParameters.split(#"form-data; name="to""#) == ["form-data", #"name="to""#])
        #expect(
            HeaderParameters.split(" form-data ;\tname=\"a;b\" ; filename=\"x.pdf\"\t") == [
                "form-data", #"name="a;b""#, #"filename="x.pdf""#,
            ]
        )
        #expect(HeaderParameters.split(";; a ;") == ["a"])
        #expect(HeaderParameters.split("") == [])
        #expect(HeaderParameters.split(#"form-data; filename="résumé; ü.pdf""#) == ["form-data", #"filename="résumé; ü.pdf""#])
    }

    @Test func aPieceSplitsIntoItsNameAndUnquotedValue() {
        #expect(HeaderParameters.nameAndValue(#"name="to""#) == ("name", "to"))
        #expect(HeaderParameters.nameAndValue(" boundary = faxd-1 ") == ("boundary", "faxd-1"))
        #expect(HeaderParameters.nameAndValue(#"filename="C:\docs\a.pdf""#) == ("filename", #"C:\docs\a.pdf"#))
        #expect(HeaderParameters.nameAndValue(#"filename="résumé ü.pdf""#) == ("filename", "résumé ü.pdf"))
        #expect(HeaderParameters.nameAndValue(#"name="""#) == ("name", ""))
        #expect(HeaderParameters.nameAndValue(#"name=""#) == ("name", #"""#))
        #expect(HeaderParameters.nameAndValue("form-data") == ("form-data", nil))
        #expect(HeaderParameters.nameAndValue("a=b=c") == ("a", "b=c"))
    }

    @Test func trimmingTakesOnlySpacesAndTabs() {
        #expect(HeaderParameters.trim(" \t é \t") == "é")
        #expect(HeaderParameters.trim("\u{A0}x\u{A0}") == "\u{A0}x\u{A0}")
        #expect(HeaderParameters.trim("  ") == "")
        #expect(HeaderParameters.trim("a b"[...]) == "a b")
    }
}
