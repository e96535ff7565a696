//! Fitting: worked examples and the invariants as property tests.

use std::sync::Arc;

use context_model::{
    fit, Conversation, EvictionPolicy, FitError, FitOptions, FitReport, HeuristicCounter, Message,
    Role, TokenCounter, REPLY_PRIMING,
};
use proptest::prelude::*;

use crate::common::{accessed, assistant_calls, msg, tool_result};

const H: HeuristicCounter = HeuristicCounter;

fn opts(limit: u64, policy: EvictionPolicy) -> FitOptions {
    FitOptions {
        limit,
        policy,
        persist_system_prompts: true,
    }
}

fn usage_of(messages: &[Message], kept: &[usize]) -> u64 {
    REPLY_PRIMING
        + kept
            .iter()
            .map(|&i| H.count_message(&messages[i]))
            .sum::<u64>()
}

fn text(tokens: usize) -> String {
    "abcd".repeat(tokens)
}

#[test]
fn nothing_is_evicted_when_it_fits_even_if_it_starts_on_an_assistant() {
    let messages = vec![
        msg(Role::System, "sys"),
        msg(Role::Assistant, "Hi, how can I help?"),
        msg(Role::User, "my order"),
    ];
    let total = H.count_messages(&messages);
    let r = fit(&H, &messages, &opts(total, EvictionPolicy::Fifo)).unwrap();
    assert_eq!(r.kept, vec![0, 1, 2]);
    assert!(r.evicted.is_empty());
    assert_eq!(r.usage, total);
}

#[test]
fn fifo_evicts_oldest_first_and_stops_as_soon_as_it_fits() {
    // user = 3 + 1 + 10 = 14 tokens, assistant = 3 + 3 + 10 = 16, system "sys" = 3 + 2 + 1 = 6.
    let messages = vec![
        msg(Role::System, "sys"),
        msg(Role::User, &text(10)),
        msg(Role::Assistant, &text(10)),
        msg(Role::User, &text(10)),
        msg(Role::Assistant, &text(10)),
        msg(Role::User, &text(10)),
    ];
    let total = H.count_messages(&messages);
    assert_eq!(total, 3 + 6 + 3 * 14 + 2 * 16);
    // Evicting u1 + a1 (30) is enough: 83 - 30 = 53.
    let r = fit(&H, &messages, &opts(total - 17, EvictionPolicy::Fifo)).unwrap();
    assert_eq!(r.evicted, vec![1, 2]);
    assert_eq!(r.kept, vec![0, 3, 4, 5]);
    assert_eq!(r.usage, total - 30);
    // Evicting only u1 would fit (83 - 14 = 69 ≤ 69) but leave the window on an assistant, so a1
    // goes too: that is the start-on-user rule, not over-eviction by the policy.
    let r = fit(&H, &messages, &opts(total - 14, EvictionPolicy::Fifo)).unwrap();
    assert_eq!(r.evicted, vec![1, 2]);
    // Exactly the total: nothing evicted.
    assert!(fit(&H, &messages, &opts(total, EvictionPolicy::Fifo))
        .unwrap()
        .evicted
        .is_empty());
}

