//! PNG frames of the live optimisation monitor: the data, the diagrams with descent arrows and
//! the loss curve, side by side.
//!
//! A notebook redraws this picture at every monitored step, so it has to be cheap: frames are
//! drawn with `plotters` into an RGB buffer and encoded with the `png` crate's fast compression,
//! about 10 ms for 10^4 points and 10^3 arrows where matplotlib takes about ten times as long.
//! Text uses DejaVu Sans, bundled in the crate (see `fonts/LICENSE-DejaVu.txt`) and registered
//! with plotters' `ab_glyph` backend, so no system font library is needed.
//!
//! The caller decides *what* to show (which arrows, already negated to descent directions and
//! capped); this module decides *where*: ranges, infinity lines, arrow scaling and colours.
//!
//! # Example
//! ```
//! use oineus_diff_core::render::{render_png, DataView, DiagramView, LossView, MonitorFrame};
//!
//! let points = [0.0, 0.0, 1.0, 0.5, 0.3, 0.9];
//! let dgm = [0.0, 1.0, 0.2, f64::INFINITY];
//! let frame = MonitorFrame {
//!     width: 600,
//!     height: 200,
//!     title: "step 3".to_string(),
//!     data: DataView::new("points", &points, &[3, 2], None).unwrap(),
//!     diagrams: vec![DiagramView { dim: 0, points: &dgm, arrows: None }],
//!     loss: LossView { steps: &[0.0, 1.0, 2.0, 3.0], losses: &[3.0, 2.0, 1.5, 1.2], log: false },
//! };
//! let png = render_png(&frame).unwrap();
//! assert_eq!(&png[1..4], b"PNG");
//! ```

mod draw;

use crate::error::{Error, Result};

/// The largest frame side in pixels; a guard against absurd sizes, not a style choice.
pub const MAX_SIDE: u32 = 8192;

/// What the data panel shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum DataView<'a> {
    /// No data: the panel says so.
    Empty,
    /// A point cloud, row-major `(n_points, n_dims)` with `n_dims` 2 or 3; optional arrows of
    /// the same shape (descent directions; NaN rows are not drawn).
    Points {
        /// Flat coordinates.
        coords: &'a [f64],
        /// Number of points.
        n_points: usize,
        /// 2 or 3.
        n_dims: usize,
        /// Flat arrow components, or `None`.
        arrows: Option<&'a [f64]>,
    },
    /// A 2-D field (an image), row-major `(n_rows, n_cols)`, row 0 at the top; the optional
    /// overlay has the same shape and marks where a descent step raises (red) or lowers (blue)
    /// the value.
    Field {
        /// Flat values.
        values: &'a [f64],
        /// Number of rows.
        n_rows: usize,
        /// Number of columns.
        n_cols: usize,
        /// Flat descent direction per entry, or `None`.
        arrows: Option<&'a [f64]>,
    },
    /// A 1-D signal; optional vertical descent arrows, one per sample.
    Signal {
        /// The samples.
        values: &'a [f64],
        /// Descent direction per sample, or `None`.
        arrows: Option<&'a [f64]>,
    },
}

impl<'a> DataView<'a> {
    /// Build a view from a kind name (`"none"`, `"points"`, `"field"`, `"signal"`), flat values,
    /// their shape and optional flat arrows of the same shape.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] for an unknown kind, [`Error::ShapeMismatch`] when the shape
    /// does not fit the kind or the values, or the arrows differ in length.
    pub fn new(kind: &str, values: &'a [f64], shape: &[usize], arrows: Option<&'a [f64]>) -> Result<Self> {
        let product: usize = shape.iter().product();
        if kind != "none" && product != values.len() {
            return Err(Error::ShapeMismatch {
                name: "data",
                expected: format!("{} entries for shape {shape:?}", product),
                found: format!("{} entries", values.len()),
            });
        }
        if let Some(a) = arrows {
            if a.len() != values.len() {
                return Err(Error::ShapeMismatch {
                    name: "data_grad",
                    expected: format!("{} entries (the shape of data)", values.len()),
                    found: format!("{} entries", a.len()),
                });
            }
        }
        match (kind, shape) {
            ("none", _) => Ok(DataView::Empty),
            ("points", &[n_points, n_dims]) if n_dims == 2 || n_dims == 3 => Ok(DataView::Points {
                coords: values,
                n_points,
                n_dims,
                arrows,
            }),
            ("points", _) => Err(Error::ShapeMismatch {
                name: "data",
                expected: "(n_points, 2) or (n_points, 3)".to_string(),
                found: format!("{shape:?}"),
            }),
            ("field", &[n_rows, n_cols]) => Ok(DataView::Field {
                values,
                n_rows,
                n_cols,
                arrows,
            }),
            ("field", _) => Err(Error::ShapeMismatch {
                name: "data",
                expected: "(n_rows, n_cols)".to_string(),
                found: format!("{shape:?}"),
            }),
            ("signal", &[_]) => Ok(DataView::Signal { values, arrows }),
            ("signal", _) => Err(Error::ShapeMismatch {
                name: "data",
                expected: "(n,)".to_string(),
                found: format!("{shape:?}"),
            }),
            _ => Err(Error::InvalidParameter {
                name: "kind",
                reason: format!("expected one of none, points, field, signal; got {kind:?}"),
            }),
        }
    }
}

