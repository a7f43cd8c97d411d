//! End-to-end runs of the `pdpo` binary: the demo on SQLite (and on PostgreSQL), the statutory
//! due date in `--json`, audit verification failing on a tampered row, and bad input giving
//! one line on stderr and a documented exit code.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

fn pdpo(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pdpo"))
        .current_dir(dir)
        .args(args)
        .env_remove("PDPO_DATABASE_URL")
        .env("NO_COLOR", "1")
        .output()
        .expect("the pdpo binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A demo directory with `contacts` contacts, made once per test.
fn demo(contacts: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let o = pdpo(tmp.path(), &["demo", "--dir", "d", "--contacts", contacts, "--json"]);
    assert!(o.status.success(), "demo failed: {}", stderr(&o));
    tmp
}

/// Asserts a failure: the exit code, one line on stderr starting `pdpo: `, no panic or
/// backtrace.
fn assert_one_line_error(o: &Output, code: i32, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("pdpo: "), "{err}");
    assert!(err.contains(needle), "{err:?} should mention {needle:?}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{err}");
}

#[test]
fn demo_writes_its_files_and_the_story_holds() {
    let tmp = demo("60");
    let d = tmp.path().join("d");
    for f in [
        "crm.sqlite",
        "pdpo.toml",
        "retention.toml",
        "pdpo.key",
        "checkpoint.txt",
        "workspace-export.zip",
        "inventory.json",
    ] {
        assert!(d.join(f).is_file(), "{f} written");
    }
    let zips: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("subject-") || n.starts_with("erasure-certificate-"))
        .collect();
    assert_eq!(zips.len(), 2, "{zips:?}");

    // In the demo directory, the defaults find everything.
    let v = pdpo(&d, &["audit", "verify", "--json"]);
    assert!(v.status.success(), "{}", stderr(&v));
    let report: Value = serde_json::from_str(&stdout(&v)).unwrap();
    assert_eq!(report["clean"], true);
    assert!(report["entries"].as_u64().unwrap() > 5);

    // A request with its statutory due date: received 2025-03-10, due 2025-04-22 (s.19(1),
    // counted under IGCO s.71 over Easter 2025).
    let r = pdpo(&d, &["request", "new", "7", "--kind", "access", "--received", "2025-03-10", "--json"]);
    assert!(r.status.success(), "{}", stderr(&r));
    let req: Value = serde_json::from_str(&stdout(&r)).unwrap();
    assert_eq!(req["due_date"], "2025-04-22");
    let id = req["id"].as_str().unwrap().to_owned();
    let list = pdpo(&d, &["request", "list", "--open", "--json"]);
    assert!(stdout(&list).contains(&id));

    // Export for that request, then refuse to overwrite it.
    let e = pdpo(&d, &["export", "subject", "7", "--out", "seven.zip"]);
    assert!(e.status.success(), "{}", stderr(&e));
    assert!(d.join("seven.zip").is_file());
    let again = pdpo(&d, &["export", "subject", "7", "--out", "seven.zip"]);
    assert_one_line_error(&again, 3, "exists");

    // Tamper with the audit log behind pdpo's back: verify exits 1 and says where.
    pdpo_cli_tamper(&d.join("crm.sqlite"));
    let bad = pdpo(&d, &["audit", "verify"]);
    assert_eq!(bad.status.code(), Some(1), "{}", stdout(&bad));
    assert!(stdout(&bad).contains("FAULT"), "{}", stdout(&bad));
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// Alters the body of the first audit row of the newest month with plain SQL.
fn pdpo_cli_tamper(db: &Path) {
    use pdpo::store::sqlx;
    block_on(async {
        let opts = pdpo::store::sqlite_options(&format!("sqlite://{}", db.display())).unwrap();
        let pool = sqlx::SqlitePool::connect_with(opts).await.unwrap();
        let table: String = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE name GLOB '_pdpo_audit_[0-9]*' ORDER BY name DESC LIMIT 1",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let n = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE \"{table}\" SET body = body || x'00' WHERE idx = 0"
        )))
        .execute(&pool)
        .await
        .unwrap()
        .rows_affected();
        assert_eq!(n, 1);
    });
}

