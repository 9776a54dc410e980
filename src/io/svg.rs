//! SVG charts drawn with `plotters` (SVG backend only): line charts in panels, interval
//! charts (a mean with its 95 % interval per category) and heat maps.
//!
//! Every chart is one `<svg>` element with an `id`, a `<title>`, a title drawn at the
//! top, axis labels and a legend. Text is laid out with plotters' built-in size estimate
//! (no `ttf` feature), so drawing never loads a font from the system; the browser renders
//! the text with its own `sans-serif` font.

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Chart width in pixels.
pub const WIDTH: u32 = 960;
const FONT: &str = "sans-serif";
const LEGEND_HEIGHT: u32 = 34;

/// Colours for series (Tableau 10), in order.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of series `i`.
pub fn colour(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A named line.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Points `(x, y)` in x order.
    pub points: Vec<(f64, f64)>,
}

/// One panel of a line chart.
#[derive(Debug, Clone)]
pub struct Panel {
    /// Panel caption (empty for none).
    pub title: String,
    /// Lines; series `i` gets colour `i` in every panel, so the legend is shared.
    pub series: Vec<Series>,
}

/// A line chart: one or more panels side by side with a shared legend.
#[derive(Debug, Clone)]
pub struct LineChart {
    /// Element id of the `<svg>`.
    pub id: String,
    /// Title drawn at the top.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// Panels, drawn left to right, at most three per row.
    pub panels: Vec<Panel>,
    /// Fixed y range, or `None` to fit the data.
    pub y_range: Option<(f64, f64)>,
    /// Draw the diagonal y = x (a Lorenz curve's line of equality) as a dashed grey line.
    pub diagonal: bool,
    /// A logarithmic y axis, for counts spanning orders of magnitude (values below 1 are
    /// drawn at 1).
    pub log_y: bool,
}

/// One category of an interval panel: a mean with its 95 % interval.
#[derive(Debug, Clone)]
pub struct Interval {
    /// Category label (a variant, or a difference `a − b`).
    pub label: String,
    /// Mean.
    pub mean: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
    /// The replicates' own values, drawn as small rings behind the mean (may be empty).
    pub points: Vec<f64>,
}

/// One panel of an interval chart (usually one metric).
#[derive(Debug, Clone)]
pub struct IntervalPanel {
    /// Panel caption (the metric).
    pub title: String,
    /// Categories, coloured in order.
    pub items: Vec<Interval>,
}

/// Means with interval bars: one panel per metric, one bar per category.
#[derive(Debug, Clone)]
pub struct IntervalChart {
    /// Element id of the `<svg>`.
    pub id: String,
    /// Title drawn at the top.
    pub title: String,
    /// Y axis label of every panel.
    pub y_label: String,
    /// Panels, three per row.
    pub panels: Vec<IntervalPanel>,
    /// Draw a dashed line at zero (for differences).
    pub zero_line: bool,
}

/// A heat map of values on a grid of two categorical axes.
#[derive(Debug, Clone)]
pub struct HeatMap {
    /// Element id of the `<svg>`.
    pub id: String,
    /// Title drawn at the top.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// Column labels.
    pub xs: Vec<String>,
    /// Row labels (bottom to top).
    pub ys: Vec<String>,
    /// `cells[y][x]`: the value and whether its interval excludes zero.
    pub cells: Vec<Vec<Option<(f64, bool)>>>,
    /// What the colour shows, for the legend.
    pub value_label: String,
}

/// Drawing errors, flattened to text (the SVG backend writes into a `String`).
fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow::anyhow!("cannot draw the chart: {e:?}")
}

/// Puts the id, an accessible role and a `<title>` on the `<svg>` element plotters wrote,
/// and makes it scale with the page.
fn finish(svg: String, id: &str, title: &str) -> String {
    let title = super::markup::escape(title);
    let id = super::markup::escape(id);
    match svg.find("<svg") {
        Some(at) => {
            let close = at + svg[at..].find('>').unwrap_or(4);
            format!(
                "{}<svg id=\"{id}\" role=\"img\" aria-label=\"{title}\" style=\"max-width:100%;height:auto\"{}><title>{title}</title>{}",
                &svg[..at],
                &svg[at + 4..close],
                &svg[close + 1..]
            )
        }
        None => svg,
    }
}