/// One diagram of the diagram panel.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DiagramView<'a> {
    /// The homology dimension (chooses the colour and the legend label).
    pub dim: usize,
    /// Flat `(n, 2)` (birth, death) rows; ±inf deaths (births) go on lines above/below (right/
    /// left of) the finite points; rows with NaN are skipped.
    pub points: &'a [f64],
    /// Flat `(n, 2)` descent arrows, one per row, or `None`; rows with a NaN are not drawn.
    pub arrows: Option<&'a [f64]>,
}

/// The loss curve.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LossView<'a> {
    /// Step numbers.
    pub steps: &'a [f64],
    /// Loss values, one per step.
    pub losses: &'a [f64],
    /// Plot log10 of the losses (the caller checks that they are all positive).
    pub log: bool,
}

/// Everything one monitor frame shows.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorFrame<'a> {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// A line of text above the panels (e.g. the step and loss).
    pub title: String,
    /// The left panel.
    pub data: DataView<'a>,
    /// The middle panel, one entry per dimension, drawn in order.
    pub diagrams: Vec<DiagramView<'a>>,
    /// The right panel.
    pub loss: LossView<'a>,
}

impl MonitorFrame<'_> {
    fn check(&self) -> Result<()> {
        for (name, side) in [("width", self.width), ("height", self.height)] {
            if !(64..=MAX_SIDE).contains(&side) {
                return Err(Error::InvalidParameter {
                    name,
                    reason: format!("must lie in 64 ..= {MAX_SIDE} pixels; got {side}"),
                });
            }
        }
        for dgm in &self.diagrams {
            if dgm.points.len() % 2 != 0 {
                return Err(Error::ShapeMismatch {
                    name: "diagrams",
                    expected: "(n, 2)".to_string(),
                    found: format!("{} entries", dgm.points.len()),
                });
            }
            if let Some(a) = dgm.arrows {
                if a.len() != dgm.points.len() {
                    return Err(Error::ShapeMismatch {
                        name: "gradients",
                        expected: format!("{} entries (the diagram's shape)", dgm.points.len()),
                        found: format!("{} entries", a.len()),
                    });
                }
            }
        }
        if self.loss.steps.len() != self.loss.losses.len() {
            return Err(Error::ShapeMismatch {
                name: "losses",
                expected: format!("{} entries (one per step)", self.loss.steps.len()),
                found: format!("{} entries", self.loss.losses.len()),
            });
        }
        Ok(())
    }
}

/// Draw a frame into an RGB buffer of `width * height * 3` bytes, row-major from the top-left.
///
/// # Errors
/// [`Error::InvalidParameter`] or [`Error::ShapeMismatch`] for sizes out of range or arrays of
/// inconsistent lengths; [`Error::Render`] if drawing fails.
pub fn render_rgb(frame: &MonitorFrame<'_>) -> Result<Vec<u8>> {
    frame.check()?;
    draw::frame(frame)
}

/// Draw a frame and encode it as a PNG file (8-bit RGB, fast compression).
///
/// # Errors
/// As [`render_rgb`]; [`Error::Render`] if encoding fails.
///
/// # Performance
/// Linear in the number of points, arrows and field entries; fields larger than 256 × 256 are
/// drawn from a strided sample.
pub fn render_png(frame: &MonitorFrame<'_>) -> Result<Vec<u8>> {
    let rgb = render_rgb(frame)?;
    encode_png(&rgb, frame.width, frame.height)
}

/// Encode an RGB buffer as PNG with fast compression.
///
/// # Errors
/// [`Error::ShapeMismatch`] if the buffer is not `width * height * 3` bytes; [`Error::Render`]
/// if the encoder fails.
pub fn encode_png(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let expected = width as usize * height as usize * 3;
    if rgb.len() != expected {
        return Err(Error::ShapeMismatch {
            name: "rgb",
            expected: format!("{expected} bytes"),
            found: format!("{} bytes", rgb.len()),
        });
    }
    let mut out = Vec::with_capacity(expected / 4);
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Fast);
        let mut writer = encoder.write_header().map_err(render_error)?;
        writer.write_image_data(rgb).map_err(render_error)?;
        writer.finish().map_err(render_error)?;
    }
    Ok(out)
}

