//! Deterministic generator of large replay inputs for `creditsim`.
//!
//! ```text
//! cargo run --release --example generate -- --accounts N --rows M --seed S --out DIR \
//!     [--days D] [--files K]
//! ```
//!
//! Writes `DIR/plans.csv` and `DIR/events.csv` (or, with `--files K`, the
//! rows split round-robin by account into `DIR/events-0.csv` ..
//! `DIR/events-{K-1}.csv`, each time-sorted) with exactly M data rows in
//! total, starting at 2025-07-01T00:00:00Z and spread over about D days
//! (default 31). The same arguments always give byte-identical files: the
//! only randomness is `ChaCha8Rng::seed_from_u64(S)`, which is portable.
//!
//! The mix looks like a real API: mostly `call` rows over the built-in rule
//! book (RULES.md section 3), some `subscribe`, `purchase`, `refund`,
//! `cancel` and `change_plan`, and a few rows made to hit every business
//! rejection of RULES.md section 6. Accounts are onboarded over the first
//! half of the rows and their first row is usually a `subscribe`.
//!
//! The generator keeps a model of every account (status, plan, anchor,
//! credits, last task) so it can choose realistic rows; it also counts the
//! outcome it expects for every row under the default 24h task window and
//! prints that tally on stderr. The model is O(accounts) memory, never
//! O(rows).

use std::collections::VecDeque;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use creditsim::core::Reason;
use creditsim::core::EVENT_NAMES;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Plan id, price (as written), monthly credits, weight when subscribing.
const PLANS: &[(&str, &str, u64, u32)] = &[
    ("free", "0.00", 0, 20),
    ("tiny", "1.00", 20, 15),
    ("basic", "8.00", 1000, 35),
    ("pro", "30.00", 5000, 22),
    ("studio", "99.00", 20000, 8),
];

/// A plan id that is not in plans.csv (for `unknown_plan`).
const UNKNOWN_PLAN: &str = "enterprise";

/// One operation of the built-in rule book and how often clients call it.
struct Op {
    provider: &'static str,
    operation: &'static str,
    cost: u64,
    weight: u32,
}

const fn op(provider: &'static str, operation: &'static str, cost: u64, weight: u32) -> Op {
    Op {
        provider,
        operation,
        cost,
        weight,
    }
}

/// The built-in rule book (RULES.md section 3) with call weights (sum 100).
const OPS: &[Op] = &[
    op("suno", "create", 10, 14),
    op("suno", "extend", 10, 4),
    op("suno", "cover", 10, 3),
    op("suno", "persona_music", 10, 2),
    op("suno", "concat", 10, 1),
    op("suno", "persona", 10, 1),
    op("suno", "upload", 2, 2),
    op("suno", "get", 0, 25),
    op("riffusion", "create_lyrics", 10, 4),
    op("riffusion", "create_description", 10, 4),
    op("riffusion", "cover", 10, 2),
    op("riffusion", "extend", 10, 2),
    op("riffusion", "replace_section", 10, 1),
    op("riffusion", "swap_sound", 10, 1),
    op("riffusion", "swap_vocals", 10, 1),
    op("riffusion", "upload", 2, 1),
    op("riffusion", "get", 0, 10),
    op("nuro", "create_vocal", 10, 3),
    op("nuro", "create_instrumental", 10, 3),
    op("nuro", "get", 0, 5),
    op("lyrics", "make", 2, 5),
    op("account", "get_credits", 0, 6),
];

/// Indices into [`OPS`] used directly (checked at start-up).
const OP_SUNO_CREATE: usize = 0;
const OP_SUNO_GET: usize = 7;
const OP_GET_CREDITS: usize = OPS.len() - 1;

/// Provider/operation pairs missing from the rule book (`unknown_operation`).
const UNKNOWN_OPS: &[(&str, &str)] = &[
    ("suno", "remix"),
    ("udio", "create"),
    ("riffusion", "create"),
    ("nuro", "extend"),
    ("lyrics", "get"),
];

/// Purchase sizes (all valid multiples of 10).
const PURCHASES: &[u64] = &[10, 50, 100, 100, 200, 500, 1000];

