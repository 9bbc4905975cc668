use super::{Lexicon, Pack};

pub(super) static DE: Lexicon = Lexicon {
    packs: [
        Pack {
            hooks: [
                "Ein genauer Blick: {p}.",
                "Gutes Design beginnt im Alltag.",
                "Einfach, nützlich, gut gemacht: {p}.",
            ],
            intros: [
                "{P}: gemacht für den Alltag.",
                "{P}: durchdacht und einfach zu lieben.",
                "{P} – passt ganz selbstverständlich in deinen Tag.",
            ],
            features: [
                "{F}: ein durchdachtes Detail, das man jeden Tag merkt.",
                "Genauer hingeschaut: {f}.",
                "Auf die Details kommt es an: {f}.",
                "Noch ein Pluspunkt: {f}.",
            ],
            fillers: [
                ("Für jeden Tag", "Gemacht, um sich ganz natürlich in deinen Alltag einzufügen."),
                ("Einfach praktisch", "Einfach zu benutzen und leicht zu lieben."),
                ("Qualität, die man sieht", "Hochwertige Materialien und sorgfältige Verarbeitung."),
                ("Eine schöne Geschenkidee", "Auch ein schönes Geschenk für liebe Menschen."),
            ],
            closings: [
                ("Bereit, wenn du es bist", "{P}: bereit, wenn du es bist."),
                ("Jeden Tag ein bisschen besser", "Mach jeden Tag ein bisschen besser – mit {p}."),
            ],
            ctas: ["Jetzt kaufen.", "Heute noch bestellen.", "Tippen für mehr Infos."],
            plus: "Außerdem: {l}.",
        },
        Pack {
            hooks: ["Stopp! Das musst du sehen!", "Bereit für ein Upgrade? Schau her!", "Neu: {p}!"],
            intros: ["Schau mal: {p}!", "{P}: gemacht, um aufzufallen!", "Hier ist es: {p}!"],
            features: [
                "Und das ist noch nicht alles: {f}!",
                "{F}: ein echter Gamechanger!",
                "Das Extra: {f}!",
                "Das Beste? {F}!",
            ],
            fillers: [
                ("Gemacht, um zu beeindrucken", "Beeindruckt jedes Mal aufs Neue!"),
                ("Dein neuer Favorit", "Dein neuer Liebling? Auf jeden Fall!"),
                ("Fällt garantiert auf", "Starker Look, echte Alltagsleistung!"),
                ("Das perfekte Geschenk", "Suchst du ein Geschenk? Damit liegst du richtig!"),
            ],
            closings: [
                ("Nicht verpassen!", "Worauf wartest du? Jetzt zugreifen: {p}!"),
                ("Jetzt zugreifen!", "{P}: jetzt zugreifen!"),
            ],
            ctas: ["Jetzt kaufen!", "Jetzt zuschlagen!", "Sofort bestellen!"],
            plus: "Und dazu: {l}!",
        },
        Pack {
            hooks: [
                "Manche Dinge sind dafür gemacht, geschätzt zu werden.",
                "Schönheit liegt im Detail.",
                "Mit Sorgfalt gestaltet: {p}.",
            ],
            intros: [
                "Entdecken Sie {p}: wo Form auf Funktion trifft.",
                "{P}: stille Eleganz für jeden Tag.",
                "{P}: mit Sorgfalt gefertigt.",
            ],
            features: [
                "Ein raffiniertes Detail: {f}.",
                "{F}: bis ins kleinste Detail durchdacht.",
                "Jedes Detail zählt: {f}.",
                "Mit Bedacht gewählt: {f}.",
            ],
            fillers: [
                ("Zeitloses Design", "Ein zeitloses Design, das nie aus der Mode kommt."),
                ("Mit Sorgfalt gefertigt", "Mit Sorgfalt gefertigt, um lange geschätzt zu werden."),
                ("Stiller Luxus", "Stiller Luxus für die Momente, die zählen."),
                ("Ein besonderes Geschenk", "Ein elegantes Geschenk für besondere Menschen."),
            ],
            closings: [
                ("Zum Verlieben", "{P}: zum Verlieben und Bewahren."),
                ("Eleganz für jeden Tag", "Holen Sie sich Eleganz nach Hause – mit {p}."),
            ],
            ctas: ["Jetzt entdecken.", "Gönnen Sie sich das Besondere.", "Entdecken Sie die Kollektion."],
            plus: "Und dazu: {l}.",
        },
    ],
    fallback_product: "unser Produkt",
    list_sep: ", ",
    and: " und ",
    wide: false,
};
