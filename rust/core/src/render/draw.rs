//! The three panels of a monitor frame, drawn with plotters into an RGB buffer.

use std::ops::Range;
use std::sync::OnceLock;

use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::register_font;

use super::{render_error, DataView, DiagramView, LossView, MonitorFrame};
use crate::error::{Error, Result};

const FONT_FAMILY: &str = "sans-serif";
static FONT_BYTES: &[u8] = include_bytes!("fonts/DejaVuSans.ttf");

// Okabe–Ito colours, readable with every common colour-vision deficiency.
const BLUE_OI: RGBColor = RGBColor(0x00, 0x72, 0xB2);
const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
const PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
const DESCENT_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
const GREY: RGBColor = RGBColor(0x99, 0x99, 0x99);
const DIM_COLOURS: [RGBColor; 5] = [BLUE_OI, VERMILLION, SKY_BLUE, ORANGE, PURPLE];

// Samples of the viridis colour map at 0, 1/4, 1/2, 3/4 and 1, linearly interpolated between.
const VIRIDIS: [(f64, f64, f64); 5] = [
    (68.0, 1.0, 84.0),
    (59.0, 82.0, 139.0),
    (33.0, 145.0, 140.0),
    (94.0, 201.0, 98.0),
    (253.0, 231.0, 37.0),
];

// The longest arrow of a panel is drawn this long (fraction of the panel's smaller side), like
// matplotlib's quiver autoscaling: directions and relative sizes are what the monitor shows.
const ARROW_FRACTION: f64 = 0.12;
// Fields larger than this per side are drawn from a strided sample.
const MAX_FIELD_SIDE: usize = 256;

type Area<'b> = DrawingArea<BitMapBackend<'b>, Shift>;
type Chart2d<'a, 'b> = ChartContext<'a, BitMapBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Font sizes and margins scaled to the frame height.
#[derive(Clone, Copy)]
struct Sizes {
    font: u32,
    caption: u32,
    margin: u32,
    label_area: u32,
}

impl Sizes {
    fn for_height(height: u32) -> Self {
        let font = (height / 26).clamp(9, 18);
        Sizes {
            font,
            caption: font + 3,
            margin: font / 2 + 2,
            label_area: font * 2 + 6,
        }
    }
}

fn ensure_font() -> Result<()> {
    static REGISTERED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            register_font(FONT_FAMILY, FontStyle::Normal, FONT_BYTES)
                .map_err(|_| "the bundled DejaVu Sans font could not be parsed".to_string())
        })
        .clone()
        .map_err(|reason| Error::Render { reason })
}

pub(super) fn frame(f: &MonitorFrame<'_>) -> Result<Vec<u8>> {
    ensure_font()?;
    let mut buf = vec![255u8; f.width as usize * f.height as usize * 3];
    {
        let sizes = Sizes::for_height(f.height);
        let root = BitMapBackend::with_buffer(&mut buf, (f.width, f.height)).into_drawing_area();
        root.fill(&WHITE).map_err(render_error)?;
        let body = root
            .titled(&f.title, (FONT_FAMILY, sizes.caption))
            .map_err(render_error)?;
        let panels = body.split_evenly((1, 3));
        data_panel(&panels[0], &f.data, sizes)?;
        diagram_panel(&panels[1], &f.diagrams, sizes)?;
        loss_panel(&panels[2], &f.loss, sizes)?;
        root.present().map_err(render_error)?;
    }
    Ok(buf)
}

// ---------------------------------------------------------------------------------------------
// shared pieces
// ---------------------------------------------------------------------------------------------

/// The finite range of `values`, padded by 5% (a unit range around a single value).
fn padded_range(values: impl Iterator<Item = f64>) -> Range<f64> {
    let (lo, hi) = finite_bounds(values).unwrap_or((0.0, 1.0));
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, hi + 0.5) };
    let pad = 0.05 * (hi - lo);
    (lo - pad)..(hi + pad)
}

fn finite_bounds(values: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    values.filter(|v| v.is_finite()).fold(None, |acc, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    })
}

