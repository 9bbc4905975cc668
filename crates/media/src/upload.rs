//! Upload sanitising: the only door a user's photo comes in through. The content type is sniffed
//! from the bytes (never trusted from the client), the pixel count is checked from the header
//! before anything is decoded (decompression bombs are refused without allocating), the image is
//! decoded under limits, turned upright by its EXIF orientation and re-encoded without any
//! metadata: no EXIF, GPS, XMP, ICC or comments survive.

use std::io::Cursor;

use bytes::Bytes;
use glimvid_domain::ErrorCode;
use image::{
    DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader, Limits,
    codecs::{jpeg::JpegEncoder, png::PngEncoder},
    metadata::Orientation,
};

/// What an upload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Largest accepted width x height. 40 MP covers every phone camera.
    pub max_pixels: u64,
    /// Smallest accepted width and height: anything smaller cannot fill a video frame.
    pub min_side: u32,
}

pub const DEFAULT_MAX_PIXELS: u64 = 40_000_000;
pub const DEFAULT_MIN_SIDE: u32 = 64;

impl Default for UploadLimits {
    fn default() -> Self {
        Self { max_pixels: DEFAULT_MAX_PIXELS, min_side: DEFAULT_MIN_SIDE }
    }
}

/// A photo that is safe to store and pass on: upright, metadata-free JPEG (opaque) or PNG (with
/// real transparency).
#[derive(Debug, Clone)]
pub struct SanitizedImage {
    pub bytes: Bytes,
    /// `image/jpeg` or `image/png`.
    pub content_type: &'static str,
    pub width: u32,
    pub height: u32,
}

/// Why an upload was refused. The `Display` text is meant for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UploadError {
    #[error("unsupported file type: upload a JPEG, PNG or WebP photo")]
    UnsupportedType,
    #[error(
        "the photo is {width}x{height} pixels ({} MP); the limit is {} MP",
        megapixels(*width as u64 * *height as u64),
        megapixels(*max_pixels)
    )]
    TooManyPixels { width: u32, height: u32, max_pixels: u64 },
    /// Within the pixel limit but too deep (e.g. 16-bit RGBA): its decoded pixels alone would
    /// take more memory than a photo may.
    #[error(
        "the photo is {width}x{height} pixels of {bytes_per_pixel} bytes each: {} MB once decoded, more than the {} MB a photo may take",
        mebibytes(*width as u64 * *height as u64 * *bytes_per_pixel as u64),
        mebibytes(*limit)
    )]
    TooMuchMemory { width: u32, height: u32, bytes_per_pixel: u16, limit: u64 },
    #[error("the photo is only {width}x{height} pixels; it must be at least {min_side}x{min_side}")]
    TooSmall { width: u32, height: u32, min_side: u32 },
    /// `detail` is the decoder's reason, for logs; the message shown stays generic.
    #[error("the photo could not be read: the file is damaged or incomplete")]
    Corrupt { detail: String },
    #[error("the photo could not be processed")]
    Internal { detail: String },
}

fn mebibytes(b: u64) -> u64 {
    b.div_ceil(1024 * 1024)
}

fn megapixels(px: u64) -> String {
    let mp = px as f64 / 1e6;
    if mp >= 10.0 { format!("{mp:.0}") } else { format!("{mp:.1}") }
}

impl UploadError {
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::UnsupportedType => ErrorCode::UnsupportedMediaType,
            Self::TooManyPixels { .. } => ErrorCode::PayloadTooLarge,
            Self::Corrupt { .. } | Self::TooSmall { .. } | Self::TooMuchMemory { .. } => ErrorCode::Validation,
            Self::Internal { .. } => ErrorCode::Internal,
        }
    }

    fn corrupt(e: impl std::fmt::Display) -> Self {
        Self::Corrupt { detail: e.to_string() }
    }
}

