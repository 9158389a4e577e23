use std::process::ExitCode;

// Ingest allocates and frees hundreds of thousands of small JSON values per
// day, often across threads; mimalloc does that several times faster than
// the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    spot::cli::main()
}
