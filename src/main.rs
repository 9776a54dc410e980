use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Piped into `head`, a closed stdout should end the program quietly, as for any
    // Unix tool, rather than panic on the next print.
    #[cfg(unix)]
    // SAFETY: restoring the default action of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Blocks of 1 MiB and more come straight from the kernel and go back to it when
    // freed. glibc's default puts blocks of up to 32 MiB on the heap once big ones have
    // been freed, where an array that grows every tick (the run's follows) leaves holes
    // the worker threads never reuse: 39 MiB of 320 at the peak of quickstart's
    // two-column month at 1 M users, at the same speed.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: sets an allocator parameter before any thread starts or allocates much.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
    // A panic on any thread ends the process (after the usual message), so that a
    // worker thread that dies never leaves the others waiting for it forever.
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        eprintln!("feedsim: internal error (a bug): please report the message above");
        feedsim::io::outdir::release_all();
        std::process::exit(101);
    }));
    let cli = feedsim::app::Cli::parse();
    match feedsim::app::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("feedsim: {}", feedsim::app::error_chain(err.as_ref()));
            ExitCode::from(feedsim::app::exit_code(&err))
        }
    }
}
