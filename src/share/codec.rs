//! The bytes of a link: the fragment's parts (`v1.` + payload + `&options`), base64url
//! (forgiving on the way in), zlib (an incomplete stream or a bad checksum keeps what was
//! inflated) and the words for what went wrong on the way. What the JSON inside says is
//! the reader's business (`reader.rs`).

use super::{err, short, ShareError, MAX_DECODED_BYTES, MAX_LINK_CHARS, VERSION};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

const B64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The fragment of a payload: `v1.` + base64url of its zlib stream, then `&embed`.
pub(super) fn pack(payload: &str, embed: bool) -> String {
    let packed = miniz_oxide::deflate::compress_to_vec_zlib(payload.as_bytes(), 10);
    let mut out = format!("v{VERSION}.{}", B64.encode(packed));
    if embed {
        out.push_str("&embed");
    }
    out
}

/// The link's version and what follows `v<version>.`, from a fragment with or without `#`
/// or a whole URL. Percent escapes are decoded and whitespace anywhere is dropped first:
/// mail and chat programs break links with spaces, and browsers write them as `%20`.
pub(super) fn fragment(text: &str) -> Result<(u32, String), ShareError> {
    let text = match text.find('#') {
        Some(i) => &text[i + 1..],
        None => text,
    };
    if text.len() > 3 * MAX_LINK_CHARS {
        return err(format!(
            "This share link is too long ({} characters; a link is at most {MAX_LINK_CHARS}): it cannot have been made by the playground.",
            text.len()
        ));
    }
    let text = unescape_and_squeeze(text);
    if text.is_empty() {
        return err("This share link is empty.");
    }
    if text.len() > MAX_LINK_CHARS {
        return err(format!(
            "This share link is too long ({} characters; a link is at most {MAX_LINK_CHARS}): it cannot have been made by the playground.",
            text.len()
        ));
    }
    match split_version(&text) {
        Some((v, rest)) => Ok((v, rest.to_string())),
        None if looks_like_payload(&text) => err(format!(
            "This is not a whole share link: it should start with \"v{VERSION}.\" but starts with {:?}, as if its beginning was cut off. Copy the whole link again.",
            text.chars().take(12).collect::<String>()
        )),
        None => err(format!(
            "This is not a share link: it should start with \"v{VERSION}.\" but starts with {:?}.",
            text.chars().take(12).collect::<String>()
        )),
    }
}

/// `%XX` escapes decoded (when they make text) and whitespace removed.
fn unescape_and_squeeze(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    let s = String::from_utf8_lossy(&out);
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Whether bytes read as the text a payload is: UTF-8 with no control characters (the
/// writer's JSON escapes them all). A cut may split the last character: that one is allowed.
fn clean_text(data: &[u8]) -> bool {
    let valid = match std::str::from_utf8(data) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&data[..e.valid_up_to()]).unwrap_or("")
        }
        Err(_) => return false,
    };
    !valid.chars().any(char::is_control)
}

/// Whether a fragment is clearly the data of a link (long, and nearly all base64url).
fn looks_like_payload(text: &str) -> bool {
    let n = text.chars().count();
    let data = text
        .bytes()
        .filter(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'+' | b'/'))
        .count();
    n >= 24 && data * 10 >= n * 9
}

fn split_version(text: &str) -> Option<(u32, &str)> {
    let rest = text.strip_prefix(['v', 'V'])?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 6 {
        return None;
    }
    let v: u32 = rest[..digits].parse().ok()?;
    let rest = rest[digits..].strip_prefix('.')?;
    Some((v, rest))
}

/// A v1 payload taken out of its base64 and zlib wrapping, with what happened on the way.
pub(super) struct Unpacked {
    /// The JSON text (the readable beginning of it, when damaged).
    pub text: String,
    pub embed: bool,
    /// Warnings about the plain options after the payload.
    pub notes: Vec<String>,
    pub inflate: Inflate,
    /// Invalid UTF-8 was cut off the end.
    pub utf8_cut: bool,
    /// Characters skipped because they cannot be part of base64url.
    pub skipped: usize,
}