pub(crate) fn render_error<E: std::fmt::Display>(err: E) -> Error {
    Error::Render {
        reason: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(png_bytes: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(png_bytes);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    fn frame<'a>(data: DataView<'a>, dgm: &'a [f64], arrows: Option<&'a [f64]>) -> MonitorFrame<'a> {
        MonitorFrame {
            width: 480,
            height: 160,
            title: "step 1 · loss 0.5 ∞".to_string(),
            data,
            diagrams: vec![DiagramView {
                dim: 1,
                points: dgm,
                arrows,
            }],
            loss: LossView {
                steps: &[0.0, 1.0],
                losses: &[1.0, 0.5],
                log: true,
            },
        }
    }

    #[test]
    fn png_round_trips_to_the_requested_size() {
        let pts = [0.0, 0.0, 1.0, 1.0];
        let data = DataView::new("points", &pts, &[2, 2], None).unwrap();
        let png_bytes = render_png(&frame(data, &[0.0, 1.0], None)).unwrap();
        let (w, h, rgb) = decode(&png_bytes);
        assert_eq!((w, h), (480, 160));
        assert_eq!(rgb, render_rgb(&frame(data, &[0.0, 1.0], None)).unwrap());
    }

    #[test]
    fn moving_points_changes_pixels_and_equal_input_is_deterministic() {
        let a = [0.0, 0.0, 1.0, 1.0, 0.5, 0.2];
        let b = [0.0, 0.0, 1.0, 1.0, 0.5, 0.8];
        let view = |c| DataView::new("points", c, &[3, 2], None).unwrap();
        let ra = render_rgb(&frame(view(&a), &[0.0, 1.0], None)).unwrap();
        let rb = render_rgb(&frame(view(&b), &[0.0, 1.0], None)).unwrap();
        assert_ne!(ra, rb);
        assert_eq!(ra, render_rgb(&frame(view(&a), &[0.0, 1.0], None)).unwrap());
    }

    #[test]
    fn arrows_and_essential_points_are_drawn() {
        let pts = [0.0, 0.0, 1.0, 1.0];
        let data = DataView::new("points", &pts, &[2, 2], None).unwrap();
        let dgm = [0.0, 1.0, 0.5, f64::INFINITY];
        let plain = render_rgb(&frame(data, &dgm, None)).unwrap();
        let arrows = [1.0, -1.0, 0.5, 0.0];
        let with_arrows = render_rgb(&frame(data, &dgm, Some(&arrows))).unwrap();
        assert_ne!(plain, with_arrows);
        // NaN arrows are skipped, so an all-NaN arrow set draws nothing extra.
        let nan = [f64::NAN; 4];
        assert_eq!(plain, render_rgb(&frame(data, &dgm, Some(&nan))).unwrap());
    }

    #[test]
    fn every_data_kind_renders() {
        let field: Vec<f64> = (0..12).map(f64::from).collect();
        let grad: Vec<f64> = (0..12).map(|i| f64::from(i) - 6.0).collect();
        let signal = [0.0, 1.0, 0.5, 2.0];
        let cloud3 = [0.0, 0.0, 0.0, 1.0, 1.0, 1.0, 0.5, 0.2, 0.9];
        let views = [
            DataView::new("none", &[], &[0], None).unwrap(),
            DataView::new("field", &field, &[3, 4], Some(&grad)).unwrap(),
            DataView::new("signal", &signal, &[4], Some(&signal)).unwrap(),
            DataView::new("points", &cloud3, &[3, 3], Some(&cloud3)).unwrap(),
        ];
        let images: Vec<Vec<u8>> = views
            .iter()
            .map(|&v| render_rgb(&frame(v, &[0.0, 1.0], None)).unwrap())
            .collect();
        for i in 0..images.len() {
            for j in 0..i {
                assert_ne!(images[i], images[j], "kinds {i} and {j} drew the same picture");
            }
        }
    }

    #[test]
    fn bad_shapes_and_sizes_are_errors() {
        let pts = [0.0; 6];
        assert!(matches!(
            DataView::new("points", &pts, &[3, 2], Some(&pts[..4])),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            DataView::new("points", &pts, &[6, 1], None),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            DataView::new("points", &pts, &[4, 2], None),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(
            DataView::new("cloud", &pts, &[3, 2], None),
            Err(Error::InvalidParameter { .. })
        ));
        let data = DataView::new("points", &pts, &[3, 2], None).unwrap();
        let mut f = frame(data, &[0.0, 1.0], None);
        f.width = 10;
        assert!(matches!(
            render_png(&f),
            Err(Error::InvalidParameter { name: "width", .. })
        ));
        let odd = [0.0, 1.0, 2.0];
        assert!(matches!(
            render_png(&frame(data, &odd, None)),
            Err(Error::ShapeMismatch { .. })
        ));
        assert!(matches!(encode_png(&[0; 5], 2, 2), Err(Error::ShapeMismatch { .. })));
    }

    #[test]
    fn degenerate_inputs_render() {
        // One point, constant field, NaN and infinite data, an empty loss history.
        let one = [0.5, 0.5];
        let nan_cloud = [f64::NAN, 0.0, f64::INFINITY, 1.0];
        let views = [
            DataView::new("points", &one, &[1, 2], None).unwrap(),
            DataView::new("points", &nan_cloud, &[2, 2], None).unwrap(),
            DataView::new("field", &[1.0; 4], &[2, 2], None).unwrap(),
        ];
        for v in views {
            let mut f = frame(v, &[f64::NEG_INFINITY, f64::INFINITY, f64::NAN, 1.0], None);
            f.loss = LossView {
                steps: &[],
                losses: &[],
                log: false,
            };
            let png_bytes = render_png(&f).unwrap();
            assert_eq!(decode(&png_bytes).0, 480);
        }
    }
}
