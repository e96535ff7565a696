//! The one retrying request executor every gateway call goes through: token, send, classify the
//! answer, and retry within the attempt bound, the shared retry budget and the call's deadline.

use std::time::{Duration, Instant, SystemTime};

use genesys_auth::AccessToken;
use genesys_transport::{
    header_str, parse_retry_after, read_body, redirect_target, BodyError, Deadline,
    DeadlineExceeded, TransportKind, Wait,
};
use reqwest::header::{CONTENT_TYPE, ETAG, RETRY_AFTER};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use crate::client::GatewayClient;
use crate::error::{truncate, ApiError, GatewayError, MAX_KEPT_BODY};
use crate::metrics::AttemptCounts;
use crate::types::{CORRELATION_HEADER, KEY_IN_PROGRESS_CODE, KEY_REUSED_CODE, TOKEN_LIMIT_CODE};

/// One HTTP request, reusable across attempts.
pub(crate) struct Req {
    pub(crate) op: &'static str,
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) headers: Vec<(&'static str, String)>,
    pub(crate) body: Option<Vec<u8>>,
}

/// An HTTP answer, its body read whole (up to the cap).
pub(crate) struct Raw {
    pub(crate) status: u16,
    pub(crate) etag: Option<String>,
    pub(crate) correlation_id: Option<String>,
    /// `Retry-After`, parsed once (seconds or a future HTTP-date).
    pub(crate) retry_after: Option<Duration>,
    /// Where a redirect that was not followed pointed.
    pub(crate) redirect: Option<String>,
    pub(crate) body: Vec<u8>,
}

/// Result of one executed call, with its attempts and last status.
pub(crate) struct Attempted<T> {
    pub(crate) result: Result<T, GatewayError>,
    pub(crate) attempts: u32,
    pub(crate) status: Option<u16>,
    /// 429s, 5xx answers and retries of those attempts.
    pub(crate) answers: AttemptCounts,
    /// Some attempt may have been processed without us seeing the answer (a 5xx/408 answer, a
    /// transport error after connecting, or the deadline cutting a request in flight).
    pub(crate) uncertain: bool,
}

impl<T> Attempted<T> {
    pub(crate) fn map<U>(self, f: impl FnOnce(T) -> Result<U, GatewayError>) -> Attempted<U> {
        Attempted {
            result: self.result.and_then(f),
            attempts: self.attempts,
            status: self.status,
            answers: self.answers,
            uncertain: self.uncertain,
        }
    }

    /// A call refused or failed before any request: no attempt, no answer.
    pub(crate) fn unsent(error: GatewayError) -> Self {
        Attempted {
            result: Err(error),
            attempts: 0,
            status: None,
            answers: AttemptCounts::default(),
            uncertain: false,
        }
    }
}

/// The executor's state across attempts.
#[derive(Default)]
struct Run {
    attempts: u32,
    status: Option<u16>,
    uncertain: bool,
    refreshed: bool,
    /// Answers counted per attempt; `answers.retries` drives the backoff.
    answers: AttemptCounts,
    spent: u32,
}

/// What one answer (or failure) means for the loop.
enum Step {
    /// Done: hand this to the caller.
    Return(Result<Raw, GatewayError>),
    /// 401: the token was invalidated; try again with a fresh one (no wait, no budget).
    Refresh,
    /// Transient: wait, pay `cost` from the budget, try again.
    Retry {
        last: Result<Raw, GatewayError>,
        cost: u32,
        wait: Duration,
    },
}

impl Run {
    fn done(self, result: Result<Raw, GatewayError>) -> Attempted<Raw> {
        Attempted {
            result,
            attempts: self.attempts,
            status: self.status,
            answers: self.answers,
            uncertain: self.uncertain,
        }
    }
}

/// The deadline error of `op` after `attempts`, with the failure that preceded it.
pub(crate) fn deadline_error(
    op: &'static str,
    attempts: u32,
    exceeded: DeadlineExceeded,
    last: Option<GatewayError>,
) -> GatewayError {
    GatewayError::DeadlineExceeded {
        operation: op,
        attempts,
        elapsed: exceeded.elapsed,
        limit: exceeded.limit,
        last: last.map(Box::new),
    }
}

