//! Where the engine finds the files `scripts/fetch-voices` unpacks.

use std::path::{Path, PathBuf};

use crate::error::SpeechError;

/// File name of the model the engine runs, inside `<models>/kokoro/`: the published Kokoro int8
/// export as the fetch script derives it, with its convolutions dequantised to float (ONNX
/// Runtime's int8 convolution kernel is slow: half the CPU time), a `duration_cap` input and
/// `durations` output (exact word times; no rendered edge silence), and its operators in the
/// forms ONNX Runtime's CPU kernels run fastest (2-D convolutions, squares as products).
pub const MODEL_FILE: &str = "kokoro-v1.0.int8-timed.onnx";
/// File name of ONNX Runtime inside `<models>/onnxruntime/`.
pub const ORT_LIB: &str = "libonnxruntime.so";

/// `GLIMVID_MODELS_DIR`, else `$HOME/.cache/glimvid/models` (the fetch script's default).
pub fn models_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("GLIMVID_MODELS_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("."));
    home.join(".cache/glimvid/models")
}

/// The files one engine needs.
#[derive(Debug, Clone)]
pub struct ModelPaths {
    pub model: PathBuf,
    pub voices_dir: PathBuf,
    pub onnxruntime: PathBuf,
}

impl ModelPaths {
    /// Layout under a models directory.
    pub fn under(dir: &Path) -> Self {
        Self {
            model: dir.join("kokoro").join(MODEL_FILE),
            voices_dir: dir.join("kokoro").join("voices"),
            onnxruntime: dir.join("onnxruntime").join(ORT_LIB),
        }
    }

    /// Fails with the first missing file, so the error says what to fetch.
    pub fn check(&self) -> Result<(), SpeechError> {
        for p in [&self.model, &self.voices_dir, &self.onnxruntime] {
            if !p.exists() {
                return Err(SpeechError::ModelsMissing(p.display().to_string()));
            }
        }
        Ok(())
    }
}