fn tick(v: f64) -> String {
    let a = v.abs();
    if v == 0.0 {
        "0".to_string()
    } else if !(1e-3..1e4).contains(&a) {
        format!("{v:.1e}")
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn chart2d<'a, 'b>(
    area: &'a Area<'b>,
    caption: &str,
    x: Range<f64>,
    y: Range<f64>,
    (x_desc, y_desc): (&str, &str),
    s: Sizes,
) -> Result<Chart2d<'a, 'b>> {
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT_FAMILY, s.caption))
        .margin(s.margin)
        .x_label_area_size(s.label_area)
        .y_label_area_size(s.label_area + s.font)
        .build_cartesian_2d(x, y)
        .map_err(render_error)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(5)
        .y_labels(5)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .label_style((FONT_FAMILY, s.font))
        .axis_desc_style((FONT_FAMILY, s.font))
        .x_desc(x_desc)
        .y_desc(y_desc)
        .draw()
        .map_err(render_error)?;
    Ok(chart)
}

fn centred_note(area: &Area<'_>, caption: &str, note: &str, s: Sizes) -> Result<()> {
    let (w, h) = area.dim_in_pixel();
    let style = TextStyle::from((FONT_FAMILY, s.caption).into_font()).color(&BLACK);
    area.draw(&Text::new(
        caption.to_string(),
        (s.margin as i32, s.margin as i32),
        style.clone(),
    ))
    .map_err(render_error)?;
    let grey = TextStyle::from((FONT_FAMILY, s.font).into_font()).color(&GREY);
    area.draw(&Text::new(
        note.to_string(),
        (w as i32 / 2 - 3 * s.font as i32, h as i32 / 2),
        grey,
    ))
    .map_err(render_error)
}