impl GatewayClient {
    /// Sends `req` until it gets an answer worth returning: refreshes the token once on 401,
    /// honours 429 `Retry-After` (capped), backs off on 5xx/408/transport errors, within the
    /// attempt bound, the shared retry budget and `deadline`. Every request is safe to resend:
    /// GETs are reads and every PATCH carries a precondition.
    pub(crate) async fn execute(&self, req: &Req, deadline: &Deadline) -> Attempted<Raw> {
        let mut run = Run::default();
        loop {
            let token = match deadline.run(self.tokens().token()).await {
                Ok(Ok(token)) => token,
                Ok(Err(e)) => return run.done(Err(GatewayError::Auth(e))),
                Err(x) => {
                    let attempts = run.attempts;
                    return run.done(Err(deadline_error(req.op, attempts, x, None)));
                }
            };
            run.attempts += 1;
            let sent = match deadline.run(self.send(req, &token)).await {
                Ok(sent) => sent,
                Err(x) => {
                    run.uncertain = true;
                    let attempts = run.attempts;
                    return run.done(Err(deadline_error(req.op, attempts, x, None)));
                }
            };
            let (last, cost, wait) = match self.step(req, &mut run, sent, &token) {
                Step::Return(result) => return run.done(result),
                Step::Refresh => continue,
                Step::Retry { last, cost, wait } => (last, cost, wait),
            };
            if !deadline.allows_wait(wait) {
                let last = last.map_or_else(|e| e, |raw| map_status(&raw));
                let attempts = run.attempts;
                let err = deadline_error(req.op, attempts, deadline.exceeded(), Some(last));
                return run.done(Err(err));
            }
            if !self.budget().try_acquire(cost) {
                tracing::warn!(
                    operation = req.op,
                    attempts = run.attempts,
                    "retry budget exhausted: not retrying"
                );
                return run.done(last);
            }
            run.spent += cost;
            run.answers.retries += 1;
            tracing::debug!(
                operation = req.op,
                attempts = run.attempts,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "retrying"
            );
            self.config().sleeper.sleep(wait).await;
        }
    }

    /// Classifies one answer or failure.
    fn step(
        &self,
        req: &Req,
        run: &mut Run,
        sent: Result<Raw, GatewayError>,
        token: &AccessToken,
    ) -> Step {
        let policy = &self.config().retry;
        let bound = policy.max_attempts + u32::from(run.refreshed);
        let retry = run.answers.retries + 1;
        let raw = match sent {
            Ok(raw) => raw,
            Err(err) => {
                let GatewayError::Transport { kind, .. } = &err else {
                    return Step::Return(Err(err));
                };
                run.uncertain |= *kind != TransportKind::Connect;
                if run.attempts >= bound {
                    return Step::Return(Err(err));
                }
                let cost = if *kind == TransportKind::Timeout {
                    policy.timeout_retry_cost
                } else {
                    policy.retry_cost
                };
                let wait = policy.transport().backoff(retry);
                return Step::Retry {
                    last: Err(err),
                    cost,
                    wait,
                };
            }
        };
        run.status = Some(raw.status);
        run.answers.count_status(raw.status);
        let retry_after = raw.retry_after;
        match raw.status {
            401 if !run.refreshed => {
                tracing::debug!(operation = req.op, "401: refreshing the token once");
                self.tokens().invalidate(token);
                run.refreshed = true;
                Step::Refresh
            }
            429 => {
                let err = map_status(&raw);
                match policy.transport().wait(retry, retry_after) {
                    Wait::Sleep(wait) if run.attempts < bound => Step::Retry {
                        last: Err(err),
                        cost: policy.retry_cost,
                        wait,
                    },
                    _ => Step::Return(Err(err)),
                }
            }
            s if s >= 500 || s == 408 || in_progress(&raw) => {
                // A 409 `idempotency.key.in.progress` is transient too: the first request with
                // the key is still being processed and may land.
                run.uncertain = true;
                if run.attempts >= bound {
                    return Step::Return(Ok(raw));
                }
                // A 5xx's Retry-After is a hint: honoured up to the cap, otherwise backoff.
                let hint = retry_after.filter(|d| *d <= policy.max_retry_after);
                let wait = match policy.transport().wait(retry, hint) {
                    Wait::Sleep(wait) | Wait::OverCap(wait) => wait,
                };
                Step::Retry {
                    last: Ok(raw),
                    cost: policy.retry_cost,
                    wait,
                }
            }
            _ => {
                // A healthy answer refills the budget.
                self.budget().refund(if run.spent > 0 {
                    run.spent
                } else {
                    policy.success_refund
                });
                Step::Return(Ok(raw))
            }
        }
    }

