use glimvid_domain::{AspectRatio, Description, VideoOptions};

use super::*;

const MUG: &str = "Handmade ceramic coffee mug, 350 ml, dishwasher safe";
const MUG_ZH: &str = "手工陶瓷咖啡杯，350毫升，可洗碗机清洗";
const STYLES: [Style; 3] = [Style::Clean, Style::Bold, Style::Elegant];

fn req(desc: &str, language: Language, style: Style, duration_s: u32, photo_count: usize) -> ScriptRequest {
    ScriptRequest {
        description: Description::parse(desc).unwrap(),
        options: VideoOptions {
            aspect_ratio: AspectRatio::Portrait,
            duration_s,
            language,
            style,
            ..Default::default()
        },
        photo_count,
    }
}

fn write(desc: &str, language: Language, style: Style, duration_s: u32, photos: usize) -> Script {
    OfflineScriptWriter::new().compose(&req(desc, language, style, duration_s, photos))
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(is_cjk)
}

fn long_description() -> String {
    let base = "An exceptionally beautiful handmade ceramic coffee mug that keeps your drinks warm ";
    let mut s = base.repeat(8);
    s.truncate(500);
    s
}

fn long_list_description() -> String {
    let mut s = String::from("Supercalifragilisticexpialidociousandevenlongerwordwithoutanyspaces mug");
    for i in 0..40 {
        s.push_str(&format!(", feature number {i} with a rather long explanation"));
    }
    s.chars().take(500).collect()
}