/// Default task window of the engine (RULES.md section 6), in seconds.
const TASK_WINDOW: u32 = 24 * 3600;
/// A follow-up row (duplicate charge, refund) is only written this
/// soon after the original, so it always falls inside the task window.
const FOLLOW_UP_MAX_SECS: u32 = 600;
/// Bound on queued follow-ups (keeps memory O(1) beyond the accounts).
const FOLLOW_UP_CAP: usize = 4096;

/// The business rejection codes, in the library's order (after
/// `malformed` and `out_of_order`, which the generator never writes).
const BUSINESS_REASONS: &[Reason] = Reason::ALL.split_at(2).1;
const R_UNKNOWN_PLAN: usize = 0;
const R_UNKNOWN_OPERATION: usize = 1;
const R_ALREADY_SUBSCRIBED: usize = 2;
const R_NO_ACTIVE: usize = 3;
const R_ALREADY_CANCELLED: usize = 4;
const R_CANCELLATION_PENDING: usize = 5;
const R_INVALID_CREDITS: usize = 6;
const R_DUPLICATE_TASK: usize = 7;
const R_INSUFFICIENT: usize = 8;
const R_UNKNOWN_TASK: usize = 9;
const R_ALREADY_REFUNDED: usize = 10;

/// Event names, indexed by the `E_*` constants below.
const EVENTS: [&str; 6] = EVENT_NAMES;
const E_SUBSCRIBE: usize = 0;
const E_CANCEL: usize = 1;
const E_CHANGE_PLAN: usize = 2;
const E_PURCHASE: usize = 3;
const E_CALL: usize = 4;
const E_REFUND: usize = 5;

