//! The one font every chart and diagram uses, embedded in the binary (DejaVu
//! Sans from the `dejavu` crate), so neither the SVG text layout nor the PNG
//! rasteriser needs a system font library (no font-kit, no fontconfig).

use std::sync::Once;

use plotters::style::FontStyle;

/// The family name charts ask for; SVG readers fall back to their own sans.
pub const FAMILY: &str = "sans-serif";

/// Registers the embedded font with plotters, once per process.
pub fn ensure_registered() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bytes are a valid TrueType font shipped by the crate; a failure
        // here is a build defect, not something a user can cause.
        plotters::style::register_font(FAMILY, FontStyle::Normal, dejavu::sans::regular())
            .unwrap_or_else(|_| panic!("embedded DejaVu Sans is a valid font"));
        plotters::style::register_font(FAMILY, FontStyle::Bold, dejavu::sans::bold())
            .unwrap_or_else(|_| panic!("embedded DejaVu Sans Bold is a valid font"));
    });
}
