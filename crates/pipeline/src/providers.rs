//! Chooses the provider adapters from the configuration: DeepSeek writes scripts when
//! `GLIMVID_DEEPSEEK_API_KEY` is set, Ark enhances photos and makes the video when
//! `GLIMVID_ARK_API_KEY` is set; otherwise the embedded adapters (the offline writer and the
//! local media engine) that the caller passes in. This crate does not build the local engine
//! itself, so that the pipeline does not compile it.

use std::sync::Arc;

use glimvid_providers::{
    ApiKey, ArkEnhancer, ArkSettings, ArkVideoGenerator, ClipJoiner, DeepSeekSettings, DeepSeekWriter, ImageEnhancer,
    ProviderError, ScriptWriter, VideoGenerator,
};
use glimvid_runtime::ProvidersConfig;

/// The adapters of the three provider ports.
#[derive(Clone)]
pub struct Providers {
    pub writer: Arc<dyn ScriptWriter>,
    pub enhancer: Arc<dyn ImageEnhancer>,
    pub generator: Arc<dyn VideoGenerator>,
}

/// The embedded adapters, used for whatever has no API key configured.
#[derive(Clone)]
pub struct LocalProviders {
    pub writer: Arc<dyn ScriptWriter>,
    pub enhancer: Arc<dyn ImageEnhancer>,
    pub generator: Arc<dyn VideoGenerator>,
}

/// All three ports. `joiner` joins Ark's clips into the final video (the local engine does it).
pub fn from_config(
    cfg: &ProvidersConfig,
    local: LocalProviders,
    joiner: Arc<dyn ClipJoiner>,
) -> Result<Providers, ProviderError> {
    Ok(Providers {
        writer: script_writer(cfg, || local.writer)?,
        enhancer: image_enhancer(cfg, || local.enhancer)?,
        generator: video_generator(cfg, || local.generator, joiner)?,
    })
}

/// DeepSeek when its key is set, else `local()`.
pub fn script_writer(
    cfg: &ProvidersConfig,
    local: impl FnOnce() -> Arc<dyn ScriptWriter>,
) -> Result<Arc<dyn ScriptWriter>, ProviderError> {
    if crate::instant::requested() {
        return Ok(crate::instant::instant().writer);
    }
    Ok(match &cfg.deepseek_api_key {
        Some(key) => Arc::new(DeepSeekWriter::new(DeepSeekSettings::new(
            cfg.deepseek_base_url.clone(),
            ApiKey::new(key.expose()),
            cfg.deepseek_model.clone(),
        ))?),
        None => local(),
    })
}

/// Ark when its key is set, else `local()`.
pub fn image_enhancer(
    cfg: &ProvidersConfig,
    local: impl FnOnce() -> Arc<dyn ImageEnhancer>,
) -> Result<Arc<dyn ImageEnhancer>, ProviderError> {
    if crate::instant::requested() {
        return Ok(crate::instant::instant().enhancer);
    }
    Ok(match ark_settings(cfg) {
        Some(s) => Arc::new(ArkEnhancer::new(s)?),
        None => local(),
    })
}

/// Ark (its clips joined by `joiner`) when its key is set, else `local()`.
pub fn video_generator(
    cfg: &ProvidersConfig,
    local: impl FnOnce() -> Arc<dyn VideoGenerator>,
    joiner: Arc<dyn ClipJoiner>,
) -> Result<Arc<dyn VideoGenerator>, ProviderError> {
    if crate::instant::requested() {
        return Ok(crate::instant::instant().generator);
    }
    Ok(match ark_settings(cfg) {
        Some(s) => Arc::new(ArkVideoGenerator::new(s, joiner)?),
        None => local(),
    })
}

fn ark_settings(cfg: &ProvidersConfig) -> Option<ArkSettings> {
    cfg.ark_api_key.as_ref().map(|key| {
        ArkSettings::new(
            cfg.ark_base_url.clone(),
            ApiKey::new(key.expose()),
            cfg.ark_image_model.clone(),
            cfg.ark_video_model.clone(),
        )
    })
}
