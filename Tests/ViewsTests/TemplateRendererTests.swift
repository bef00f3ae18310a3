import Foundation
import Testing
@testable import Views

@Suite("Templates")
struct TemplateRendererTests {
    private func renderer(_ templates: [String: String]) throws -> TemplateRenderer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for (name, text) in templates {
            try text.write(to: directory.appendingPathComponent(name + ".mustache"), atomically: true, encoding: .utf8)
        }
        return try TemplateRenderer(directory: directory.path)
    }

    private func render(_ template: String, _ context: [String: Any]) throws -> String {
        try renderer(["page": template]).render("page", context)
    }

    // MARK: - Variables

    @Test func valuesAreHTMLEscapedByDefault() throws {
        let html = try render("<p>{{name}}</p>", ["name": "<script>alert('x')</script> & \"q\""])
        #expect(html == "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;</p>")
    }

    @Test func tripleBracesAndAmpersandRenderRaw() throws {
        #expect(try render("{{{html}}}|{{& html}}", ["html": "<b>x</b>"]) == "<b>x</b>|<b>x</b>")
    }

    @Test func numbersAndBooleansRenderAsText() throws {
        #expect(try render("{{n}} {{yes}}", ["n": 42, "yes": true]) == "42 true")
    }

    @Test func missingAndNilValuesRenderNothing() throws {
        #expect(try render("[{{absent}}][{{none}}][{{deep.none}}]",
                           ["none": Optional<String>.none as Any, "deep": ["none": Optional<Int>.none as Any] as [String: Any]]) == "[][][]")
        #expect(try render("[{{some}}]", ["some": Optional("x") as Any]) == "[x]")
    }

    @Test func dottedNamesLookInsideWhatTheFirstPartFound() throws {
        let context: [String: Any] = ["t": ["nav": ["home": "Home"]], "errors": ["email": "Taken"], "home": "outer"]
        #expect(try render("{{t.nav.home}} {{errors.email}} {{errors.phone}}", context) == "Home Taken ")
        // mustache(5): once `a` is found, `a.home` does not fall back to an outer `home`.
        #expect(try render("{{#inner}}{{inner.home}}{{/inner}}", ["inner": ["x": 1] as [String: Any], "home": "outer"]) == "")
    }

    @Test func whitespaceInsideTagsIsIgnored() throws {
        #expect(try render("{{ name }}{{# flag }}!{{/ flag }}", ["name": "a", "flag": true]) == "a!")
    }

    // MARK: - Sections

    @Test func sectionsRepeatForListsAndSeeOuterNames() throws {
        let context: [String: Any] = ["items": [["name": "a"], ["name": "b"]] as [[String: Any]], "sep": ","]
        #expect(try render("{{#items}}{{name}}{{sep}}{{/items}}", context) == "a,b,")
        #expect(try render("{{#list}}<{{.}}>{{/list}}", ["list": ["x", "<y>"]]) == "<x><&lt;y&gt;>")
    }

    @Test func falseyValuesSkipSectionsAndRenderInvertedOnes() throws {
        let template = "{{#v}}yes{{/v}}{{^v}}no{{/v}}"
        #expect(try render(template, ["v": false]) == "no")
        #expect(try render(template, [:]) == "no")
        #expect(try render(template, ["v": Optional<String>.none as Any]) == "no")
        #expect(try render(template, ["v": [] as [[String: Any]]]) == "no")
        #expect(try render(template, ["v": [String]()]) == "no")
        #expect(try render(template, ["v": true]) == "yes")
        #expect(try render(template, ["v": ""]) == "yes", "the empty string is not falsey in Mustache")
        #expect(try render(template, ["v": 0]) == "yes")
    }

    @Test func anObjectSectionPushesItsValues() throws {
        #expect(try render("{{#user}}{{name}} ({{role}}){{/user}}", ["user": ["name": "Ada"], "role": "outer"]) == "Ada (outer)")
    }

    @Test func standaloneTagLinesLeaveNoBlankLines() throws {
        let template = "<ul>\n  {{#items}}\n  <li>{{.}}</li>\n  {{/items}}\n  {{! a comment }}\n</ul>\n"
        #expect(try render(template, ["items": ["a", "b"]]) == "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n")
        #expect(try render("a {{#x}}b{{/x}} c\n", ["x": true]) == "a b c\n", "tags sharing a line with text stay inline")
    }

    // MARK: - Partials and the library

    @Test func partialsRenderWithTheCurrentContext() throws {
        let library = try renderer(["page": "{{#user}}{{> badge}}{{/user}}", "badge": "<b>{{name}}</b>"])
        #expect(try library.render("page", ["user": ["name": "Ada"]]) == "<b>Ada</b>")
    }

    @Test func aPartialThatIncludesItselfIsAnErrorNotACrash() throws {
        let library = try renderer(["page": "{{> page}}"])
        #expect(throws: TemplateRenderer.TemplateError.self) { try library.render("page", [:]) }
    }

    @Test func aMissingPartialIsRefusedAtStart() throws {
        #expect(throws: TemplateRenderer.TemplateError.self) { try renderer(["page": "{{> nowhere}}"]) }
    }

    @Test func aMissingTemplateIsAnError() throws {
        #expect(throws: TemplateRenderer.TemplateError.self) { try renderer(["page": "x"]).render("other", [:]) }
    }

    @Test(arguments: [
        "{{#a}}never closed", "{{#a}}x{{/b}}", "{{/a}}", "{{name", "{{=<% %>=}}", "{{a..b}}", "{{}}", "{{> ../etc}}", "{{$block}}{{/block}}",
    ])
    func malformedTemplatesAreRefusedWithTheirLine(template: String) throws {
        do {
            _ = try renderer(["page": "line one\n" + template])
            Issue.record("\(template) was accepted")
        } catch let error as TemplateRenderer.TemplateError {
            #expect(error.description.contains("line 2"), "\(error.description)")
        }
    }

    @Test func everyShippedTemplateParses() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        _ = try TemplateRenderer(directory: root.path + "/Templates")
    }

    // MARK: - Escaping

    @Test func escapingKeepsMultibyteTextAndDropsControlCharacters() {
        #expect(Markup.escape("Zoë → <Müller> & 'Ōta'") == "Zoë → &lt;Müller&gt; &amp; &#39;Ōta&#39;")
        #expect(Markup.escape("a\u{01}b\tc\nd\u{1B}") == "ab\tc\nd")
        #expect(Markup.escape("") == "")
    }
}
