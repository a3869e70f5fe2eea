//! `urnscan review OUT`: the local review server and its page. An agent corrects the
//! week's flagged answers in the browser, from the keyboard, one answer at a time; every
//! decision is on disk before the page is told it is saved (`answers`).
//!
//! The server is `tiny_http`: synchronous, four small dependencies, no async runtime. One
//! person's page on one machine needs neither concurrency nor a framework, and serving one
//! request at a time makes the decisions of two tabs simply sequential.
//!
//! It listens on 127.0.0.1 only, and it is still guarded like a web application, because
//! any page the agent's browser opens can send requests to it: a random token per start
//! (in the URL printed first, then in a cookie), the `Host` header checked against the
//! server's own address (a DNS-rebinding page sends its own name), state changes only as
//! `application/json` (a cross-site form cannot send that), a strict Content-Security-
//! Policy, the page's text set as text (never as markup), and crops served only by plain
//! file name from `OUT/crops/`.

pub mod answers;

use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::Context;
use tiny_http::{Header, Method, Request, Response, Server};

use crate::error::UsageError;
use crate::output::folder::OutputFolder;
use crate::output::lock::OutputLock;

const PAGE: &str = include_str!("page/index.html");
const SCRIPT: &str = include_str!("page/app.js");
const STYLE: &str = include_str!("page/app.css");

/// Longest request body taken (a decision is a few hundred bytes).
const MAX_BODY: u64 = 256 * 1024;

/// How `urnscan review` serves.
#[derive(Debug, Clone)]
pub struct Options {
    /// The port on 127.0.0.1 (0: one the system picks).
    pub port: u16,
}

/// A bound server, not serving yet: its address is known.
pub struct ReviewServer {
    server: Server,
    out: PathBuf,
    token: String,
    port: u16,
}

impl ReviewServer {
    /// Checks `out` (an output folder no run is writing), brings its files in line with its
    /// decisions, and binds 127.0.0.1.
    pub fn bind(out: &Path, options: &Options) -> anyhow::Result<ReviewServer> {
        OutputFolder::open(out)?;
        if let Some(writer) = OutputLock::writer(out) {
            return Err(UsageError(format!(
                "urnscan process is writing into {} ({writer}): review it when the run ends",
                out.display()
            ))
            .into());
        }
        answers::reconcile(out)?;
        let server = Server::http(("127.0.0.1", options.port)).map_err(|e| {
            UsageError(format!(
                "cannot listen on 127.0.0.1 port {}: {e}",
                options.port
            ))
        })?;
        let port = server
            .server_addr()
            .to_ip()
            .map(|a| a.port())
            .context("the server has no IP address")?;
        Ok(ReviewServer {
            server,
            out: out.to_path_buf(),
            token: random_token()?,
            port,
        })
    }

