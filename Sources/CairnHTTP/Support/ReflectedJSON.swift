import CairnDomain
import CairnStore
import Foundation
import HTTPTypes

/// Read-model values to JSON by reflection: structs become objects with their property names,
/// string-backed enums their raw value, money and decimals strings (never binary floating
/// point), timestamps RFC 3339 and dates `YYYY-MM-DD`. Nil members are left out.
enum ReflectedJSON {
    static func encode(_ value: Any) -> JSONValue {
        switch value {
        case let v as JSONValue: return v
        case let v as String: return .string(v)
        case let v as Bool: return .bool(v)
        case let v as Int: return .number(Double(v))
        case let v as Int64: return .number(Double(v))
        case let v as Int32: return .number(Double(v))
        case let v as UInt8: return .number(Double(v))
        case let v as UInt32: return .number(Double(v))
        case let v as UInt64: return .number(Double(v))
        case let v as Double: return v.isFinite ? .number(v) : .null
        case let v as Decimal: return .string(v.description)
        case let v as UUID: return .string(v.uuidString.lowercased())
        case let v as CairnStore.Timestamp: return .string(v.rfc3339)
        case let v as CairnDomain.Timestamp: return .string(v.description)
        case let v as CalendarDate: return .string(v.description)
        case let v as Money: return .object(["amount": .string(v.amount.description), "currency": .string(v.currency)])
        case let v as any RawRepresentable<String>: return .string(v.rawValue)
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            guard let child = mirror.children.first else { return .null }
            return encode(child.value)
        case .collection:
            return .array(mirror.children.map { encode($0.value) })
        case .set:
            let items = mirror.children.map { encode($0.value) }
            return .array(items.sorted { $0.serializedString < $1.serializedString })
        case .dictionary:
            var object: [String: JSONValue] = [:]
            for child in mirror.children {
                let pair = Array(Mirror(reflecting: child.value).children)
                guard pair.count == 2 else { continue }
                let key: String =
                    switch encode(pair[0].value) {
                    case .string(let s): s
                    case let other: other.serializedString
                    }
                object[key] = encode(pair[1].value)
            }
            return .object(object)
        case .enum:
            guard let child = mirror.children.first else { return .string(String(describing: value)) }
            return .object([child.label ?? "value": encode(child.value)])
        case .tuple:
            var object: [String: JSONValue] = [:]
            for (i, child) in mirror.children.enumerated() { object[child.label ?? "\(i)"] = encode(child.value) }
            return .object(object)
        default:
            var object: [String: JSONValue] = [:]
            for child in mirror.children {
                guard let label = child.label else { continue }
                let name = label.hasPrefix("_") ? String(label.dropFirst()) : label
                let encoded = encode(child.value)
                if encoded != .null { object[name] = encoded }
            }
            return .object(object)
        }
    }
}
