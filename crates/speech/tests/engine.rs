//! The local engine against the real model. Needs `scripts/fetch-voices`; without the models
//! the tests skip, unless GLIMVID_TEST_REQUIRE_REAL=1 (CI), where they fail.

use std::sync::OnceLock;

use glimvid_domain::{Gender, Language, Voice};
use glimvid_providers::Speech;
use glimvid_speech::KokoroEngine;

fn engine() -> Option<&'static KokoroEngine> {
    static ENGINE: OnceLock<Option<KokoroEngine>> = OnceLock::new();
    ENGINE
        .get_or_init(|| match KokoroEngine::from_env() {
            Ok(e) => Some(e),
            Err(e) => {
                if std::env::var("GLIMVID_TEST_REQUIRE_REAL").as_deref() == Ok("1") {
                    panic!("speech models required (GLIMVID_TEST_REQUIRE_REAL=1): {e}");
                }
                eprintln!("skipping: {e}");
                None
            }
        })
        .as_ref()
}

fn rms(samples: &[f32]) -> f64 {
    (samples.iter().map(|s| f64::from(*s) * f64::from(*s)).sum::<f64>() / samples.len().max(1) as f64).sqrt()
}

fn check_timings(speech: &Speech) {
    let end = speech.seconds();
    for list in [&speech.phrases, &speech.words] {
        assert!(!list.is_empty());
        let mut last = 0.0;
        for t in list.iter() {
            assert!(t.start >= last - 1e-9, "timings go back: {t:?}");
            assert!(t.end > t.start, "empty timing {t:?}");
            assert!(t.end <= end + 1e-9, "timing past the audio: {t:?} > {end}");
            assert!(!t.text.trim().is_empty());
            last = t.end;
        }
    }
}

const LINES: [(&str, &str); 4] = [
    ("en", "Welcome to **Glimvid**! Today we make 3 videos in 10 minutes 🚀."),
    ("zh", "欢迎使用 Glimvid！今天我们用10分钟做3个视频。"),
    ("es", "¡Bienvenidos! Hoy hacemos 3 videos en 10 minutos."),
    ("fr", "Bienvenue ! Aujourd'hui, nous faisons 3 vidéos en 10 minutes."),
];

#[test]
fn every_voice_speaks_with_plausible_length_and_timings() {
    let Some(engine) = engine() else { return };
    assert!(engine.voices().len() >= 7);
    for &voice in engine.voices() {
        let lang = voice.language().as_str();
        let text = LINES.iter().find(|(l, _)| *l == lang).map(|(_, t)| *t).expect("a line per language");
        let speech = engine.synthesize(text, voice).expect("synthesis");
        let d = speech.seconds();
        assert_eq!(speech.sample_rate, 24_000);
        assert!((1.5..15.0).contains(&d), "{}: {d:.2} s of audio", voice.id());
        assert!(rms(&speech.samples) > 0.01, "{}: silent (rms {})", voice.id(), rms(&speech.samples));
        assert!(speech.samples.iter().all(|s| s.is_finite()));
        check_timings(&speech);
        assert!(speech.phrases.len() >= 2, "{}: {:?}", voice.id(), speech.phrases);
    }
}

#[test]
fn english_and_chinese_have_one_female_and_one_male_voice() {
    let Some(engine) = engine() else { return };
    for lang in [Language::En, Language::Zh] {
        let genders: Vec<_> = engine.voices().iter().filter(|v| v.language() == lang).map(|v| v.gender()).collect();
        assert!(genders.contains(&Gender::Female), "{lang:?}");
        assert!(genders.contains(&Gender::Male), "{lang:?}");
    }
}

#[test]
fn longer_text_gives_longer_speech() {
    let Some(engine) = engine() else { return };
    let voice = Voice::EnHeart;
    let short = engine.synthesize("Hello there.", voice).expect("short");
    let long = engine
        .synthesize("Hello there. This sentence is a good deal longer than the first one, and it keeps going.", voice)
        .expect("long");
    assert!(long.seconds() > short.seconds() * 2.0);
    check_timings(&long);
    assert_eq!(long.phrases[0].text, "Hello there.");
}

#[test]
fn a_faster_pace_says_the_same_words_in_less_time() {
    let Some(engine) = engine() else { return };
    let voice = Voice::EnMichael;
    let text = "Brewed slowly, served hot, and ready before your first meeting of the day.";
    let natural = engine.synthesize(text, voice).expect("natural");
    let quick = engine.synthesize_paced(text, voice, 1.25).expect("paced");
    let ratio = quick.seconds() / natural.seconds();
    assert!((0.72..0.9).contains(&ratio), "1.25x pace gave {ratio:.3} of the natural length");
    assert_eq!(quick.phrases.len(), natural.phrases.len(), "the same phrases");
    check_timings(&quick);
}
