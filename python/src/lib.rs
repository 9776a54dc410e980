//! The native half of the `feedsim` Python package (`feedsim._feedsim`).
//!
//! A thin layer over the feedsim library: every step is a call the CLI makes too
//! (`scenario::load_file`, `app::check_fits`, `engine::run`, `study::compare::run_replicates`,
//! `RunOutput::write_to`, ...), so a run from Python is the CLI's run. Outputs cross into
//! Python as the bytes of the files the CLI writes (JSON and CSV); `feedsim/__init__.py`
//! turns them into dicts and DataFrames, so the tables have exactly the files' columns.
//!
//! Runs happen on a worker thread with the GIL released. The calling thread wakes every
//! [`POLL`] to report progress and to let Python handle signals: on Ctrl-C it raises the
//! engine's stop flag (the run ends after its current tick), joins the worker and
//! re-raises the `KeyboardInterrupt`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use feedsim::app::{check_fits, error_chain, max_memory_flag, replicates_flag, threads_flag};
use feedsim::io::replicates::ReplicateStore;
use feedsim::study::compare::{Comparison, Replicate};
use feedsim::engine::{self, RunOptions};
use feedsim::engine::plan::MemoryPlan;
use feedsim::observe::output::RunOutput;
use feedsim::scenario::{self, Scenario};
use pyo3::create_exception;
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

create_exception!(
    _feedsim,
    ScenarioError,
    PyValueError,
    "A scenario file or override that does not load: the message is the CLI's (file, key, line, what is valid)."
);
create_exception!(
    _feedsim,
    MemoryPlanError,
    ScenarioError,
    "A run whose memory plan exceeds max_memory or the memory available now; raised before it starts."
);

/// How often the calling thread wakes while a run goes on: fast enough that Ctrl-C feels
/// immediate, slow enough to cost nothing.
const POLL: Duration = Duration::from_millis(100);

/// Loads a scenario as `feedsim run` does (`--seed` arrives as a `seed=` override).
fn load(path: &Path, overrides: &[String]) -> PyResult<Scenario> {
    scenario::load_file(path, overrides).map_err(|e| ScenarioError::new_err(error_chain(&e)))
}

/// The CLI's memory check for `plan`, as a `MemoryPlanError`.
fn fits(s: &Scenario, plan: &MemoryPlan, max_memory: Option<u64>) -> PyResult<()> {
    check_fits(s, plan, max_memory).map_err(|e| MemoryPlanError::new_err(error_chain(e.as_ref())))
}

/// Checks a numeric argument with the CLI's flag parser, so the bounds and the message are
/// the flag's (`threads=5000 is out of range: valid values are 0 to 1024 ...`).
fn flag<T>(name: &str, value: i64, parse: fn(&str) -> Result<T, String>) -> PyResult<T> {
    // Every whole number the parser refuses is out of range; a negative one is given as
    // one above the range, since the parser reads unsigned numbers.
    let text = if value < 0 { u64::MAX.to_string() } else { value.to_string() };
    parse(&text).map_err(|m| {
        let range = m.split_once(": ").map_or(m.as_str(), |(_, r)| r);
        PyValueError::new_err(format!("{name}={value} is out of range: {range}"))
    })
}

fn io_error(context: &str, e: &(dyn std::error::Error + 'static)) -> PyErr {
    PyOSError::new_err(format!("{context}: {}", error_chain(e)))
}

/// Runs `work` on a scoped worker thread with the GIL released. Every [`POLL`] the
/// calling thread takes the GIL, lets Python run its signal handlers and calls `poll`
/// (progress); if either raises, `work`'s stop flag is set, the worker is joined (it
/// ends at the next tick boundary) and the exception is returned. `poll` is also called
/// once after the worker is done, so a progress display ends complete.
fn supervise<T: Send>(
    py: Python<'_>,
    work: impl FnOnce(&AtomicBool) -> T + Send,
    mut poll: impl FnMut(Python<'_>) -> PyResult<()>,
) -> PyResult<T> {
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (done_tx, mut done_rx) = mpsc::channel::<()>();
        let stop = &stop;
        let worker = scope.spawn(move || {
            let out = work(stop);
            let _ = done_tx.send(());
            out
        });
        loop {
            // The receiver goes in and out of the closure: it is Send but not Sync.
            let (waited, rx) = py.detach(move || (done_rx.recv_timeout(POLL), done_rx));
            done_rx = rx;
            // Disconnected: the worker panicked; join below passes the panic on.
            if !matches!(waited, Err(RecvTimeoutError::Timeout)) {
                break;
            }
            if let Err(e) = py.check_signals().and_then(|()| poll(py)) {
                stop.store(true, Ordering::SeqCst);
                // The run's result is dropped: an interrupted call returns nothing.
                let _ = py.detach(move || worker.join());
                return Err(e);
            }
        }
        let out = py.detach(move || worker.join()).unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        poll(py)?;
        Ok(out)
    })
}

