//! Which trigger, if any, starts a flow for an inbound message. Pure: the caller passes
//! the triggers, the contact's groups and whether a session is waiting.
//!
//! Rules (RapidPro's): a keyword trigger matches the message's first word (`first_word`)
//! or the whole message being that one word (`only_word`), ignoring case and accents, and
//! it interrupts a waiting session; otherwise a waiting session gets the message; otherwise
//! a catch-all trigger (then new-conversation for a contact's first message) starts its
//! flow. Group conditions: the contact must be in one of `include_groups` (when any) and
//! in none of `exclude_groups`. Among several matches the more specific one wins (one
//! with group conditions before one without).

use atende_store::flows::Trigger;
use unicode_normalization::UnicodeNormalization;

/// What to do with an inbound message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    /// Start this trigger's flow (interrupting any waiting session).
    Start {
        trigger: &'a Trigger,
        keyword: Option<String>,
    },
    /// Resume the waiting session.
    Resume,
    /// Nothing handles it (kept in the inbox).
    Unhandled,
}

/// Lower case without accents: `Início` → `inicio`.
pub fn fold(text: &str) -> String {
    text.nfd()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of a message, split on anything that is not a letter or digit.
fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn groups_allow(t: &Trigger, contact_groups: &[String]) -> bool {
    let included =
        t.include_groups.is_empty() || t.include_groups.iter().any(|g| contact_groups.contains(g));
    let excluded = t.exclude_groups.iter().any(|g| contact_groups.contains(g));
    included && !excluded
}

fn specificity(t: &Trigger) -> usize {
    usize::from(!t.include_groups.is_empty()) * 2 + usize::from(!t.exclude_groups.is_empty())
}

/// Picks the route for a message.
pub fn route<'a>(
    triggers: &'a [Trigger],
    text: &str,
    contact_groups: &[String],
    waiting: bool,
    first_message: bool,
) -> Route<'a> {
    let words = words(text);
    let best = |kind: &str, matches: &dyn Fn(&Trigger) -> Option<Option<String>>| {
        triggers
            .iter()
            .filter(|t| t.trigger_type == kind && groups_allow(t, contact_groups))
            .filter_map(|t| matches(t).map(|k| (t, k)))
            .max_by_key(|(t, _)| specificity(t))
    };
    let keyword = best("keyword", &|t| {
        let first = words.first()?;
        let hit = t.keywords.iter().map(|k| fold(k)).find(|k| k == first)?;
        (t.match_type != "only_word" || words.len() == 1).then_some(Some(hit))
    });
    if let Some((trigger, keyword)) = keyword {
        return Route::Start { trigger, keyword };
    }
    if waiting {
        return Route::Resume;
    }
    for kind in ["catch_all", "new_conversation"] {
        if kind == "new_conversation" && !first_message {
            continue;
        }
        if let Some((trigger, _)) = best(kind, &|_| Some(None)) {
            return Route::Start {
                trigger,
                keyword: None,
            };
        }
    }
    Route::Unhandled
}

#[cfg(test)]
mod tests {
    use super::*;

    fn trigger(
        kind: &str,
        keywords: &[&str],
        match_type: &str,
        incl: &[&str],
        excl: &[&str],
    ) -> Trigger {
        Trigger {
            uuid: format!("{kind}-{}-{}", incl.join(","), excl.join(",")),
            trigger_type: kind.into(),
            keywords: keywords.iter().map(|s| s.to_string()).collect(),
            match_type: match_type.into(),
            flow_uuid: "f".into(),
            include_groups: incl.iter().map(|s| s.to_string()).collect(),
            exclude_groups: excl.iter().map(|s| s.to_string()).collect(),
            schedule: None,
        }
    }

    #[test]
    fn keywords_ignore_case_and_accents() {
        let ts = [trigger("keyword", &["IniciarChat"], "first_word", &[], &[])];
        for text in [
            "iniciarchat",
            "INICIARCHAT agora",
            "  Iniciarchat!",
            "iniciárchat",
        ] {
            assert!(
                matches!(route(&ts, text, &[], false, false), Route::Start { .. }),
                "{text}"
            );
        }
        assert_eq!(
            route(&ts, "quero iniciarchat", &[], false, false),
            Route::Unhandled
        );
    }

    #[test]
    fn only_word_needs_the_word_alone() {
        let ts = [trigger("keyword", &["menu"], "only_word", &[], &[])];
        assert!(matches!(
            route(&ts, "Menu", &[], false, false),
            Route::Start { .. }
        ));
        assert_eq!(
            route(&ts, "menu por favor", &[], false, false),
            Route::Unhandled
        );
    }

    #[test]
    fn keyword_interrupts_but_catch_all_does_not() {
        let ts = [
            trigger("keyword", &["sair"], "first_word", &[], &[]),
            trigger("catch_all", &[], "", &[], &[]),
        ];
        assert!(matches!(
            route(&ts, "sair", &[], true, false),
            Route::Start { .. }
        ));
        assert_eq!(route(&ts, "123", &[], true, false), Route::Resume);
        assert!(matches!(
            route(&ts, "123", &[], false, false),
            Route::Start { .. }
        ));
    }

    #[test]
    fn catch_all_by_group_like_the_cristal_bot() {
        // one catch-all for contacts with a human, one for everyone else
        let ts = [
            trigger("catch_all", &[], "", &[], &["humano"]),
            trigger("catch_all", &[], "", &["humano"], &[]),
        ];
        let Route::Start { trigger: t, .. } = route(&ts, "oi", &["humano".into()], false, false)
        else {
            panic!()
        };
        assert_eq!(t.include_groups, ["humano"]);
        let Route::Start { trigger: t, .. } = route(&ts, "oi", &[], false, false) else {
            panic!()
        };
        assert_eq!(t.exclude_groups, ["humano"]);
    }

    #[test]
    fn new_conversation_only_for_a_first_message() {
        let ts = [trigger("new_conversation", &[], "", &[], &[])];
        assert!(matches!(
            route(&ts, "oi", &[], false, true),
            Route::Start { .. }
        ));
        assert_eq!(route(&ts, "oi", &[], false, false), Route::Unhandled);
    }
}
