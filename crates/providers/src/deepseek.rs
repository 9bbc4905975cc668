//! The DeepSeek script writer: chat completions in JSON mode, the answer parsed into the
//! domain's [`Script`] and validated; an unusable answer is sent back once with the validation
//! error for repair.
//!
//! Only the description, the options (language, duration, aspect ratio, style) and the number
//! of photos go into the prompt: nothing about the user.
//!
//! DeepSeek may keep a busy connection alive by sending blank lines for minutes. Each request
//! has a total timeout (not an idle timeout, which the blank lines would defeat) and the whole
//! call has its own deadline across retries.
//!
//! Usage (prompt and completion tokens) is counted in the `glimvid_provider_tokens_total`
//! metric and logged in the stage's span, which carries the job id.

use std::time::Duration;

use async_trait::async_trait;
use glimvid_domain::{AspectRatio, Language, Script, Style, script};
use reqwest::{StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::{
    ProviderError, ScriptRequest, ScriptWriter,
    http::{self, ApiKey, RetryPolicy, short, transport_error},
};

const PROVIDER: &str = "deepseek";

/// Where and how to reach DeepSeek. Model ids drift between releases: keep them configurable.
#[derive(Debug, Clone)]
pub struct DeepSeekSettings {
    /// `https://api.deepseek.com` (no trailing slash needed).
    pub base_url: String,
    pub api_key: ApiKey,
    pub model: String,
    pub temperature: f32,
    pub max_tokens: u32,
    /// One HTTP exchange, body included.
    pub request_timeout: Duration,
    /// The whole `write`, retries and the repair round included.
    pub deadline: Duration,
    pub retry: RetryPolicy,
}

impl DeepSeekSettings {
    pub fn new(base_url: impl Into<String>, api_key: ApiKey, model: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            api_key,
            model: model.into(),
            temperature: 1.0,
            max_tokens: 2048,
            request_timeout: Duration::from_secs(90),
            deadline: Duration::from_secs(240),
            retry: RetryPolicy::default(),
        }
    }
}

/// [`ScriptWriter`] on DeepSeek chat completions.
#[derive(Debug, Clone)]
pub struct DeepSeekWriter {
    http: reqwest::Client,
    s: DeepSeekSettings,
}

impl DeepSeekWriter {
    pub fn new(settings: DeepSeekSettings) -> Result<Self, ProviderError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|_| ProviderError::permanent(PROVIDER, "config", "the HTTP client could not be built"))?;
        Ok(Self { http, s: settings })
    }

    /// One chat completion, retried on transient errors; the message content.
    async fn complete(&self, messages: &[Value], deadline: Instant) -> Result<String, ProviderError> {
        let body = json!({
            "model": self.s.model,
            "messages": messages,
            "response_format": {"type": "json_object"},
            "temperature": self.s.temperature,
            "max_tokens": self.s.max_tokens,
            "stream": false,
        });
        http::with_retries(PROVIDER, &self.s.retry, deadline, "DeepSeek", |_| self.exchange(&body)).await
    }

    async fn exchange(&self, body: &Value) -> Result<String, ProviderError> {
        let resp = self
            .http
            .post(format!("{}/chat/completions", self.s.base_url))
            .header(header::AUTHORIZATION, self.s.api_key.bearer())
            .header(header::ACCEPT, "application/json")
            .json(body)
            .timeout(self.s.request_timeout)
            .send()
            .await
            .map_err(|e| transport_error(PROVIDER, "DeepSeek", e))?;
        let status = resp.status();
        let retry_after = http::retry_after(resp.headers());
        let text = resp.text().await.map_err(|e| transport_error(PROVIDER, "DeepSeek", e))?;
        if !status.is_success() {
            let mut e = self.status_error(status, &text);
            e.retry_after = retry_after;
            return Err(e);
        }
        let parsed: Completion = serde_json::from_str(text.trim()).map_err(|_| {
            ProviderError::transient(PROVIDER, "invalid_response", "DeepSeek sent an answer that is not a completion")
        })?;
        if let Some(u) = &parsed.usage {
            metrics::counter!("glimvid_provider_tokens_total", "provider" => PROVIDER, "direction" => "in")
                .increment(u.prompt_tokens);
            metrics::counter!("glimvid_provider_tokens_total", "provider" => PROVIDER, "direction" => "out")
                .increment(u.completion_tokens);
            tracing::info!(
                provider = PROVIDER,
                model = %self.s.model,
                tokens_in = u.prompt_tokens,
                tokens_out = u.completion_tokens,
                "provider usage"
            );
        }
        let choice = parsed.choices.into_iter().next();
        let finish = choice.as_ref().and_then(|c| c.finish_reason.clone()).unwrap_or_default();
        if finish == "insufficient_system_resource" {
            return Err(ProviderError::transient(PROVIDER, "unavailable", "DeepSeek is short of capacity right now"));
        }
        let content = choice.and_then(|c| c.message.content).unwrap_or_default();
        if content.trim().is_empty() {
            return Err(ProviderError::transient(PROVIDER, "blank_answer", "DeepSeek answered with empty content"));
        }
        Ok(content)
    }

    fn status_error(&self, status: StatusCode, body: &str) -> ProviderError {
        let detail = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(|m| short(&self.s.api_key.scrub(m), 200)))
            .filter(|m| !m.is_empty());
        let with = |base: &str| match &detail {
            Some(d) => format!("{base}: {d}"),
            None => base.to_owned(),
        };
        let code = status.as_u16();
        match code {
            400 => ProviderError::permanent(PROVIDER, "bad_request", with("DeepSeek refused the request (400)")),
            // The message of a 401 may quote part of the key: never pass it on.
            401 => ProviderError::permanent(PROVIDER, "unauthorized", "DeepSeek refused the API key (401)"),
            402 => ProviderError::permanent(
                PROVIDER,
                "insufficient_balance",
                "the DeepSeek account is out of balance (402)",
            ),
            422 => ProviderError::permanent(PROVIDER, "bad_request", with("DeepSeek refused the parameters (422)")),
            429 => ProviderError::transient(PROVIDER, "rate_limited", "DeepSeek is rate limiting us (429)"),
            500..=599 => ProviderError::transient(PROVIDER, "unavailable", format!("DeepSeek is unavailable ({code})")),
            _ if http::is_transient_status(status) => {
                ProviderError::transient(PROVIDER, "unavailable", format!("DeepSeek answered {code}"))
            }
            _ => ProviderError::permanent(PROVIDER, "bad_request", with(&format!("DeepSeek answered {code}"))),
        }
    }
}

