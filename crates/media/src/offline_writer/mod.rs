//! The offline script writer: the embedded default when no DeepSeek key is configured.
//!
//! It reads the one-line description (a product noun phrase followed by features, separated by
//! commas, semicolons, "with", "and", `、`, `，` ...), plans one scene per few seconds so that every
//! photo is shown, and fills hand-written copy in the requested language and style. Everything is
//! deterministic: the variants are chosen from a SHA-256 of the request, never from a clock or an
//! RNG, so retrying a job gives the same script. The result always passes [`Script::validate`].

use async_trait::async_trait;
use glimvid_domain::script::{MAX_LINE_CHARS, MAX_SCENES, MIN_SCENES};
use glimvid_domain::{Language, Scene, Script, Style};
use glimvid_providers::{ProviderError, ScriptRequest, ScriptWriter};
use sha2::{Digest, Sha256};

mod budget;
pub use budget::speaking_seconds;
mod fit;
mod lexicon;
mod parse;
#[cfg(test)]
mod tests;

use fit::*;
use lexicon::{Lexicon, Pack, lexicon};
use parse::*;

/// Writes a marketing script from the description alone, without any network call.
#[derive(Debug, Clone, Copy, Default)]
pub struct OfflineScriptWriter;

impl OfflineScriptWriter {
    pub fn new() -> Self {
        Self
    }

    /// Writes the script for `req`. Pure and deterministic; the result passes
    /// `Script::validate(req.photo_count)` (a photo count of 0 is treated as 1).
    pub fn compose(&self, req: &ScriptRequest) -> Script {
        compose(req)
    }
}

#[async_trait]
impl ScriptWriter for OfflineScriptWriter {
    fn name(&self) -> &'static str {
        "offline"
    }

    async fn write(&self, req: &ScriptRequest) -> Result<Script, ProviderError> {
        let script = compose(req);
        script
            .validate(req.photo_count.max(1))
            .map_err(|e| ProviderError::permanent("offline", "invalid_script", e.to_string()))?;
        Ok(script)
    }
}

// ---------------------------------------------------------------------------------------------
// Limits. Captions are burned into the frame, so they are measured in display width: a wide
// (CJK) character costs 21 units and any other 8, which gives exactly 16 CJK or 42 Latin
// characters per caption and scales mixed text in between.

const WIDE_UNITS: usize = 21;
const NARROW_UNITS: usize = 8;
const CAPTION_UNITS: usize = 16 * WIDE_UNITS;
/// The product name as used inside sentences: about 60 Latin or 22 CJK characters.
const PRODUCT_UNITS: usize = 60 * NARROW_UNITS;
/// One feature inside a sentence: about 80 Latin or 30 CJK characters.
const FEATURE_UNITS: usize = 80 * NARROW_UNITS;
const TITLE_CHARS: usize = 60;
const MAX_FEATURES: usize = 8;
/// At most this many leftover features are listed in the last feature scene.
const MAX_EXTRA_FEATURES: usize = 3;
/// About four seconds a scene.
const SECONDS_PER_SCENE: usize = 4;