/// Sniffs the format from the magic bytes: JPEG, PNG and WebP only.
pub fn sniff(bytes: &[u8]) -> Option<ImageFormat> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageFormat::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageFormat::Png)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(ImageFormat::WebP)
    } else {
        None
    }
}

/// JPEG quality of re-encoded opaque photos: visually lossless, and the enhancer re-encodes later.
const JPEG_QUALITY: u8 = 92;

/// What decoding a photo will cost, read from its header alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodePlan {
    pub width: u32,
    pub height: u32,
    /// The decoded pixel buffer: width × height × channels × bytes per channel.
    pub decoded_bytes: u64,
    /// The most memory [`sanitize`] holds at once for this photo: the compressed input, the
    /// decoded buffer, and one more buffer for turning it upright or into 8-bit (whichever is
    /// larger). Decoders' own scratch (a few rows, or a progressive JPEG's coefficients) comes on top.
    pub peak_bytes: u64,
}

/// Bytes per pixel a photo of `limits` may decode to: 8-bit RGBA at the pixel limit. Deeper
/// photos (16-bit) must have proportionally fewer pixels.
const MAX_DECODED_BYTES_PER_PIXEL: u64 = 4;

/// Reads the header only and says what decoding would cost, refusing what the limits forbid:
/// unknown types, too many pixels, too small, or too much memory (a small 16-bit RGBA PNG can
/// claim hundreds of megabytes). No pixel buffer is allocated.
pub fn plan(bytes: &[u8], limits: &UploadLimits) -> Result<DecodePlan, UploadError> {
    plan_header(bytes, bytes.len() as u64, limits)
}

/// [`plan`] from the first bytes of a photo of `input_len` bytes (an upload spooled to disk is
/// planned from a small prefix, without reading it whole). A prefix that ends before the header
/// does is [`UploadError::Corrupt`]: plan from more, or assume the worst.
pub fn plan_header(prefix: &[u8], input_len: u64, limits: &UploadLimits) -> Result<DecodePlan, UploadError> {
    let format = sniff(prefix).ok_or(UploadError::UnsupportedType)?;
    let mut reader = ImageReader::with_format(Cursor::new(prefix), format);
    reader.no_limits();
    let decoder = reader.into_decoder().map_err(UploadError::corrupt)?;
    check_header(&decoder, input_len.max(prefix.len() as u64), limits)
}

/// The most memory [`sanitize`] may hold for any photo of `input_len` bytes that `limits`
/// accept: what to reserve when the header cannot be read from a prefix.
pub fn worst_case_peak(input_len: u64, limits: &UploadLimits) -> u64 {
    input_len + 2 * limits.max_pixels.saturating_mul(MAX_DECODED_BYTES_PER_PIXEL)
}

fn check_header(decoder: &impl ImageDecoder, input_len: u64, limits: &UploadLimits) -> Result<DecodePlan, UploadError> {
    let (width, height) = decoder.dimensions();
    let pixels = width as u64 * height as u64;
    if pixels > limits.max_pixels {
        return Err(UploadError::TooManyPixels { width, height, max_pixels: limits.max_pixels });
    }
    if width < limits.min_side || height < limits.min_side {
        return Err(UploadError::TooSmall { width, height, min_side: limits.min_side });
    }
    let bytes_per_pixel = decoder.color_type().bytes_per_pixel();
    let decoded_bytes = pixels * bytes_per_pixel as u64;
    let limit = limits.max_pixels.saturating_mul(MAX_DECODED_BYTES_PER_PIXEL);
    if decoded_bytes > limit {
        return Err(UploadError::TooMuchMemory { width, height, bytes_per_pixel: bytes_per_pixel as u16, limit });
    }
    let peak_bytes = input_len + decoded_bytes + decoded_bytes.max(pixels * MAX_DECODED_BYTES_PER_PIXEL);
    Ok(DecodePlan { width, height, decoded_bytes, peak_bytes })
}