#[test]
fn bad_input_is_one_line_and_a_documented_exit_code() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    // No database file.
    let o = pdpo(dir, &["inventory"]);
    assert_one_line_error(&o, 3, "does not exist");
    // A garbled schema, reported with its line.
    std::fs::write(dir.join("crm.sqlite"), b"").unwrap();
    std::fs::write(dir.join("pdpo.toml"), "subject = \"contacts\"\n[entities.contacts\nkey = 1\n").unwrap();
    let o = pdpo(dir, &["inventory"]);
    assert_one_line_error(&o, 3, "pdpo.toml");
    // A wrong URL.
    let o = pdpo(
        dir,
        &["--database-url", "postgres://nobody@127.0.0.1:1/none", "--schema", "missing.toml", "inventory"],
    );
    assert_one_line_error(&o, 3, "missing.toml");
    // A date that is not one.
    let tmp2 = demo("5");
    let d = tmp2.path().join("d");
    let o = pdpo(&d, &["request", "new", "1", "--received", "2025-02-30"]);
    assert_one_line_error(&o, 3, "2025-02-30");
    // An unknown subject.
    let o = pdpo(&d, &["erase", "999999"]);
    assert_one_line_error(&o, 4, "999999");
    let o = pdpo(&d, &["request", "complete", "00000000-0000-0000-0000-000000000000"]);
    assert_one_line_error(&o, 4, "00000000");
    // Nothing half-written: the failed export left no file.
    let o = pdpo(&d, &["export", "subject", "999999", "--out", "x.zip"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(!d.join("x.zip").exists() && !d.join(".x.zip.partial").exists());
    // A demo directory that is not a demo's is refused.
    std::fs::write(dir.join("other").with_extension("txt"), "mine").unwrap();
    let o = pdpo(dir, &["demo", "--dir", ".", "--contacts", "1"]);
    assert_one_line_error(&o, 3, "not made by `pdpo demo`");
}

#[test]
fn scan_reads_stdin_and_files() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("note.txt"), "Call Chan on 9123 4567, HKID A123456(3).\nnothing here\n")
        .unwrap();
    let o = pdpo(tmp.path(), &["scan", "note.txt", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let found: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let cats: Vec<&str> = found.as_array().unwrap().iter().map(|f| f["category"].as_str().unwrap()).collect();
    assert!(cats.contains(&"phone") && cats.contains(&"hkid"), "{cats:?}");
    let text = pdpo(tmp.path(), &["scan", "note.txt"]);
    assert!(!stdout(&text).contains("A123456(3)"), "values are masked in the output");
    let o = pdpo(tmp.path(), &["scan", "missing.txt"]);
    assert_one_line_error(&o, 3, "missing.txt");
}

#[test]
fn demo_on_postgres() {
    use pdpo::store::sqlx::{self, Connection};
    let admin = std::env::var("PDPO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let name = format!("pdpo_cli_e2e_{}", std::process::id());
    let created = block_on(async {
        let mut c = sqlx::PgConnection::connect(&admin).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"))).execute(&mut c).await?;
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut c).await?;
        Ok::<_, sqlx::Error>(())
    });
    if let Err(e) = created {
        assert!(std::env::var_os("CI").is_none(), "PostgreSQL at {admin} is required under CI: {e}");
        eprintln!("skipped: PostgreSQL at {admin} is not reachable ({e})");
        return;
    }
    let (base, _) = admin.rsplit_once('/').unwrap();
    let url = format!("{base}/{name}");
    let tmp = tempfile::tempdir().unwrap();
    let o = pdpo(tmp.path(), &["--database-url", &url, "demo", "--dir", "d", "--contacts", "30", "--json"]);
    let v = pdpo(&tmp.path().join("d"), &["--database-url", &url, "audit", "verify"]);
    let r = pdpo(
        &tmp.path().join("d"),
        &["--database-url", &url, "request", "new", "3", "--received", "2025-03-10", "--json"],
    );
    block_on(async {
        let mut c = sqlx::PgConnection::connect(&admin).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")))
            .execute(&mut c)
            .await
            .unwrap();
    });
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(v.status.success(), "{}", stderr(&v));
    assert!(stdout(&r).contains("2025-04-22"), "{}", stderr(&r));
}

#[test]
fn workspace_lifecycle_with_grace_period() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let ok = |args: &[&str]| {
        let o = pdpo(d, args);
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        stdout(&o)
    };
    ok(&["workspace", "create", "acme"]);
    assert!(d.join("workspaces").is_dir());
    let o = pdpo(d, &["workspace", "create", "acme"]);
    assert_one_line_error(&o, 5, "already exists");
    let o = pdpo(d, &["workspace", "create", "../escape"]);
    assert_one_line_error(&o, 3, "escape");
    assert!(ok(&["workspace", "close", "acme"]).contains("data kept until"));
    // Purging inside the 30-day grace period is refused, and the data stays.
    let o = pdpo(d, &["workspace", "purge", "acme"]);
    assert_one_line_error(&o, 5, "grace period");
    ok(&["workspace", "restore", "acme"]);
    let list: Value = serde_json::from_str(&ok(&["workspace", "list", "--json"])).unwrap();
    assert_eq!(list[0]["name"], "acme");
    assert_eq!(list[0]["state"], "open");
    let o = pdpo(d, &["workspace", "restore", "nobody"]);
    assert_one_line_error(&o, 4, "nobody");
    // Every change is in the control audit log beside the workspaces, and it verifies.
    let db = d.join("workspaces").join("audit.sqlite");
    block_on(async {
        use pdpo::audit::AuditStore;
        let opts = pdpo::store::sqlite_options(&format!("sqlite://{}", db.display()))
            .unwrap()
            .create_if_missing(false);
        let pool = pdpo::store::sqlx::SqlitePool::connect_with(opts).await.unwrap();
        let clock = std::sync::Arc::new(pdpo::core::SystemClock);
        let log =
            pdpo::store::SqlAuditStore::open(pool, pdpo::core::Identifier::from_static("workspaces"), clock)
                .await
                .unwrap();
        assert_eq!(log.head().await.unwrap().size, 3, "create, close, restore; refusals change nothing");
        assert!(pdpo::audit::verify(&log, pdpo::audit::Scope::All).await.unwrap().is_clean());
    });
}
