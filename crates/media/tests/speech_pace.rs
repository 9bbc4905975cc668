//! The offline writer's speech estimate against the local engine: the writer budgets each
//! scene's line by [`speaking_seconds`], so the estimate must match what the narrator really
//! takes, per voice, or narrated videos run past their duration. Needs `scripts/fetch-voices`
//! (CI runs it; with `GLIMVID_TEST_REQUIRE_REAL=1` a missing engine fails the suite). And the
//! whole promise: a narrated video, short or long, in every narrated language, keeps to its
//! duration within ±10 % at the narrator's natural pace.

use glimvid_domain::{AspectRatio, Description, Language, Style, VideoOptions, Voice};
use glimvid_media::OfflineScriptWriter;
use glimvid_media::offline_writer::speaking_seconds;
use glimvid_media::render::{FPS, Narration, Phrase, SpokenLine, Timeline};
use glimvid_providers::ScriptRequest;
use glimvid_speech::KokoroEngine;

fn engine() -> Option<KokoroEngine> {
    match KokoroEngine::from_env() {
        Ok(e) => Some(e),
        Err(e) if std::env::var("GLIMVID_TEST_REQUIRE_REAL").is_ok_and(|v| v == "1" || v == "true") => {
            panic!("GLIMVID_TEST_REQUIRE_REAL=1 but the speech engine is missing: {e} (run scripts/fetch-voices)")
        }
        Err(e) => {
            eprintln!("SKIPPED: no speech engine ({e}); run scripts/fetch-voices");
            None
        }
    }
}

fn descriptions(lang: Language) -> &'static [&'static str] {
    match lang {
        Language::Zh => &["无线降噪耳机，续航30小时，轻巧舒适"],
        Language::Es => &["Auriculares inalámbricos con cancelación de ruido y 30 horas de batería"],
        Language::Fr => &["Casque sans fil à réduction de bruit, 30 heures d'autonomie"],
        _ => &["Wireless noise-cancelling headphones with 30-hour battery and soft ear cushions"],
    }
}

#[test]
fn the_writers_speech_estimate_matches_the_narrator() {
    let Some(engine) = engine() else { return };
    let mut report = Vec::new();
    for voice in Voice::ALL {
        let lang = voice.language();
        let (mut estimated, mut spoken) = (0.0, 0.0);
        for d in descriptions(lang) {
            for (duration_s, style) in [(15, Style::Bold), (30, Style::Elegant)] {
                let options = VideoOptions { duration_s, language: lang, style, ..VideoOptions::default() };
                let req =
                    ScriptRequest { description: Description::parse(d).expect("description"), options, photo_count: 3 };
                let script = OfflineScriptWriter::new().compose(&req);
                for scene in &script.scenes {
                    let speech = engine.synthesize(&scene.voiceover, *voice).expect("speech");
                    estimated += speaking_seconds(&scene.voiceover, lang);
                    spoken += speech.seconds();
                }
            }
        }
        let ratio = spoken / estimated;
        let line = format!(
            "{} ({}): spoken {spoken:.1} s, estimated {estimated:.1} s, ratio {ratio:.3}",
            voice.id(),
            lang.as_str()
        );
        eprintln!("{line}");
        // The writer plans for 90% of the time there is: an estimate 10% short still fits.
        if !(0.9..=1.1).contains(&ratio) {
            report.push(line);
        }
    }
    assert!(report.is_empty(), "the estimate is off for:\n{}", report.join("\n"));
}

#[test]
fn narrated_videos_keep_to_their_duration_in_every_language() {
    let Some(engine) = engine() else { return };
    let mut report = Vec::new();
    for lang in [Language::En, Language::Zh, Language::Es, Language::Fr] {
        let voice = Voice::default_for(lang).expect("a narrator for the language");
        for (duration_s, style, aspect_ratio) in
            [(6, Style::Bold, AspectRatio::Portrait), (60, Style::Elegant, AspectRatio::Landscape)]
        {
            let options = VideoOptions { duration_s, language: lang, style, aspect_ratio, ..VideoOptions::default() };
            let description = Description::parse(descriptions(lang)[0]).expect("description");
            let script = OfflineScriptWriter::new().compose(&ScriptRequest { description, options, photo_count: 3 });
            let lines = script
                .scenes
                .iter()
                .map(|scene| {
                    let speech = engine.synthesize(&scene.voiceover, voice).expect("speech");
                    let phrases = speech
                        .phrases
                        .iter()
                        .map(|p| Phrase { start: p.start, end: p.end, text: p.text.clone() })
                        .collect();
                    SpokenLine { seconds: speech.seconds(), phrases }
                })
                .collect();
            let narration = Narration { lines, burn_captions: true };
            let spoken: f64 = narration.lines.iter().map(|l| l.seconds).sum();
            let length = Timeline::narrated(&script, &narration, duration_s, FPS, style).duration;
            let ratio = length / f64::from(duration_s);
            eprintln!("{} {duration_s} s: {length:.2} s ({ratio:.3}), {spoken:.1} s of it spoken", voice.id());
            if !(0.9..=1.1).contains(&ratio) {
                report.push(format!("{} ({}), {duration_s} s: {length:.2} s", voice.id(), lang.as_str()));
            }
        }
    }
    assert!(report.is_empty(), "narrated videos off their duration:\n{}", report.join("\n"));
}