#[test]
fn lru_evicts_least_recently_accessed_first_ties_to_oldest_missing_oldest_of_all() {
    let messages = vec![
        msg(Role::System, "sys"),
        accessed(msg(Role::User, &text(10)), "2026-01-01T10:00:00Z"), // 1: recent
        accessed(msg(Role::Assistant, &text(10)), "2026-01-01T09:00:00Z"), // 2: old
        accessed(msg(Role::User, &text(10)), "2026-01-01T08:00:00+00:00"), // 3: oldest stamp
        accessed(msg(Role::Assistant, &text(10)), "2026-01-01T10:00:00Z"), // 4: tie with 1
        msg(Role::User, &text(10)), // 5: no stamp, but the latest user: pinned
        msg(Role::Assistant, &text(10)), // 6: no stamp: least recent of all
    ];
    let total = H.count_messages(&messages);
    let r = fit(&H, &messages, &opts(total - 1, EvictionPolicy::Lru)).unwrap();
    assert_eq!(r.evicted, vec![6]);
    let r = fit(&H, &messages, &opts(total - 17, EvictionPolicy::Lru)).unwrap();
    assert_eq!(r.evicted, vec![3, 6]);
    // Next in order: 2 (09:00); then 1 and 4 tie at 10:00, and 1 (older) goes first.
    let r = fit(
        &H,
        &messages,
        &opts(total - 16 - 14 - 16 - 1, EvictionPolicy::Lru),
    )
    .unwrap();
    // (Had 4 gone first, 1 would still open the window and be kept.) With 1 gone, assistant 4
    // would open the window, so it goes too.
    assert_eq!(r.evicted, vec![1, 2, 3, 4, 6]);
    assert_eq!(r.kept, vec![0, 5]);
    // Same messages by fifo: oldest first.
    let r = fit(&H, &messages, &opts(total - 1, EvictionPolicy::Fifo)).unwrap();
    assert_eq!(r.evicted, vec![1, 2]);
}

#[test]
fn a_tool_call_and_its_results_go_together_even_when_not_adjacent() {
    let messages = vec![
        msg(Role::System, "sys"),
        msg(Role::User, "where is my order?"),
        assistant_calls(&["call_a", "call_b"]),
        tool_result("call_a", &text(5)),
        msg(Role::User, "also, the refund?"),
        tool_result("call_b", &text(5)), // late result: still the same unit
        msg(Role::Assistant, "It ships tomorrow."),
        msg(Role::User, "thanks"),
    ];
    let total = H.count_messages(&messages);
    // fifo: user 1 goes first (9 tokens); the window would then start on the assistant unit,
    // which goes with both of its results.
    let r = fit(&H, &messages, &opts(total - 1, EvictionPolicy::Fifo)).unwrap();
    assert_eq!(r.evicted, vec![1, 2, 3, 5]);
    assert_eq!(r.kept, vec![0, 4, 6, 7]);
    assert_eq!(r.usage, usage_of(&messages, &r.kept));
}

#[test]
fn impossible_fit_is_an_error_with_the_numbers() {
    let messages = vec![
        msg(Role::System, &text(50)),
        msg(Role::User, &text(5)),
        msg(Role::Assistant, &text(5)),
        msg(Role::User, &text(20)),
    ];
    let required = REPLY_PRIMING + H.count_message(&messages[0]) + H.count_message(&messages[3]);
    let err = fit(&H, &messages, &opts(required - 1, EvictionPolicy::Fifo)).unwrap_err();
    assert_eq!(
        err,
        FitError::DoesNotFit {
            required,
            limit: required - 1
        }
    );
    assert!(err.to_string().contains(&required.to_string()));
    // At exactly the required usage it fits, keeping only what must stay.
    let r = fit(&H, &messages, &opts(required, EvictionPolicy::Fifo)).unwrap();
    assert_eq!(r.kept, vec![0, 3]);
    // Without persisted system prompts, the system message may go.
    let mut o = opts(required - 1, EvictionPolicy::Fifo);
    o.persist_system_prompts = false;
    let r = fit(&H, &messages, &o).unwrap();
    assert_eq!(r.kept, vec![1, 2, 3]);
}

#[test]
fn no_user_message_and_no_messages_are_errors() {
    let messages = vec![msg(Role::System, "sys"), msg(Role::Assistant, &text(40))];
    let err = fit(&H, &messages, &opts(10, EvictionPolicy::Fifo)).unwrap_err();
    assert!(
        matches!(err, FitError::NoUserMessage { limit: 10, .. }),
        "{err}"
    );
    assert_eq!(
        fit(&H, &[], &opts(10, EvictionPolicy::Fifo)).unwrap_err(),
        FitError::Empty
    );
}