/// Calls the Python progress callback `(done, total, what)` when `done` or `what` changed.
struct Reporter<'a> {
    callback: Option<Bound<'a, PyAny>>,
    last: Option<(u64, usize)>,
}

impl Reporter<'_> {
    fn report(&mut self, done: u64, total: u64, what_index: usize, what: &str) -> PyResult<()> {
        let Some(cb) = &self.callback else { return Ok(()) };
        if self.last == Some((done, what_index)) {
            return Ok(());
        }
        self.last = Some((done, what_index));
        cb.call1((done, total, what))?;
        Ok(())
    }
}

/// A finished run: its `RunOutput`, from which every file of the run folder is written.
#[pyclass(module = "feedsim._feedsim", frozen)]
struct NativeRun {
    out: RunOutput,
}

#[pymethods]
impl NativeRun {
    /// The bytes of `summary.json`.
    fn summary_json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = feedsim::io::json_bytes(&self.out.summary).map_err(|e| io_error("summary.json", &e))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The bytes of `perf.json` (wall-clock figures: these differ between runs).
    fn perf_json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = feedsim::io::json_bytes(&self.out.perf).map_err(|e| io_error("perf.json", &e))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The bytes of `timeseries.csv`.
    fn timeseries_csv<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.out.timeseries_csv().map_err(|e| io_error("timeseries.csv", &e))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The bytes of `creators.csv`.
    fn creators_csv<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.out.creators_csv().map_err(|e| io_error("creators.csv", &e))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The bytes of `lorenz.csv`.
    fn lorenz_csv<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.out.lorenz_csv().map_err(|e| io_error("lorenz.csv", &e))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Writes the run folder as `feedsim run --out DIR` does: claims the folder (refused
    /// when it holds files, unless `force`), writes every file, and `report.html` with
    /// `report`. Returns the paths written.
    #[pyo3(signature = (dir, force = false, report = false))]
    fn save(&self, py: Python<'_>, dir: PathBuf, force: bool, report: bool) -> PyResult<Vec<PathBuf>> {
        py.detach(|| {
            let _claim = claim(&dir, force)?;
            let mut written = self
                .out
                .write_to(&dir)
                .map_err(|e| io_error(&format!("cannot write the run folder `{}`", dir.display()), &e))?;
            if report {
                written.push(write_report(&dir)?);
            }
            Ok(written)
        })
    }
}

/// Claims an output folder as the CLI does; a folder the user can fix is a
/// `FileExistsError`-like `OSError` with the CLI's message.
fn claim(dir: &Path, force: bool) -> PyResult<feedsim::io::outdir::OutDir> {
    feedsim::io::outdir::claim(dir, force).map_err(|e| PyOSError::new_err(error_chain(&e)))
}

fn write_report(dir: &Path) -> PyResult<PathBuf> {
    feedsim::io::html::write_report(dir).map_err(|e| PyRuntimeError::new_err(error_chain(e.as_ref())))
}

/// Runs every variant of a scenario, as `feedsim run` does. `progress(done, total,
/// variant)` is called from this thread (with the GIL) as ticks finish.
#[pyfunction]
#[pyo3(signature = (path, overrides, threads, max_memory = None, progress = None))]
fn run<'py>(
    py: Python<'py>,
    path: PathBuf,
    overrides: Vec<String>,
    threads: i64,
    max_memory: Option<i64>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<NativeRun> {
    let threads = flag("threads", threads, threads_flag)?;
    let max_memory = max_memory.map(|m| flag("max_memory", m, max_memory_flag)).transpose()?;
    let s = load(&path, &overrides)?;
    fits(&s, &MemoryPlan::of(&s), max_memory)?;
    let ticks: Vec<u64> = s.variants.iter().map(|v| u64::from(v.params.ticks)).collect();
    let total: u64 = ticks.iter().sum();
    let (done, variant) = (AtomicU64::new(0), AtomicUsize::new(0));
    let mut reporter = Reporter { callback: progress, last: None };
    let out = supervise(
        py,
        |stop| {
            let on_tick = |vi: usize, ticks_done: u32| {
                variant.store(vi, Ordering::Relaxed);
                done.store(ticks[..vi].iter().sum::<u64>() + u64::from(ticks_done), Ordering::Relaxed);
            };
            let should_stop = || stop.load(Ordering::SeqCst);
            engine::run(&s, RunOptions { on_tick: &on_tick, should_stop: &should_stop, ..RunOptions::new(threads) })
        },
        |_| {
            let vi = variant.load(Ordering::Relaxed);
            reporter.report(done.load(Ordering::Relaxed), total, vi, &s.variants[vi].name)
        },
    )?
    .map_err(|e| PyRuntimeError::new_err(error_chain(&e)))?;
    Ok(NativeRun { out })
}

/// A finished comparison, with its replicates (for the `replicates/` folder).
#[pyclass(module = "feedsim._feedsim", frozen)]
struct NativeComparison {
    scenario: Scenario,
    fixed_world: bool,
    replicates: Vec<Replicate>,
    cmp: Comparison,
}

#[pymethods]
impl NativeComparison {
    /// The bytes of `comparison.json`.
    fn comparison_json<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = feedsim::io::json_bytes(&self.cmp).map_err(|e| io_error("comparison.json", &e))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// The bytes of `comparison.csv`.
    fn comparison_csv<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        let bytes = self.cmp.to_csv().map_err(|e| io_error("comparison.csv", &e))?;
        Ok(PyBytes::new(py, &bytes))
    }

