//! [`ImageEnhancer`] on Ark `images/generations` (image-to-image): the photo goes as a `data:`
//! URI, the result URL (valid for 24 h) is downloaded at once, decoded and checked, and cut to
//! the job's aspect ratio when the model kept the photo's own.
//!
//! Usage: each generated image counts in `glimvid_provider_images_total` and is named in the
//! image's note, which the enhance stage puts on the job's event stream.

use std::io::Cursor;

use async_trait::async_trait;
use bytes::Bytes;
use glimvid_domain::AspectRatio;
use reqwest::Method;
use serde_json::json;
use tokio::time::Instant;

use super::{ArkClient, ArkSettings, PROVIDER};
use crate::{EnhanceRequest, EnhancedImage, ImageEnhancer, ProviderError, http};

/// Largest result we accept, in bytes and pixels; the smallest side that is still usable.
const MAX_RESULT_BYTES: u64 = 30 * 1024 * 1024;
const MAX_RESULT_PIXELS: u64 = 40_000_000;
const MIN_RESULT_SIDE: u32 = 64;

const PROMPT: &str = "Enhance this product photo for a marketing video: balanced white, clean exposure and \
    contrast, crisp detail, soft natural light. Keep the product, its shape, colours, text and logos exactly as \
    they are; do not add or remove objects.";

/// [`ImageEnhancer`] on Ark's image-to-image model.
#[derive(Debug, Clone)]
pub struct ArkEnhancer {
    c: ArkClient,
}

impl ArkEnhancer {
    pub fn new(settings: ArkSettings) -> Result<Self, ProviderError> {
        Ok(Self { c: ArkClient::new(settings)? })
    }
}

#[async_trait]
impl ImageEnhancer for ArkEnhancer {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn enhance(&self, req: &EnhanceRequest) -> Result<EnhancedImage, ProviderError> {
        let deadline = Instant::now() + self.c.s.image_deadline;
        let image = http::data_uri(&req.photo).ok_or_else(|| {
            ProviderError::permanent(PROVIDER, "invalid_image", "the photo is not a JPEG, PNG or WebP image")
        })?;
        let body = json!({
            "model": self.c.s.image_model,
            "prompt": PROMPT,
            "image": image,
            "size": "adaptive",
            "guidance_scale": 5.5,
            // The same photo gets the same result when a stage is retried.
            "seed": seed(&req.photo),
            "response_format": "url",
            "watermark": false,
        });
        let what = "Ark image enhancement";
        let answer = self.c.call(Method::POST, "/images/generations", Some(&body), what, deadline).await?;
        let url = answer["data"][0]["url"].as_str().filter(|u| !u.is_empty()).ok_or_else(|| {
            ProviderError::transient(PROVIDER, "invalid_response", format!("{what}: Ark's answer has no image URL"))
        })?;
        metrics::counter!("glimvid_provider_images_total", "provider" => PROVIDER).increment(1);
        tracing::info!(provider = PROVIDER, model = %self.c.s.image_model, images = 1, "provider usage");
        let bytes = http::with_retries(PROVIDER, &self.c.s.retry, deadline, what, |_| {
            http::download(PROVIDER, &self.c.http, url, self.c.s.download_timeout, MAX_RESULT_BYTES, what)
        })
        .await
        .map_err(|mut e| {
            // The URL is gone: a later try generates the image again (cheap, unlike a video).
            if e.code == "result_missing" {
                e.class = crate::ErrorClass::Transient;
            }
            e
        })?;
        let aspect = req.options.aspect_ratio;
        let model = self.c.s.image_model.clone();
        tokio::task::spawn_blocking(move || check_and_fit(bytes, aspect, &model))
            .await
            .map_err(|_| ProviderError::transient(PROVIDER, "internal", "the enhanced image could not be checked"))?
    }
}