/// A shared legend in a strip: a short line and the name for each entry.
fn draw_legend(area: &DrawingArea<SVGBackend<'_>, Shift>, names: &[String], markers: bool) -> anyhow::Result<()> {
    let mut x = 16i32;
    let y = (LEGEND_HEIGHT / 2) as i32;
    for (i, name) in names.iter().enumerate() {
        let c = colour(i);
        if markers {
            area.draw(&Circle::new((x + 10, y), 5, c.filled())).map_err(err)?;
        } else {
            area.draw(&PathElement::new(vec![(x, y), (x + 22, y)], c.stroke_width(3))).map_err(err)?;
        }
        area.draw(&Text::new(name.clone(), (x + 28, y - 7), (FONT, 14).into_font())).map_err(err)?;
        x += 28 + 8 * name.chars().count() as i32 + 24;
    }
    Ok(())
}

fn nice_range(lo: f64, hi: f64) -> (f64, f64) {
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        return (lo - pad, hi + pad);
    }
    let pad = (hi - lo) * 0.05;
    (lo - pad, hi + pad)
}

/// Label text for a tick value: short, without float noise.
pub fn tick_label(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}").trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        let s = format!("{v:.3}").trim_end_matches('0').trim_end_matches('.').to_string();
        if s == "-0" { "0".into() } else { s }
    }
}

fn grid(n: usize) -> (usize, usize) {
    let cols = n.clamp(1, 3);
    (n.div_ceil(cols).max(1), cols)
}

/// Draws a line chart; returns the `<svg>` element.
pub fn line_chart(c: &LineChart) -> anyhow::Result<String> {
    let (rows, cols) = grid(c.panels.len());
    let panel_h: u32 = if cols == 1 { 420 } else { 340 };
    let height = 50 + rows as u32 * panel_h + LEGEND_HEIGHT;
    let names: Vec<String> = c
        .panels
        .iter()
        .max_by_key(|p| p.series.len())
        .map(|p| p.series.iter().map(|s| s.name.clone()).collect())
        .unwrap_or_default();
    // A log axis is drawn as log10 of the values on a linear axis, labelled with 10^v.
    let y_of = |y: f64| if c.log_y { y.max(1.0).log10() } else { y };
    let points =
        || c.panels.iter().flat_map(|p| p.series.iter().flat_map(|s| s.points.iter().map(|&(x, y)| (x, y_of(y)))));
    let (x0, x1) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (y0, y1) = match c.y_range {
        Some(r) => r,
        None => {
            let (lo, hi) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.1), b.max(p.1)));
            nice_range(lo.min(0.0_f64.max(lo)), hi)
        }
    };
    let (x0, x1) = if x0.is_finite() && x1 > x0 { (x0, x1) } else { (0.0, 1.0) };
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let root = root.titled(&c.title, (FONT, 20).into_font()).map_err(err)?;
        let (plots, legend) = root.split_vertically(height - 50 - LEGEND_HEIGHT + 10);
        let areas = plots.split_evenly((rows, cols));
        for (area, panel) in areas.iter().zip(&c.panels) {
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, (FONT, 15).into_font())
                .margin(12)
                .x_label_area_size(42)
                .y_label_area_size(62)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(err)?;
            chart
                .configure_mesh()
                .x_desc(c.x_label.as_str())
                .y_desc(c.y_label.as_str())
                .x_labels(6)
                .y_labels(6)
                .x_label_formatter(&|v| tick_label(*v))
                .y_label_formatter(&|v| tick_label(if c.log_y { 10f64.powf(*v) } else { *v }))
                .light_line_style(WHITE)
                .bold_line_style(RGBColor(215, 215, 215))
                .label_style((FONT, 12).into_font())
                .axis_desc_style((FONT, 13).into_font())
                .draw()
                .map_err(err)?;
            if c.diagonal {
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(x0.max(y0), x0.max(y0)), (x1.min(y1), x1.min(y1))],
                        6,
                        4,
                        RGBColor(150, 150, 150).stroke_width(1),
                    ))
                    .map_err(err)?;
            }
            for (i, s) in panel.series.iter().enumerate() {
                let line = s.points.iter().map(|&(x, y)| (x, y_of(y)));
                chart.draw_series(LineSeries::new(line, colour(i).stroke_width(2))).map_err(err)?;
            }
        }
        draw_legend(&legend, &names, false)?;
        root.present().map_err(err)?;
    }
    Ok(finish(buf, &c.id, &c.title))
}