    /// Writes the compare folder as `feedsim compare --out DIR` does: `replicates/`
    /// (manifest and one file per replicate, so `feedsim compare --resume` can add to
    /// it), `comparison.json`, `comparison.csv`, and `report.html` with `report`.
    #[pyo3(signature = (dir, force = false, report = false))]
    fn save(&self, py: Python<'_>, dir: PathBuf, force: bool, report: bool) -> PyResult<Vec<PathBuf>> {
        py.detach(|| {
            let _claim = claim(&dir, force)?;
            let context = format!("cannot write into `{}`", dir.display());
            let store = ReplicateStore::new(&dir);
            store.start(&self.scenario, self.fixed_world).map_err(|e| io_error(&context, &e))?;
            for r in &self.replicates {
                store.save(r).map_err(|e| io_error(&context, &e))?;
            }
            let json = feedsim::io::json_bytes(&self.cmp).map_err(|e| io_error(&context, &e))?;
            let csv = self.cmp.to_csv().map_err(|e| io_error(&context, &e))?;
            let mut written = Vec::new();
            for (name, bytes) in [("comparison.json", json), ("comparison.csv", csv)] {
                let path = dir.join(name);
                feedsim::io::write_atomic(&path, &bytes).map_err(|e| io_error(&context, &e))?;
                written.push(path);
            }
            if report {
                written.push(write_report(&dir)?);
            }
            Ok(written)
        })
    }
}

