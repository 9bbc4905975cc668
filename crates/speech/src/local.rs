//! The engine on the providers' port ([`glimvid_providers::SpeechSynthesizer`]): the domain's
//! voice catalogue, synthesis on a blocking thread so the async workers keep running.

use std::sync::Arc;

use async_trait::async_trait;
use glimvid_domain::Voice;
use glimvid_providers::{ProviderError, Speech, TimedText};

use crate::{KokoroEngine, SpeechSynthesizer as _, VoiceId};

const PROVIDER: &str = "kokoro";

/// The local speech engine as the renderer sees it.
#[derive(Clone)]
pub struct LocalSpeech {
    engine: Arc<KokoroEngine>,
    voices: Vec<Voice>,
}

impl std::fmt::Debug for LocalSpeech {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSpeech").field("voices", &self.voices).finish()
    }
}

impl LocalSpeech {
    pub fn new(engine: KokoroEngine) -> Self {
        let voices = offered(&engine.voices().iter().map(|v| v.id.as_str()).collect::<Vec<_>>());
        Self { engine: Arc::new(engine), voices }
    }
}

/// The catalogue voices among the engine's ids.
fn offered(engine_ids: &[&str]) -> Vec<Voice> {
    Voice::ALL.iter().copied().filter(|v| engine_ids.contains(&v.id())).collect()
}

#[async_trait]
impl glimvid_providers::SpeechSynthesizer for LocalSpeech {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn voices(&self) -> &[Voice] {
        &self.voices
    }

    async fn synthesize(&self, text: &str, voice: Voice, pace: f32) -> Result<Speech, ProviderError> {
        if !self.voices.contains(&voice) {
            return Err(ProviderError::permanent(
                PROVIDER,
                "unknown_voice",
                format!("the local speech engine has no voice `{}`", voice.id()),
            ));
        }
        let engine = self.engine.clone();
        let text = text.to_owned();
        let speech =
            tokio::task::spawn_blocking(move || engine.synthesize_paced(&text, &VoiceId::new(voice.id()), pace))
                .await
                .map_err(|e| {
                    ProviderError::transient(PROVIDER, "engine_stopped", format!("speech synthesis stopped: {e}"))
                })?
                .map_err(|e| ProviderError::permanent(PROVIDER, "speech_failed", e.to_string()))?;
        Ok(Speech {
            sample_rate: speech.sample_rate,
            samples: speech.samples,
            phrases: speech
                .phrases
                .into_iter()
                .map(|t| TimedText { start: t.start, end: t.end, text: t.text })
                .collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_speaks_every_voice_of_the_catalogue() {
        let ids: Vec<String> = crate::catalogue().into_iter().map(|v| v.id.0).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert_eq!(offered(&ids), Voice::ALL, "a catalogue voice the engine cannot speak");
        for v in crate::catalogue() {
            let domain = Voice::ALL.iter().find(|d| d.id() == v.id.as_str());
            assert!(domain.is_some_and(|d| d.language().as_str() == v.language), "{}", v.id);
        }
    }
}