    /// One HTTP attempt in its own `http` span (method, route template, request id, status,
    /// correlation id, latency), closed by one `gateway attempt` event at info level. Every
    /// request carries a fresh `X-Request-Id` so the gateway's logs can be joined with ours.
    async fn send(&self, req: &Req, token: &AccessToken) -> Result<Raw, GatewayError> {
        use tracing::field::Empty;
        let request_id = uuid::Uuid::new_v4().to_string();
        let span = tracing::info_span!(
            "http",
            method = %req.method,
            route = route_template(req.op),
            request_id = %request_id,
            status = Empty,
            correlation_id = Empty,
            latency_ms = Empty,
        );
        let start = Instant::now();
        let result =
            tracing::Instrument::instrument(self.send_once(req, token, &request_id), span.clone())
                .await;
        span.record("latency_ms", start.elapsed().as_secs_f64() * 1000.0);
        let (status, correlation_id) = match &result {
            Ok(raw) => (Some(raw.status), raw.correlation_id.as_deref()),
            Err(e) => (None, e.correlation_id()),
        };
        if let Some(status) = status {
            span.record("status", status);
        }
        if let Some(id) = correlation_id {
            span.record("correlation_id", id);
        }
        tracing::info!(target: "gateway_client::http", parent: &span, "gateway attempt");
        result
    }

    async fn send_once(
        &self,
        req: &Req,
        token: &AccessToken,
        request_id: &str,
    ) -> Result<Raw, GatewayError> {
        let mut builder = self
            .http()
            .request(req.method.clone(), req.url.clone())
            .header(REQUEST_ID_HEADER, request_id)
            .bearer_auth(token.expose());
        for (name, value) in &req.headers {
            builder = builder.header(*name, value);
        }
        if let Some(body) = &req.body {
            builder = builder
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = builder.send().await.map_err(|e| transport(req.op, e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let correlation_id = header_str(&headers, CORRELATION_HEADER);
        let body = match read_body(response, self.config().max_body_bytes).await {
            Ok(body) => body,
            Err(BodyError::TooLarge { limit, .. }) => {
                return Err(GatewayError::BodyTooLarge {
                    operation: req.op,
                    status,
                    limit,
                    correlation_id,
                })
            }
            Err(BodyError::Transport(e)) => return Err(transport(req.op, e)),
        };
        Ok(Raw {
            status,
            etag: header_str(&headers, ETAG.as_str()),
            correlation_id,
            retry_after: header_str(&headers, RETRY_AFTER.as_str())
                .and_then(|v| parse_retry_after(&v, SystemTime::now())),
            redirect: redirect_target(status, &headers, &req.url),
            body,
        })
    }
}

/// The header carrying a fresh id on every request, for joining the gateway's logs with ours.
pub(crate) const REQUEST_ID_HEADER: &str = "X-Request-Id";

/// The route of an operation, as a template (no ids).
fn route_template(op: &str) -> &'static str {
    match op {
        "capacity" => "{prefix}/models/capacity",
        "get_context" | "patch_context" => "{prefix}/conversations/{conversationId}/context",
        _ => "{prefix}/…",
    }
}

/// A transport error without URL or headers.
pub(crate) fn transport(operation: &'static str, err: reqwest::Error) -> GatewayError {
    GatewayError::Transport {
        kind: TransportKind::of(&err),
        operation,
        message: describe(err),
    }
}

/// The error and its sources, without the URL; a TLS failure names the host and why.
pub(crate) fn describe(err: reqwest::Error) -> String {
    genesys_transport::describe(err).0
}

#[derive(Deserialize, Default)]
struct GenesysErrorBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default, rename = "contextId")]
    context_id: Option<String>,
}

