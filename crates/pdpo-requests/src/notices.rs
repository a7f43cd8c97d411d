//! Written notices drafted from runtime templates, in English and Traditional Chinese.
//!
//! Templates are [minijinja](https://docs.rs/minijinja) text templates; replace any of them with
//! [`Notices::set_template`]. Every template receives a [`NoticeContext`].

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::{Error, Language, Request, Result};

/// Which notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NoticeKind {
    /// s.19(1)(a): the data user holds the data; a copy is supplied.
    DataHeld,
    /// s.19(1)(b): the data user does not hold the data (a written reply is still required).
    DataNotHeld,
    /// s.19(2): unable to comply within 40 days; complying in part, the rest as soon as practicable.
    PartialCompliance,
    /// s.21(1): refusal of an access request, with reasons.
    AccessRefusal,
    /// s.25(1): refusal of a correction request, with reasons and, for opinion data, the note (s.25(2)).
    CorrectionRefusal,
}

impl NoticeKind {
    /// Every kind.
    pub const ALL: [NoticeKind; 5] = [
        Self::DataHeld,
        Self::DataNotHeld,
        Self::PartialCompliance,
        Self::AccessRefusal,
        Self::CorrectionRefusal,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::DataHeld => "data_held",
            Self::DataNotHeld => "data_not_held",
            Self::PartialCompliance => "partial_compliance",
            Self::AccessRefusal => "access_refusal",
            Self::CorrectionRefusal => "correction_refusal",
        }
    }
}

/// A ground as shown in a notice.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeGround {
    /// Section, e.g. `s.20(3)(b)`.
    pub section: &'static str,
    /// The ground in the notice's language.
    pub text: &'static str,
}

/// What a notice template can use.
#[derive(Debug, Clone, Serialize)]
pub struct NoticeContext {
    /// The data user's name.
    pub data_user: String,
    /// The data user's address for correspondence.
    pub data_user_address: String,
    /// How to address the requestor.
    pub requestor: String,
    /// Request id.
    pub request_id: String,
    /// Date received.
    pub received_on: NaiveDate,
    /// Last day of the statutory period.
    pub due_on: NaiveDate,
    /// Date of the notice.
    pub dated: NaiveDate,
    /// Refusal grounds.
    pub grounds: Vec<NoticeGround>,
    /// Reasons (refusal or s.19(2)).
    pub reasons: String,
    /// The other data user, for s.20(3)(d) / s.24(3)(e).
    pub other_data_user: Option<String>,
    /// For a correction refusal about an expression of opinion: the note attached (s.25(2)).
    pub opinion_note: Option<String>,
}

impl NoticeContext {
    /// A context for `request`, in its language, with its grounds and reasons filled in.
    pub fn for_request(
        request: &Request,
        due_on: NaiveDate,
        dated: NaiveDate,
        data_user: impl Into<String>,
        data_user_address: impl Into<String>,
        requestor: impl Into<String>,
    ) -> Self {
        let (grounds, reasons, other) = match &request.refusal {
            Some(r) => (
                r.grounds
                    .iter()
                    .map(|g| NoticeGround {
                        section: g.section(),
                        text: if request.language == Language::ZhHant { g.text_zh() } else { g.text_en() },
                    })
                    .collect(),
                r.reasons.clone(),
                r.other_data_user.clone(),
            ),
            None => (
                Vec::new(),
                request.partial_notice.as_ref().map(|p| p.reasons.clone()).unwrap_or_default(),
                None,
            ),
        };
        Self {
            data_user: data_user.into(),
            data_user_address: data_user_address.into(),
            requestor: requestor.into(),
            request_id: request.id.to_string(),
            received_on: request.received_on,
            due_on,
            dated,
            grounds,
            reasons,
            other_data_user: other,
            opinion_note: None,
        }
    }
}

macro_rules! builtin {
    ($($kind:ident, $lang:ident => $file:literal;)*) => {
        fn builtin(kind: NoticeKind, lang: Language) -> &'static str {
            match (kind, lang) {
                $((NoticeKind::$kind, Language::$lang) => include_str!(concat!("../templates/", $file)),)*
            }
        }
    };
}

builtin! {
    DataHeld, En => "data_held.en.txt";
    DataHeld, ZhHant => "data_held.zh-Hant.txt";
    DataNotHeld, En => "data_not_held.en.txt";
    DataNotHeld, ZhHant => "data_not_held.zh-Hant.txt";
    PartialCompliance, En => "partial_compliance.en.txt";
    PartialCompliance, ZhHant => "partial_compliance.zh-Hant.txt";
    AccessRefusal, En => "access_refusal.en.txt";
    AccessRefusal, ZhHant => "access_refusal.zh-Hant.txt";
    CorrectionRefusal, En => "correction_refusal.en.txt";
    CorrectionRefusal, ZhHant => "correction_refusal.zh-Hant.txt";
}

/// The notice templates: built in, each replaceable at run time.
#[derive(Debug, Clone, Default)]
pub struct Notices {
    custom: HashMap<(NoticeKind, Language), String>,
}

impl Notices {
    /// The built-in templates.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces one template. It is compiled now, so a broken template fails here, not when a
    /// notice is due.
    pub fn set_template(
        &mut self,
        kind: NoticeKind,
        lang: Language,
        source: impl Into<String>,
    ) -> Result<()> {
        let source = source.into();
        let name = format!("{}.{}", kind.name(), lang.tag());
        let mut env = minijinja::Environment::new();
        env.add_template(&name, &source)
            .map_err(|e| Error::Template { name: name.clone(), message: e.to_string() })?;
        self.custom.insert((kind, lang), source);
        Ok(())
    }

    /// The template source in use.
    pub fn template(&self, kind: NoticeKind, lang: Language) -> &str {
        self.custom.get(&(kind, lang)).map_or_else(|| builtin(kind, lang), String::as_str)
    }

    /// Renders a notice.
    pub fn render(&self, kind: NoticeKind, lang: Language, ctx: &NoticeContext) -> Result<String> {
        let name = format!("{}.{}", kind.name(), lang.tag());
        let err = |e: minijinja::Error| Error::Template { name: name.clone(), message: e.to_string() };
        let mut env = minijinja::Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.add_template(&name, self.template(kind, lang)).map_err(err)?;
        env.get_template(&name).map_err(err)?.render(minijinja::value::Serde(ctx)).map_err(err)
    }
}