/// Draws an interval chart; returns the `<svg>` element.
pub fn interval_chart(c: &IntervalChart) -> anyhow::Result<String> {
    let (rows, cols) = grid(c.panels.len());
    let panel_h: u32 = 260;
    let height = 50 + rows as u32 * panel_h + LEGEND_HEIGHT;
    let names: Vec<String> = c
        .panels
        .iter()
        .max_by_key(|p| p.items.len())
        .map(|p| p.items.iter().map(|s| s.label.clone()).collect())
        .unwrap_or_default();
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let root = root.titled(&c.title, (FONT, 20).into_font()).map_err(err)?;
        let (plots, legend) = root.split_vertically(height - 50 - LEGEND_HEIGHT + 10);
        let areas = plots.split_evenly((rows, cols));
        for (area, panel) in areas.iter().zip(&c.panels) {
            let n = panel.items.len().max(1) as i32;
            // A single category sits in the middle of three slots, not against the axis.
            let offset = i32::from(n == 1);
            let max_chars = ((f64::from(WIDTH) / cols as f64 - 80.0) / f64::from(n) / 6.5).max(6.0) as usize;
            let (mut lo, mut hi) = panel
                .items
                .iter()
                .flat_map(|it| [it.low, it.high].into_iter().chain(it.points.iter().copied()))
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| (a.min(y), b.max(y)));
            if c.zero_line {
                lo = lo.min(0.0);
                hi = hi.max(0.0);
            }
            let (lo, hi) = nice_range(lo, hi);
            let labels: Vec<String> = panel.items.iter().map(|it| it.label.clone()).collect();
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, (FONT, 14).into_font())
                .margin(10)
                .x_label_area_size(24)
                .y_label_area_size(62)
                .build_cartesian_2d((0..n - 1 + 2 * offset).into_segmented(), lo..hi)
                .map_err(err)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .y_desc(c.y_label.as_str())
                .y_labels(5)
                .x_label_formatter(&|v| match v {
                    SegmentValue::CenterOf(i) => {
                        let s =
                            usize::try_from(*i - offset).ok().and_then(|i| labels.get(i)).cloned().unwrap_or_default();
                        if s.chars().count() > max_chars {
                            format!("{}…", s.chars().take(max_chars - 1).collect::<String>())
                        } else {
                            s
                        }
                    }
                    _ => String::new(),
                })
                .y_label_formatter(&|v| tick_label(*v))
                .light_line_style(WHITE)
                .bold_line_style(RGBColor(220, 220, 220))
                .label_style((FONT, 11).into_font())
                .axis_desc_style((FONT, 12).into_font())
                .draw()
                .map_err(err)?;
            if c.zero_line {
                chart
                    .draw_series(DashedLineSeries::new(
                        vec![(SegmentValue::Exact(0), 0.0), (SegmentValue::Last, 0.0)],
                        5,
                        4,
                        RGBColor(120, 120, 120).stroke_width(1),
                    ))
                    .map_err(err)?;
            }
            for (i, it) in panel.items.iter().enumerate() {
                let x = SegmentValue::CenterOf(i as i32 + offset);
                let ring = colour(i).mix(0.45).stroke_width(1);
                chart
                    .draw_series(
                        it.points.iter().filter(|y| y.is_finite()).map(|&y| Circle::new((x.clone(), y), 3, ring)),
                    )
                    .map_err(err)?;
                let style = colour(i).stroke_width(2);
                chart
                    .draw_series([PathElement::new(vec![(x.clone(), it.low), (x.clone(), it.high)], style)])
                    .map_err(err)?;
                chart.draw_series([Circle::new((x, it.mean), 5, colour(i).filled())]).map_err(err)?;
            }
        }
        draw_legend(&legend, &names, true)?;
        root.present().map_err(err)?;
    }
    Ok(finish(buf, &c.id, &c.title))
}

