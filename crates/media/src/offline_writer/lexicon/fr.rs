use super::{Lexicon, Pack};

pub(super) static FR: Lexicon = Lexicon {
    packs: [
        Pack {
            hooks: [
                "À découvrir de plus près : {p}.",
                "Le bon design commence au quotidien.",
                "Simple, utile et bien fait : {p}.",
            ],
            intros: [
                "{P} : un design pensé pour le quotidien.",
                "{P} : du soin dans chaque détail.",
                "{P}, pour vous accompagner chaque jour.",
            ],
            features: [
                "{F} : un détail pratique qui change tout.",
                "Regardez de plus près : {f}.",
                "Tout est dans les détails : {f}.",
                "Autre atout : {f}.",
            ],
            fillers: [
                ("Pour tous les jours", "Conçu pour s'intégrer naturellement à votre quotidien."),
                ("Simple et pratique", "Simple à utiliser, facile à adopter."),
                ("Une qualité visible", "Des matériaux de qualité et des finitions soignées."),
                ("Une idée cadeau", "C'est aussi une belle idée cadeau pour vos proches."),
            ],
            closings: [
                ("Prêt quand vous l'êtes", "{P} : prêt quand vous l'êtes."),
                ("Un quotidien plus agréable", "Rendez chaque jour plus agréable avec {p}."),
            ],
            ctas: ["Achetez maintenant.", "Commandez dès aujourd'hui.", "Touchez pour en savoir plus."],
            plus: "En plus : {l}.",
        },
        Pack {
            hooks: ["Stop ! Vous devez voir ça !", "Envie de mieux ? Regardez ça !", "Nouveauté : {p} !"],
            intros: ["Regardez ça : {p} !", "{P} : impossible de passer à côté !", "Place à la nouveauté : {p} !"],
            features: [
                "Et ce n'est pas tout : {f} !",
                "{F} : ça change tout !",
                "Le petit plus : {f} !",
                "Le meilleur ? {F} !",
            ],
            fillers: [
                ("Fait pour impressionner", "Fait pour impressionner, à chaque fois !"),
                ("Votre nouveau favori", "Votre nouveau coup de cœur ? Absolument !"),
                ("Impossible à ignorer", "Du style et de vraies performances au quotidien !"),
                ("Le cadeau idéal", "Besoin d'un cadeau ? Celui-ci gagne !"),
            ],
            closings: [
                ("Ne le ratez pas !", "N'attendez plus : adoptez {p} dès aujourd'hui !"),
                ("Foncez !", "{P} : foncez, c'est maintenant !"),
            ],
            ctas: ["Achetez maintenant !", "Commandez vite !", "Foncez, commandez !"],
            plus: "Et en plus : {l} !",
        },
        Pack {
            hooks: [
                "Certaines choses sont faites pour durer.",
                "La beauté se cache dans les détails.",
                "Avec soin et intention : {p}.",
            ],
            intros: [
                "Découvrez {p}, là où la forme rencontre la fonction.",
                "{P} : l'élégance discrète au quotidien.",
                "{P} : le savoir-faire dans chaque détail.",
            ],
            features: [
                "Un détail raffiné : {f}.",
                "{F} : soigné jusque dans les moindres détails.",
                "Chaque détail compte : {f}.",
                "Pensé avec soin : {f}.",
            ],
            fillers: [
                ("Un design intemporel", "Un design intemporel qui ne se démode jamais."),
                ("Fait avec soin", "Fait avec soin, pour être chéri longtemps."),
                ("Luxe discret", "Un luxe discret pour les moments qui comptent."),
                ("Un cadeau précieux", "Un cadeau élégant pour une personne chère."),
            ],
            closings: [
                ("À chérir", "{P} : à chérir longtemps."),
                ("L'élégance au quotidien", "Invitez l'élégance chez vous avec {p}."),
            ],
            ctas: ["Découvrez-le dès aujourd'hui.", "Offrez-vous l'exception.", "Explorez la collection."],
            plus: "Et aussi : {l}.",
        },
    ],
    fallback_product: "notre produit",
    list_sep: ", ",
    and: " et ",
    wide: false,
};