/// Checks, decodes, orients and re-encodes an uploaded photo. CPU-bound (tens of milliseconds for
/// a phone photo): call it from a blocking task, after reserving [`DecodePlan::peak_bytes`].
pub fn sanitize(bytes: &[u8], limits: &UploadLimits) -> Result<SanitizedImage, UploadError> {
    let format = sniff(bytes).ok_or(UploadError::UnsupportedType)?;
    if format == ImageFormat::Jpeg && !jpeg_is_complete(bytes) {
        return Err(UploadError::Corrupt { detail: "JPEG ends before its end-of-image marker".into() });
    }

    // Header only: no pixel buffer is allocated until the size is known to be acceptable.
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.no_limits();
    let mut decoder = reader.into_decoder().map_err(UploadError::corrupt)?;
    let DecodePlan { width, height, .. } = check_header(&decoder, bytes.len() as u64, limits)?;

    let mut decode_limits = Limits::default();
    decode_limits.max_image_width = Some(width);
    decode_limits.max_image_height = Some(height);
    // The output buffer (up to 16-bit RGBA) plus the decoder's working memory.
    decode_limits.max_alloc = Some(width as u64 * height as u64 * 8 + (64 << 20));
    decoder.set_limits(decode_limits).map_err(UploadError::corrupt)?;
    // A broken EXIF block must not sink an otherwise good photo: it is dropped anyway.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(UploadError::corrupt)?;
    img.apply_orientation(orientation);

    encode_clean(img)
}

/// Re-encodes pixels only. JPEG for opaque images, PNG when some pixel is actually transparent.
fn encode_clean(img: DynamicImage) -> Result<SanitizedImage, UploadError> {
    let (width, height) = (img.width(), img.height());
    let mut out = Vec::new();
    let internal = |e: image::ImageError| UploadError::Internal { detail: e.to_string() };
    let has_real_alpha = img.color().has_alpha() && {
        let rgba = img.to_rgba8();
        rgba.pixels().any(|p| p[3] < 255)
    };
    let content_type = if has_real_alpha {
        let rgba = img.into_rgba8();
        PngEncoder::new(&mut out)
            .write_image(rgba.as_raw(), width, height, image::ExtendedColorType::Rgba8)
            .map_err(internal)?;
        "image/png"
    } else {
        let rgb = img.into_rgb8();
        JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
            .write_image(rgb.as_raw(), width, height, image::ExtendedColorType::Rgb8)
            .map_err(internal)?;
        "image/jpeg"
    };
    Ok(SanitizedImage { bytes: Bytes::from(out), content_type, width, height })
}

/// Walks a JPEG's segments and entropy-coded data and reports whether an end-of-image marker is
/// reached. Decoders are lenient with truncated files (they fill the missing rows with grey), so
/// a cut-off upload would otherwise pass as a half-grey photo.
pub(crate) fn jpeg_is_complete(b: &[u8]) -> bool {
    let mut i = 2; // after SOI
    loop {
        // Expect a marker, possibly preceded by fill bytes.
        if i >= b.len() || b[i] != 0xFF {
            return false;
        }
        while i < b.len() && b[i] == 0xFF {
            i += 1;
        }
        let Some(&marker) = b.get(i) else { return false };
        i += 1;
        match marker {
            0xD9 => return true,
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(len) = b.get(i..i + 2).map(|l| u16::from_be_bytes([l[0], l[1]]) as usize) else {
            return false;
        };
        if len < 2 || i + len > b.len() {
            return false;
        }
        i += len;
        if marker == 0xDA {
            // Entropy-coded data runs until a marker that is not a stuffed byte or a restart.
            loop {
                let Some(p) = b[i..].iter().position(|&x| x == 0xFF) else { return false };
                i += p;
                match b.get(i + 1) {
                    None => return false,
                    Some(0x00) | Some(0xD0..=0xD7) | Some(0xFF) => i += 1,
                    Some(_) => break,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
