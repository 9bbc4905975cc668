//! The narrator's part of a video: each scene's line said in the job's voice at the pace that
//! keeps the video to its duration. The script stage says it as soon as the script is written
//! (beside the photos' enhancement) and stores it with the job; the render reuses every line
//! that still matches and says only the rest (a line edited in review, a voice-over that could
//! not be made ahead).

use glimvid_domain::{Script, VideoOptions, Voice};
use glimvid_providers::{ProviderError, SaidLine, Speech, SpeechSynthesizer, VoiceOver};

use super::{FPS, Narration, Phrase, SpokenLine, Timeline};

/// The fastest the narrator is asked to go to keep a video to its duration.
pub(crate) const MAX_PACE: f64 = 1.25;
/// How far past its duration a narrated video may run before its lines are sped up.
const DURATION_SLACK: f64 = 0.04;

/// A said voice-over and how it came about.
#[derive(Debug)]
pub struct Said {
    pub voice_over: VoiceOver,
    /// Lines the engine said for this call (the others were reused).
    pub said_now: usize,
    /// The pace the lines were said at (1.0 unless they had to catch up).
    pub pace: f64,
}

impl Said {
    /// A voice-over used as it was said ahead: nothing said now, at the pace it was said at.
    fn reused(voice_over: VoiceOver) -> Self {
        let pace = voice_over.lines.iter().map(|l| f64::from(l.pace)).fold(1.0, f64::max);
        Self { voice_over, said_now: 0, pace }
    }

    /// The job event describing it.
    pub fn note(&self, duration_s: u32) -> String {
        let vo = &self.voice_over;
        let spoken = vo.lines.iter().filter(|l| !l.text.is_empty()).count();
        let paced =
            if self.pace > 1.0 { format!(", at {:.2}x to keep to {duration_s} s", self.pace) } else { String::new() };
        let ahead = match spoken.saturating_sub(self.said_now) {
            0 => String::new(),
            n if n == spoken => "; every line was said ahead".to_owned(),
            n => format!("; {n} of {spoken} lines were said ahead"),
        };
        format!("narrated by {} ({}){paced}{ahead}", vo.voice.id(), vo.engine)
    }
}

/// The lines the narrator says: each scene's voice-over, trimmed (empty: silence).
fn lines(script: &Script) -> Vec<&str> {
    script.scenes.iter().map(|s| s.voiceover.trim()).collect()
}

/// Whether `voice_over` says exactly `texts` (one line per scene). Said for this job's options,
/// its pace still holds then, and nothing needs saying again.
fn says_all(voice_over: &VoiceOver, texts: &[&str]) -> bool {
    voice_over.lines.len() == texts.len() && voice_over.lines.iter().zip(texts).all(|(l, t)| l.text == *t)
}

/// `ahead`, used as it is, when it says exactly this script's lines in `voice`.
pub fn ahead_as_is(script: &Script, voice: Voice, ahead: Option<VoiceOver>) -> Option<Said> {
    ahead.filter(|a| a.voice == voice && says_all(a, &lines(script))).map(Said::reused)
}

/// Says `script`'s lines in `voice` at the pace that keeps the video to `options.duration_s`,
/// reusing the lines of `ahead` (a voice-over said earlier) whose text, voice and pace match.
pub async fn say_script(
    engine: &dyn SpeechSynthesizer,
    script: &Script,
    options: &VideoOptions,
    voice: Voice,
    ahead: Option<VoiceOver>,
) -> Result<Said, ProviderError> {
    let texts = lines(script);
    let ahead = match ahead.filter(|a| a.voice == voice) {
        Some(vo) if says_all(&vo, &texts) => return Ok(Said::reused(vo)),
        other => other,
    };
    let (mut voice_over, mut said_now) = say(engine, &texts, voice, 1.0, ahead.as_ref()).await?;
    // Lines that would run the video past its duration (a user's edit, a writer's estimate off
    // for this text) are said a little faster, never cut.
    let natural = Timeline::narrated(script, &narration(&voice_over, true), options.duration_s, FPS, options.style);
    let pace = catch_up_pace(&voice_over, natural.duration, options.duration_s);
    if pace > 1.0 {
        let again;
        (voice_over, again) = say(engine, &texts, voice, pace as f32, ahead.as_ref()).await?;
        said_now += again;
    }
    Ok(Said { voice_over, said_now, pace })
}

/// Says each line at `pace` (an empty line is silence), taking from `ahead` the lines it said
/// with the same text and pace; also gives how many the engine said.
async fn say(
    engine: &dyn SpeechSynthesizer,
    texts: &[&str],
    voice: Voice,
    pace: f32,
    ahead: Option<&VoiceOver>,
) -> Result<(VoiceOver, usize), ProviderError> {
    let mut lines = Vec::with_capacity(texts.len());
    let mut said_now = 0;
    for (i, text) in texts.iter().enumerate() {
        let reused = ahead.and_then(|a| a.lines.get(i)).filter(|l| l.text == *text && l.pace == pace);
        let speech = match reused {
            Some(line) => line.speech.clone(),
            None if text.is_empty() => Speech::default(),
            None => {
                said_now += 1;
                engine.synthesize(text, voice, pace).await?
            }
        };
        lines.push(SaidLine { text: (*text).to_owned(), pace, speech });
    }
    Ok((VoiceOver { voice, engine: engine.name().to_owned(), lines }, said_now))
}

/// What the timeline needs of a voice-over: each line's length and phrases.
pub(crate) fn narration(voice_over: &VoiceOver, burn_captions: bool) -> Narration {
    let lines = voice_over
        .lines
        .iter()
        .map(|l| SpokenLine {
            seconds: l.speech.seconds(),
            phrases: l
                .speech
                .phrases
                .iter()
                .map(|p| Phrase { start: p.start, end: p.end, text: p.text.clone() })
                .collect(),
        })
        .collect();
    Narration { lines, burn_captions }
}

/// The pace at which the lines fit `duration_s` (1.0: they do at their natural pace), at most
/// [`MAX_PACE`]; only the speech is quickened, the pauses and titles keep their length.
fn catch_up_pace(voice_over: &VoiceOver, natural_duration: f64, duration_s: u32) -> f64 {
    let over = natural_duration - f64::from(duration_s) * (1.0 + DURATION_SLACK / 2.0);
    let speech: f64 = voice_over.lines.iter().map(|l| l.speech.seconds()).sum();
    if natural_duration <= f64::from(duration_s) * (1.0 + DURATION_SLACK) || speech <= 0.0 {
        return 1.0;
    }
    let pace = speech / (speech - over).max(speech / MAX_PACE);
    (pace * 100.0).ceil() / 100.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(seconds: &[f64]) -> VoiceOver {
        let line = |s: f64| SaidLine {
            text: "x".into(),
            pace: 1.0,
            speech: Speech { sample_rate: 1000, samples: vec![0.0; (s * 1000.0) as usize], ..Default::default() },
        };
        VoiceOver { voice: Voice::EnHeart, engine: "test".into(), lines: seconds.iter().map(|&s| line(s)).collect() }
    }

    #[test]
    fn the_catch_up_pace_covers_the_overrun_up_to_its_cap() {
        let two = said(&[2.0, 2.0]);
        assert_eq!(catch_up_pace(&two, 6.2, 6), 1.0, "within the slack");
        assert_eq!(catch_up_pace(&two, 6.5, 6), 1.11);
        assert_eq!(catch_up_pace(&two, 7.0, 6), MAX_PACE, "capped");
        assert_eq!(catch_up_pace(&said(&[]), 9.0, 6), 1.0, "no speech to quicken");
    }
}