// ---------------------------------------------------------------- calendar

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`].
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Unix seconds of 2025-07-01T00:00:00Z, where every file starts.
fn base_unix() -> i64 {
    days_from_civil(2025, 7, 1) * 86_400
}

/// `anchor + k months` (calendar months, day clamped, time of day kept),
/// both as seconds since the base time.
fn add_months(base: i64, anchor: u32, k: u32) -> u32 {
    let abs = base + i64::from(anchor);
    let (y, m, d) = civil_from_days(abs.div_euclid(86_400));
    let sod = abs.rem_euclid(86_400);
    let months = y * 12 + i64::from(m - 1) + i64::from(k);
    let (ny, nm) = (months.div_euclid(12), months.rem_euclid(12) as u32 + 1);
    let nd = d.min(days_in_month(ny, nm));
    let t = days_from_civil(ny, nm, nd) * 86_400 + sod - base;
    u32::try_from(t).unwrap_or(u32::MAX)
}

/// Writes RFC 3339 UTC times, reformatting only when the second changes.
struct TimeFmt {
    base: i64,
    sec: u32,
    buf: [u8; 20],
}

impl TimeFmt {
    fn new(base: i64) -> Self {
        let mut t = TimeFmt {
            base,
            sec: 0,
            buf: *b"0000-00-00T00:00:00Z",
        };
        t.format(0);
        t
    }

    fn format(&mut self, sec: u32) {
        let abs = self.base + i64::from(sec);
        let (y, m, d) = civil_from_days(abs.div_euclid(86_400));
        let sod = abs.rem_euclid(86_400) as u32;
        let b = &mut self.buf;
        let y = y as u32;
        b[0] = b'0' + (y / 1000 % 10) as u8;
        b[1] = b'0' + (y / 100 % 10) as u8;
        b[2] = b'0' + (y / 10 % 10) as u8;
        b[3] = b'0' + (y % 10) as u8;
        for (i, v) in [
            (5, m),
            (8, d),
            (11, sod / 3600),
            (14, sod / 60 % 60),
            (17, sod % 60),
        ] {
            b[i] = b'0' + (v / 10) as u8;
            b[i + 1] = b'0' + (v % 10) as u8;
        }
        self.sec = sec;
    }

    fn get(&mut self, sec: u32) -> &[u8; 20] {
        if sec != self.sec {
            self.format(sec);
        }
        &self.buf
    }
}

// ---------------------------------------------------------------- output

fn push_u64(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

fn push_padded(buf: &mut Vec<u8>, mut v: u64, width: usize) {
    let start = buf.len();
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    let digits = tmp.len() - i;
    buf.resize(start + width.saturating_sub(digits), b'0');
    buf.extend_from_slice(&tmp[i..]);
}

fn push_hex(buf: &mut Vec<u8>, mut v: u64) {
    let mut tmp = [0u8; 16];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b"0123456789abcdef"[(v & 15) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

#[derive(Clone, Copy)]
enum Task {
    None,
    /// `t-<hex>`: the row number of the charge that created it.
    Id(u64),
    /// `t-unknown-<hex>`: never charged by anyone.
    Unknown(u64),
}

/// One events row, before formatting.
struct Row {
    event: usize,
    plan: &'static str,
    provider: &'static str,
    operation: &'static str,
    task: Task,
    credits: Option<u64>,
    /// Expected outcome: `None` accepted, `Some(reason index)` rejected.
    outcome: Option<usize>,
}

impl Row {
    fn new(event: usize) -> Self {
        Row {
            event,
            plan: "",
            provider: "",
            operation: "",
            task: Task::None,
            credits: None,
            outcome: None,
        }
    }
}

// ---------------------------------------------------------------- model

const NEW: u8 = 0;
const ACTIVE: u8 = 1;
const CANCELLING: u8 = 2;
const ENDED: u8 = 3;
const NO_PLAN: u8 = u8::MAX;
const NO_TASK: u64 = u64::MAX;

/// The generator's model of one account (64 bytes).
#[derive(Clone, Copy)]
struct Acct {
    /// Subscription anchor and next boundary, seconds since the base time.
    anchor: u32,
    next_boundary: u32,
    /// Cycle index within the current subscription.
    cycle: u32,
    /// Increases at every cycle start of every subscription of the account.
    serial: u32,
    status: u8,
    plan: u8,
    pending: u8,
    last_op: u8,
    sub: u64,
    extra: u64,
    /// Row number of the last accepted charge, or `NO_TASK`.
    last_task: u64,
    last_task_time: u32,
    last_task_serial: u32,
    last_task_extra: u16,
    last_task_sub: u16,
    last_refunded: bool,
}

impl Acct {
    const NEW: Acct = Acct {
        anchor: 0,
        next_boundary: 0,
        cycle: 0,
        serial: 0,
        status: NEW,
        plan: NO_PLAN,
        pending: NO_PLAN,
        last_op: 0,
        sub: 0,
        extra: 0,
        last_task: NO_TASK,
        last_task_time: 0,
        last_task_serial: 0,
        last_task_extra: 0,
        last_task_sub: 0,
        last_refunded: false,
    };

    fn active(&self) -> bool {
        self.status == ACTIVE || self.status == CANCELLING
    }

    /// Applies every boundary up to and including `now` (RULES.md section 5).
    fn roll(&mut self, base: i64, now: u32) {
        while self.active() && now >= self.next_boundary {
            self.sub = 0;
            if self.status == CANCELLING {
                self.status = ENDED;
                self.plan = NO_PLAN;
                self.pending = NO_PLAN;
                break;
            }
            if self.pending != NO_PLAN {
                self.plan = self.pending;
                self.pending = NO_PLAN;
            }
            self.sub = PLANS[self.plan as usize].2;
            self.cycle += 1;
            self.serial += 1;
            self.next_boundary = add_months(base, self.anchor, self.cycle + 1);
        }
    }
}

/// A row planned for a little later (written only within
/// `FOLLOW_UP_MAX_SECS` of the row that planned it, else dropped).
#[derive(Clone, Copy)]
enum FollowUpKind {
    /// Charge the same task again: `duplicate_task`.
    Duplicate { op: u8 },
    /// Refund the task (a failed generation), or refund it again
    /// (`already_refunded`); dropped unless it is still the last task.
    Refund,
}

#[derive(Clone, Copy)]
struct FollowUp {
    due_row: u64,
    account: u32,
    task: u64,
    /// Time of the row that planned it.
    made: u32,
    kind: FollowUpKind,
}

struct Gen {
    rng: ChaCha8Rng,
    base: i64,
    accounts: Vec<Acct>,
    seen: u64,
    rows: u64,
    onboard_rows: u64,
    op_total: u32,
    plan_total: u32,
    follow_ups: VecDeque<FollowUp>,
}

impl Gen {
    fn pick_plan(&mut self) -> u8 {
        let mut r = self.rng.gen_range(0..self.plan_total);
        for (i, p) in PLANS.iter().enumerate() {
            if r < p.3 {
                return i as u8;
            }
            r -= p.3;
        }
        unreachable!()
    }

    fn pick_op(&mut self) -> usize {
        let mut r = self.rng.gen_range(0..self.op_total);
        for (i, o) in OPS.iter().enumerate() {
            if r < o.weight {
                return i;
            }
            r -= o.weight;
        }
        unreachable!()
    }

    /// Chooses the account of a normal row: a new one while the onboarding
    /// schedule (all accounts seen after half of the rows, front-loaded like
    /// a square root) asks for it, else an existing one, skewed towards the
    /// earliest (heavier) users.
    fn pick_account(&mut self, row: u64) -> (usize, bool) {
        let n = self.accounts.len() as u128;
        let seen = u128::from(self.seen);
        if seen == 0
            || (seen < n
                && seen * seen * u128::from(self.onboard_rows) < n * n * u128::from(row + 1))
        {
            self.seen += 1;
            return (seen as usize, true);
        }
        let r1 = self.rng.gen_range(0..self.seen);
        let idx = if self.rng.gen_ratio(3, 10) {
            r1.min(self.rng.gen_range(0..self.seen))
                .min(self.rng.gen_range(0..self.seen))
        } else {
            r1
        };
        (idx as usize, false)
    }

    fn subscribe(&mut self, a: usize, now: u32, unknown_ratio: (u32, u32)) -> Row {
        let mut row = Row::new(E_SUBSCRIBE);
        let unknown = self.rng.gen_ratio(unknown_ratio.0, unknown_ratio.1);
        let plan = self.pick_plan();
        row.plan = if unknown {
            UNKNOWN_PLAN
        } else {
            PLANS[plan as usize].0
        };
        let base = self.base;
        let acct = &mut self.accounts[a];
        if acct.active() {
            row.outcome = Some(R_ALREADY_SUBSCRIBED);
        } else if unknown {
            row.outcome = Some(R_UNKNOWN_PLAN);
        } else {
            acct.status = ACTIVE;
            acct.plan = plan;
            acct.pending = NO_PLAN;
            acct.anchor = now;
            acct.cycle = 0;
            acct.serial += 1;
            acct.next_boundary = add_months(base, now, 1);
            acct.sub = PLANS[plan as usize].2;
        }
        row
    }

    fn cancel(&mut self, a: usize) -> Row {
        let mut row = Row::new(E_CANCEL);
        let acct = &mut self.accounts[a];
        match acct.status {
            ACTIVE => acct.status = CANCELLING,
            CANCELLING => row.outcome = Some(R_ALREADY_CANCELLED),
            _ => row.outcome = Some(R_NO_ACTIVE),
        }
        row
    }

    fn change_plan(&mut self, a: usize, unknown: bool) -> Row {
        let mut row = Row::new(E_CHANGE_PLAN);
        let current = self.accounts[a].plan;
        let mut plan = self.pick_plan();
        if plan == current {
            plan = self.pick_plan();
        }
        row.plan = if unknown {
            UNKNOWN_PLAN
        } else {
            PLANS[plan as usize].0
        };
        let acct = &mut self.accounts[a];
        match acct.status {
            ACTIVE if unknown => row.outcome = Some(R_UNKNOWN_PLAN),
            ACTIVE => acct.pending = plan,
            CANCELLING => row.outcome = Some(R_CANCELLATION_PENDING),
            _ => row.outcome = Some(R_NO_ACTIVE),
        }
        row
    }

    fn purchase(&mut self, a: usize, invalid: bool) -> Row {
        let mut row = Row::new(E_PURCHASE);
        let credits = if !invalid {
            PURCHASES[self.rng.gen_range(0..PURCHASES.len())]
        } else if self.rng.gen_ratio(1, 5) {
            0
        } else {
            15
        };
        row.credits = Some(credits);
        let acct = &mut self.accounts[a];
        if !acct.active() {
            row.outcome = Some(R_NO_ACTIVE);
        } else if credits == 0 || credits % 10 != 0 {
            row.outcome = Some(R_INVALID_CREDITS);
        } else {
            acct.extra += credits;
        }
        row
    }

    /// A call of rule-book operation `op` (a fresh task id when charged).
    fn call(&mut self, a: usize, op: usize, row_no: u64, now: u32) -> Row {
        let mut row = Row::new(E_CALL);
        let o = &OPS[op];
        row.provider = o.provider;
        row.operation = o.operation;
        let acct = &mut self.accounts[a];
        if o.cost == 0 {
            // Polling: half of the `get` calls name the account's last task
            // (cost-0 calls are never de-duplicated).
            if o.operation == "get" && acct.last_task != NO_TASK && self.rng.gen_bool(0.5) {
                let last = OPS[acct.last_op as usize].provider;
                if matches!(last, "suno" | "riffusion" | "nuro") {
                    row.provider = last;
                }
                row.task = Task::Id(acct.last_task);
            }
            return row;
        }
        row.task = Task::Id(row_no);
        if !acct.active() {
            row.outcome = Some(R_NO_ACTIVE);
        } else if acct.extra + acct.sub < o.cost {
            row.outcome = Some(R_INSUFFICIENT);
        } else {
            let from_extra = acct.extra.min(o.cost);
            acct.extra -= from_extra;
            acct.sub -= o.cost - from_extra;
            acct.last_task = row_no;
            acct.last_task_time = now;
            acct.last_task_serial = acct.serial;
            acct.last_task_extra = from_extra as u16;
            acct.last_task_sub = (o.cost - from_extra) as u16;
            acct.last_refunded = false;
            acct.last_op = op as u8;
            // A client retrying with the same task id, or a generation that
            // fails and is refunded a little later.
            let kind = match self.rng.gen_range(0..1000u32) {
                0..=4 => Some(FollowUpKind::Duplicate { op: op as u8 }),
                5..=29 => Some(FollowUpKind::Refund),
                _ => None,
            };
            if let Some(kind) = kind {
                self.plan_follow_up(a, row_no, row_no, now, kind);
            }
        }
        row
    }

    fn plan_follow_up(&mut self, a: usize, row_no: u64, task: u64, now: u32, kind: FollowUpKind) {
        if self.follow_ups.len() < FOLLOW_UP_CAP {
            self.follow_ups.push_back(FollowUp {
                due_row: row_no + self.rng.gen_range(1..=64),
                account: a as u32,
                task,
                made: now,
                kind,
            });
        }
    }

    /// A refund of the account's last charged task (or of an unknown task
    /// when it has none).
    fn refund_last(&mut self, a: usize, row_no: u64, now: u32) -> Row {
        let mut row = Row::new(E_REFUND);
        let acct = &mut self.accounts[a];
        if acct.last_task == NO_TASK {
            row.task = Task::Unknown(row_no);
            row.outcome = Some(R_UNKNOWN_TASK);
            return row;
        }
        row.task = Task::Id(acct.last_task);
        if now >= acct.last_task_time.saturating_add(TASK_WINDOW) {
            row.outcome = Some(R_UNKNOWN_TASK);
        } else if acct.last_refunded {
            row.outcome = Some(R_ALREADY_REFUNDED);
        } else {
            acct.last_refunded = true;
            acct.extra += u64::from(acct.last_task_extra);
            if acct.active() && acct.serial == acct.last_task_serial {
                acct.sub += u64::from(acct.last_task_sub);
            } // else the subscription part is returned and expired at once
            let task = acct.last_task;
            if self.rng.gen_ratio(1, 20) {
                self.plan_follow_up(a, row_no, task, now, FollowUpKind::Refund);
            }
        }
        row
    }

    fn unknown_op(&mut self, row_no: u64) -> Row {
        let mut row = Row::new(E_CALL);
        let (p, o) = UNKNOWN_OPS[self.rng.gen_range(0..UNKNOWN_OPS.len())];
        row.provider = p;
        row.operation = o;
        row.task = Task::Id(row_no);
        row.outcome = Some(R_UNKNOWN_OPERATION);
        row
    }

    /// The first row of a new account: usually a subscribe.
    fn first_row(&mut self, a: usize, row_no: u64, now: u32) -> Row {
        let r = self.rng.gen_range(0..100u32);
        match r {
            0..=94 => self.subscribe(a, now, (1, 100)),
            95..=96 => self.call(a, OP_GET_CREDITS, row_no, now),
            // A charged call before subscribing: no_active_subscription.
            97..=98 => self.call(a, OP_SUNO_CREATE, row_no, now),
            _ => self.purchase(a, false),
        }
    }

    /// A row of an account without an active subscription.
    fn inactive_row(&mut self, a: usize, row_no: u64, now: u32) -> Row {
        let r = self.rng.gen_range(0..100u32);
        match r {
            0..=49 => self.subscribe(a, now, (1, 50)),
            50..=84 => {
                let op = if self.rng.gen_bool(0.5) {
                    OP_GET_CREDITS
                } else {
                    OP_SUNO_GET
                };
                self.call(a, op, row_no, now)
            }
            85..=94 => {
                let op = loop {
                    let op = self.pick_op();
                    if OPS[op].cost > 0 {
                        break op;
                    }
                };
                self.call(a, op, row_no, now)
            }
            95..=97 => self.purchase(a, false),
            98 => self.cancel(a),
            _ => self.change_plan(a, false),
        }
    }

    /// A row of an account with an active (possibly cancelling) subscription.
    fn active_row(&mut self, a: usize, row_no: u64, now: u32) -> Row {
        let r = self.rng.gen_range(0..10_000u32);
        match r {
            0..=9 => self.subscribe(a, now, (0, 1)),
            10..=29 => self.cancel(a),
            30..=89 => self.change_plan(a, false),
            90..=94 => self.change_plan(a, true),
            95..=244 => {
                let invalid = self.rng.gen_ratio(1, 20);
                self.purchase(a, invalid)
            }
            245..=294 if self.refundable(a, now) || self.rng.gen_ratio(1, 10) => {
                self.refund_last(a, row_no, now)
            }
            295..=304 => {
                let mut row = Row::new(E_REFUND);
                row.task = Task::Unknown(row_no);
                row.outcome = Some(R_UNKNOWN_TASK);
                row
            }
            305..=314 => self.unknown_op(row_no),
            315..=414 if self.accounts[a].status == CANCELLING => {
                // Changing one's mind while cancelling.
                if self.rng.gen_bool(0.5) {
                    self.cancel(a)
                } else {
                    self.change_plan(a, false)
                }
            }
            _ => {
                let op = self.pick_op();
                let acct = &self.accounts[a];
                if OPS[op].cost > acct.extra + acct.sub {
                    // Out of credits: buy some, check the balance, or try
                    // anyway (and get insufficient_credits).
                    let r = self.rng.gen_range(0..100u32);
                    if r < 45 {
                        return self.purchase(a, false);
                    } else if r < 80 {
                        return self.call(a, OP_GET_CREDITS, row_no, now);
                    }
                }
                self.call(a, op, row_no, now)
            }
        }
    }

    /// Whether the last task can be refunded now (charged within the task
    /// window and not refunded yet).
    fn refundable(&self, a: usize, now: u32) -> bool {
        let acct = &self.accounts[a];
        acct.last_task != NO_TASK
            && !acct.last_refunded
            && now < acct.last_task_time.saturating_add(TASK_WINDOW)
    }

    /// A queued follow-up that is due, if any is still close enough in time.
    fn follow_up(&mut self, row_no: u64, now: u32) -> Option<(usize, Row)> {
        while let Some(f) = self.follow_ups.front().copied() {
            if f.due_row > row_no {
                return None;
            }
            self.follow_ups.pop_front();
            let a = f.account as usize;
            if now.saturating_sub(f.made) > FOLLOW_UP_MAX_SECS
                || matches!(f.kind, FollowUpKind::Refund) && f.task != self.accounts[a].last_task
            {
                continue;
            }
            self.accounts[a].roll(self.base, now);
            let acct = &self.accounts[a];
            let row = match f.kind {
                FollowUpKind::Duplicate { op } => {
                    let mut row = Row::new(E_CALL);
                    let o = &OPS[op as usize];
                    row.provider = o.provider;
                    row.operation = o.operation;
                    row.task = Task::Id(f.task);
                    row.outcome = Some(if acct.active() {
                        R_DUPLICATE_TASK
                    } else {
                        R_NO_ACTIVE
                    });
                    row
                }
                FollowUpKind::Refund => self.refund_last(a, row_no, now),
            };
            return Some((a, row));
        }
        None
    }

    fn next_row(&mut self, row_no: u64, now: u32) -> (usize, Row) {
        if let Some(x) = self.follow_up(row_no, now) {
            return x;
        }
        let (a, new) = self.pick_account(row_no);
        self.accounts[a].roll(self.base, now);
        let row = if new {
            self.first_row(a, row_no, now)
        } else if self.accounts[a].active() {
            self.active_row(a, row_no, now)
        } else {
            self.inactive_row(a, row_no, now)
        };
        (a, row)
    }
}

// ---------------------------------------------------------------- main

/// Writes a deterministic plans.csv and events.csv for benchmarking
/// `creditsim replay`: the same arguments always give byte-identical files.
///
/// The shapes of benches/README.md's table come from --days and
/// --accounts: for example `--rows 1000000 --days 365 --accounts 100000` is
/// a year of a 100k-account API, and `--rows 10000000 --days 186 --accounts
/// 1000000` six months of a million accounts.
#[derive(Parser)]
#[command(name = "generate", after_help = EXAMPLES)]
struct Args {
    /// Accounts in the population (acct-000000 ..), onboarded over the
    /// first half of the rows: the number of accounts a replay sees, and
    /// so its end reports' size and its memory per account.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=u64::from(u32::MAX)))]
    accounts: u64,
    /// Data rows written in total (over all files).
    #[arg(long, value_name = "M", default_value_t = 100_000)]
    rows: u64,
    /// Seed of the only randomness (ChaCha8, portable).
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Days the rows span, from 2025-07-01T00:00:00Z: the months of a log,
    /// and so the billing cycles (account-months) a replay rolls over.
    /// In 31 days almost no account reaches its first boundary; with 62 or
    /// more nearly every account crosses one.
    #[arg(long, value_name = "D", default_value_t = 31,
          value_parser = clap::value_parser!(u64).range(1..=3650))]
    days: u64,
    /// Split the rows round-robin by account into events-0.csv ..
    /// events-{K-1}.csv, each time-sorted (0: one events.csv).
    #[arg(long, value_name = "K", default_value_t = 0,
          value_parser = clap::value_parser!(u16).range(0..=4096))]
    files: u16,
    /// Folder for plans.csv and the events (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

