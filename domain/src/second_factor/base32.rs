//! Base32 text for keys and codes people type: RFC 4648's alphabet for
//! authenticator apps, and Crockford's (no I, L, O or U; read
//! case-insensitively, with I and L read as 1 and O as 0) for recovery
//! codes.

/// RFC 4648 § 6.
const RFC_4648: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
/// Crockford's alphabet, lower case.
const CROCKFORD: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// `bytes` in RFC 4648 base32, without padding.
pub(super) fn encode(bytes: &[u8]) -> String {
    encode_with(bytes, RFC_4648)
}

/// `bytes` in Crockford's base32, lower case, without padding.
pub(super) fn encode_crockford(bytes: &[u8]) -> String {
    encode_with(bytes, CROCKFORD)
}

/// Reads Crockford's base32 into exactly `N` bytes; `None` when a
/// character is not in the alphabet or the length does not fit.
pub(super) fn decode_crockford<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != (N * 8).div_ceil(5) {
        return None;
    }
    let mut bytes = [0_u8; N];
    let mut buffer = 0_u32;
    let mut bits = 0;
    let mut written = 0;
    for c in text.bytes() {
        let value = match c.to_ascii_lowercase() {
            b'o' => 0,
            b'i' | b'l' => 1,
            c => CROCKFORD.iter().position(|&a| a == c)? as u32,
        };
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            bytes[written] = (buffer >> bits) as u8;
            written += 1;
            buffer &= (1 << bits) - 1;
        }
    }
    // What is left over must be padding bits of zero.
    (written == N && buffer == 0).then_some(bytes)
}

/// `text` (ASCII) in groups of four characters joined by `separator`, for
/// people to read and type.
pub(super) fn in_groups_of_four(text: &str, separator: &str) -> String {
    let groups: Vec<&str> = text
        .as_bytes()
        .chunks(4)
        .map(|group| std::str::from_utf8(group).unwrap_or_default())
        .collect();
    groups.join(separator)
}

fn encode_with(bytes: &[u8], alphabet: &[u8; 32]) -> String {
    let mut text = String::with_capacity((bytes.len() * 8).div_ceil(5));
    let mut buffer = 0_u32;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            text.push(char::from(alphabet[((buffer >> bits) & 31) as usize]));
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        text.push(char::from(alphabet[((buffer << (5 - bits)) & 31) as usize]));
    }
    text
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn rfc_4648_test_vectors_without_padding() {
        let vectors = [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ];
        for (plain, expected) in vectors {
            assert_eq!(encode(plain.as_bytes()), expected, "{plain:?}");
        }
    }

    #[test]
    fn crockford_reads_look_alikes_and_either_case() {
        let text = encode_crockford(&[0xff; 10]);
        assert_eq!(text, "zzzzzzzzzzzzzzzz");
        assert_eq!(decode_crockford::<10>("ZZZZZZZZZZZZZZZZ"), Some([0xff; 10]));
        assert_eq!(
            decode_crockford::<5>("oOiIlL00"),
            decode_crockford::<5>("00111100")
        );
        assert_eq!(decode_crockford::<10>("zzzzzzzzzzzzzzzu"), None);
        assert_eq!(decode_crockford::<10>("zzzzzzzzzzzzzzz"), None);
    }

    proptest! {
        #[test]
        fn crockford_round_trips(bytes in any::<[u8; 10]>()) {
            prop_assert_eq!(decode_crockford::<10>(&encode_crockford(&bytes)), Some(bytes));
        }
    }
}