pub(crate) fn decode<T: DeserializeOwned>(op: &'static str, raw: &Raw) -> Result<T, GatewayError> {
    serde_json::from_slice(&raw.body).map_err(|e| GatewayError::Decode {
        status: raw.status,
        operation: op,
        reason: e.to_string(),
        body: truncate(&String::from_utf8_lossy(&raw.body), MAX_KEPT_BODY),
        correlation_id: raw.correlation_id.clone(),
    })
}

fn api_error(raw: &Raw) -> ApiError {
    let body: GenesysErrorBody = serde_json::from_slice(&raw.body).unwrap_or_default();
    let message = match (&raw.redirect, body.message) {
        (Some(target), _) => format!(
            "redirect to {target} not followed (credentialed requests stay on their origin)"
        ),
        (None, Some(m)) => m,
        (None, None) => truncate(String::from_utf8_lossy(&raw.body).trim(), 200),
    };
    ApiError {
        status: raw.status,
        code: body.code,
        message,
        correlation_id: raw.correlation_id.clone().or(body.context_id),
    }
}

/// A 409 `idempotency.key.in.progress`: retried like a 5xx.
fn in_progress(raw: &Raw) -> bool {
    raw.status == 409
        && serde_json::from_slice::<GenesysErrorBody>(&raw.body)
            .is_ok_and(|b| b.code.as_deref() == Some(KEY_IN_PROGRESS_CODE))
}

/// Maps a final non-success answer to its typed error.
pub(crate) fn map_status(raw: &Raw) -> GatewayError {
    let e = api_error(raw);
    match raw.status {
        400 if e.code.as_deref() == Some(TOKEN_LIMIT_CODE) => GatewayError::TokenLimitExceeded(e),
        400 => GatewayError::BadRequest(e),
        401 => GatewayError::Unauthorized(e),
        403 => GatewayError::Forbidden(e),
        404 => GatewayError::NotFound(e),
        409 if e.code.as_deref() == Some(KEY_IN_PROGRESS_CODE) => {
            GatewayError::IdempotencyInProgress(e)
        }
        422 if e.code.as_deref() == Some(KEY_REUSED_CODE) => GatewayError::IdempotencyKeyReused(e),
        409 | 412 => GatewayError::VersionConflict {
            attempts: 1,
            last: e,
        },
        428 => GatewayError::PreconditionRequired(e),
        429 => GatewayError::RateLimited {
            retry_after: raw.retry_after,
            details: e,
        },
        408 | 500..=599 => GatewayError::Server(e),
        _ => GatewayError::UnexpectedStatus(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping_keeps_code_and_correlation() {
        let raw = Raw {
            status: 400,
            etag: None,
            correlation_id: None,
            retry_after: None,
            redirect: None,
            body:
                br#"{"message":"too big","code":"context.token.limit.exceeded","contextId":"c-9"}"#
                    .to_vec(),
        };
        let err = map_status(&raw);
        assert!(matches!(err, GatewayError::TokenLimitExceeded(_)));
        assert_eq!(err.code(), Some(TOKEN_LIMIT_CODE));
        assert_eq!(err.correlation_id(), Some("c-9"));
        let shown = err.to_string();
        assert!(shown.contains("400") && shown.contains("c-9") && shown.contains("too big"));
    }

    #[test]
    fn an_unfollowed_redirect_names_its_target() {
        let raw = Raw {
            status: 307,
            etag: None,
            correlation_id: Some("corr-307".into()),
            retry_after: None,
            redirect: Some("https://elsewhere.example/context".into()),
            body: Vec::new(),
        };
        let err = map_status(&raw);
        assert!(matches!(err, GatewayError::UnexpectedStatus(_)));
        assert!(
            err.to_string()
                .contains("https://elsewhere.example/context"),
            "{err}"
        );
    }
}