fn compose(req: &ScriptRequest) -> Script {
    let photos = req.photo_count.max(1);
    let lang = req.options.language;
    let lex = lexicon(lang);
    let pack = &lex.packs[style_index(req.options.style)];
    let pick = Picker::new(req);
    let wide = lex.wide;

    let parsed = parse_description(req.description.as_str());
    let product = parsed.product.as_deref().unwrap_or(lex.fallback_product);
    let product = fit(product, PRODUCT_UNITS, display_units);
    let p_mid = mid_sentence(&product, lang);
    let p_cap = capitalize(&product);
    let pv = |tpl: &str| fill(tpl, &[("p", &p_mid), ("P", &p_cap)], wide);

    let n = scene_count(req.options.duration_s, photos);
    let middle = n - 2;
    let mut scenes: Vec<(String, String)> = Vec::with_capacity(n);

    // Opening scene: the product itself.
    scenes.push((p_cap.clone(), pv(pack.intros[pick.index(1, pack.intros.len())])));

    // Feature scenes, in the order the seller wrote them.
    let features = &parsed.features;
    let shown = features.len().min(middle);
    let first_tpl = pick.index(2, pack.features.len());
    for (j, feature) in features.iter().take(shown).enumerate() {
        let f_cap = capitalize(feature);
        // CJK copy has no case: a Latin feature opening a sentence keeps its capital there too.
        let f_mid = if wide { f_cap.clone() } else { mid_sentence(feature, lang) };
        let tpl = pack.features[(first_tpl + j) % pack.features.len()];
        let mut voiceover = fill(tpl, &[("f", &f_mid), ("F", &f_cap), ("p", &p_mid), ("P", &p_cap)], wide);
        if j + 1 == shown && features.len() > shown {
            voiceover = with_extras(voiceover, &features[shown..], lex, pack, lang);
        }
        scenes.push((f_cap, voiceover));
    }

    // Filler scenes: general benefits, rotated so that none repeats.
    let first_filler = pick.index(3, pack.fillers.len());
    let filler_scenes = (middle - shown).min(pack.fillers.len());
    for j in 0..middle - shown {
        let (caption, voiceover) = pack.fillers[(first_filler + j) % pack.fillers.len()];
        scenes.push((pv(caption), pv(voiceover)));
    }

    // Closing scene.
    let (caption, voiceover) = pack.closings[pick.index(4, pack.closings.len())];
    scenes.push((pv(caption), pv(voiceover)));

    // Each line must be said within its scene: shortened to the speech budget.
    let budget = budget::scene_budget(req.options.duration_s, n, req.options.style);

    // A long video's feature scenes have time to say more than their one sentence: the benefits
    // no filler scene said are added to them, one each, where they fit the budget whole.
    let unused =
        (filler_scenes..pack.fillers.len()).map(|j| pv(pack.fillers[(first_filler + j) % pack.fillers.len()].1));
    let sep = if wide { "" } else { " " };
    let mut extra = unused.peekable();
    for (_, voiceover) in scenes.iter_mut().skip(1).take(shown) {
        let Some(more) = extra.peek() else { break };
        let longer = format!("{voiceover}{sep}{more}");
        if longer.chars().count() <= MAX_LINE_CHARS && budget::speaking_seconds(&longer, lang) <= budget {
            *voiceover = longer;
            extra.next();
        }
    }
    let scenes = scenes
        .into_iter()
        .enumerate()
        .map(|(i, (caption, voiceover))| {
            let caption = fit(&caption, CAPTION_UNITS, display_units);
            let voiceover = fit(&voiceover, MAX_LINE_CHARS, one_per_char);
            Scene {
                voiceover: budget::fit_spoken(&voiceover, &caption, budget, lang),
                caption,
                photo_index: photo_for_scene(i, n, photos) as u32,
            }
        })
        .collect();

    Script {
        title: fit(&p_cap, TITLE_CHARS, one_per_char),
        hook: fit(&pv(pack.hooks[pick.index(0, pack.hooks.len())]), MAX_LINE_CHARS, one_per_char),
        scenes,
        call_to_action: fit(pack.ctas[pick.index(5, pack.ctas.len())], CAPTION_UNITS, display_units),
    }
}

/// Appends "Plus: a, b and c." for features that did not get a scene of their own, keeping the
/// line within the voiceover limit (dropping extras rather than cutting a sentence).
fn with_extras(voiceover: String, extras: &[String], lex: &Lexicon, pack: &Pack, lang: Language) -> String {
    let extras: Vec<String> = extras.iter().take(MAX_EXTRA_FEATURES).map(|f| mid_sentence(f, lang)).collect();
    for k in (1..=extras.len()).rev() {
        let list = join_list(&extras[..k], lex);
        let plus = fill(pack.plus, &[("l", &list)], lex.wide);
        let sep = if lex.wide { "" } else { " " };
        let line = format!("{voiceover}{sep}{plus}");
        if line.chars().count() <= MAX_LINE_CHARS {
            return line;
        }
    }
    voiceover
}

fn join_list(items: &[String], lex: &Lexicon) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}{}{}", init.join(lex.list_sep), lex.and, last),
    }
}

/// Roughly one scene per four seconds, at least one per photo when that fits, 3 to 6 in all.
fn scene_count(duration_s: u32, photos: usize) -> usize {
    let by_time = (duration_s as usize + SECONDS_PER_SCENE / 2) / SECONDS_PER_SCENE;
    by_time.max(photos.min(MAX_SCENES)).clamp(MIN_SCENES, MAX_SCENES)
}

/// Cycles through the photos; with more photos than scenes, spreads the scenes over them.
fn photo_for_scene(scene: usize, scenes: usize, photos: usize) -> usize {
    let photos = photos.max(1);
    if photos <= scenes { scene % photos } else { scene * photos / scenes.max(1) }
}

fn style_index(style: Style) -> usize {
    match style {
        Style::Clean => 0,
        Style::Bold => 1,
        Style::Elegant => 2,
    }
}

/// Deterministic variant choice from a SHA-256 of the whole request.
struct Picker([u8; 32]);

impl Picker {
    fn new(req: &ScriptRequest) -> Self {
        let o = &req.options;
        let mut h = Sha256::new();
        h.update(req.description.as_str().as_bytes());
        h.update([0]);
        h.update(o.language.as_str());
        h.update([0]);
        h.update(o.style.as_str());
        h.update([0]);
        h.update(o.aspect_ratio.as_str());
        h.update([0]);
        h.update(o.duration_s.to_le_bytes());
        h.update((req.photo_count as u64).to_le_bytes());
        Self(h.finalize().into())
    }

    /// A value in `0..len` for a numbered decision.
    fn index(&self, slot: usize, len: usize) -> usize {
        let a = self.0[(2 * slot) % 32];
        let b = self.0[(2 * slot + 1) % 32];
        usize::from(u16::from_le_bytes([a, b])) % len.max(1)
    }
}
