//! Payload builder: limits, usage of the messages sent, ids, fitting to the soft limit.

use std::sync::Arc;

use context_model::{
    soft_limit_for, Conversation, Encoding, Error, EvictionPolicy, FitError, HeuristicCounter,
    PayloadBuilder, RetentionDirectives, Role, TokenCounter, ValidationError,
};

use crate::common::{capacity, msg};

#[test]
fn limits_come_from_capacity_minus_reserve_never_from_usage() {
    let b = PayloadBuilder::new(&capacity(128_000));
    let l = b.limits().unwrap();
    assert_eq!(l.hard_limit, 128_000 - 4096);
    assert_eq!(l.soft_limit, (123_904.0f64 * 0.9).floor() as u64);
    // The contract's example: no reserve gives 128000 / 115200.
    let l = b.clone().reserved_completion_tokens(0).limits().unwrap();
    assert_eq!((l.hard_limit, l.soft_limit), (128_000, 115_200));
    // Small windows reserve a quarter.
    let l = PayloadBuilder::new(&capacity(8192)).limits().unwrap();
    assert_eq!(l.hard_limit, 6144);
    let l = PayloadBuilder::new(&capacity(2)).limits().unwrap();
    assert_eq!((l.hard_limit, l.soft_limit), (2, 1));
    // floor(1 × 0.9) = 0 is no usable soft limit.
    let err = PayloadBuilder::new(&capacity(1)).limits().unwrap_err();
    assert!(
        err.to_string().starts_with("token_limit_matrix.soft_limit"),
        "{err}"
    );
    let err = PayloadBuilder::new(&capacity(0)).limits().unwrap_err();
    assert!(err.to_string().starts_with("max_tokens"), "{err}");
    // A tiny conversation still gets the model's limits (the seed set hard_limit = usage).
    let conv = Conversation::with_messages(
        Encoding::O200kBase.counter().unwrap(),
        vec![msg(Role::System, "Be brief."), msg(Role::User, "Hello")],
    );
    let built = b
        .build("conv-1", &conv, &RetentionDirectives::default())
        .unwrap();
    let m = built.payload.token_limit_matrix;
    assert_eq!(m.hard_limit, 123_904);
    assert_eq!(m.current_usage, conv.usage());
    assert!(m.current_usage < 30);
}

#[test]
fn soft_limit_is_floor_of_hard_times_ratio_without_binary_surprises() {
    assert_eq!(soft_limit_for(10, 0.7), 7);
    assert_eq!(soft_limit_for(100, 0.29), 29);
    assert_eq!(soft_limit_for(1000, 0.9999), 999);
    assert_eq!(soft_limit_for(7, 0.5), 3);
    assert_eq!(soft_limit_for(7, 1.0), 7);
}

#[test]
fn bad_reserve_ratio_and_threshold_are_named() {
    let b = PayloadBuilder::new(&capacity(1000));
    let err = b
        .clone()
        .reserved_completion_tokens(1000)
        .limits()
        .unwrap_err();
    assert!(matches!(
        err,
        ValidationError::ReserveTooLarge {
            reserved: 1000,
            max_tokens: 1000
        }
    ));
    assert!(err.to_string().starts_with("reserved_completion_tokens"));
    for ratio in [0.0, -0.5, 1.5, f64::NAN] {
        let err = b.clone().soft_ratio(ratio).limits().unwrap_err();
        assert!(err.to_string().starts_with("soft_ratio:"), "{err}");
    }
    let conv = Conversation::with_messages(Arc::new(HeuristicCounter), vec![msg(Role::User, "hi")]);
    let directives = RetentionDirectives {
        auto_compact_threshold: 1.2,
        ..RetentionDirectives::default()
    };
    let err = b.build("conv-1", &conv, &directives).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("memory_retention_directives.auto_compact_threshold"),
        "{err}"
    );
    let err = b
        .build("conv/1", &conv, &RetentionDirectives::default())
        .unwrap_err();
    assert!(err.to_string().starts_with("conversation_id"), "{err}");
}

