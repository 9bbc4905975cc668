//! Lists what an actix app really answers, for the tests that hold the OpenAPI document against
//! the routes served (actix has no route listing, so this walks the app's resource map through
//! its `Debug` text and probes every method). Test support only: built for this crate's tests and
//! with the `test-support` feature, never into the service.

use std::collections::BTreeSet;

use actix_web::{
    App, HttpRequest, HttpResponse,
    dev::Service,
    http::{Method, StatusCode},
    web,
};

/// Every `(method, path)` the app built by `configure` answers, paths in the document's form
/// (`/api/v1/videos/{id}`). Routes are found in the app's resource map (through its `Debug`
/// text: actix has no public listing) and each method is probed: a route answered by the app's
/// default service or with 405 is not served. Handlers probed run without the gateway's state,
/// so they stop at their extractors.
pub async fn served_routes_of(configure: impl FnOnce(&mut web::ServiceConfig)) -> BTreeSet<(String, String)> {
    const UNROUTED: &str = "x-glimvid-unrouted";
    let app = actix_web::test::init_service(App::new().configure(configure).default_service(web::to(
        |req: HttpRequest| async move {
            HttpResponse::NotFound().insert_header((UNROUTED, "1")).body(format!("{:?}", req.resource_map()))
        },
    )))
    .await;
    let probe = |method: Method, path: &str| actix_web::test::TestRequest::default().method(method).uri(path);
    let map = app.call(probe(Method::GET, "/__glimvid_unrouted__").to_request()).await.ok();
    let text = match map {
        Some(res) if res.headers().contains_key(UNROUTED) => {
            let body = actix_web::body::to_bytes(res.into_body()).await.unwrap_or_default();
            String::from_utf8_lossy(&body).into_owned()
        }
        _ => return BTreeSet::new(),
    };
    let mut served = BTreeSet::new();
    for pattern in route_patterns(&text) {
        let concrete: String =
            pattern.split('/').map(|seg| if seg.starts_with('{') { "1" } else { seg }).collect::<Vec<_>>().join("/");
        for method in
            [Method::GET, Method::HEAD, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::OPTIONS]
        {
            let res = app.call(probe(method.clone(), &concrete).to_request()).await;
            let answered = match res {
                Ok(r) => !r.headers().contains_key(UNROUTED) && r.status() != StatusCode::METHOD_NOT_ALLOWED,
                Err(_) => true,
            };
            if answered {
                served.insert((method.as_str().to_ascii_lowercase(), pattern.clone()));
            }
        }
    }
    served
}

/// [`served_routes_of`] the gateway's own routes.
pub async fn served_routes() -> BTreeSet<(String, String)> {
    served_routes_of(crate::rest::routes::configure).await
}

/// The full patterns of the leaf resources in the `Debug` text of an actix `ResourceMap`.
fn route_patterns(debug: &str) -> Vec<String> {
    let mut parser = DebugParser { s: debug.as_bytes(), i: 0 };
    let root = parser.value();
    let mut out = Vec::new();
    collect(&root, "", &mut out);
    out
}

fn collect(map: &DebugValue, prefix: &str, out: &mut Vec<String>) {
    let Some(DebugValue::Tuple(_, nodes)) = map.field("nodes") else { return };
    let Some(DebugValue::List(nodes)) = nodes.first() else { return };
    for node in nodes {
        let patterns = match node.field("pattern").and_then(|p| p.field("patterns")) {
            Some(DebugValue::Tuple(kind, items)) if kind == "Single" => items.clone(),
            Some(DebugValue::Tuple(kind, items)) if kind == "List" => match items.first() {
                Some(DebugValue::List(l)) => l.clone(),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        };
        for p in patterns {
            let DebugValue::Str(p) = p else { continue };
            let full = format!("{prefix}{p}");
            match node.field("nodes") {
                Some(DebugValue::Tuple(..)) => collect(node, &full, out),
                _ => out.push(full),
            }
        }
    }
}

/// A value of Rust's derived `Debug` output.
#[derive(Debug, Clone)]
enum DebugValue {
    Struct(Vec<(String, DebugValue)>),
    Tuple(String, Vec<DebugValue>),
    List(Vec<DebugValue>),
    Str(String),
    /// A number, `true`, `None`, a unit variant: nothing the walk needs.
    Atom,
}

impl DebugValue {
    fn field(&self, name: &str) -> Option<&DebugValue> {
        match self {
            Self::Struct(fields) => fields.iter().find(|(k, _)| k == name).map(|(_, v)| v),
            _ => None,
        }
    }
}

struct DebugParser<'a> {
    s: &'a [u8],
    i: usize,
}

