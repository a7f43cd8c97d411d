//! A placeholder "scanned HKID card": a small greyscale PNG written by hand (stored deflate blocks,
//! CRC-32, Adler-32), showing a card outline, a photo box and the card number in a 3×5 pixel font.
//!
//! It is a real, decodable PNG, so an export or a virus scanner can treat it as an image; it is a
//! placeholder, not a picture of any card.

/// Width of the placeholder in pixels.
pub(crate) const WIDTH: usize = 64;
/// Height of the placeholder in pixels.
pub(crate) const HEIGHT: usize = 40;

/// 3×5 glyphs, one row per `u8` (low three bits, most significant bit on the left).
fn glyph(c: char) -> [u8; 5] {
    match c {
        '0' => [7, 5, 5, 5, 7],
        '1' => [2, 6, 2, 2, 7],
        '2' => [7, 1, 7, 4, 7],
        '3' => [7, 1, 7, 1, 7],
        '4' => [5, 5, 7, 1, 1],
        '5' => [7, 4, 7, 1, 7],
        '6' => [7, 4, 7, 5, 7],
        '7' => [7, 1, 1, 2, 2],
        '8' => [7, 5, 7, 5, 7],
        '9' => [7, 5, 7, 1, 7],
        '(' => [1, 2, 2, 2, 1],
        ')' => [4, 2, 2, 2, 4],
        'A' => [2, 5, 7, 5, 5],
        'B' => [6, 5, 6, 5, 6],
        'C' => [7, 4, 4, 4, 7],
        'D' => [6, 5, 5, 5, 6],
        'E' => [7, 4, 6, 4, 7],
        'G' => [7, 4, 5, 5, 7],
        'H' => [5, 5, 7, 5, 5],
        'K' => [5, 5, 6, 5, 5],
        'M' => [5, 7, 7, 5, 5],
        'P' => [7, 5, 7, 4, 4],
        'R' => [6, 5, 6, 5, 5],
        'V' => [5, 5, 5, 5, 2],
        'W' => [5, 5, 7, 7, 5],
        'X' => [5, 5, 2, 5, 5],
        'Y' => [5, 5, 2, 2, 2],
        'Z' => [7, 1, 2, 4, 7],
        _ => [0; 5],
    }
}

/// The placeholder image for a card number such as `A123456(3)`; `noise` varies the background so
/// no two blobs are byte-identical.
pub(crate) fn hkid_card(number: &str, noise: u64) -> Vec<u8> {
    let mut px = vec![0xe8u8; WIDTH * HEIGHT];
    let mut n = (noise << 1) | 1;
    for eight in px.chunks_mut(8) {
        // xorshift64 for a faint scanner grain, three bits per pixel.
        n ^= n << 13;
        n ^= n >> 7;
        n ^= n << 17;
        for (i, p) in eight.iter_mut().enumerate() {
            *p = p.wrapping_sub(((n >> (i * 8)) & 7) as u8);
        }
    }
    let mut set = |x: usize, y: usize, v: u8| {
        if x < WIDTH && y < HEIGHT {
            px[y * WIDTH + x] = v;
        }
    };
    for x in 1..WIDTH - 1 {
        set(x, 1, 0x40);
        set(x, HEIGHT - 2, 0x40);
    }
    for y in 1..HEIGHT - 1 {
        set(1, y, 0x40);
        set(WIDTH - 2, y, 0x40);
    }
    // Photo box.
    for y in 6..26 {
        for x in 44..60 {
            set(
                x,
                y,
                if (6..26).contains(&y) && (x == 44 || x == 59 || y == 6 || y == 25) { 0x30 } else { 0xb0 },
            );
        }
    }
    // Header bar, then the number.
    for x in 4..36 {
        set(x, 5, 0x60);
    }
    for (i, c) in number.chars().enumerate() {
        let g = glyph(c);
        for (row, bits) in g.iter().enumerate() {
            for col in 0..3 {
                if bits & (4 >> col) != 0 {
                    set(4 + i * 4 + col, 30 + row, 0x10);
                }
            }
        }
    }
    encode_gray(&px, WIDTH, HEIGHT)
}

/// An 8-bit greyscale PNG of `pixels` (row-major, `width * height` bytes).
pub(crate) fn encode_gray(pixels: &[u8], width: usize, height: usize) -> Vec<u8> {
    let mut raw = Vec::with_capacity((width + 1) * height);
    for row in pixels.chunks(width) {
        raw.push(0); // filter: none
        raw.extend_from_slice(row);
    }
    let mut z = vec![0x78, 0x01]; // zlib header: deflate, 32K window, no dictionary, fastest
    let mut blocks = raw.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        z.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(block) = blocks.next() {
        let last = u8::from(blocks.peek().is_none());
        // Invariant: chunks of at most 65 535 bytes fit in u16.
        let len = u16::try_from(block.len()).unwrap_or(u16::MAX);
        z.push(last); // BFINAL, BTYPE = 00 (stored)
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(block);
    }
    z.extend_from_slice(&adler32(&raw).to_be_bytes());

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend_from_slice(&(width as u32).to_be_bytes());
    ihdr.extend_from_slice(&(height as u32).to_be_bytes());
    ihdr.extend_from_slice(&[8, 0, 0, 0, 0]); // 8-bit, greyscale, deflate, no filter, no interlace
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"tEXt", b"Comment\0pdpo-testkit synthetic HKID card placeholder");
    chunk(&mut png, b"IDAT", &z);
    chunk(&mut png, b"IEND", &[]);
    png
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

const CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0xedb8_8320 } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    !crc
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    // 5552 bytes is the longest run before `b` could overflow u32 (zlib's NMAX).
    for block in data.chunks(5552) {
        for &x in block {
            a += u32::from(x);
            b += a;
        }
        a %= 65_521;
        b %= 65_521;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11e6_0398);
    }

    #[test]
    fn card_is_a_png_with_one_idat() {
        let png = hkid_card("A123456(3)", 42);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), WIDTH as u32);
        assert!(png.windows(4).any(|w| w == b"IDAT"));
        assert!(png.ends_with(&[0xae, 0x42, 0x60, 0x82]), "IEND CRC");
        assert!(png != hkid_card("A123456(3)", 43), "noise varies the bytes");
        assert!(png == hkid_card("A123456(3)", 42), "same noise, same bytes");
    }
}
