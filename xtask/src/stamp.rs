//! `cargo xtask stamp`: names a built site by its contents, as Trunk's post-build hook (so both
//! `build` and `serve` get it). Trunk hashes the page's files but not the training worker's,
//! and the service worker's cache had one fixed name: after a deploy a new page could talk to
//! an old worker. The stamp renames `worker.js` and `worker_bg.wasm` to `worker-ID…`, tells the
//! page that name in a `<meta>`, names the service worker's cache `sparse-explorer-ID`, moves
//! Trunk's inline start-up script into a file and sets a Content-Security-Policy that allows
//! only the site's own origin.

use std::path::{Path, PathBuf};

/// The service worker's build placeholder, replaced by the build id.
const SW_PLACEHOLDER: &str = "const BUILD = 'dev';";

/// The policy: everything from the site itself; wasm compiled from its own files; workers
/// started from the blob shim yew-agent makes; styles from the stylesheet and the `style`
/// attributes of the charts; images drawn into `data:` and `blob:` URLs (downloads).
const CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
    connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'none'";

/// Stamps the site staged in `TRUNK_STAGING_DIR` (or the folder given).
pub fn stamp(folder: Option<&str>) -> Result<(), String> {
    let dir = match folder {
        Some(f) => PathBuf::from(f),
        None => std::env::var_os("TRUNK_STAGING_DIR")
            .map(PathBuf::from)
            .ok_or("stamp runs as Trunk's post-build hook (TRUNK_STAGING_DIR) or on a folder")?,
    };
    stamp_dir(&dir)
}

/// Stamps the built site in `dir`.
fn stamp_dir(dir: &Path) -> Result<(), String> {
    let id = build_id(dir)?;
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).map_err(|e| format!("cannot read {name}: {e}"))
    };
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).map_err(|e| format!("cannot write {name}: {e}"))
    };
    let worker = format!("worker-{id}.js");
    for (from, to) in [
        ("worker.js".to_string(), worker.clone()),
        ("worker_bg.wasm".to_string(), format!("worker-{id}_bg.wasm")),
    ] {
        std::fs::rename(dir.join(&from), dir.join(&to))
            .map_err(|e| format!("cannot rename {from} to {to}: {e}"))?;
    }
    let html = read("index.html")?;
    let (html, start) = extract_inline_module(&html)?;
    let start_name = format!("start-{id}.js");
    write(&start_name, &start)?;
    let head = format!(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">\n  \
         <meta name=\"sparse-explorer-worker\" content=\"{worker}\">\n  \
         <script type=\"module\" src=\"/{start_name}\"></script>\n</head>"
    );
    let html = html.replacen("</head>", &head, 1);
    write("index.html", &html)?;
    let sw = read("sw.js")?;
    if !sw.contains(SW_PLACEHOLDER) {
        return Err(format!("sw.js lacks `{SW_PLACEHOLDER}`: already stamped?"));
    }
    write(
        "sw.js",
        &sw.replacen(SW_PLACEHOLDER, &format!("const BUILD = '{id}';"), 1),
    )?;
    eprintln!("xtask: stamped the site as build {id}");
    Ok(())
}

/// Takes Trunk's inline `<script type="module">` (which starts the page's wasm) out of `html`:
/// the page without it, and its text, for a file the policy allows.
fn extract_inline_module(html: &str) -> Result<(String, String), String> {
    let open = "<script type=\"module\">";
    let start = html
        .find(open)
        .ok_or("index.html has no inline module script to move")?;
    let end = html[start..]
        .find("</script>")
        .map(|e| start + e)
        .ok_or("index.html's module script is not closed")?;
    let script = html[start + open.len()..end].to_string();
    let rest = format!("{}{}", &html[..start], &html[end + "</script>".len()..]);
    if rest.contains("<script>") {
        return Err("index.html holds another inline script, which the policy would block".into());
    }
    Ok((rest, script))
}

/// 16 hex digits of FNV-1a over every file's path and bytes (sorted by path), `sw.js` aside:
/// any change to what the site serves changes it.
fn build_id(dir: &Path) -> Result<String, String> {
    let mut files = Vec::new();
    collect(dir, dir, &mut files)?;
    files.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut add = |bytes: &[u8]| {
        for &b in bytes {
            hash ^= b as u64;
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for name in files.iter().filter(|n| n.as_str() != "sw.js") {
        add(name.as_bytes());
        add(&std::fs::read(dir.join(name)).map_err(|e| format!("cannot read {name}: {e}"))?);
    }
    Ok(format!("{hash:016x}"))
}

/// The paths (relative to `root`, `/`-separated) of every file under `dir`.
fn collect(root: &Path, dir: &Path, files: &mut Vec<String>) -> Result<(), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot list {dir:?}: {e}"))?;
    for entry in entries {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            collect(root, &path, files)?;
        } else if let Ok(relative) = path.strip_prefix(root) {
            files.push(relative.to_string_lossy().replace('\\', "/"));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTML: &str = "<html><head>\n<script type=\"module\">\nimport init from '/app-1.js';\n\
        await init();\n</script>\n</head><body></body></html>";

    fn site(name: &str, style: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("xtask-stamp-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).unwrap();
        for (file, text) in [
            ("index.html", HTML),
            ("worker.js", "worker"),
            ("worker_bg.wasm", "wasm"),
            ("style.css", style),
            ("data/x.gz", "data"),
            (
                "sw.js",
                "const BUILD = 'dev';\nconst CACHE = `sparse-explorer-${BUILD}`;",
            ),
        ] {
            std::fs::write(dir.join(file), text).unwrap();
        }
        dir
    }

    #[test]
    fn a_stamp_names_the_worker_and_cache_by_the_contents_and_moves_the_inline_script() {
        let (a, b) = (site("a", "body {}"), site("b", "body { margin: 0 }"));
        stamp_dir(&a).unwrap();
        stamp_dir(&b).unwrap();
        let id = |dir: &Path| {
            let sw = std::fs::read_to_string(dir.join("sw.js")).unwrap();
            sw[sw.find("BUILD = '").unwrap() + 9..][..16].to_string()
        };
        let (id_a, id_b) = (id(&a), id(&b));
        assert_ne!(id_a, id_b, "another stylesheet is another build");
        assert!(a.join(format!("worker-{id_a}.js")).exists());
        assert!(a.join(format!("worker-{id_a}_bg.wasm")).exists());
        assert!(!a.join("worker.js").exists());
        let html = std::fs::read_to_string(a.join("index.html")).unwrap();
        assert!(
            html.contains(&format!("content=\"worker-{id_a}.js\"")),
            "{html}"
        );
        assert!(html.contains("Content-Security-Policy"));
        assert!(!html.contains("<script type=\"module\">"), "{html}");
        let start = std::fs::read_to_string(a.join(format!("start-{id_a}.js"))).unwrap();
        assert!(start.contains("import init from '/app-1.js';"));
        // Stamping twice would rename what is no longer there: refused.
        assert!(stamp_dir(&a).is_err());
        for dir in [a, b] {
            std::fs::remove_dir_all(dir).unwrap();
        }
    }
}