    /// The address to open, token included.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/?token={}", self.port, self.token)
    }

    /// Serves until the process is stopped. Every decision is written before its answer
    /// goes back, so stopping (Ctrl-C, a kill) loses nothing already saved.
    /// Ctrl-C lets the request in hand finish, then stops.
    pub fn serve(self) -> anyhow::Result<()> {
        crate::sys::stop_on_interrupt();
        while !crate::sys::stop_requested() {
            let Some(mut request) = self
                .server
                .recv_timeout(std::time::Duration::from_millis(200))
                .context("the server stopped receiving requests")?
            else {
                continue;
            };
            let response = self.handle(&mut request);
            // A browser that went away is not the server's failure.
            let _ = request.respond(response);
        }
        Ok(())
    }

    fn handle(&self, request: &mut Request) -> Response<std::io::Cursor<Vec<u8>>> {
        let host = header(request, "Host");
        if host.as_deref() != Some(&format!("127.0.0.1:{}", self.port)) {
            return text(
                403,
                "urnscan review answers only at its own address (127.0.0.1)",
            );
        }
        let url = request.url().to_string();
        let (path, query) = url.split_once('?').unwrap_or((&url, ""));
        let from_query = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("token="))
            .filter(|t| same(t, &self.token));
        let authorised = from_query.is_some()
            || header(request, "X-Urnscan-Token").is_some_and(|t| same(&t, &self.token))
            || header(request, "Cookie").is_some_and(|c| {
                c.split(';')
                    .filter_map(|kv| kv.trim().split_once('='))
                    .any(|(k, v)| k == self.cookie_name() && same(v, &self.token))
            });
        if !authorised {
            return text(
                403,
                "accès refusé : ouvrez l'adresse complète que urnscan review a affichée \
                 (avec ?token=…)",
            );
        }
        let method = request.method().clone();
        match (&method, path) {
            (Method::Get, "/") => {
                let mut r = page(PAGE, "text/html; charset=utf-8");
                let cookie = format!(
                    "{}={}; HttpOnly; SameSite=Strict; Path=/",
                    self.cookie_name(),
                    self.token
                );
                if let Some(h) = raw_header("Set-Cookie", &cookie).filter(|_| from_query.is_some())
                {
                    r.add_header(h);
                }
                r
            }
            (Method::Get, "/app.js") => page(SCRIPT, "text/javascript; charset=utf-8"),
            (Method::Get, "/app.css") => page(STYLE, "text/css; charset=utf-8"),
            (Method::Get, "/api/answers") => json_result(answers::list(&self.out)),
            (Method::Get, p) if p.starts_with("/api/answers/") => {
                let id = decode(&p["/api/answers/".len()..]);
                match answers::get(&self.out, &id) {
                    Ok(Some(a)) => json(200, &a),
                    Ok(None) => text(404, &format!("no answer '{id}' in this folder")),
                    Err(e) => text(500, &format!("{e:#}")),
                }
            }
            (Method::Put, p) if p.starts_with("/api/answers/") => {
                let id = decode(&p["/api/answers/".len()..]);
                self.put(request, &id)
            }
            (Method::Get, p) if p.starts_with("/crops/") => self.crop(&p["/crops/".len()..]),
            (Method::Get | Method::Put, _) => text(404, "not found"),
            _ => text(405, "method not allowed"),
        }
    }

    fn put(&self, request: &mut Request, id: &str) -> Response<std::io::Cursor<Vec<u8>>> {
        let json_body = header(request, "Content-Type").is_some_and(|t| {
            t.split(';')
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
        if !json_body {
            return text(415, "a decision is sent as application/json");
        }
        let mut body = Vec::new();
        if request
            .as_reader()
            .take(MAX_BODY + 1)
            .read_to_end(&mut body)
            .is_err()
            || body.len() as u64 > MAX_BODY
        {
            return text(413, "the request is too long or was cut");
        }
        let decision: answers::DecisionRequest = match serde_json::from_slice(&body) {
            Ok(d) => d,
            Err(e) => return text(400, &format!("not a decision: {e}")),
        };
        match answers::decide(&self.out, id, decision) {
            Ok(Ok(decided)) => json(200, &decided),
            Ok(Err(refusal)) => {
                let status = match refusal {
                    answers::Refusal::Unknown(_) => 404,
                    answers::Refusal::Invalid(_) => 400,
                    answers::Refusal::Busy(_) => 409,
                };
                text(status, &refusal.to_string())
            }
            Err(e) => text(500, &format!("the decision was not saved: {e:#}")),
        }
    }

    /// A crop by its plain file name: no folder, no `..`, nothing hidden, nothing encoded.
    fn crop(&self, name: &str) -> Response<std::io::Cursor<Vec<u8>>> {
        let plain = !name.is_empty()
            && !name.starts_with('.')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
        if !plain {
            return text(404, "no such crop");
        }
        match std::fs::read(self.out.join("crops").join(name)) {
            Ok(bytes) => {
                let mut r = Response::from_data(bytes);
                for h in security_headers("image/jpeg") {
                    r.add_header(h);
                }
                r
            }
            Err(_) => text(404, "no such crop"),
        }
    }

    /// Cookies do not tell ports apart: each server names its own.
    fn cookie_name(&self) -> String {
        format!("urnscan_review_{}", self.port)
    }
}

fn header(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str().to_string())
}

/// Compares secrets without stopping at the first difference.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// `%XX` sequences of a path segment decoded (contribution ids are plain, but a page may
/// encode them).
fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&h), Some(&l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) * 16 + hex(l).unwrap_or(0)) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("cannot draw a random token from /dev/urandom")?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A header of ASCII text (all of the server's are; anything else is left out).
fn raw_header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn security_headers(content_type: &str) -> Vec<Header> {
    [
        ("Content-Type", content_type),
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
             connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
        ("Cache-Control", "no-store"),
    ]
    .iter()
    .filter_map(|(k, v)| raw_header(k, v))
    .collect()
}

fn respond(status: u16, body: Vec<u8>, content_type: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    let mut r = Response::from_data(body).with_status_code(status);
    for h in security_headers(content_type) {
        r.add_header(h);
    }
    r
}

fn page(body: &str, content_type: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    respond(200, body.as_bytes().to_vec(), content_type)
}

fn text(status: u16, message: &str) -> Response<std::io::Cursor<Vec<u8>>> {
    respond(
        status,
        format!("{message}\n").into_bytes(),
        "text/plain; charset=utf-8",
    )
}

fn json<T: serde::Serialize>(status: u16, value: &T) -> Response<std::io::Cursor<Vec<u8>>> {
    match serde_json::to_vec(value) {
        Ok(bytes) => respond(status, bytes, "application/json"),
        Err(e) => text(500, &format!("cannot encode the answer: {e}")),
    }
}

fn json_result<T: serde::Serialize>(
    value: anyhow::Result<T>,
) -> Response<std::io::Cursor<Vec<u8>>> {
    match value {
        Ok(v) => json(200, &v),
        Err(e) => text(500, &format!("{e:#}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole_and_paths_decode() {
        assert!(same("abc", "abc"));
        assert!(!same("abc", "abd") && !same("abc", "ab"));
        assert_eq!(decode("c-1-Q1"), "c-1-Q1");
        assert_eq!(decode("a%2Fb%2e%2E%zz%4"), "a/b..%zz%4");
        let t = random_token().unwrap();
        assert_eq!(t.len(), 32);
        assert_ne!(t, random_token().unwrap());
    }
}
