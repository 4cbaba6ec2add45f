import Testing

@testable import CairnDomain

@Suite("Field validation")
struct FieldValidatorTests {
    /// What `text` means, character by character: not blank once trimmed, at most `max` characters.
    private static func expected(_ value: String, max: Int) -> [String] {
        var messages: [String] = []
        if value.trimmingWhitespace.isEmpty { messages.append("must not be empty") }
        if value.count > max { messages.append("must be at most \(max) characters") }
        return messages
    }

    @Test(
        "Text checks on bytes agree with checks on characters",
        arguments: [
            "", " ", "\t\n", "\u{0B}\u{0C}", "a", " a ", "\r\n", "a\r\nb", "abcd", "abcde", "\r\n\r\n\r\n", "é", " é ",
            "\u{00A0}", "\u{2003}x", "e\u{301}e\u{301}e\u{301}e\u{301}e\u{301}", "👩‍👩‍👧‍👦", "\u{85}",
        ])
    func textAgreesWithCharacters(_ value: String) {
        var validator = FieldValidator()
        validator.text(value, "/name", max: 4)
        #expect(validator.issues.map(\.message) == Self.expected(value, max: 4), "\(value.unicodeScalars.map(\.value))")
    }
}
