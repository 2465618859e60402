//! The one date parser: RFC 3339, a bare date, or a date-time without offset (read as UTC).
//! Article `published_at` and the search parameters `from`/`to` both go through it.

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime, Utc};

use crate::error::truncate_for_message;

/// Which end of a day a bare date stands for, so that `to=2024-06-22` includes that whole day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayEdge {
    /// 00:00:00 of the day.
    Start,
    /// The last microsecond of the day.
    End,
}

/// Parses a date or date-time into UTC; the error text is a hint for the user.
///
/// Years outside 0001..=9999 are refused: chrono reads signed and five-digit years in its
/// formats, but RFC 3339 (what the API writes back) cannot express them, so such an article
/// could be stored and then not be read back.
pub fn parse_datetime(input: &str, edge: DayEdge) -> Result<DateTime<Utc>, String> {
    let dt = parse_any(input.trim(), edge)?;
    if !(1..=9999).contains(&dt.year()) {
        return Err(format!(
            "the year must be between 0001 and 9999, got `{}`",
            truncate_for_message(input.trim())
        ));
    }
    Ok(dt)
}

fn parse_any(s: &str, edge: DayEdge) -> Result<DateTime<Utc>, String> {
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Ok(dt.with_timezone(&Utc));
    }
    // RFC 3339 with a space instead of `T` is common in feeds and spreadsheets.
    if let Ok(dt) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%:z") {
        return Ok(dt.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(naive.and_utc());
        }
    }
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let time = match edge {
            DayEdge::Start => NaiveTime::MIN,
            DayEdge::End => NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999)
                .expect("23:59:59.999999 is a valid time"),
        };
        return Ok(date.and_time(time).and_utc());
    }
    Err(format!(
        "expected RFC 3339 (2024-06-22T05:03:00Z) or YYYY-MM-DD, got `{}`",
        truncate_for_message(s)
    ))
}

/// Formats a UTC time as the API writes it: RFC 3339 with `Z`, seconds precision unless finer.
pub fn format_datetime(dt: &DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_offset_is_stored_in_utc() {
        let dt = parse_datetime("2024-06-22T05:03:00+07:00", DayEdge::Start).unwrap();
        assert_eq!(format_datetime(&dt), "2024-06-21T22:03:00Z");
    }

    /// Found by cargo-fuzz (`article_json`): a signed year was accepted, then the stored
    /// article did not parse back.
    #[test]
    fn years_rfc_3339_cannot_write_are_refused() {
        for s in [
            "-1987-02-26T10:01:0.1",
            "-0001-01-01",
            "10000-01-01T00:00:00",
            "0000-12-31",
        ] {
            assert!(parse_datetime(s, DayEdge::Start).is_err(), "{s}");
        }
        for s in ["0001-01-01", "9999-12-31T23:59:59Z", "1987-02-26T10:01:0.1"] {
            let dt = parse_datetime(s, DayEdge::Start).unwrap();
            let again = parse_datetime(&format_datetime(&dt), DayEdge::Start).unwrap();
            assert_eq!(dt, again, "{s}");
        }
    }

    #[test]
    fn bare_date_takes_the_edge_of_the_day() {
        let start = parse_datetime("2024-06-22", DayEdge::Start).unwrap();
        let end = parse_datetime("2024-06-22", DayEdge::End).unwrap();
        assert_eq!(format_datetime(&start), "2024-06-22T00:00:00Z");
        assert_eq!(end.timestamp(), start.timestamp() + 86_399);
    }

    #[test]
    fn naive_datetime_is_read_as_utc() {
        let dt = parse_datetime("2024-06-22T05:03:00", DayEdge::Start).unwrap();
        assert_eq!(format_datetime(&dt), "2024-06-22T05:03:00Z");
    }

    #[test]
    fn unreadable_date_names_the_input() {
        let err = parse_datetime("22/06/2024", DayEdge::Start).unwrap_err();
        assert!(err.contains("`22/06/2024`"), "{err}");
    }
}
