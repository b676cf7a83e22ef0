//! Account names in the journal: the characters hledger and ledger read
//! as part of a name are kept, the rest written as `%XX`, so every
//! customer id makes one valid, distinct account.

/// Whether `b` is written as itself: `A-Z a-z 0-9 _ . -`.
fn is_plain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

/// `b` as `%` and two upper-case hex digits.
fn percent(b: u8) -> [u8; 3] {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    [b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xF)]]
}

/// Writes `s` percent-encoded (see the module docs) to `out`.
pub fn escape_into(out: &mut String, s: &str) {
    let mut escaped = Vec::with_capacity(s.len());
    push_escaped(&mut escaped, s);
    // Plain bytes and `%XX` are all ASCII: one char each.
    out.extend(escaped.iter().map(|&b| char::from(b)));
}

/// [`escape_into`] for the writer's byte buffers. Runs of plain bytes are
/// copied whole: most ids are a single run.
pub(super) fn push_escaped(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        out.push(b'%');
        return;
    }
    let mut run = 0;
    for (at, &b) in bytes.iter().enumerate() {
        if !is_plain(b) {
            out.extend_from_slice(&bytes[run..at]);
            out.extend_from_slice(&percent(b));
            run = at + 1;
        }
    }
    out.extend_from_slice(&bytes[run..]);
}

/// `s` percent-encoded (see the module docs): `al ice:1` gives
/// `al%20ice%3A1`.
///
/// ```
/// use creditsim::report::journal::escape;
/// assert_eq!(escape("acct-42"), "acct-42");
/// assert_eq!(escape("al ice:1"), "al%20ice%3A1");
/// assert_eq!(escape("é;@"), "%C3%A9%3B%40");
/// ```
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    escape_into(&mut out, s);
    out
}