/// A stable seed from the photo's bytes (FNV-1a), in Ark's range.
fn seed(bytes: &[u8]) -> i64 {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3));
    (h % 2_147_483_647) as i64
}

/// Decodes the result, checks its size, and cuts it to the aspect ratio if the model kept
/// another one. JPEG and PNG pass through untouched when no cut is needed.
fn check_and_fit(bytes: Bytes, aspect: AspectRatio, model: &str) -> Result<EnhancedImage, ProviderError> {
    let invalid = |m: String| ProviderError::transient(PROVIDER, "invalid_image", m);
    let format =
        image::guess_format(&bytes).map_err(|_| invalid("Ark returned something that is not an image".into()))?;
    let img = image::load_from_memory_with_format(&bytes, format)
        .map_err(|_| invalid("Ark returned an image that does not decode".into()))?;
    let (w, h) = (img.width(), img.height());
    if w < MIN_RESULT_SIDE || h < MIN_RESULT_SIDE || (w as u64) * (h as u64) > MAX_RESULT_PIXELS {
        return Err(invalid(format!("Ark returned an image of an unusable size ({w}x{h})")));
    }
    let (tw, th) = aspect.dimensions();
    let want = tw as f64 / th as f64;
    let have = w as f64 / h as f64;
    let passthrough = match format {
        image::ImageFormat::Jpeg => Some("image/jpeg"),
        image::ImageFormat::Png => Some("image/png"),
        _ => None,
    };
    if (have / want - 1.0).abs() <= 0.02
        && let Some(content_type) = passthrough
    {
        return Ok(EnhancedImage {
            bytes,
            content_type,
            width: w,
            height: h,
            note: format!("enhanced by Ark ({model}), 1 image generated, {w}x{h}"),
        });
    }
    // Centre cut to the wanted ratio.
    let (cw, ch) =
        if have > want { (((h as f64) * want).round() as u32, h) } else { (w, ((w as f64) / want).round() as u32) };
    let (cw, ch) = (cw.clamp(1, w), ch.clamp(1, h));
    let cut = img.crop_imm((w - cw) / 2, (h - ch) / 2, cw, ch).to_rgb8();
    let mut out = Cursor::new(Vec::new());
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&cut)
        .map_err(|_| ProviderError::transient(PROVIDER, "internal", "the enhanced image could not be re-encoded"))?;
    Ok(EnhancedImage {
        bytes: Bytes::from(out.into_inner()),
        content_type: "image/jpeg",
        width: cw,
        height: ch,
        note: format!(
            "enhanced by Ark ({model}), 1 image generated; centre cut from {w}x{h} to {cw}x{ch} for {aspect}"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Bytes {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([x as u8, y as u8, 90]));
        let mut out = Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png).unwrap();
        Bytes::from(out.into_inner())
    }

    #[test]
    fn results_are_checked_and_cut_to_the_aspect_ratio() {
        let same = check_and_fit(png(90, 160), AspectRatio::Portrait, "m").unwrap();
        assert_eq!((same.width, same.height, same.content_type), (90, 160, "image/png"));
        let cut = check_and_fit(png(200, 100), AspectRatio::Square, "m").unwrap();
        assert_eq!((cut.width, cut.height, cut.content_type), (100, 100, "image/jpeg"));
        assert_eq!(image::load_from_memory(&cut.bytes).unwrap().width(), 100);
        assert_eq!(check_and_fit(png(20, 20), AspectRatio::Square, "m").unwrap_err().code, "invalid_image");
        assert_eq!(
            check_and_fit(Bytes::from_static(b"not an image"), AspectRatio::Square, "m").unwrap_err().code,
            "invalid_image"
        );
    }

    #[test]
    fn the_seed_is_stable_and_in_range() {
        assert_eq!(seed(b"abc"), seed(b"abc"));
        assert_ne!(seed(b"abc"), seed(b"abd"));
        assert!((0..2_147_483_647).contains(&seed(b"xyz")));
    }
}
