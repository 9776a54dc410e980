//! `feedsim validate`: the resolved parameters, the world's size and the memory plan.

use std::process::ExitCode;

use super::*;
use crate::engine::plan::{self, MemoryPlan};
use crate::scenario::{self};

pub(super) fn cmd_validate(args: ValidateArgs) -> anyhow::Result<ExitCode> {
    let (args, json, resolved, ranks) = (args.scenario, args.json, args.resolved, args.ranks as usize);
    let s = load(&args)?;
    if resolved {
        for v in &s.variants {
            println!("# variant `{}` of {} ({})\n", v.name, s.name, s.source);
            println!("{}", toml::to_string(&v.params)?);
        }
        return Ok(ExitCode::SUCCESS);
    }
    let plan = MemoryPlan::on_ranks(&s, ranks);
    if json {
        let mut v = serde_json::to_value(&plan)?;
        v["available_bytes"] = plan::available_bytes().into();
        println!("{v}");
        check_fits(&s, &plan, args.max_memory)?;
        return Ok(ExitCode::SUCCESS);
    }
    let p = s.world_params();
    println!("{}: ok", s.source);
    println!("  scenario      {} (seed {})", s.name, s.seed);
    println!("  variants      {}", s.variants.iter().map(|v| v.name.as_str()).collect::<Vec<_>>().join(", "));
    for (name, keys) in scenario::differing_keys(&s).iter().skip(1) {
        let keys = if keys.is_empty() { "nothing".to_string() } else { keys.join(", ") };
        println!("    `{name}` differs from `{}` in {keys}", s.variants[0].name);
    }
    println!("  users         {}", p.world.users);
    println!("  topics        {}", p.topics.len());
    println!("  creators      {} in {} groups", plan.creators, p.creators.len());
    println!("  ticks         {} per variant", p.ticks);
    println!("  notes         ~{} per variant", plan.notes);
    println!("  social edges  ~{}", plan.social_edges);
    println!("  follow edges  ~{}", plan.follow_edges);
    println!(
        "  memory        {} planned at peak ({} B/user, {} B/note; building the world {}, running {})",
        plan::human_bytes(plan.total_bytes),
        plan.bytes_per_user,
        plan.bytes_per_note,
        plan::human_bytes(plan.build_bytes),
        plan::human_bytes(plan.run_bytes)
    );
    if ranks > 1 {
        println!("                (per rank, for the rank holding most users of {ranks})");
    }
    if let Some(avail) = plan::available_bytes() {
        println!("  available     {}", plan::human_bytes(avail));
    }
    for w in scenario::control_warnings(&s) {
        println!("  warning: {w}");
    }
    check_fits(&s, &plan, args.max_memory)?;
    Ok(ExitCode::SUCCESS)
}
