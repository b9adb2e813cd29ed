//! The salvaging JSON reader of share links. serde_json cannot salvage a cut link: it gives
//! an error and nothing else. This parser keeps what was whole before the error (the
//! complete members of an object, so a link cut inside its script keeps its settings) and
//! keeps numbers as their source text, converted later with Rust's correctly rounded
//! `str::parse`, so every JavaScript number survives a link bit for bit.

/// A JSON value; numbers are their source text.
#[derive(Clone, Debug, PartialEq)]
pub enum J {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(String, J)>),
}

/// The parsed value, or as much of it as was whole before an error: an object keeps
/// its complete members (and a partly read object member); an unfinished list, string
/// or number is dropped. `complete` is false when anything was dropped or followed.
pub struct Parsed {
    pub value: Option<J>,
    pub complete: bool,
}

const MAX_DEPTH: usize = 64;

pub fn parse(text: &str) -> Parsed {
    let mut p = Parser {
        b: text.as_bytes(),
        i: 0,
    };
    match p.value(0) {
        Ok(v) => {
            p.ws();
            Parsed {
                value: Some(v),
                complete: p.i == p.b.len(),
            }
        }
        Err(partial) => Parsed {
            value: partial,
            complete: false,
        },
    }
}

struct Parser<'a> {
    b: &'a [u8],
    i: usize,
}

/// An error, with the salvaged part of the value being read (objects only).
type Res = Result<J, Option<J>>;

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }
    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn literal(&mut self, word: &[u8], v: J) -> Res {
        if self.b.get(self.i..self.i + word.len()) == Some(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(None)
        }
    }

    fn value(&mut self, depth: usize) -> Res {
        self.ws();
        match self.peek() {
            Some(b'{') => self.object(depth + 1),
            Some(b'[') => self.array(depth + 1),
            Some(b'"') => self.string().map(J::Str).ok_or(None),
            Some(b't') => self.literal(b"true", J::Bool(true)),
            Some(b'f') => self.literal(b"false", J::Bool(false)),
            Some(b'n') => self.literal(b"null", J::Null),
            Some(b'-' | b'0'..=b'9') => self.number().ok_or(None),
            _ => Err(None),
        }
    }

    fn object(&mut self, depth: usize) -> Res {
        if depth > MAX_DEPTH {
            return Err(None);
        }
        self.i += 1; // '{'
        let mut members: Vec<(String, J)> = Vec::new();
        self.ws();
        if self.eat(b'}') {
            return Ok(J::Obj(members));
        }
        loop {
            self.ws();
            let Some(key) = self.string() else {
                return Err(Some(J::Obj(members)));
            };
            self.ws();
            if !self.eat(b':') {
                return Err(Some(J::Obj(members)));
            }
            match self.value(depth) {
                Ok(v) => members.push((key, v)),
                Err(partial) => {
                    if let Some(p) = partial {
                        members.push((key, p));
                    }
                    return Err(Some(J::Obj(members)));
                }
            }
            self.ws();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b'}') {
                return Ok(J::Obj(members));
            }
            return Err(Some(J::Obj(members)));
        }
    }

    fn array(&mut self, depth: usize) -> Res {
        if depth > MAX_DEPTH {
            return Err(None);
        }
        self.i += 1; // '['
        let mut items = Vec::new();
        self.ws();
        if self.eat(b']') {
            return Ok(J::Arr(items));
        }
        loop {
            // A list cut short means something else than the whole list: dropped.
            items.push(self.value(depth).map_err(|_| None)?);
            self.ws();
            if self.eat(b',') {
                continue;
            }
            if self.eat(b']') {
                return Ok(J::Arr(items));
            }
            return Err(None);
        }
    }

    fn hex4(&mut self) -> Option<u32> {
        let h = self.b.get(self.i..self.i + 4)?;
        let s = std::str::from_utf8(h).ok()?;
        if !s.bytes().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        self.i += 4;
        u32::from_str_radix(s, 16).ok()
    }

    fn string(&mut self) -> Option<String> {
        if !self.eat(b'"') {
            return None;
        }
        let mut out: Vec<u8> = Vec::new();
        loop {
            let start = self.i;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            out.extend_from_slice(self.b.get(start..self.i)?);
            match self.peek()? {
                b'"' => {
                    self.i += 1;
                    return String::from_utf8(out).ok();
                }
                b'\\' => {
                    self.i += 1;
                    let e = self.peek()?;
                    self.i += 1;
                    let c = match e {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            if (0xD800..0xDC00).contains(&hi) {
                                // A surrogate pair, or a lone surrogate (U+FFFD).
                                let save = self.i;
                                let lo = if self.b.get(self.i..self.i + 2) == Some(b"\\u") {
                                    self.i += 2;
                                    self.hex4()
                                } else {
                                    None
                                };
                                match lo {
                                    Some(lo) if (0xDC00..0xE000).contains(&lo) => char::from_u32(
                                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00),
                                    )
                                    .unwrap_or('\u{FFFD}'),
                                    _ => {
                                        self.i = save;
                                        '\u{FFFD}'
                                    }
                                }
                            } else {
                                char::from_u32(hi).unwrap_or('\u{FFFD}')
                            }
                        }
                        _ => return None,
                    };
                    let mut buf = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                _ => return None, // a raw control character
            }
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Option<J> {
        let start = self.i;
        self.eat(b'-');
        if self.eat(b'0') {
            // no leading zeros
        } else if self.digits() == 0 {
            return None;
        }
        if self.eat(b'.') && self.digits() == 0 {
            return None;
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return None;
            }
        }
        let raw = std::str::from_utf8(self.b.get(start..self.i)?).ok()?;
        // A number that ends the text may have been cut: keep it only if more follows.
        if self.i == self.b.len() {
            return None;
        }
        Some(J::Num(raw.to_string()))
    }
}
