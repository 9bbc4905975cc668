//! Narrated renders with a fake speech engine (a tone of known length): no models needed.

use glimvid_domain::{AspectRatio, Language, Scene, Style, Voice};
use glimvid_providers::{Speech, SpeechSynthesizer, TimedText};

use super::narrate::{MAX_PACE, say_script};
use super::*;
use crate::probe::{decode_audio, probe_mp4};

const LINE_S: f64 = 1.5;
const RATE: u32 = 24_000;

/// A tone of `.0` seconds per line at the natural pace.
struct Tone(f64);

#[async_trait]
impl SpeechSynthesizer for Tone {
    fn name(&self) -> &'static str {
        "tone"
    }
    fn voices(&self) -> &[Voice] {
        &[]
    }
    async fn synthesize(&self, text: &str, _voice: Voice, pace: f32) -> Result<Speech, ProviderError> {
        let line_s = self.0 / f64::from(pace);
        let n = (line_s * RATE as f64) as usize;
        let samples = (0..n).map(|i| 0.3 * (i as f32 * 440.0 * std::f32::consts::TAU / RATE as f32).sin()).collect();
        Ok(Speech {
            sample_rate: RATE,
            samples,
            phrases: vec![
                TimedText { start: 0.0, end: 0.7 / f64::from(pace), text: format!("{text} one") },
                TimedText { start: 0.75 / f64::from(pace), end: line_s, text: format!("{text} two") },
            ],
            words: Vec::new(),
        })
    }
}

fn photos() -> Vec<Bytes> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    ["coffee.png", "rocket.jpg"]
        .iter()
        .map(|n| {
            let raw = std::fs::read(dir.join(n)).unwrap();
            crate::enhance::enhance_photo(&raw, AspectRatio::Square.dimensions()).unwrap().bytes
        })
        .collect()
}

/// What the timeline sees of `lines` lines said by [`Tone`]: its two phrases each.
fn tone_narration(lines: usize, burn_captions: bool) -> Narration {
    let line = SpokenLine {
        seconds: LINE_S,
        phrases: vec![
            Phrase { start: 0.0, end: 0.7, text: "a".into() },
            Phrase { start: 0.75, end: LINE_S, text: "b".into() },
        ],
    };
    Narration { lines: vec![line; lines], burn_captions }
}

fn narrated_script() -> Script {
    Script {
        title: "Rocket Espresso".into(),
        hook: "Wake up".into(),
        scenes: (0..2)
            .map(|i| Scene { caption: "Fresh".into(), voiceover: format!("line {i}"), photo_index: i })
            .collect(),
        call_to_action: "Order now".into(),
    }
}

#[tokio::test]
async fn narrated_render_has_a_matching_mastered_aac_track_and_subtitles() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("v.mp4");
    let options = VideoOptions {
        aspect_ratio: AspectRatio::Square,
        duration_s: 6,
        language: Language::En,
        style: Style::Clean,
        ..Default::default()
    };
    let req = RenderRequest {
        script: narrated_script(),
        images: photos(),
        options,
        output: output.clone(),
        observer: Arc::new(glimvid_providers::NoopObserver),
        voice_over: None,
    };
    let out = LocalRenderer::new().with_speech(Arc::new(Tone(LINE_S))).render(req).await.unwrap();
    let info = probe_mp4(&output).unwrap();
    let audio = info.audio.expect("an audio track");
    assert_eq!((audio.codec.as_str(), audio.object_type, audio.sample_rate), ("mp4a", 2, 48_000));
    let video_ms = out.frames as f64 * 1000.0 / FPS as f64;
    assert!((audio.duration_ms as f64 - video_ms).abs() <= 1000.0 / FPS as f64 + 1.0, "{audio:?} vs {video_ms}");
    let pcm = decode_audio(&output).unwrap();
    let lufs = crate::audio::loudness::measure(&pcm).unwrap().integrated_lufs;
    assert!((lufs + 14.0).abs() <= 1.0, "{lufs} LUFS");
    let vtt =
        crate::audio::subtitles::parse_webvtt(&std::fs::read_to_string(output.with_extension("vtt")).unwrap()).unwrap();
    let srt =
        crate::audio::subtitles::parse_srt(&std::fs::read_to_string(output.with_extension("srt")).unwrap()).unwrap();
    assert_eq!(vtt.len(), 4);
    assert_eq!(vtt, srt);
    // Each line's phrases follow one another by the engine's timings.
    for pair in vtt.chunks(2) {
        assert!((pair[1].start_ms as i64 - pair[0].start_ms as i64 - 750).abs() <= 100, "{pair:?}");
        assert!(pair[0].text.ends_with("one") && pair[1].text.ends_with("two"));
    }
}

