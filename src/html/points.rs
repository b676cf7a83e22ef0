//! The bucket points of one account page's chart: one point per ledger
//! entry (the buckets after it) up to [`MAX_POINTS`], then merged into
//! spans of time that double as needed, each keeping its last point, so
//! that the chart of a busy account stays small while its shape and its
//! last values stay exact.

use crate::core::time::Instant;

/// The most bucket points kept per account.
pub const MAX_POINTS: usize = 32;

/// The buckets at the end of a day (or span of days).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// The time of the last entry of the day.
    pub time: Instant,
    pub extra: u64,
    pub subscription: u64,
}

/// The first span of time points are merged into, in seconds.
const FIRST_SPAN: i64 = 60;

/// The bucket points of one account, at most [`MAX_POINTS`], held inline
/// (one more than the cap, for the point that triggers a merge) so that
/// following an entry reads no other allocation.
#[derive(Debug)]
pub struct Points {
    /// Seconds per point: 0 (one point per entry) until the cap is
    /// reached, then a minute, doubled as often as needed.
    span: i64,
    /// The span of the last point (`time / span`), so that an entry
    /// needs not read the last point to know whether it replaces it.
    last_span: i64,
    len: usize,
    points: [Point; MAX_POINTS + 1],
}

impl Default for Points {
    fn default() -> Self {
        let none = Point {
            time: Instant::default(),
            extra: 0,
            subscription: 0,
        };
        Points {
            span: 0,
            last_span: 0,
            len: 0,
            points: [none; MAX_POINTS + 1],
        }
    }
}

/// The span of `time` when points are merged into spans of `span`
/// seconds (`span` > 0).
fn span_of(time: Instant, span: i64) -> i64 {
    time.timestamp().div_euclid(span)
}

impl Points {
    /// Follows one movement: a new point, or the last one overwritten when
    /// both fall in the same span (never while `span` is 0).
    pub(super) fn push(&mut self, point: Point) {
        if self.span > 0 {
            let of = span_of(point.time, self.span);
            if self.len > 0 && of == self.last_span {
                self.put(self.len - 1, point);
                return;
            }
            self.last_span = of;
        }
        self.put(self.len, point);
        self.len += 1;
        if self.len > MAX_POINTS {
            self.merge();
        }
    }

    /// Writes `point` at `at` (below the capacity, which `push` keeps).
    fn put(&mut self, at: usize, point: Point) {
        if let Some(slot) = self.points.get_mut(at) {
            *slot = point;
        }
    }

    /// Doubles the span (a minute at first) until the points merged into
    /// spans, each keeping its last point, fit in [`MAX_POINTS`].
    fn merge(&mut self) {
        while self.len > MAX_POINTS {
            self.span = if self.span == 0 {
                FIRST_SPAN
            } else {
                self.span.saturating_mul(2)
            };
            // Merged from a copy (1 KB, on the stack): simpler than in
            // place, and cheaper than a new vector per merge.
            let old = self.points;
            let mut kept = 0;
            for &point in old.get(..self.len).unwrap_or_default() {
                let of = span_of(point.time, self.span);
                if kept > 0 && of == self.last_span {
                    self.points[kept - 1] = point;
                } else {
                    self.points[kept] = point;
                    kept += 1;
                }
                self.last_span = of;
            }
            self.len = kept;
        }
    }

    /// The points, oldest first.
    pub fn as_slice(&self) -> &[Point] {
        self.points.get(..self.len).unwrap_or_default()
    }

    /// Seconds per point: 0 while every entry has its point.
    pub fn span_seconds(&self) -> i64 {
        self.span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(seconds: i64, extra: u64) -> Point {
        Point {
            time: chrono::DateTime::from_timestamp(seconds, 0).unwrap(),
            extra,
            subscription: 0,
        }
    }

    #[test]
    fn every_entry_has_a_point_up_to_the_cap() {
        let mut points = Points::default();
        for (time, extra) in [(10, 1), (10, 2), (20, 3)] {
            points.push(point(time, extra));
        }
        assert_eq!(
            points.as_slice(),
            [point(10, 1), point(10, 2), point(20, 3)]
        );
        assert_eq!(points.span_seconds(), 0);
    }

    #[test]
    fn past_the_cap_entries_merge_into_spans_keeping_the_last_values() {
        let mut points = Points::default();
        // An entry every 30 s: a minute holds two, so the first span
        // halves them, and again when they fill up.
        let entries = 3 * MAX_POINTS as i64;
        for n in 0..entries {
            points.push(point(n * 30, n as u64));
        }
        let kept = points.as_slice();
        assert!(kept.len() <= MAX_POINTS, "{} points", kept.len());
        assert_eq!(points.span_seconds(), 120);
        // Each span keeps its last entry; the last point is the last value.
        assert_eq!(kept[0], point(90, 3));
        assert_eq!(
            kept.last(),
            Some(&point((entries - 1) * 30, entries as u64 - 1))
        );
        assert!(kept.windows(2).all(|w| w[0].time < w[1].time));
    }
}
