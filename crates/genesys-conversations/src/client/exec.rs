//! One platform call with its retries (the executor of [`ConversationSource`]).

use std::time::{Duration, Instant};

use genesys_auth::AccessToken;
use genesys_transport::{
    error_chain, header_str, parse_retry_after, read_body, redirect_target, BodyError, Deadline,
    RetryBudget, TransportKind, Wait, CORRELATION_HEADER,
};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use reqwest::Url;

use super::ConversationSource;
use crate::error::ImportError;
use crate::model::ErrorBody;

struct Answer {
    status: u16,
    bytes: Vec<u8>,
    retry_after: Option<Duration>,
    correlation_id: Option<String>,
}

enum Attempt {
    Done(Vec<u8>),
    Unauthorized(Option<String>),
    Retry {
        error: ImportError,
        retry_after: Option<Duration>,
        cost: u32,
    },
    Fatal(ImportError),
}

impl ConversationSource {
    /// One call with its retries: 401 refreshes the token once; 429, 5xx, 408 and network
    /// failures retry within the policy, the budget and the deadline.
    pub(super) async fn execute(
        &self,
        route: &'static str,
        conversation_id: &str,
        url: &Url,
        body: Option<Vec<u8>>,
    ) -> Result<Vec<u8>, ImportError> {
        let policy = self.config.retry;
        let deadline = Deadline::new(self.config.deadline);
        let mut attempt = 0u32;
        let mut refreshed = false;
        let mut spent = 0;
        loop {
            attempt += 1;
            let outcome = deadline
                .run(self.attempt(route, conversation_id, url, body.as_deref(), attempt))
                .await
                .unwrap_or_else(|e| {
                    Attempt::Fatal(ImportError::DeadlineExceeded {
                        route,
                        attempts: attempt,
                        limit: e.limit,
                    })
                });
            let (error, retry_after, cost) = match outcome {
                Attempt::Done(bytes) => {
                    self.budget.refund(if spent > 0 {
                        spent
                    } else {
                        RetryBudget::SUCCESS_REFUND
                    });
                    return Ok(bytes);
                }
                Attempt::Fatal(error) => return Err(error),
                Attempt::Unauthorized(correlation_id) if refreshed => {
                    return Err(ImportError::Unauthorized {
                        route,
                        correlation_id,
                    })
                }
                Attempt::Unauthorized(_) => {
                    refreshed = true;
                    tracing::info!(target: "genesys_conversations", route, "401: refreshing the token once");
                    continue;
                }
                Attempt::Retry {
                    error,
                    retry_after,
                    cost,
                } => (error, retry_after, cost),
            };
            let wait = match policy.wait(attempt, retry_after) {
                Wait::Sleep(wait) if policy.allows_another(attempt) => wait,
                Wait::Sleep(_) | Wait::OverCap(_) => return Err(error),
            };
            if !deadline.allows_wait(wait) || !self.budget.try_acquire(cost) {
                tracing::warn!(target: "genesys_conversations", route, attempt, "no time or retry budget left; giving up");
                return Err(error);
            }
            spent += cost;
            tracing::warn!(
                target: "genesys_conversations",
                route,
                attempt,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = error.kind(),
                "retrying"
            );
            self.sleeper.sleep(wait).await;
        }
    }

    async fn attempt(
        &self,
        route: &'static str,
        conversation_id: &str,
        url: &Url,
        body: Option<&[u8]>,
        attempt: u32,
    ) -> Attempt {
        let token = match self.tokens.token().await {
            Ok(t) => t,
            Err(e) => return Attempt::Fatal(e.into()),
        };
        let started = Instant::now();
        let request = match body {
            Some(b) => self
                .http
                .post(url.clone())
                .header(CONTENT_TYPE, "application/json")
                .body(b.to_vec()),
            None => self.http.get(url.clone()),
        };
        let sent = request
            .header(AUTHORIZATION, format!("Bearer {}", token.expose()))
            .header(ACCEPT, "application/json")
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return transport(route, attempt, e),
        };
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let correlation_id = header_str(&headers, CORRELATION_HEADER);
        if let Some(location) = redirect_target(status, &headers, url) {
            return Attempt::Fatal(ImportError::Redirected {
                route,
                status,
                location,
            });
        }
        let bytes = match read_body(response, self.config.max_body_bytes).await {
            Ok(b) => b,
            Err(BodyError::TooLarge { limit, .. }) => {
                return Attempt::Fatal(ImportError::TooLarge { route, limit })
            }
            Err(BodyError::Transport(e)) => return transport(route, attempt, e),
        };
        tracing::info!(
            target: "genesys_conversations",
            route,
            status,
            attempt,
            latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            correlation_id = correlation_id.as_deref().unwrap_or(""),
            "platform call"
        );
        let retry_after = header_str(&headers, RETRY_AFTER.as_str())
            .and_then(|v| parse_retry_after(&v, std::time::SystemTime::now()));
        let answer = Answer {
            status,
            bytes,
            retry_after,
            correlation_id,
        };
        self.classify(route, conversation_id, answer, attempt, &token)
    }

    /// What one answer means. Only error bodies are read (they carry no conversation text).
    fn classify(
        &self,
        route: &'static str,
        conversation_id: &str,
        answer: Answer,
        attempts: u32,
        token: &AccessToken,
    ) -> Attempt {
        let Answer {
            status,
            bytes,
            retry_after,
            correlation_id,
        } = answer;
        if (200..300).contains(&status) {
            return Attempt::Done(bytes);
        }
        let error = ErrorBody::parse(&bytes).unwrap_or_default();
        match status {
            401 => {
                self.tokens.invalidate(token);
                Attempt::Unauthorized(correlation_id)
            }
            403 => Attempt::Fatal(ImportError::Forbidden {
                route,
                permissions: error.permissions(),
                code: error.code,
                correlation_id,
            }),
            404 => Attempt::Fatal(ImportError::NotFound {
                route,
                conversation_id: conversation_id.to_owned(),
                correlation_id,
            }),
            429 => Attempt::Retry {
                error: ImportError::RateLimited {
                    route,
                    attempts,
                    retry_after,
                    correlation_id,
                },
                retry_after,
                cost: RetryBudget::RETRY_COST,
            },
            _ => {
                let api = ImportError::Api {
                    route,
                    status,
                    code: error.code,
                    message: error.message.map(|m| m.chars().take(300).collect()),
                    attempts,
                    correlation_id,
                };
                if status == 408 || status >= 500 {
                    Attempt::Retry {
                        error: api,
                        retry_after,
                        cost: RetryBudget::RETRY_COST,
                    }
                } else {
                    Attempt::Fatal(api)
                }
            }
        }
    }
}

fn transport(route: &'static str, attempts: u32, e: reqwest::Error) -> Attempt {
    let kind = TransportKind::of(&e);
    let e = e.without_url();
    Attempt::Retry {
        error: ImportError::Transport {
            route,
            attempts,
            detail: format!("{kind}: {}", error_chain(&e)),
        },
        retry_after: None,
        cost: if kind == TransportKind::Timeout {
            RetryBudget::TIMEOUT_RETRY_COST
        } else {
            RetryBudget::RETRY_COST
        },
    }
}
