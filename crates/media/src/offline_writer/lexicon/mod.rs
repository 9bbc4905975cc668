//! Copy. Placeholders: {p} the product inside a sentence, {P} at the start of one; {f}/{F} the
//! same for a feature; {l} a list of features. Templates avoid articles and verb agreement with
//! the product (it may be plural, or its gender unknown), using colons instead.

use glimvid_domain::Language;

mod de;
mod en;
mod es;
mod fr;
mod ja;
mod zh;

use de::DE;
use en::EN;
use es::ES;
use fr::FR;
use ja::JA;
use zh::ZH;

pub(super) struct Pack {
    pub(super) hooks: [&'static str; 3],
    pub(super) intros: [&'static str; 3],
    pub(super) features: [&'static str; 4],
    pub(super) fillers: [(&'static str, &'static str); 4],
    pub(super) closings: [(&'static str, &'static str); 2],
    pub(super) ctas: [&'static str; 3],
    pub(super) plus: &'static str,
}

pub(super) struct Lexicon {
    /// Clean, bold, elegant.
    pub(super) packs: [Pack; 3],
    pub(super) fallback_product: &'static str,
    pub(super) list_sep: &'static str,
    pub(super) and: &'static str,
    /// CJK copy: no spaces between sentences, spaces where CJK meets Latin.
    pub(super) wide: bool,
}

pub(super) fn lexicon(lang: Language) -> &'static Lexicon {
    match lang {
        Language::En => &EN,
        Language::Zh => &ZH,
        Language::Es => &ES,
        Language::Fr => &FR,
        Language::De => &DE,
        Language::Ja => &JA,
    }
}
