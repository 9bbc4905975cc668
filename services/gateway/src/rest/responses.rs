//! Error answers many operations share, named once for their OpenAPI `responses(...)` lists:
//! `responses((status = 200, …), NeedsToken, JsonBody, (status = 422, …))`. An operation's own
//! wording for a status (a 404 that names what is missing) stays a tuple beside them.

use std::collections::BTreeMap;

use utoipa::{
    IntoResponses, PartialSchema,
    openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, header::HeaderBuilder, response::Response},
};

use crate::rest::openapi::PROBLEM;

/// A problem document answer.
fn problem(description: &str) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content(PROBLEM, ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build())
}

fn set<const N: usize>(answers: [(u16, ResponseBuilder); N]) -> BTreeMap<String, RefOr<Response>> {
    answers.into_iter().map(|(status, r)| (status.to_string(), RefOr::T(r.build()))).collect()
}

/// 401: the operation needs a valid access token.
pub struct NeedsToken;

impl IntoResponses for NeedsToken {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set([(401, problem("No valid access token"))])
    }
}

/// 400 and 415: the operation reads a JSON body.
pub struct JsonBody;

impl IntoResponses for JsonBody {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set([(400, problem("The body is not JSON")), (415, problem("The body is not `application/json`"))])
    }
}

/// 403 and 429: the operation asks for the account's current password (a step-up), and wrong
/// passwords are counted per account.
pub struct CurrentPassword;

impl IntoResponses for CurrentPassword {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        set([
            (403, problem("No current password (`password_required`) or a wrong one (`invalid_password`)")),
            (
                429,
                problem("Too many wrong passwords for this account").header(
                    "Retry-After",
                    HeaderBuilder::new().schema(Some(u64::schema())).description(Some("Seconds to wait")).build(),
                ),
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_set_answers_with_problem_documents() {
        for (name, set) in
            [("token", NeedsToken::responses()), ("json", JsonBody::responses()), ("pw", CurrentPassword::responses())]
        {
            assert!(!set.is_empty(), "{name}");
            for (status, r) in set {
                let RefOr::T(r) = r else { panic!("{name} {status}: a reference") };
                assert!(r.content.contains_key(PROBLEM), "{name} {status}: not a problem document");
                assert!(status.starts_with('4'), "{name}: {status}");
            }
        }
        let RefOr::T(limited) = &CurrentPassword::responses()["429"] else { unreachable!() };
        assert!(limited.headers.contains_key("Retry-After"));
    }
}