/// Draw arrows `(x, y, u, v)` in data units, scaled together so that the longest is
/// [`ARROW_FRACTION`] of the panel; rows with a non-finite entry are skipped.
fn draw_arrows(chart: &mut Chart2d<'_, '_>, arrows: &[[f64; 4]], colour: RGBColor) -> Result<()> {
    let (pw, ph) = chart.plotting_area().dim_in_pixel();
    let (xr, yr) = (chart.x_range(), chart.y_range());
    let sx = f64::from(pw) / (xr.end - xr.start);
    let sy = f64::from(ph) / (yr.end - yr.start);
    let drawable = |a: &&[f64; 4]| a.iter().all(|v| v.is_finite());
    let longest = arrows
        .iter()
        .filter(drawable)
        .map(|a| (a[2] * sx).hypot(a[3] * sy))
        .fold(0.0, f64::max);
    if longest <= 0.0 || !longest.is_finite() {
        return Ok(());
    }
    let k = ARROW_FRACTION * f64::from(pw.min(ph)) / longest;
    let style = ShapeStyle::from(&colour).stroke_width(1);
    let mut elements = Vec::with_capacity(2 * arrows.len());
    for a in arrows.iter().filter(drawable) {
        let (x, y) = (a[0], a[1]);
        let (tx, ty) = (x + k * a[2], y + k * a[3]);
        // Pixel direction of the arrow (pixel y grows downwards).
        let (dx, dy) = (k * a[2] * sx, -k * a[3] * sy);
        let len = dx.hypot(dy);
        if len < 0.5 {
            continue;
        }
        elements.push(PathElement::new(vec![(x, y), (tx, ty)], style));
        let head = (0.35 * len).min(6.0);
        let (ux, uy) = (dx / len, dy / len);
        let barb = |angle: f64| {
            let (sin, cos) = angle.sin_cos();
            let (bx, by) = (ux * cos - uy * sin, ux * sin + uy * cos);
            (tx - head * bx / sx, ty + head * by / sy)
        };
        elements.push(PathElement::new(vec![barb(0.45), (tx, ty), barb(-0.45)], style));
    }
    chart.draw_series(elements).map_err(render_error)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// data panel
// ---------------------------------------------------------------------------------------------

fn data_panel(area: &Area<'_>, data: &DataView<'_>, s: Sizes) -> Result<()> {
    match *data {
        DataView::Empty => centred_note(area, "data", "no data", s),
        DataView::Points {
            coords,
            n_points,
            n_dims: 2,
            arrows,
        } => points_2d(area, coords, n_points, arrows, s),
        DataView::Points {
            coords,
            n_points,
            arrows,
            ..
        } => points_3d(area, coords, n_points, arrows, s),
        DataView::Field {
            values,
            n_rows,
            n_cols,
            arrows,
        } => field(area, values, n_rows, n_cols, arrows, s),
        DataView::Signal { values, arrows } => signal(area, values, arrows, s),
    }
}

fn point_radius(n_points: usize) -> u32 {
    if n_points > 2000 {
        1
    } else {
        2
    }
}

fn points_2d(area: &Area<'_>, coords: &[f64], n: usize, arrows: Option<&[f64]>, s: Sizes) -> Result<()> {
    let x = padded_range(coords.iter().step_by(2).copied());
    let y = padded_range(coords.iter().skip(1).step_by(2).copied());
    let mut chart = chart2d(area, "data", x, y, ("x", "y"), s)?;
    let style = BLUE_OI.filled();
    let r = point_radius(n);
    chart
        .draw_series(
            coords
                .chunks_exact(2)
                .filter(|p| p[0].is_finite() && p[1].is_finite())
                .map(|p| Circle::new((p[0], p[1]), r, style)),
        )
        .map_err(render_error)?;
    if let Some(a) = arrows {
        let rows: Vec<[f64; 4]> = coords
            .chunks_exact(2)
            .zip(a.chunks_exact(2))
            .map(|(p, g)| [p[0], p[1], g[0], g[1]])
            .collect();
        draw_arrows(&mut chart, &rows, DESCENT_GREEN)?;
    }
    Ok(())
}

fn points_3d(area: &Area<'_>, coords: &[f64], n: usize, arrows: Option<&[f64]>, s: Sizes) -> Result<()> {
    let ranges: Vec<Range<f64>> = (0..3)
        .map(|k| padded_range(coords.iter().skip(k).step_by(3).copied()))
        .collect();
    let mut chart = ChartBuilder::on(area)
        .caption("data", (FONT_FAMILY, s.caption))
        .margin(s.margin)
        .build_cartesian_3d(ranges[0].clone(), ranges[1].clone(), ranges[2].clone())
        .map_err(render_error)?;
    chart.with_projection(|mut p| {
        p.pitch = 0.45;
        p.yaw = 0.6;
        p.scale = 0.75;
        p.into_matrix()
    });
    chart
        .configure_axes()
        .label_style((FONT_FAMILY, s.font))
        .x_formatter(&|v| tick(*v))
        .y_formatter(&|v| tick(*v))
        .z_formatter(&|v| tick(*v))
        .draw()
        .map_err(render_error)?;
    let r = point_radius(n);
    let finite = |p: &&[f64]| p.iter().all(|v| v.is_finite());
    chart
        .draw_series(
            coords
                .chunks_exact(3)
                .filter(finite)
                .map(|p| Circle::new((p[0], p[1], p[2]), r, BLUE_OI.filled())),
        )
        .map_err(render_error)?;
    if let Some(a) = arrows {
        let span = ranges.iter().map(|r| r.end - r.start).fold(0.0, f64::max);
        let longest = a
            .chunks_exact(3)
            .filter(finite)
            .map(|g| g[0].hypot(g[1]).hypot(g[2]))
            .fold(0.0, f64::max);
        if longest > 0.0 && longest.is_finite() {
            let k = ARROW_FRACTION * span / longest;
            let segments = coords
                .chunks_exact(3)
                .zip(a.chunks_exact(3))
                .filter(|(p, g)| finite(p) && finite(g))
                .map(|(p, g)| {
                    PathElement::new(
                        vec![(p[0], p[1], p[2]), (p[0] + k * g[0], p[1] + k * g[1], p[2] + k * g[2])],
                        ShapeStyle::from(&DESCENT_GREEN).stroke_width(1),
                    )
                });
            chart.draw_series(segments).map_err(render_error)?;
        }
    }
    Ok(())
}

fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let pos = t * (VIRIDIS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(VIRIDIS.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |u: f64, v: f64| (u + f * (v - u)).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

fn field(
    area: &Area<'_>,
    values: &[f64],
    n_rows: usize,
    n_cols: usize,
    arrows: Option<&[f64]>,
    s: Sizes,
) -> Result<()> {
    if n_rows == 0 || n_cols == 0 {
        return centred_note(area, "data", "empty field", s);
    }
    let stride = n_rows.max(n_cols).div_ceil(MAX_FIELD_SIDE);
    let (lo, hi) = finite_bounds(values.iter().copied()).unwrap_or((0.0, 1.0));
    let scale = if hi > lo { 1.0 / (hi - lo) } else { 0.0 };
    let mut chart = chart2d(
        area,
        "data",
        0.0..n_cols as f64,
        0.0..n_rows as f64,
        ("column", "row (from top)"),
        s,
    )?;
    let rows = (0..n_rows).step_by(stride);
    let cells = rows.flat_map(|r| (0..n_cols).step_by(stride).map(move |c| (r, c)));
    // Row 0 is drawn at the top, as an image is shown.
    let top = n_rows as f64;
    chart
        .draw_series(cells.map(|(r, c)| {
            let v = values[r * n_cols + c];
            let colour = if v.is_finite() {
                viridis((v - lo) * scale)
            } else {
                RGBColor(0xDD, 0xDD, 0xDD)
            };
            let (x0, y0) = (c as f64, top - r as f64);
            let (x1, y1) = ((c + stride).min(n_cols) as f64, top - (r + stride).min(n_rows) as f64);
            Rectangle::new([(x0, y0), (x1, y1)], colour.filled())
        }))
        .map_err(render_error)?;
    if let Some(a) = arrows {
        // Mark the entries a descent step moves most: red where the value rises, blue where it
        // falls.
        let biggest = a.iter().filter(|v| v.is_finite()).fold(0.0f64, |m, v| m.max(v.abs()));
        if biggest > 0.0 {
            // Marks on a coarse grid (at most about 40 per side) so the field stays visible.
            let mark_stride = stride.max(n_rows.max(n_cols).div_ceil(40));
            let marks = (0..n_rows)
                .step_by(mark_stride)
                .flat_map(|r| (0..n_cols).step_by(mark_stride).map(move |c| (r, c)));
            let marks = marks.filter_map(|(r, c)| {
                let g = a[r * n_cols + c];
                (g.is_finite() && g.abs() >= 0.1 * biggest).then(|| {
                    let colour = if g > 0.0 { RED } else { BLUE_OI };
                    let centre = (c as f64 + 0.5, top - r as f64 - 0.5);
                    Circle::new(centre, 2, colour.filled())
                })
            });
            chart.draw_series(marks).map_err(render_error)?;
        }
    }
    Ok(())
}

fn signal(area: &Area<'_>, values: &[f64], arrows: Option<&[f64]>, s: Sizes) -> Result<()> {
    let x = padded_range([0.0, values.len().saturating_sub(1) as f64].into_iter());
    let y = padded_range(values.iter().copied());
    let mut chart = chart2d(area, "data", x, y, ("index", "value"), s)?;
    let line: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .map(|(i, &v)| (i as f64, v))
        .collect();
    chart
        .draw_series(std::iter::once(PathElement::new(line, BLUE_OI.stroke_width(2))))
        .map_err(render_error)?;
    if let Some(a) = arrows {
        let rows: Vec<[f64; 4]> = values
            .iter()
            .zip(a)
            .enumerate()
            .map(|(i, (&v, &g))| [i as f64, v, 0.0, g])
            .collect();
        draw_arrows(&mut chart, &rows, DESCENT_GREEN)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// diagram panel
// ---------------------------------------------------------------------------------------------

fn diagram_panel(area: &Area<'_>, diagrams: &[DiagramView<'_>], s: Sizes) -> Result<()> {
    let all = || diagrams.iter().flat_map(|d| d.points.iter().copied());
    let Some((lo, hi)) = finite_bounds(all()) else {
        if diagrams.iter().all(|d| d.points.is_empty()) {
            return centred_note(area, "diagrams", "no diagram points", s);
        }
        // Only essential points: place them around [0, 1].
        return diagram_chart(area, diagrams, 0.0, 1.0, s);
    };
    diagram_chart(area, diagrams, lo, hi, s)
}

fn diagram_chart(area: &Area<'_>, diagrams: &[DiagramView<'_>], lo: f64, hi: f64, s: Sizes) -> Result<()> {
    let (lo, hi) = if hi > lo { (lo, hi) } else { (lo - 0.5, hi + 0.5) };
    let m = 0.05 * (hi - lo);
    let range = (lo - 2.0 * m)..(hi + 2.0 * m);
    let mut chart = chart2d(area, "diagrams", range.clone(), range.clone(), ("birth", "death"), s)?;
    let grey = ShapeStyle::from(&GREY).stroke_width(1);
    chart
        .draw_series(std::iter::once(PathElement::new(
            vec![(range.start, range.start), (range.end, range.end)],
            grey,
        )))
        .map_err(render_error)?;
    // Where an infinite coordinate is drawn: on a line one margin outside the finite points.
    let place = |v: f64, low: f64, high: f64| {
        if v == f64::INFINITY {
            high + m
        } else if v == f64::NEG_INFINITY {
            low - m
        } else {
            v
        }
    };
    let rows = || diagrams.iter().flat_map(|d| d.points.chunks_exact(2));
    let label_style = TextStyle::from((FONT_FAMILY, s.font).into_font()).color(&GREY);
    let mut lines = Vec::new();
    let mut labels = Vec::new();
    for (present, from, to, text, at) in [
        (
            rows().any(|p| p[1] == f64::INFINITY),
            (range.start, hi + m),
            (range.end, hi + m),
            "∞",
            (range.start, hi + 2.0 * m),
        ),
        (
            rows().any(|p| p[1] == f64::NEG_INFINITY),
            (range.start, lo - m),
            (range.end, lo - m),
            "−∞",
            (range.start, lo - m),
        ),
        (
            rows().any(|p| p[0] == f64::INFINITY),
            (hi + m, range.start),
            (hi + m, range.end),
            "∞",
            (hi + m, range.start + 2.0 * m),
        ),
        (
            rows().any(|p| p[0] == f64::NEG_INFINITY),
            (lo - m, range.start),
            (lo - m, range.end),
            "−∞",
            (lo - m, range.start + 2.0 * m),
        ),
    ] {
        if present {
            lines.push(PathElement::new(vec![from, to], grey));
            labels.push(Text::new(text.to_string(), at, label_style.clone()));
        }
    }
    chart.draw_series(lines).map_err(render_error)?;
    chart.draw_series(labels).map_err(render_error)?;

    let mut arrows = Vec::new();
    for dgm in diagrams {
        let colour = DIM_COLOURS[dgm.dim % DIM_COLOURS.len()];
        let placed: Vec<(f64, f64, bool)> = dgm
            .points
            .chunks_exact(2)
            .map(|p| {
                (
                    place(p[0], lo, hi),
                    place(p[1], lo, hi),
                    p[0].is_finite() && p[1].is_finite(),
                )
            })
            .collect();
        let ok = |&&(x, y, _): &&(f64, f64, bool)| x.is_finite() && y.is_finite();
        chart
            .draw_series(
                placed
                    .iter()
                    .filter(ok)
                    .filter(|p| p.2)
                    .map(|&(x, y, _)| Circle::new((x, y), 3, colour.filled())),
            )
            .map_err(render_error)?
            .label(format!("H{}", dgm.dim))
            .legend(move |(x, y)| Circle::new((x, y), 3, colour.filled()));
        chart
            .draw_series(
                placed
                    .iter()
                    .filter(ok)
                    .filter(|p| !p.2)
                    .map(|&(x, y, _)| TriangleMarker::new((x, y), 5, colour.filled())),
            )
            .map_err(render_error)?;
        if let Some(a) = dgm.arrows {
            arrows.extend(
                placed
                    .iter()
                    .zip(a.chunks_exact(2))
                    .filter(|(p, _)| ok(p))
                    .map(|(&(x, y, _), g)| [x, y, g[0], g[1]]),
            );
        }
    }
    draw_arrows(&mut chart, &arrows, DESCENT_GREEN)?;
    if !diagrams.is_empty() {
        chart
            .configure_series_labels()
            .label_font((FONT_FAMILY, s.font))
            .background_style(WHITE.mix(0.8))
            .border_style(GREY)
            .position(SeriesLabelPosition::LowerRight)
            .draw()
            .map_err(render_error)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// loss panel
// ---------------------------------------------------------------------------------------------

fn loss_panel(area: &Area<'_>, loss: &LossView<'_>, s: Sizes) -> Result<()> {
    let transform = |v: f64| if loss.log { v.log10() } else { v };
    let curve: Vec<(f64, f64)> = loss
        .steps
        .iter()
        .zip(loss.losses)
        .map(|(&x, &y)| (x, transform(y)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if curve.is_empty() {
        return centred_note(area, "loss", "no loss yet", s);
    }
    let x = padded_range(curve.iter().map(|p| p.0));
    let y = padded_range(curve.iter().map(|p| p.1));
    let y_desc = if loss.log { "log10 loss" } else { "loss" };
    let mut chart = chart2d(area, "loss", x, y, ("step", y_desc), s)?;
    let last = *curve.last().expect("the curve is not empty");
    chart
        .draw_series(std::iter::once(PathElement::new(curve, BLUE_OI.stroke_width(2))))
        .map_err(render_error)?;
    chart
        .draw_series(std::iter::once(Circle::new(last, 3, VERMILLION.filled())))
        .map_err(render_error)?;
    Ok(())
}
