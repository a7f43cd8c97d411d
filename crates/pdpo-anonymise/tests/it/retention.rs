//! Retention plans executed in resumable, atomic chunks.

use pdpo_anonymise::{Anonymiser, RetentionExecutor};
use pdpo_core::{Actor, DataStore};
use pdpo_retention::{HoldSet, Policy, RetentionPlan};
use pdpo_testkit::load::block_on;

use crate::support::{crm, dump};

const POLICY: &str = r#"
[[rules]]
name = "stale-leads"
entity = "contacts"
when = { status = "lead" }
anchor = "last_activity"
period = "P1Y"
action = "anonymise"
basis = "Leads with no activity for a year are no longer needed"
statutory = false

[[rules]]
name = "old-attachments"
entity = "attachments"
anchor = "created"
period = "P1Y"
action = "delete"
basis = "Uploaded files are kept one year"
statutory = false
"#;

fn executor() -> RetentionExecutor {
    RetentionExecutor::new(Anonymiser::hong_kong().unwrap(), Actor::system("retention").unwrap())
}

#[test]
fn crash_mid_run_resumes_to_the_same_result() {
    let (_, a) = crm(30);
    let (_, b) = crm(30);
    let policy = Policy::from_toml_str(POLICY, None, a.store.schema()).unwrap();
    let holds = HoldSet::new();
    let now = pdpo_testkit::reference_now();
    let ex = executor();

    // Uninterrupted.
    let mut plan_a = RetentionPlan::new(&policy, now, 0);
    let total = block_on(ex.run_to_end(&a.store, &mut plan_a, &policy, &holds, 7, |_| {})).unwrap();
    assert!(total.anonymised > 0 && total.deleted > 0, "{total:?}");

    // Interrupted: a failure in the middle of several chunks; the saved plan resumes.
    let mut plan_b = RetentionPlan::new(&policy, now, 0);
    let mut failures = 0;
    let mut chunk = 0;
    loop {
        let saved = plan_b.clone();
        let saved_dump = dump(&b.store);
        if chunk % 3 == 1 {
            b.store.inject_failure_at(0);
        }
        chunk += 1;
        match block_on(ex.run_chunk(&b.store, &mut plan_b, &policy, &holds, 7)) {
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => {
                failures += 1;
                assert_eq!(plan_b, saved, "a failed chunk moved the plan");
                assert_eq!(dump(&b.store), saved_dump, "a failed chunk wrote something");
                // Simulate a restart from the saved state (serde round trip).
                let json = pdpo_core::serde_json::to_string(&plan_b).unwrap();
                plan_b = pdpo_core::serde_json::from_str(&json).unwrap();
            }
        }
    }
    block_on(ex.finish(&b.store, &plan_b)).unwrap();
    assert!(failures > 0);
    assert_eq!(dump(&a.store), dump(&b.store));
    assert_eq!(plan_a.summary(), plan_b.summary());

    // A second pass changes nothing.
    let before = dump(&a.store);
    let mut again = RetentionPlan::new(&policy, now, 0);
    let r = block_on(ex.run_to_end(&a.store, &mut again, &policy, &holds, 50, |_| {})).unwrap();
    assert_eq!((r.anonymised, r.deleted), (0, 0), "{r:?}");
    assert_eq!(dump(&a.store), before);
}
