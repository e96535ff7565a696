//! SIGINT and SIGTERM during `update`: updates in flight finish and are recorded.

use std::process::Output;
use std::time::Duration;

use super::setup::*;
use crate::text;

fn interrupt_a_run(signal: &str, code: i32) {
    let setup = Setup::new(Duration::from_millis(20));
    let inputs = setup.inputs("sig", 500);
    let mut child = setup
        .command(&["update", "--dir", inputs.to_str().unwrap()], None)
        .spawn()
        .unwrap();
    // Let some updates land first (and be recorded), then interrupt.
    wait_for_records(&setup.audit_log(), 5);
    kill(&child, signal);
    let stdout = child.stdout.take().unwrap();
    let out = Output {
        stdout: {
            use std::io::Read;
            let mut buf = Vec::new();
            let mut s = stdout;
            s.read_to_end(&mut buf).unwrap();
            buf
        },
        stderr: Vec::new(),
        status: child.wait().unwrap(),
    };
    let mut stderr = String::new();
    use std::io::Read;
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert_eq!(out.status.code(), Some(code), "{stderr}");
    assert!(stderr.contains("not started"), "{stderr}");
    let printed: Vec<String> = json_lines(&out)
        .iter()
        .map(|l| l["conversation_id"].as_str().unwrap().to_owned())
        .collect();
    let stored: Vec<String> = setup.stored().into_iter().map(|(id, _)| id).collect();
    assert!(
        !stored.is_empty() && stored.len() < 500,
        "{} stored",
        stored.len()
    );
    let mut printed_sorted = printed.clone();
    printed_sorted.sort();
    assert_eq!(
        printed_sorted, stored,
        "every stored update has an output line"
    );
    let audited: Vec<String> = audit_lines(&setup.audit_log())
        .iter()
        .filter(|r| r["kind"] != "intent")
        .map(|r| r["conversation_id"].as_str().unwrap().to_owned())
        .collect();
    let mut audited_sorted = audited.clone();
    audited_sorted.sort();
    assert_eq!(
        audited_sorted, stored,
        "every stored update has an audit record"
    );
    assert!(pending(&setup).is_empty(), "every intent completed");
    verify_ok(&setup);
}

#[test]
fn sigterm_lets_updates_in_flight_finish_and_records_them() {
    interrupt_a_run("TERM", 143);
}

#[test]
fn sigint_lets_updates_in_flight_finish_and_records_them() {
    interrupt_a_run("INT", 130);
}