fn rms(pcm: &crate::audio::Pcm, from_s: f64, to_s: f64) -> f64 {
    let ch = pcm.channels as usize;
    let a = (from_s.max(0.0) * pcm.rate as f64) as usize * ch;
    let b = ((to_s * pcm.rate as f64) as usize * ch).min(pcm.samples.len());
    let s = &pcm.samples[a.min(b)..b];
    (s.iter().map(|x| (*x as f64).powi(2)).sum::<f64>() / s.len().max(1) as f64).sqrt()
}

/// Without music, the tone is heard from each line's `speech_at` for its length, and only then.
#[tokio::test]
async fn speech_is_heard_where_the_timeline_starts_it_and_captions_none_writes_no_cues() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("v.mp4");
    let options = VideoOptions {
        aspect_ratio: AspectRatio::Square,
        duration_s: 6,
        language: Language::En,
        style: Style::Clean,
        music: glimvid_domain::MusicChoice::None,
        captions: glimvid_domain::Captions::None,
        ..Default::default()
    };
    let script = narrated_script();
    let narration = tone_narration(2, false);
    let expected = Timeline::narrated(&script, &narration, 6, FPS, Style::Clean).without_captions();
    assert!(!expected.cues.iter().any(|c| matches!(c.cue, timeline::Cue::Phrase(_))));
    let req = RenderRequest {
        script,
        images: photos(),
        options,
        output: output.clone(),
        observer: Arc::new(glimvid_providers::NoopObserver),
        voice_over: None,
    };
    LocalRenderer::new().with_speech(Arc::new(Tone(LINE_S))).render(req).await.unwrap();
    let pcm = decode_audio(&output).unwrap();
    // Find each onset by energy in 10 ms steps.
    for &at in &expected.speech_at {
        let onset = (0..)
            .map(|k| (at - 0.5) + k as f64 * 0.01)
            .take(100)
            .find(|&t| rms(&pcm, t, t + 0.01) > 0.02)
            .expect("speech near its start");
        assert!((onset - at).abs() <= 0.1, "speech at {onset:.3} s, expected {at:.3} s");
        assert!(rms(&pcm, at + 0.2, at + LINE_S - 0.2) > 0.05, "loud while speaking");
        assert!(rms(&pcm, at - 0.3, at - 0.12) < 0.01, "quiet before the line");
    }
    // Subtitles are still written (a separate file the viewer switches on).
    assert!(output.with_extension("vtt").exists());
}