#[test]
fn bad_last_accessed_fails_lru_naming_the_message_but_not_fifo() {
    let messages = vec![
        msg(Role::User, &text(20)),
        accessed(msg(Role::Assistant, &text(20)), "yesterday"),
        msg(Role::User, "hi"),
    ];
    let err = fit(&H, &messages, &opts(20, EvictionPolicy::Lru)).unwrap_err();
    assert!(
        matches!(err, FitError::BadLastAccessed { index: 1, .. }),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("messages[1].metadata.last_accessed"),
        "{err}"
    );
    assert!(fit(&H, &messages, &opts(20, EvictionPolicy::Fifo)).is_ok());
}

#[test]
fn conversation_touch_changes_the_lru_order() {
    let counter: Arc<dyn TokenCounter> = Arc::new(HeuristicCounter);
    let mut conv = Conversation::with_messages(
        counter,
        vec![
            msg(Role::User, &text(10)),
            msg(Role::Assistant, &text(10)),
            msg(Role::User, &text(10)),
            msg(Role::Assistant, &text(10)),
            msg(Role::User, "latest"),
        ],
    );
    let limit = conv.usage() - 1;
    // No stamps: lru falls back to position; 0 goes, and 1 with it (start on a user message).
    assert_eq!(
        conv.fit(&opts(limit, EvictionPolicy::Lru)).unwrap().evicted,
        vec![0, 1]
    );
    assert!(conv.touch(0, time::macros::datetime!(2026-01-01 0:00 UTC)));
    // Message 0 is now the most recently accessed; the oldest unstamped goes: 1, which leaves 0
    // the opening user message.
    assert_eq!(
        conv.fit(&opts(limit, EvictionPolicy::Lru)).unwrap().evicted,
        vec![1]
    );
    assert!(!conv.touch(99, time::macros::datetime!(2026-01-01 0:00 UTC)));
}

#[test]
fn kept_messages_clones_the_kept_indices_in_their_order() {
    let messages: Vec<Message> = (0..6).map(|i| msg(Role::User, &format!("m{i}"))).collect();
    let report = FitReport {
        kept: vec![0, 1, 3, 4, 5, 9, 2, 2],
        evicted: Vec::new(),
        usage: 0,
        limit: 0,
    };
    let texts: Vec<String> = report
        .kept_messages(&messages)
        .into_iter()
        .map(|m| m.content)
        .collect();
    // Out-of-range indices are skipped, order and repeats kept.
    assert_eq!(texts, ["m0", "m1", "m3", "m4", "m5", "m2", "m2"]);
}

// ---------------------------------------------------------------- property tests

#[derive(Debug, Clone)]
enum Event {
    System(usize),
    User(usize),
    Assistant(usize),
    /// An assistant with `n` calls; results follow, the last one possibly after the next event.
    Calls {
        n: usize,
        len: usize,
        defer_last: bool,
    },
    Orphan(usize),
}

fn arb_event() -> impl Strategy<Value = Event> {
    prop_oneof![
        1 => (0..40usize).prop_map(Event::System),
        4 => (0..60usize).prop_map(Event::User),
        4 => (0..60usize).prop_map(Event::Assistant),
        2 => (1..4usize, 0..40usize, any::<bool>())
            .prop_map(|(n, len, defer_last)| Event::Calls { n, len, defer_last }),
        1 => (0..20usize).prop_map(Event::Orphan),
    ]
}

fn build(events: &[Event], stamps: &[Option<u8>]) -> Vec<Message> {
    let mut out = Vec::new();
    let mut deferred: Option<Message> = None;
    let mut call = 0;
    for e in events {
        let mut pending = deferred.take();
        match e {
            Event::System(l) => out.push(msg(Role::System, &"s".repeat(*l))),
            Event::User(l) => out.push(msg(Role::User, &"u".repeat(*l))),
            Event::Assistant(l) => out.push(msg(Role::Assistant, &"a".repeat(*l))),
            Event::Orphan(l) => out.push(tool_result("nobody", &"o".repeat(*l))),
            Event::Calls { n, len, defer_last } => {
                let ids: Vec<String> = (0..*n).map(|k| format!("call_{call}_{k}")).collect();
                call += 1;
                let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
                out.push(assistant_calls(&refs));
                for (k, id) in ids.iter().enumerate() {
                    let r = tool_result(id, &"t".repeat(*len));
                    if *defer_last && k + 1 == ids.len() {
                        deferred = Some(r);
                    } else {
                        out.push(r);
                    }
                }
            }
        }
        if let Some(p) = pending.take() {
            out.push(p);
        }
    }
    out.extend(deferred);
    for (m, s) in out.iter_mut().zip(stamps.iter().cycle()) {
        if let Some(minute) = s {
            *m = accessed(m.clone(), &format!("2026-03-01T12:{:02}:00Z", minute % 60));
        }
    }
    out
}