impl DebugParser<'_> {
    fn skip_ws(&mut self) {
        while self.i < self.s.len() && (self.s[self.i] == b' ' || self.s[self.i] == b'\n') {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.s.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn word(&mut self) -> String {
        self.skip_ws();
        let start = self.i;
        while self.i < self.s.len() && !b" ,:{}()[]\"\n".contains(&self.s[self.i]) {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    /// The items up to `close`, each read by `item`.
    fn seq<T>(&mut self, close: u8, mut item: impl FnMut(&mut Self) -> T) -> Vec<T> {
        let mut out = Vec::new();
        while self.peek().is_some() && !self.eat(close) {
            let before = self.i;
            out.push(item(self));
            self.eat(b',');
            if self.i == before {
                self.i += 1;
            }
        }
        out
    }

    fn value(&mut self) -> DebugValue {
        match self.peek() {
            Some(b'"') => {
                self.i += 1;
                let mut out = Vec::new();
                while self.i < self.s.len() && self.s[self.i] != b'"' {
                    if self.s[self.i] == b'\\' {
                        self.i += 1;
                    }
                    if let Some(c) = self.s.get(self.i) {
                        out.push(*c);
                    }
                    self.i += 1;
                }
                self.i += 1;
                DebugValue::Str(String::from_utf8_lossy(&out).into_owned())
            }
            Some(b'[') => {
                self.i += 1;
                DebugValue::List(self.seq(b']', Self::value))
            }
            Some(b'(') => {
                self.i += 1;
                DebugValue::Tuple(String::new(), self.seq(b')', Self::value))
            }
            Some(b'{') => {
                // A map: keys and values, kept as a list of pairs.
                self.i += 1;
                let pairs = self.seq(b'}', |p| {
                    let k = p.value();
                    p.eat(b':');
                    DebugValue::Tuple(String::new(), vec![k, p.value()])
                });
                DebugValue::List(pairs)
            }
            _ => {
                let name = self.word();
                match self.peek() {
                    Some(b'{') => {
                        self.i += 1;
                        let fields = self.seq(b'}', |p| {
                            let k = p.word();
                            p.eat(b':');
                            (k, p.value())
                        });
                        DebugValue::Struct(fields)
                    }
                    Some(b'(') => {
                        self.i += 1;
                        DebugValue::Tuple(name, self.seq(b')', Self::value))
                    }
                    _ => DebugValue::Atom,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use actix_web::{HttpResponse, web};

    use super::{route_patterns, served_routes_of};

    #[tokio::test]
    async fn the_probe_finds_what_is_served_and_nothing_else() {
        let served = served_routes_of(|cfg| {
            crate::rest::routes::configure(cfg);
            cfg.route("/extra/{x}", web::put().to(|| async { HttpResponse::Ok().finish() }));
        })
        .await;
        let has = |m: &str, p: &str| served.contains(&(m.to_owned(), p.to_owned()));
        assert!(has("put", "/extra/{x}"), "a route outside the document: {served:?}");
        assert!(has("get", "/api/v1/videos/{id}/assets/{kind}/{n}"));
        assert!(has("head", "/v/{public_id}") && has("get", "/v/{public_id}"));
        assert!(has("patch", "/api/v1/account") && has("post", "/api/v1/auth/login"));
        assert!(!has("put", "/api/v1/account"), "a 405 is not a route");
        assert!(!has("post", "/healthz"), "a single-method path answers no other method");
    }

    #[test]
    fn patterns_from_a_resource_map() {
        let text = concat!(
            r#"ResourceMap { pattern: ResourceDef { id: 0, name: None, patterns: Single(""), is_prefix: true, "#,
            r#"pat_type: Static(""), segments: [] }, named: {}, parent: RefCell { value: (Weak) }, nodes: "#,
            r#"Some([ResourceMap { pattern: ResourceDef { id: 0, name: None, patterns: Single("/api/v1"), "#,
            r#"is_prefix: true, pat_type: Static("/api/v1"), segments: [Const("/api/v1")] }, named: {"x": "#,
            r#"ResourceMap { pattern: ResourceDef { id: 0, name: Some("x"), patterns: Single("/zzz"), "#,
            r#"is_prefix: false, pat_type: Static("/zzz"), segments: [] }, named: {}, parent: RefCell { value: "#,
            r#"(Weak) }, nodes: None }}, parent: RefCell { value: (Weak) }, nodes: Some([ResourceMap { "#,
            r#"pattern: ResourceDef { id: 0, name: None, patterns: Single("/videos/{id}"), is_prefix: false, "#,
            r#"pat_type: Dynamic(Regex("^/videos/(?P<id>[^/]+)$"), ["id"]), segments: [Const("/videos/"), "#,
            r#"Var("id")] }, named: {}, parent: RefCell { value: (Weak) }, nodes: None }]) }, ResourceMap { "#,
            r#"pattern: ResourceDef { id: 1, name: None, patterns: List(["/a", "/b"]), is_prefix: false, "#,
            r#"pat_type: Static("/a"), segments: [] }, named: {}, parent: RefCell { value: (Weak) }, nodes: "#,
            r#"None }]) }"#,
        );
        assert_eq!(route_patterns(text), ["/api/v1/videos/{id}", "/a", "/b"]);
    }
}
