//! The rows and errors of [`RowReader`] against the csv crate as the
//! reader before it configured it, over input handed out in pieces of
//! arbitrary sizes, so that rows, line breaks, quotes and byte-order
//! marks fall across buffer boundaries.

use super::*;
use proptest::prelude::*;

/// What reading a stream gives: its rows, then how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Read {
    Row(u64, Vec<Vec<u8>>),
    End,
    Error(u64, String),
}

const FAILURE: &str = "disk on fire";

/// `data` handed out `sizes` bytes at a time (cycling), failing once
/// `fail_at` bytes are out.
struct Pieces<'a> {
    data: &'a [u8],
    at: usize,
    sizes: Vec<usize>,
    reads: usize,
    fail_at: Option<usize>,
}

impl io::Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let end = self.fail_at.unwrap_or(self.data.len()).min(self.data.len());
        if self.fail_at == Some(self.at) {
            return Err(io::Error::other(FAILURE));
        }
        let size = self.sizes[self.reads % self.sizes.len()];
        self.reads += 1;
        let n = size.min(buf.len()).min(end - self.at);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// As `CsvSource` reads: a failure on the header row is at line 1.
fn new_reader(data: &[u8], sizes: Vec<usize>, fail_at: Option<usize>) -> Vec<Read> {
    let input = Pieces {
        data,
        at: 0,
        sizes,
        reads: 0,
        fail_at,
    };
    let mut rows = match RowReader::open(input) {
        Ok(rows) => rows,
        Err(e) => return vec![Read::Error(e.line, e.detail)],
    };
    let (mut bytes, mut fields) = (Vec::new(), Vec::new());
    let mut reads = Vec::new();
    loop {
        match rows.next_row(&mut bytes, &mut fields) {
            Ok(Some(line)) => {
                let row = fields.iter().map(|f| bytes[f.clone()].to_vec()).collect();
                reads.push(Read::Row(line, row));
            }
            Ok(None) => reads.push(Read::End),
            Err(e) => {
                let line = if reads.is_empty() { 1 } else { e.line };
                reads.push(Read::Error(line, e.detail));
            }
        }
        if !matches!(reads.last(), Some(Read::Row(..))) {
            return reads;
        }
    }
}

/// The csv crate as the reader before [`RowReader`] used it, over
/// input read whole (a file), past one byte-order mark (inputs with a
/// second are left out: csv_core would skip it too). A row's physical line
/// counts the `\n` bytes before its first byte, which is the first
/// byte past the csv crate's position that is no line break.
fn csv_crate(data: &[u8], fail_at: Option<usize>) -> Vec<Read> {
    let available = &data[..fail_at.unwrap_or(data.len()).min(data.len())];
    if fail_at == Some(0) {
        return vec![Read::Error(0, format!("cannot read: {FAILURE}"))];
    }
    let skipped = if available.starts_with(BYTE_ORDER_MARK) {
        BYTE_ORDER_MARK.len()
    } else {
        0
    };
    let input = Pieces {
        data: &data[skipped..],
        at: 0,
        sizes: vec![usize::MAX],
        reads: 0,
        fail_at: fail_at.map(|at| at - skipped),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let line_at = |position: &csv::Position| {
        let from = position.byte() as usize + skipped;
        let start = available
            .iter()
            .skip(from)
            .position(|&b| b != b'\r' && b != b'\n')
            .map_or(available.len(), |i| from + i);
        available[..start].iter().filter(|&&b| b == b'\n').count() as u64 + 1
    };
    let mut record = csv::ByteRecord::new();
    let mut reads = Vec::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(true) => {
                let line = line_at(record.position().unwrap());
                reads.push(Read::Row(line, record.iter().map(<[u8]>::to_vec).collect()));
            }
            Ok(false) => return [reads, vec![Read::End]].concat(),
            Err(e) => {
                let line = if reads.is_empty() {
                    1
                } else {
                    line_at(record.position().unwrap())
                };
                let csv::ErrorKind::Io(e) = e.kind() else {
                    panic!("not an I/O error: {e}");
                };
                reads.push(Read::Error(line, io_detail(e)));
                return reads;
            }
        }
    }
}

/// Bytes that look like CSV, with the pieces that matter to the
/// reader: quotes, line breaks of every kind, byte-order marks,
/// characters of several bytes, and now and then a line longer than
/// the buffer.
fn csv_ish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        40 => prop::sample::select(b",\"\r\n ab".to_vec()).prop_map(|b| vec![b]),
        4 => any::<u8>().prop_map(|b| vec![b]),
        4 => prop::sample::select(vec![
            "\r\n", "\"\"", "\",", ",\"", "\"\r\n", "\n\n", "\r\r", "\u{feff}", "\u{e9}",
            "  ", "2025-07-01T00:00:00Z,acct-000001,call,,suno,create,t-1,",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => (1usize..300_000, prop::sample::select(b"x,\n\"".to_vec()))
            .prop_map(|(n, b)| vec![b; n]),
    ];
    let start = prop_oneof![Just(Vec::new()), Just(BYTE_ORDER_MARK.to_vec()),];
    (start, prop::collection::vec(piece, 0..120))
        .prop_map(|(start, pieces)| [start, pieces.concat()].concat())
}

