use super::{Lexicon, Pack};

pub(super) static ES: Lexicon = Lexicon {
    packs: [
        Pack {
            hooks: [
                "Echa un vistazo: {p}.",
                "El buen diseño empieza en lo cotidiano.",
                "Simple, útil y bien hecho: {p}.",
            ],
            intros: [
                "Te presentamos {p}: un diseño pensado para el día a día.",
                "{P}: practicidad y cuidado en cada detalle.",
                "{P}, para acompañarte cada día.",
            ],
            features: [
                "{F}: un detalle práctico que marca la diferencia.",
                "Fíjate bien: {f}.",
                "Todo está en los detalles: {f}.",
                "Otro punto a favor: {f}.",
            ],
            fillers: [
                ("Para cada día", "Diseñado para encajar en tu rutina diaria."),
                ("Simple y práctico", "Fácil de usar y fácil de querer."),
                ("Calidad que se nota", "Buenos materiales y acabados cuidados."),
                ("Un regalo acertado", "También es un regalo perfecto para alguien especial."),
            ],
            closings: [
                ("Listo cuando tú quieras", "{P}: listo cuando tú quieras."),
                ("Tu día, un poco mejor", "Haz tu día un poco mejor con {p}."),
            ],
            ctas: ["Compra ahora.", "Pide el tuyo hoy.", "Toca para saber más."],
            plus: "Además: {l}.",
        },
        Pack {
            hooks: [
                "¡No sigas deslizando: tienes que ver esto!",
                "¿Listo para algo mejor? ¡Mira esto!",
                "¡Novedad: {p}!",
            ],
            intros: ["¡Mira esto: {p}!", "¡{P}: imposible no fijarse!", "¡Te presentamos {p}!"],
            features: ["¡Y eso no es todo: {f}!", "¡{F}: un cambio total!", "¡Lo mejor: {f}!", "¡Y encima: {f}!"],
            fillers: [
                ("Hecho para impresionar", "¡Hecho para impresionar, siempre!"),
                ("Tu nuevo favorito", "¿Tu nuevo favorito? ¡Sin duda!"),
                ("Imposible ignorarlo", "¡Estilo que se nota y rendimiento real!"),
                ("El regalo ideal", "¿Buscas un regalo? ¡Este gana!"),
            ],
            closings: [
                ("¡No te lo pierdas!", "¡No esperes más: consigue {p} hoy!"),
                ("¡Consíguelo ya!", "¡{P}: consíguelo ahora!"),
            ],
            ctas: ["¡Compra ahora!", "¡Consigue el tuyo hoy!", "¡Pídelo ya!"],
            plus: "¡Y además: {l}!",
        },
        Pack {
            hooks: [
                "Hay cosas hechas para durar.",
                "La belleza está en los detalles.",
                "Con intención y con esmero: {p}.",
            ],
            intros: [
                "Descubre {p}, donde la forma se une a la función.",
                "{P}: elegancia serena para cada día.",
                "{P}: artesanía y esmero en cada detalle.",
            ],
            features: [
                "Un detalle refinado: {f}.",
                "{F}: cuidado hasta el último detalle.",
                "Cada detalle importa: {f}.",
                "Pensado con cuidado: {f}.",
            ],
            fillers: [
                ("Diseño atemporal", "Un diseño atemporal que nunca pasa de moda."),
                ("Hecho con esmero", "Hecho con esmero, pensado para durar."),
                ("Lujo discreto", "Lujo discreto para los momentos importantes."),
                ("Un regalo especial", "Un regalo elegante para alguien especial."),
            ],
            closings: [
                ("Para atesorar", "{P}: para atesorar."),
                ("Elegancia diaria", "Lleva la elegancia a tu día con {p}."),
            ],
            ctas: ["Descúbrelo hoy.", "Hazlo tuyo.", "Explora la colección."],
            plus: "Y además: {l}.",
        },
    ],
    fallback_product: "nuestro producto",
    list_sep: ", ",
    and: " y ",
    wide: false,
};
