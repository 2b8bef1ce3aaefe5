//! Learning curves and line charts drawn with `plotters` to PNG or SVG files.
//! Needs the `plots` cargo feature (on by default).
//!
//! Text needs a TrueType font, read at run time: the file named by the `DERIN_FONT`
//! environment variable, else DejaVu Sans where Debian's `fonts-dejavu-core` (or another
//! usual layout) puts it. Without one, drawing is an `Err` naming what to install.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{Error, Result};
use crate::fit::History;

/// The family name the font is registered under.
const FAMILY: &str = "sans-serif";

/// Where DejaVu Sans usually is (Debian/Ubuntu, Arch, Fedora, macOS with Homebrew).
const FONT_PATHS: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",
    "/opt/homebrew/share/fonts/DejaVuSans.ttf",
];

/// The colours of successive series.
const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(23, 190, 207),
];

/// Draws `series` (each a name and `(x, y)` points, joined by lines) on one chart with
/// a title and a legend, to `path`: PNG or SVG by its extension (`.png`, `.svg`). The file
/// is written to a temporary file beside it, then renamed. Non-finite points are left out.
/// Needs the `plots` cargo feature.
///
/// # Errors
/// [`Error::Data`] for another extension; [`Error::Io`] when no font is found or the
/// file cannot be written.
///
/// ```
/// use derin_nn::line_chart;
/// let dir = std::env::temp_dir().join(format!("derin-line-chart-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let relu: Vec<(f32, f32)> = (-20..=20).map(|i| i as f32 / 10.0).map(|x| (x, x.max(0.0))).collect();
/// line_chart(dir.join("relu.svg"), "ReLU", &[("relu", relu)]).unwrap();
/// assert!(std::fs::read_to_string(dir.join("relu.svg")).unwrap().contains("relu"));
/// assert!(line_chart(dir.join("relu.gif"), "ReLU", &[]).is_err());
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub fn line_chart(path: impl AsRef<Path>, title: &str, series: &[(&str, Vec<(f32, f32)>)]) -> Result<()> {
    let panel = Panel { title, x_label: "x", y_label: "y", series, whole_x: false };
    render(path.as_ref(), (800, 500), &[panel])
}

/// Draws the learning curves of `history`: the loss per epoch, training and validation,
/// and beside it the first accuracy metric, if one was compiled. PNG or SVG by the
/// extension, as [`line_chart`].
/// Needs the `plots` cargo feature.
///
/// # Errors
/// As [`line_chart`].
///
/// ```
/// use derin_nn::{EpochLog, History, Logs, plot_history};
/// let s = |l: f32| Logs::new().with("loss", l).with("accuracy", 1.0 - l / 2.0);
/// let epochs = (1..=5).map(|e| EpochLog { train: s(1.0 / e as f32), val: Some(s(1.2 / e as f32)) }).collect();
/// let path = std::env::temp_dir().join(format!("derin-history-doc-{}.svg", std::process::id()));
/// plot_history(&History { epochs, stopped: None }, &path).unwrap();
/// let svg = std::fs::read_to_string(&path).unwrap();
/// assert!(svg.contains("val_loss") && svg.contains("val_accuracy"));
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn plot_history(history: &History, path: impl AsRef<Path>) -> Result<()> {
    let epoch = |i: usize| (i + 1) as f32;
    let series = |key: &str| -> Vec<(f32, f32)> {
        history.epochs.iter().enumerate().filter_map(|(i, e)| e.get(key).map(|v| (epoch(i), v))).collect()
    };
    let loss = vec![("loss", series("loss")), ("val_loss", series("val_loss"))];
    let accuracy = history.epochs.first().and_then(|e| e.train.names().into_iter().find(|k| k.ends_with("accuracy")));
    let names = accuracy.map(|name| (name.to_string(), format!("val_{name}")));
    let mut acc_series = Vec::new();
    if let Some((name, val_name)) = &names {
        acc_series = vec![(name.as_str(), series(name)), (val_name.as_str(), series(val_name))];
    }
    let mut panels = vec![Panel { title: "loss", x_label: "epoch", y_label: "loss", series: &loss, whole_x: true }];
    if let Some((name, _)) = &names {
        panels.push(Panel { title: name, x_label: "epoch", y_label: name, series: &acc_series, whole_x: true });
    }
    let width = 600 * panels.len() as u32;
    render(path.as_ref(), (width, 450), &panels)
}

/// One chart.
struct Panel<'a> {
    title: &'a str,
    x_label: &'a str,
    y_label: &'a str,
    series: &'a [(&'a str, Vec<(f32, f32)>)],
    /// Label the x axis with whole numbers only (epochs).
    whole_x: bool,
}

/// Checks the extension, loads the font, draws into a temporary file and renames it.
fn render(path: &Path, size: (u32, u32), panels: &[Panel]) -> Result<()> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let svg = match ext.as_deref() {
        Some("svg") => true,
        Some("png") => false,
        _ => {
            let reason = format!("{} needs the extension .png or .svg", path.display());
            return Err(Error::Data { operation: "plot", reason });
        }
    };
    load_font()?;
    let io_err = |source: io::Error| Error::Io { operation: "plot: writing", path: path.display().to_string(), source };
    let tmp = temporary_beside(path);
    let drawn = if svg {
        let mut text = String::new();
        draw(SVGBackend::with_string(&mut text, size).into_drawing_area(), panels)
            .and_then(|()| std::fs::write(&tmp, &text).map_err(|e| e.to_string()))
    } else {
        draw(BitMapBackend::new(&tmp, size).into_drawing_area(), panels)
    };
    if let Err(why) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(io_err(io::Error::other(why)));
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io_err(e)
    })
}