#[derive(Deserialize)]
struct Completion {
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Message {
    content: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
}

#[async_trait]
impl ScriptWriter for DeepSeekWriter {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn write(&self, req: &ScriptRequest) -> Result<Script, ProviderError> {
        let deadline = Instant::now() + self.s.deadline;
        let work = async {
            let mut messages = vec![
                json!({"role": "system", "content": system_prompt(req)}),
                json!({"role": "user", "content": user_prompt(req)}),
            ];
            let first = self.complete(&messages, deadline).await?;
            let why = match parse_script(&first, req.photo_count) {
                Ok(script) => return Ok(script),
                Err(why) => why,
            };
            tracing::info!(provider = PROVIDER, reason = %why, "the script was unusable; asking for a repair");
            messages.push(json!({"role": "assistant", "content": first}));
            messages.push(json!({"role": "user", "content": format!(
                "That json document is not usable: {why}. Answer again with the whole corrected json document only, \
                 in the same shape."
            )}));
            let second = self.complete(&messages, deadline).await?;
            parse_script(&second, req.photo_count).map_err(|why| {
                ProviderError::permanent(
                    PROVIDER,
                    "invalid_script",
                    format!("DeepSeek wrote an unusable script twice: {why}"),
                )
            })
        };
        match tokio::time::timeout_at(deadline, work).await {
            Ok(r) => r,
            Err(_) => Err(http::deadline_error(PROVIDER, "DeepSeek")),
        }
    }
}

/// Why a completion's content is not a usable script; its text is what the repair request tells
/// the model to fix.
#[derive(Debug, thiserror::Error)]
pub enum UnusableScript {
    #[error("it does not parse as the script shape ({0})")]
    Shape(#[from] serde_json::Error),
    #[error("{}", .0.message)]
    Invalid(glimvid_domain::DomainError),
}

/// The script in a completion's content: JSON (a code fence around it is tolerated), in the
/// domain's shape, valid for the photo count. The error says what to fix.
pub fn parse_script(content: &str, photo_count: usize) -> Result<Script, UnusableScript> {
    let raw = content.trim();
    let raw = raw
        .strip_prefix("```json")
        .or_else(|| raw.strip_prefix("```"))
        .and_then(|r| r.strip_suffix("```"))
        .unwrap_or(raw)
        .trim();
    let script: Script = serde_json::from_str(raw)?;
    script.validate(photo_count).map_err(UnusableScript::Invalid)?;
    Ok(script)
}

fn language_name(l: Language) -> &'static str {
    match l {
        Language::En => "English",
        Language::Zh => "Simplified Chinese",
        Language::Es => "Spanish",
        Language::Fr => "French",
        Language::De => "German",
        Language::Ja => "Japanese",
    }
}

fn style_hint(s: Style) -> &'static str {
    match s {
        Style::Clean => "clean and calm",
        Style::Bold => "bold and energetic, short punchy lines",
        Style::Elegant => "elegant and understated",
    }
}