const EXAMPLES: &str = "\
Examples:
  generate --accounts 100000 --rows 1000000 --seed 1 --out /tmp/cs1m
  generate --accounts 100000 --rows 1000000 --days 365 --out /tmp/cs1m365
  generate --accounts 1000000 --rows 10000000 --days 186 --out /tmp/cs10m186a1m

On stderr: the rows per event kind and the outcome the generator's own model
of the rules expects for every row (24h task window).";

fn create(path: &Path) -> Result<BufWriter<File>, String> {
    let f = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(BufWriter::with_capacity(1 << 20, f))
}

/// Writes the plan book the rows subscribe to; returns its path.
fn write_plans(out: &Path) -> Result<PathBuf, String> {
    let mut plans = String::from("plan,price_usd,monthly_credits\n");
    for (id, price, credits, _) in PLANS {
        plans.push_str(&format!("{id},{price},{credits}\n"));
    }
    let plans_path = out.join("plans.csv");
    fs::write(&plans_path, plans).map_err(|e| format!("{}: {e}", plans_path.display()))?;
    Ok(plans_path)
}

/// The event files (`events.csv`, or `--files K` of them), each with its
/// header written.
fn open_event_files(args: &Args) -> Result<(Vec<PathBuf>, Vec<BufWriter<File>>), String> {
    let names: Vec<PathBuf> = if args.files == 0 {
        vec![args.out.join("events.csv")]
    } else {
        (0..args.files)
            .map(|k| args.out.join(format!("events-{k}.csv")))
            .collect()
    };
    let mut writers = Vec::with_capacity(names.len());
    for name in &names {
        let mut w = create(name)?;
        w.write_all(b"time,account,event,plan,provider,operation,task,credits\n")
            .map_err(|e| format!("{}: {e}", name.display()))?;
        writers.push(w);
    }
    Ok((names, writers))
}

