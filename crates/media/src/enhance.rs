//! The local image enhancer: colour correction (white balance, levels), light sharpening and
//! framing to the video's aspect ratio, all on the CPU with SIMD resizing. The output is an sRGB
//! JPEG at exactly the frame size, so the renderer never has to reframe it.

mod color;
mod fit;

use std::io::Cursor;

use async_trait::async_trait;
use bytes::Bytes;
use glimvid_providers::{EnhanceRequest, EnhancedImage, ImageEnhancer, ProviderError};
use image::{ImageEncoder, codecs::jpeg::JpegEncoder};

use crate::imaging::{decode_rgb, reduced};
use crate::upload::DEFAULT_MAX_PIXELS;

const PROVIDER: &str = "local";
/// Statistics are measured on a copy this size: a few hundred pixels give stable percentiles.
const ANALYSIS_SIDE: u32 = 384;
const JPEG_QUALITY: u8 = 90;
/// Transparent pixels (a product cut-out) are shown over this light grey.
const MATTE: [u8; 3] = [242, 242, 242];

/// The embedded [`ImageEnhancer`].
#[derive(Debug, Clone, Default)]
pub struct LocalEnhancer;

impl LocalEnhancer {
    pub fn new() -> Self {
        Self
    }
}

#[async_trait]
impl ImageEnhancer for LocalEnhancer {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn enhance(&self, req: &EnhanceRequest) -> Result<EnhancedImage, ProviderError> {
        let photo = req.photo.clone();
        let target = req.options.aspect_ratio.dimensions();
        tokio::task::spawn_blocking(move || enhance_photo(&photo, target))
            .await
            .map_err(|e| ProviderError::transient(PROVIDER, "internal", format!("enhancement task failed: {e}")))?
    }
}

/// Enhances one photo to exactly `target` (width, height) pixels. CPU-bound: call it from a
/// blocking context.
pub fn enhance_photo(photo: &[u8], target: (u32, u32)) -> Result<EnhancedImage, ProviderError> {
    let img = decode_rgb(photo, DEFAULT_MAX_PIXELS, MATTE).map_err(|e| {
        tracing::debug!(error = %e, "local enhancer could not decode a photo");
        ProviderError::permanent(PROVIDER, "invalid_image", "the photo could not be decoded")
    })?;
    let mut small = reduced(&img, ANALYSIS_SIDE);
    let corr = color::analyse(&small);
    corr.apply(&mut small);
    let framed = fit::fit(&img, &small, &corr, target);

    let mut note = framed.note;
    match (corr.balanced(), corr.stretched()) {
        (true, true) => note.push_str("; white balance and levels corrected"),
        (true, false) => note.push_str("; white balance corrected"),
        (false, true) => note.push_str("; levels stretched"),
        (false, false) => {}
    }

    let (w, h) = framed.image.dimensions();
    let mut out = Cursor::new(Vec::with_capacity((w * h / 4) as usize));
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .write_image(framed.image.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .map_err(|e| ProviderError::permanent(PROVIDER, "encode_failed", format!("JPEG encoding failed: {e}")))?;
    Ok(EnhancedImage { bytes: Bytes::from(out.into_inner()), content_type: "image/jpeg", width: w, height: h, note })
}

#[cfg(test)]
mod tests;
