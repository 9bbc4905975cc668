//! Cursor pages, the same for every list of the API (jobs, webhook deliveries, the usage log):
//! a bounded page size, an opaque cursor that a bad value cannot turn into a 500, and one row
//! more than the page fetched to know whether another page follows.

use std::str::FromStr;

use glimvid_domain::DomainError;

/// The page size of a list when the client names none.
pub const DEFAULT_SIZE: u64 = 20;

/// `limit` checked against 1..=`max`.
pub fn limit(limit: u64, max: u64) -> Result<u64, DomainError> {
    if (1..=max).contains(&limit) {
        Ok(limit)
    } else {
        Err(DomainError::invalid("limit", format!("the page size must be 1 to {max}")))
    }
}

/// The cursor as the list's key type; empty or absent means the first page.
pub fn cursor<T: FromStr>(cursor: Option<&str>) -> Result<Option<T>, DomainError> {
    match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => c.parse().map(Some).map_err(|_| DomainError::invalid("cursor", "cursor is not valid")),
        None => Ok(None),
    }
}

/// Cuts `rows` (fetched with `limit + 1`) to the page, with the cursor of the next page (the
/// key of its last row) when there is one.
pub fn split<T>(mut rows: Vec<T>, limit: u64, key: impl Fn(&T) -> String) -> (Vec<T>, Option<String>) {
    if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        let next = rows.last().map(key);
        (rows, next)
    } else {
        (rows, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_bounded_and_cut() {
        assert_eq!(limit(100, 100).unwrap(), 100);
        assert!(limit(0, 100).is_err() && limit(101, 100).is_err());
        assert_eq!(cursor::<i64>(Some(" 42 ")).unwrap(), Some(42));
        assert_eq!(cursor::<i64>(Some("")).unwrap(), None);
        assert_eq!(cursor::<i64>(Some("x")).unwrap_err().field.as_deref(), Some("cursor"));
        assert_eq!(split(vec![5, 4, 3], 2, |n| n.to_string()), (vec![5, 4], Some("4".to_owned())));
        assert_eq!(split(vec![5, 4], 2, |n| n.to_string()), (vec![5, 4], None));
    }
}