/// Head (first message) of the unit of every message, computed the slow, obvious way.
fn heads(messages: &[Message]) -> Vec<usize> {
    (0..messages.len())
        .map(|i| {
            let m = &messages[i];
            if m.role != Role::Tool {
                return i;
            }
            let Some(id) = &m.tool_call_id else { return i };
            (0..i)
                .rev()
                .find(|&j| {
                    messages[j].role == Role::Assistant
                        && messages[j].tool_calls.iter().any(|c| &c.id == id)
                })
                .unwrap_or(i)
        })
        .collect()
}

fn stamp(m: &Message) -> Option<i128> {
    let s = m.metadata.as_ref()?.get("last_accessed")?.as_str()?;
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    Some(t.unix_timestamp_nanos())
}

fn check_invariants(
    messages: &[Message],
    o: &FitOptions,
    result: &Result<FitReport, FitError>,
) -> Result<(), TestCaseError> {
    let n = messages.len();
    let head = heads(messages);
    let count: Vec<u64> = messages.iter().map(|m| H.count_message(m)).collect();
    let total = REPLY_PRIMING + count.iter().sum::<u64>();
    let last_user = (0..n).rev().find(|&i| messages[i].role == Role::User);
    let pinned = |h: usize| {
        Some(h) == last_user || (o.persist_system_prompts && messages[h].role == Role::System)
    };
    let required = REPLY_PRIMING
        + (0..n)
            .filter(|&i| pinned(head[i]))
            .map(|i| count[i])
            .sum::<u64>();

    let r = match result {
        Err(FitError::NoUserMessage { usage, limit }) => {
            prop_assert!(last_user.is_none() && total > o.limit);
            prop_assert_eq!((*usage, *limit), (total, o.limit));
            return Ok(());
        }
        Err(FitError::DoesNotFit {
            required: req,
            limit,
        }) => {
            prop_assert!(total > o.limit && last_user.is_some());
            prop_assert_eq!(*req, required);
            prop_assert_eq!(*limit, o.limit);
            prop_assert!(required > o.limit);
            return Ok(());
        }
        Err(e) => return Err(TestCaseError::fail(format!("unexpected error {e}"))),
        Ok(r) => r,
    };
    // It fits whenever the pinned messages fit.
    prop_assert!(total <= o.limit || (last_user.is_some() && required <= o.limit));

    // Partition, order preserved.
    prop_assert!(r.kept.windows(2).all(|w| w[0] < w[1]));
    prop_assert!(r.evicted.windows(2).all(|w| w[0] < w[1]));
    let mut kept = vec![false; n];
    for &i in &r.kept {
        kept[i] = true;
    }
    prop_assert_eq!(r.kept.len() + r.evicted.len(), n);
    prop_assert!(r.evicted.iter().all(|&i| !kept[i]));

    // Usage is exact and within the limit.
    let usage = REPLY_PRIMING + r.kept.iter().map(|&i| count[i]).sum::<u64>();
    prop_assert_eq!(r.usage, usage);
    prop_assert!(r.usage <= o.limit);
    prop_assert_eq!(r.limit, o.limit);
    if total <= o.limit {
        prop_assert!(r.evicted.is_empty());
        return Ok(());
    }

    // System prompts kept when persisted; the latest user message never evicted.
    if o.persist_system_prompts {
        for i in 0..n {
            if messages[i].role == Role::System {
                prop_assert!(kept[i], "system message {} evicted", i);
            }
        }
    }
    let last_user = last_user.expect("checked above");
    prop_assert!(kept[last_user]);

    // Units kept or evicted together.
    for i in 0..n {
        prop_assert_eq!(
            kept[i],
            kept[head[i]],
            "message {} split from its unit head {}",
            i,
            head[i]
        );
    }

    // The window after the system block starts on a user message.
    let first = (0..n).find(|&i| kept[i] && messages[i].role != Role::System);
    prop_assert_eq!(first.map(|i| messages[i].role), Some(Role::User));
    let first = first.expect("some");

    // Minimality: the policy evicts the shortest prefix of its order that fits; every other
    // evicted unit would have opened the window on a non-user message.
    let unit_heads: Vec<usize> = (0..n).filter(|&i| head[i] == i && !pinned(i)).collect();
    let mut order = unit_heads.clone();
    if o.policy == EvictionPolicy::Lru {
        let key = |h: usize| {
            (0..n)
                .filter(|&i| head[i] == h)
                .map(|i| stamp(&messages[i]))
                .max()
                .flatten()
        };
        order.sort_by_key(|&h| (key(h), h));
    }
    let unit_tokens = |h: usize| {
        (0..n)
            .filter(|&i| head[i] == h)
            .map(|i| count[i])
            .sum::<u64>()
    };
    let mut left = total;
    let mut k = 0;
    while left > o.limit {
        left -= unit_tokens(order[k]);
        k += 1;
    }
    for &h in &order[..k] {
        prop_assert!(!kept[h], "policy unit {} should have been evicted", h);
    }
    for &h in &order[k..] {
        if !kept[h] {
            prop_assert!(
                h < first && messages[h].role != Role::User && messages[h].role != Role::System,
                "unit {} evicted beyond the policy prefix without opening the window",
                h
            );
        }
    }
    Ok(())
}