/// A diverging colour: blue below zero, white at zero, red above, by `v / max_abs`.
fn diverging(v: f64, max_abs: f64) -> RGBColor {
    let t = if max_abs > 0.0 { (v / max_abs).clamp(-1.0, 1.0) } else { 0.0 };
    let mix = |a: u8, b: u8, t: f64| (f64::from(a) + (f64::from(b) - f64::from(a)) * t).round() as u8;
    let (end, t) = if t >= 0.0 { ((214u8, 39u8, 40u8), t) } else { ((31u8, 119u8, 180u8), -t) };
    RGBColor(mix(255, end.0, t), mix(255, end.1, t), mix(255, end.2, t))
}

/// The far edge of a cell: the axis end after the last cell.
fn edge(k: i32, n: i32) -> SegmentValue<i32> {
    if k >= n { SegmentValue::Last } else { SegmentValue::Exact(k) }
}

/// Draws a heat map; returns the `<svg>` element. Cells whose interval excludes zero
/// carry a `*` after the value.
pub fn heat_map(h: &HeatMap) -> anyhow::Result<String> {
    let nx = h.xs.len().max(1) as i32;
    let ny = h.ys.len().max(1) as i32;
    let height = 50 + (60 * ny as u32).clamp(240, 600) + 80 + LEGEND_HEIGHT;
    let max_abs = h.cells.iter().flatten().flatten().map(|(v, _)| v.abs()).fold(0.0, f64::max);
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let root = root.titled(&h.title, (FONT, 20).into_font()).map_err(err)?;
        let (plot, legend) = root.split_vertically(height - 50 - LEGEND_HEIGHT);
        let mut chart = ChartBuilder::on(&plot)
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(80)
            .build_cartesian_2d((0..nx - 1).into_segmented(), (0..ny - 1).into_segmented())
            .map_err(err)?;
        let (xs, ys) = (&h.xs, &h.ys);
        chart
            .configure_mesh()
            .disable_mesh()
            .x_desc(h.x_label.as_str())
            .y_desc(h.y_label.as_str())
            .x_labels(h.xs.len())
            .y_labels(h.ys.len())
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => xs.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => ys.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .label_style((FONT, 13).into_font())
            .axis_desc_style((FONT, 14).into_font())
            .draw()
            .map_err(err)?;
        for (j, row) in h.cells.iter().enumerate() {
            for (i, cell) in row.iter().enumerate() {
                let (i, j) = (i as i32, j as i32);
                let fill = match cell {
                    Some((v, _)) => diverging(*v, max_abs),
                    None => RGBColor(230, 230, 230),
                };
                chart
                    .draw_series([Rectangle::new(
                        [(SegmentValue::Exact(i), SegmentValue::Exact(j)), (edge(i + 1, nx), edge(j + 1, ny))],
                        fill.filled(),
                    )])
                    .map_err(err)?;
                let text = match cell {
                    Some((v, sig)) => format!("{}{}", tick_label(*v), if *sig { " *" } else { "" }),
                    None => "n/a".into(),
                };
                let style = (FONT, 14).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Center));
                chart
                    .draw_series([Text::new(text, (SegmentValue::CenterOf(i), SegmentValue::CenterOf(j)), style)])
                    .map_err(err)?;
            }
        }
        // Legend: the colour scale from −max to +max, and what the star means.
        let steps = 40;
        for k in 0..steps {
            let v = -max_abs + 2.0 * max_abs * (k as f64 + 0.5) / steps as f64;
            let x = 100 + k * 6;
            legend.draw(&Rectangle::new([(x, 8), (x + 6, 24)], diverging(v, max_abs).filled())).map_err(err)?;
        }
        let font = (FONT, 13).into_font();
        legend.draw(&Text::new(tick_label(-max_abs), (40, 9), font.clone())).map_err(err)?;
        legend.draw(&Text::new(tick_label(max_abs), (100 + steps * 6 + 8, 9), font.clone())).map_err(err)?;
        legend
            .draw(&Text::new(
                format!("{}; * = 95 % interval excludes 0", h.value_label),
                (100 + steps * 6 + 70, 9),
                font,
            ))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(finish(buf, &h.id, &h.title))
}

