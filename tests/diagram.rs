//! `sim diagram`: the real binary draws every shipped scenario, writes
//! diagram.svg, prints DOT and SVG, and reports bad input as errors.

use std::fs;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn sim() -> Command {
    Command::cargo_bin("sim").expect("sim binary")
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `sim diagram FILE --out OUT ARGS...`.
fn diagram(file: &Path, out: &Path, args: &[&str]) -> std::process::Output {
    sim()
        .arg("diagram")
        .arg(file)
        .arg("--out")
        .arg(out)
        .args(args)
        .output()
        .expect("runs")
}

#[test]
fn ascii_prints_the_sketch_and_writes_the_svg() {
    for name in ["az-outage", "db-failover"] {
        let dir = tempfile::tempdir().unwrap();
        let file = PathBuf::from(format!("scenarios/{name}.yaml"));
        let o = diagram(&file, dir.path(), &[]);
        assert!(o.status.success(), "{}", stderr(&o));
        let text = stdout(&o);
        let header = text
            .lines()
            .find(|l| l.contains("AZ a"))
            .unwrap_or_else(|| panic!("no AZ header in\n{text}"));
        assert!(header.contains("AZ b") && header.contains("AZ c"), "{text}");
        assert!(text.contains("LB node a"), "{text}");
        let svg = dir.path().join(name).join("diagram.svg");
        let doc = fs::read_to_string(&svg).expect("diagram.svg written");
        assert!(doc.starts_with("<svg"), "{}", &doc[..40]);
        assert!(
            text.trim_end()
                .ends_with(&format!("wrote {}", svg.display())),
            "{text}"
        );
        // Nothing else, and no temporary file, is left behind.
        let names: Vec<String> = fs::read_dir(dir.path().join(name))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["diagram.svg"]);
    }
    let o = diagram(
        Path::new("scenarios/db-failover.yaml"),
        tempfile::tempdir().unwrap().path(),
        &[],
    );
    let text = stdout(&o);
    assert!(
        text.contains("db primary *") && text.contains("db standby"),
        "{text}"
    );
    assert!(text.contains("endpoint dns"), "{text}");
}

#[test]
fn dot_and_svg_go_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let file = Path::new("scenarios/az-outage.yaml");
    let o = diagram(file, dir.path(), &["--format", "dot"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let dot = stdout(&o);
    assert!(dot.starts_with("digraph"), "{dot}");
    assert!(dot.contains("label = \"a-1\""), "{dot}");
    let o = diagram(file, dir.path(), &["--format", "svg"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).starts_with("<svg"));
    // Only the ascii format writes a file.
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn overrides_apply() {
    let dir = tempfile::tempdir().unwrap();
    let o = diagram(
        Path::new("scenarios/az-outage.yaml"),
        dir.path(),
        &["--set", "azs=[a,b]", "--set", "faults=[]"],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("AZ b") && !text.contains("AZ c"), "{text}");
}

#[test]
fn every_shipped_scenario_draws_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<PathBuf> = fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    for file in &files {
        for format in ["ascii", "svg", "dot"] {
            let o = diagram(file, dir.path(), &["--format", format]);
            assert!(
                o.status.success(),
                "{} --format {format}: {}",
                file.display(),
                stderr(&o)
            );
            assert!(stderr(&o).is_empty(), "{}", stderr(&o));
        }
    }
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bad_yaml = dir.path().join("bad.yaml");
    fs::write(&bad_yaml, "azs: [a, b\n").unwrap();
    let a_file = dir.path().join("not-a-folder");
    fs::write(&a_file, "").unwrap();
    let cases: Vec<(PathBuf, PathBuf, Vec<&str>, &str)> = vec![
        (
            dir.path().join("missing.yaml"),
            dir.path().to_path_buf(),
            vec![],
            "missing.yaml",
        ),
        (bad_yaml, dir.path().to_path_buf(), vec![], "bad.yaml"),
        (
            PathBuf::from("scenarios/az-outage.yaml"),
            a_file,
            vec![],
            "--out must be a folder",
        ),
        (
            PathBuf::from("scenarios/az-outage.yaml"),
            dir.path().to_path_buf(),
            vec!["--set", "azs=[]"],
            "azs",
        ),
    ];
    for (file, out, args, mention) in cases {
        let o = diagram(&file, &out, &args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{}: {err}", file.display());
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains(mention), "{mention} in {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(stdout(&o).is_empty(), "{}", stdout(&o));
    }
    // An unknown format is a usage error.
    let o = diagram(
        Path::new("scenarios/az-outage.yaml"),
        dir.path(),
        &["--format", "png"],
    );
    assert_eq!(o.status.code(), Some(2));
}