#[test]
fn a_second_signal_exits_at_once() {
    // Every request takes 1 s, an update 2 s: once the first updates are recorded the next
    // ones are in flight; the first signal waits for them, the second does not.
    let setup = Setup::new(Duration::from_secs(1));
    let inputs = setup.inputs("slow", 40);
    let mut child = setup
        .command(&["update", "--dir", inputs.to_str().unwrap()], None)
        .spawn()
        .unwrap();
    wait_for_records(&setup.audit_log(), 1);
    kill(&child, "INT");
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        child.try_wait().unwrap().is_none(),
        "still draining after one signal"
    );
    kill(&child, "INT");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("second signal"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_signal_before_any_update_started_exits_at_once() {
    // The token request alone takes 3 s; nothing is in flight when the signal comes.
    let setup = Setup::new(Duration::from_secs(3));
    let args = ["update", "--conversation-id", "c"];
    let child = setup.spawn_fed(&args, None, r#"[{"role":"user","content":"hi"}]"#);
    std::thread::sleep(Duration::from_millis(800));
    kill(&child, "TERM");
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("before any update"),
        "{}",
        text(&out.stderr)
    );
    assert!(setup.stored().is_empty());
}

#[test]
fn a_hung_gateway_is_abandoned_after_the_drain_and_reported() {
    let mut setup = Setup::new(Duration::ZERO);
    let gateway = hung_gateway(&mut setup);
    let inputs = setup.inputs("hung", 3);
    let child = setup
        .command(
            &[
                "update",
                "--dir",
                inputs.to_str().unwrap(),
                "--concurrency",
                "1",
            ],
            None,
        )
        .spawn()
        .unwrap();
    // Wait (polling) until the first update's GET is hanging at the gateway.
    let in_flight = || {
        setup.runtime.block_on(async {
            gateway
                .received_requests()
                .await
                .unwrap_or_default()
                .iter()
                .any(|r| r.url.path().ends_with("/context"))
        })
    };
    for _ in 0..600 {
        if in_flight() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(in_flight(), "the update never reached the gateway");
    kill(&child, "TERM");
    let out = child.wait_with_output().unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(143), "{stderr}");
    // The hung update is reported, not silently dropped (a client deadline may end it first).
    assert!(
        stderr.contains("1 abandoned in flight")
            || stderr.contains("1 failed")
            || stderr.contains("1 outcome unknown"),
        "{stderr}"
    );
    assert!(stderr.contains("2 not started"), "{stderr}");
}

#[test]
fn update_deadline_ends_a_hung_gateway_and_says_how_long_and_how_many_attempts() {
    let mut setup = Setup::new(Duration::ZERO);
    let _gateway = hung_gateway(&mut setup);
    let out = setup.run(
        &[
            "update",
            "--conversation-id",
            "conv-hung",
            "--deadline",
            "1.5",
        ],
        Some(r#"[{"role":"user","content":"hello"}]"#),
    );
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("deadline"), "{stderr}");
    assert!(stderr.contains("attempt"), "{stderr}");
    assert!(setup.stored().is_empty());

    // A bad deadline is bad input, named by its flag, before anything is sent.
    for bad in ["0", "-2", "NaN", "soon"] {
        let flag = format!("--deadline={bad}");
        let out = setup.run(
            &["update", "--conversation-id", "conv-hung", &flag],
            Some("[]"),
        );
        assert_eq!(out.status.code(), Some(2), "--deadline {bad}");
        assert!(text(&out.stderr).contains("--deadline"), "{bad}");
    }
}

#[test]
fn kill_9_during_a_patch_leaves_an_open_intent_naming_the_conversation() {
    let mut setup = Setup::new(Duration::ZERO);
    let gateway = patch_hung_gateway(&mut setup);
    let args = ["update", "--conversation-id", "conv-killed"];
    let mut child = setup.spawn_fed(&args, None, r#"[{"role":"user","content":"hello"}]"#);
    // Wait (polling) until the PATCH has reached the gateway, then kill -9.
    let patched = || {
        setup.runtime.block_on(async {
            gateway
                .received_requests()
                .await
                .unwrap_or_default()
                .iter()
                .any(|r| r.method.as_str() == "PATCH")
        })
    };
    for _ in 0..600 {
        if patched() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(patched(), "the PATCH never reached the gateway");
    kill(&child, "KILL");
    let status = child.wait().unwrap();
    assert_eq!(status.code(), None, "killed by a signal");

    // The chain verifies (exit 0) and names the open intent; --strict makes it an error.
    let log = setup.audit_log();
    let verified = verify_ok(&setup);
    assert!(verified.contains("1 open intent(s)"), "{verified}");
    assert!(verified.contains("conversation conv-killed"), "{verified}");
    let strict = setup.run(
        &["audit", "verify", "--strict", log.to_str().unwrap()],
        None,
    );
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict.stderr));
    assert!(text(&strict.stderr).contains("1 open intent(s)"));

    // `audit pending` lists it as a JSON line with what reconciling needs.
    let out = setup.run(&["audit", "pending", log.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let open = json_lines(&out);
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["conversation_id"], "conv-killed");
    assert_eq!(open[0]["line"], 1);
    let sent: serde_json::Value = setup.runtime.block_on(async {
        let requests = gateway.received_requests().await.unwrap();
        let patch = requests.iter().find(|r| r.method.as_str() == "PATCH");
        serde_json::from_slice(&patch.unwrap().body).unwrap()
    });
    assert_eq!(
        open[0]["context_id"], sent["context_id"],
        "the payload's context_id"
    );
    assert!(open[0]["update_id"].as_str().unwrap().len() == 36);
    assert!(open[0]["time"].as_str().unwrap().ends_with('Z'));

    // Reconciled (the PATCH never answered and nothing is stored): the operator closes it.
    let update_id = open[0]["update_id"].as_str().unwrap();
    let resolve = |flag: &str| {
        let args = ["audit", "resolve", log.to_str().unwrap(), update_id, flag];
        setup.run(&args, None)
    };
    let out = resolve("--not-landed");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("line 2: intent of line 1"));
    assert!(pending(&setup).is_empty());
    let strict = setup.run(
        &["audit", "verify", "--strict", log.to_str().unwrap()],
        None,
    );
    assert!(strict.status.success(), "{}", text(&strict.stderr));
    let record = &audit_lines(&log)[1];
    assert_eq!(record["action"], "CONTEXT_UPDATE_RECONCILED");
    assert_eq!(record["update_id"], update_id);
    assert_eq!(record["outcome"]["error_kind"], "not_landed");
    assert_eq!(record["decided_by"], "operator");
    // Once closed it cannot be resolved again; an unknown id is named.
    let again = resolve("--landed");
    assert_eq!(again.status.code(), Some(2), "{}", text(&again.stderr));
    assert!(text(&again.stderr).contains(update_id));
}

/// A gateway (configured as the setup's `GENESYS_API_BASE`) that serves the capacity, has no
/// stored context, and never answers a PATCH; tokens still come from the emulator.
fn patch_hung_gateway(setup: &mut Setup) -> wiremock::MockServer {
    gateway_hung_at(setup, true)
}

/// A gateway (configured as the setup's `GENESYS_API_BASE`) that serves the capacity, then never
/// answers a context request; tokens still come from the emulator.
fn hung_gateway(setup: &mut Setup) -> wiremock::MockServer {
    gateway_hung_at(setup, false)
}

/// The capacity, then either no stored context and a PATCH never answered (`at_patch`), or no
/// answer to any context request.
fn gateway_hung_at(setup: &mut Setup, at_patch: bool) -> wiremock::MockServer {
    use wiremock::matchers::{method, path, path_regex};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let capacity = serde_json::to_value(&setup.emulator.config().capacity).unwrap();
    let never = |status| ResponseTemplate::new(status).set_delay(Duration::from_secs(3600));
    let gateway = setup.runtime.block_on(async {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/api/v2/ai/llm/models/capacity"))
            .respond_with(ResponseTemplate::new(200).set_body_json(capacity))
            .mount(&server)
            .await;
        if at_patch {
            Mock::given(method("GET"))
                .and(path_regex("/context$"))
                .respond_with(ResponseTemplate::new(404).set_body_json(serde_json::json!({
                    "message": "not found", "code": "not.found", "status": 404
                })))
                .mount(&server)
                .await;
            Mock::given(method("PATCH"))
                .respond_with(never(200))
                .mount(&server)
                .await;
        } else {
            Mock::given(method("GET"))
                .respond_with(never(404))
                .mount(&server)
                .await;
        }
        server
    });
    setup.set_env("GENESYS_API_BASE", &gateway.uri());
    gateway
}