fn arb_case() -> impl Strategy<Value = (Vec<Message>, FitOptions)> {
    (
        proptest::collection::vec(arb_event(), 0..40),
        proptest::collection::vec(proptest::option::of(0u8..8), 1..10),
        0.0f64..1.1,
        prop_oneof![Just(EvictionPolicy::Fifo), Just(EvictionPolicy::Lru)],
        any::<bool>(),
    )
        .prop_map(|(events, stamps, frac, policy, persist)| {
            let messages = build(&events, &stamps);
            let total = H.count_messages(&messages);
            let o = FitOptions {
                limit: (total as f64 * frac) as u64,
                policy,
                persist_system_prompts: persist,
            };
            (messages, o)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn fit_keeps_every_invariant((messages, o) in arb_case()) {
        prop_assume!(!messages.is_empty());
        let result = fit(&H, &messages, &o);
        check_invariants(&messages, &o, &result)?;
    }

    #[test]
    fn conversation_fit_equals_batch_fit_while_growing((messages, o) in arb_case()) {
        let counter: Arc<dyn TokenCounter> = Arc::new(HeuristicCounter);
        let mut conv = Conversation::new(counter);
        for (i, m) in messages.iter().enumerate() {
            conv.push(m.clone());
            prop_assert_eq!(conv.fit(&o), fit(&H, &messages[..=i], &o));
        }
    }

    #[test]
    fn a_touched_conversation_fits_like_a_fresh_one(
        (messages, o) in arb_case(),
        at in any::<prop::sample::Index>(),
        minute in 0i64..10,
    ) {
        prop_assume!(!messages.is_empty());
        let counter: Arc<dyn TokenCounter> = Arc::new(HeuristicCounter);
        let mut conv = Conversation::with_messages(counter, messages);
        let at = at.index(conv.len());
        // Among the stamps of `build` (12:00 to 12:07), or after all of them.
        let when = time::macros::datetime!(2026-03-01 12:00 UTC) + time::Duration::minutes(minute);
        prop_assert!(conv.touch(at, when));
        prop_assert_eq!(conv.fit(&o), fit(&H, conv.messages(), &o));
    }
}
