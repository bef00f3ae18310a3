/// Fills `buffer` from the kernel CSPRNG.
///
/// `SystemRandomNumberGenerator` is the standard library's CSPRNG: on Linux it calls
/// getrandom(2), which blocks only until the pool is first seeded. The Glibc module
/// does not export `<sys/random.h>`, and a second C shim for one call would break the
/// one-shim-per-library rule, so this goes through the standard library.
func fillFromSystemRandom(_ buffer: inout [UInt8]) {
    var generator = SystemRandomNumberGenerator()
    var index = 0
    while index < buffer.count {
        var word = generator.next() as UInt64
        for _ in 0..<8 where index < buffer.count {
            buffer[index] = UInt8(truncatingIfNeeded: word)
            word >>= 8
            index += 1
        }
    }
}
