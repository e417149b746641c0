import CSimdjsonShim
import Foundation

/// An id assigned from the file and line, written without making a String: the file's escaped
/// `"PATH:` and the line's digits.
struct AssignedID {
    let prefix: [UInt8]
    let line: Int

    func write(to out: inout [UInt8]) {
        out.append(contentsOf: prefix)
        JSONWriter.appendInt(line, to: &out)
        out.append(UInt8(ascii: "\""))
    }
}

/// Serializes records: unchanged records are copied byte for byte; changed ones are rebuilt
/// field by field, replacing only what changed.
public enum RecordWriter {
    static func write(raw: UnsafeBufferPointer<UInt8>, fields: UnsafeBufferPointer<llm_field_span>, info: llm_record_info,
                      doc: Document, assignedID: AssignedID?, extra: (String, JSONValue)?, to out: inout [UInt8]) {
        var annotations = doc.annotations
        if let extra {
            if let i = annotations.firstIndex(where: { $0.0 == extra.0 }) { annotations[i] = extra } else { annotations.append(extra) }
        }
        if doc.newText == nil && annotations.isEmpty && assignedID == nil {
            out.append(contentsOf: raw)
            out.append(0x0A)
            return
        }
        out.append(UInt8(ascii: "{"))
        var first = true
        for (i, f) in fields.enumerated() {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: raw[Int(f.key_start)..<Int(f.key_end)])
            out.append(UInt8(ascii: ":"))
            if i == Int(info.text_field), let t = doc.newText {
                t.withUnsafeBufferPointer { JSONWriter.appendString($0, to: &out) }
            } else if i == Int(info.metadata_field) && !annotations.isEmpty {
                mergeMetadata(UnsafeBufferPointer(rebasing: raw[Int(f.value_start)..<Int(f.value_end)]), annotations, to: &out)
            } else {
                out.append(contentsOf: raw[Int(f.value_start)..<Int(f.value_end)])
            }
        }
        if let assignedID {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.appendStatic("\"id\":", to: &out)
            assignedID.write(to: &out)
        }
        if info.metadata_field < 0 && !annotations.isEmpty {
            if !first { out.append(UInt8(ascii: ",")) }
            // a non-object "metadata" is kept; annotations then go to "llmdata_metadata"
            JSONWriter.appendStatic(info.metadata_not_object != 0 ? "\"llmdata_metadata\":" : "\"metadata\":", to: &out)
            JSONWriter.appendObject(annotations, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        out.append(0x0A)
    }

    /// Writes the existing metadata object with `annotations` replacing keys in place and
    /// new keys appended.
    static func mergeMetadata(_ meta: UnsafeBufferPointer<UInt8>, _ annotations: [(String, JSONValue)], to out: inout [UInt8]) {
        let fields = ObjectScanner.fields(meta)
        var used = [Bool](repeating: false, count: annotations.count)
        let keys = annotations.map { Array("\"\($0.0)\"".utf8) }
        out.append(UInt8(ascii: "{"))
        var first = true
        for f in fields {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            let k = meta[Int(f.key_start)..<Int(f.key_end)]
            out.append(contentsOf: k)
            out.append(UInt8(ascii: ":"))
            if let j = keys.firstIndex(where: { k.elementsEqual($0) }) {
                annotations[j].1.write(to: &out)
                used[j] = true
            } else {
                out.append(contentsOf: meta[Int(f.value_start)..<Int(f.value_end)])
            }
        }
        for (j, a) in annotations.enumerated() where !used[j] {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.appendString(a.0, to: &out)
            out.append(UInt8(ascii: ":"))
            a.1.write(to: &out)
        }
        out.append(UInt8(ascii: "}"))
    }

    /// A record made from plain text: `{"text":…,"id":…,"metadata":{…}}`.
    static func writeNew(doc: Document, id: AssignedID, textField: String, extra: (String, JSONValue)?, to out: inout [UInt8]) {
        var annotations = doc.annotations
        if let extra {
            // as for JSON records: a drop's annotation replaces the stage's own value of its key
            if let i = annotations.firstIndex(where: { $0.0 == extra.0 }) { annotations[i] = extra } else { annotations.append(extra) }
        }
        out.append(UInt8(ascii: "{"))
        JSONWriter.appendString(textField, to: &out)
        out.append(UInt8(ascii: ":"))
        doc.withText { JSONWriter.appendString($0, to: &out) }
        JSONWriter.appendStatic(",\"id\":", to: &out)
        id.write(to: &out)
        if !annotations.isEmpty {
            JSONWriter.appendStatic(",\"metadata\":", to: &out)
            JSONWriter.appendObject(annotations, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        out.append(0x0A)
    }
}