/// Runs `replicates` replicates of every variant in parallel and summarises them, as
/// `feedsim compare` does. `progress(done, total, scenario)` is called as replicates end.
#[pyfunction]
#[pyo3(signature = (path, overrides, replicates, threads, fixed_world = false, max_memory = None, progress = None))]
#[allow(clippy::too_many_arguments)]
fn compare<'py>(
    py: Python<'py>,
    path: PathBuf,
    overrides: Vec<String>,
    replicates: i64,
    threads: i64,
    fixed_world: bool,
    max_memory: Option<i64>,
    progress: Option<Bound<'py, PyAny>>,
) -> PyResult<NativeComparison> {
    let replicates = flag("replicates", replicates, replicates_flag)?;
    let threads = flag("threads", threads, threads_flag)?;
    let max_memory = max_memory.map(|m| flag("max_memory", m, max_memory_flag)).transpose()?;
    let s = load(&path, &overrides)?;
    // As `feedsim compare`: replicates run side by side, one world per worker thread.
    let plan = MemoryPlan::of(&s);
    let workers = if threads == 0 { std::thread::available_parallelism().map_or(1, |n| n.get()) } else { threads };
    let mut scaled = plan.clone();
    scaled.total_bytes = plan.total_bytes.saturating_mul(workers.min(replicates) as u64);
    fits(&s, &scaled, max_memory)?;
    let pool = engine::thread_pool(threads).map_err(|e| PyRuntimeError::new_err(error_chain(&e)))?;
    let finished = AtomicU64::new(0);
    let mut reporter = Reporter { callback: progress, last: None };
    let runs = supervise(
        py,
        |stop| {
            let should_stop = || stop.load(Ordering::SeqCst);
            let on_done = |_: &Replicate| {
                finished.fetch_add(1, Ordering::Relaxed);
            };
            pool.install(|| {
                feedsim::study::compare::run_replicates(&s, replicates, fixed_world, Vec::new(), &should_stop, &on_done)
            })
        },
        |_| reporter.report(finished.load(Ordering::Relaxed), replicates as u64, 0, &s.name),
    )?;
    // Only a stop leaves a slot empty, and a stop returned above with its exception.
    let runs: Vec<Replicate> = runs.into_iter().map(|r| r.expect("never stopped")).collect();
    let cmp = feedsim::study::compare::summarise_replicates(&s, &runs, fixed_world);
    Ok(NativeComparison { scenario: s, fixed_world, replicates: runs, cmp })
}

/// Every variant's resolved parameters, as JSON `[[variant, params], ...]` in scenario
/// order: the content `feedsim validate --resolved` prints as TOML (defaults filled in,
/// `extends`, variants and overrides applied; keys left unset are absent, as in the TOML).
#[pyfunction]
fn validate(path: PathBuf, overrides: Vec<String>) -> PyResult<String> {
    let s = load(&path, &overrides)?;
    let mut doc = Vec::new();
    for v in &s.variants {
        // Through TOML, so the dict has the keys --resolved prints and no nulls.
        let table = toml::Value::try_from(&v.params)
            .map_err(|e| PyRuntimeError::new_err(format!("variant `{}`: {e}", v.name)))?;
        let value = serde_json::to_value(&table).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        doc.push(serde_json::json!([v.name, value]));
    }
    Ok(serde_json::Value::Array(doc).to_string())
}

/// The memory plan of a scenario as JSON (`feedsim validate --json`, without the check).
#[pyfunction]
fn memory_plan(path: PathBuf, overrides: Vec<String>) -> PyResult<String> {
    let s = load(&path, &overrides)?;
    let mut v = serde_json::to_value(MemoryPlan::of(&s)).map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
    v["available_bytes"] = feedsim::engine::plan::available_bytes().into();
    Ok(v.to_string())
}

/// The native module: `feedsim/__init__.py` is its public face.
#[pymodule]
fn _feedsim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("ScenarioError", py.get_type::<ScenarioError>())?;
    m.add("MemoryPlanError", py.get_type::<MemoryPlanError>())?;
    m.add_function(wrap_pyfunction!(run, m)?)?;
    m.add_function(wrap_pyfunction!(compare, m)?)?;
    m.add_function(wrap_pyfunction!(validate, m)?)?;
    m.add_function(wrap_pyfunction!(memory_plan, m)?)?;
    m.add_class::<NativeRun>()?;
    m.add_class::<NativeComparison>()?;
    Ok(())
}