/// Appends the row's columns after its time: account (its number padded
/// to `width` digits) to credits, and the line end.
fn push_row(line: &mut Vec<u8>, (account, width): (usize, usize), row: &Row) {
    line.extend_from_slice(b",acct-");
    push_padded(line, account as u64, width);
    line.push(b',');
    line.extend_from_slice(EVENTS[row.event].as_bytes());
    line.push(b',');
    line.extend_from_slice(row.plan.as_bytes());
    line.push(b',');
    line.extend_from_slice(row.provider.as_bytes());
    line.push(b',');
    line.extend_from_slice(row.operation.as_bytes());
    line.push(b',');
    match row.task {
        Task::None => {}
        Task::Id(t) => {
            line.extend_from_slice(b"t-");
            push_hex(line, t);
        }
        Task::Unknown(t) => {
            line.extend_from_slice(b"t-unknown-");
            push_hex(line, t);
        }
    }
    line.push(b',');
    if let Some(c) = row.credits {
        push_u64(line, c);
    }
    line.push(b'\n');
}

fn run(args: &Args) -> Result<(), String> {
    assert_eq!(OPS[OP_SUNO_CREATE].operation, "create");
    assert_eq!(OPS[OP_SUNO_GET].operation, "get");
    assert_eq!(OPS[OP_GET_CREDITS].operation, "get_credits");
    let started = Instant::now();
    fs::create_dir_all(&args.out).map_err(|e| format!("{}: {e}", args.out.display()))?;

    let plans_path = write_plans(&args.out)?;
    let (names, mut writers) = open_event_files(args)?;

    let base = base_unix();
    let mut gen = Gen {
        rng: ChaCha8Rng::seed_from_u64(args.seed),
        base,
        accounts: vec![Acct::NEW; args.accounts as usize],
        seen: 0,
        rows: args.rows,
        onboard_rows: (args.rows / 2).max(1),
        op_total: OPS.iter().map(|o| o.weight).sum(),
        plan_total: PLANS.iter().map(|p| p.3).sum(),
        follow_ups: VecDeque::new(),
    };
    let width = (args.accounts - 1).to_string().len().max(6);

    // Time advances in microseconds by a random step of mean span / rows;
    // rows carry whole seconds, so times never decrease.
    let span_us = args.days * 86_400 * 1_000_000;
    let max_step = 2 * (span_us / args.rows.max(1));
    let mut now_us: u64 = 0;
    let mut fmt = TimeFmt::new(base);
    let mut line = Vec::with_capacity(256);
    let mut events = [0u64; 6];
    let mut accepted = 0u64;
    let mut rejected = [0u64; 11];

    for row_no in 0..gen.rows {
        let now = (now_us / 1_000_000) as u32;
        let (a, row) = gen.next_row(row_no, now);

        line.clear();
        line.extend_from_slice(fmt.get(now));
        push_row(&mut line, (a, width), &row);
        let k = if writers.len() == 1 {
            0
        } else {
            a % writers.len()
        };
        writers[k]
            .write_all(&line)
            .map_err(|e| format!("{}: {e}", names[k].display()))?;

        events[row.event] += 1;
        match row.outcome {
            None => accepted += 1,
            Some(r) => rejected[r] += 1,
        }
        if max_step > 0 {
            now_us += gen.rng.gen_range(0..=max_step);
        }
    }
    for (w, name) in writers.iter_mut().zip(&names) {
        w.flush().map_err(|e| format!("{}: {e}", name.display()))?;
    }

    let last = if args.rows == 0 { 0 } else { fmt.sec };
    let first = String::from_utf8_lossy(&TimeFmt::new(base).buf).into_owned();
    let last = String::from_utf8_lossy(fmt.get(last)).into_owned();
    let files = if names.len() == 1 {
        names[0].display().to_string()
    } else {
        format!(
            "{} files {}",
            names.len(),
            args.out.join("events-*.csv").display()
        )
    };
    let mix: Vec<String> = EVENTS
        .iter()
        .zip(events)
        .map(|(e, n)| format!("{e}={n}"))
        .collect();
    let rej: Vec<String> = BUSINESS_REASONS
        .iter()
        .zip(rejected)
        .map(|(r, n)| format!("{r}={n}"))
        .collect();
    eprintln!(
        "generate: wrote {} rows for {} of {} accounts (seed {}) to {} and {}, {first}..{last}, in {:.2}s; events: {}; expected (generator model, 24h task window): accepted={accepted} {}",
        args.rows,
        gen.seen,
        args.accounts,
        args.seed,
        files,
        plans_path.display(),
        started.elapsed().as_secs_f64(),
        mix.join(" "),
        rej.join(" "),
    );
    Ok(())
}

fn main() -> ExitCode {
    match run(&Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::FAILURE
        }
    }
}