fn piece_sizes() -> impl Strategy<Value = Vec<usize>> {
    let size = prop_oneof![1usize..4, 1usize..300, 1usize..400_000];
    prop::collection::vec(size, 1..6)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn rows_are_those_of_the_csv_crate(
        data in csv_ish(),
        sizes in piece_sizes(),
        fail in prop::option::weighted(0.2, any::<prop::sample::Index>()),
    ) {
        let fail_at = fail.map(|i| i.index(data.len() + 1));
        let two_marks = [BYTE_ORDER_MARK, BYTE_ORDER_MARK].concat();
        prop_assume!(!data.starts_with(&two_marks));
        prop_assert_eq!(new_reader(&data, sizes, fail_at), csv_crate(&data, fail_at));
    }
}

#[test]
fn edge_cases_are_those_of_the_csv_crate() {
    let cases: &[&[u8]] = &[
        b"",
        b"\xEF\xBB\xBF",
        b"\xEF\xBB",
        b"a\n\xEF\xBB\xBF\n\xEF\xBB\xBF\"b\"\n",
        b"a\rb\r\nc\n\rd",
        b"\r\n\r\n a \n   \n,\n",
        b"a,b\"c\",\"d\"e,\"f\"\"g\"",
        b"a,\"b\nc\r\nd\",e\r\nf",
        b"\"unclosed\n\n",
        b"a,",
        b"a,\"",
    ];
    for &data in cases {
        for size in [1, 2, 3, 7, usize::MAX] {
            assert_eq!(
                new_reader(data, vec![size], None),
                csv_crate(data, None),
                "{:?} in pieces of {size}",
                String::from_utf8_lossy(data)
            );
        }
    }
}

/// One byte-order mark is skipped; a second is the first field's.
#[test]
fn a_second_byte_order_mark_is_data() {
    let rows = |data: &[u8]| new_reader(data, vec![usize::MAX], None);
    let row = |line, fields: &[&[u8]]| Read::Row(line, fields.iter().map(|f| f.to_vec()).collect());
    assert_eq!(
        rows(b"\xEF\xBB\xBF\xEF\xBB\xBFa,b\n"),
        [row(1, &[b"\xEF\xBB\xBFa", b"b"]), Read::End]
    );
    assert_eq!(
        rows(b"\xEF\xBB\xBF\n\xEF\xBB\xBF\n"),
        [row(2, &[b"\xEF\xBB\xBF"]), Read::End]
    );
}

/// The row limit counts a row's own bytes, line end included, and
/// nothing else: not the rows or empty lines before it.
#[test]
fn long_rows_stop_at_the_limit() {
    let limit = MAX_BUFFERED_ROW_BYTES as usize;
    let too_long = |line| Read::Error(line, too_long(line).detail);
    let last = |data: &[u8]| new_reader(data, vec![usize::MAX], None).pop().unwrap();
    let row_of = |bytes: usize, fill: u8| [vec![fill; bytes - 1], b"\n".to_vec()].concat();
    let after_header = |row: &[u8]| last(&[b"h\n", row, b"z\n"].concat());
    assert_eq!(after_header(&row_of(limit, b'x')), Read::End);
    assert_eq!(after_header(&row_of(limit + 1, b'x')), too_long(2));
    // Quoted, the same limit.
    let mut quoted = row_of(limit, b'x');
    quoted[0] = b'"';
    quoted[limit - 2] = b'"';
    assert_eq!(after_header(&quoted), Read::End);
    let mut quoted = row_of(limit + 1, b'x');
    quoted[0] = b'"';
    quoted[limit - 1] = b'"';
    assert_eq!(after_header(&quoted), too_long(2));
    // Without a line end at the end of the stream.
    assert_eq!(
        last(&[b"h\n".as_slice(), &vec![b'x'; limit]].concat()),
        Read::End
    );
    assert_eq!(
        last(&[b"h\n".as_slice(), &vec![b'x'; limit + 1]].concat()),
        too_long(2)
    );
    // Two long rows in a row, and many empty lines, are fine.
    let long = row_of(limit, b'p');
    assert_eq!(after_header(&[long.as_slice(), &long].concat()), Read::End);
    let data = [b"h\n".as_slice(), &b"\r\n".repeat(5 << 20), b"b\n"].concat();
    assert_eq!(last(&data), Read::End);
    // An unclosed quote swallowing the file.
    let data = [b"h\na,b\n\"".as_slice(), &vec![b'y'; 9 << 20]].concat();
    assert_eq!(last(&data), too_long(3));
}