fn aspect_hint(a: AspectRatio) -> &'static str {
    match a {
        AspectRatio::Portrait => "vertical 9:16 (phone, stories)",
        AspectRatio::Landscape => "horizontal 16:9",
        AspectRatio::Square => "square 1:1 (feed)",
    }
}

/// How many scenes suit the duration: about one per five seconds, within the domain's bounds.
pub fn scene_count(duration_s: u32) -> usize {
    ((duration_s as usize + 2) / 5).clamp(script::MIN_SCENES, script::MAX_SCENES)
}

fn system_prompt(req: &ScriptRequest) -> String {
    let example = json!({
        "title": "Ceramic espresso cup",
        "hook": "Your morning ritual deserves better.",
        "scenes": [
            {"caption": "Hand-thrown, one by one", "voiceover": "Each cup is shaped by hand in a small studio.", "photo_index": 0},
            {"caption": "90 ml, just right", "voiceover": "The perfect size for a double espresso.", "photo_index": 0},
            {"caption": "Dishwasher safe", "voiceover": "Beautiful, and easy to live with.", "photo_index": 0}
        ],
        "call_to_action": "Order yours today"
    });
    format!(
        "You write scripts for short product marketing videos. Answer with one json document only, no prose, \
         exactly in this shape:\n{example}\n\
         Rules: {min} to {max} scenes; title at most {title} characters; caption and call_to_action at most \
         {caption} characters each; hook and each voiceover at most {line} characters; no field empty; \
         photo_index is a whole number from 0 to {last} (0-based) and every photo should appear at least once \
         when there are enough scenes; all text in {lang}; claim nothing the description does not say.",
        min = script::MIN_SCENES,
        max = script::MAX_SCENES,
        title = script::MAX_TITLE_CHARS,
        caption = script::MAX_CAPTION_CHARS,
        line = script::MAX_LINE_CHARS,
        last = req.photo_count.max(1) - 1,
        lang = language_name(req.options.language),
    )
}

fn user_prompt(req: &ScriptRequest) -> String {
    let o = &req.options;
    format!(
        "Product description: {desc}\nPhotos: {photos}\nVideo: {secs} seconds, {aspect}, {scenes} scenes, style {style}.\n\
         Each voiceover is read aloud during its scene: keep each one to at most {budget}.\n\
         Write the json script in {lang}.",
        desc = req.description.as_str(),
        photos = req.photo_count.max(1),
        secs = o.duration_s,
        aspect = aspect_hint(o.aspect_ratio),
        scenes = scene_count(o.duration_s),
        style = style_hint(o.style),
        budget = voiceover_budget(o.duration_s, scene_count(o.duration_s), o.language),
        lang = language_name(o.language),
    )
}

/// How much a scene's voice-over may say so that it is spoken within the scene: about 60 % of
/// the video is speech (titles, pauses and the closing card take the rest), at a calm read of
/// about 2.5 words a second, or 4.5 Chinese / 7 Japanese characters a second.
fn voiceover_budget(duration_s: u32, scenes: usize, language: glimvid_domain::Language) -> String {
    use glimvid_domain::Language;
    let seconds = duration_s as f64 * 0.6 / scenes.max(1) as f64;
    match language {
        Language::Zh => format!("{} Chinese characters", (seconds * 4.5).floor().max(4.0)),
        Language::Ja => format!("{} Japanese characters", (seconds * 7.0).floor().max(6.0)),
        _ => format!("{} words", (seconds * 2.5).floor().max(2.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_in_fences_parse_and_bad_ones_say_why() {
        let ok = r#"{"title":"T","hook":"H","scenes":[{"caption":"a","voiceover":"b","photo_index":0},
            {"caption":"a","voiceover":"b","photo_index":1},{"caption":"a","voiceover":"b","photo_index":0}],
            "call_to_action":"Buy"}"#;
        assert!(parse_script(ok, 2).is_ok());
        assert!(parse_script(&format!("```json\n{ok}\n```"), 2).is_ok());
        assert!(parse_script(ok, 1).unwrap_err().to_string().contains("photo_index"));
        assert!(parse_script("{\"title\": 1}", 1).unwrap_err().to_string().contains("script shape"));
    }

    #[test]
    fn the_voiceover_budget_follows_duration_and_language() {
        use glimvid_domain::Language;
        assert_eq!(voiceover_budget(15, 3, Language::En), "7 words");
        assert_eq!(voiceover_budget(60, 6, Language::En), "15 words");
        assert_eq!(voiceover_budget(15, 3, Language::Zh), "13 Chinese characters");
        assert_eq!(voiceover_budget(5, 3, Language::En), "2 words");
    }

    #[test]
    fn scene_counts_follow_the_duration() {
        assert_eq!(scene_count(5), 3);
        assert_eq!(scene_count(15), 3);
        assert_eq!(scene_count(20), 4);
        assert_eq!(scene_count(60), 6);
    }
}
