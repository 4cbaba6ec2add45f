/// Keys that must sort numerically are stored big-endian, so LMDB's byte order is number order.
extension UnsafeRawBufferPointer {
    @inline(__always)
    func loadBigEndian<T: FixedWidthInteger>(at offset: Int, as: T.Type = T.self) -> T {
        T(bigEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }
}

extension UnsafeMutableRawBufferPointer {
    @inline(__always)
    func storeBigEndian<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
    }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }

    @inline(__always)
    func loadBigEndian<T: FixedWidthInteger>(at offset: Int, as: T.Type = T.self) -> T {
        withUnsafeBytes { $0.loadBigEndian(at: offset) }
    }

    static func bigEndian(_ value: UInt64) -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(8)
        out.appendBigEndian(value)
        return out
    }
}
