//! Notices in English and Traditional Chinese, from replaceable templates.

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use pdpo_core::{Actor, FixedClock, Key};
use pdpo_requests::{
    Error, Language, Ledger, MemoryRequestStore, NewRequest, NoticeContext, NoticeKind, Notices,
    RefusalGround, RefusalInput, RequestKind,
};

fn refused_request(lang: Language) -> (pdpo_requests::Request, NaiveDate) {
    let clock = Arc::new(FixedClock::new(Utc.with_ymd_and_hms(2026, 5, 4, 2, 0, 0).unwrap()));
    let ledger = Ledger::new(MemoryRequestStore::new(), clock);
    let staff = Actor::user("staff-7").unwrap();
    let r = pollster::block_on(
        ledger.receive(NewRequest::new(RequestKind::Access, vec![Key::from(5)]).language(lang), &staff),
    )
    .unwrap();
    let input = RefusalInput {
        grounds: vec![RefusalGround::S20_3_b, RefusalGround::S20_3_d],
        reasons: "REASONS-TEXT".into(),
        other_data_user: Some("Kowloon Payroll Ltd, 1 Nathan Road".into()),
        prejudice: None,
        notice_served_on: "2026-05-05".parse().unwrap(),
    };
    let (r, _) = pollster::block_on(ledger.refuse(r.id, input, &staff)).unwrap();
    let due = ledger.due(&r).unwrap().date;
    (r, due)
}

fn ctx(r: &pdpo_requests::Request, due: NaiveDate) -> NoticeContext {
    NoticeContext::for_request(
        r,
        due,
        "2026-05-05".parse().unwrap(),
        "Wing On Trading Ltd",
        "G/F, 2 Queen's Road",
        "Mr CHAN",
    )
}

#[test]
fn every_builtin_notice_renders_in_both_languages() {
    let notices = Notices::new();
    for lang in [Language::En, Language::ZhHant] {
        let (r, due) = refused_request(lang);
        let c = ctx(&r, due);
        for kind in NoticeKind::ALL {
            let text = notices.render(kind, lang, &c).unwrap();
            assert!(
                text.contains("Wing On Trading Ltd") && text.contains(&r.id.to_string()),
                "{kind:?} {lang:?}"
            );
            let cap = if lang == Language::En { "Cap. 486" } else { "第486章" };
            assert!(text.contains(cap), "{kind:?} {lang:?}: {text}");
        }
    }
}

#[test]
fn refusal_notice_lists_grounds_reasons_and_the_other_data_user() {
    let (r, due) = refused_request(Language::En);
    let text = Notices::new().render(NoticeKind::AccessRefusal, Language::En, &ctx(&r, due)).unwrap();
    assert!(
        text.contains("section 20(3)(b): the information reasonably required to locate the data"),
        "{text}"
    );
    assert!(text.contains("section 20(3)(d)"), "{text}");
    assert!(text.contains("REASONS-TEXT") && text.contains("Kowloon Payroll Ltd"), "{text}");
    let (r, due) = refused_request(Language::ZhHant);
    let text = Notices::new().render(NoticeKind::AccessRefusal, Language::ZhHant, &ctx(&r, due)).unwrap();
    assert!(text.contains("第20(3)(b)條：未有提供為尋找有關資料而合理地需要的資料"), "{text}");
    assert!(text.contains("拒絕依從你的要求"), "{text}");
}

#[test]
fn correction_refusal_attaches_the_opinion_note() {
    let (r, due) = refused_request(Language::En);
    let mut c = ctx(&r, due);
    c.opinion_note = Some("The customer disputes this assessment.".into());
    let text = Notices::new().render(NoticeKind::CorrectionRefusal, Language::En, &c).unwrap();
    assert!(
        text.contains("section 25(2)") && text.contains("The customer disputes this assessment."),
        "{text}"
    );
}

#[test]
fn templates_can_be_replaced_and_broken_ones_are_refused() {
    let (r, due) = refused_request(Language::En);
    let mut notices = Notices::new();
    notices
        .set_template(NoticeKind::DataNotHeld, Language::En, "We hold nothing about you, {{ requestor }}.")
        .unwrap();
    let text = notices.render(NoticeKind::DataNotHeld, Language::En, &ctx(&r, due)).unwrap();
    assert_eq!(text, "We hold nothing about you, Mr CHAN.");
    let err = notices.set_template(NoticeKind::DataHeld, Language::En, "{% if %}").unwrap_err();
    assert!(matches!(err, Error::Template { .. }));
    // A template using an unknown variable fails when rendered instead of printing nothing.
    notices.set_template(NoticeKind::DataHeld, Language::En, "{{ no_such_thing }}").unwrap();
    assert!(notices.render(NoticeKind::DataHeld, Language::En, &ctx(&r, due)).is_err());
}
