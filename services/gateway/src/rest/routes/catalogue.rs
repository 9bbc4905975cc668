//! What a job may ask for beyond the basics: the narrators' voices and the bundled music
//! tracks (`options.voice`, `options.music`). Static, so the lists need no account; a track's
//! sample (a few hundred KB) is served to signed-in users only.

use actix_web::{HttpResponse, http::header, web};
use glimvid_domain::{DomainError, ErrorCode, Gender, MusicTrack, Style, Voice};
use glimvid_media::music;
use serde::Serialize;
use utoipa::ToSchema;

use crate::rest::responses::NeedsToken;
use crate::rest::{
    error::{ApiError, ApiResult, Problem},
    extract::AuthUser,
    openapi::op,
};

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(op(__path_voices, voices))
        .service(op(__path_voice_sample, voice_sample))
        .service(op(__path_music_tracks, music_tracks))
        .service(op(__path_music_sample, music_sample));
}

/// A narrator's voice.
#[derive(Serialize, ToSchema)]
pub struct VoiceJson {
    /// What `options.voice` takes.
    id: &'static str,
    /// The language it speaks (a job's language must match).
    language: &'static str,
    #[schema(value_type = String, example = "female")]
    gender: Gender,
    name: &'static str,
    /// Whether it is the language's default (what `auto` picks).
    default: bool,
    /// A few seconds of the voice (AAC-LC; needs an access token).
    sample_url: String,
}

/// The voices on offer.
#[derive(Serialize, ToSchema)]
pub struct VoiceList {
    voices: Vec<VoiceJson>,
}

/// Lists the narrators' voices, by language.
#[utoipa::path(
    get,
    path = "/voices",
    tag = "videos",
    operation_id = "listVoices",
    responses((status = 200, description = "Every voice `options.voice` accepts (also `none` and `auto`)", body = VoiceList)),
)]
pub async fn voices() -> HttpResponse {
    let voices = Voice::ALL
        .iter()
        .map(|&v| VoiceJson {
            id: v.id(),
            language: v.language().as_str(),
            gender: v.gender(),
            name: v.name(),
            default: Voice::default_for(v.language()) == Some(v),
            sample_url: format!("/api/v1/voices/{}/sample", v.id()),
        })
        .collect();
    cached(HttpResponse::Ok()).json(VoiceList { voices })
}

/// A voice saying a line, to hear it before choosing it.
#[utoipa::path(
    get,
    path = "/voices/{id}/sample",
    tag = "videos",
    operation_id = "getVoiceSample",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A voice id from `GET /api/v1/voices`")),
    responses(
        (status = 200, description = "The sample (ADTS AAC-LC, 48 kHz)", content(("audio/aac"))),
        NeedsToken,
        (status = 404, description = "No such voice", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn voice_sample(_user: AuthUser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let voice = Voice::by_id(&id)
        .ok_or_else(|| ApiError(DomainError::new(ErrorCode::NotFound, "no such voice (see GET /api/v1/voices)")))?;
    Ok(cached(HttpResponse::Ok()).content_type("audio/aac").body(glimvid_media::voice_samples::sample(voice)))
}

/// A background music track.
#[derive(Serialize, ToSchema)]
pub struct TrackJson {
    /// What `options.music` takes.
    id: &'static str,
    title: &'static str,
    mood: &'static str,
    bpm: u16,
    /// The styles that play it when `options.music` is `auto`.
    default_for_styles: Vec<&'static str>,
    /// SPDX licence id.
    licence: &'static str,
    /// The credit shown beside the track.
    credit: &'static str,
    /// A preview (Ogg Vorbis; needs an access token).
    sample_url: String,
}

/// The tracks on offer.
#[derive(Serialize, ToSchema)]
pub struct TrackList {
    tracks: Vec<TrackJson>,
}

/// Lists the bundled music tracks.
#[utoipa::path(
    get,
    path = "/music",
    tag = "videos",
    operation_id = "listMusic",
    responses((status = 200, description = "Every track `options.music` accepts (also `none` and `auto`)", body = TrackList)),
)]
pub async fn music_tracks() -> HttpResponse {
    let tracks = MusicTrack::ALL
        .iter()
        .map(|&t| {
            let file = music::track(t);
            TrackJson {
                id: t.id(),
                title: file.title,
                mood: file.mood,
                bpm: file.bpm,
                default_for_styles: [Style::Clean, Style::Bold, Style::Elegant]
                    .into_iter()
                    .filter(|&s| MusicTrack::default_for(s) == t)
                    .map(Style::as_str)
                    .collect(),
                licence: file.licence,
                credit: file.credit,
                sample_url: format!("/api/v1/music/{}/sample", t.id()),
            }
        })
        .collect();
    cached(HttpResponse::Ok()).json(TrackList { tracks })
}

/// A track's audio, to preview it.
#[utoipa::path(
    get,
    path = "/music/{id}/sample",
    tag = "videos",
    operation_id = "getMusicSample",
    security(("bearer" = [])),
    params(("id" = String, Path, description = "A track id from `GET /api/v1/music`")),
    responses(
        (status = 200, description = "The track", content(("audio/ogg"))),
        NeedsToken,
        (status = 404, description = "No such track", body = Problem, content_type = "application/problem+json"),
    ),
)]
pub async fn music_sample(_user: AuthUser, id: web::Path<String>) -> ApiResult<HttpResponse> {
    let track = music::by_id(&id)
        .ok_or_else(|| ApiError(DomainError::new(ErrorCode::NotFound, "no such track (see GET /api/v1/music)")))?;
    Ok(cached(HttpResponse::Ok()).content_type("audio/ogg").body(track.ogg()))
}

/// The catalogues change only with a release: clients may keep them for a day.
fn cached(mut b: actix_web::HttpResponseBuilder) -> actix_web::HttpResponseBuilder {
    b.insert_header((header::CACHE_CONTROL, "public, max-age=86400"));
    b
}