#[test]
fn build_fits_to_the_soft_limit_and_reports_what_it_evicted() {
    let counter = Arc::new(HeuristicCounter);
    let mut messages = vec![msg(Role::System, "You help customers.")];
    for i in 0..40 {
        messages.push(msg(Role::User, &format!("question {i} {}", "x".repeat(40))));
        messages.push(msg(
            Role::Assistant,
            &format!("answer {i} {}", "y".repeat(40)),
        ));
    }
    messages.push(msg(Role::User, "last question"));
    let directives = RetentionDirectives {
        eviction_policy: EvictionPolicy::Fifo,
        ..RetentionDirectives::default()
    };
    let cap = capacity(400);
    let b = PayloadBuilder::new(&cap);
    let built = b
        .build_from_messages("conv-9", counter.as_ref(), &messages, &directives)
        .unwrap();
    let p = &built.payload;
    let limits = b.limits().unwrap();
    assert_eq!(p.token_limit_matrix.hard_limit, 300);
    assert_eq!(p.token_limit_matrix.soft_limit, 270);
    assert_eq!(limits.soft_limit, built.fit.limit);
    assert!(p.token_limit_matrix.current_usage <= 270);
    assert_eq!(
        p.token_limit_matrix.current_usage,
        counter.count_messages(&p.messages)
    );
    assert_eq!(p.messages.len(), built.fit.kept.len());
    assert!(built.fit.evicted_any());
    assert_eq!(p.messages[0].role, Role::System);
    assert_eq!(p.messages[1].role, Role::User);
    assert_eq!(p.messages.last().unwrap().content, "last question");
    assert_eq!(p.memory_retention_directives, directives);
    assert_eq!(p.format, "json");
    assert_eq!(p.conversation_id, "conv-9");
    p.validate(&cap).unwrap();

    // The same through a Conversation.
    let conv = Conversation::with_messages(counter, messages.clone());
    let again = b.build("conv-9", &conv, &directives).unwrap();
    assert_eq!(again.fit, built.fit);
    assert_ne!(again.payload.context_id, built.payload.context_id);
}

#[test]
fn context_ids_are_ctx_plus_uuid_v4_and_unique() {
    let conv = Conversation::with_messages(Arc::new(HeuristicCounter), vec![msg(Role::User, "hi")]);
    let b = PayloadBuilder::new(&capacity(1000));
    let mut seen = std::collections::HashSet::new();
    for _ in 0..100 {
        let id = b
            .build("c", &conv, &RetentionDirectives::default())
            .unwrap()
            .payload
            .context_id;
        let uuid = uuid::Uuid::parse_str(id.strip_prefix("ctx_").expect("ctx_ prefix")).unwrap();
        assert_eq!(uuid.get_version_num(), 4);
        assert!(seen.insert(id));
    }
}

#[test]
fn impossible_build_is_a_fit_error_not_an_oversized_payload() {
    let conv = Conversation::with_messages(
        Arc::new(HeuristicCounter),
        vec![msg(Role::System, &"s".repeat(4000)), msg(Role::User, "hi")],
    );
    let err = PayloadBuilder::new(&capacity(1000))
        .build("c", &conv, &RetentionDirectives::default())
        .unwrap_err();
    match err {
        Error::Fit(FitError::DoesNotFit { required, limit }) => {
            // The soft limit is 675; past it the builder tries the hard limit, which it names.
            assert_eq!(limit, 750);
            assert_eq!(required, conv.usage());
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn what_must_be_kept_between_soft_and_hard_is_fitted_to_the_hard_limit() {
    // capacity 1000: reserve 250, hard 750, soft 675.
    let mut messages = vec![msg(Role::System, &"s".repeat(2_700)), msg(Role::User, "hi")];
    messages.insert(1, msg(Role::User, &"older turn ".repeat(40)));
    messages.insert(2, msg(Role::Assistant, "ok"));
    let conv = Conversation::with_messages(Arc::new(HeuristicCounter), messages);
    let must_keep = conv.message_tokens()[0] + conv.message_tokens()[3] + 3;
    assert!(
        must_keep > 675 && must_keep <= 750,
        "test set-up: {must_keep}"
    );
    let built = PayloadBuilder::new(&capacity(1000))
        .build("c", &conv, &RetentionDirectives::default())
        .unwrap();
    assert_eq!(built.fit.limit, 750);
    assert_eq!(built.fit.kept, [0, 3]);
    assert_eq!(built.fit.evicted, [1, 2]);
    let matrix = built.payload.token_limit_matrix;
    assert_eq!(matrix.current_usage, must_keep);
    assert!(matrix.current_usage <= matrix.hard_limit);
    assert_eq!((matrix.soft_limit, matrix.hard_limit), (675, 750));
}