/// Horizontal bars with intervals: one row per category (a term of a decomposition), the
/// value along x, the first category at the top.
#[derive(Debug, Clone)]
pub struct BarChart {
    /// Element id of the `<svg>`.
    pub id: String,
    /// Title drawn at the top.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Rows, top to bottom: a bar from 0 to the mean and a whisker over the interval.
    pub items: Vec<Interval>,
    /// How many of the first rows share colour 0 (the rest get colour 1: a total row).
    pub highlight_from: usize,
}

/// Draws a horizontal bar chart with interval whiskers and a dashed zero line; returns
/// the `<svg>` element.
pub fn bar_chart(c: &BarChart) -> anyhow::Result<String> {
    let n = c.items.len().max(1) as i32;
    let row_h: u32 = 30;
    let height = 50 + n as u32 * row_h + 60;
    let longest = c.items.iter().map(|it| it.label.chars().count()).max().unwrap_or(4);
    let max_chars = 56usize;
    let label_w = (7 * longest.min(max_chars) as u32 + 16).clamp(80, 420);
    let (lo, hi) = c
        .items
        .iter()
        .flat_map(|it| [it.low, it.high, it.mean])
        .filter(|v| v.is_finite())
        .fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let (lo, hi) = nice_range(lo, hi);
    let labels: Vec<String> = c
        .items
        .iter()
        .map(|it| {
            if it.label.chars().count() > max_chars {
                format!("{}…", it.label.chars().take(max_chars - 1).collect::<String>())
            } else {
                it.label.clone()
            }
        })
        .collect();
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let root = root.titled(&c.title, (FONT, 20).into_font()).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(label_w)
            .build_cartesian_2d(lo..hi, (0..n - 1).into_segmented())
            .map_err(err)?;
        // Row i is drawn at segment n − 1 − i, so the first item is at the top.
        let row = |i: usize| n - 1 - i as i32;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .x_desc(c.x_label.as_str())
            .x_labels(6)
            .y_labels(c.items.len())
            .x_label_formatter(&|v| tick_label(*v))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => {
                    usize::try_from(n - 1 - *i).ok().and_then(|i| labels.get(i)).cloned().unwrap_or_default()
                }
                _ => String::new(),
            })
            .light_line_style(WHITE)
            .bold_line_style(RGBColor(220, 220, 220))
            .label_style((FONT, 12).into_font())
            .axis_desc_style((FONT, 13).into_font())
            .draw()
            .map_err(err)?;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, SegmentValue::Exact(0)), (0.0, SegmentValue::Last)],
                5,
                4,
                RGBColor(120, 120, 120).stroke_width(1),
            ))
            .map_err(err)?;
        for (i, it) in c.items.iter().enumerate() {
            let y = SegmentValue::CenterOf(row(i));
            let col = colour(usize::from(i >= c.highlight_from));
            chart
                .draw_series([PathElement::new(
                    vec![(0.0, y.clone()), (it.mean, y.clone())],
                    col.mix(0.35).stroke_width(16),
                )])
                .map_err(err)?;
            chart
                .draw_series([PathElement::new(vec![(it.low, y.clone()), (it.high, y.clone())], col.stroke_width(2))])
                .map_err(err)?;
            chart.draw_series([Circle::new((it.mean, y), 4, col.filled())]).map_err(err)?;
        }
        root.present().map_err(err)?;
    }
    Ok(finish(buf, &c.id, &c.title))
}