#[test]
fn every_language_style_duration_and_photo_count_is_valid() {
    let long = long_description();
    let long_list = long_list_description();
    let descriptions = [MUG, MUG_ZH, "Mug", "杯", long.as_str(), long_list.as_str(), "!!!", "iPhone case"];
    for desc in descriptions {
        for lang in Language::ALL {
            for style in STYLES {
                for duration in [5, 15, 60] {
                    for photos in 1..=6 {
                        let s = write(desc, lang, style, duration, photos);
                        s.validate(photos)
                            .unwrap_or_else(|e| panic!("{desc} {lang} {style:?} {duration}s {photos}: {e}\n{s:#?}"));
                        assert!(s.title.chars().count() <= TITLE_CHARS);
                        assert!(units(&s.call_to_action, display_units) <= CAPTION_UNITS);
                        for scene in &s.scenes {
                            assert!(units(&scene.caption, display_units) <= CAPTION_UNITS, "{:?}", scene.caption);
                            assert!(!scene.caption.trim().is_empty() && !scene.voiceover.trim().is_empty());
                            assert!(!scene.caption.contains('{') && !scene.voiceover.contains('{'));
                        }
                        if s.scenes.len() >= photos {
                            for p in 0..photos {
                                assert!(s.scenes.iter().any(|sc| sc.photo_index as usize == p), "photo {p} unused");
                            }
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn scene_count_follows_duration_and_photos() {
    assert_eq!(scene_count(5, 1), 3);
    assert_eq!(scene_count(15, 3), 4);
    assert_eq!(scene_count(15, 6), 6);
    assert_eq!(scene_count(20, 1), 5);
    assert_eq!(scene_count(60, 1), 6);
    assert_eq!(scene_count(5, 9), 6);
    // More photos than scenes: spread over all of them, in order.
    let idx: Vec<usize> = (0..6).map(|i| photo_for_scene(i, 6, 12)).collect();
    assert_eq!(idx, [0, 2, 4, 6, 8, 10]);
}

#[test]
fn zero_photos_are_treated_as_one() {
    let s = write(MUG, Language::En, Style::Clean, 15, 0);
    assert!(s.validate(1).is_ok() && s.validate(0).is_ok());
    assert!(s.scenes.iter().all(|sc| sc.photo_index == 0));
}

#[test]
fn same_request_same_script() {
    for lang in Language::ALL {
        for style in STYLES {
            assert_eq!(write(MUG, lang, style, 15, 3), write(MUG, lang, style, 15, 3));
        }
    }
    // The choice depends on the request, so scripts vary across products.
    let hooks: std::collections::HashSet<String> =
        (0..20).map(|i| write(&format!("Product {i}, feature"), Language::En, Style::Clean, 15, 3).hook).collect();
    assert!(hooks.len() > 1);
}

#[test]
fn english_script_uses_product_and_features() {
    let s = write(MUG, Language::En, Style::Clean, 15, 3);
    assert_eq!(s.title, "Handmade ceramic coffee mug");
    assert_eq!(s.scenes.len(), 4);
    assert_eq!(s.scenes[0].caption, "Handmade ceramic coffee mug");
    assert_eq!(s.scenes[1].caption, "350 ml");
    assert_eq!(s.scenes[2].caption, "Dishwasher safe");
    assert!(s.scenes[1].voiceover.contains("350 ml"));
    assert!(s.scenes[2].voiceover.to_lowercase().contains("dishwasher safe"));
    assert!(s.scenes[0].voiceover.to_lowercase().contains("handmade ceramic coffee mug"), "{}", s.scenes[0].voiceover);
    let photos: Vec<u32> = s.scenes.iter().map(|sc| sc.photo_index).collect();
    assert_eq!(photos, [0, 1, 2, 0]);
}

#[test]
fn chinese_script_uses_product_features_and_cjk_captions() {
    for style in STYLES {
        let s = write(MUG_ZH, Language::Zh, style, 15, 3);
        assert_eq!(s.title, "手工陶瓷咖啡杯");
        assert!(s.scenes.iter().all(|sc| has_cjk(&sc.caption) && has_cjk(&sc.voiceover)), "{s:#?}");
        assert!(s.scenes.iter().all(|sc| sc.caption.chars().count() <= 16));
        assert!(s.scenes.iter().any(|sc| sc.caption == "350毫升"));
        assert!(s.scenes.iter().any(|sc| sc.voiceover.contains("可洗碗机清洗")));
        assert!(s.scenes[0].voiceover.contains("手工陶瓷咖啡杯"));
        assert!(has_cjk(&s.hook) && has_cjk(&s.call_to_action));
    }
    // An English description still gets Chinese copy around the English names.
    let s = write(MUG, Language::Zh, Style::Clean, 15, 3);
    assert!(has_cjk(&s.hook) && s.scenes.iter().any(|sc| has_cjk(&sc.voiceover)) && has_cjk(&s.scenes[3].caption));
    assert!(s.scenes[0].voiceover.contains("Handmade ceramic coffee mug"));
}

#[test]
fn japanese_and_european_scripts_are_in_their_language() {
    let ja = write(MUG, Language::Ja, Style::Clean, 15, 3);
    assert!(has_cjk(&ja.hook) && has_cjk(&ja.call_to_action));
    let fr = write(MUG, Language::Fr, Style::Bold, 15, 3);
    assert!(
        fr.call_to_action.contains("ommandez")
            || fr.call_to_action.contains("chetez")
            || fr.call_to_action.contains("oncez")
    );
    let de = write(MUG, Language::De, Style::Elegant, 15, 3);
    assert!(
        ["Jetzt entdecken.", "Gönnen Sie sich das Besondere.", "Entdecken Sie die Kollektion."]
            .contains(&de.call_to_action.as_str())
    );
    let es = write(MUG, Language::Es, Style::Clean, 30, 3);
    assert!(es.scenes.iter().any(|sc| sc.caption == "Dishwasher safe"));
}

#[test]
fn parses_latin_and_cjk_descriptions() {
    let p = parse_description(MUG);
    assert_eq!(p.product.as_deref(), Some("Handmade ceramic coffee mug"));
    assert_eq!(p.features, ["350 ml", "dishwasher safe"]);

    let p = parse_description(MUG_ZH);
    assert_eq!(p.product.as_deref(), Some("手工陶瓷咖啡杯"));
    assert_eq!(p.features, ["350毫升", "可洗碗机清洗"]);

    let p = parse_description("A linen tote bag with leather handles and an inner pocket; machine washable");
    assert_eq!(p.product.as_deref(), Some("linen tote bag"));
    assert_eq!(p.features, ["leather handles", "an inner pocket", "machine washable"]);

    let p = parse_description("Steel bottle (750 ml) - dishwasher and microwave safe. Keeps drinks cold 24h");
    assert_eq!(p.product.as_deref(), Some("Steel bottle"));
    assert_eq!(p.features, ["750 ml", "dishwasher and microwave safe", "Keeps drinks cold 24h"]);

    let p = parse_description("这款香薰蜡烛、大豆蜡、燃烧40小时");
    assert_eq!(p.product.as_deref(), Some("香薰蜡烛"));
    assert_eq!(p.features, ["大豆蜡", "燃烧40小时"]);

    let p = parse_description("Mug");
    assert_eq!(p, Parsed { product: Some("Mug".into()), features: vec![] });
    assert_eq!(parse_description(",,, !!"), Parsed::default());
    // Decimals and ratios are not separators.
    assert_eq!(parse_description("Tablet stand for 16:9 screens, 3.5 mm jack").features, ["3.5 mm jack"]);
}

#[test]
fn many_features_are_summed_up_in_the_last_feature_scene() {
    // A long video has time to say them (a short one drops them for its speech budget).
    let s = write(
        "Desk lamp, dimmable, USB-C charging, warm light, timer, touch control, foldable arm, night mode, memory",
        Language::En,
        Style::Clean,
        60,
        1,
    );
    assert_eq!(s.scenes.len(), 6);
    let vo = &s.scenes[4].voiceover;
    assert!(vo.contains("Plus: touch control, foldable arm and night mode."), "{vo}");
}

#[test]
fn fit_respects_char_boundaries_and_words() {
    assert_eq!(fit("Handmade ceramic coffee mug", 60, one_per_char), "Handmade ceramic coffee mug");
    assert_eq!(fit("Handmade ceramic coffee mug with handle", 33, one_per_char), "Handmade ceramic coffee mug");
    assert_eq!(fit("Blue mug for tea", 14, one_per_char), "Blue mug");
    assert_eq!(fit("手工陶瓷咖啡杯手工陶瓷咖啡杯手工陶瓷咖啡杯", CAPTION_UNITS, display_units).chars().count(), 16);
    assert_eq!(fit("Supercalifragilistic", 5, one_per_char), "Super");
    assert_eq!(fit("ééééé", 2, one_per_char), "éé");
    assert_eq!(fit("—, —", 1, one_per_char), "—");
    assert_eq!(fit("杯", 1, display_units), "杯");
    for n in 1..40 {
        let out = fit("Ünïcödé, mixed 中文 text — with a longer tail", n, one_per_char);
        assert!(!out.is_empty() && out.chars().count() <= n.max(1));
    }
}

#[test]
fn english_case_is_adjusted_only_for_common_words() {
    assert_eq!(mid_sentence("Handmade ceramic mug", Language::En), "handmade ceramic mug");
    assert_eq!(mid_sentence("Nike running shoes", Language::En), "Nike running shoes");
    assert_eq!(mid_sentence("Handmade Tasse", Language::De), "Handmade Tasse");
    assert_eq!(capitalize("iPhone case"), "iPhone case");
    assert_eq!(capitalize("dishwasher safe"), "Dishwasher safe");
    assert_eq!(fill("这款{p}。", &[("p", "Mug 2")], true), "这款 Mug 2。");
}

#[test]
fn long_and_one_word_descriptions_work() {
    let long = long_description();
    let s = write(&long, Language::En, Style::Bold, 30, 2);
    s.validate(2).unwrap();
    assert!(
        s.title.starts_with("exceptionally beautiful handmade ceramic coffee mug")
            || s.title.starts_with("Exceptionally")
    );
    let s = write("Mug", Language::En, Style::Elegant, 5, 1);
    s.validate(1).unwrap();
    assert_eq!(s.title, "Mug");
    let s = write("杯", Language::Zh, Style::Clean, 60, 6);
    s.validate(6).unwrap();
    assert_eq!(s.scenes.len(), 6);
}

#[tokio::test]
async fn writes_through_the_trait() {
    let w: Box<dyn ScriptWriter> = Box::new(OfflineScriptWriter);
    assert_eq!(w.name(), "offline");
    let s = w.write(&req(MUG, Language::En, Style::Clean, 15, 3)).await.unwrap();
    assert_eq!(s, OfflineScriptWriter::new().compose(&req(MUG, Language::En, Style::Clean, 15, 3)));
    fn is_default<T: Default>() {}
    is_default::<OfflineScriptWriter>();
}

fn json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn to_json(s: &Script) -> String {
    let scenes: Vec<String> = s
        .scenes
        .iter()
        .map(|sc| {
            format!(
                "    {{ \"caption\": {}, \"voiceover\": {}, \"photo_index\": {} }}",
                json_str(&sc.caption),
                json_str(&sc.voiceover),
                sc.photo_index
            )
        })
        .collect();
    format!(
        "{{\n  \"title\": {},\n  \"hook\": {},\n  \"scenes\": [\n{}\n  ],\n  \"call_to_action\": {}\n}}",
        json_str(&s.title),
        json_str(&s.hook),
        scenes.join(",\n"),
        json_str(&s.call_to_action)
    )
}

/// `cargo test -p glimvid-media offline_writer::tests::print_samples -- --ignored --nocapture`
#[test]
#[ignore = "prints sample scripts"]
fn print_samples() {
    for (desc, lang) in [(MUG, Language::En), (MUG, Language::Zh), (MUG_ZH, Language::Zh)] {
        for style in STYLES {
            println!("--- {lang} {style:?}: {desc}\n{}", to_json(&write(desc, lang, style, 15, 3)));
        }
    }
    for lang in [Language::Es, Language::Fr, Language::De, Language::Ja] {
        println!("--- {lang} Clean\n{}", to_json(&write(MUG, lang, Style::Clean, 15, 3)));
    }
    for (desc, lang) in [
        ("ハンドメイドの陶器マグカップ、350ml、食洗機対応", Language::Ja),
        ("Handgemachte Keramiktasse, 350 ml, spülmaschinenfest", Language::De),
        (
            "A linen tote bag with leather handles and an inner pocket; machine washable, fits a 14-inch laptop",
            Language::En,
        ),
    ] {
        println!("--- {lang} Bold 30s 2 photos: {desc}\n{}", to_json(&write(desc, lang, Style::Bold, 30, 2)));
    }
}

#[test]
fn every_line_can_be_said_within_its_scene() {
    let long = long_description();
    for desc in [MUG, MUG_ZH, long.as_str(), "Desk lamp, dimmable, USB-C charging, warm light, timer"] {
        for lang in Language::ALL {
            for style in STYLES {
                for duration in [5, 6, 10, 15, 30, 60] {
                    let s = write(desc, lang, style, duration, 3);
                    let budget = budget::scene_budget(duration, s.scenes.len(), style);
                    for sc in &s.scenes {
                        let said = budget::speaking_seconds(&sc.voiceover, lang);
                        // A single caption word may exceed a tiny budget; nothing longer may.
                        assert!(
                            said <= budget + 1e-9 || !sc.voiceover.trim().contains(' '),
                            "{lang} {duration}s: `{}` takes {said:.2} s of {budget:.2}",
                            sc.voiceover
                        );
                        assert!(!sc.voiceover.trim().is_empty());
                    }
                }
            }
        }
    }
}

#[test]
fn long_videos_say_more_without_repeating_a_sentence() {
    for lang in [Language::En, Language::Zh, Language::Es, Language::Fr] {
        let desc = if lang == Language::Zh { MUG_ZH } else { MUG };
        let spoken = |s: &Script| s.scenes.iter().map(|sc| speaking_seconds(&sc.voiceover, lang)).sum::<f64>();
        let short = write(desc, lang, Style::Clean, 15, 3);
        let long = write(desc, lang, Style::Clean, 60, 3);
        assert!(spoken(&long) > spoken(&short) * 1.2, "{lang:?}: {:.1} s vs {:.1} s", spoken(&long), spoken(&short));
        let marks: &[char] = &['.', '!', '?', '。', '！', '？'];
        let sentences: Vec<&str> =
            long.scenes.iter().flat_map(|sc| sc.voiceover.split_inclusive(marks)).map(str::trim).collect();
        let unique: std::collections::HashSet<&str> = sentences.iter().copied().collect();
        assert_eq!(unique.len(), sentences.len(), "{lang:?}: a sentence said twice: {sentences:?}");
    }
}
