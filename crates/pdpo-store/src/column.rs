//! Column metadata, and conversions between [`Value`]s and bound or fetched SQL values.

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use pdpo_core::{ColumnInfo, ColumnType, Value};

use crate::sql::{Bind, Dialect, Quoted};

/// The PostgreSQL type of a column (`udt_name`), for casts and decoding. `Unknown` on SQLite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PgType {
    Int2,
    Int4,
    Int8,
    Numeric,
    Float4,
    Float8,
    Bool,
    Text,
    Varchar,
    Bytea,
    Uuid,
    Timestamptz,
    Timestamp,
    Date,
    Json,
    Jsonb,
    Int4Array,
    Int8Array,
    TextArray,
    UuidArray,
    /// Any other type: read as text, written without a cast.
    Unknown,
}

impl PgType {
    /// From `information_schema.columns.udt_name`.
    pub(crate) fn from_udt(udt: &str) -> Self {
        match udt {
            "int2" => Self::Int2,
            "int4" => Self::Int4,
            "int8" => Self::Int8,
            "numeric" => Self::Numeric,
            "float4" => Self::Float4,
            "float8" => Self::Float8,
            "bool" => Self::Bool,
            "text" | "bpchar" => Self::Text,
            "varchar" => Self::Varchar,
            "bytea" => Self::Bytea,
            "uuid" => Self::Uuid,
            "timestamptz" => Self::Timestamptz,
            "timestamp" => Self::Timestamp,
            "date" => Self::Date,
            "json" => Self::Json,
            "jsonb" => Self::Jsonb,
            "_int4" => Self::Int4Array,
            "_int8" => Self::Int8Array,
            "_text" | "_varchar" => Self::TextArray,
            "_uuid" => Self::UuidArray,
            _ => Self::Unknown,
        }
    }

    /// The cast applied to placeholders for this column: a constant type name.
    pub(crate) fn cast(self) -> Option<&'static str> {
        Some(match self {
            Self::Int2 => "smallint",
            Self::Int4 => "integer",
            Self::Int8 => "bigint",
            Self::Numeric => "numeric",
            Self::Float4 => "real",
            Self::Float8 => "double precision",
            Self::Bool => "boolean",
            Self::Text | Self::Varchar => "text",
            Self::Bytea => "bytea",
            Self::Uuid => "uuid",
            Self::Timestamptz => "timestamptz",
            Self::Timestamp => "timestamp",
            Self::Date => "date",
            Self::Json => "json",
            Self::Jsonb => "jsonb",
            Self::Int4Array => "integer[]",
            Self::Int8Array => "bigint[]",
            Self::TextArray => "text[]",
            Self::UuidArray => "uuid[]",
            Self::Unknown => return None,
        })
    }

    /// Whether the column is selected as `CAST(col AS text)` (no native decoding without extra
    /// sqlx features).
    pub(crate) fn read_as_text(self) -> bool {
        matches!(self, Self::Numeric | Self::Unknown)
    }

    fn is_array(self) -> bool {
        matches!(self, Self::Int4Array | Self::Int8Array | Self::TextArray | Self::UuidArray)
    }

    fn column_type(self) -> ColumnType {
        match self {
            Self::Int2 | Self::Int4 | Self::Int8 => ColumnType::Int,
            Self::Numeric => ColumnType::Decimal,
            Self::Float4 | Self::Float8 => ColumnType::Float,
            Self::Bool => ColumnType::Bool,
            Self::Text | Self::Varchar => ColumnType::Text,
            Self::Bytea => ColumnType::Bytes,
            Self::Uuid => ColumnType::Uuid,
            Self::Timestamptz | Self::Timestamp => ColumnType::Timestamp,
            Self::Date => ColumnType::Date,
            Self::Json | Self::Jsonb => ColumnType::Json,
            Self::Int4Array | Self::Int8Array | Self::TextArray | Self::UuidArray => ColumnType::Array,
            Self::Unknown => ColumnType::Other,
        }
    }
}