/// What follows `v1.`: the payload, then plain options (`&embed`).
pub(super) fn unpack(rest: &str) -> Result<Unpacked, ShareError> {
    let (payload, options) = match rest.find('&') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let mut embed = false;
    let mut notes = Vec::new();
    for opt in options.split('&').filter(|o| !o.is_empty()) {
        let (k, v) = opt.split_once('=').unwrap_or((opt, ""));
        match (k, v) {
            ("embed", "" | "1" | "true" | "yes") => embed = true,
            ("embed", "0" | "false" | "no") => embed = false,
            _ => notes.push(format!(
                "The link option {:?} is not known; it was ignored.",
                short(opt, 40)
            )),
        }
    }

    // base64url, forgiving: standard-alphabet characters are mapped, anything else (line
    // breaks, padding, punctuation a mail program added) is skipped.
    let mut symbols: Vec<u8> = Vec::with_capacity(payload.len());
    let mut skipped = 0usize;
    for b in payload.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' => symbols.push(b),
            b'+' => symbols.push(b'-'),
            b'/' => symbols.push(b'_'),
            _ => skipped += 1,
        }
    }
    if symbols.len() % 4 == 1 {
        symbols.pop(); // a lone trailing symbol holds no whole byte
    }
    let bytes = B64
        .decode(&symbols)
        .map_err(|e| ShareError(format!("This share link could not be read ({e}).")))?;
    if bytes.is_empty() {
        return err("This share link holds no data after \"v1.\": it was cut off.");
    }

    let (mut data, mut inflate) = inflate(&bytes);
    if let Some(nul) = data.iter().position(|&b| b == 0) {
        data.truncate(nul); // JSON never holds a raw NUL; the rest is the unfilled buffer
    }
    // A stream that ends early is a cut link only when what it gave is clean JSON text so
    // far: a changed character makes the decoder write bytes no payload holds (control
    // characters, invalid UTF-8) before it runs out.
    if inflate == Inflate::Truncated && !clean_text(&data) {
        inflate = Inflate::Damaged;
    }
    let text = match std::str::from_utf8(&data) {
        Ok(t) => t,
        // A damaged stream: keep the readable beginning.
        Err(e) => std::str::from_utf8(&data[..e.valid_up_to()]).unwrap_or_default(),
    };
    Ok(Unpacked {
        utf8_cut: text.len() < data.len(),
        text: text.to_string(),
        embed,
        notes,
        inflate,
        skipped,
    })
}

impl Unpacked {
    /// Why a payload with no readable JSON object could not be read.
    pub fn unreadable(&self) -> ShareError {
        let why = match self.inflate {
            Inflate::Ok => "its data is not a playground state",
            Inflate::TooLarge => "it holds more than 64 KiB",
            Inflate::Truncated => "it is cut off",
            Inflate::Checksum | Inflate::Damaged => "it is damaged (characters were changed)",
        };
        ShareError(format!("This share link could not be read: {why}."))
    }

    /// What a person should know about a damaged link (`damaged`: the stream, the text or
    /// the JSON was not whole).
    pub fn damage_warnings(&self, damaged: bool) -> Vec<String> {
        let mut out = Vec::new();
        match self.inflate {
            Inflate::Ok if damaged => out.push(
                "This link is damaged: it could not all be read. What could be read was restored; \
                 the rest takes its defaults. Check the script and settings before you run."
                    .into(),
            ),
            Inflate::Ok => {}
            Inflate::TooLarge => out.push(format!(
                "This link holds more than {} KiB once decoded, more than any link the playground makes; only the beginning was read. Check the script and settings before you run.",
                MAX_DECODED_BYTES / 1024
            )),
            Inflate::Checksum => out.push(
                "This link is damaged (its checksum does not match): some characters were changed. \
                 What could be read was restored; check the script and settings before you run."
                    .into(),
            ),
            Inflate::Damaged => out.push(
                "This link is damaged: some characters were changed, so the rest of it cannot be \
                 read. What could be read was restored; the rest takes its defaults. Check the \
                 script and settings before you run."
                    .into(),
            ),
            Inflate::Truncated => out.push(
                "This link is cut off: it ends early. What could be read was restored; the rest \
                 takes its defaults. Check the script and settings before you run."
                    .into(),
            ),
        }
        if damaged && self.skipped > 0 {
            out.push(format!(
                "The link contained {} character{} that cannot be part of a link (spaces or punctuation); they were skipped.",
                self.skipped,
                if self.skipped == 1 { "" } else { "s" }
            ));
        }
        out
    }
}

/// How inflating the zlib stream went.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Inflate {
    Ok,
    TooLarge,
    Checksum,
    Truncated,
    /// The stream holds invalid data: characters were changed, not only cut off.
    Damaged,
}

fn inflate(bytes: &[u8]) -> (Vec<u8>, Inflate) {
    use miniz_oxide::inflate::{decompress_to_vec_with_limit, decompress_to_vec_zlib_with_limit};
    use miniz_oxide::inflate::{DecompressError, TINFLStatus};
    let classify = |r: Result<Vec<u8>, DecompressError>| match r {
        Ok(v) => (v, Inflate::Ok),
        Err(DecompressError { status, output }) => {
            let kind = match status {
                TINFLStatus::HasMoreOutput => Inflate::TooLarge,
                TINFLStatus::Adler32Mismatch => Inflate::Checksum,
                TINFLStatus::FailedCannotMakeProgress | TINFLStatus::NeedsMoreInput => {
                    Inflate::Truncated
                }
                _ => Inflate::Damaged,
            };
            (output, kind)
        }
    };
    let (out, kind) = classify(decompress_to_vec_zlib_with_limit(bytes, MAX_DECODED_BYTES));
    if kind != Inflate::Ok && out.iter().all(|&b| b == 0) && bytes.len() > 2 {
        // A damaged zlib header: try the deflate stream behind it.
        let (raw, raw_kind) =
            classify(decompress_to_vec_with_limit(&bytes[2..], MAX_DECODED_BYTES));
        if raw.iter().any(|&b| b != 0) {
            let kind = if raw_kind == Inflate::Ok {
                Inflate::Checksum
            } else {
                raw_kind
            };
            return (raw, kind);
        }
    }
    (out, kind)
}
