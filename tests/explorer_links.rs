//! The explorer follows links from data to the web only (issue 33, item 6):
//! `webUrl` in `explorer/dom.js`, which every deploy link and inline link
//! goes through, run by Node when one is installed (the module needs no
//! DOM). Without Node the test says it was skipped (`.ci/run` installs
//! none; the browser test also renders deploy links).

use std::process::Command;

#[test]
fn the_explorer_renders_only_http_and_https_links() {
    let Ok(node) = which_node() else {
        eprintln!("skipped: no `node` on PATH to run explorer/dom.js");
        return;
    };
    let urls = [
        "https://ci.acme.example/run/981",
        "http://ci.acme.example/run/982",
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "/relative/run/1",
        "ftp://files.acme.example/x",
    ];
    let script = format!(
        r#"import {{ webUrl }} from "./dom.js"; console.log(JSON.stringify({}.map(webUrl)));"#,
        serde_json::to_string(&urls).unwrap()
    );
    let output = Command::new(node)
        .args(["--no-warnings", "--input-type=module", "-e", &script])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/explorer"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let kept: Vec<Option<String>> = serde_json::from_slice(&output.stdout).unwrap();
    let expected = [Some(urls[0]), Some(urls[1]), None, None, None, None, None, None];
    assert_eq!(kept, expected.map(|u| u.map(String::from)));
}

fn which_node() -> Result<String, ()> {
    let found = Command::new("node").arg("--version").output().map_err(|_| ())?;
    found.status.success().then(|| "node".to_string()).ok_or(())
}
