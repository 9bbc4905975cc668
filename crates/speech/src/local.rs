//! The engine on the providers' port ([`glimvid_providers::SpeechSynthesizer`]): synthesis on a
//! blocking thread so the async workers keep running.

use std::sync::Arc;

use async_trait::async_trait;
use glimvid_domain::Voice;
use glimvid_providers::{ProviderError, Speech};

use crate::KokoroEngine;

const PROVIDER: &str = "kokoro";

/// The local speech engine as the renderer sees it.
#[derive(Clone)]
pub struct LocalSpeech {
    engine: Arc<KokoroEngine>,
}

impl std::fmt::Debug for LocalSpeech {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalSpeech").field("voices", &self.engine.voices()).finish()
    }
}

impl LocalSpeech {
    pub fn new(engine: KokoroEngine) -> Self {
        Self { engine: Arc::new(engine) }
    }
}

#[async_trait]
impl glimvid_providers::SpeechSynthesizer for LocalSpeech {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    fn voices(&self) -> &[Voice] {
        self.engine.voices()
    }

    async fn synthesize(&self, text: &str, voice: Voice, pace: f32) -> Result<Speech, ProviderError> {
        let engine = self.engine.clone();
        let text = text.to_owned();
        tokio::task::spawn_blocking(move || engine.synthesize_paced(&text, voice, pace))
            .await
            .map_err(|e| {
                ProviderError::transient(PROVIDER, "engine_stopped", format!("speech synthesis stopped: {e}"))
            })?
            .map_err(|e| ProviderError::permanent(PROVIDER, "speech_failed", e.to_string()))
    }
}