/// `dir/.name.<pid>.tmp.ext`: same folder (so the rename is atomic), same extension (the
/// bitmap encoder picks the format by it).
fn temporary_beside(path: &Path) -> PathBuf {
    let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = path.extension().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    path.with_file_name(format!(".{name}.{}.tmp.{ext}", std::process::id()))
}

/// Draws the panels side by side.
fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, panels: &[Panel]) -> std::result::Result<(), String> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    for (area, panel) in root.split_evenly((1, panels.len().max(1))).iter().zip(panels) {
        draw_panel(area, panel).map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}

/// The x and y ranges of the finite points, padded; `0..1` when there are none.
fn ranges(series: &[(&str, Vec<(f32, f32)>)]) -> (std::ops::Range<f32>, std::ops::Range<f32>) {
    let points = series.iter().flat_map(|(_, p)| p).filter(|(x, y)| x.is_finite() && y.is_finite());
    let (mut x0, mut x1, mut y0, mut y1) = (f32::INFINITY, f32::NEG_INFINITY, f32::INFINITY, f32::NEG_INFINITY);
    for &(x, y) in points {
        (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
    }
    let pad = |lo: f32, hi: f32, frac: f32| {
        if lo > hi {
            0.0..1.0
        } else if lo == hi {
            lo - 0.5..hi + 0.5
        } else {
            let m = (hi - lo) * frac;
            lo - m..hi + m
        }
    };
    (pad(x0, x1, 0.0), pad(y0, y1, 0.05))
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    panel: &Panel,
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (xs, ys) = ranges(panel.series);
    let mut chart = ChartBuilder::on(area)
        .caption(panel.title, (FAMILY, 24))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(56)
        .build_cartesian_2d(xs, ys)?;
    let whole = |v: &f32| if v.fract() == 0.0 { format!("{v:.0}") } else { String::new() };
    let mut mesh = chart.configure_mesh();
    if panel.whole_x {
        mesh.x_label_formatter(&whole);
    }
    mesh.x_desc(panel.x_label).y_desc(panel.y_label).label_style((FAMILY, 14)).axis_desc_style((FAMILY, 16)).draw()?;
    for (i, (name, points)) in panel.series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let finite = points.iter().copied().filter(|(x, y)| x.is_finite() && y.is_finite());
        chart
            .draw_series(LineSeries::new(finite, color.stroke_width(2)))?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
    }
    if !panel.series.is_empty() {
        chart
            .configure_series_labels()
            .label_font((FAMILY, 14))
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()?;
    }
    Ok(())
}

/// The first file among `candidates`, or the path shown and why there is none.
fn font_file(candidates: &[PathBuf]) -> std::result::Result<&PathBuf, (String, String)> {
    candidates.iter().find(|p| p.is_file()).ok_or_else(|| {
        let why = "no TrueType font found: install DejaVu Sans (Debian: apt-get install fonts-dejavu-core) \
                   or set DERIN_FONT to a .ttf file";
        (FONT_PATHS[0].to_string(), why.to_string())
    })
}

/// Registers the font once; the outcome is kept.
fn load_font() -> Result<()> {
    static LOADED: OnceLock<std::result::Result<(), (String, String)>> = OnceLock::new();
    let outcome = LOADED.get_or_init(|| {
        let from_env = std::env::var_os("DERIN_FONT").map(PathBuf::from);
        let candidates: Vec<PathBuf> = from_env.into_iter().chain(FONT_PATHS.iter().map(PathBuf::from)).collect();
        let found = font_file(&candidates)?;
        let shown = found.display().to_string();
        let bytes = std::fs::read(found).map_err(|e| (shown.clone(), e.to_string()))?;
        // plotters keeps fonts for the whole run; the file is read once.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        plotters::style::register_font(FAMILY, FontStyle::Normal, bytes)
            .map_err(|_| (shown, "not a valid TrueType/OpenType font".to_string()))
    });
    outcome.clone().map_err(|(path, why)| Error::Io {
        operation: "plot: loading a font",
        path,
        source: io::Error::other(why),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fit::EpochLog;
    use crate::logs::Logs;

    #[test]
    fn a_missing_font_says_what_to_install() {
        let (path, why) = font_file(&[PathBuf::from("/nonexistent/font.ttf")]).unwrap_err();
        assert_eq!(path, FONT_PATHS[0]);
        assert!(why.contains("fonts-dejavu-core") && why.contains("DERIN_FONT"), "{why}");
    }

    #[test]
    fn writes_png_and_svg_learning_curves() {
        let dir = tempfile::tempdir().unwrap();
        let s = |l: f32| Logs::new().with("loss", l).with("accuracy", 1.0 - l / 2.0);
        let epochs = (1..=8).map(|e| EpochLog { train: s(1.0 / e as f32), val: Some(s(1.5 / e as f32)) }).collect();
        let history = History { epochs, stopped: None };
        let png = dir.path().join("curves.png");
        plot_history(&history, &png).unwrap();
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
        assert!(bytes.len() > 5_000, "{} bytes", bytes.len());
        let svg = dir.path().join("curves.SVG");
        plot_history(&history, &svg).unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        assert!(text.starts_with("<svg") && text.len() > 5_000);
        for name in ["loss", "val_loss", "accuracy", "val_accuracy", "epoch"] {
            // plotters writes each text element's content on its own line.
            assert!(text.contains(&format!(">\n{name}\n</text>")), "{name} missing");
        }
        // Only the two files: the temporary ones were renamed.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
        // A folder that does not exist: an Err naming the file.
        let err = line_chart(dir.path().join("no").join("x.png"), "x", &[("a", vec![(0.0, 1.0)])]).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
    }
}
