//! The bundled music library: a few background tracks, each with its licence, chosen by the
//! job's style or named by id, and decoded to 48 kHz stereo PCM for the mix.
//!
//! The tracks are Ogg Vorbis files in `assets/music` (built into the binary, as the fonts are),
//! imported by `scripts/music-import` from a pinned, checksummed package; `assets/music/LICENSE.md`
//! says where each comes from and under which licence.

use std::io::Cursor;

use glimvid_domain::{MusicTrack, options::Style};
use lewton::inside_ogg::OggStreamReader;

/// One track of the library.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Track {
    /// Which track of the catalogue (its id is what clients name in `options.music`).
    pub track: MusicTrack,
    pub title: &'static str,
    /// A word for the feel of it: calm, happy, energetic, tender, nostalgic.
    pub mood: &'static str,
    /// Beats per minute.
    pub bpm: u16,
    /// SPDX id of the track's licence.
    pub licence: &'static str,
    /// What the app shows beside the track (an attribution where the licence asks for one).
    pub credit: &'static str,
    ogg: &'static [u8],
}

const CREDIT: &str = "immich-memories-music 0.1.0 (MIT), generated with ACE-Step 1.5";

macro_rules! track {
    ($track:ident, $title:literal, $mood:literal, $bpm:literal, $file:literal) => {
        Track {
            track: MusicTrack::$track,
            title: $title,
            mood: $mood,
            bpm: $bpm,
            licence: "MIT",
            credit: CREDIT,
            ogg: include_bytes!(concat!("../../../assets/music/", $file)),
        }
    };
}

/// Every bundled track, in the catalogue's order (a test checks each catalogue entry has one).
pub static TRACKS: &[Track] = &[
    track!(CalmAcoustic, "Morning Light", "calm", 68, "calm_acoustic_1.ogg"),
    track!(HappyAcoustic, "Open Window", "happy", 110, "happy_acoustic_1.ogg"),
    track!(EnergeticElectronic, "Full Throttle", "energetic", 150, "energetic_electronic_2.ogg"),
    track!(HappyElectronic, "Bright Side", "happy", 123, "happy_electronic_1.ogg"),
    track!(TenderAcoustic, "Quiet Hands", "tender", 90, "tender_acoustic_1.ogg"),
    track!(NostalgicAcoustic, "Old Letters", "nostalgic", 78, "nostalgic_acoustic_1.ogg"),
];

/// The file and facts of a catalogue track.
pub fn track(t: MusicTrack) -> &'static Track {
    // The catalogue and TRACKS are in the same order; a test keeps them so.
    &TRACKS[MusicTrack::ALL.iter().position(|&x| x == t).unwrap_or(0)]
}

/// The track with this id.
pub fn by_id(id: &str) -> Option<&'static Track> {
    TRACKS.iter().find(|t| t.track.id() == id)
}

/// The default track of a style.
pub fn for_style(style: Style) -> &'static Track {
    track(MusicTrack::default_for(style))
}

/// Decoded audio: interleaved f32 samples in [-1, 1].
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    pub sample_rate: u32,
    pub channels: u16,
    pub samples: Vec<f32>,
}

impl Decoded {
    /// Length in seconds.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / (self.sample_rate as f64 * self.channels.max(1) as f64)
    }
}

/// Why a track could not be decoded (a bundled file is broken: a build problem, not the user's).
#[derive(Debug, thiserror::Error)]
#[error("music track `{id}` could not be decoded: {reason}")]
pub struct MusicDecodeError {
    pub id: &'static str,
    pub reason: String,
}

impl Track {
    /// The encoded file (Ogg Vorbis), e.g. to preview it.
    pub fn ogg(&self) -> &'static [u8] {
        self.ogg
    }

    /// The track as PCM at its own rate (48 kHz for every bundled track).
    pub fn decode(&self) -> Result<Decoded, MusicDecodeError> {
        let fail = |e: &dyn std::fmt::Display| MusicDecodeError { id: self.track.id(), reason: e.to_string() };
        let mut reader = OggStreamReader::new(Cursor::new(self.ogg)).map_err(|e| fail(&e))?;
        let sample_rate = reader.ident_hdr.audio_sample_rate;
        let channels = u16::from(reader.ident_hdr.audio_channels);
        let mut samples = Vec::with_capacity(sample_rate as usize * usize::from(channels) * 40);
        while let Some(packet) = reader.read_dec_packet_itl().map_err(|e| fail(&e))? {
            samples.extend(packet.iter().map(|&s| f32::from(s) / 32768.0));
        }
        if samples.is_empty() {
            return Err(fail(&"no audio"));
        }
        Ok(Decoded { sample_rate, channels, samples })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_catalogue_track_has_its_file_in_order() {
        let ours: Vec<_> = TRACKS.iter().map(|t| t.track).collect();
        assert_eq!(ours, MusicTrack::ALL);
        for &t in MusicTrack::ALL {
            assert_eq!(track(t).track, t);
        }
        assert_eq!(for_style(Style::Bold).track, MusicTrack::EnergeticElectronic);
        assert_eq!(by_id("energetic-electronic").map(|t| t.bpm), Some(150));
        assert!(by_id("nope").is_none());
    }

    #[test]
    fn every_track_decodes_to_half_a_minute_of_stereo_music_at_48_khz() {
        for t in TRACKS {
            let d = t.decode().unwrap();
            let id = t.track.id();
            assert_eq!((d.sample_rate, d.channels), (48_000, 2), "{id}");
            assert!((25.0..40.0).contains(&d.seconds()), "{id}: {} s", d.seconds());
            let rms = (d.samples.iter().map(|s| s * s).sum::<f32>() / d.samples.len() as f32).sqrt();
            assert!(rms > 0.02, "{id} is audible (rms {rms})");
            assert!(d.samples.iter().all(|s| s.abs() <= 1.0), "{id}");
        }
    }
}
