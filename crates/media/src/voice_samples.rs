//! A short sample of each narrator's voice, to hear before choosing one (`GET
//! /api/v1/voices/{id}/sample`): AAC-LC in ADTS, 48 kHz, mastered like a video's soundtrack.
//! The files in `assets/voices` are made by the local engine with `scripts/voice-samples` (the
//! text each voice says is [`text`]); a voice of the catalogue without its file does not build.

use glimvid_domain::{Language, Voice};

/// What each voice says in its sample.
pub fn text(voice: Voice) -> String {
    match voice.language() {
        Language::Zh => {
            let name = match voice.id() {
                "zf_xiaoxiao" => "晓晓",
                "zm_yunjian" => "云健",
                _ => voice.name(),
            };
            format!("你好，我是{name}。我来为你的产品视频配音。")
        }
        Language::Es => format!("Hola, soy {}. Puedo narrar el vídeo de tu producto.", voice.name()),
        Language::Fr => format!("Bonjour, je suis {}. Je peux raconter la vidéo de votre produit.", voice.name()),
        Language::De => format!("Hallo, ich bin {}. Ich spreche das Video zu Ihrem Produkt.", voice.name()),
        Language::Ja => format!("こんにちは、{}です。", voice.name()),
        Language::En => format!("Hi, I'm {}. I can narrate the video of your product.", voice.name()),
    }
}

/// The sample of `voice` (ADTS AAC-LC), bundled into the binary.
pub fn sample(voice: Voice) -> &'static [u8] {
    macro_rules! samples {
        ($($id:literal),* $(,)?) => {
            match voice.id() {
                $($id => include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../assets/voices/", $id, ".aac")),)*
                _ => &[],
            }
        };
    }
    samples!("af_heart", "am_michael", "zf_xiaoxiao", "zm_yunjian", "ef_dora", "em_alex", "ff_siwis")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_voice_has_a_sample_of_aac_lc_at_48_khz() {
        for &voice in Voice::ALL {
            let s = sample(voice);
            assert!(s.len() > 4096, "{}: {} bytes", voice.id(), s.len());
            // ADTS: sync word, MPEG-4, profile LC (1 = object type 2), sampling index 3 (48 kHz).
            assert_eq!((s[0], s[1] & 0xF6), (0xFF, 0xF0), "{}: not ADTS", voice.id());
            assert_eq!(s[2] >> 6, 1, "{}: not AAC-LC", voice.id());
            assert_eq!((s[2] >> 2) & 0xF, 3, "{}: not 48 kHz", voice.id());
        }
    }
}
