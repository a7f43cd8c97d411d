//! The plaintext encoding of a [`Value`] inside an envelope: one type byte, then the content.
//!
//! | byte | value | content |
//! |---|---|---|
//! | `t` | text | UTF-8 |
//! | `b` | bytes | raw |
//! | `i` | int | 8 bytes big-endian |
//! | `d` | decimal | canonical text |
//! | `f` | float | 8 bytes big-endian IEEE 754 |
//! | `?` | bool | 1 byte, 0 or 1 |
//! | `u` | uuid | 16 bytes |
//! | `s` | timestamp | RFC 3339 text |
//! | `D` | date | `YYYY-MM-DD` |
//! | `j` | json | JSON text |
//!
//! `Null` is never encrypted (it stays `Null`) and `Shredded` cannot be encrypted.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use pdpo_core::Value;
use zeroize::Zeroizing;

/// The plaintext bytes of `value`; `None` for `Null` and `Shredded` (and any future variant).
pub fn encode_value(value: &Value) -> Option<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::new());
    match value {
        Value::Text(s) => {
            out.push(b't');
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bytes(b) => {
            out.push(b'b');
            out.extend_from_slice(b);
        }
        Value::Int(i) => {
            out.push(b'i');
            out.extend_from_slice(&i.to_be_bytes());
        }
        Value::Decimal(d) => {
            out.push(b'd');
            out.extend_from_slice(d.as_str().as_bytes());
        }
        Value::Float(x) => {
            out.push(b'f');
            out.extend_from_slice(&x.to_be_bytes());
        }
        Value::Bool(b) => {
            out.push(b'?');
            out.push(u8::from(*b));
        }
        Value::Uuid(u) => {
            out.push(b'u');
            out.extend_from_slice(u.as_bytes());
        }
        Value::Timestamp(t) => {
            out.push(b's');
            out.extend_from_slice(t.to_rfc3339_opts(SecondsFormat::AutoSi, true).as_bytes());
        }
        Value::Date(d) => {
            out.push(b'D');
            out.extend_from_slice(d.to_string().as_bytes());
        }
        Value::Json(j) => {
            out.push(b'j');
            out.extend_from_slice(j.to_string().as_bytes());
        }
        _ => return None,
    }
    Some(out)
}

/// The value encoded by [`encode_value`]; `None` if the bytes are malformed.
pub fn decode_value(bytes: &[u8]) -> Option<Value> {
    let (&tag, rest) = bytes.split_first()?;
    let text = || std::str::from_utf8(rest).ok();
    Some(match tag {
        b't' => Value::Text(text()?.to_owned()),
        b'b' => Value::Bytes(rest.to_vec()),
        b'i' => Value::Int(i64::from_be_bytes(rest.try_into().ok()?)),
        b'd' => Value::Decimal(text()?.parse().ok()?),
        b'f' => Value::Float(f64::from_be_bytes(rest.try_into().ok()?)),
        b'?' => match rest {
            [0] => Value::Bool(false),
            [1] => Value::Bool(true),
            _ => return None,
        },
        b'u' => Value::Uuid(uuid_from(rest)?),
        b's' => Value::Timestamp(DateTime::parse_from_rfc3339(text()?).ok()?.with_timezone(&Utc)),
        b'D' => Value::Date(text()?.parse::<NaiveDate>().ok()?),
        b'j' => Value::Json(serde_json::from_str(text()?).ok()?),
        _ => return None,
    })
}

fn uuid_from(bytes: &[u8]) -> Option<uuid::Uuid> {
    let arr: [u8; 16] = bytes.try_into().ok()?;
    Some(uuid::Uuid::from_bytes(arr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encryptable_value_round_trips() {
        let values = vec![
            Value::from("陳大文 chan@example.hk"),
            Value::Bytes(vec![0, 1, 255]),
            Value::Int(-91234567),
            Value::Decimal("12.50".parse().unwrap()),
            Value::Float(1.5),
            Value::Bool(true),
            Value::Timestamp(
                DateTime::parse_from_rfc3339("2026-03-02T09:00:00.123Z").unwrap().with_timezone(&Utc),
            ),
            Value::Date(NaiveDate::from_ymd_opt(1980, 2, 29).unwrap()),
            Value::Json(serde_json::json!({"emails": ["a@b.hk"]})),
        ];
        for v in values {
            let bytes = encode_value(&v).unwrap();
            assert_eq!(decode_value(&bytes).unwrap(), v);
        }
        assert!(encode_value(&Value::Null).is_none());
        assert!(encode_value(&Value::Shredded).is_none());
        assert!(decode_value(b"").is_none());
        assert!(decode_value(b"i\x01").is_none());
        assert!(decode_value(b"zzz").is_none());
    }
}
