use super::{Lexicon, Pack};

pub(super) static EN: Lexicon = Lexicon {
    packs: [
        Pack {
            hooks: [
                "A closer look at the {p}.",
                "Good design starts with the everyday.",
                "Meet the {p}: simple, useful, well made.",
            ],
            intros: [
                "This is the {p}, designed for everyday use.",
                "The {p}: thoughtfully made and easy to love.",
                "The {p}, made to fit right into your day.",
            ],
            features: [
                "{F}: a thoughtful detail you'll notice every day.",
                "Look closer: {f}.",
                "It's all in the details: {f}.",
                "One more thing: {f}.",
            ],
            fillers: [
                ("Made for every day", "Designed to fit naturally into your daily routine."),
                ("Simple and practical", "Simple to use, and easy to live with."),
                ("Quality you can see", "Quality materials and careful finishing, inside and out."),
                ("A thoughtful gift", "It also makes a thoughtful gift for someone you care about."),
            ],
            closings: [
                ("Ready when you are", "The {p}: ready when you are."),
                ("Every day, made better", "Make every day a little better with the {p}."),
            ],
            ctas: ["Shop now.", "Order yours today.", "Tap to learn more."],
            plus: "Plus: {l}.",
        },
        Pack {
            hooks: [
                "Stop scrolling! You need to see this!",
                "Ready for an upgrade? Say hello to the {p}!",
                "Big news: the {p} just dropped!",
            ],
            intros: ["Say hello to the {p}!", "The {p}: made to stand out!", "Here it is: the {p}!"],
            features: [
                "And that's not all: {f}!",
                "{F}: a total game changer!",
                "Check this out: {f}!",
                "Best part? {F}!",
            ],
            fillers: [
                ("Built to impress", "Built to impress, every single time!"),
                ("Your new favorite", "Your new favorite thing? Absolutely!"),
                ("Made to stand out", "Bold looks and real everyday performance!"),
                ("The perfect gift", "Need a gift? This one wins!"),
            ],
            closings: [
                ("Don't miss out!", "Don't wait: get the {p} today!"),
                ("Get yours now!", "The {p}: grab yours now!"),
            ],
            ctas: ["Shop now!", "Grab yours today!", "Tap to order now!"],
            plus: "Plus: {l}!",
        },
        Pack {
            hooks: [
                "Some things are made to be treasured.",
                "Beauty lives in the details.",
                "Crafted with intention: the {p}.",
            ],
            intros: [
                "Introducing the {p}, where form meets function.",
                "The {p}: quiet elegance for every day.",
                "Discover the {p}, crafted with care.",
            ],
            features: [
                "A refined detail: {f}.",
                "{F}: considered down to the last detail.",
                "Every detail matters: {f}.",
                "Thoughtfully considered: {f}.",
            ],
            fillers: [
                ("Timeless design", "A timeless design that never goes out of style."),
                ("Crafted with care", "Crafted with care, and made to be cherished."),
                ("Quiet luxury", "Understated luxury for the moments that matter."),
                ("A gift to remember", "A graceful gift for someone special."),
            ],
            closings: [
                ("Yours to cherish", "The {p}: yours to cherish."),
                ("Elegance, every day", "Bring quiet elegance home with the {p}."),
            ],
            ctas: ["Discover it today.", "Make it yours.", "Explore the collection."],
            plus: "And more: {l}.",
        },
    ],
    fallback_product: "product",
    list_sep: ", ",
    and: " and ",
    wide: false,
};
