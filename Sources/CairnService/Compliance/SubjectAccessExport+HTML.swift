import CairnDomain

extension SubjectAccessExport {
    /// The export as a page people can read: profile, consents and their history, the
    /// timeline, and every record with its position and hash (the JSON file is what proves
    /// them).
    public var html: String {
        guard case .object(let root) = document else { return "" }
        var page = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>Subject access export: \(escape(text(root["customerId"])))</title>
            <style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:75rem}table{border-collapse:collapse;width:100%}\
            td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top;font-size:.9rem}\
            code{font-size:.8rem;word-break:break-all}h2{margin-top:2rem}</style></head><body>
            <h1>Subject access export</h1>
            <p>Customer <b>\(escape(text(root["customerId"])))</b> (asked for \(escape(text(root["requestedId"]))); \
            records of: \(escape(list(root["memberIds"]))); converted leads: \(escape(list(root["leadIds"]))). \
            Made \(escape(text(root["generatedAt"]))).</p>

            """
        if case .object(let asOf)? = root["asOf"] {
            let point = asOf["time"].map { "time " + text($0) } ?? "log position " + text(asOf["position"])
            page += "<p><b>As of \(escape(point))</b>: only what was recorded up to then, and the profile as it stood.</p>\n"
        }
        if case .object(let head)? = root["treeHead"] {
            page += """
                <p>Every record below is proven (file <code>.json</code>, checked with <code>cairn compliance verify-export</code>) \
                to be in the log's Merkle tree of \(escape(text(head["treeSize"]))) records with root \
                <code>\(escape(text(head["rootHash"])))</code>, signed at \(escape(text(head["timestamp"]))) by key \
                <code>\(escape(text(head["keyId"])))</code>.</p>

                """
        }
        page += "<h2>Profile</h2>\n" + table(root["profile"])
        page += "<h2>Consent history</h2>\n" + rows(root["consentHistory"], ["position", "recordedAt", "type", "actor", "payload"])
        if root["timeline"] != nil {
            page +=
                "<h2>Timeline</h2>\n"
                + rows(root["timeline"], ["position", "recordedAt", "kind", "channel", "actor", "summary", "changes", "erased"])
        }
        page += "<h2>Records</h2>\n" + rows(root["records"], ["position", "recordedAt", "type", "stream", "actor", "payload", "hash"])
        return page + "</body></html>\n"
    }

    private func text(_ value: JSONValue?) -> String {
        switch value {
        case nil, .null?: ""
        case .string(let s)?: s
        case let other?: other.serializedString
        }
    }

    private func list(_ value: JSONValue?) -> String {
        guard case .array(let items)? = value else { return text(value) }
        return items.isEmpty ? "none" : items.map { text($0) }.joined(separator: ", ")
    }

    private func table(_ value: JSONValue?) -> String {
        guard case .object(let fields)? = value else { return "<p>none</p>\n" }
        var out = "<table>\n"
        for key in fields.keys.sorted() {
            out += "<tr><th>\(escape(key))</th><td>\(escape(text(fields[key])))</td></tr>\n"
        }
        return out + "</table>\n"
    }

    private func rows(_ value: JSONValue?, _ columns: [String]) -> String {
        guard case .array(let items)? = value, !items.isEmpty else { return "<p>none</p>\n" }
        var out = "<table>\n<tr>" + columns.map { "<th>\(escape($0))</th>" }.joined() + "</tr>\n"
        for item in items {
            guard case .object(let fields) = item else { continue }
            out += "<tr>" + columns.map { "<td>\(column($0, fields[$0]))</td>" }.joined() + "</tr>\n"
        }
        return out + "</table>\n"
    }

    private func column(_ name: String, _ value: JSONValue?) -> String {
        name == "hash" || name == "payload" ? "<code>\(escape(text(value)))</code>" : escape(text(value))
    }

    private func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