/// The real engine end to end (skipped without its models, failing under
/// GLIMVID_TEST_REQUIRE_REAL=1).
#[tokio::test]
async fn real_engine_narrates_a_render() {
    let engine = match glimvid_speech::KokoroEngine::from_env() {
        Ok(e) => e,
        Err(e) => {
            if std::env::var("GLIMVID_TEST_REQUIRE_REAL").as_deref() == Ok("1") {
                panic!("speech models required (GLIMVID_TEST_REQUIRE_REAL=1): {e}");
            }
            eprintln!("skipping: {e}");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("v.mp4");
    let options = VideoOptions {
        aspect_ratio: AspectRatio::Square,
        duration_s: 8,
        language: Language::En,
        style: Style::Clean,
        ..Default::default()
    };
    let req = RenderRequest {
        script: narrated_script(),
        images: photos(),
        options,
        output: output.clone(),
        observer: Arc::new(glimvid_providers::NoopObserver),
        voice_over: None,
    };
    let out =
        LocalRenderer::new().with_speech(Arc::new(glimvid_speech::LocalSpeech::new(engine))).render(req).await.unwrap();
    let audio = probe_mp4(&output).unwrap().audio.expect("an audio track");
    let video_ms = out.frames as f64 * 1000.0 / FPS as f64;
    assert!((audio.duration_ms as f64 - video_ms).abs() <= 1000.0 / FPS as f64 + 1.0);
    let vtt = std::fs::read_to_string(output.with_extension("vtt")).unwrap();
    assert!(!crate::audio::subtitles::parse_webvtt(&vtt).unwrap().is_empty());
}

/// Lines too long for the duration are said faster (at most 1.25x), never cut: the video
/// comes out shorter than at the natural pace, and the speech still fills each line's time.
#[tokio::test]
async fn lines_too_long_for_the_duration_are_said_faster() {
    let dir = tempfile::tempdir().unwrap();
    let output = dir.path().join("v.mp4");
    let options = VideoOptions {
        aspect_ratio: AspectRatio::Square,
        duration_s: 6,
        language: Language::En,
        style: Style::Clean,
        music: glimvid_domain::MusicChoice::None,
        ..Default::default()
    };
    let script = narrated_script();
    let line = |seconds: f64| Narration {
        lines: (0..2)
            .map(|_| SpokenLine { seconds, phrases: vec![Phrase { start: 0.0, end: seconds, text: "a".into() }] })
            .collect(),
        burn_captions: true,
    };
    let natural = Timeline::narrated(&script, &line(3.0), 6, FPS, Style::Clean).duration;
    let quick = Timeline::narrated(&script, &line(3.0 / MAX_PACE), 6, FPS, Style::Clean).duration;
    assert!(natural > 6.5, "the test needs lines that overrun: {natural}");
    let req = RenderRequest {
        script,
        images: photos(),
        options,
        output: output.clone(),
        observer: Arc::new(glimvid_providers::NoopObserver),
        voice_over: None,
    };
    let out = LocalRenderer::new().with_speech(Arc::new(Tone(3.0))).render(req).await.unwrap();
    let seconds = out.frames as f64 / FPS as f64;
    assert!((seconds - quick).abs() < 0.1, "{seconds} s, wanted the 1.25x timeline's {quick} (natural: {natural})");
    let vtt =
        crate::audio::subtitles::parse_webvtt(&std::fs::read_to_string(output.with_extension("vtt")).unwrap()).unwrap();
    assert_eq!(vtt.len(), 4, "every phrase is still said: {vtt:?}");
}

/// Ark's clips are joined with the same narration as a local render: the job's lines are heard
/// where the narrated timeline starts them, and the subtitles are written beside the video.
#[tokio::test]
async fn joined_clips_carry_the_narration_and_its_subtitles() {
    use glimvid_providers::{ClipJoiner, JoinRequest};
    let dir = tempfile::tempdir().unwrap();
    let clips = super::tests::make_clips(dir.path());
    let output = dir.path().join("joined.mp4");
    let mut script = narrated_script();
    script.scenes.push(Scene { caption: "Third".into(), voiceover: "line 2".into(), photo_index: 0 });
    let options = VideoOptions {
        aspect_ratio: AspectRatio::Square,
        duration_s: 8,
        language: Language::En,
        style: Style::Clean,
        music: glimvid_domain::MusicChoice::None,
        ..Default::default()
    };
    let req = JoinRequest {
        script: script.clone(),
        clips,
        options,
        output: output.clone(),
        observer: Arc::new(glimvid_providers::NoopObserver),
        voice_over: None,
    };
    let out = LocalRenderer::new().with_speech(Arc::new(Tone(LINE_S))).join(req).await.unwrap();
    let info = probe_mp4(&output).unwrap();
    let audio = info.audio.expect("the joined video speaks");
    let video_ms = out.frames as f64 * 1000.0 / FPS as f64;
    assert!((audio.duration_ms as f64 - video_ms).abs() <= 1000.0 / FPS as f64 + 1.0, "{audio:?} vs {video_ms}");
    // Where the narrated timeline of the joined scenes starts each line, the tone is heard.
    let mut one_shot_each = script;
    for (i, s) in one_shot_each.scenes.iter_mut().enumerate() {
        s.photo_index = i as u32;
    }
    let narration = tone_narration(3, true);
    let expected = Timeline::narrated(&one_shot_each, &narration, 8, FPS, Style::Clean);
    let pcm = decode_audio(&output).unwrap();
    for &at in &expected.speech_at {
        assert!(rms(&pcm, at + 0.2, at + LINE_S - 0.2) > 0.05, "no speech at {at:.2} s");
        assert!(rms(&pcm, at - 0.3, at - 0.12) < 0.01, "sound before the line at {at:.2} s");
    }
    let vtt =
        crate::audio::subtitles::parse_webvtt(&std::fs::read_to_string(output.with_extension("vtt")).unwrap()).unwrap();
    assert_eq!(vtt.len(), 6, "{vtt:?}");
}

/// [`Tone`], counting the lines it is asked to say.
struct Counted(Tone, AtomicUsize);

impl Counted {
    fn new(line_s: f64) -> Arc<Self> {
        Arc::new(Self(Tone(line_s), AtomicUsize::new(0)))
    }

    fn calls(&self) -> usize {
        self.1.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl SpeechSynthesizer for Counted {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn voices(&self) -> &[Voice] {
        &[]
    }
    async fn synthesize(&self, text: &str, voice: Voice, pace: f32) -> Result<Speech, ProviderError> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.synthesize(text, voice, pace).await
    }
}

fn quiet_options(duration_s: u32) -> VideoOptions {
    VideoOptions {
        aspect_ratio: AspectRatio::Square,
        duration_s,
        language: Language::En,
        style: Style::Clean,
        music: glimvid_domain::MusicChoice::None,
        ..Default::default()
    }
}

async fn render_with(
    renderer: LocalRenderer,
    script: &Script,
    options: &VideoOptions,
    voice_over: Option<glimvid_providers::VoiceOver>,
    output: &Path,
) -> RenderOutput {
    let req = RenderRequest {
        script: script.clone(),
        images: photos(),
        options: *options,
        output: output.to_path_buf(),
        observer: Arc::new(glimvid_providers::NoopObserver),
        voice_over,
    };
    renderer.render(req).await.unwrap()
}

/// A voice-over said ahead (as the script stage does, read back from its stored form) is what
/// the render speaks: the engine is not asked again, and the sound and subtitles are those of a
/// render that said the lines itself.
#[tokio::test]
async fn a_voice_over_said_ahead_is_spoken_without_saying_it_again() {
    let dir = tempfile::tempdir().unwrap();
    let (script, options) = (narrated_script(), quiet_options(6));
    let ahead_engine = Counted::new(LINE_S);
    let said = say_script(ahead_engine.as_ref(), &script, &options, Voice::EnHeart, None).await.unwrap();
    assert_eq!((said.said_now, ahead_engine.calls()), (2, 2));
    let stored = glimvid_providers::VoiceOver::from_bytes(&said.voice_over.to_bytes()).unwrap();

    let engine = Counted::new(LINE_S);
    let reused = dir.path().join("reused.mp4");
    render_with(LocalRenderer::new().with_speech(engine.clone()), &script, &options, Some(stored), &reused).await;
    assert_eq!(engine.calls(), 0, "the render said nothing again");

    let fresh = dir.path().join("fresh.mp4");
    render_with(LocalRenderer::new().with_speech(Counted::new(LINE_S)), &script, &options, None, &fresh).await;
    assert_eq!(decode_audio(&reused).unwrap().samples, decode_audio(&fresh).unwrap().samples);
    let vtt = |p: &Path| std::fs::read_to_string(p.with_extension("vtt")).unwrap();
    assert_eq!(vtt(&reused), vtt(&fresh));
}

/// After an edit in review, only the edited line is said again; in another voice, none is reused.
#[tokio::test]
async fn only_the_lines_edited_since_are_said_again() {
    let (script, options) = (narrated_script(), quiet_options(6));
    let ahead = say_script(Counted::new(LINE_S).as_ref(), &script, &options, Voice::EnHeart, None).await.unwrap();
    let ahead = ahead.voice_over;
    let mut edited = script.clone();
    edited.scenes[1].voiceover = "  a new line ".into();

    let engine = Counted::new(LINE_S);
    let said = say_script(engine.as_ref(), &edited, &options, Voice::EnHeart, Some(ahead.clone())).await.unwrap();
    assert_eq!((said.said_now, engine.calls()), (1, 1));
    assert_eq!(said.voice_over.lines[0], ahead.lines[0]);
    assert_eq!(said.voice_over.lines[1].text, "a new line");
    assert!(said.voice_over.lines[1].speech.phrases[0].text.starts_with("a new line"));
    assert!(said.note(6).ends_with("1 of 2 lines were said ahead"), "{}", said.note(6));

    let other = Counted::new(LINE_S);
    let said = say_script(other.as_ref(), &script, &options, Voice::EnMichael, Some(ahead)).await.unwrap();
    assert_eq!((said.said_now, other.calls()), (2, 2));
    assert_eq!(said.voice_over.voice, Voice::EnMichael);
}

/// Lines said ahead at a catch-up pace are reused as they are: the pace was chosen for this
/// job's duration when they were said.
#[tokio::test]
async fn lines_said_ahead_at_a_catch_up_pace_are_reused() {
    let (script, options) = (narrated_script(), quiet_options(6));
    let engine = Counted::new(3.0);
    let ahead = say_script(engine.as_ref(), &script, &options, Voice::EnHeart, None).await.unwrap();
    assert!(ahead.pace > 1.0, "the test needs lines that overrun");
    assert_eq!(engine.calls(), 4, "said at 1.0, then at the catch-up pace");
    assert!(ahead.voice_over.lines.iter().all(|l| f64::from(l.pace) == ahead.pace));

    let again = Counted::new(3.0);
    let said = say_script(again.as_ref(), &script, &options, Voice::EnHeart, Some(ahead.voice_over.clone())).await;
    let said = said.unwrap();
    assert_eq!(again.calls(), 0);
    assert_eq!((said.pace, &said.voice_over), (ahead.pace, &ahead.voice_over));
}

/// A renderer with no engine still speaks a voice-over said ahead for exactly its script; one
/// said for other lines leaves it silent rather than half-spoken.
#[tokio::test]
async fn a_renderer_without_an_engine_speaks_only_a_matching_voice_over() {
    let dir = tempfile::tempdir().unwrap();
    let (script, options) = (narrated_script(), quiet_options(6));
    let ahead = say_script(Counted::new(LINE_S).as_ref(), &script, &options, Voice::EnHeart, None).await.unwrap();

    let spoken = dir.path().join("spoken.mp4");
    render_with(LocalRenderer::new(), &script, &options, Some(ahead.voice_over.clone()), &spoken).await;
    assert!(probe_mp4(&spoken).unwrap().audio.is_some(), "the voice-over is heard");
    assert!(spoken.with_extension("vtt").exists());

    let mut edited = script;
    edited.scenes[0].voiceover = "another line".into();
    let silent = dir.path().join("silent.mp4");
    render_with(LocalRenderer::new(), &edited, &options, Some(ahead.voice_over), &silent).await;
    assert!(probe_mp4(&silent).unwrap().audio.is_none(), "no engine to say the edited line: silent");
}