/// The column type of a PostgreSQL column, from its `udt_name` (`ARRAY` of other element types
/// included).
pub(crate) fn pg_column_type(data_type: &str, udt: &str) -> ColumnType {
    if data_type == "ARRAY" {
        return ColumnType::Array;
    }
    PgType::from_udt(udt).column_type()
}

/// The column type of a SQLite column from its declared type (SQLite's affinity rules are too
/// loose to tell JSON from text, so common declared names are recognised), and a length bound
/// from `VARCHAR(n)`.
pub(crate) fn sqlite_column_type(declared: &str) -> (ColumnType, Option<u32>) {
    let d = declared.trim().to_ascii_uppercase();
    let base = d.split('(').next().unwrap_or("").trim();
    let len = d
        .split_once('(')
        .and_then(|(_, rest)| rest.split([')', ',']).next())
        .and_then(|n| n.trim().parse().ok());
    let ty = match base {
        "JSON" | "JSONB" => ColumnType::Json,
        "BOOLEAN" | "BOOL" => ColumnType::Bool,
        "DECIMAL" | "NUMERIC" | "MONEY" => ColumnType::Decimal,
        "UUID" => ColumnType::Uuid,
        "TIMESTAMP" | "TIMESTAMPTZ" | "DATETIME" | "TIMESTAMP WITH TIME ZONE" => ColumnType::Timestamp,
        "DATE" => ColumnType::Date,
        "" | "BLOB" => ColumnType::Bytes,
        b if b.contains("INT") => ColumnType::Int,
        b if b.contains("CHAR") || b.contains("CLOB") || b.contains("TEXT") => ColumnType::Text,
        b if b.contains("REAL") || b.contains("FLOA") || b.contains("DOUB") => ColumnType::Float,
        _ => ColumnType::Other,
    };
    let len = if ty == ColumnType::Text { len } else { None };
    (ty, len)
}

/// One live column of a table this store reads.
#[derive(Debug, Clone)]
pub(crate) struct Col {
    /// Column name.
    pub(crate) name: String,
    /// Quoted name.
    pub(crate) quoted: Quoted,
    /// Type used to read and write values: the schema's declared type, or the introspected one.
    pub(crate) ty: ColumnType,
    /// Introspected type.
    pub(crate) live: ColumnInfo,
    /// PostgreSQL type detail.
    pub(crate) pg: PgType,
}

fn json_text(j: &serde_json::Value) -> String {
    j.to_string()
}

