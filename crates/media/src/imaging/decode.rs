//! Decoding with the engine's limits: pixel count checked from the header before any pixel is
//! decoded, EXIF orientation applied, alpha composited over a matte.

use std::io::Cursor;

use image::{DynamicImage, ImageDecoder, ImageReader, Limits, RgbImage};

/// Why a photo could not be decoded.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("image is {width}x{height} pixels, more than the {max_pixels} allowed")]
    TooLarge { width: u32, height: u32, max_pixels: u64 },
    #[error("the image cannot be read: {0}")]
    Unreadable(#[from] image::ImageError),
    #[error("the image cannot be read: {0}")]
    Io(#[from] std::io::Error),
    #[error("the decoded picture does not match its size")]
    SizeMismatch,
}

/// Decodes an image with the engine's limits (at most `max_pixels`), applies its EXIF orientation
/// and returns RGB8; transparent pixels are composited over `matte`.
pub fn decode_rgb(bytes: &[u8], max_pixels: u64, matte: [u8; 3]) -> Result<RgbImage, DecodeError> {
    decode_rgb_reusing(bytes, max_pixels, matte, Vec::new())
}

/// [`decode_rgb`] into `buf` when the picture is 8-bit RGB with no orientation to apply (a
/// camera JPEG, say): a worker decoding photo after photo hands back the previous picture's
/// buffer (`RgbImage::into_raw`) and the tens of MB of a large photo are not mapped and faulted
/// in afresh each time. Any other picture decodes as [`decode_rgb`] does, and `buf` is dropped.
pub fn decode_rgb_reusing(
    bytes: &[u8],
    max_pixels: u64,
    matte: [u8; 3],
    mut buf: Vec<u8>,
) -> Result<RgbImage, DecodeError> {
    let reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let mut decoder = reader.into_decoder()?;
    let (w, h) = decoder.dimensions();
    if w as u64 * h as u64 > max_pixels {
        return Err(DecodeError::TooLarge { width: w, height: h, max_pixels });
    }
    let mut limits = Limits::default();
    limits.max_image_width = Some(w);
    limits.max_image_height = Some(h);
    limits.max_alloc = Some(max_pixels * 8 + (64 << 20));
    decoder.set_limits(limits)?;
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    if decoder.color_type() == image::ColorType::Rgb8 && orientation == image::metadata::Orientation::NoTransforms {
        let n = usize::try_from(decoder.total_bytes()).map_err(|_| DecodeError::SizeMismatch)?;
        // Every byte is written by the decoder: a reused buffer is only cut to size.
        if buf.len() >= n {
            buf.truncate(n);
        } else {
            buf.resize(n, 0);
        }
        decoder.read_image(&mut buf)?;
        return RgbImage::from_raw(w, h, buf).ok_or(DecodeError::SizeMismatch);
    }
    let mut img = DynamicImage::from_decoder(decoder)?;
    img.apply_orientation(orientation);
    Ok(flatten(img, matte))
}

/// RGB8 of any decoded image; alpha is composited over `matte`.
pub fn flatten(img: DynamicImage, matte: [u8; 3]) -> RgbImage {
    if !img.color().has_alpha() {
        return img.into_rgb8();
    }
    let rgba = img.into_rgba8();
    let (w, h) = rgba.dimensions();
    let mut out = RgbImage::new(w, h);
    for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
        let a = p[3] as u32;
        for c in 0..3 {
            o[c] = ((p[c] as u32 * a + matte[c] as u32 * (255 - a) + 127) / 255) as u8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoding_into_a_reused_buffer_gives_the_same_picture() {
        let encode = |img: DynamicImage, format: image::ImageFormat| {
            let mut out = Cursor::new(Vec::new());
            img.write_to(&mut out, format).unwrap();
            out.into_inner()
        };
        let rgb = RgbImage::from_fn(61, 37, |x, y| image::Rgb([(x * 4) as u8, (y * 6) as u8, ((x + y) * 3) as u8]));
        let jpeg = encode(DynamicImage::ImageRgb8(rgb.clone()), image::ImageFormat::Jpeg);
        let rgba = image::RgbaImage::from_fn(20, 10, |x, _| image::Rgba([200, 40, 40, (x * 12) as u8]));
        let png = encode(DynamicImage::ImageRgba8(rgba), image::ImageFormat::Png);
        // A buffer left over from a larger picture (dirty, too long), and one too short.
        for buf in [vec![7u8; 61 * 37 * 3 + 999], vec![9u8; 10]] {
            let want = decode_rgb(&jpeg, 1 << 20, [0, 0, 0]).unwrap();
            let got = decode_rgb_reusing(&jpeg, 1 << 20, [0, 0, 0], buf.clone()).unwrap();
            assert_eq!(got.dimensions(), (61, 37));
            assert_eq!(got.as_raw(), want.as_raw());
            // Not 8-bit RGB (alpha over the matte): the general path, same answer.
            let want = decode_rgb(&png, 1 << 20, [255, 255, 255]).unwrap();
            let got = decode_rgb_reusing(&png, 1 << 20, [255, 255, 255], buf).unwrap();
            assert_eq!(got.as_raw(), want.as_raw());
            assert_eq!(got.get_pixel(0, 0).0, [255, 255, 255], "transparent over the matte");
        }
        // The pixel limit holds on the reusing path too.
        assert!(matches!(
            decode_rgb_reusing(&jpeg, 100, [0, 0, 0], Vec::new()).unwrap_err(),
            DecodeError::TooLarge { max_pixels: 100, .. }
        ));
    }
}