fn ts_text(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// The bind for writing `v` into `col`. The error is a reason without the value.
pub(crate) fn to_bind(v: &Value, col: &Col, dialect: Dialect) -> Result<Bind, String> {
    Ok(match (dialect, v) {
        (_, Value::Null) => Bind::Null,
        (_, Value::Shredded) => return Err("a shredded value cannot be written".to_owned()),
        (_, Value::Bool(b)) => Bind::Bool(*b),
        (_, Value::Int(i)) => Bind::Int(*i),
        (_, Value::Float(f)) => Bind::Float(*f),
        (_, Value::Text(s)) => Bind::text(s.as_str()),
        (_, Value::Bytes(b)) => Bind::Bytes(b.clone()),
        (_, Value::Decimal(d)) => Bind::text(d.as_str()),
        (Dialect::Sqlite, Value::Uuid(u)) => Bind::text(u.hyphenated().to_string()),
        (Dialect::Sqlite, Value::Timestamp(t)) => Bind::text(ts_text(t)),
        (Dialect::Sqlite, Value::Date(d)) => Bind::text(d.format("%Y-%m-%d").to_string()),
        (Dialect::Sqlite, Value::Json(j)) => Bind::text(json_text(j)),
        (Dialect::Postgres, Value::Uuid(u)) => Bind::Uuid(*u),
        (Dialect::Postgres, Value::Timestamp(t)) => Bind::Timestamp(*t),
        (Dialect::Postgres, Value::Date(d)) => Bind::Date(*d),
        (Dialect::Postgres, Value::Json(j)) if col.pg.is_array() => pg_array(j, col.pg)?,
        (Dialect::Postgres, Value::Json(j)) => Bind::text(json_text(j)),
        _ => return Err(format!("a {} value cannot be written here", v.kind())),
    })
}

/// A JSON array as a PostgreSQL array bind.
fn pg_array(j: &serde_json::Value, ty: PgType) -> Result<Bind, String> {
    let serde_json::Value::Array(items) = j else {
        return Err("an array column needs a JSON array".to_owned());
    };
    let bad = || "an array element has the wrong type".to_owned();
    Ok(match ty {
        PgType::Int4Array | PgType::Int8Array => {
            Bind::IntArray(items.iter().map(|e| e.as_i64().ok_or_else(bad)).collect::<Result<_, _>>()?)
        }
        PgType::UuidArray => Bind::UuidArray(
            items
                .iter()
                .map(|e| e.as_str().and_then(|s| s.parse().ok()).ok_or_else(bad))
                .collect::<Result<_, _>>()?,
        ),
        _ => Bind::TextArray(
            items
                .iter()
                .map(|e| match e {
                    serde_json::Value::String(s) => Ok(s.clone()),
                    serde_json::Value::Number(n) => Ok(n.to_string()),
                    _ => Err(bad()),
                })
                .collect::<Result<_, _>>()?,
        ),
    })
}

/// Parses text read from a column of type `ty`; text that does not parse stays text.
pub(crate) fn from_text(s: String, ty: ColumnType) -> Value {
    match ty {
        ColumnType::Json | ColumnType::Array => {
            serde_json::from_str(&s).map_or_else(|_| Value::Text(s), Value::Json)
        }
        ColumnType::Decimal => s.parse().map_or_else(|_| Value::Text(s), Value::Decimal),
        ColumnType::Timestamp => parse_timestamp(&s).map_or_else(|| Value::Text(s), Value::Timestamp),
        ColumnType::Date => {
            NaiveDate::parse_from_str(&s, "%Y-%m-%d").map_or_else(|_| Value::Text(s), Value::Date)
        }
        ColumnType::Uuid => s.parse().map_or_else(|_| Value::Text(s), Value::Uuid),
        ColumnType::Bool => match s.as_str() {
            "1" | "true" | "t" | "TRUE" => Value::Bool(true),
            "0" | "false" | "f" | "FALSE" => Value::Bool(false),
            _ => Value::Text(s),
        },
        ColumnType::Int => s.parse().map_or_else(|_| Value::Text(s), Value::Int),
        _ => Value::Text(s),
    }
}

/// Parses text borrowed from a row: like [`from_text`], copying the text only when it stays
/// text.
#[cfg(feature = "sqlite")]
pub(crate) fn from_str(s: &str, ty: ColumnType) -> Value {
    let parsed = match ty {
        ColumnType::Json | ColumnType::Array => serde_json::from_str(s).ok().map(Value::Json),
        ColumnType::Decimal => s.parse().ok().map(Value::Decimal),
        ColumnType::Timestamp => parse_timestamp(s).map(Value::Timestamp),
        ColumnType::Date => NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(Value::Date),
        ColumnType::Uuid => s.parse().ok().map(Value::Uuid),
        ColumnType::Bool => match s {
            "1" | "true" | "t" | "TRUE" => Some(Value::Bool(true)),
            "0" | "false" | "f" | "FALSE" => Some(Value::Bool(false)),
            _ => None,
        },
        ColumnType::Int => s.parse().ok().map(Value::Int),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::Text(s.to_owned()))
}

/// An integer read from a column of type `ty`.
pub(crate) fn from_int(i: i64, ty: ColumnType) -> Value {
    match ty {
        ColumnType::Bool => Value::Bool(i != 0),
        ColumnType::Decimal => i.to_string().parse().map_or(Value::Int(i), Value::Decimal),
        ColumnType::Float => Value::Float(i as f64),
        ColumnType::Json | ColumnType::Array => Value::Json(i.into()),
        ColumnType::Timestamp => DateTime::from_timestamp(i, 0).map_or(Value::Int(i), Value::Timestamp),
        _ => Value::Int(i),
    }
}

/// A float read from a column of type `ty`.
pub(crate) fn from_float(f: f64, ty: ColumnType) -> Value {
    match ty {
        ColumnType::Decimal => f.to_string().parse().map_or(Value::Float(f), Value::Decimal),
        ColumnType::Json | ColumnType::Array => {
            serde_json::Number::from_f64(f).map_or(Value::Float(f), |n| Value::Json(n.into()))
        }
        _ => Value::Float(f),
    }
}

/// Bytes read from a column of type `ty`.
pub(crate) fn from_bytes(b: Vec<u8>, ty: ColumnType) -> Value {
    match ty {
        ColumnType::Uuid if b.len() == 16 => uuid::Uuid::from_slice(&b).map_or(Value::Bytes(b), Value::Uuid),
        ColumnType::Json | ColumnType::Array | ColumnType::Text => match String::from_utf8(b) {
            Ok(s) => from_text(s, ty),
            Err(e) => Value::Bytes(e.into_bytes()),
        },
        _ => Value::Bytes(b),
    }
}

fn parse_timestamp(s: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    if let Ok(t) = DateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f%:z") {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|n| n.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_declared_types() {
        assert_eq!(sqlite_column_type("INTEGER"), (ColumnType::Int, None));
        assert_eq!(sqlite_column_type("varchar(120)"), (ColumnType::Text, Some(120)));
        assert_eq!(sqlite_column_type("JSON"), (ColumnType::Json, None));
        assert_eq!(sqlite_column_type("NUMERIC(10,2)"), (ColumnType::Decimal, None));
        assert_eq!(sqlite_column_type("DATETIME"), (ColumnType::Timestamp, None));
        assert_eq!(sqlite_column_type("double"), (ColumnType::Float, None));
    }

    #[test]
    fn text_round_trips() {
        let t = DateTime::from_timestamp(1_700_000_000, 123_000_000).unwrap();
        assert_eq!(from_text(ts_text(&t), ColumnType::Timestamp), Value::Timestamp(t));
        assert_eq!(
            from_text("2023-11-14 22:13:20".into(), ColumnType::Timestamp),
            Value::Timestamp(DateTime::from_timestamp(1_700_000_000, 0).unwrap())
        );
        assert_eq!(from_text("[1,4]".into(), ColumnType::Array), Value::Json(serde_json::json!([1, 4])));
        assert_eq!(from_text("not json".into(), ColumnType::Json), Value::Text("not json".into()));
        assert_eq!(from_float(880.5, ColumnType::Decimal).render(), "880.5");
        assert_eq!(from_int(12, ColumnType::Decimal).render(), "12");
    }

    #[test]
    fn borrowed_text_parses_as_owned_text() {
        let types = [
            ColumnType::Json,
            ColumnType::Array,
            ColumnType::Decimal,
            ColumnType::Timestamp,
            ColumnType::Date,
            ColumnType::Uuid,
            ColumnType::Bool,
            ColumnType::Int,
            ColumnType::Text,
            ColumnType::Float,
        ];
        let texts = [
            "[1,4]",
            "{\"vip\":true}",
            "not json",
            "880.50",
            "2023-11-14 22:13:20",
            "2023-11-14T22:13:20.5Z",
            "2024-02-29",
            "67e55044-10b1-426f-9247-bb680e5fe0c8",
            "TRUE",
            "0",
            "-17",
            "",
            "CHAN Tai Man",
        ];
        for ty in types {
            for t in texts {
                assert_eq!(from_str(t, ty), from_text(t.to_owned(), ty), "{t:?} as {ty:?}");
            }
        }
    }
}
